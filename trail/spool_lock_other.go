//go:build !unix

package trail

import (
	"fmt"
	"os"
)

// lockDir creates dir's LOCK file. Without flock, nothing keeps a second
// trail from the spool on this platform.
func lockDir(root *os.Root, dir string) (*os.File, error) {
	f, err := root.OpenFile("LOCK", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool %s: %w", dir, err)
	}
	return f, nil
}

func unlockDir(f *os.File) error { return f.Close() }
