package duckdbtest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/lake"
)

// BenchmarkQuery runs one aggregate query (calls and errors per service and
// operation) with DuckDB over the Parquet export of a generated log file and
// over the log file itself read with a typed read_json, and reports how many
// times faster the Parquet is (x-faster). TRAILKIT_LAKE_RECORDS sets the
// size (200000 for the acceptance run). It fails below 10x.
//
//	go test -run '^$' -bench Query -benchtime 3x ./internal/duckdbtest
func BenchmarkQuery(b *testing.B) {
	n := recordsFromEnv(200000)
	_, gz := synthLogFile(b, n)
	dir := b.TempDir()
	gzPath := filepath.Join(dir, "trail.json.gz")
	require.NoError(b, os.WriteFile(gzPath, gz, 0o644))
	lakeDir := exportDirB(b, lake.Options{}, gzPath, gz)
	db := Open(b)
	const agg = "SELECT eventSource, eventName, count(*) AS calls, count(errorCode) AS errors FROM %s GROUP BY ALL ORDER BY calls DESC"
	overParquet := fmt.Sprintf(agg, readParquet(lakeDir))
	overJSON := fmt.Sprintf(agg, fmt.Sprintf("(SELECT unnest(Records, recursive := true) FROM read_json('%s', format = 'unstructured', columns = {Records: 'STRUCT(eventSource VARCHAR, eventName VARCHAR, errorCode VARCHAR)[]'}, maximum_object_size = 2000000000))", gzPath))
	run := func(q string) (time.Duration, int) {
		start := time.Now()
		rows, err := db.Query(q)
		require.NoError(b, err)
		total := 0
		for rows.Next() {
			var src, name string
			var calls, errs int
			require.NoError(b, rows.Scan(&src, &name, &calls, &errs))
			total += calls
		}
		require.NoError(b, rows.Err())
		rows.Close()
		return time.Since(start), total
	}
	var pq, js time.Duration
	for b.Loop() {
		d, total := run(overJSON)
		require.Equal(b, n, total, "rows counted over the JSON")
		js += d
		d, total = run(overParquet)
		require.Equal(b, n, total, "rows counted over the Parquet")
		pq += d
	}
	ratio := float64(js) / float64(pq)
	b.ReportMetric(ratio, "x-faster")
	b.ReportMetric(float64(pq.Milliseconds())/float64(b.N), "parquet-ms")
	b.ReportMetric(float64(js.Milliseconds())/float64(b.N), "json-ms")
	if ratio < 10 {
		b.Errorf("the query over Parquet is %.1fx faster than over the .json.gz, want at least 10x", ratio)
	}
}
