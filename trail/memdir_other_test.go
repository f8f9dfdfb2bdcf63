//go:build !linux

package trail_test

import "testing"

// memTempDir is t.TempDir() where there is no /dev/shm (see
// memdir_linux_test.go).
func memTempDir(t testing.TB) string {
	t.Helper()
	return t.TempDir()
}
