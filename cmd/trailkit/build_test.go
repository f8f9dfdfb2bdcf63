package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// built is the trailkit binary the tests run, built once per test run:
// linking it takes seconds on a loaded machine, and some twenty tests run
// it.
var built struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		if err := os.RemoveAll(built.dir); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}
	os.Exit(code)
}

// buildTrailkit returns the path of the trailkit binary built from this
// package, building it on the first call.
func buildTrailkit(tb testing.TB) string {
	tb.Helper()
	if testing.Short() {
		// The binary is built without the race detector, so under make
		// race (which runs -short) these tests would see no race; they
		// run in make test.
		tb.Skip("runs the trailkit binary, built without -race; runs in make test")
	}
	built.once.Do(func() {
		dir, err := os.MkdirTemp("", "trailkit-test-bin-")
		if err != nil {
			built.err = err
			return
		}
		built.dir = dir
		bin := filepath.Join(dir, "trailkit")
		if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
			built.err = fmt.Errorf("go build: %w\n%s", err, out)
			return
		}
		built.bin = bin
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	return built.bin
}
