package rootfs

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// On Linux a file beneath the root opens in one openat2 call, a missing
// one is reported missing by it, and a path that leads out of the root is
// left to the os.Root (which refuses it).
func TestOpensBeneathTheRootInOneCall(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(root, "AWSLogs", "1"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(root, "AWSLogs", "1", "a.json"), []byte("a"), 0o644))
	require.NoError(t, os.Symlink(t.TempDir(), filepath.Join(root, "AWSLogs", "out")))
	r, err := os.OpenRoot(root)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	d := New(r)
	t.Cleanup(func() { d.Close() })

	f, ok, err := d.rd.openRead("AWSLogs/1/a.json")
	require.True(t, ok, "openat2 did not answer for a file beneath the root (is the call filtered here?)")
	require.NoError(t, err)
	b, err := io.ReadAll(f)
	require.NoError(t, err)
	assert.Equal(t, "a", string(b))
	require.NoError(t, f.Close())

	_, ok, err = d.rd.openRead("AWSLogs/1/missing.json")
	assert.True(t, ok)
	assert.ErrorIs(t, err, fs.ErrNotExist)

	_, ok, _ = d.rd.openRead("AWSLogs/out/x.json")
	assert.False(t, ok, "a path out of the root must go to the os.Root")
	_, err = d.OpenRead("AWSLogs/out/x.json")
	assert.ErrorContains(t, err, "escapes")
}
