// Package rootfs opens files for reading beneath a root directory: the
// sink's Dir and the command's directory walks share it, so that a file
// found under a root is opened under that root, never by a path a link
// swapped in since could lead out of it.
package rootfs

import (
	"os"
	"syscall"
)

// Dir opens files for reading beneath the directory of an os.Root: in one
// openat2 call on Linux (see open_linux.go), through the os.Root
// elsewhere or when that call cannot answer.
type Dir struct {
	r  *os.Root
	rd rootDir
}

// New returns a Dir reading beneath r. It does not own r: Close closes
// what New opened, and r stays open until its owner closes it.
func New(r *os.Root) *Dir {
	return &Dir{r: r, rd: openRootDir(r)}
}

// OpenRead opens name, a slash-separated path relative to the root, for
// reading. A path that leads out of the root (a "..", an absolute link, a
// link to outside) is an error as the os.Root reports it ("path escapes
// from parent"). O_NONBLOCK: opening a FIFO must not wait for a writer;
// callers check what they opened. (The flag does nothing to regular
// files.)
func (d *Dir) OpenRead(name string) (*os.File, error) {
	if f, ok, err := d.rd.openRead(name); ok {
		return f, err
	}
	return d.r.OpenFile(name, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}

// Close closes the descriptor of the root directory New opened, not the
// os.Root.
func (d *Dir) Close() error { return d.rd.close() }
