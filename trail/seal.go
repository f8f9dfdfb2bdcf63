package trail

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/sink"
)

// SealOptions name the trail whose owed digests Seal writes, as its Config
// does.
type SealOptions struct {
	// Sink holds the trail; it must be a sink.Store (beneath wrappers),
	// and should be a sink.ExclusiveSink for Seal to be safe beside
	// running writers.
	Sink                        sink.Sink
	Name, AccountID, HomeRegion string
	S3KeyPrefix, OrganizationID string
	Digests                     DigestOptions
	// Until is the time up to which delivered files are sealed (default
	// now): the digest of the hour holding it is written early if it
	// lists a file, as Close does.
	Until time.Time
}

// SealReport says what Seal wrote.
type SealReport struct {
	Digests []string // keys of the digests written, per chain oldest first
	Listed  int      // log files they list
}

// Seal writes the digests still owed for log files already delivered to a
// trail's sink: for each chain (account and region with log files), if the
// sink holds files dated up to Until, at most a day before, or older files
// it says were written in that day (delivered late), that no digest lists,
// it seals the hours from the chain's newest digest to the hour of the
// newest such file, as a trail does at the end of each hour, each digest
// created only if absent. It seals no hour that has not begun by Until:
// files delivered in an hour whose digest a stopping writer sealed early
// are due in the next, sealed once that hour has begun. It is what the
// writers of a trail that all died owe; with nothing owed it writes
// nothing, and it is safe to run beside writers of the trail and beside
// itself: of several processes sealing an hour one creates its digest, the
// others link to it.
func Seal(ctx context.Context, opts SealOptions) (SealReport, error) {
	var rep SealReport
	if opts.Sink == nil {
		return rep, errors.New("trail: seal: no sink")
	}
	if opts.Digests.Signer == nil && opts.Digests.Keys == nil {
		return rep, errors.New("trail: seal: no Digests.Signer or Digests.Keys")
	}
	until := opts.Until
	if until.IsZero() {
		until = time.Now()
	}
	until = until.UTC().Truncate(time.Second)
	prefix := strings.Trim(opts.S3KeyPrefix, "/")
	var written []string
	sd := newSealer(opts.Sink, prefix, opts.OrganizationID, func(key string, err error) {
		if err == nil {
			written = append(written, key)
		}
	})
	if sd.store == nil {
		return rep, fmt.Errorf("trail: seal: sink %s cannot be read (no sink.Store)", opts.Sink.Bucket())
	}
	chains, err := sd.chains(ctx, opts.AccountID)
	if err != nil {
		return rep, fmt.Errorf("trail: seal: %w", err)
	}
	for _, k := range chains {
		c, err := digest.NewChain(digest.ChainConfig{
			AccountID: k.account, Region: k.region, HomeRegion: opts.HomeRegion, TrailName: opts.Name,
			KeyPrefix: prefix, OrganizationID: opts.OrganizationID, Bucket: sd.bucket,
			Signer: opts.Digests.Signer, Keys: opts.Digests.Keys,
		})
		if err != nil {
			return rep, fmt.Errorf("trail: seal: %w", err)
		}
		start, end, late, ok, err := sd.owed(ctx, c, k, until)
		if err != nil {
			return rep, fmt.Errorf("trail: seal %s/%s: %w", k.account, k.region, err)
		}
		if !ok {
			continue
		}
		if _, err := sd.sealOwed(ctx, c, k, start, end, late); err != nil {
			return rep, fmt.Errorf("trail: seal %s/%s: %w", k.account, k.region, err)
		}
	}
	for _, key := range written {
		if d := sd.seen[key]; d != nil {
			rep.Listed += len(d.logs)
		}
	}
	rep.Digests = written
	return rep, nil
}

