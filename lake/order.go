package lake

import (
	"bytes"
	"slices"

	"github.com/trailkit/trailkit/event"
)

// Export writes the records of each batch (up to 512) in the order of their
// eventSource and eventName, and in input order among equal ones, not in
// input order: records of one API call share the shape of their free-form
// JSON (requestParameters, responseElements) and resource ARNs, and zstd,
// which compresses each page alone, codes a repeat at a short distance in
// fewer bits. On the generated benchmark trail (200,000 records) the
// cloudtrail shape's files shrink by 3.6% and the ocsf shape's by 6.8%;
// finding the keys and reordering run at about 3 GB/s, a tenth of a
// second of processor time for that trail's 334 MB. Rows
// within a file are in no promised order anyway: the two lanes already
// interleave the input, and engines (Athena, Trino, Spark, DuckDB) do not
// need time order. Sorting beyond one batch would save a little more (5%
// at 4,096 records) but would hold more records in memory.

// batchOrder reorders the records of a rawBatch. Its buffers are swapped
// with the batch's, so that a lane reorders without allocating.
type batchOrder struct {
	perm      []int
	source    [][]byte
	name      [][]byte
	buf       []byte
	ends, idx []int
	off       []int64
	members   []event.Member
	mspan     [][2]int
}

// sort puts the records of b in order. The keys are found by a text search,
// not by parsing: a key found elsewhere in the record (inside
// requestParameters), or not found (a record written with spaces), changes
// the order only, never what is written.
func (o *batchOrder) sort(b *rawBatch) {
	o.perm, o.source, o.name = o.perm[:0], o.source[:0], o.name[:0]
	start := 0
	for i, end := range b.ends {
		rec := b.buf[start:end]
		o.perm = append(o.perm, i)
		source, name := apiKeys(rec)
		o.source = append(o.source, source)
		o.name = append(o.name, name)
		start = end
	}
	cmp := func(i, j int) int {
		if c := bytes.Compare(o.source[i], o.source[j]); c != 0 {
			return c
		}
		return bytes.Compare(o.name[i], o.name[j])
	}
	slices.SortStableFunc(o.perm, cmp)
	o.buf, o.ends, o.idx, o.off = o.buf[:0], o.ends[:0], o.idx[:0], o.off[:0]
	o.members, o.mspan = o.members[:0], o.mspan[:0]
	for _, i := range o.perm {
		start := 0
		if i > 0 {
			start = b.ends[i-1]
		}
		o.buf = append(o.buf, b.buf[start:b.ends[i]]...)
		o.ends = append(o.ends, len(o.buf))
		o.idx = append(o.idx, b.idx[i])
		o.off = append(o.off, b.off[i])
		// A member's offsets are within its record: they move with it.
		if m := b.mspan[i]; m[0] >= 0 {
			o.mspan = append(o.mspan, [2]int{len(o.members), len(o.members) + m[1] - m[0]})
			o.members = append(o.members, b.members[m[0]:m[1]]...)
		} else {
			o.mspan = append(o.mspan, m)
		}
	}
	b.buf, o.buf = o.buf, b.buf
	b.ends, o.ends = o.ends, b.ends
	b.idx, o.idx = o.idx, b.idx
	b.off, o.off = o.off, b.off
	b.members, o.members = o.members, b.members
	b.mspan, o.mspan = o.mspan, b.mspan
	clear(o.source) // they point into the batch's old buffer
	clear(o.name)
}

// apiKeys returns the eventSource and eventName of rec, found by a text
// search rather than by parsing, for speed: eventName by its capital N,
// rarer than the quote its key starts with, and eventSource in the bytes
// before it, where CloudTrail writes it.
func apiKeys(rec []byte) (source, name []byte) {
	const before = `"event`
	const after = `Name":"`
	for i := 0; ; {
		n := bytes.IndexByte(rec[i:], 'N')
		if n < 0 {
			return nil, nil
		}
		i += n + 1
		if i-1 < len(before) || string(rec[i-1-len(before):i-1]) != before || !bytes.HasPrefix(rec[i-1:], []byte(after)) {
			continue
		}
		name = quoted(rec[i-1+len(after):])
		near := rec[max(0, i-1-len(before)-256) : i-1-len(before)]
		if k := bytes.LastIndex(near, []byte(`"eventSource":"`)); k >= 0 {
			source = quoted(near[k+len(`"eventSource":"`):])
		}
		return source, name
	}
}

// quoted returns the text before the first quote of b, or nil.
func quoted(b []byte) []byte {
	if j := bytes.IndexByte(b, '"'); j >= 0 {
		return b[:j]
	}
	return nil
}
