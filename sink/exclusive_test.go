package sink_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/sink"
)

// Concurrent PutIfAbsent calls through separate Dirs on one directory (as
// separate processes would): exactly one wins, the object is the winner's
// body with the winner's metadata, and no temporary file is left.
func TestDirPutIfAbsent(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	for round := range 20 {
		key := fmt.Sprintf("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/02/d%d.json.gz", round)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			d, err := sink.NewDir(root, sink.DirOptions{})
			require.NoError(t, err)
			wg.Go(func() {
				errs[i] = d.PutIfAbsent(ctx, sink.Object{Key: key, Body: []byte{byte(i)}, Metadata: map[string]string{"who": fmt.Sprint(i)}})
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			if err == nil {
				require.Equal(t, -1, winner, "two winners: %d and %d", winner, i)
				winner = i
				continue
			}
			require.ErrorIs(t, err, sink.ErrExists, "writer %d", i)
		}
		require.NotEqual(t, -1, winner, "no writer won")
		d, err := sink.NewDir(root, sink.DirOptions{})
		require.NoError(t, err)
		body, info, err := sink.ReadAll(ctx, d, key, 1<<30)
		require.NoError(t, err)
		assert.Equal(t, []byte{byte(winner)}, body)
		assert.Equal(t, fmt.Sprint(winner), info.Metadata["who"])
	}
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
