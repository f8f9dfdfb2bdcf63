package lake

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/synth"
)

// TestPartBase checks that a part's memory estimate, with one row written,
// is within a quarter of the heap it holds: the budget (MaxBufferedBytes)
// counts what an open file really costs, so that an input spread over many
// partitions stays under 256 MiB.
func TestPartBase(t *testing.T) {
	r := synth.New(3, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)).Record()
	for _, f := range []Format{CloudTrail, OCSF} {
		t.Run(string(f), func(t *testing.T) {
			w, err := NewWriter(nil, "x", Options{Format: f})
			require.NoError(t, err)
			const n = 50
			parts := make([]part, n)
			var before, after runtime.MemStats
			// Two collections empty parquet-go's pools (a sync.Pool
			// keeps its objects through one), which earlier tests'
			// writers filled: the parts must allocate what they hold.
			runtime.GC()
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := range parts {
				parts[i] = w.newPart()
				require.NoError(t, parts[i].add(r, &extras{}))
				require.NoError(t, parts[i].(*directTable).flush())
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			held := int64(after.HeapAlloc-before.HeapAlloc) / n
			est := parts[0].memory()
			t.Logf("%s: %d bytes held per part with a row, %d estimated", f, held, est)
			assert.InDelta(t, float64(held), float64(est), float64(held)/4)
			runtime.KeepAlive(parts)
		})
	}
}
