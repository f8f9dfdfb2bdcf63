package lake

import (
	"bytes"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/internal/testdata"
)

// checkDirect checks that a record the direct path takes gives the column
// values and partition of the decoding path, read alone and read with its
// members as the Scanner finds them in a log file, and reports whether it
// took it.
func checkDirect(t *testing.T, d *directRecord, schema *parquet.Schema, b []byte) bool {
	t.Helper()
	took := checkDirectMembers(t, d, schema, b, nil)
	sc := event.NewScanner(bytes.NewReader([]byte(`{"Records":[` + string(b) + `]}`)))
	defer sc.Close()
	if sc.Scan() {
		if ms := sc.Members(); ms != nil {
			rec := bytes.Clone(sc.Bytes())
			took = checkDirectMembers(t, d, schema, rec, ms) && took
		}
	}
	return took
}

func checkDirectMembers(t *testing.T, d *directRecord, schema *parquet.Schema, b []byte, ms []event.Member) bool {
	t.Helper()
	var r event.Record
	if err := event.Unmarshal(b, &r); err != nil {
		require.False(t, d.scan(b, ms), "the direct path took a record Unmarshal rejects: %s", b)
		return false
	}
	if !d.scan(b, ms) {
		return false
	}
	var row CloudTrailRow
	var x extras
	cloudTrailRow(&row, &r, &x)
	want := schema.Deconstruct(nil, &row)
	var got []parquet.Value
	for c, in := range d.inList {
		if in {
			got = append(got, d.lists[c]...)
		} else {
			got = append(got, d.vals[c])
		}
	}
	require.Len(t, got, len(want), "%s", b)
	for i := range want {
		require.True(t, parquet.DeepEqual(want[i], got[i]) && want[i].Kind() == got[i].Kind(),
			"value %d (column %d): direct %#v, decoded %#v, of %s", i, want[i].Column(), got[i], want[i], b)
	}
	require.Equal(t, Partition(&r), string(d.partition()), "%s", b)
	return true
}

// TestDirectMatchesRows checks the direct path against decoding on every
// corpus record and on generated ones.
func TestDirectMatchesRows(t *testing.T) {
	schema := schemaOf[CloudTrailRow]()
	d := newDirectRecord(cloudTrailDirect)
	records := testdata.Records(t)
	taken := 0
	for _, b := range records {
		if checkDirect(t, d, schema, b) {
			taken++
		}
	}
	t.Logf("corpus: %d of %d records direct", taken, len(records))
	require.Greater(t, taken, len(records)/2, "corpus records the direct path takes")
	g := synth.New(7, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	for i := range 2000 {
		b := g.Record().AppendJSON(nil)
		require.True(t, checkDirect(t, d, schema, b), "generated record %d not direct: %s", i, b)
	}
	// Records the direct path leaves to decoding, and ones at its edges.
	for _, s := range []string{
		`{"eventTime":"2026-02-30T00:00:00Z"}`,
		`{"eventTime":"2026-01-01T00:00:00.5Z"}`,
		`{"eventName":"A","eventName":"B"}`,
		`{"readOnly":"false"}`,
		`{"userIdentity":null}`,
		`{"userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":true}}}}`,
		`{"resources":[{"ARN":"a"},{"x":1}]}`,
		`{"resources":[1]}`,
		`{"resources":null}`,
		`{"edgeDeviceDetails":{"deviceID":"x"}}`,
		`{"extraFields":"x"}`,
		`{"ev\u0065ntName":"escaped key"}`,
		`{"eventName":"esc\u00e9\n","awsRegion":"us/east","recipientAccountId":""}`,
		`{"resources":[],"tlsDetails":{},"userIdentity":{"sessionContext":{}}}`,
		`{"resources":[{},{"ARN":"a","type":""},{"accountId":"1"}]}`,
		`{ "requestParameters" : { "a" : [ 1 , 2 ] } , "responseElements":null}`,
		`{}`,
		`[]`,
	} {
		checkDirect(t, d, schema, []byte(s))
	}
}

// The direct path and decoding agree on any input the direct path takes.
func FuzzDirect(f *testing.F) {
	for _, s := range []string{
		`{"eventTime":"2026-02-01T00:00:00Z","awsRegion":"eu-west-1","readOnly":true}`,
		`{"resources":[{},{"ARN":"a","type":""},{"accountId":"1"}],"tlsDetails":{}}`,
		`{"userIdentity":{"type":"Root","sessionContext":{"webIdFederationData":{"attributes":{"a":1}}}}}`,
	} {
		f.Add([]byte(s))
	}
	schema := schemaOf[CloudTrailRow]()
	d := newDirectRecord(cloudTrailDirect)
	f.Fuzz(func(t *testing.T, b []byte) {
		checkDirect(t, d, schema, b)
	})
}
