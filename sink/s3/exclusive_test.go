package s3_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// Concurrent conditional writes of one key against MinIO: exactly one
// succeeds, the others fail with sink.ErrExists (or, on S3, a conflict to
// retry), and the object is the winner's.
func TestS3PutIfAbsent(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newS3(t, s3sink.Options{})
	const key = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/02/d.json.gz"
	for round := range 5 {
		key := fmt.Sprint(key, round)
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = s.PutIfAbsent(ctx, sink.Object{Key: key, Body: []byte{byte(i)}, Metadata: map[string]string{"who": fmt.Sprint(i)}})
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
		body, info, err := sink.ReadAll(ctx, s, key, 1<<30)
		require.NoError(t, err)
		assert.Equal(t, []byte{byte(winner)}, body)
		assert.Equal(t, fmt.Sprint(winner), info.Metadata["who"])
	}
	err := s.PutIfAbsent(ctx, sink.Object{Key: key + "0"})
	assert.True(t, errors.Is(err, sink.ErrExists), "%v", err)
	assert.ErrorContains(t, err, "put if absent s3://trail-bucket/"+key+"0")
}
