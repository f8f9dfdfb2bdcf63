package synth_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/synth"
)

// freeForm measures records as the generator is compared with real
// trails: how often the leaf values of requestParameters and
// responseElements repeat (distinct values over values), and how well the
// records compress with gzip (bytes over gzipped bytes).
type freeForm struct {
	values []string
	text   bytes.Buffer
}

func (f *freeForm) add(t *testing.T, line []byte) {
	t.Helper()
	var r struct {
		RequestParameters json.RawMessage `json:"requestParameters"`
		ResponseElements  json.RawMessage `json:"responseElements"`
	}
	require.NoError(t, json.Unmarshal(line, &r))
	for _, raw := range []json.RawMessage{r.RequestParameters, r.ResponseElements} {
		if len(raw) == 0 {
			continue
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var v any
		require.NoError(t, d.Decode(&v))
		f.values = leaves(v, f.values)
	}
	f.text.Write(line)
	f.text.WriteByte('\n')
}

func leaves(v any, out []string) []string {
	switch v := v.(type) {
	case map[string]any:
		for _, x := range v {
			out = leaves(x, out)
		}
	case []any:
		for _, x := range v {
			out = leaves(x, out)
		}
	case nil:
	default:
		b, _ := json.Marshal(v)
		out = append(out, string(b))
	}
	return out
}

func (f *freeForm) distinct() float64 {
	seen := map[string]bool{}
	for _, v := range f.values {
		seen[v] = true
	}
	return float64(len(seen)) / float64(len(f.values))
}

func (f *freeForm) gzipRatio(t *testing.T) float64 {
	t.Helper()
	var z bytes.Buffer
	w, err := gzip.NewWriterLevel(&z, 6)
	require.NoError(t, err)
	_, err = w.Write(f.text.Bytes())
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return float64(f.text.Len()) / float64(z.Len())
}

// TestFreeFormAsRealTrails compares the generator's free-form values with
// the real records of the corpus (internal/testdata/corpus). Real trails
// name an account's resources call after call: in the corpus's largest
// real trail, 1,686 records, a tenth of the leaf values of
// requestParameters and responseElements are distinct. The generated
// records must repeat their values at most as much as the whole corpus
// does (its documentation examples with placeholder values overstate
// repetition) and at least as much as the least repetitive source of 150
// records or more; and compress with gzip no better than the whole corpus.
func TestFreeFormAsRealTrails(t *testing.T) {
	corpus, sources := readCorpus(t)
	lo := corpus.distinct()
	hi := 0.0
	for _, s := range sources {
		if len(s.lines) >= 150 {
			var f freeForm
			for _, l := range s.lines {
				f.add(t, l)
			}
			hi = max(hi, f.distinct())
		}
	}
	var gen freeForm
	g := synth.New(1, start)
	for range 1686 {
		gen.add(t, g.Record().AppendJSON(nil))
	}
	d, z, cz := gen.distinct(), gen.gzipRatio(t), corpus.gzipRatio(t)
	t.Logf("distinct leaf values: generated %.3f, corpus %.3f, least repetitive real source %.3f; gzip: generated %.2f:1, corpus %.2f:1", d, lo, hi, z, cz)
	assert.GreaterOrEqual(t, d, lo, "generated values repeat more than the corpus's")
	assert.LessOrEqual(t, d, hi, "generated values repeat less than any real source's")
	assert.Less(t, z, cz, "generated records compress better than the corpus")
}

type source struct{ lines [][]byte }

// readCorpus returns the corpus's records measured together, and its
// records by the repository they came from.
func readCorpus(t *testing.T) (*freeForm, map[string]*source) {
	t.Helper()
	recs := readGzipLines(t, "../testdata/corpus/records.jsonl.gz")
	meta := readGzipLines(t, "../testdata/corpus/records.meta.jsonl.gz")
	require.Len(t, meta, len(recs))
	var all freeForm
	sources := map[string]*source{}
	for i, l := range recs {
		var m struct{ Repo string }
		require.NoError(t, json.Unmarshal(meta[i], &m))
		if sources[m.Repo] == nil {
			sources[m.Repo] = &source{}
		}
		sources[m.Repo].lines = append(sources[m.Repo].lines, l)
		all.add(t, l)
	}
	return &all, sources
}

func readGzipLines(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	z, err := gzip.NewReader(f)
	require.NoError(t, err)
	var lines [][]byte
	s := bufio.NewScanner(z)
	s.Buffer(nil, 16<<20)
	for s.Scan() {
		lines = append(lines, bytes.Clone(s.Bytes()))
	}
	require.NoError(t, s.Err())
	_, err = io.Copy(io.Discard, z)
	require.NoError(t, err)
	return lines
}
