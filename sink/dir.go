package sink

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"io/fs"
	"iter"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/trailkit/trailkit/internal/rootfs"
)

// MetadataDir is the hidden directory under a Dir's root that holds each
// object's metadata file: the metadata of key K is MetadataDir/K.meta
// (K + MetadataSuffix).
const MetadataDir = ".metadata"

// MetadataSuffix ends the name of a metadata file. It is not ".json", so
// that tools walking a log tree for *.json and *.json.gz files do not take
// metadata for logs; metadata files written by earlier versions, named
// K.json, are still read when K.meta is absent.
const MetadataSuffix = ".meta"

// legacyMetadataSuffix ends the metadata files of earlier versions.
const legacyMetadataSuffix = ".json"

// maxMetadataFile bounds the metadata file read per object; S3 allows 2 KB
// of user metadata.
const maxMetadataFile = 64 << 10

// DirOptions configures a Dir.
type DirOptions struct {
	// Bucket is the name digests record as the bucket of this sink's
	// objects (digestS3Bucket, logFiles[].s3Bucket). Default: the base name
	// of the root directory.
	Bucket string
	// Fsync makes Put durable before it returns: the object and metadata
	// files, and every directory Put changed, are synced to disk. Without
	// it an object is complete or absent after a process crash, but may be
	// lost in a power failure.
	Fsync bool
}

// Dir is a Sink and Store keeping objects as files under a root directory:
// the object with key K is the file ROOT/K. See the package documentation
// for the layout and guarantees.
type Dir struct {
	root   string      // absolute path, for messages
	r      *os.Root    // every file is opened through it: nothing leaves the root
	rd     *rootfs.Dir // or, for reading, beneath it in one call on Linux
	bucket string
	fsync  bool
	// renames pairs the two renames of a Put so that concurrent Puts of one
	// key cannot leave one's object with the other's metadata.
	renames [64]sync.Mutex
	seed    maphash.Seed
}

var (
	_ Sink  = (*Dir)(nil)
	_ Store = (*Dir)(nil)
)

// NewDir returns a Dir rooted at root, creating the directory if needed.
func NewDir(root string, opts DirOptions) (*Dir, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open directory %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("open directory: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("open directory: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("open directory %s: not a directory", abs)
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("sink: directory: %w", err)
	}
	bucket := opts.Bucket
	if bucket == "" {
		bucket = filepath.Base(abs)
	}
	return &Dir{root: abs, r: r, rd: rootfs.New(r), bucket: bucket, fsync: opts.Fsync, seed: maphash.MakeSeed()}, nil
}

// Bucket returns the name digests record as this sink's bucket.
func (d *Dir) Bucket() string { return d.bucket }

// Root returns the absolute path of the root directory.
func (d *Dir) Root() string { return d.root }

// Path returns the file that holds (or would hold) the object with the key.
func (d *Dir) Path(key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", d.fail("path", key, err)
	}
	return filepath.Join(d.root, objectPath(key)), nil
}

// objectPath is the file of the object with the key, relative to the
// root; metadataPath its metadata file.
func objectPath(key string) string { return filepath.FromSlash(key) }

func metadataPath(key string) string {
	return filepath.Join(MetadataDir, filepath.FromSlash(key)+MetadataSuffix)
}

// fileMetadata is the content of a metadata file.
type fileMetadata struct {
	ContentType     string            `json:"contentType,omitempty"`
	ContentEncoding string            `json:"contentEncoding,omitempty"`
	Metadata        map[string]string `json:"metadata,omitempty"`
	// Pending names, in the object's directory, the temporary file that
	// PutIfAbsent links into place after the metadata file: a claim
	// without its object is completed from it (see Dir.claim).
	Pending string `json:"pending,omitempty"`
}

