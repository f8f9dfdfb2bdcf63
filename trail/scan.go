package trail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/iox"
	"github.com/trailkit/trailkit/sink"
)

// lookback bounds how late a log file can be delivered and still be
// listed: a digest lists the files of its chain that the store holds,
// dated up to a day before its end, that no digest lists yet (those of
// the whole day when the sealer scans it, see scanFrom).
const lookback = 24 * time.Hour

// sealer seals digests of chains in a store shared with other writers:
// the part of a trail's digests that `trailkit seal` uses alone.
type sealer struct {
	store         sink.Store
	bucket        string // the sink's Bucket()
	prefix, orgID string // of the trail's keys
	// put creates a digest: PutIfAbsent of an ExclusiveSink (Put for a
	// sink without it, which only one writer may use).
	put func(ctx context.Context, obj sink.Object) error
	// report notes a digest put (err nil) or a file that could not be
	// read.
	report func(key string, err error)
	// seen caches the digests read or written: immutable, so cached by
	// key; pruned to the lookback.
	seen map[string]*sealedDigest
	// linked holds, for a chain, the key of the digest in the store it
	// is linked to; a chain not in it may be linked to a digest of its
	// own that no put stored.
	linked map[*digest.Chain]string
	// files caches what was read of other writers' log files that no
	// digest lists yet.
	files map[string]readLog
	// nextFullScan is, per chain, when its next digest lists the files
	// of the whole lookback.
	nextFullScan map[routeKey]time.Time
	// lost is how long the sealer last worked on a digest that another
	// writer created first (0 once it creates one): see
	// sinkDigests.giveWay.
	lost time.Duration
	// others is set once the store showed files or digests of other
	// writers of the trail.
	others bool
	// fetched holds the digests that looking for them read (see fetch),
	// by key, until their chain links to them: one request finds a
	// digest and reads it.
	fetched map[string]fetchedDigest
}

// fetchedDigest is a digest fetch read, of chain c.
type fetchedDigest struct {
	c *digest.Chain
	d *digest.Fetched
}

func newSealer(s sink.Sink, prefix, orgID string, report func(string, error)) *sealer {
	sd := &sealer{bucket: s.Bucket(), prefix: prefix, orgID: orgID, put: s.Put, report: report,
		seen: make(map[string]*sealedDigest), linked: make(map[*digest.Chain]string),
		nextFullScan: make(map[routeKey]time.Time), fetched: make(map[string]fetchedDigest)}
	sd.store, _ = sink.As[sink.Store](s)
	if x, ok := sink.As[sink.ExclusiveSink](s); ok {
		sd.put = x.PutIfAbsent
	}
	return sd
}

// sealedDigest is what a trail keeps of a digest of its chains that it
// read or wrote: digests are immutable, so it is cached by key.
type sealedDigest struct {
	end  time.Time
	prev string          // previous digest's key, in the same bucket; "" if none
	logs map[string]bool // bucket/key of the files it lists
}

