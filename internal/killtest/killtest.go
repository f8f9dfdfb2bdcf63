// Package killtest kills a worker with SIGKILL in the middle of its work,
// for the tests that show that what a trail acknowledged survives: the
// test binary, re-executed as a child, emits records and prints "ack
// <id>" for each one acknowledged; the parent reads the lines, kills the
// child after n of them and checks that every acknowledged id is
// delivered.
package killtest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// EmitUntilKilled is the child's side: it calls emit from workers
// goroutines, each with its worker number and a count from 0, and prints
// "ack <id>" on standard output (unbuffered: a line printed is a line the
// parent can read) for each call that returned no error, until the process
// is killed. An error is printed on standard error and the worker goes
// on.
func EmitUntilKilled(workers int, emit func(worker, i int) (id string, err error)) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := 0; ; i++ {
				id, err := emit(w, i)
				if err != nil {
					fmt.Fprintln(os.Stderr, "emit:", err)
					continue
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %s\n", id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

// RunAndKill is the parent's side: it starts the test binary, running no
// test, with env added to the environment (which tells its TestMain to be
// a child), kills it with SIGKILL as soon as kill, called after each line
// the child prints with the number of records acknowledged so far, says
// so, and returns every id the child acknowledged. It fails the test if
// the child ends before or dies of anything else.
func RunAndKill(t testing.TB, env []string, kill func(line string, acked int) bool) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var acked []string
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		if id, ok := strings.CutPrefix(sc.Text(), "ack "); ok {
			acked = append(acked, id)
		}
		if !killed && kill(sc.Text(), len(acked)) {
			require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
			killed = true
		}
	}
	err = cmd.Wait()
	require.True(t, killed, "child ended before it was to be killed (%d acknowledgements): %v\n%s", len(acked), err, stderr.String())
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.True(t, ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL, "child killed by SIGKILL: %v", cmd.ProcessState)
	return acked
}

// AfterAcks is a kill function for RunAndKill: the child dies once it has
// acknowledged n records.
func AfterAcks(n int) func(line string, acked int) bool {
	return func(_ string, acked int) bool { return acked >= n }
}
