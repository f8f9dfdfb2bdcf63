package trail_test

import (
	"os"
	"syscall"
	"testing"
)

// memTempDir is a temporary directory in memory (the tmpfs /dev/shm, when
// it has room for a spool's write-ahead segments), else t.TempDir(): for
// a spool whose fsyncs a test does not depend on (it stops and starts
// trails, it does not crash them), as on a disk each fsync waits a
// millisecond or more.
func memTempDir(t testing.TB) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil || st.Bavail*uint64(st.Bsize) < 1<<30 {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("/dev/shm", "trailkit-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Error(err)
		}
	})
	return dir
}