// Put stores the object atomically: the body and the metadata are written
// to temporary files beside their destinations, then renamed into place,
// metadata first, so that a reader who finds a new object finds its
// metadata. A failure to write leaves nothing new and no temporary file;
// with Fsync, a failure to sync the directories after the renames is
// returned although the object is in place (a retry rewrites it).
// Metadata names are stored in lower case, as S3 does. Concurrent Puts of
// one key through one Dir leave one Put's body and metadata together; from
// several processes they may not.
func (d *Dir) Put(ctx context.Context, obj Object) error {
	if err := checkKey(obj.Key); err != nil {
		return d.fail("put", obj.Key, err)
	}
	if err := ctx.Err(); err != nil {
		return d.fail("put", obj.Key, err)
	}
	metaJSON, err := marshalMetadata(obj, "")
	if err != nil {
		return d.fail("put", obj.Key, err)
	}
	path, metaPath := objectPath(obj.Key), metadataPath(obj.Key)
	dir, metaDir := filepath.Dir(path), filepath.Dir(metaPath)
	if err := d.mkdirs(dir); err != nil {
		return d.fail("put", obj.Key, err)
	}
	if err := d.mkdirs(metaDir); err != nil {
		return d.fail("put", obj.Key, err)
	}
	tmp, err := d.writeTemp(dir, obj.Body)
	if err != nil {
		return d.fail("put", obj.Key, err)
	}
	metaTmp, err := d.writeTemp(metaDir, metaJSON)
	if err != nil {
		d.r.Remove(tmp)
		return d.fail("put", obj.Key, err)
	}

	mu := &d.renames[maphash.String(d.seed, obj.Key)%uint64(len(d.renames))]
	mu.Lock()
	err = d.r.Rename(metaTmp, metaPath)
	if err != nil {
		d.r.Remove(metaTmp)
		d.r.Remove(tmp)
	} else if err = d.r.Rename(tmp, path); err != nil {
		d.r.Remove(tmp)
		// Take back the metadata of an object that did not come to exist
		// (for example because a directory has the key's name).
		if fi, serr := d.r.Lstat(path); serr != nil || !fi.Mode().IsRegular() {
			d.r.Remove(metaPath)
		}
	}
	mu.Unlock()
	if err != nil {
		return d.fail("put", obj.Key, err)
	}
	if d.fsync {
		if err := d.syncDir(metaDir); err != nil {
			return d.fail("put", obj.Key, err)
		}
		if err := d.syncDir(dir); err != nil {
			return d.fail("put", obj.Key, err)
		}
	}
	return nil
}

// marshalMetadata returns the content of obj's metadata file, names in
// lower case.
func marshalMetadata(obj Object, pending string) ([]byte, error) {
	meta := fileMetadata{ContentType: obj.ContentType, ContentEncoding: obj.ContentEncoding, Pending: pending}
	if len(obj.Metadata) > 0 {
		meta.Metadata = make(map[string]string, len(obj.Metadata))
		for k, v := range obj.Metadata {
			meta.Metadata[strings.ToLower(k)] = v
		}
	}
	return json.Marshal(meta)
}

// writeTemp writes body to a new hidden file in dir and returns its path
// (both relative to the root). On error the file is removed.
func (d *Dir) writeTemp(dir string, body []byte) (string, error) {
	var f *os.File
	var err error
	var name string
	for range 100 {
		name = filepath.Join(dir, ".tmp-"+strconv.FormatUint(rand.Uint64(), 36))
		f, err = d.r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			break
		}
	}
	if err != nil {
		return "", err
	}
	_, err = f.Write(body)
	if err == nil && d.fsync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		d.r.Remove(name)
		return "", err
	}
	return name, nil
}

// mkdirs creates dir and its missing parents under the root; with Fsync it
// syncs each parent whose entries it changed.
func (d *Dir) mkdirs(dir string) error {
	if !d.fsync {
		return d.r.MkdirAll(dir, 0o755)
	}
	if fi, err := d.r.Stat(dir); err == nil && fi.IsDir() {
		return nil
	}
	if dir == "." {
		return fmt.Errorf("directory %s is missing", d.root)
	}
	parent := filepath.Dir(dir)
	if err := d.mkdirs(parent); err != nil {
		return err
	}
	if err := d.r.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return d.syncDir(parent)
}

func (d *Dir) syncDir(dir string) error {
	f, err := d.r.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Get opens the object's file and returns it with its ObjectInfo and
// metadata. A key with no object, including a key naming a directory, is
// an error wrapping ErrNotFound.
func (d *Dir) Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error) {
	if err := checkKey(key); err != nil {
		return nil, ObjectInfo{}, d.fail("get", key, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, ObjectInfo{}, d.fail("get", key, err)
	}
	f, err := d.openRead(objectPath(key)) // info refuses a FIFO or device
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			err = ErrNotFound
		}
		return nil, ObjectInfo{}, d.fail("get", key, err)
	}
	info, err := d.info(f, key)
	if err != nil {
		f.Close()
		return nil, ObjectInfo{}, d.fail("get", key, err)
	}
	return f, info, nil
}

// openRead opens the file at name, relative to the root, for reading
// (a FIFO without waiting for a writer: the callers refuse it).
func (d *Dir) openRead(name string) (*os.File, error) { return d.rd.OpenRead(name) }