// sealOwed seals the digest of chain k ending at end (on the hour) and the
// digests of the hours between the chain's tip and it, each created only
// if absent: writers sharing the trail race for each hour's key, one wins,
// the others link to its digest. A digest lists every file of the chain
// the store holds, dated up to its end and from the hour before its
// period (or, at a full scan, lookback before it), that no digest lists
// yet (files another writer delivered late included), plus the files in
// own this trail delivered in the period. If another
// writer sealed end's digest first, sealOwed returns the files of own it
// does not list (delivered after its listing), for the next digest.
func (sd *sealer) sealOwed(ctx context.Context, c *digest.Chain, k routeKey, start, end time.Time, own []digest.LogFile) ([]digest.LogFile, error) {
	ownByKey := make(map[string]digest.LogFile, len(own))
	for _, lf := range own {
		ownByKey[lf.Key] = lf
	}
	from := minTime(end.Add(-lookback), start.Truncate(time.Hour).Add(-time.Hour))
	// The digest after a known tip is read first once the store showed
	// other writers; until then, only when files of theirs are to be
	// read: a writer alone in the store creates its digest at once, and
	// a digest another writer created first fails that put, which links
	// to it.
	probeNext := sd.others
	for {
		crashPoint("seal")
		began := time.Now()
		tipKey, tip, err := sd.tip(ctx, c, end, probeNext)
		if err != nil {
			return nil, err
		}
		listed, err := sd.listedSince(ctx, tipKey, from.Add(-time.Hour))
		if err != nil {
			return nil, err
		}
		if tip != nil && !tip.end.Before(end) {
			// Sealed by another writer, or by this trail before it
			// was restarted.
			var left []digest.LogFile
			for _, lf := range own {
				if !listed[lf.Bucket+"/"+lf.Key] {
					left = append(left, lf)
				}
			}
			return left, nil
		}
		// The hours after a recent tip are sealed in order, each linked
		// to the one before: the digest of an hour is at one key, so
		// exclusive creation leaves one chain.
		// Without a tip the chain starts at start (or earlier, below):
		// every hour from there is sealed in order too, so that writers
		// (and trailkit seal) starting the chain race for the same
		// first key.
		hour, dstart := start.Truncate(time.Hour).Add(time.Hour), start
		if tip != nil {
			hour = end
			dstart = start
			if tip.end.After(start) {
				dstart = tip.end
			}
			if !tip.end.Before(end.Add(-lookback)) {
				hour, dstart = tip.end.Truncate(time.Hour).Add(time.Hour), tip.end
			}
		}
		// A file stamped with end's minute was delivered after end: the
		// next digest's.
		scan, full := sd.scanFrom(k, from, minTime(dstart, hour.Add(-time.Hour)), end)
		stored, err := sd.storedLogs(ctx, k, scan, end.Add(-time.Second))
		if err != nil {
			return nil, err
		}
		if tip == nil {
			// A chain starts at the hour of the oldest file in the
			// store (in the lookback): a writer that started earlier
			// and has not sealed yet starts it there too, so the two
			// race for one first key rather than start two chains.
			for _, l := range stored {
				if h := periodEnd(l.at); h.Before(hour) {
					hour, dstart = h, minTime(dstart, h.Add(-time.Hour))
				}
			}
		}
		probe := digest.Key(c.Config(), hour)
		sealed := func() bool { return sd.fetch(ctx, c, probe) }
		toRead := sd.unread(stored, listed, ownByKey)
		if toRead {
			sd.others = true
			if !probeNext {
				probeNext = true
				key, _, err := sd.tip(ctx, c, end, true)
				if err != nil {
					return nil, err
				}
				if key != tipKey {
					continue // sealed by another writer: go on from its digest
				}
			}
		}
		read, err := sd.readLogs(ctx, stored, listed, ownByKey, sealed)
		if err != nil {
			return nil, err
		}
		if !read {
			sd.lost = time.Since(began)
			continue // sealed by another writer: link to it
		}
		raced := false
		for ; !hour.After(end); hour = hour.Add(time.Hour) {
			var logs []digest.LogFile
			for _, l := range stored {
				if !l.at.Before(hour) || listed[sd.bucket+"/"+l.key] {
					continue
				}
				lf, ok := ownByKey[l.key]
				if !ok {
					r := sd.files[l.key]
					if r.err != nil {
						// Not a log file this trail wrote; the
						// validator reports it.
						sd.report("read "+l.key, r.err)
						continue
					}
					lf = r.lf
				}
				logs = append(logs, lf)
			}
			if hour.Equal(end) {
				for _, lf := range own {
					if !listed[lf.Bucket+"/"+lf.Key] {
						logs = append(logs, lf)
					}
				}
			}
			slices.SortFunc(logs, func(a, b digest.LogFile) int { return strings.Compare(a.Key, b.Key) })
			logs = slices.CompactFunc(logs, func(a, b digest.LogFile) bool { return a.Key == b.Key })
			prev := c.Last().Key
			obj, err := c.Seal(ctx, dstart, hour, logs)
			if err != nil {
				return nil, err
			}
			// Until the put succeeds, or the chain is linked to what
			// the store holds at the key, the chain's last digest is
			// not in the store.
			delete(sd.linked, c)
			err = sd.put(ctx, obj)
			if errors.Is(err, sink.ErrExists) {
				// Another writer sealed the hour: link to its
				// digest, and seal what is left after it.
				raced = true
				sd.others = true
				f, err := sd.linkTo(ctx, c, obj.Key)
				if err != nil {
					return nil, err
				}
				sd.remember(f)
				sd.linked[c] = obj.Key
				break
			}
			if err != nil {
				return nil, err
			}
			sd.linked[c] = obj.Key
			sd.report(obj.Key, nil)
			if full {
				// The whole lookback is listed: the next full scan
				// is due in a few hours.
				sd.nextFullScan[k] = end.Add(time.Duration(fullScanMin+rand.IntN(fullScanSpread)) * time.Hour)
				full = false
			}
			crashPoint("digest-put")
			d := &sealedDigest{end: hour, prev: prev, logs: make(map[string]bool, len(logs))}
			for _, lf := range logs {
				listed[lf.Bucket+"/"+lf.Key] = true
				d.logs[lf.Bucket+"/"+lf.Key] = true
			}
			sd.seen[obj.Key] = d
			dstart = hour
		}
		if !raced {
			sd.lost = 0
			return nil, nil
		}
		sd.lost = time.Since(began)
	}
}

