package lake

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/jsonscan"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/sink"
)

func TestBatchOrder(t *testing.T) {
	recs := []string{
		`{"eventSource":"s3.amazonaws.com","eventName":"PutObject","n":0}`,
		`{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","n":1}`,
		`{"eventSource":"s3.amazonaws.com","eventName":"GetObject","n":2}`,
		`{"eventName":"PutObject","eventSource":"s3.amazonaws.com","n":3}`,
		`{"eventSource": "spaced.amazonaws.com", "n":4}`,
		`{"eventSource":"ec2.amazonaws.com","eventName":"RunInstances","n":5}`,
		`{"n":6}`,
	}
	// The records of one API together, in input order: 0 and 3 (keys in
	// either order), 1 and 5, 4 and 6 (no keys found, first); services and
	// names by their first bytes: ec2 before s3, GetObject before PutObject.
	want := []int{4, 6, 1, 5, 2, 0, 3}

	var b rawBatch
	for i, r := range recs {
		b.buf = append(b.buf, r...)
		b.ends = append(b.ends, len(b.buf))
		b.idx = append(b.idx, 10+i)
		b.off = append(b.off, int64(100*i))
		// Members as the Scanner gives them, but for record 2 (as for a
		// record it compacted, 4) none: its keys are found in its text.
		if i == 2 || i == 4 {
			b.mspan = append(b.mspan, [2]int{-1, -1})
			continue
		}
		p := jsonscan.New([]byte(r), 0)
		ms, err := p.SkipObjectMembers(nil)
		require.NoError(t, err)
		b.mspan = append(b.mspan, [2]int{len(b.members), len(b.members) + len(ms)})
		b.members = append(b.members, ms...)
	}
	var o batchOrder
	for round := range 2 { // the same order again, from reused memory
		order := o.sort(&b)
		var got []int
		for _, i := range order {
			n := b.idx[i] - 10
			if rec := string(b.record(i)); rec != recs[n] {
				t.Errorf("round %d: record %d is %s, want %s (its index %d)", round, i, rec, recs[n], b.idx[i])
			}
			if ms := b.recordMembers(i); (n == 2 || n == 4) != (ms == nil) || ms != nil && string(b.record(i)[ms[len(ms)-1].Value:]) != fmt.Sprintf("%d}", n) {
				t.Errorf("round %d: record %d has members %v", round, n, ms)
			}
			got = append(got, n)
		}
		if !slices.Equal(got, want) {
			t.Errorf("round %d: order %v, want %v", round, got, want)
		}
	}
}

func TestAPIKeys(t *testing.T) {
	for _, c := range []struct{ rec, source, name string }{
		{`{"eventTime":"x","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"r"}`, "s3.amazonaws.com", "GetObject"},
		{`{"eventID":"x","eventName":"GetObject","eventSource":"s3.amazonaws.com","eventTime":"t"}`, "s3.amazonaws.com", "GetObject"},
		{`{"userIdentity":{"userName":"NAT"},"eventName":"Decrypt"}`, "", "Decrypt"},
		{`{"eventSource": "s3.amazonaws.com", "eventName": "GetObject"}`, "", ""},
		{`{"eventName":"GetObject`, "", ""},
		{`{"eventName":"`, "", ""},
		{`"eventSource":"a","eventName":""`, "a", ""},
		{``, "", ""},
	} {
		source, name := apiKeys([]byte(c.rec))
		if string(source) != c.source || string(name) != c.name {
			t.Errorf("apiKeys(%s) = %q, %q, want %q, %q", c.rec, source, name, c.source, c.name)
		}
	}
}

// TestAPIMembers: eventSource and eventName read at a record's top-level
// members, where a text search would take those inside requestParameters.
func TestAPIMembers(t *testing.T) {
	for _, c := range []struct{ rec, source, name string }{
		{`{"eventTime":"x","eventSource":"s3.amazonaws.com","eventName":"GetObject","awsRegion":"r"}`, "s3.amazonaws.com", "GetObject"},
		{`{"requestParameters":{"eventSource":"a","eventName":"B"},"eventName":"GetObject","eventSource":"s3.amazonaws.com"}`, "s3.amazonaws.com", "GetObject"},
		{`{"eventName":"GetObject","eventName":"B","eventSource":7}`, "7", "GetObject"},
		{`{"eventSource":"s3.amazonaws.com"}`, "s3.amazonaws.com", ""},
		{`{}`, "", ""},
	} {
		p := jsonscan.New([]byte(c.rec), 0)
		ms, err := p.SkipObjectMembers(nil)
		require.NoError(t, err)
		source, name := apiMembers([]byte(c.rec), ms)
		if string(source) != c.source || string(name) != c.name {
			t.Errorf("apiMembers(%s) = %q, %q, want %q, %q", c.rec, source, name, c.source, c.name)
		}
	}
}

// TestExportOrder exports 12,000 generated records of one partition (on
// both lanes) twice: the objects are the same bytes, and each file's rows
// come in blocks' halves of at most 2,048 rows (serial blocks) or 1,024,
// each grouped by API call, in input order within a group.
func TestExportOrder(t *testing.T) {
	const n = 12000
	var buf bytes.Buffer
	g := synth.New(7, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, g.WriteLogFile(&buf, n))
	g = synth.New(7, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	pos := map[string]int{} // eventID: its position in the input
	apis := map[string]bool{}
	for i := range n {
		r := g.Record()
		pos[r.EventID] = i
		apis[r.EventSource+" "+r.EventName] = true
	}
	files := exportFiles(t, buf.Bytes(), Options{})
	require.Len(t, files, 2, "one file per lane")
	require.Equal(t, files, exportFiles(t, buf.Bytes(), Options{}), "a second export writes the same bytes")

	rows := 0
	for key, body := range files {
		got, err := parquet.Read[CloudTrailRow](bytes.NewReader(body), int64(len(body)))
		require.NoError(t, err)
		rows += len(got)
		// A new group starts where the API changes; within one, rows
		// come in input order, across blocks too.
		groups, back := 1, 0
		for i := 1; i < len(got); i++ {
			prev, cur := got[i-1], got[i]
			if *prev.EventSource+" "+*prev.EventName != *cur.EventSource+" "+*cur.EventName {
				groups++
			} else if pos[*cur.EventID] < pos[*prev.EventID] {
				back++
			}
		}
		parts := len(got)/1024 + 1
		t.Logf("%s: %d rows in %d groups, %d steps back in a group", key, len(got), groups, back)
		assert.LessOrEqual(t, groups, parts*len(apis), "%s: rows grouped by API within each block's part", key)
		assert.Zero(t, back, "%s: input order within a group", key)
	}
	assert.Equal(t, n, rows)
}

// exportFiles exports input with opts to a new directory and returns the
// objects written, by key.
func exportFiles(t *testing.T, input []byte, opts Options) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	out, err := sink.NewDir(dir, sink.DirOptions{})
	require.NoError(t, err)
	w, err := NewWriter(out, "x.json.gz", opts)
	require.NoError(t, err)
	require.NoError(t, w.Export(context.Background(), bytes.NewReader(input)))
	files := map[string][]byte{}
	for _, key := range w.Keys() {
		body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(key)))
		require.NoError(t, err)
		files[key] = body
	}
	return files
}
