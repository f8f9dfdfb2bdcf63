// Package testdata gives the tests of trailkit the reference data they read:
// a corpus of real CloudTrail records, log files and digest files collected
// from public repositories, and the selector test vectors. The data is
// embedded, so a test finds it wherever the repository was cloned, and no
// test names a path.
//
// The corpus is laid out as files (SOURCES.md says where each comes from):
//
//	records.jsonl                     one record a line, as found in its source
//	records.meta.jsonl                per line of records.jsonl: source, licence, flags
//	records-nonconforming.jsonl       records not shaped as CloudTrail delivers them
//	records-nonconforming.meta.jsonl  per line: source and the reasons
//	logfiles/                         whole log files ({"Records":[...]}), some gzipped
//	digests/                          digest files
//
// JSON Lines files are stored gzipped when they are large (name.jsonl.gz);
// every function here returns them decompressed, under their plain name, so
// the tests see the corpus as listed above. Files that are gzipped in their
// source (logfiles/*.gz) stay gzipped.
//
// The directory is named testdata so that the go command does not list it in
// ./...; the Makefile names it explicitly, so its own tests, vet and
// staticcheck still run.
package testdata

import (
	"bytes"
	"compress/gzip"
	"embed"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

//go:embed corpus spec
var files embed.FS

// storedGzip is the suffix of a JSON Lines file stored gzipped to keep the
// repository's files small; it is served without it, decompressed.
const storedGzip = ".jsonl.gz"

// plain is a cache of decompressed files: records.jsonl is read by many
// tests of a package, and decompressing it each time costs more than
// keeping it.
var plain sync.Map // stored name -> []byte

// stored returns the embedded name of corpus file name and whether it is
// stored gzipped.
func stored(name string) (string, bool) {
	p := path.Join("corpus", name)
	if strings.HasSuffix(p, ".jsonl") {
		if _, err := fs.Stat(files, p+".gz"); err == nil {
			return p + ".gz", true
		}
	}
	return p, false
}

// read returns the contents of embedded file p, decompressed if gz.
func read(p string, gz bool) ([]byte, error) {
	if b, ok := plain.Load(p); ok {
		return b.([]byte), nil
	}
	b, err := files.ReadFile(p)
	if err != nil || !gz {
		return b, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if b, err = io.ReadAll(zr); err != nil {
		return nil, err
	}
	plain.Store(p, b)
	return b, nil
}

// ReadFile returns the contents of a corpus file, for instance
// "records.jsonl" or "logfiles/<name>". The caller may change them.
func ReadFile(t testing.TB, name string) []byte {
	t.Helper()
	p, gz := stored(name)
	b, err := read(p, gz)
	if err != nil {
		t.Fatalf("testdata: corpus file %s: %v", name, err)
	}
	return bytes.Clone(b)
}

// Lines returns the non-empty lines of a JSON Lines file of the corpus, each
// a fresh slice.
func Lines(t testing.TB, name string) [][]byte {
	t.Helper()
	var out [][]byte
	for line := range bytes.Lines(ReadFile(t, name)) {
		if line = bytes.TrimSpace(line); len(line) > 0 {
			out = append(out, line)
		}
	}
	return out
}

// Records returns the records of records.jsonl, one JSON text each, in file
// order.
func Records(t testing.TB) [][]byte {
	t.Helper()
	return Lines(t, "records.jsonl")
}

// Path returns the path of a corpus file or directory ("records.jsonl",
// "logfiles", "." for the whole corpus), written to a temporary directory
// that is removed when t ends. Use it for code that takes a path; use
// [ReadFile] or [Lines] otherwise.
func Path(t testing.TB, name string) string {
	t.Helper()
	name = path.Clean(name)
	dir := t.TempDir()
	if err := materialise(dir, name); err != nil {
		t.Fatalf("testdata: %s: %v", name, err)
	}
	if name == "." {
		return dir
	}
	return filepath.Join(dir, filepath.FromSlash(name))
}

// Dir is [Path] for a directory of the corpus, such as "logfiles" or
// "digests"; Dir(t, ".") is the whole corpus.
func Dir(t testing.TB, name string) string {
	t.Helper()
	p := Path(t, name)
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		t.Fatalf("testdata: %s is not a directory of the corpus", name)
	}
	return p
}

// materialise writes corpus entry name (a file or a directory tree) under
// dir, at the same relative path, JSON Lines files decompressed.
func materialise(dir, name string) error {
	root := path.Join("corpus", name)
	if _, gz := stored(name); gz {
		root += ".gz"
	}
	return fs.WalkDir(files, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p, "corpus"), "/")
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, filepath.FromSlash(rel)), 0o755)
		}
		gz := strings.HasSuffix(p, storedGzip)
		b, err := read(p, gz)
		if err != nil {
			return err
		}
		if gz {
			rel = strings.TrimSuffix(rel, ".gz")
		}
		out := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		return os.WriteFile(out, b, 0o644)
	})
}

// SelectorVectors returns selectors-vectors.json: event selector
// configurations with a record and whether CloudTrail logs it
// (matchVectors), and invalid configurations with the exception and message
// CloudTrail answers (invalidVectors). docs/selectors.md explains them.
func SelectorVectors(t testing.TB) []byte {
	t.Helper()
	b, err := files.ReadFile("spec/selectors-vectors.json")
	if err != nil {
		t.Fatalf("testdata: selector vectors: %v", err)
	}
	return b
}

// Gzip returns b gzipped, as a log file is stored.
func Gzip(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
