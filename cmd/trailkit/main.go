// Command trailkit emits, delivers, reads and validates CloudTrail-compatible
// audit logs. Run "trailkit help" for the commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"
)

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch, so tests can run commands in process.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	isTerminal     bool
}

var commands = map[string]command{}

// register adds a command; each command's file registers itself.
func register(name, summary string, run func(ctx context.Context, env *env, args []string) error) {
	commands[name] = command{summary: summary, run: run}
}

// usageError is a mistake in how the command was called: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// exitError carries an exit status for outcomes that are not failures of
// trailkit itself, such as "some log files are invalid" (1).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		// Collect harder near the limit rather than grow past it: every
		// command stays under 256 MiB whatever its input.
		debug.SetMemoryLimit(memoryLimit)
	}
	fi, _ := os.Stdout.Stat()
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		isTerminal: fi != nil && fi.Mode()&os.ModeCharDevice != 0}
	os.Exit(runWithSignals(e, os.Args[1:]))
}

// memoryLimit is the Go runtime's soft memory limit for a command.
const memoryLimit = 192 << 20

// stopGrace is how long a command has, after SIGINT or SIGTERM, to stop on
// its own (replay closes its trail in stopClose of it) before the process
// exits anyway: every command stops within a second.
const (
	stopGrace = 900 * time.Millisecond
	stopClose = 600 * time.Millisecond
)

// runWithSignals runs the command line, canceling its context on SIGINT or
// SIGTERM. The command then has stopGrace to finish, reporting what it did;
// the exit status is 128 + the signal's number (130, 143), as shells set
// it. A second signal exits at once.
func runWithSignals(e *env, args []string) int {
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	done := make(chan int, 1)
	go func() { done <- run(ctx, e, args) }()
	var sig os.Signal
	select {
	case code := <-done:
		return code
	case sig = <-sigs:
	}
	cancel(fmt.Errorf("stopped by %v", sig))
	status := 128 + int(sig.(syscall.Signal))
	timer := time.NewTimer(stopGrace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		fmt.Fprintf(e.stderr, "trailkit %s: stopped by %v\n", args[0], sig)
	case <-sigs:
	}
	return status
}

// run executes one command line and returns the exit status.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		printHelp(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "trailkit: unknown command %q (run 'trailkit help')\n", args[0])
		return 2
	}
	err := cmd.run(ctx, e, args[1:])
	if err != nil && ctx.Err() != nil {
		// Stopped by a signal: say so, not "context canceled".
		err = context.Cause(ctx)
	}
	var ue usageError
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "trailkit %s: %s (run 'trailkit %s --help')\n", args[0], ue.msg, args[0])
		return 2
	case errors.As(err, &ee):
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintf(e.stderr, "trailkit %s: %v\n", args[0], ee.err)
		}
		return ee.code
	default:
		fmt.Fprintf(e.stderr, "trailkit %s: %v\n", args[0], err)
		return 1
	}
}

func printHelp(w io.Writer) {
	fmt.Fprintln(w, "trailkit: CloudTrail-compatible audit logs\n\nUsage: trailkit COMMAND [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'trailkit COMMAND --help' for a command's flags.")
}

// stringsFlag is a repeatable flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// flags is a command's flag set with its help text.
type flags struct {
	*flag.FlagSet
	help func()
}

// newFlags returns flags that report errors instead of exiting or printing;
// parse prints the help when asked for it.
func newFlags(e *env, name, usage string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flags{FlagSet: fs, help: func() {
		fmt.Fprintf(e.stdout, "Usage: trailkit %s %s\n\nFlags:\n", name, usage)
		fs.SetOutput(e.stdout)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}}
}

// parse parses args, turning flag errors into usage errors and printing the
// help for -h.
func (f *flags) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			f.help()
			return flag.ErrHelp
		}
		return usageError{strings.TrimSpace(err.Error())}
	}
	return nil
}
