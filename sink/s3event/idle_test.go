package s3event_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/s3stall"
	"github.com/trailkit/trailkit/sink/s3event"
)

// An announced log file that S3 stops sending (no answer at all, or a body
// that stalls after its first bytes) fails after ReadIdleTimeout with an
// ObjectError naming it and wrapping ErrIdleTimeout, although the context
// has no deadline; the next file is read.
func TestRecordsIdleTimeout(t *testing.T) {
	const idle = 300 * time.Millisecond
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write([]byte(`{"Records":[{"eventVersion":"1.08","eventID":"e-1","eventName":"GetObject","eventTime":"2026-03-01T00:00:00Z"}]}`))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	client := s3stall.Start(t, gz.Bytes(), idle/6)
	ev := notification(t, "bucket-i",
		[2]string{"ObjectCreated:Put", prefix + "headers.json.gz"},
		[2]string{"ObjectCreated:Put", prefix + "body.json.gz"},
		[2]string{"ObjectCreated:Put", prefix + "whole.json.gz"},
	)
	start := time.Now()
	var errs []error
	var ids []string
	for rec, err := range s3event.Records(context.Background(), client, ev, s3event.Options{ReadIdleTimeout: idle}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		ids = append(ids, rec.EventID)
	}
	took := time.Since(start)
	require.Len(t, errs, 2, "%v", errs)
	for i, key := range []string{"headers.json.gz", "body.json.gz"} {
		var oe *s3event.ObjectError
		require.True(t, errors.As(errs[i], &oe), "%v", errs[i])
		assert.Equal(t, "my logs+archive/AWSLogs/111111111111/CloudTrail/eu-central-1/2017/12/11/"+key, oe.Key)
		assert.ErrorIs(t, errs[i], s3event.ErrIdleTimeout)
		assert.Contains(t, errs[i].Error(), "S3 sent nothing for 300ms")
	}
	assert.Equal(t, []string{"e-1"}, ids, "the file after the stalled ones is read")
	assert.Less(t, took, 10*idle, "two stalls of %v took %v", idle, took)
	t.Logf("two stalled objects failed in %v: %v", took, errors.Join(errs...))
}
