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

// OpenRead reads files beneath the root, following links that stay in it,
// and refuses every path that leads out: a link to a file outside, a
// directory on the path that is a link to outside, "..", an absolute
// path.
func TestOpenReadStaysBeneathTheRoot(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	outside := filepath.Join(dir, "outside")
	for _, d := range []string{filepath.Join(root, "a"), outside} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(root, "a", "in.json"), []byte("in"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret.json"), []byte("secret"), 0o644))
	require.NoError(t, os.Symlink("in.json", filepath.Join(root, "a", "link.json")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.json"), filepath.Join(root, "a", "out.json")))
	require.NoError(t, os.Symlink(outside, filepath.Join(root, "outdir")))
	r, err := os.OpenRoot(root)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	d := New(r)
	t.Cleanup(func() { assert.NoError(t, d.Close()) })

	for _, name := range []string{"a/in.json", "a/link.json"} {
		f, err := d.OpenRead(name)
		require.NoError(t, err, name)
		b, err := io.ReadAll(f)
		require.NoError(t, err)
		assert.Equal(t, "in", string(b), name)
		require.NoError(t, f.Close())
	}
	for _, name := range []string{"a/out.json", "outdir/secret.json", "../outside/secret.json", filepath.Join(outside, "secret.json")} {
		f, err := d.OpenRead(name)
		if f != nil {
			f.Close()
		}
		require.Error(t, err, "%s was opened", name)
		assert.NotErrorIs(t, err, fs.ErrNotExist, name)
		assert.Contains(t, err.Error(), "escapes", name)
	}
	_, err = d.OpenRead("a/missing.json")
	assert.ErrorIs(t, err, fs.ErrNotExist)
}
