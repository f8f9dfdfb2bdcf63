package main

import (
	"fmt"
	"os"
	"syscall"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
)

// loadMatcher reads a --selectors FILE (one JSON object as
// get-event-selectors prints it) and returns its matcher; nil when path is
// empty. A configuration CloudTrail would refuse is a usage error that
// prints the exception name and message, exit status 2.
func loadMatcher(path string) (func(*event.Record) bool, error) {
	if path == "" {
		return nil, nil
	}
	f, err := openRegular(path)
	if err != nil {
		return nil, usagef("--selectors: %v", err)
	}
	defer f.Close()
	cfg, err := selector.ReadConfig(f)
	if err == nil {
		var m *selector.Matcher
		if m, err = selector.Compile(cfg, selector.Options{}); err == nil {
			return m.Match, nil
		}
	}
	return nil, exitError{code: 2, err: fmt.Errorf("%s: %w", path, err)}
}

// openRegular opens a configuration file (selectors), which must be a
// regular file: opening a FIFO nobody writes to would wait forever.
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = fmt.Errorf("%s: not a regular file (%v)", path, fi.Mode().Type())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
