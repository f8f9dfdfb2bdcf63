package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openPTY opens a pseudo-terminal pair: what the command writes to tty
// arrives on master.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err, "a pseudo-terminal is needed to show the progress bar")
	var unlock int32
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock)))
	require.Zero(t, errno, "unlock pty")
	var n uint32
	_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n)))
	require.Zero(t, errno, "pty number")
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	require.NoError(t, err)
	t.Cleanup(func() { master.Close(); tty.Close() })
	return master, tty
}

// TestProgressOnATerminal runs replay with standard error on a terminal:
// the bar shows files, records and bytes, and is cleared at the end; with
// --quiet, or with standard error not a terminal, nothing is drawn.
func TestProgressOnATerminal(t *testing.T) {
	bin := buildTrailkit(t)
	input := filepath.Join(corpusDir(t), "records.jsonl")
	replay := func(t *testing.T, extra ...string) (stdout string, terminal string) {
		master, tty := openPTY(t)
		args := append([]string{"replay", "--account-id", "111122223333", "--region", "us-east-1", "--trail-name", "bar", "--all",
			"--dir", t.TempDir()}, extra...)
		cmd := exec.Command(bin, append(args, input)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, tty
		require.NoError(t, cmd.Start())
		tty.Close() // the child holds its own copy
		var screen bytes.Buffer
		done := make(chan struct{})
		go func() { io.Copy(&screen, master); close(done) }()
		_ = cmd.Wait() // some corpus records cannot be filed: exit 1, reported on stderr
		master.Close()
		<-done
		return out.String(), screen.String()
	}
	t.Run("terminal", func(t *testing.T) {
		stdout, screen := replay(t)
		assert.Contains(t, stdout, "records read")
		assert.Contains(t, screen, "\r\x1b[K", "the bar redraws its line")
		assert.Regexp(t, `\d+ files  \d+ records  [\d.]+ [kM]?B`, screen)
		assert.NotContains(t, stdout, "\x1b[K", "standard output stays clean")
	})
	t.Run("quiet", func(t *testing.T) {
		_, screen := replay(t, "--quiet")
		assert.False(t, strings.Contains(screen, "\x1b[K"), "no bar with --quiet: %q", screen)
	})
}
