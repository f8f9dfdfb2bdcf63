//go:build !linux

package rootfs

import "os"

// rootDir opens files beneath the root in one call where the system has
// one (see open_linux.go); elsewhere the os.Root opens them.
type rootDir struct{}

func openRootDir(*os.Root) rootDir { return rootDir{} }

func (rootDir) openRead(string) (*os.File, bool, error) { return nil, false, nil }

func (rootDir) close() error { return nil }
