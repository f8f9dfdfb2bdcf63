//go:build unix

package benchmeter

import (
	"syscall"
	"testing"
	"time"
)

// CPUTime is the processor time, user and system, that the process (every
// thread of it) has used so far.
func CPUTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
