package lake

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/sink"
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
	var filled event.Record
	if d.record(&filled) {
		ocsf := schemaOf[OCSFRow]()
		want := ocsfOf(ocsf, &r)
		requireValues(t, want, ocsfOf(ocsf, &filled), "ocsf of the record filled", b)
		requireValues(t, want, ocsfDirectOf(ocsf, d), "ocsf direct", b)
	}
	return true
}

// requireValues requires got, the column values of record b that what
// says, to be want.
func requireValues(t *testing.T, want, got []parquet.Value, what string, b []byte) {
	t.Helper()
	require.Len(t, got, len(want), "%s: %s", what, b)
	for i := range want {
		require.True(t, parquet.DeepEqual(want[i], got[i]) && want[i].Kind() == got[i].Kind(),
			"%s: value %d (column %d): %#v, decoded %#v, of %s", what, i, want[i].Column(), got[i], want[i], b)
	}
}

// ocsfDirectOf returns the ocsf shape's values of the record d scanned, as
// addOCSF emits them, in column order.
func ocsfDirectOf(schema *parquet.Schema, d *directRecord) []parquet.Value {
	tb := &directTable{schema: schema, cols: make([][]parquet.Value, len(schema.Columns()))}
	var x extras
	var rows ocsfRows
	ocsfDirect(emitter{cols: tb.cols}, &rows, d, &x)
	rows.emit(emitter{cols: tb.cols})
	var vs []parquet.Value
	for _, col := range tb.cols {
		vs = append(vs, col...)
	}
	return vs
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
		`{"eventTime":"0001-01-01T00:00:00Z"}`,
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
		`{"userIdentity":{"type":"IAMUser","userName":"a\"b\\"},"userAgent":"plain","eventID":"\/"}`,
		`{"userIdentity":{"type":"IAMUser","userName":"é"},"resources":[{"ARN":"arn:\u0061"}]}`,
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

// TestOCSFValuesMatchRows checks the ocsf shape's values, emitted without
// reflection, against the schema's deconstruction of the same rows, on
// every corpus record and on generated ones.
func TestOCSFValuesMatchRows(t *testing.T) {
	schema := schemaOf[OCSFRow]()
	g := synth.New(7, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	records := testdata.Records(t)
	for range 2000 {
		records = append(records, g.Record().AppendJSON(nil))
	}
	tb := &directTable{schema: schema, cols: make([][]parquet.Value, len(schema.Columns()))}
	classes := map[int32]int{}
	for _, b := range records {
		var r event.Record
		require.NoError(t, event.Unmarshal(b, &r))
		var x extras
		for c := range tb.cols {
			tb.cols[c] = tb.cols[c][:0]
		}
		ocsfValues(tb, &r, &x)
		var got []parquet.Value
		for _, col := range tb.cols {
			got = append(got, col...)
		}
		var row OCSFRow
		ocsfRow(&row, &r, &x)
		classes[row.ClassUID]++
		want := sortedMap(schema.Deconstruct(nil, &row), 67, 68)
		require.Len(t, got, len(want), "%s", b)
		for i := range want {
			require.True(t, parquet.DeepEqual(want[i], got[i]) && want[i].Kind() == got[i].Kind(),
				"value %d (column %d): emitted %#v, deconstructed %#v, of %s", i, want[i].Column(), got[i], want[i], b)
		}
	}
	require.Len(t, classes, 3, "classes seen: %v", classes)
}

// sortedMap returns row with the entries of the map whose keys and values
// are columns k and v in key order: the schema deconstructs a map in Go's
// order of iteration.
func sortedMap(row parquet.Row, k, v int) parquet.Row {
	var keys, vals []parquet.Value
	var out parquet.Row
	for _, x := range row {
		switch x.Column() {
		case k:
			keys = append(keys, x)
		case v:
			vals = append(vals, x)
		default:
			out = append(out, x)
		}
	}
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return bytes.Compare(keys[a].ByteArray(), keys[b].ByteArray()) })
	var ks, vs []parquet.Value
	for n, i := range idx {
		kk, vv := keys[i], vals[i]
		kk.SetRepetitionLevel(rep(n))
		vv.SetRepetitionLevel(rep(n))
		ks, vs = append(ks, kk), append(vs, vv)
	}
	return append(append(out, ks...), vs...)
}

