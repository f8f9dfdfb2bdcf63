package sink

import (
	"context"
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
func TestDirOpensBeneathTheRootInOneCall(t *testing.T) {
	d, err := NewDir(t.TempDir(), DirOptions{})
	require.NoError(t, err)
	const key = "AWSLogs/1/CloudTrail/r/2026/01/01/a.json"
	require.NoError(t, d.Put(context.Background(), Object{Key: key, Body: []byte("a")}))
	require.NoError(t, os.Symlink(t.TempDir(), filepath.Join(d.Root(), "AWSLogs", "out")))

	f, ok, err := d.rd.openRead(objectPath(key))
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
	_, _, err = d.Get(context.Background(), "AWSLogs/out/x.json")
	assert.ErrorContains(t, err, "escapes")
}
