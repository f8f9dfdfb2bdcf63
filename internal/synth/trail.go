package synth

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/trailkit/trailkit/event"
)

// TrailOptions shapes a trail written by WriteTrail.
type TrailOptions struct {
	Records int
	// Span is the time the records cover (default 10 days).
	Span time.Duration
	// Regions is how many regions the records are spread over, each with
	// its own files (default 4, as the trail of 200,000 records in 11,500
	// five-minute files that lookup and cat are measured on).
	Regions int
	// LateOneIn delivers one record in LateOneIn late: up to LateMax after
	// its eventTime, in a file of a later day (default 50, up to 3 days).
	LateOneIn int
	LateMax   time.Duration
}

var regions = []string{"us-east-1", "eu-west-1", "us-west-2", "ap-southeast-1", "eu-central-1", "sa-east-1"}

// fileSpan is how much delivery time one log file covers, as CloudTrail
// delivers about every five minutes.
const fileSpan = 5 * time.Minute

// WriteTrail writes a trail's log files under root, keyed as CloudTrail
// keys them (AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/...json.gz): each
// record is delivered one to five minutes after its eventTime, or late,
// into the five-minute file of its delivery time. It returns the number of
// files written.
func (g *Generator) WriteTrail(root string, opts TrailOptions) (int, error) {
	if opts.Span == 0 {
		opts.Span = 10 * 24 * time.Hour
	}
	if opts.Regions == 0 {
		opts.Regions = 4
	}
	if opts.LateOneIn == 0 {
		opts.LateOneIn = 50
	}
	if opts.LateMax == 0 {
		opts.LateMax = 72 * time.Hour
	}
	g.gap = opts.Span / time.Duration(max(opts.Records, 1))
	type bucket struct {
		region int
		at     time.Time // start of the delivery span
	}
	open := map[bucket][]*event.Record{}
	files := 0
	flush := func(before time.Time) error {
		var done []bucket
		for b := range open {
			if b.at.Add(fileSpan).Before(before) {
				done = append(done, b)
			}
		}
		slices.SortFunc(done, func(a, b bucket) int { return a.at.Compare(b.at) })
		for _, b := range done {
			if err := g.writeFile(root, regions[b.region], b.at.Add(fileSpan), open[b]); err != nil {
				return err
			}
			delete(open, b)
			files++
		}
		return nil
	}
	for i := range opts.Records {
		r := g.Record()
		region := g.rng.IntN(opts.Regions)
		r.AWSRegion = regions[region]
		delay := time.Minute + time.Duration(g.rng.IntN(240))*time.Second
		if g.rng.IntN(opts.LateOneIn) == 0 {
			delay += time.Duration(g.rng.Int64N(int64(opts.LateMax)))
		}
		b := bucket{region, r.EventTime.Add(delay).Truncate(fileSpan)}
		open[b] = append(open[b], r)
		if i%1000 == 0 {
			if err := flush(r.EventTime); err != nil {
				return files, err
			}
		}
	}
	return files, flush(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
}

// writeFile writes one log file delivered at the given time.
func (g *Generator) writeFile(root, region string, delivered time.Time, recs []*event.Record) error {
	key := fmt.Sprintf("AWSLogs/%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz", g.Account, region,
		delivered.Format("2006/01/02"), g.Account, region, delivered.Format("20060102T1504Z"), strings.ToUpper(g.hex(16)))
	path := filepath.Join(root, filepath.FromSlash(key))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	lw, err := event.NewLogWriter(f, event.LogWriterOptions{})
	if err == nil {
		for _, r := range recs {
			if err = lw.Write(r); err != nil {
				break
			}
		}
	}
	if err == nil {
		err = lw.Close()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// BenchTrail returns the root of a trail of n records over ten days, as
// WriteTrail writes it with its defaults, generated once into the temp
// directory and reused by later benchmarks (a directory of its own,
// renamed into place when complete, so that benchmarks started at once
// never see half a trail).
func BenchTrail(n int) (string, error) {
	dir := filepath.Join(os.TempDir(), "trailkit-bench")
	root := filepath.Join(dir, fmt.Sprintf("trail-v%d-%d", Version, n))
	if _, err := os.Stat(root); err == nil {
		return root, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(dir, "trail-*.tmp")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	g := New(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if _, err := g.WriteTrail(tmp, TrailOptions{Records: n}); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, root); err != nil {
		if _, serr := os.Stat(root); serr == nil {
			return root, nil // another benchmark finished first
		}
		return "", err
	}
	return root, nil
}
