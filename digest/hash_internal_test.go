package digest

import (
	"bytes"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
)

// TestTrailingDataIsOneSentinel: a log file with bytes after its gzip
// stream is reported with the sentinel event.Scanner uses for the same
// condition.
func TestTrailingDataIsOneSentinel(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, err := zw.Write([]byte(`{"Records":[]}`))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	buf.WriteString("appended")
	var lh logHasher
	_, readErr, err := lh.sum(&buf)
	require.NoError(t, readErr)
	assert.ErrorIs(t, err, event.ErrTrailingData)
	assert.ErrorContains(t, err, "(8 bytes)")
}