// tip links c to the newest digest of its chain in the store ending by
// end and returns it (nil when there is none). When c is linked to a
// digest in the store ending on an hour, the digests after it can only be
// at the keys of the hours that follow (a shared chain's digests end on
// the hour, each created exclusively, after the one before it), so tip
// reads those keys up to end, which costs one request when the next is
// not there yet; otherwise it lists the chain's digests.
//
// Unless probe is set, tip of a chain so linked returns the digest it is
// linked to without reading the keys after it.
func (sd *sealer) tip(ctx context.Context, c *digest.Chain, end time.Time, probe bool) (string, *sealedDigest, error) {
	last := c.Last()
	d := sd.seen[last.Key]
	if last.Key == "" || sd.linked[c] != last.Key || d == nil || last.EndTime.After(end) || !last.EndTime.Equal(last.EndTime.Truncate(time.Hour)) {
		return sd.listTip(ctx, c, end)
	}
	if !probe {
		return last.Key, d, nil
	}
	for next := last.EndTime.Add(time.Hour); !next.After(end); next = next.Add(time.Hour) {
		key := digest.Key(c.Config(), next)
		f, err := sd.linkTo(ctx, c, key)
		if errors.Is(err, sink.ErrNotFound) {
			// linkTo leaves the chain as it was.
			break
		}
		delete(sd.linked, c)
		if err != nil {
			return "", nil, err
		}
		if f.PreviousDigestS3Bucket != sd.bucket || f.PreviousDigestS3Object != last.Key || !f.DigestEndTime.Equal(next) {
			// Not the next link of this chain (a validator finding):
			// go by what the listing says is newest.
			return sd.listTip(ctx, c, end)
		}
		last.Key, last.EndTime = key, next
		sd.linked[c] = key
		sd.others = true
		d = sd.remember(f)
	}
	return last.Key, d, nil
}

// fetch reports whether the store holds chain c's digest at key, reading
// it for linkTo: a writer that looks for another's digest links to it
// next. An object at key that is no digest to link to is there too
// (linking to it reports why); a store that fails to answer says nothing.
func (sd *sealer) fetch(ctx context.Context, c *digest.Chain, key string) bool {
	if _, ok := sd.fetched[key]; ok {
		return true
	}
	d, err := digest.Fetch(ctx, sd.store, key)
	if err != nil {
		return errors.Is(err, digest.ErrFormat)
	}
	sd.fetched[key] = fetchedDigest{c: c, d: d}
	return true
}

// linkTo links c to the digest at key, as digest.Chain.LinkTo does,
// reading it unless fetch did. It forgets the digests of c fetched that
// end by then: the chain goes on after them.
func (sd *sealer) linkTo(ctx context.Context, c *digest.Chain, key string) (*digest.File, error) {
	d := sd.fetched[key].d
	if d == nil {
		var err error
		if d, err = digest.Fetch(ctx, sd.store, key); err != nil {
			return nil, fmt.Errorf("resume chain: %w", err)
		}
	}
	for k, f := range sd.fetched {
		if f.c == c && !f.d.File.DigestEndTime.After(d.File.DigestEndTime) {
			delete(sd.fetched, k)
		}
	}
	c.Link(d)
	return d.File, nil
}

// listTip is tip by listing the chain's digests.
func (sd *sealer) listTip(ctx context.Context, c *digest.Chain, end time.Time) (string, *sealedDigest, error) {
	delete(sd.linked, c)
	f, err := c.Tip(ctx, sd.store, end.Add(time.Second))
	if err != nil || f == nil {
		return "", nil, err
	}
	sd.others = true // or this trail before a restart
	sd.linked[c] = f.DigestS3Object
	return f.DigestS3Object, sd.remember(f), nil
}

