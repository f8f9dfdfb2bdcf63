package main

import (
	"fmt"
	"os"

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
	f, err := os.Open(path)
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
