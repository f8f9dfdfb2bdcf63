package synth_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
)

var start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestRecordsAreRealistic(t *testing.T) {
	g := synth.New(1, start)
	var total, largest int
	categories := map[string]int{}
	for range 20000 {
		r := g.Record()
		require.NoError(t, r.Validate(), "a generated record is one CloudTrail could emit")
		n := len(r.AppendJSON(nil))
		assert.GreaterOrEqual(t, n, 1000)
		assert.LessOrEqual(t, n, 11000)
		total += n
		largest = max(largest, n)
		categories[r.EventCategory]++
	}
	mean := total / 20000
	assert.InDelta(t, 1670, mean, 100, "mean record size: 200,000 records make about 335 MB")
	assert.Greater(t, largest, 7000, "a tail of large records")
	assert.Greater(t, categories[event.CategoryData], 4000)
	assert.Greater(t, categories[event.CategoryManagement], 4000)
}

func TestGeneratorIsDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	require.NoError(t, synth.New(7, start).WriteLogFile(&a, 500))
	require.NoError(t, synth.New(7, start).WriteLogFile(&b, 500))
	assert.Equal(t, a.Bytes(), b.Bytes())

	n := 0
	for _, err := range event.Read(&a) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 500, n)
}
