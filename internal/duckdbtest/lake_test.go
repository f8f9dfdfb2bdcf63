package duckdbtest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/lake"
	"github.com/trailkit/trailkit/sink"
)

// The fidelity tests export records, read the Parquet back with DuckDB and
// compare every row with its input record, parsed here with encoding/json:
// nothing of trailkit's decides what a row should hold.

// column is a cloudtrail-shape column checked against the input record.
type column struct {
	name string // CloudTrail key, also the column's name
	kind string // string, bool, time or json
}

var scalarColumns = []column{
	{"eventVersion", "string"}, {"eventTime", "time"}, {"eventSource", "string"}, {"eventName", "string"},
	{"awsRegion", "string"}, {"sourceIPAddress", "string"}, {"userAgent", "string"}, {"errorCode", "string"},
	{"errorMessage", "string"}, {"requestID", "string"}, {"eventID", "string"}, {"readOnly", "bool"},
	{"eventType", "string"}, {"apiVersion", "string"}, {"managementEvent", "bool"}, {"recipientAccountId", "string"},
	{"sharedEventID", "string"}, {"vpcEndpointId", "string"}, {"vpcEndpointAccountId", "string"},
	{"eventCategory", "string"}, {"sessionCredentialFromConsole", "string"}, {"annotation", "string"},
	{"requestParameters", "json"}, {"responseElements", "json"}, {"additionalEventData", "json"},
	{"serviceEventDetails", "json"}, {"edgeDeviceDetails", "json"}, {"insightDetails", "json"}, {"eventContext", "json"},
}

// exportDir exports inputs (name, body) into a new directory with opts.
func exportDir(t *testing.T, opts lake.Options, inputs map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	d, err := sink.NewDir(dir, sink.DirOptions{})
	require.NoError(t, err)
	for name, body := range inputs {
		w, err := lake.NewWriter(d, name, opts)
		require.NoError(t, err)
		require.NoError(t, w.Export(context.Background(), bytes.NewReader(body)), name)
	}
	return dir
}

// exportDirB exports one input into a new directory, for benchmarks.
func exportDirB(b *testing.B, opts lake.Options, name string, body []byte) string {
	b.Helper()
	dir := b.TempDir()
	d, err := sink.NewDir(dir, sink.DirOptions{})
	require.NoError(b, err)
	w, err := lake.NewWriter(d, name, opts)
	require.NoError(b, err)
	require.NoError(b, w.Export(context.Background(), bytes.NewReader(body)))
	return dir
}

func readParquet(dir string) string {
	return fmt.Sprintf("read_parquet('%s/*/*/*/*.parquet', hive_partitioning = true, hive_types = {'region': VARCHAR, 'accountId': VARCHAR, 'eventDay': VARCHAR}, union_by_name = true)", dir)
}

// expectedRow renders what the row of one input record must hold, in the
// form rowString renders the row DuckDB returns.
func expectedRow(t *testing.T, rec []byte) string {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(rec))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&m), "%s", rec)
	var b strings.Builder
	extra := map[string]any{}
	for _, c := range scalarColumns {
		v, ok := m[c.name]
		fmt.Fprintf(&b, "%s=", c.name)
		switch {
		case !ok:
			b.WriteString("NULL")
		case c.kind == "json":
			b.WriteString(canonical(t, v))
		case c.kind == "string":
			if s, isStr := v.(string); isStr {
				b.WriteString(nullIfEmpty(s))
			} else {
				b.WriteString("NULL")
				extra[c.name] = v
			}
		case c.kind == "bool":
			if x, isBool := v.(bool); isBool {
				b.WriteString(strconv.FormatBool(x))
			} else {
				b.WriteString("NULL")
				extra[c.name] = v
			}
		case c.kind == "time":
			s, isStr := v.(string)
			if _, err := time.Parse("2006-01-02T15:04:05Z", s); isStr && err == nil && len(s) == 20 {
				b.WriteString(s)
			} else {
				b.WriteString("NULL")
				extra[c.name] = v
			}
		}
		b.WriteByte('\n')
	}
	arn := "NULL"
	if u, ok := m["userIdentity"].(map[string]any); ok {
		if s, ok := u["arn"].(string); ok {
			arn = nullIfEmpty(s)
		}
	}
	fmt.Fprintf(&b, "userIdentity.arn=%s\n", arn)
	// Top-level members the cloudtrail shape has no column for are in
	// extraFields under their own key, and so are the earlier copies of a
	// key written twice (the last one is the record's, as for
	// encoding/json).
	for k, v := range m {
		if !knownKeys[k] {
			extra[k] = v
		}
	}
	for k, v := range earlierDuplicates(t, rec) {
		extra[k] = v
	}
	day := "NULL"
	if s, ok := m["eventTime"].(string); ok {
		if tm, err := time.Parse("2006-01-02T15:04:05Z", s); err == nil && len(s) == 20 {
			day = tm.Format("20060102")
		}
	}
	fmt.Fprintf(&b, "partition=%s/%s/%s\n", strOrNull(m["awsRegion"]), strOrNull(m["recipientAccountId"]), day)
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "extra.%s=%s\n", k, canonical(t, extra[k]))
	}
	return b.String()
}

// earlierDuplicates returns, for each top-level key rec has more than once,
// the value of its first copy.
func earlierDuplicates(t *testing.T, rec []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(rec))
	dec.UseNumber()
	_, err := dec.Token() // {
	require.NoError(t, err)
	first := map[string]any{}
	dups := map[string]any{}
	for dec.More() {
		tok, err := dec.Token()
		require.NoError(t, err)
		var v any
		require.NoError(t, dec.Decode(&v))
		k := tok.(string)
		if f, seen := first[k]; seen {
			if _, ok := dups[k]; !ok {
				dups[k] = f
			}
			continue
		}
		first[k] = v
	}
	return dups
}

