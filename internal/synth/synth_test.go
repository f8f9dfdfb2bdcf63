package synth_test

import (
	"bytes"
	"io/fs"
	"path/filepath"
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

func TestWriteTrail(t *testing.T) {
	root := t.TempDir()
	files, err := synth.New(3, start).WriteTrail(root, synth.TrailOptions{Records: 3000, Span: 24 * time.Hour, Regions: 2, LateOneIn: 20, LateMax: 48 * time.Hour})
	require.NoError(t, err)
	var paths []string
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return err
	}))
	assert.Len(t, paths, files)
	assert.Greater(t, files, 2*24*12/2, "about one file per region and five minutes")
	n, late := 0, 0
	for _, p := range paths {
		day := filepath.Base(filepath.Dir(p))
		for r, err := range event.ReadFile(p) {
			require.NoError(t, err)
			n++
			if r.EventTime.Format("02") != day {
				late++
			}
			assert.Contains(t, p, "/"+r.AWSRegion+"/", "a record is in a file of its region")
		}
	}
	assert.Equal(t, 3000, n)
	assert.Greater(t, late, 30, "records delivered on a later day than their eventTime")
}
