package main

import (
	"bufio"
	"context"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/trailkit/trailkit/lake"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

func init() {
	register("export", "write records as Parquet (CloudTrail or OCSF shape) for SQL engines", runExport)
}

const exportUsage = `--out DIR|s3://bucket/prefix [--format cloudtrail|ocsf] [--since TIME] [--state FILE] [--shard i/n] [--ddl athena|duckdb] INPUT...

Writes the records of each INPUT (as 'trailkit cat' reads them: log files, directories, s3://bucket/prefix,
- for standard input) as zstd Parquet under region=<awsRegion>/accountId=<recipientAccountId>/eventDay=<YYYYMMDD>/,
one object per partition per input, named after the input: exporting an input again replaces its objects.
--state records each exported input and skips it next time; --shard i/n exports the inputs whose name
hashes to i of n, so that n processes together export everything once. --ddl prints the table to query
--out with (Athena: CREATE EXTERNAL TABLE with partition projection; DuckDB: a view).`

func runExport(ctx context.Context, e *env, args []string) error {
	fl := newFlags(e, "export", exportUsage)
	format := fl.String("format", "cloudtrail", "row shape: cloudtrail (CloudTrail's fields) or ocsf (OCSF 1.1.0, as Security Lake)")
	out := fl.String("out", "", "directory or s3://bucket/prefix to write to (required)")
	since := fl.String("since", "", "skip log files whose name dates them before TIME (RFC 3339 or YYYY-MM-DD)")
	statePath := fl.String("state", "", "file listing the inputs exported; they are skipped, new ones added")
	shard := fl.String("shard", "", "i/n: export only the inputs of shard i (0 <= i < n)")
	ddl := fl.String("ddl", "", "print the DDL of a table over --out: athena or duckdb")
	table := fl.String("table", "", "table name for --ddl (default: cloudtrail_logs or ocsf_logs)")
	endpoint := fl.String("endpoint-url", "", "S3-compatible endpoint for s3:// paths (or AWS_ENDPOINT_URL_S3)")
	if err := fl.parse(args); err != nil {
		return err
	}
	opts := lake.Options{Format: lake.Format(*format)}
	if _, err := lake.Schema(opts.Format); err != nil {
		return usagef("--format %q: want cloudtrail or ocsf", *format)
	}
	if *out == "" {
		return usagef("--out is required")
	}
	sel, err := parseSelection(*since, *shard)
	if err != nil {
		return err
	}
	if *ddl != "" {
		if err := printDDL(e, *ddl, *table, opts.Format, *out); err != nil {
			return err
		}
		if fl.NArg() == 0 {
			return nil
		}
	}
	if fl.NArg() == 0 {
		return usagef("no INPUT given")
	}
	dst, prefix, err := openOutput(ctx, e, *out, *endpoint)
	if err != nil {
		return err
	}
	opts.Prefix = prefix
	// The export holds a file's Parquet in memory until its put; a soft
	// limit makes the collector keep the heap near what is live, so that
	// peak memory stays under 256 MiB whatever the input's size.
	if e.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(160 << 20)
	}
	// Under that limit, a collection when the heap has grown by four
	// times what was live, not two: most of an export's heap is its open
	// files' pages, live until put, and the batches of records in flight,
	// so collecting more often frees little. A log file of 20,000 records
	// went through 6 collections, 5% of the export's instructions; now 3.
	if e.getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	st, err := openState(*statePath)
	if err != nil {
		return err
	}
	defer st.close()
	var inputs, records, objects int
	for _, in := range fl.Args() {
		keyOf := inputKey(in)
		keep := func(name string) bool {
			k := keyOf(name)
			return sel.keep(k) && !st.done[k]
		}
		err := eachInputIf(ctx, e, in, *endpoint, keep, func(name string, r io.Reader) error {
			if !keep(name) {
				return nil
			}
			k := keyOf(name)
			w, err := lake.NewWriter(dst, k, opts)
			if err != nil {
				return err
			}
			if err := w.Export(ctx, r); err != nil {
				return err
			}
			inputs++
			records += int(w.Rows())
			objects += len(w.Keys())
			return st.add(k)
		})
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stderr, "exported %d records of %d inputs into %d objects\n", records, inputs, objects)
	return nil
}

