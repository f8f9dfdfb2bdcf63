// Package parquet is a sink.Sink that delivers a trail to a data lake: each
// CloudTrail log file the trail puts is stored as Parquet objects on another
// sink (a directory, S3), in the layout package lake writes,
//
//	[Prefix]region=<awsRegion>/accountId=<recipientAccountId>/eventDay=<YYYYMMDD>/<file>_<hash>.parquet
//
// in the cloudtrail or ocsf shape. For an Amazon Security Lake custom source,
// Prefix is "ext/<source>/" and the shape ocsf. A trail delivers to a lake
// as well as log files by listing both sinks, or instead of them by listing
// this one only:
//
//	lakeSink := parquet.New(s3Sink, parquet.Options{Format: lake.OCSF, Prefix: "ext/myapp/"})
//	cfg.Delivery.Sinks = []sink.Sink{s3Sink, lakeSink}
//
// # Files
//
// The trail rolls the Parquet files: every log file it cuts (at the end of a
// flush window, or at Files.MaxRecords or MaxBytes) becomes one Parquet
// object per partition its records fall in, usually one, since a log file
// holds one account and Region. For larger lake files, give the trail a
// longer FlushInterval and larger MaxBytes.
//
// # Guarantees
//
// Put converts the whole log file, then puts its objects; it fails, and the
// trail retries it (and reports it in Status), when any put fails. Objects
// are named after the log file's key, which a retry and a trail recovering
// its spool after a crash reuse: a log file put twice replaces its objects,
// so the lake holds each delivered record once, and the trail's at-least-once
// guarantee (an acknowledged record is delivered, through retries, outages and
// kill -9 with a spool) carries over to the lake.
//
// Digest files are not stored: a lake has no CloudTrail layout for them to
// describe. Use a trail with digests to a log-file sink beside the lake.
package parquet

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/trailkit/trailkit/lake"
	"github.com/trailkit/trailkit/sink"
)

// Options configure a Sink.
type Options struct {
	// Format is the shape of the rows (lake.CloudTrail when empty).
	Format lake.Format
	// Prefix goes before the partition directories, such as
	// "ext/<source>/" for a Security Lake custom source.
	Prefix string
	// RowGroupRows and MaxFileBytes are as in lake.Options.
	RowGroupRows int64
	MaxFileBytes int64
}

// Sink stores log files as Parquet on another sink. It is safe for
// concurrent use.
type Sink struct {
	dst     sink.Sink
	opts    lake.Options
	files   atomic.Int64
	rows    atomic.Int64
	skipped atomic.Int64
}

// New returns a Sink writing to dst. It returns an error wrapping
// lake.ErrFormat for an unknown Format.
func New(dst sink.Sink, opts Options) (*Sink, error) {
	lo := lake.Options{Format: opts.Format, Prefix: opts.Prefix, RowGroupRows: opts.RowGroupRows, MaxFileBytes: opts.MaxFileBytes}
	if _, err := lake.Schema(opts.Format); err != nil {
		return nil, err
	}
	return &Sink{dst: dst, opts: lo}, nil
}

// Bucket is the bucket of the sink the lake is on.
func (s *Sink) Bucket() string { return s.dst.Bucket() }

// Put stores the records of a log file (CloudTrail or CloudTrail-Insight)
// as Parquet objects. Other objects, digests, are skipped.
func (s *Sink) Put(ctx context.Context, obj sink.Object) error {
	if !isLogFile(obj.Key) {
		s.skipped.Add(1)
		return nil
	}
	w, err := lake.NewWriter(s.dst, obj.Key, s.opts)
	if err != nil {
		return err
	}
	if err := w.Export(ctx, bytes.NewReader(obj.Body)); err != nil {
		return fmt.Errorf("as parquet: %w", err)
	}
	s.files.Add(1)
	s.rows.Add(w.Rows())
	return nil
}

// isLogFile reports whether key is a log file's key in CloudTrail's layout:
// a .json.gz under a CloudTrail or CloudTrail-Insight directory.
func isLogFile(key string) bool {
	return strings.HasSuffix(key, ".json.gz") && (strings.Contains(key, "/CloudTrail/") || strings.Contains(key, "/CloudTrail-Insight/"))
}

// Stats counts what the Sink stored.
type Stats struct {
	LogFiles int64 // log files stored as Parquet
	Rows     int64 // records written
	Skipped  int64 // objects that are not log files (digests)
}

// Stats returns the counts so far.
func (s *Sink) Stats() Stats {
	return Stats{LogFiles: s.files.Load(), Rows: s.rows.Load(), Skipped: s.skipped.Load()}
}
