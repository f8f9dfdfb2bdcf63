package sink_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/sinktest"
	"github.com/trailkit/trailkit/sink"
)

// Concurrent PutIfAbsent calls through separate Dirs on one directory (as
// separate processes would): exactly one wins, the object is the winner's
// body with the winner's metadata, and no temporary file is left.
func TestDirPutIfAbsent(t *testing.T) {
	root := t.TempDir()
	d, err := sink.NewDir(root, sink.DirOptions{})
	require.NoError(t, err)
	sinktest.ExclusivePuts(t, d, func(int) sink.ExclusiveSink {
		d, err := sink.NewDir(root, sink.DirOptions{})
		require.NoError(t, err)
		return d
	}, 20)
	require.NoError(t, filepath.WalkDir(root, func(path string, e os.DirEntry, err error) error {
		require.NoError(t, err)
		assert.NotContains(t, e.Name(), ".tmp-", "temporary file left: %s", path)
		return nil
	}))
}

// A claim left by a process killed between its two links blocks the key
// for a minute, then the next PutIfAbsent takes the key.
func TestDirPutIfAbsentStaleClaim(t *testing.T) {
	ctx := context.Background()
	d, err := sink.NewDir(t.TempDir(), sink.DirOptions{})
	require.NoError(t, err)
	const key = "a/b.json.gz"
	meta := filepath.Join(d.Root(), sink.MetadataDir, "a", "b.json.gz.meta")
	require.NoError(t, os.MkdirAll(filepath.Dir(meta), 0o755))
	require.NoError(t, os.WriteFile(meta, []byte(`{}`), 0o644))
	require.ErrorIs(t, d.PutIfAbsent(ctx, sink.Object{Key: key, Body: []byte("x")}), sink.ErrExists, "a fresh claim holds the key")
	old := time.Now().Add(-2 * time.Minute)
	require.NoError(t, os.Chtimes(meta, old, old))
	require.NoError(t, d.PutIfAbsent(ctx, sink.Object{Key: key, Body: []byte("x"), Metadata: map[string]string{"k": "v"}}))
	body, info, err := sink.ReadAll(ctx, d, key, 1<<30)
	require.NoError(t, err)
	assert.Equal(t, "x", string(body))
	assert.Equal(t, "v", info.Metadata["k"])
	require.ErrorIs(t, d.PutIfAbsent(ctx, sink.Object{Key: key, Body: []byte("y")}), sink.ErrExists)
}
