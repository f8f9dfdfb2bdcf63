package lake

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/synth"
)

// TestOptColumnInstalled checks that a table of each shape buffers every
// optional or repeated string column in an optColumn installed in its
// column writer (but the text columns the ocsf shape writes a page at a
// time): with another parquet-go, whose ColumnWriter has other fields,
// installColumn installs none and this fails.
func TestOptColumnInstalled(t *testing.T) {
	for _, f := range []Format{CloudTrail, OCSF} {
		t.Run(string(f), func(t *testing.T) {
			w, err := NewWriter(nil, "x", Options{Format: f})
			require.NoError(t, err)
			tb := w.newPart().(*directTable)
			ws := tb.pw.ColumnWriters()
			n := 0
			for c, path := range tb.schema.Columns() {
				leaf, ok := tb.schema.Lookup(path...)
				require.True(t, ok)
				p := strings.Join(path, ".")
				want := leaf.MaxDefinitionLevel > 0 && leaf.Node.Type().Kind() == parquet.ByteArray && !largeTextColumns[p]
				if !want {
					assert.Nil(t, tb.opt[c], p)
					continue
				}
				if assert.NotNil(t, tb.opt[c], p) {
					assert.True(t, installed(ws[c], tb.opt[c]), p)
					n++
				}
			}
			t.Logf("%s: %d of %d columns in optColumns", f, n, len(ws))
			assert.Greater(t, n, len(ws)/3)
		})
	}
}

// TestOptColumnSameFiles exports records in both shapes with the tables'
// optColumns and with parquet-go's own buffers, and checks that the files
// are the same bytes: the pages hold the same levels and values, and are
// cut at the same sizes. One record in 40 has a member the direct path
// does not know and is decoded, its row written between scanned ones.
func TestOptColumnSameFiles(t *testing.T) {
	const n = 20000
	g := synth.New(11, time.Date(2026, 5, 1, 22, 0, 0, 0, time.UTC))
	var input bytes.Buffer
	for i := range n {
		b, err := g.Record().MarshalJSON()
		require.NoError(t, err)
		if i%40 == 7 {
			b = append(append(b[:len(b)-1:len(b)-1], `,"unknownMember":"x"`...), '}')
		}
		input.Write(b)
		input.WriteByte('\n')
	}
	for _, f := range []Format{CloudTrail, OCSF} {
		t.Run(string(f), func(t *testing.T) {
			opts := Options{Format: f, RowGroupRows: 6000}
			optColumns = false
			theirs := exportFiles(t, input.Bytes(), opts)
			optColumns = true
			ours := exportFiles(t, input.Bytes(), opts)
			require.Equal(t, len(theirs), len(ours))
			for key, body := range theirs {
				assert.True(t, bytes.Equal(body, ours[key]), "%s: %d bytes with parquet-go's buffers, %d with optColumns", key, len(body), len(ours[key]))
			}
		})
	}
}
