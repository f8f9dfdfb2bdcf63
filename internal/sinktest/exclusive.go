// Package sinktest holds the tests that every sink of a kind must pass,
// each written once and called by the tests of each sink.
package sinktest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/sink"
)

// ExclusivePuts has 8 writers race to PutIfAbsent one key, in each of
// rounds rounds (a new key each): exactly one succeeds, the others fail
// with errors wrapping sink.ErrExists, and the object read back through
// store is the winner's body with the winner's metadata. writer(i) returns
// what writer i puts through: a sink of its own (as a process of its own
// would have) or one shared by all; it is called before the race. It
// returns the keys written.
func ExclusivePuts(t *testing.T, store sink.Store, writer func(i int) sink.ExclusiveSink, rounds int) []string {
	t.Helper()
	ctx := context.Background()
	var keys []string
	for round := range rounds {
		key := fmt.Sprintf("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/02/d%d.json.gz", round)
		keys = append(keys, key)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			w := writer(i)
			wg.Go(func() {
				errs[i] = w.PutIfAbsent(ctx, sink.Object{Key: key, Body: []byte{byte(i)}, Metadata: map[string]string{"who": fmt.Sprint(i)}})
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
		body, info, err := sink.ReadAll(ctx, store, key, 1<<30)
		require.NoError(t, err)
		assert.Equal(t, []byte{byte(winner)}, body)
		assert.Equal(t, fmt.Sprint(winner), info.Metadata["who"])
	}
	return keys
}
