package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/trailkit/trailkit/trail/history"
)

// defaultCacheDir is trailkit's directory in the user's cache directory
// ($XDG_CACHE_HOME, else ~/.cache), or "" when there is neither.
func defaultCacheDir(e *env) string {
	if d := e.getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "trailkit")
	}
	if h := e.getenv("HOME"); h != "" {
		return filepath.Join(h, ".cache", "trailkit")
	}
	return ""
}

// lookupCache is the file that keeps a stored trail's log file summaries
// between runs of lookup: one file per trail location, outside the trail,
// so that nothing other readers of the trail see changes.
type lookupCache struct{ path string }

func summaryCache(dir, trailDir, s3url, endpoint string) lookupCache {
	if dir == "" {
		return lookupCache{}
	}
	where := s3url + "\x00" + endpoint
	if trailDir != "" {
		abs, err := filepath.Abs(trailDir)
		if err != nil {
			abs = trailDir
		}
		where = abs
	}
	sum := sha256.Sum256([]byte(where))
	return lookupCache{path: filepath.Join(dir, "lookup", hex.EncodeToString(sum[:12])+".summaries")}
}

// load returns the saved summaries, or new ones when there are none or
// they cannot be read (said on stderr: they are rebuilt as files are read).
func (c lookupCache) load(e *env) *history.Summaries {
	s := history.NewSummaries()
	if c.path == "" {
		return s
	}
	f, err := os.Open(c.path)
	if errors.Is(err, fs.ErrNotExist) {
		return s
	}
	if err == nil {
		_, err = s.ReadFrom(f)
		f.Close()
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "trailkit: lookup: summaries %s: %v (rebuilding them)\n", c.path, err)
		return history.NewSummaries()
	}
	return s
}

// save writes the summaries if the lookup added any: to a temporary file
// renamed into place, so that concurrent lookups each read a whole file.
// A failure is said on stderr; the lookup's answer stands.
func (c lookupCache) save(e *env, s *history.Summaries) {
	if c.path == "" || !s.Changed() {
		return
	}
	if err := c.write(s); err != nil {
		fmt.Fprintf(e.stderr, "trailkit: lookup: saving summaries: %v\n", err)
	}
}

func (c lookupCache) write(s *history.Summaries) error {
	if err := os.MkdirAll(filepath.Dir(c.path), 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(c.path), ".summaries-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := s.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), c.path)
}
