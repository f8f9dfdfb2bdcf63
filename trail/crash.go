package trail

import "os"

// crashAt is the point at which crashPoint kills the process, from the
// environment variable TRAILKIT_CRASH_AT: crash tests use it to kill a
// writer at a precise moment, such as right after a digest put
// ("digest-put"). Empty (the normal case) costs one comparison.
var crashAt = os.Getenv("TRAILKIT_CRASH_AT")

// crashPoint kills the process with SIGKILL (TerminateProcess on Windows)
// when point is the configured crash point: nothing is flushed, as in a
// real crash.
func crashPoint(point string) {
	if crashAt == "" || crashAt != point {
		return
	}
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Kill()
	}
	select {} // the signal is on its way
}
