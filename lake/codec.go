package lake

import (
	"reflect"
	"strings"
	"sync"

	kzstd "github.com/klauspost/compress/zstd"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// Columns are compressed with one of two zstd levels, chosen by
// measurement on generated records (pages of 256 KiB, klauspost/compress):
//
//   - JSON text, names and dictionary indexes: the fastest level. It finds
//     their repeats as well as the default level (requestParameters to
//     0.233 of its size, against 0.248 at the default level) at two to
//     three times its speed.
//   - Random identifiers (eventID, requestID, …): the fastest level too,
//     but with its literals entropy-coded even in blocks where it finds no
//     repeat (WithAllLitEntropyCompression), which it otherwise stores raw:
//     a column of UUIDs to about 0.52 of its size, near the 0.44 their
//     randomness allows. The "better" level, used before, reached the same
//     size but spent a seventh of an export's processor time hashing for
//     repeats that random text does not have (200,000 generated records:
//     3.6 s to 3.1 s of CPU, and 52 KB smaller, both shapes).
var (
	textCodec   = &zstdCodec{level: kzstd.SpeedFastest}
	randomCodec = &zstdCodec{level: kzstd.SpeedFastest, allLit: true}
)

// zstdCodec is parquet-go's zstd codec with encoders that outlive garbage
// collections. parquet-go keeps its encoders in a sync.Pool, which each
// collection empties; an export collects often (it runs under a memory
// limit), and a new encoder allocates and clears megabytes of history
// and tables: a tenth of the export's CPU time went there.
type zstdCodec struct {
	zstd.Codec // decoding, name and code
	level      kzstd.EncoderLevel
	allLit     bool // entropy-code literals in blocks without repeats
	mu         sync.Mutex
	free       []*kzstd.Encoder // at most one per goroutine encoding at once
}

func (c *zstdCodec) Encode(dst, src []byte) ([]byte, error) {
	c.mu.Lock()
	var e *kzstd.Encoder
	if n := len(c.free); n > 0 {
		e, c.free = c.free[n-1], c.free[:n-1]
	}
	c.mu.Unlock()
	if e == nil {
		var err error
		// As parquet-go configures its encoders: frames without a
		// checksum, one goroutine per call; and a window of the largest
		// page (codecWindow).
		e, err = kzstd.NewWriter(nil, kzstd.WithEncoderLevel(c.level), kzstd.WithEncoderConcurrency(1),
			kzstd.WithZeroFrames(true), kzstd.WithEncoderCRC(false), kzstd.WithAllLitEntropyCompression(c.allLit),
			kzstd.WithWindowSize(codecWindow))
		if err != nil {
			return nil, err
		}
	}
	dst = e.EncodeAll(src, dst[:0])
	c.mu.Lock()
	c.free = append(c.free, e)
	c.mu.Unlock()
	return dst, nil
}

// codecWindow is the zstd window: a page is compressed alone, so a window
// as large as the largest page finds every repeat a larger one does, and
// the files are the same bytes. The fastest level's default window (4 MiB)
// made each encoder keep 8 MiB of history: exporting the generated 200,000
// records held 24 MB of it, now 4 MB (heap profile 1.5 s into the export).
const codecWindow = 2 << 20

// randomColumns are the columns, by path, that hold random identifiers:
// record and request ids, IAM's unique ids and access key ids.
var randomColumns = map[string]bool{
	// cloudtrail
	"eventID":                  true,
	"requestID":                true,
	"sharedEventID":            true,
	"userIdentity.principalId": true,
	"userIdentity.accessKeyId": true,
	"userIdentity.sessionContext.sessionIssuer.principalId": true,
	// ocsf
	"metadata.uid":              true,
	"api.request.uid":           true,
	"actor.user.uid_alt":        true,
	"actor.user.credential_uid": true,
}

// freeFormColumns are the columns, by path, of free-form JSON text.
var freeFormColumns = map[string]bool{
	// cloudtrail
	"requestParameters":   true,
	"responseElements":    true,
	"additionalEventData": true,
	"serviceEventDetails": true,
	"edgeDeviceDetails":   true,
	"insightDetails":      true,
	"eventContext":        true,
	"extraFields":         true,
	"userIdentity.sessionContext.webIdFederationData.attributes": true,
	// ocsf
	"api.request.data":         true,
	"api.response.data":        true,
	"api.response.message":     true,
	"status_detail":            true,
	"unmapped.key_value.value": true,
	"unmapped.key_value.key":   true, // no engine prunes by a map's keys
}

// unbounded reports whether the column at path is written without bounds
// (the minimum and maximum of page headers, column index and chunk): free-form
// JSON text and random identifiers. No query is answered by their bounds
// (JSON text is searched, not compared; a page of random ids spans nearly
// their whole range), and computing them compares every long value as it
// is written: 0.3% of the cloudtrail shape's instructions for its JSON
// columns, 2.2% of the ocsf shape's (20,000 records) and 1.1% of its bytes.
func unbounded(path string) bool { return freeFormColumns[path] || randomColumns[path] }

// deltaColumns are the times, in milliseconds, written with delta encoding
// (DELTA_BINARY_PACKED), which the rows' tags cannot give a *time.Time.
// Export writes rows ordered by API call (order.go), so a page holds runs
// of rising times and their steps take a few bits each: on the generated
// 200,000-record trail eventTime takes 0.40 MB with plain encoding.
var deltaColumns = map[string]bool{
	"eventTime": true, // cloudtrail
	"time":      true, // ocsf
	"time_dt":   true,
}

// schemaOf returns the schema of the rows of type T, with each column's
// codec: randomCodec for randomColumns, the writer's (textCodec) for the
// others; and delta encoding for deltaColumns. The columns and their order are T's, so a GenericWriter[T] with
// this schema maps T to it directly.
func schemaOf[T any]() *parquet.Schema {
	s := parquet.SchemaOf(new(T))
	return parquet.NewSchema(s.Name(), withCodecs(s, nil))
}

func withCodecs(n parquet.Node, path []string) parquet.Node {
	if n.Leaf() {
		if isDictString(n) {
			n = dictNode{n}
		}
		if deltaColumns[strings.Join(path, ".")] {
			n = parquet.Encoded(n, &parquet.DeltaBinaryPacked)
		}
		if randomColumns[strings.Join(path, ".")] {
			return codecNode{n, randomCodec}
		}
		return n
	}
	fields := n.Fields()
	wrapped := make([]parquet.Field, len(fields))
	for i, f := range fields {
		wrapped[i] = field{withCodecs(f, append(path, f.Name())), f}
	}
	return group{n, wrapped}
}

// codecNode is a leaf compressed with its own codec.
type codecNode struct {
	parquet.Node
	codec compress.Codec
}

func (n codecNode) Compression() compress.Codec { return n.codec }

// group is a group whose fields were rewritten by withCodecs.
type group struct {
	parquet.Node
	fields []parquet.Field
}

func (g group) Fields() []parquet.Field { return g.fields }

// field is a rewritten node under its original field's name and value.
type field struct {
	parquet.Node
	f parquet.Field
}

func (f field) Name() string                           { return f.f.Name() }
func (f field) Value(base reflect.Value) reflect.Value { return f.f.Value(base) }
