package event_test

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/testdata"
)

// corpusDir is the corpus of internal/testdata, written to a temporary
// directory.
func corpusDir(t testing.TB) string {
	t.Helper()
	return testdata.Dir(t, ".")
}

// corpusLines returns the lines of a JSON Lines file in the corpus.
func corpusLines(t testing.TB, name string) [][]byte {
	t.Helper()
	return testdata.Lines(t, name)
}

// tokens lists the JSON tokens of data as encoding/json sees them, with
// numbers as their text. Two documents with equal token lists have the same
// keys in the same order (duplicates included), the same strings and the
// same number text: that is what "lossless" means here.
func tokens(t testing.TB, data []byte) []any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var out []any
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		out = append(out, tok)
	}
}

func TestCorpusRoundTripIsLossless(t *testing.T) {
	lines := corpusLines(t, "records.jsonl")
	require.Len(t, lines, 3630)
	for n, line := range lines {
		var r event.Record
		require.NoError(t, event.Unmarshal(line, &r), "records.jsonl line %d", n+1)
		out := r.AppendJSON(nil)
		if !assert.Equal(t, tokens(t, line), tokens(t, out), "records.jsonl line %d", n+1) {
			t.Logf("in:  %s\nout: %s", line, out)
			return
		}
		assert.NotContains(t, string(out), "\n", "line %d: output must be one line", n+1)
	}
}