// inputKey returns, for an INPUT argument, the function giving each of its
// inputs the key its objects are named after: the object key for s3://, the
// path under the directory for a directory, the file name for a file. So a
// log file has the same key wherever it is exported from (a bucket, a copy
// of the bucket), and exporting it again replaces the same objects.
func inputKey(arg string) func(name string) string {
	switch {
	case arg == "-":
		return func(string) string { return "stdin" }
	case strings.HasPrefix(arg, "s3://"):
		return func(name string) string {
			rest := strings.TrimPrefix(name, "s3://")
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				return rest[i+1:]
			}
			return rest
		}
	}
	if fi, err := os.Stat(arg); err == nil && fi.IsDir() {
		return func(name string) string {
			rel, err := filepath.Rel(arg, name)
			if err != nil {
				return filepath.ToSlash(name)
			}
			return filepath.ToSlash(rel)
		}
	}
	return func(name string) string { return filepath.Base(name) }
}

// selection is which inputs --since and --shard keep.
type selection struct {
	since      time.Time
	shard, nsh uint64
}

func parseSelection(since, shard string) (selection, error) {
	var s selection
	if since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			t, err = time.Parse("2006-01-02", since)
		}
		if err != nil {
			return s, usagef("--since %q: want RFC 3339 (2026-01-02T15:04:05Z) or YYYY-MM-DD", since)
		}
		s.since = t
	}
	if shard != "" {
		i, n, ok := strings.Cut(shard, "/")
		si, err1 := strconv.ParseUint(i, 10, 32)
		sn, err2 := strconv.ParseUint(n, 10, 32)
		if !ok || err1 != nil || err2 != nil || sn == 0 || si >= sn {
			return s, usagef("--shard %q: want i/n with 0 <= i < n", shard)
		}
		s.shard, s.nsh = si, sn
	}
	return s, nil
}

// logFileTime matches the date in a CloudTrail log file's name.
var logFileTime = regexp.MustCompile(`_(\d{8}T\d{4}Z)_`)

func (s selection) keep(key string) bool {
	if s.nsh > 0 {
		h := fnv.New64a()
		h.Write([]byte(key))
		if h.Sum64()%s.nsh != s.shard {
			return false
		}
	}
	if !s.since.IsZero() {
		if m := logFileTime.FindStringSubmatch(path.Base(key)); m != nil {
			if t, err := time.Parse("20060102T1504Z", m[1]); err == nil && t.Before(s.since) {
				return false
			}
		}
	}
	return true
}

// exportState is the --state file: one exported input key a line, appended
// and synced after each input's objects are all stored, so a run stopped
// anywhere resumes after the last input it finished.
type exportState struct {
	done map[string]bool
	f    *os.File
}

func openState(path string) (*exportState, error) {
	st := &exportState{done: map[string]bool{}}
	if path == "" {
		return st, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if line := sc.Text(); line != "" {
			st.done[line] = true
		}
	}
	if err := sc.Err(); err != nil {
		f.Close()
		return nil, fmt.Errorf("state %s: %w", path, err)
	}
	st.f = f
	return st, nil
}

func (st *exportState) add(key string) error {
	st.done[key] = true
	if st.f == nil {
		return nil
	}
	if strings.ContainsAny(key, "\n\r") {
		return fmt.Errorf("state: input key %q has a line break", key)
	}
	if _, err := st.f.WriteString(key + "\n"); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := st.f.Sync(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	return nil
}

func (st *exportState) close() {
	if st.f != nil {
		st.f.Close()
	}
}

// openOutput opens --out: a directory (created) or an S3 prefix.
func openOutput(ctx context.Context, e *env, out, endpoint string) (sink.Sink, string, error) {
	if strings.HasPrefix(out, "s3://") {
		s, prefix, err := openS3(ctx, e, out, endpoint, s3sink.Options{})
		return s, prefix, err
	}
	d, err := sink.NewDir(out, sink.DirOptions{})
	if err != nil {
		return nil, "", err
	}
	return d, "", nil
}

func printDDL(e *env, engine, table string, f lake.Format, out string) error {
	if table == "" {
		table = string(f) + "_logs"
		if f == lake.CloudTrail {
			table = "cloudtrail_logs"
		}
	}
	switch engine {
	case "athena":
		if !strings.HasPrefix(out, "s3://") {
			return usagef("--ddl athena needs --out s3://bucket/prefix")
		}
		s, err := lake.AthenaDDL(f, table, out)
		if err != nil {
			return err
		}
		_, err = io.WriteString(e.stdout, s)
		return err
	case "duckdb":
		_, err := io.WriteString(e.stdout, lake.DuckDBDDL(table, out))
		return err
	}
	return usagef("--ddl %q: want athena or duckdb", engine)
}
