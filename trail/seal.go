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
// sink holds files dated up to Until, at most a day before, that no digest
// lists, it seals the hours from the chain's newest digest to the hour of
// the newest such file, as a trail does at the end of each hour, each
// digest created only if absent. It is what the writers of a trail that
// all died owe; with nothing owed it writes nothing, and it is safe to run
// beside writers of the trail and beside itself: of several processes
// sealing an hour one creates its digest, the others link to it.
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
		start, end, ok, err := sd.owed(ctx, c, k, until)
		if err != nil {
			return rep, fmt.Errorf("trail: seal %s/%s: %w", k.account, k.region, err)
		}
		if !ok {
			continue
		}
		if _, err := sd.sealOwed(ctx, c, k, start, end, nil); err != nil {
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
// after the chain's newest digest) lists the files of chain k dated up to
// until that no digest lists; false when there are none.
func (sd *sealer) owed(ctx context.Context, c *digest.Chain, k routeKey, until time.Time) (start, end time.Time, ok bool, err error) {
	tip, err := c.Tip(ctx, sd.store, until.Truncate(time.Hour).Add(time.Hour+time.Second))
	if err != nil {
		return start, end, false, err
	}
	from := until.Add(-lookback)
	tipKey := ""
	if tip != nil {
		sd.remember(tip)
		tipKey = tip.DigestS3Object
	}
	listed, err := sd.listedSince(ctx, tipKey, from.Add(-time.Hour))
	if err != nil {
		return start, end, false, err
	}
	stored, err := sd.storedLogs(ctx, k, from, until)
	if err != nil {
		return start, end, false, err
	}
	var first, last time.Time
	for _, l := range stored {
		if listed[sd.bucket+"/"+l.key] {
			continue
		}
		if first.IsZero() || l.at.Before(first) {
			first = l.at
		}
		if l.at.After(last) {
			last = l.at
		}
	}
	if last.IsZero() {
		return start, end, false, nil
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
	return start, end, true, nil
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
