package duckdbtest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/trailkit/trailkit/internal/benchmeter"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail/history"
)

// duckdbLookup is the same question as the lookup's, asked of DuckDB:
// every event of one user (the last part of an assumed role's ARN, as
// Event History's user name), newest first, read from the log files with a
// typed schema of just the columns the answer needs.
const duckdbLookup = `
SELECT r.eventID, r.eventTime, r.eventName, r.eventSource, r.readOnly, r.userIdentity.accessKeyId
FROM (
	SELECT unnest(Records) AS r
	FROM read_json(?, format = 'auto', compression = 'gzip',
		columns = {Records: 'STRUCT(eventID VARCHAR, eventTime VARCHAR, eventName VARCHAR, eventSource VARCHAR, readOnly BOOLEAN,
			userIdentity STRUCT(arn VARCHAR, accessKeyId VARCHAR), resources STRUCT(type VARCHAR, "ARN" VARCHAR)[])[]'})
)
WHERE r.userIdentity.arn LIKE '%/' || ?
ORDER BY r.eventTime DESC, r.eventID DESC`

// BenchmarkLookupVsDuckDB compares, in the same iteration, trailkit's
// lookup of every event of a selective attribute (Username, one user of
// 200) on a ten-day trail with DuckDB reading the same files with a typed
// schema. DuckDB and the lookup alternate (DuckDB, lookup, DuckDB, lookup,
// ...), and each ratio is the median of the iterations' ratios: x-duckdb
// is the lookup without summaries (it reads every file, as DuckDB does)
// over DuckDB's elapsed time: target at most 1; x-duckdb-summaries the
// same lookup again with the summaries the first one kept; x-duckdb-cpu
// compares the processor time the two took (user and system, of the whole
// process: DuckDB runs in it), which a machine shared with other work
// disturbs less than elapsed time. The two answers must have the same
// events.
//
//	cd internal/duckdbtest && go test -run '^$' -bench LookupVsDuckDB -benchtime 3x
func BenchmarkLookupVsDuckDB(b *testing.B) {
	root, err := synth.BenchTrail(benchmeter.Records(200000))
	if err != nil {
		b.Fatal(err)
	}
	store, err := sink.NewDir(root, sink.DirOptions{})
	if err != nil {
		b.Fatal(err)
	}
	db := Open(b)
	glob := filepath.Join(root, "AWSLogs", "*", "CloudTrail", "*", "*", "*", "*", "*.json.gz")
	const user = "user-042"
	in := history.Input{StartTime: time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC), EndTime: time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC),
		Attributes: []history.Attribute{{Key: history.Username, Value: user}}}
	ctx := context.Background()
	var duck, cold time.Duration
	var wall, cpus, warm []float64
	var matches int
	for b.Loop() {
		start, cpu := time.Now(), benchmeter.CPUTime(b)
		rows, err := db.QueryContext(ctx, duckdbLookup, glob, user)
		if err != nil {
			b.Fatal(err)
		}
		var ids []string
		for rows.Next() {
			var id, at, name, source string
			var readOnly *bool
			var key *string
			if err := rows.Scan(&id, &at, &name, &source, &readOnly, &key); err != nil {
				b.Fatal(err)
			}
			ids = append(ids, id)
		}
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		rows.Close()
		d, dcpu := time.Since(start), benchmeter.CPUTime(b)-cpu

		in.Summaries = history.NewSummaries()
		start, cpu = time.Now(), benchmeter.CPUTime(b)
		out, err := history.LookupMany(ctx, store, in, 0)
		if err != nil {
			b.Fatal(err)
		}
		c, ccpu := time.Since(start), benchmeter.CPUTime(b)-cpu
		if len(out.Events) != len(ids) {
			b.Fatalf("lookup found %d events, DuckDB %d", len(out.Events), len(ids))
		}
		for i, ev := range out.Events {
			if ev.EventID != ids[i] {
				b.Fatalf("event %d: lookup %s, DuckDB %s", i, ev.EventID, ids[i])
			}
		}
		matches = len(ids)

		start = time.Now()
		again, err := history.LookupMany(ctx, store, in, 0)
		if err != nil || len(again.Events) != matches {
			b.Fatalf("lookup with summaries: %d events, want %d: %v", len(again.Events), matches, err)
		}
		w := time.Since(start)
		duck += d
		cold += c
		wall = append(wall, float64(c)/float64(d))
		cpus = append(cpus, float64(ccpu)/float64(dcpu))
		warm = append(warm, float64(w)/float64(d))
	}
	b.ReportMetric(duck.Seconds()/float64(b.N), "duckdb-s")
	b.ReportMetric(cold.Seconds()/float64(b.N), "lookup-s")
	b.ReportMetric(benchmeter.Median(wall), "x-duckdb")
	b.ReportMetric(benchmeter.Median(warm), "x-duckdb-summaries")
	b.ReportMetric(benchmeter.Median(cpus), "x-duckdb-cpu")
	b.ReportMetric(float64(matches), "matches")
	b.Logf("elapsed-time ratios %.3f, processor-time ratios %.3f", wall, cpus)
}