var knownKeys = map[string]bool{"userIdentity": true, "resources": true, "addendum": true, "tlsDetails": true}

func init() {
	for _, c := range scalarColumns {
		knownKeys[c.name] = true
	}
}

func strOrNull(v any) string {
	if s, ok := v.(string); ok && s != "" {
		return s
	}
	return "NULL"
}

func nullIfEmpty(s string) string {
	if s == "" {
		return "NULL"
	}
	return s
}

// canonical renders a JSON value so that equal values render equally.
func canonical(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// parseJSON parses JSON text as expectedRow's decoder does.
func parseJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&v), "%s", s)
	return v
}

// actualRows reads every row of the cloudtrail export in dir with DuckDB,
// rendered as expectedRow renders records.
func actualRows(t *testing.T, db *sql.DB, dir string) []string {
	t.Helper()
	sel := make([]string, 0, len(scalarColumns)+5)
	for _, c := range scalarColumns {
		switch c.kind {
		case "time":
			sel = append(sel, fmt.Sprintf("strftime(%s, '%%Y-%%m-%%dT%%H:%%M:%%SZ')", c.name))
		default:
			sel = append(sel, fmt.Sprintf("CAST(%s AS VARCHAR)", c.name))
		}
	}
	sel = append(sel, "userIdentity.arn", "region", "accountId", "eventDay", "extraFields")
	rows, err := db.Query("SELECT " + strings.Join(sel, ", ") + " FROM " + readParquet(dir))
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	vals := make([]sql.NullString, len(sel))
	ptrs := make([]any, len(sel))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		require.NoError(t, rows.Scan(ptrs...))
		var b strings.Builder
		for i, c := range scalarColumns {
			fmt.Fprintf(&b, "%s=", c.name)
			switch {
			case !vals[i].Valid:
				b.WriteString("NULL")
			case c.kind == "json":
				require.NotEmpty(t, vals[i].String, "column %s", c.name)
				b.WriteString(canonical(t, parseJSON(t, vals[i].String)))
			default:
				b.WriteString(vals[i].String)
			}
			b.WriteByte('\n')
		}
		n := len(scalarColumns)
		fmt.Fprintf(&b, "userIdentity.arn=%s\n", nullStr(vals[n]))
		fmt.Fprintf(&b, "partition=%s/%s/%s\n", nullStr(vals[n+1]), nullStr(vals[n+2]), nullStr(vals[n+3]))
		if vals[n+4].Valid {
			extra := parseJSON(t, vals[n+4].String).(map[string]any)
			keys := make([]string, 0, len(extra))
			for k := range extra {
				if !strings.Contains(k, ".") { // nested members: not compared here
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			for _, k := range keys {
				fmt.Fprintf(&b, "extra.%s=%s\n", k, canonical(t, extra[k]))
			}
		}
		out = append(out, b.String())
	}
	require.NoError(t, rows.Err())
	return out
}

func nullStr(v sql.NullString) string {
	if !v.Valid {
		return "NULL"
	}
	return v.String
}

// requireSameRows compares two multisets of rendered rows, showing the first
// difference.
func requireSameRows(t *testing.T, want, got []string) {
	t.Helper()
	slices.Sort(want)
	slices.Sort(got)
	require.Equal(t, len(want), len(got), "row count")
	for i := range want {
		if want[i] != got[i] {
			require.Equal(t, want[i], got[i], "row %d of %d in sorted order", i, len(want))
		}
	}
}

// synthRecords returns n generated records as JSON Lines and as one gzipped
// log file.
func synthLogFile(t testing.TB, n int) (lines [][]byte, gz []byte) {
	t.Helper()
	var buf bytes.Buffer
	g := synth.New(7, time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC))
	require.NoError(t, g.WriteLogFile(&buf, n))
	g = synth.New(7, time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC))
	for range n {
		lines = append(lines, g.Record().AppendJSON(nil))
	}
	return lines, buf.Bytes()
}

func recordsFromEnv(def int) int {
	if s := os.Getenv("TRAILKIT_LAKE_RECORDS"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	if testing.Short() {
		// make race runs -short: a tenth of the records drives the same
		// code, and the detector makes each record cost ten times more.
		return def / 10
	}
	return def
}

func TestCloudTrailFidelityCorpus(t *testing.T) {
	recs := testdata.Records(t)
	dir := exportDir(t, lake.Options{}, map[string][]byte{"records.jsonl": bytes.Join(recs, []byte("\n"))})
	want := make([]string, len(recs))
	for i, r := range recs {
		want[i] = expectedRow(t, r)
	}
	requireSameRows(t, want, actualRows(t, Open(t), dir))
}

// TestCloudTrailFidelitySynth checks a generated trail: 20,000 records by
// default, TRAILKIT_LAKE_RECORDS=200000 for the acceptance run.
func TestCloudTrailFidelitySynth(t *testing.T) {
	lines, gz := synthLogFile(t, recordsFromEnv(20000))
	dir := exportDir(t, lake.Options{}, map[string][]byte{"AWSLogs/x.json.gz": gz})
	want := make([]string, len(lines))
	for i, r := range lines {
		want[i] = expectedRow(t, r)
	}
	requireSameRows(t, want, actualRows(t, Open(t), dir))
	require.NotEmpty(t, filepath.Join(dir))
	_ = reflect.DeepEqual
}