// owed returns the period whose digest (with those of the hours before it,
// after the chain's newest digest) lists the files of chain k that no digest
// lists: those dated up to until, at most a day before, and older ones the
// store says were written in that day (late files, see lateLogs), which it
// returns; false when there are none. A file is due in the digest of the
// hour its key's minute names or, if that hour is sealed, the next. A late
// file's delivery is what the store says when the chain's newest digest
// is within a day of it (the writers' clocks are the store's): it is due
// in the digest of the hour it was delivered in, the hours between sealed
// empty, as CloudTrail lists the files delivered during a digest's period.
// (A replay of old records delivers files long after the time its clock
// dates them, and its chain ends long before: there the store's time is
// not the trail's, and such a file goes into the next digest.)
func (sd *sealer) owed(ctx context.Context, c *digest.Chain, k routeKey, until time.Time) (start, end time.Time, late []digest.LogFile, ok bool, err error) {
	tip, err := c.Tip(ctx, sd.store, until.Truncate(time.Hour).Add(time.Hour+time.Second))
	if err != nil {
		return start, end, nil, false, err
	}
	from := until.Add(-lookback)
	tipKey := ""
	if tip != nil {
		sd.remember(tip)
		tipKey = tip.DigestS3Object
	}
	old, err := sd.lateLogs(ctx, k, from, until)
	if err != nil {
		return start, end, nil, false, err
	}
	// A digest lists a file dated before its end: the digests that may
	// list the late files end after the oldest of their minutes.
	walkFrom := from
	for _, l := range old {
		walkFrom = minTime(walkFrom, l.at)
	}
	listed, err := sd.listedSince(ctx, tipKey, walkFrom.Add(-time.Hour))
	if err != nil {
		return start, end, nil, false, err
	}
	stored, err := sd.storedLogs(ctx, k, from, until)
	if err != nil {
		return start, end, nil, false, err
	}
	var first, last time.Time
	due := func(at time.Time) {
		if first.IsZero() || at.Before(first) {
			first = at
		}
		if at.After(last) {
			last = at
		}
	}
	for _, l := range stored {
		if !listed[sd.bucket+"/"+l.key] {
			due(l.at)
		}
	}
	for _, l := range old {
		if listed[sd.bucket+"/"+l.key] {
			continue
		}
		lf, err := readLogFile(ctx, sd.store, l.key)
		if errors.Is(err, errUnreadableLog) {
			sd.report("read "+l.key, err) // not a log file this trail wrote
			continue
		}
		if err != nil {
			return start, end, nil, false, err
		}
		late = append(late, lf)
		if tip != nil && !tip.DigestEndTime.Before(l.modified.Add(-lookback)) {
			due(l.modified)
		} else {
			due(l.at)
		}
	}
	if last.IsZero() {
		return start, end, nil, false, nil
	}
	// A file stamped on the hour is in the digest of the hour it starts.
	end = periodEnd(last)
	start = periodEnd(first).Add(-digestPeriod)
	if tip != nil {
		if !end.After(tip.DigestEndTime) {
			// Late files, after the newest digest: the next one.
			end = tip.DigestEndTime.Truncate(time.Hour).Add(time.Hour)
		}
		start = maxOf(start, tip.DigestEndTime)
	}
	if end.Add(-digestPeriod).After(until) {
		// The hour they are due in has not begun (the newest digest
		// was sealed early, by a writer that stopped): sealing it now
		// would date the chain ahead of the clock, as a stopping trail
		// does not either. The hour's sealer, or a later seal, lists
		// them.
		return start, end, nil, false, nil
	}
	return start, end, late, true, nil
}

// lateLogs returns the log files of chain k dated before from that the
// store says were written from `from` to until: files delivered more than
// a day late (a writer's spool put again after a long outage, by a writer
// that died before it listed them). It lists every older key of the chain
// (one request per thousand), as trailkit seal may: the trail's own
// sealers look back a day only.
func (sd *sealer) lateLogs(ctx context.Context, k routeKey, from, until time.Time) ([]storedLog, error) {
	var out []storedLog
	for _, dir := range [...]string{dirLogs, dirInsights} {
		sample := logKey(sd.prefix, sd.orgID, k.account, k.region, dir, from, strings.Repeat("0", uniqueLen))
		name := sample[strings.LastIndexByte(sample, '/')+1:]
		fixed := name[:len(name)-len("20060102T1504Z_")-uniqueLen-len(".json.gz")]
		regionPrefix := sample[:len(sample)-len(name)-len("2006/01/02/")]
		for info, err := range sd.store.List(ctx, regionPrefix, "") {
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", regionPrefix, err)
			}
			rest := info.Key[len(regionPrefix):]
			if len(rest) < len("2006/01/02/") {
				continue
			}
			at, ok := layoutStamp(rest[len("2006/01/02/"):], fixed)
			if !ok {
				continue
			}
			if !at.Before(from) {
				break // the trail's keys sort in time order
			}
			if mod := info.LastModified.UTC().Truncate(time.Second); !mod.Before(from) && !mod.After(until) {
				out = append(out, storedLog{info.Key, at, mod})
			}
		}
	}
	return out, nil
}

func maxOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// chains lists the chains with log files in the store: the regions under
// the account's CloudTrail and CloudTrail-Insight directories; for an
// organization trail, of every member account.
func (sd *sealer) chains(ctx context.Context, account string) ([]routeKey, error) {
	base := ""
	if sd.prefix != "" {
		base = sd.prefix + "/"
	}
	base += "AWSLogs/"
	accounts := []string{account}
	if sd.orgID != "" {
		base += sd.orgID + "/"
		var err error
		if accounts, err = subdirs(ctx, sd.store, base); err != nil {
			return nil, err
		}
	}
	var out []routeKey
	for _, a := range accounts {
		seen := map[string]bool{}
		for _, dir := range [...]string{dirLogs, dirInsights} {
			regions, err := subdirs(ctx, sd.store, base+a+"/"+dir+"/")
			if err != nil {
				return nil, err
			}
			for _, r := range regions {
				if !seen[r] {
					seen[r] = true
					out = append(out, routeKey{account: a, region: r})
				}
			}
		}
	}
	return out, nil
}

// subdirs lists the "directories" under prefix, reading one key of each.
func subdirs(ctx context.Context, store sink.Store, prefix string) ([]string, error) {
	var out []string
	after := ""
	for {
		found := ""
		for info, err := range store.List(ctx, prefix, after) {
			if err != nil {
				return nil, err
			}
			if i := strings.IndexByte(info.Key[len(prefix):], '/'); i > 0 {
				found = info.Key[len(prefix) : len(prefix)+i]
				break
			}
		}
		if found == "" {
			return out, nil
		}
		out = append(out, found)
		after = prefix + found + "0" // '0' follows '/': skips every key under found/
	}
}