// TestExportDirectRows exports a generated log file, whose records the
// direct path reads with the members the Scanner located (through the
// batches' reordering), and reads the rows back: each record's row holds
// that record's values.
func TestExportDirectRows(t *testing.T) {
	var buf bytes.Buffer
	g := synth.New(7, time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC))
	require.NoError(t, g.WriteLogFile(&buf, 3000))
	want := map[string]string{}
	g = synth.New(7, time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC))
	for range 3000 {
		r := g.Record()
		want[r.EventID] = r.EventName + " " + r.UserIdentity.ARN + " " + string(r.RequestParameters)
	}
	got := map[string]string{}
	for _, body := range exportFiles(t, buf.Bytes(), Options{}) {
		rows, err := parquet.Read[CloudTrailRow](bytes.NewReader(body), int64(len(body)))
		require.NoError(t, err)
		for _, r := range rows {
			got[*r.EventID] = *r.EventName + " " + *r.UserIdentity.ARN + " " + *r.RequestParameters
		}
	}
	require.Equal(t, want, got)
}

// ocsfOf returns the ocsf shape's values of r, in column order.
func ocsfOf(schema *parquet.Schema, r *event.Record) []parquet.Value {
	tb := &directTable{schema: schema, cols: make([][]parquet.Value, len(schema.Columns()))}
	var x extras
	ocsfValues(tb, r, &x)
	var vs []parquet.Value
	for _, col := range tb.cols {
		vs = append(vs, col...)
	}
	return vs
}