// info returns the ObjectInfo of the open object file f, with the
// metadata Put stored beside it.
func (d *Dir) info(f *os.File, key string) (ObjectInfo, error) {
	fi, err := f.Stat()
	if err != nil {
		return ObjectInfo{}, err
	}
	switch {
	case fi.IsDir():
		return ObjectInfo{}, ErrNotFound
	case !fi.Mode().IsRegular():
		return ObjectInfo{}, fmt.Errorf("%w: %s is not a regular file (%v)", ErrNotFound, objectPath(key), fi.Mode().Type())
	}
	info := ObjectInfo{Key: key, Size: fi.Size(), LastModified: fi.ModTime().UTC()}
	name := metadataPath(key)
	metaJSON, err := d.readMetadata(name)
	if errors.Is(err, fs.ErrNotExist) {
		// Written by an earlier version?
		name = strings.TrimSuffix(name, MetadataSuffix) + legacyMetadataSuffix
		metaJSON, err = d.readMetadata(name)
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// An object placed by other means than Put has no metadata.
	case err != nil:
		return ObjectInfo{}, err
	default:
		var meta fileMetadata
		if err := json.Unmarshal(metaJSON, &meta); err != nil {
			return ObjectInfo{}, fmt.Errorf("metadata file %s: %w", name, err)
		}
		info.Metadata = meta.Metadata
		info.ContentType = meta.ContentType
		info.ContentEncoding = meta.ContentEncoding
	}
	return info, nil
}

// readMetadata reads a metadata file, which must be a regular file of at
// most maxMetadataFile bytes.
func (d *Dir) readMetadata(name string) ([]byte, error) {
	f, err := d.openRead(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() || fi.Size() > maxMetadataFile {
		return nil, fmt.Errorf("metadata file %s: not a regular file of at most %d bytes", name, maxMetadataFile)
	}
	return io.ReadAll(io.LimitReader(f, maxMetadataFile))
}

// List yields the objects whose key starts with prefix, in lexical (byte)
// order of their keys, after startAfter. It reads only the directories
// that can hold such keys, one at a time. Hidden names (temporary files,
// the metadata tree), files that are not regular and names that are not
// valid key segments are not objects and are not listed. Metadata is nil.
func (d *Dir) List(ctx context.Context, prefix, startAfter string) iter.Seq2[ObjectInfo, error] {
	return func(yield func(ObjectInfo, error) bool) {
		// Start in the deepest directory the prefix names in full.
		base := ""
		if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
			if checkKey(prefix[:i]) != nil {
				return // no valid key has this prefix
			}
			base = prefix[:i+1]
		}
		d.walk(ctx, base, prefix, startAfter, yield)
	}
}

// readDir reads a directory under the root; tests count the directories
// List reads.
var readDir = func(r *os.Root, dir string) ([]fs.DirEntry, error) {
	return fs.ReadDir(r.FS(), dir)
}

type dirEntry struct {
	key string // the entry's key; a directory's ends in '/'
	fs.DirEntry
}

// walk yields the listed objects in the directory whose keys start with
// dirKey ("" for the root, else ending in '/'); it returns false when
// listing must stop.
func (d *Dir) walk(ctx context.Context, dirKey, prefix, startAfter string, yield func(ObjectInfo, error) bool) bool {
	if err := ctx.Err(); err != nil {
		yield(ObjectInfo{}, d.fail("list", prefix, err))
		return false
	}
	dir := "."
	if dirKey != "" {
		dir = dirKey[:len(dirKey)-1]
	}
	names, err := readDir(d.r, dir)
	if err != nil {
		if dirKey != "" && (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) {
			return true // nothing under this prefix
		}
		yield(ObjectInfo{}, d.fail("list", prefix, err))
		return false
	}
	// Keys sort as byte strings, and every key in directory "a" starts
	// with "a/": sorting directories by name+"/" puts a file "a-b" (0x2D)
	// before the directory's keys and "a0" (0x30) after them.
	entries := make([]dirEntry, 0, len(names))
	for _, e := range names {
		name := e.Name()
		if name[0] == '.' || len(name) > maxSegmentBytes || strings.IndexByte(name, '\\') >= 0 {
			continue
		}
		key := dirKey + name
		switch {
		case e.IsDir():
			key += "/"
			if !strings.HasPrefix(key, prefix) && !strings.HasPrefix(prefix, key) {
				continue
			}
			// Every key under the directory sorts before startAfter.
			if key < startAfter && !strings.HasPrefix(startAfter, key) {
				continue
			}
		case e.Type().IsRegular():
			if !strings.HasPrefix(key, prefix) || key <= startAfter {
				continue
			}
		default:
			continue
		}
		entries = append(entries, dirEntry{key, e})
	}
	slices.SortFunc(entries, func(a, b dirEntry) int { return cmp.Compare(a.key, b.key) })
	for _, e := range entries {
		if e.IsDir() {
			if !d.walk(ctx, e.key, prefix, startAfter, yield) {
				return false
			}
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the directory was read
		}
		if err != nil {
			yield(ObjectInfo{}, d.fail("list", prefix, err))
			return false
		}
		if !yield(ObjectInfo{Key: e.key, Size: fi.Size(), LastModified: fi.ModTime().UTC()}, nil) {
			return false
		}
	}
	return true
}

// fail wraps err with the operation, the key (or prefix) and the root.
func (d *Dir) fail(op, key string, err error) error {
	return fmt.Errorf("%s %s in %s: %w", op, quoteKey(key), d.root, err)
}