// scanFrom returns where the listing for the digests of chain k up to end
// starts: from, the whole lookback (full), when this sealer has not
// created a digest of k with such a listing yet, or did more than a few
// hours before (at random, so that writers of a trail take turns); else
// the hour before first, the start of the first period being sealed. Each
// listing costs the store and the trail in proportion to the keys listed,
// most of them listed by digests already: the files of the periods being
// sealed are what a digest needs, the hour before them catches the files
// another writer delivered just after their digest, and the full scans
// the files delivered later by writers that have not listed them since
// (see docs/trail.md, "One trail, many writers"). A full listing counts
// only once a digest made of it is created: a sealer that loses the race
// for a digest lists the whole lookback again for the next, or the files
// a killed writer delivered after the winner's listing could be left to a
// full scan that no writer of the trail makes before they all stop.
func (sd *sealer) scanFrom(k routeKey, from, first, end time.Time) (time.Time, bool) {
	if next, ok := sd.nextFullScan[k]; !ok || !end.Before(next) {
		return from, true
	}
	return maxOf(from, first.Add(-time.Hour)), false
}

// A sealer lists the files of its whole lookback every fullScanMin to
// fullScanMin+fullScanSpread-1 hours.
const fullScanMin, fullScanSpread = 2, 5

// readLogs reads, into sd.files, what a digest lists of each stored file
// that no digest lists, that this trail did not deliver and that was not
// read before, several at a time, and forgets the files read before that
// are no longer stored or are listed. Between batches it asks sealed
// whether another writer sealed the digest meanwhile, and if so stops
// reading and returns false: the files are for a digest it would fail to
// create.
func (sd *sealer) readLogs(ctx context.Context, stored []storedLog, listed map[string]bool, own map[string]digest.LogFile, sealed func() bool) (bool, error) {
	var todo []string
	keep := make(map[string]readLog, len(sd.files))
	for _, l := range stored {
		if listed[sd.bucket+"/"+l.key] {
			continue
		}
		if _, ok := own[l.key]; ok {
			continue
		}
		if r, ok := sd.files[l.key]; ok {
			keep[l.key] = r
			continue
		}
		todo = append(todo, l.key)
	}
	sd.files = keep
	for len(todo) > 0 {
		batch := todo[:min(len(todo), readers)]
		todo = todo[len(batch):]
		read := make([]readLog, len(batch))
		errs := make([]error, len(batch))
		var wg sync.WaitGroup
		for i, key := range batch {
			wg.Go(func() {
				lf, err := readLogFile(ctx, sd.store, key)
				switch {
				case errors.Is(err, errUnreadableLog):
					read[i] = readLog{err: err}
				case err != nil:
					errs[i] = err
				default:
					read[i] = readLog{lf: lf}
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return false, err
		}
		for i, key := range batch {
			sd.files[key] = read[i]
		}
		if len(todo) > 0 && sealed() {
			return false, nil
		}
	}
	return true, nil
}

// unread reports whether readLogs has files to read: stored files that no
// digest lists, that this trail did not deliver and that it has not read.
func (sd *sealer) unread(stored []storedLog, listed map[string]bool, own map[string]digest.LogFile) bool {
	for _, l := range stored {
		if _, ok := own[l.key]; ok || listed[sd.bucket+"/"+l.key] {
			continue
		}
		if _, ok := sd.files[l.key]; !ok {
			return true
		}
	}
	return false
}

// readers is how many log files a sealer reads at a time.
const readers = 8

// readLog is what a sealer read of another writer's log file: what a
// digest lists of it, or why it is not a log file.
type readLog struct {
	lf  digest.LogFile
	err error // wraps errUnreadableLog
}

// listedSince returns the files listed by the digests of the chain from
// the digest at tipKey (remembered) back to the first ending before from,
// following the previous-digest links (one chain: no digest is missed),
// reading those not cached. A digest that cannot be found ends the walk:
// the validator reports it.
func (sd *sealer) listedSince(ctx context.Context, tipKey string, from time.Time) (map[string]bool, error) {
	listed := make(map[string]bool)
	if tipKey == "" {
		return listed, nil
	}
	for key, d := range sd.seen {
		if d.end.Before(from.Add(-time.Hour)) && key != tipKey {
			delete(sd.seen, key)
		}
	}
	for key := tipKey; key != ""; {
		d := sd.seen[key]
		if d == nil {
			f, _, _, err := digest.Get(ctx, sd.store, key)
			if errors.Is(err, sink.ErrNotFound) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("get %s: %w", key, err)
			}
			d = sd.remember(f)
		}
		if d.end.Before(from) {
			break
		}
		for l := range d.logs {
			listed[l] = true
		}
		key = d.prev
	}
	return listed, nil
}

// remember caches what a digest lists.
func (sd *sealer) remember(f *digest.File) *sealedDigest {
	if d := sd.seen[f.DigestS3Object]; d != nil {
		return d
	}
	d := &sealedDigest{end: f.DigestEndTime, logs: make(map[string]bool, len(f.LogFiles))}
	if f.PreviousDigestS3Bucket == sd.bucket {
		d.prev = f.PreviousDigestS3Object
	}
	for _, l := range f.LogFiles {
		d.logs[l.S3Bucket+"/"+l.S3Object] = true
	}
	sd.seen[f.DigestS3Object] = d
	return d
}

// storedLog is a log file of a chain in the store, with its key's time:
// its delivery time truncated to the minute, and so in the same hour, the
// one whose digest lists it (see periodEnd).
type storedLog struct {
	key string
	at  time.Time
	// modified is when the store says the file was written (S3's
	// LastModified, a file's modification time), to the second; zero if
	// it does not say.
	modified time.Time
}

// storedLogs lists the log files of chain k (CloudTrail and
// CloudTrail-Insight files of its account and Region) in the store dated
// from `from` to `to`. Only keys of the trail's layout count (prefix,
// organization, account, Region, the name's form); files another process
// delivered to the same directories are taken for this trail's (see the
// package doc).
func (sd *sealer) storedLogs(ctx context.Context, k routeKey, from, to time.Time) ([]storedLog, error) {
	from, to = from.UTC().Truncate(time.Minute), to.UTC()
	var out []storedLog
	for _, dir := range [...]string{dirLogs, dirInsights} {
		for day := from.Truncate(24 * time.Hour); !day.After(to); day = day.AddDate(0, 0, 1) {
			// The key of the day's first file gives the directory and
			// the name's fixed part.
			sample := logKey(sd.prefix, sd.orgID, k.account, k.region, dir, day, strings.Repeat("0", uniqueLen))
			name := sample[strings.LastIndexByte(sample, '/')+1:]
			prefix := sample[:len(sample)-len(name)]
			fixed := name[:len(name)-len("20060102T1504Z_")-uniqueLen-len(".json.gz")]
			after := ""
			if day.Before(from) {
				after = prefix + fixed + from.Format("20060102T1504Z")
			}
			for info, err := range sd.store.List(ctx, prefix, after) {
				if err != nil {
					return nil, fmt.Errorf("list %s: %w", prefix, err)
				}
				at, ok := layoutStamp(info.Key[len(prefix):], fixed)
				if ok && at.After(to) {
					break // the trail's names sort in time order
				}
				if ok && !at.Before(from) {
					out = append(out, storedLog{info.Key, at, info.LastModified.UTC().Truncate(time.Second)})
				}
			}
		}
	}
	return out, nil
}

// periodEnd returns the end of the digest period holding a log file's
// delivery time, or the minute its key names (the same hour): a digest
// lists the files delivered from its start to before its end, as
// CloudTrail lists those delivered during its period, so a file stamped
// HH:00 is in the digest ending at HH+1:00, whichever writer seals it.
func periodEnd(at time.Time) time.Time {
	return at.Truncate(digestPeriod).Add(digestPeriod)
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

// The user metadata of a log file a trail delivered: what a digest lists
// of it (the SHA-256 of its uncompressed bytes, hex; its oldest and
// newest eventTime, RFC 3339).
const (
	metaSHA256 = "trailkit-sha256"
	metaOldest = "trailkit-oldest-event-time"
	metaNewest = "trailkit-newest-event-time"
)

// logFileMetadata returns what a log file's metadata says a digest lists of
// it; false when it does not say (a file another tool wrote).
func logFileMetadata(lf digest.LogFile, meta map[string]string) (digest.LogFile, bool) {
	sum, err := hex.DecodeString(meta[metaSHA256])
	if err != nil || len(sum) != len(lf.SHA256) {
		return lf, false
	}
	oldest, err1 := time.Parse(time.RFC3339Nano, meta[metaOldest])
	newest, err2 := time.Parse(time.RFC3339Nano, meta[metaNewest])
	if err1 != nil || err2 != nil {
		return lf, false
	}
	copy(lf.SHA256[:], sum)
	lf.OldestEventTime, lf.NewestEventTime = oldest, newest
	return lf, true
}

// readLogFile reads a log file as a digest lists it: from its metadata
// when a trail delivered it (the body is not read: a file whose bytes
// differ from what its writer hashed is then listed with the writer's
// hash, which the validator checks), else from its bytes.
func readLogFile(ctx context.Context, store sink.Store, key string) (digest.LogFile, error) {
	lf := digest.LogFile{Bucket: store.Bucket(), Key: key}
	info, err := sink.Stat(ctx, store, key)
	if err != nil {
		return lf, fmt.Errorf("stat %s: %w", key, err)
	}
	if lf, ok := logFileMetadata(lf, info.Metadata); ok {
		return lf, nil
	}
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
