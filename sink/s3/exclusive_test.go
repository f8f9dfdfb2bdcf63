package s3_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/trailkit/trailkit/internal/sinktest"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// Concurrent conditional writes of one key against MinIO: exactly one
// succeeds, the others fail with sink.ErrExists (or, on S3, a conflict to
// retry), and the object is the winner's.
func TestS3PutIfAbsent(t *testing.T) {
	s, _, _ := newS3(t, s3sink.Options{})
	keys := sinktest.ExclusivePuts(t, s, func(int) sink.ExclusiveSink { return s }, 5)
	err := s.PutIfAbsent(context.Background(), sink.Object{Key: keys[0]})
	assert.True(t, errors.Is(err, sink.ErrExists), "%v", err)
	assert.ErrorContains(t, err, "put if absent s3://trail-bucket/"+keys[0])
}
