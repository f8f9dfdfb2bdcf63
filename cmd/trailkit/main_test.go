package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// result is what a command line produced.
type result struct {
	code           int
	stdout, stderr string
}

// runIn runs a command line in process, with stdin as standard input.
func runIn(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var stdout, stderr bytes.Buffer
	e := &env{stdin: stdin, stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	code := run(context.Background(), e, args)
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func TestRunCommandLine(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // substring
		stderr     string // substring; "" means stderr must be empty
		stdoutNone bool
	}{
		{"no command prints the help", nil, 2, "Commands:", "", false},
		{"help", []string{"help"}, 0, "cat ", "", false},
		{"--help", []string{"--help"}, 0, "Usage: trailkit COMMAND", "", false},
		{"-h", []string{"-h"}, 0, "Commands:", "", false},
		{"unknown command", []string{"bogus"}, 2, "", `trailkit: unknown command "bogus" (run 'trailkit help')`, true},
		{"cat --help", []string{"cat", "--help"}, 0, "Usage: trailkit cat [--count] [--selectors FILE] [--sqs-queue-url URL [--follow]] PATH...", "", false},
		{"cat -h lists the flags", []string{"cat", "-h"}, 0, "-count", "", false},
		{"cat without PATH", []string{"cat"}, 2, "", "trailkit cat: no PATH given (run 'trailkit cat --help')", true},
		{"cat with an unknown flag", []string{"cat", "--bogus", "x"}, 2, "", "flag provided but not defined: -bogus", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(t, nil, tt.args...)
			assert.Equal(t, tt.code, r.code)
			if tt.stdoutNone {
				assert.Empty(t, r.stdout)
			} else {
				assert.Contains(t, r.stdout, tt.stdout)
			}
			if tt.stderr == "" {
				assert.Empty(t, r.stderr)
			} else {
				assert.Contains(t, r.stderr, tt.stderr)
				assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
			}
		})
	}
}

// TestEveryCommandIsListed: the help lists each registered command with
// its summary.
func TestEveryCommandIsListed(t *testing.T) {
	r := runIn(t, nil, "help")
	for name, c := range commands {
		assert.Contains(t, r.stdout, name)
		assert.Contains(t, r.stdout, c.summary)
	}
}
