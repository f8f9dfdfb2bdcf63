package rootfs

import (
	"os"
	"syscall"
	"unsafe"
)

// openHow is struct open_how of openat2(2).
type openHow struct {
	flags, mode, resolve uint64
}

const (
	sysOpenat2          = 437 // the same number on every Linux architecture since 5.6
	resolveNoMagiclinks = 0x02
	resolveBeneath      = 0x08
)

// rootDir is the root directory, open, for openat2 to resolve paths from.
type rootDir struct{ f *os.File }

func openRootDir(r *os.Root) rootDir {
	f, err := r.Open(".")
	if err != nil {
		return rootDir{}
	}
	return rootDir{f}
}

// openRead opens name, a path relative to the root, for reading with one
// openat2 call that the kernel keeps beneath the root (RESOLVE_BENEATH:
// no "..", symbolic link or absolute path leads out of it), where os.Root
// opens each directory of the path in turn: a lookup over thousands of
// small log files spent more time in those calls than in reading the
// files. A missing file is an error as os.Root reports it. ok is false
// when openat2 cannot answer otherwise (an old kernel, a filter that
// refuses the call, a path it will not resolve beneath the root): the
// caller then opens through the os.Root, whose answer is the one given.
func (r rootDir) openRead(name string) (f *os.File, ok bool, err error) {
	if r.f == nil {
		return nil, false, nil
	}
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return nil, false, nil
	}
	how := openHow{flags: syscall.O_RDONLY | syscall.O_CLOEXEC | syscall.O_NONBLOCK, resolve: resolveBeneath | resolveNoMagiclinks}
	conn, err := r.f.SyscallConn()
	if err != nil {
		return nil, false, nil
	}
	fd, errno := uintptr(0), syscall.Errno(0)
	cerr := conn.Control(func(dirfd uintptr) {
		fd, _, errno = syscall.Syscall6(sysOpenat2, dirfd, uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&how)), unsafe.Sizeof(how), 0, 0)
	})
	switch {
	case cerr != nil:
		return nil, false, nil
	case errno == syscall.ENOENT || errno == syscall.ENOTDIR:
		// Missing beneath the root is missing: os.Root would walk to
		// the same end.
		return nil, true, &os.PathError{Op: "openat", Path: name, Err: errno}
	case errno != 0:
		return nil, false, nil
	}
	return os.NewFile(fd, name), true, nil
}

func (r rootDir) close() error {
	if r.f == nil {
		return nil
	}
	return r.f.Close()
}
