package digest_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
)

// Decode allocates a small multiple of what a body inflates to, however
// much that is: an honest body is inflated into one buffer of the size its
// trailer records, and a body whose trailer lies into a buffer that
// doubles. Before, the buffer grew by a quarter at a time: a body of
// 31 MiB of spaces allocated 228 MB (7 times) and took ten times as long
// to decode as to inflate, which slowed fuzzing to a crawl.
func TestDecodeAllocationBounded(t *testing.T) {
	tests := []struct {
		mib  int
		lie  bool    // the trailer records a size of 0
		most float64 // bytes allocated per byte inflated
	}{
		{1, false, 2.5}, {8, false, 2.5}, {31, false, 2.5},
		{1, true, 5.5}, {8, true, 5.5}, {31, true, 5.5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d MiB, lying trailer %v", tt.mib, tt.lie), func(t *testing.T) {
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, err := zw.Write(bytes.Repeat([]byte(" "), tt.mib<<20))
			require.NoError(t, err)
			require.NoError(t, zw.Close())
			body := buf.Bytes()
			if tt.lie {
				binary.LittleEndian.PutUint32(body[len(body)-4:], 0)
			}
			digest.Decode(body) // warm the pool of gzip readers
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err = digest.Decode(body)
			runtime.ReadMemStats(&after)
			require.ErrorIs(t, err, digest.ErrFormat) // spaces are no digest
			allocated := float64(after.TotalAlloc - before.TotalAlloc)
			assert.LessOrEqual(t, allocated/float64(tt.mib<<20), tt.most, "%.0f bytes allocated", allocated)
		})
	}
}
