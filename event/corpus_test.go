package event_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
)

// corpusDir is where CI and developers keep the shared corpus, beside the
// checkout.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "shared", "corpus"))
	require.NoError(t, err)
	_, err = os.Stat(filepath.Join(dir, "records.jsonl"))
	require.NoError(t, err, "the shared corpus must be beside the checkout (../shared/corpus)")
	return dir
}

// corpusLines returns the lines of a JSON Lines file in the corpus.
func corpusLines(t testing.TB, name string) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir(t), name))
	require.NoError(t, err)
	defer f.Close()
	var lines [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			lines = append(lines, bytes.Clone(sc.Bytes()))
		}
	}
	require.NoError(t, sc.Err())
	return lines
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
	require.Len(t, lines, 3655)
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
