package trail

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/iox"
	"github.com/trailkit/trailkit/sink"
)

// scanWindow bounds how long after a chain's last digest scanUndigested
// looks for files.
const scanWindow = 24 * time.Hour

// scanUndigested returns the log files of chain k (CloudTrail and
// CloudTrail-Insight files of its account and Region) that store holds,
// dated from the end of the chain's last digest to upto (the trail's
// start), at most scanWindow later, and that the last digest does not
// list: the files of a process killed before its digest was delivered. It
// serves a trail without a Spool, which has no digest journal. Only keys
// of the trail's layout count (prefix, organization, account, Region, the
// name's form); files another process delivered to the same directories
// in that time are taken for this trail's (see the package doc). Each file
// is read: its SHA-256 is over the uncompressed bytes, its event times
// those of its records.
func (sd *sinkDigests) scanUndigested(ctx context.Context, c *digest.Chain, k routeKey, upto time.Time) ([]digest.LogFile, error) {
	last := c.Last()
	if last.Key == "" {
		return nil, nil // the chain starts afresh: nothing to continue
	}
	// A process delivers a digest every hour: the files it left
	// undigested are those of the hour after its last digest (later if
	// the digest's delivery lagged). A day bounds the listing when the
	// trail was down long.
	from := last.EndTime.UTC().Truncate(time.Minute)
	to := minTime(upto.UTC(), from.Add(scanWindow)).Truncate(time.Minute)
	if to.Before(from) {
		return nil, nil
	}
	f, _, _, err := digest.Get(ctx, sd.store, last.Key)
	if err != nil {
		return nil, err
	}
	listed := make(map[string]bool, len(f.LogFiles))
	for _, l := range f.LogFiles {
		listed[l.S3Bucket+"/"+l.S3Object] = true
	}
	t := sd.d.t
	bucket := sd.s.sink.Bucket()
	var out []digest.LogFile
	for _, dir := range [...]string{dirLogs, dirInsights} {
		for day := from.Truncate(24 * time.Hour); !day.After(to); day = day.AddDate(0, 0, 1) {
			// The key of the day's first file gives the directory and
			// the name's fixed part.
			sample := logKey(t.cfg.S3KeyPrefix, t.cfg.OrganizationID, k.account, k.region, dir, day, strings.Repeat("0", uniqueLen))
			name := sample[strings.LastIndexByte(sample, '/')+1:]
			prefix := sample[:len(sample)-len(name)]
			fixed := name[:len(name)-len("20060102T1504Z_")-uniqueLen-len(".json.gz")]
			for info, err := range sd.store.List(ctx, prefix, "") {
				if err != nil {
					return nil, fmt.Errorf("list %s: %w", prefix, err)
				}
				at, ok := layoutStamp(info.Key[len(prefix):], fixed)
				if !ok || at.Before(from) || at.After(to) || listed[bucket+"/"+info.Key] {
					continue
				}
				lf, err := readLogFile(ctx, sd.store, info.Key)
				if errors.Is(err, errUnreadableLog) {
					// Not a log file this trail wrote; the validator
					// reports it.
					now := t.clock.Now()
					sd.s.record(now, now, true, "scan "+info.Key, err)
					continue
				}
				if err != nil {
					return nil, err
				}
				out = append(out, lf)
			}
		}
	}
	return out, nil
}

// layoutStamp returns the delivery minute of a log file's name of the form
// fixed + YYYYMMDDTHHmmZ_ + 16 letters and digits + .json.gz.
func layoutStamp(name, fixed string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(name, fixed)
	if !ok || len(rest) != len("20060102T1504Z_")+uniqueLen+len(".json.gz") || !strings.HasSuffix(rest, ".json.gz") || rest[14] != '_' {
		return time.Time{}, false
	}
	for _, c := range []byte(rest[15 : 15+uniqueLen]) {
		if strings.IndexByte(alnum, c) < 0 {
			return time.Time{}, false
		}
	}
	at, err := time.Parse("20060102T1504Z", rest[:14])
	return at, err == nil
}

// errUnreadableLog marks a stored log file that is not gzipped CloudTrail
// JSON: reading it again would not help.
var errUnreadableLog = errors.New("unreadable log file")

// readLogFile reads a log file as a digest lists it.
func readLogFile(ctx context.Context, store sink.Store, key string) (digest.LogFile, error) {
	lf := digest.LogFile{Bucket: store.Bucket(), Key: key}
	body, _, err := store.Get(ctx, key)
	if err != nil {
		return lf, fmt.Errorf("get %s: %w", key, err)
	}
	defer body.Close()
	src := &iox.ErrReader{R: body}
	unreadable := func(err error) error {
		if src.Err != nil { // the store failed, not the file
			return fmt.Errorf("get %s: %w", key, src.Err)
		}
		return fmt.Errorf("%s: %w: %w", key, errUnreadableLog, err)
	}
	zr, err := gzip.NewReader(src)
	if err != nil {
		return lf, unreadable(err)
	}
	h := sha256.New()
	r := io.TeeReader(zr, h)
	for rec, err := range event.Read(r) {
		if err != nil {
			return lf, unreadable(err)
		}
		if lf.OldestEventTime.IsZero() || rec.EventTime.Before(lf.OldestEventTime) {
			lf.OldestEventTime = rec.EventTime
		}
		if rec.EventTime.After(lf.NewestEventTime) {
			lf.NewestEventTime = rec.EventTime
		}
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return lf, unreadable(err)
	}
	h.Sum(lf.SHA256[:0])
	return lf, nil
}
