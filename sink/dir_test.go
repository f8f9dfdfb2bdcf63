package sink_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/sink"
)

func newDir(t *testing.T, opts sink.DirOptions) *sink.Dir {
	t.Helper()
	d, err := sink.NewDir(filepath.Join(t.TempDir(), "trail-bucket"), opts)
	require.NoError(t, err)
	return d
}

// listKeys collects List's keys, failing on an error.
func listKeys(t *testing.T, s sink.Store, prefix, startAfter string) []string {
	t.Helper()
	keys := []string{}
	for info, err := range s.List(context.Background(), prefix, startAfter) {
		require.NoError(t, err)
		keys = append(keys, info.Key)
	}
	return keys
}

// hiddenFiles returns the files under root whose name starts with ".tmp-".
func tempFiles(t *testing.T, root string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".tmp-") {
			found = append(found, p)
		}
		return nil
	})
	require.NoError(t, err)
	return found
}

func TestNewDir(t *testing.T) {
	root := filepath.Join(t.TempDir(), "a", "logs")
	d, err := sink.NewDir(root, sink.DirOptions{})
	require.NoError(t, err)
	assert.Equal(t, "logs", d.Bucket(), "default bucket is the root's base name")
	assert.Equal(t, root, d.Root())
	assert.DirExists(t, root)

	d, err = sink.NewDir(root, sink.DirOptions{Bucket: "my-trail-bucket"})
	require.NoError(t, err)
	assert.Equal(t, "my-trail-bucket", d.Bucket())

	file := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(file, nil, 0o644))
	_, err = sink.NewDir(file, sink.DirOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), file)
}

func TestDirRoundTrip(t *testing.T) {
	for _, fsync := range []bool{false, true} {
		t.Run(fmt.Sprintf("fsync=%v", fsync), func(t *testing.T) {
			ctx := context.Background()
			d := newDir(t, sink.DirOptions{Fsync: fsync})
			key := "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/02/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20260102T030000Z.json.gz"
			obj := sink.Object{
				Key:             key,
				Body:            []byte("digest bytes"),
				Metadata:        map[string]string{"Signature": "abc123", "signature-algorithm": "SHA256withRSA"},
				ContentType:     "application/json",
				ContentEncoding: "gzip",
			}
			require.NoError(t, d.Put(ctx, obj))

			body, info, err := sink.ReadAll(ctx, d, key, 1<<30)
			require.NoError(t, err)
			assert.Equal(t, "digest bytes", string(body))
			assert.Equal(t, key, info.Key)
			assert.EqualValues(t, len(body), info.Size)
			assert.False(t, info.LastModified.IsZero())
			assert.Equal(t, map[string]string{"signature": "abc123", "signature-algorithm": "SHA256withRSA"}, info.Metadata,
				"names are stored in lower case")
			assert.Equal(t, "application/json", info.ContentType)
			assert.Equal(t, "gzip", info.ContentEncoding)

			// The documented layout: ROOT/KEY and ROOT/.metadata/KEY.json.
			path, err := d.Path(key)
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(d.Root(), filepath.FromSlash(key)), path)
			onDisk, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, "digest bytes", string(onDisk))
			metaFile, err := os.ReadFile(filepath.Join(d.Root(), sink.MetadataDir, filepath.FromSlash(key)+sink.MetadataSuffix))
			require.NoError(t, err)
			assert.JSONEq(t, `{"contentType":"application/json","contentEncoding":"gzip",
				"metadata":{"signature":"abc123","signature-algorithm":"SHA256withRSA"}}`, string(metaFile))

			// Overwriting replaces body and metadata together.
			require.NoError(t, d.Put(ctx, sink.Object{Key: key, Body: []byte("v2")}))
			body, info, err = sink.ReadAll(ctx, d, key, 1<<30)
			require.NoError(t, err)
			assert.Equal(t, "v2", string(body))
			assert.Empty(t, info.Metadata)
			assert.Empty(t, info.ContentType)

			// An empty body is an object too.
			require.NoError(t, d.Put(ctx, sink.Object{Key: "empty"}))
			body, info, err = sink.ReadAll(ctx, d, "empty", 1<<30)
			require.NoError(t, err)
			assert.Empty(t, body)
			assert.Zero(t, info.Size)
			assert.Empty(t, tempFiles(t, d.Root()))
		})
	}
}