// TestDirectRecordMatchesUnmarshal checks that the record the direct path
// fills gives the ocsf shape the row decoding gives, on every corpus
// record, generated ones and records at the edges, read alone and with the
// members the Scanner locates.
func TestDirectRecordMatchesUnmarshal(t *testing.T) {
	schema := schemaOf[OCSFRow]()
	d := newDirectRecord(cloudTrailDirect)
	g := synth.New(7, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	records := testdata.Records(t)
	for range 2000 {
		records = append(records, g.Record().AppendJSON(nil))
	}
	for _, s := range []string{
		`{"tlsDetails":{"cipherSuite":"a","tlsVersion":"b"}}`,
		`{"tlsDetails":{"tlsVersion":"","cipherSuite":"a"}}`,
		`{"addendum":{"reason":"r","originalEventID":"e"},"tlsDetails":{}}`,
		`{"resources":[],"userIdentity":{"sessionContext":{"sessionIssuer":{},"attributes":{"creationDate":"2026-01-01T00:00:00Z","mfaAuthenticated":"true"}},"onBehalfOf":{}}}`,
		`{"eventType":"AwsConsoleSignIn","responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MFAUsed":"Yes"}}`,
		`{"eventSource":"iam.amazonaws.com","eventName":"CreateUser","requestParameters":{"userName":"bob"},"responseElements":{"user":{"arn":"x"}}}`,
		`{"userIdentity":{"type":"WebIdentityUser","sessionContext":{"webIdFederationData":{"federatedProvider":"p","attributes":{"a":1}}}}}`,
		`{"userIdentity":{"identityProvider":"i","onBehalfOf":{"userId":"u","identityStoreArn":"s"},"sessionContext":{"webIdFederationData":{"federatedProvider":"p"}}}}`,
		`{"userIdentity":{"principalId":"p","onBehalfOf":{"userId":"u"},"sessionContext":{"webIdFederationData":{}}}}`,
		`{"userIdentity":{"accessKeyId":"","credentialId":"c","accountId":"1"},"resources":[{"accountId":"2","type":"t"},{"ARN":"a"}]}`,
		`{"userIdentity":{"sessionContext":{"attributes":{"creationDate":"0001-01-01T00:00:00Z","mfaAuthenticated":"maybe"}}}}`,
		`{"userIdentity":{"sessionContext":{"attributes":{"creationDate":"yesterday"},"sessionIssuer":{"arn":"x"}}}}`,
		`{"eventTime":"0001-01-01T00:00:00Z","sourceIPAddress":"::1","readOnly":false,"managementEvent":true}`,
		`{"eventSource":"s3.amazonaws.com","eventName":"Frobnicate","readOnly":true,"sourceIPAddress":"s3.amazonaws.com","userAgent":"u"}`,
		`{"eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","errorCode":"E","errorMessage":"m","userIdentity":{"type":"IAMUser","arn":"a"}}`,
		`{"eventSource":"iam.amazonaws.com","eventName":"DeleteUser","requestParameters":{"userName":"b\u00e9"},"responseElements":null}`,
		`{"eventSource":"iam.amazonaws.com","eventName":"AttachUserPolicy","requestParameters":{"policyArn":"p"}}`,
		`{"errorMessage":"only a message","requestParameters":{"a":1},"sharedEventID":"s\"q","annotation":"\u00e9<","vpcEndpointAccountId":"1","sessionCredentialFromConsole":"true"}`,
		`{"tlsDetails":{"tlsVersion":"TLSv1.3","clientProvidedHostHeader":"h\\x"},"addendum":{"reason":"r","updatedFields":"a,b","originalRequestID":"o","originalEventID":"e"},"serviceEventDetails":{"x":[]},"additionalEventData":{}}`,
	} {
		records = append(records, []byte(s))
	}
	taken := 0
	for _, b := range records {
		var want event.Record
		require.NoError(t, event.Unmarshal(b, &want))
		wantValues := ocsfOf(schema, &want)
		forms := [][2]any{{b, []event.Member(nil)}}
		sc := event.NewScanner(bytes.NewReader([]byte(`{"Records":[` + string(b) + `]}`)))
		if sc.Scan() && sc.Members() != nil {
			forms = append(forms, [2]any{bytes.Clone(sc.Bytes()), slices.Clone(sc.Members())})
		}
		sc.Close()
		for _, f := range forms {
			var got event.Record
			if !d.scan(f[0].([]byte), f[1].([]event.Member)) || !d.record(&got) {
				continue
			}
			taken++
			require.Equal(t, Partition(&want), string(d.partition()), "%s", b)
			requireValues(t, wantValues, ocsfOf(schema, &got), "ocsf of the record filled", b)
			requireValues(t, wantValues, ocsfDirectOf(schema, d), "ocsf direct", b)
		}
	}
	t.Logf("%d of %d records (alone and in a log file) direct", taken, len(records))
	require.Greater(t, taken, 2*2000, "records the direct path fills")
}

// TestExportCrowdedStaysOnOneLane exports 12,000 generated records (more
// than the serial batches hold) in one partition and spread over 96: the
// first is encoded on two lanes (objects of both), the second on lane 0
// alone, as a file open for each partition in each lane would hold more
// than the lane's budget; every record is exported either way.
func TestExportCrowdedStaysOnOneLane(t *testing.T) {
	for _, tc := range []struct {
		name       string
		partitions int
		twoLanes   bool
	}{{"one partition", 1, true}, {"96 partitions", 96, false}} {
		t.Run(tc.name, func(t *testing.T) {
			const n = 12000
			var buf bytes.Buffer
			lw, err := event.NewLogWriter(&buf, event.LogWriterOptions{})
			require.NoError(t, err)
			g := synth.New(7, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
			for i := range n {
				r := g.Record()
				r.AWSRegion = fmt.Sprintf("region-%d", i%tc.partitions)
				require.NoError(t, lw.Write(r))
			}
			require.NoError(t, lw.Close())
			dir := t.TempDir()
			out, err := sink.NewDir(dir, sink.DirOptions{})
			require.NoError(t, err)
			w, err := NewWriter(out, "x.json.gz", Options{})
			require.NoError(t, err)
			require.NoError(t, w.Export(context.Background(), &buf))
			require.NoError(t, w.Close(context.Background()))
			lane1 := 0
			for _, key := range w.Keys() {
				if strings.Contains(key, "_p1") {
					lane1++
				}
			}
			assert.Equal(t, tc.twoLanes, lane1 > 0, "objects of lane 1: %d of %d", lane1, len(w.Keys()))
			assert.EqualValues(t, n, w.Rows())
		})
	}
}

// TestOCSFTextPages exports 30,000 generated records in the ocsf shape:
// api.request.data and api.response.data come in pages of up to
// textPageBytes, not of the shape's 256 KiB, and each row still holds its
// own record's requestParameters and responseElements after the values
// kept for a page were copied into reused chunks.
func TestOCSFTextPages(t *testing.T) {
	const n = 30000
	var buf bytes.Buffer
	g := synth.New(7, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, g.WriteLogFile(&buf, n))
	want := map[string]string{}
	g = synth.New(7, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	for range n {
		r := g.Record()
		want[r.EventID] = string(r.RequestParameters) + " " + string(r.ResponseElements)
	}
	got := map[string]string{}
	for key, body := range exportFiles(t, buf.Bytes(), Options{Format: OCSF}) {
		f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
		require.NoError(t, err)
		for i, rg := range f.RowGroups() {
			for c, chunk := range rg.ColumnChunks() {
				path := strings.Join(f.Schema().Columns()[c], ".")
				if !largeTextColumns[path] {
					continue
				}
				idx, err := chunk.OffsetIndex()
				require.NoError(t, err)
				size := f.Metadata().RowGroups[i].Columns[c].MetaData.TotalUncompressedSize
				t.Logf("%s %s: %d pages, %d bytes", key, path, idx.NumPages(), size)
				assert.LessOrEqual(t, idx.NumPages(), int(size/textPageBytes)+1, "%s %s: pages of %d bytes", key, path, textPageBytes)
			}
		}
		rows, err := parquet.Read[OCSFRow](bytes.NewReader(body), int64(len(body)))
		require.NoError(t, err)
		for _, r := range rows {
			got[*r.Metadata.UID] = *r.API.Request.Data + " " + *r.API.Response.Data
		}
	}
	require.Equal(t, want, got)
}
