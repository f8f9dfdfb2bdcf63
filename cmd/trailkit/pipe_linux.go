package main

import (
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// fSetPipeSize is Linux's F_SETPIPE_SZ (F_LINUX_SPECIFIC_BASE + 7), which
// the syscall package does not name.
const fSetPipeSize = 1024 + 7

// growPipe enlarges the pipe w writes into, when it is one, to at most
// size bytes (and at most what /proc/sys/fs/pipe-max-size allows). A
// command that prints hundreds of megabytes into a 64 KiB pipe blocks and
// is woken again for every 64 KiB its reader takes; a pipe of a megabyte
// lets the two run side by side, with a sixteenth of the hand-overs. It
// does nothing when it cannot: the pipe then works as before.
func growPipe(w io.Writer, size int) {
	f, ok := w.(*os.File)
	if !ok {
		return
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		return
	}
	if b, err := os.ReadFile("/proc/sys/fs/pipe-max-size"); err == nil {
		if max, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && max < size {
			size = max
		}
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		// An error (EPERM past the user's quota of pipe pages, EBUSY)
		// leaves the pipe as it was, which is correct, only slower.
		_, _, _ = syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSize, uintptr(size))
	})
}