// An object copied into the tree by other means has no metadata file.
func TestDirGetWithoutMetadata(t *testing.T) {
	d := newDir(t, sink.DirOptions{})
	require.NoError(t, os.MkdirAll(filepath.Join(d.Root(), "x"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(d.Root(), "x", "copied.json"), []byte("{}"), 0o644))
	body, info, err := sink.ReadAll(context.Background(), d, "x/copied.json", 1<<30)
	require.NoError(t, err)
	assert.Equal(t, "{}", string(body))
	assert.Nil(t, info.Metadata)

	// A corrupt metadata file is an error naming it, not an empty result.
	require.NoError(t, os.MkdirAll(filepath.Join(d.Root(), sink.MetadataDir, "x"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(d.Root(), sink.MetadataDir, "x", "copied.json.meta"), []byte("{"), 0o644))
	_, _, err = d.Get(context.Background(), "x/copied.json")
	require.Error(t, err)
	assert.Contains(t, err.Error(), filepath.Join(sink.MetadataDir, "x", "copied.json.meta"))
}

func TestDirGetNotFound(t *testing.T) {
	ctx := context.Background()
	d := newDir(t, sink.DirOptions{})
	require.NoError(t, d.Put(ctx, sink.Object{Key: "a/b/file.json", Body: []byte("x")}))
	for _, key := range []string{
		"missing.json",
		"a/missing.json",
		"a/b",             // a directory
		"a/b/file.json/x", // below a file
		"nope/nope/nope",
	} {
		t.Run(key, func(t *testing.T) {
			_, _, err := sink.ReadAll(ctx, d, key, 1<<30)
			require.ErrorIs(t, err, sink.ErrNotFound)
			assert.Contains(t, err.Error(), fmt.Sprintf("%q", key))
		})
	}
}

func TestDirList(t *testing.T) {
	ctx := context.Background()
	d := newDir(t, sink.DirOptions{})
	// Names chosen so that directory order and key order differ: '-' (0x2D)
	// sorts before '/' (0x2F) and '0' (0x30) after it.
	keys := []string{
		"a", "a-b", "a/b", "a/b/c", "a/b-c", "a/b0", "a0", "ab", "b/c/d/e/f.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/f1.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/f2.json.gz",
		"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/03/f3.json.gz",
		"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/02/d1.json.gz",
		"AWSLogs/111122223334/CloudTrail/us-east-1/2026/01/02/f4.json.gz",
	}
	// "a" as a file and "a/..." as keys cannot both exist in a file tree:
	// keep the directory.
	keys = slices.DeleteFunc(keys, func(k string) bool { return k == "a" || k == "a/b" })
	for _, k := range keys {
		require.NoError(t, d.Put(ctx, sink.Object{Key: k, Body: []byte(k), Metadata: map[string]string{"k": k}}))
	}
	// Leftovers that are not objects: a crashed Put's temporary file, a
	// hidden directory, a symbolic link.
	require.NoError(t, os.WriteFile(filepath.Join(d.Root(), "a", ".tmp-crashed"), []byte("partial"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(d.Root(), ".hidden"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(d.Root(), ".hidden", "x.json"), nil, 0o644))
	require.NoError(t, os.Symlink("a0", filepath.Join(d.Root(), "link")))

	sorted := slices.Clone(keys)
	sort.Strings(sorted)
	want := func(prefix, startAfter string) []string {
		out := []string{}
		for _, k := range sorted {
			if strings.HasPrefix(k, prefix) && k > startAfter {
				out = append(out, k)
			}
		}
		return out
	}
	cases := []struct{ prefix, startAfter string }{
		{"", ""},
		{"a", ""},
		{"a/", ""},
		{"a/b", ""},
		{"a/b/", ""},
		{"a-", ""},
		{"AWSLogs/", ""},
		{"AWSLogs/111122223333/", ""},
		{"AWSLogs/111122223333/CloudTrail/", ""},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/", ""},
		{"AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/f2", ""},
		{"AWSLogs/1111", ""},
		{"", "a"},
		{"", "a/"},
		{"", "a/b-c"},
		{"", "a/b/c"},
		{"", "a0"},
		{"", "b"},
		{"", "zzz"},
		{"AWSLogs/", "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/f1.json.gz"},
		{"AWSLogs/", "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/f1.json.gz0"},
		{"AWSLogs/", "AWSLogs/111122223333/CloudTrail-"},
		{"missing/", ""},
		{"a0/", ""},
		{"../", ""},
		{sink.MetadataDir + "/", ""},
		{".", ""},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("prefix=%q,after=%q", c.prefix, c.startAfter), func(t *testing.T) {
			assert.Equal(t, want(c.prefix, c.startAfter), listKeys(t, d, c.prefix, c.startAfter))
		})
	}

	t.Run("info", func(t *testing.T) {
		for info, err := range d.List(ctx, "b/", "") {
			require.NoError(t, err)
			assert.Equal(t, "b/c/d/e/f.json.gz", info.Key)
			assert.EqualValues(t, len(info.Key), info.Size)
			assert.False(t, info.LastModified.IsZero())
			assert.Nil(t, info.Metadata)
		}
	})
	t.Run("stop early", func(t *testing.T) {
		var got []string
		for info, err := range d.List(ctx, "", "") {
			require.NoError(t, err)
			got = append(got, info.Key)
			if len(got) == 3 {
				break
			}
		}
		assert.Equal(t, sorted[:3], got)
	})
	t.Run("canceled", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		var errs int
		for _, err := range d.List(cctx, "", "") {
			require.ErrorIs(t, err, context.Canceled)
			errs++
		}
		assert.Equal(t, 1, errs)
	})
}

func TestDirListUnreadableRoot(t *testing.T) {
	d := newDir(t, sink.DirOptions{})
	require.NoError(t, os.Remove(d.Root()))
	var errs []error
	for _, err := range d.List(context.Background(), "", "") {
		errs = append(errs, err)
	}
	require.Len(t, errs, 1)
	require.ErrorIs(t, errs[0], fs.ErrNotExist)
	assert.Contains(t, errs[0].Error(), "list")
}

func TestDirInvalidKeys(t *testing.T) {
	ctx := context.Background()
	parent := t.TempDir()
	d, err := sink.NewDir(filepath.Join(parent, "root"), sink.DirOptions{})
	require.NoError(t, err)
	cases := []struct{ name, key, reason string }{
		{"empty", "", "empty"},
		{"absolute", "/etc/passwd", "absolute"},
		{"dot dot", "../escape.json", `".."`},
		{"dot dot inside", "AWSLogs/../../escape.json", `".."`},
		{"dot dot last", "a/..", `".."`},
		{"dot", "./a", `"."`},
		{"dot inside", "a/./b", `"."`},
		{"empty segment", "a//b", "empty segment"},
		{"trailing slash", "a/b/", "empty segment"},
		{"backslash", `a\..\..\b`, "backslash"},
		{"NUL", "a\x00b", "NUL"},
		{"too long", strings.Repeat("k", 1025), "1025 bytes"},
		{"long segment", "a/" + strings.Repeat("s", 251), "251 bytes"},
		{"metadata tree", sink.MetadataDir + "/a.json", `".metadata"`},
		{"temp file", "a/.tmp-123", `".tmp-123"`},
		{"hidden", ".hidden", `".hidden"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check := func(err error) {
				t.Helper()
				require.ErrorIs(t, err, sink.ErrInvalidKey)
				assert.Contains(t, err.Error(), c.reason)
				if len(c.key) < 100 {
					assert.Contains(t, err.Error(), fmt.Sprintf("%q", c.key), "the error names the key")
				}
			}
			check(d.Put(ctx, sink.Object{Key: c.key, Body: []byte("x")}))
			_, _, err := sink.ReadAll(ctx, d, c.key, 1<<30)
			check(err)
			_, err = d.Path(c.key)
			check(err)
		})
	}
	// Nothing was written, inside the root or beside it.
	entries, err := os.ReadDir(parent)
	require.NoError(t, err)
	require.Len(t, entries, 1)
	entries, err = os.ReadDir(d.Root())
	require.NoError(t, err)
	assert.Empty(t, entries)

	// The longest valid key and segment are accepted.
	long := strings.Repeat(strings.Repeat("s", 250)+"/", 4) + strings.Repeat("t", 1024-4*251)
	require.Len(t, long, 1024)
	require.NoError(t, d.Put(ctx, sink.Object{Key: long, Body: []byte("x")}))
	_, _, err = sink.ReadAll(ctx, d, long, 1<<30)
	require.NoError(t, err)
}

// Keys that look like escapes but are plain names stay inside the root.
func TestDirPathStaysInRoot(t *testing.T) {
	ctx := context.Background()
	d := newDir(t, sink.DirOptions{})
	for _, key := range []string{"a..", "a/b..c/d", "a.../b", "~", "~x/y", "$HOME", "a/%2e%2e/b", "a:b", "ü/ñ", "a b/c d"} {
		t.Run(key, func(t *testing.T) {
			require.NoError(t, d.Put(ctx, sink.Object{Key: key, Body: []byte(key)}))
			path, err := d.Path(key)
			require.NoError(t, err)
			rel, err := filepath.Rel(d.Root(), path)
			require.NoError(t, err)
			assert.Equal(t, filepath.FromSlash(key), rel)
			body, _, err := sink.ReadAll(ctx, d, key, 1<<30)
			require.NoError(t, err)
			assert.Equal(t, key, string(body))
		})
	}
}

// A directory where the key's file would go makes Put fail and leaves no
// metadata for an object that does not exist.
func TestDirPutOverDirectory(t *testing.T) {
	ctx := context.Background()
	d := newDir(t, sink.DirOptions{})
	require.NoError(t, d.Put(ctx, sink.Object{Key: "a/b", Body: []byte("x")}))
	err := d.Put(ctx, sink.Object{Key: "a", Body: []byte("y"), Metadata: map[string]string{"m": "1"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `put "a"`)
	assert.NoFileExists(t, filepath.Join(d.Root(), sink.MetadataDir, "a"+sink.MetadataSuffix))
	assert.Empty(t, tempFiles(t, d.Root()))
	err = d.Put(ctx, sink.Object{Key: "a/b/c", Body: []byte("z")})
	require.Error(t, err, "a file where a directory must go")
	assert.Empty(t, tempFiles(t, d.Root()))
}

func TestDirPutCanceled(t *testing.T) {
	d := newDir(t, sink.DirOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, d.Put(ctx, sink.Object{Key: "k", Body: []byte("x")}), context.Canceled)
	_, _, err := d.Get(context.Background(), "k")
	require.ErrorIs(t, err, sink.ErrNotFound)
}

func TestDirConcurrentPuts(t *testing.T) {
	ctx := context.Background()
	d := newDir(t, sink.DirOptions{})
	const writers, perWriter = 8, 40
	body := func(w, i int) []byte {
		return []byte(strings.Repeat(fmt.Sprintf("writer %d object %d;", w, i), 2000))
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var readErr error
	var readOnce sync.Once
	// A reader of the key every writer overwrites sees whole bodies only.
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			b, _, err := sink.ReadAll(ctx, d, "shared/key.json", 1<<30)
			if errors.Is(err, sink.ErrNotFound) {
				continue
			}
			if err == nil {
				var w, i int
				_, err = fmt.Sscanf(string(b), "writer %d object %d;", &w, &i)
				if err == nil && string(b) != string(body(w, i)) {
					err = fmt.Errorf("partial or mixed body of %d bytes", len(b))
				}
			}
			if err != nil {
				readOnce.Do(func() { readErr = err })
				return
			}
		}
	}()
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				assert.NoError(t, d.Put(ctx, sink.Object{Key: fmt.Sprintf("w%d/%03d.json", w, i), Body: body(w, i)}))
				tag := fmt.Sprintf("%d/%d", w, i)
				assert.NoError(t, d.Put(ctx, sink.Object{Key: "shared/key.json", Body: body(w, i), Metadata: map[string]string{"tag": tag}}))
			}
		})
	}
	wg.Wait()
	close(stop)
	<-readerDone
	require.NoError(t, readErr)

	assert.Len(t, listKeys(t, d, "w", ""), writers*perWriter)
	for w := range writers {
		for i := range perWriter {
			b, _, err := sink.ReadAll(ctx, d, fmt.Sprintf("w%d/%03d.json", w, i), 1<<30)
			require.NoError(t, err)
			require.Equal(t, string(body(w, i)), string(b))
		}
	}
	// The last Put of the shared key left its body with its own metadata.
	b, info, err := sink.ReadAll(ctx, d, "shared/key.json", 1<<30)
	require.NoError(t, err)
	var w, i int
	_, err = fmt.Sscanf(string(b), "writer %d object %d;", &w, &i)
	require.NoError(t, err)
	assert.Equal(t, fmt.Sprintf("%d/%d", w, i), info.Metadata["tag"])
	assert.Empty(t, tempFiles(t, d.Root()))
}

// The metadata file is plain JSON an operator can read.
func TestDirMetadataFileFormat(t *testing.T) {
	d := newDir(t, sink.DirOptions{})
	require.NoError(t, d.Put(context.Background(), sink.Object{Key: "k.json.gz", Body: []byte("x"), ContentEncoding: "gzip"}))
	raw, err := os.ReadFile(filepath.Join(d.Root(), ".metadata", "k.json.gz.meta"))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	assert.Equal(t, map[string]any{"contentEncoding": "gzip"}, m, "empty fields are left out")
}

// Get streams: the body is read as the caller reads it. ReadAll holds a
// small object whole and refuses one over its limit, naming it.
func TestDirGetStreamsAndReadAllLimit(t *testing.T) {
	ctx := context.Background()
	d := newDir(t, sink.DirOptions{})
	body := bytes.Repeat([]byte("0123456789"), 1000)
	require.NoError(t, d.Put(ctx, sink.Object{Key: "a/b.json", Body: body}))

	rc, info, err := d.Get(ctx, "a/b.json")
	require.NoError(t, err)
	assert.Equal(t, int64(len(body)), info.Size)
	first := make([]byte, 10)
	_, err = io.ReadFull(rc, first)
	require.NoError(t, err)
	assert.Equal(t, "0123456789", string(first))
	rest, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Len(t, rest, len(body)-10)
	require.NoError(t, rc.Close())

	got, _, err := sink.ReadAll(ctx, d, "a/b.json", int64(len(body)))
	require.NoError(t, err)
	assert.Equal(t, body, got)

	_, _, err = sink.ReadAll(ctx, d, "a/b.json", int64(len(body))-1)
	require.ErrorIs(t, err, sink.ErrTooLarge)
	assert.Contains(t, err.Error(), `"a/b.json"`)
	assert.Contains(t, err.Error(), strconv.Itoa(len(body)-1))

	_, _, err = sink.ReadAll(ctx, d, "a/missing.json", 10)
	require.ErrorIs(t, err, sink.ErrNotFound)
}

// A symbolic link that leads out of the root is an error naming the
// path, for reads and writes; nothing is written outside.
func TestDirStaysInRootThroughLinks(t *testing.T) {
	ctx := context.Background()
	d := newDir(t, sink.DirOptions{})
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret.json"), []byte("secret"), 0o644))
	require.NoError(t, os.MkdirAll(filepath.Join(d.Root(), "AWSLogs"), 0o755))
	require.NoError(t, os.Symlink(outside, filepath.Join(d.Root(), "AWSLogs", "out")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.json"), filepath.Join(d.Root(), "AWSLogs", "file.json")))
	require.NoError(t, os.Symlink("../..", filepath.Join(d.Root(), "AWSLogs", "up")))

	for _, key := range []string{"AWSLogs/out/x.json.gz", "AWSLogs/out/new/x.json.gz", "AWSLogs/up/x.json.gz"} {
		err := d.Put(ctx, sink.Object{Key: key, Body: []byte("x")})
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), "escapes", key)
		assert.Contains(t, err.Error(), strconv.Quote(key), key)
	}
	entries, err := os.ReadDir(outside)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "nothing written outside the root")

	for _, key := range []string{"AWSLogs/out/secret.json", "AWSLogs/file.json", "AWSLogs/up/etc/passwd"} {
		_, _, err := d.Get(ctx, key)
		require.Error(t, err, key)
		assert.Contains(t, err.Error(), "escapes", key)
	}
	// A link that stays inside is followed.
	require.NoError(t, d.Put(ctx, sink.Object{Key: "AWSLogs/in/a.json", Body: []byte("a")}))
	require.NoError(t, os.Symlink("in", filepath.Join(d.Root(), "AWSLogs", "alias")))
	b, _, err := sink.ReadAll(ctx, d, "AWSLogs/alias/a.json", 10)
	require.NoError(t, err)
	assert.Equal(t, "a", string(b))
}

// A FIFO in the tree is refused at once, not waited on, and not listed.
func TestDirFIFO(t *testing.T) {
	ctx := context.Background()
	d := newDir(t, sink.DirOptions{})
	require.NoError(t, os.MkdirAll(filepath.Join(d.Root(), "a"), 0o755))
	require.NoError(t, syscall.Mkfifo(filepath.Join(d.Root(), "a", "fifo.json.gz"), 0o644))
	done := make(chan error, 1)
	go func() {
		_, _, err := d.Get(ctx, "a/fifo.json.gz")
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, sink.ErrNotFound)
		assert.Contains(t, err.Error(), "not a regular file")
	case <-time.After(5 * time.Second):
		t.Fatal("Get blocked on a FIFO")
	}
	assert.Empty(t, listKeys(t, d, "", ""))
}

// Metadata is kept under a name tools looking for .json files skip; the
// metadata files of earlier versions (K.json) are still read.
func TestDirLegacyMetadata(t *testing.T) {
	ctx := context.Background()
	d := newDir(t, sink.DirOptions{})
	require.NoError(t, d.Put(ctx, sink.Object{Key: "a/new.json.gz", Body: []byte("x"), Metadata: map[string]string{"signature": "new"}}))
	assert.FileExists(t, filepath.Join(d.Root(), sink.MetadataDir, "a", "new.json.gz.meta"))
	assert.NoFileExists(t, filepath.Join(d.Root(), sink.MetadataDir, "a", "new.json.gz.json"))

	require.NoError(t, os.WriteFile(filepath.Join(d.Root(), "a", "old.json.gz"), []byte("y"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(d.Root(), sink.MetadataDir, "a", "old.json.gz.json"),
		[]byte(`{"contentEncoding":"gzip","metadata":{"signature":"old"}}`), 0o644))
	_, info, err := sink.ReadAll(ctx, d, "a/old.json.gz", 10)
	require.NoError(t, err)
	assert.Equal(t, "old", info.Metadata["signature"])
	assert.Equal(t, "gzip", info.ContentEncoding)
}
