package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/detect"
)

// TestFindingWriterOrderAcrossBuffers writes findings enough to fill many
// buffers, one of them larger than a buffer is kept at, and reads every
// finding back, whole and in order.
func TestFindingWriterOrderAcrossBuffers(t *testing.T) {
	rule := &detect.Rule{ID: "r1", Title: "T", Level: "high", Source: "sigma"}
	var out bytes.Buffer
	w := newFindingWriter(&out, false)
	const n = 3000
	pad := strings.Repeat("x", 2000)
	huge := strings.Repeat("y", 5*findingBuffer)
	for i := range n {
		p := pad
		if i == n/2 {
			p = huge
		}
		rec := fmt.Sprintf(`{"i":%d,"pad":%q}`, i, p)
		w.write(detect.JSONFinding{Rule: rule, Record: []byte(rec), EventID: fmt.Sprint("e", i), EventName: "N", EventTime: "T"})
		require.NoError(t, w.err)
	}
	require.NoError(t, w.close())
	require.NoError(t, w.close(), "a second close")
	require.Greater(t, out.Len(), 8*findingBuffer, "the findings filled many buffers")
	dec := json.NewDecoder(&out)
	for i := range n {
		var f struct {
			RuleID  string `json:"rule_id"`
			EventID string `json:"eventID"`
			Record  struct {
				I   int    `json:"i"`
				Pad string `json:"pad"`
			} `json:"record"`
		}
		require.NoError(t, dec.Decode(&f), "finding %d", i)
		require.Equal(t, i, f.Record.I)
		require.Equal(t, fmt.Sprint("e", i), f.EventID)
		require.Equal(t, "r1", f.RuleID)
		require.Len(t, f.Record.Pad, map[bool]int{true: len(huge), false: len(pad)}[i == n/2])
	}
	assert.False(t, dec.More(), "nothing after the last finding")
}

// failAfter accepts its first n writes and fails every one after.
type failAfter struct{ n int }

var errFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errFull
	}
	f.n--
	return len(p), nil
}

// TestFindingWriterWriteError sees a write error reach the goroutine that
// writes findings, which then stops, and close return it.
func TestFindingWriterWriteError(t *testing.T) {
	rule := &detect.Rule{ID: "r1", Title: "T", Level: "high", Source: "sigma"}
	w := newFindingWriter(&failAfter{n: 1}, false)
	rec := []byte(`{"pad":"` + strings.Repeat("x", 4000) + `"}`)
	written := 0
	for w.err == nil && written < 1000*findingBuffer {
		w.write(detect.JSONFinding{Rule: rule, Record: rec})
		written += len(rec)
	}
	require.ErrorIs(t, w.err, errFull, "scanning stops within a few buffers of the failed write")
	assert.ErrorContains(t, w.err, "write: disk full")
	assert.ErrorIs(t, w.close(), errFull)
}
