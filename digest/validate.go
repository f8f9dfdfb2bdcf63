package digest

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trailkit/trailkit/sink"
)

// ValidateOptions configure Validate.
type ValidateOptions struct {
	// TrailARN names the trail: arn:PARTITION:cloudtrail:HOME_REGION:ACCOUNT:trail/NAME.
	TrailARN string
	// Start and End bound the validation: log files delivered from Start
	// to End. End zero means now.
	Start, End time.Time
	// AccountID is the account whose digests are validated; default the
	// ARN's. For an organization trail it is the member account.
	AccountID string
	// OrganizationID is set for an organization trail (o-xxxxxxxxxx).
	OrganizationID string
	// Prefix is the trail's S3 key prefix, if any.
	Prefix string
	// Regions are the source regions whose chains are validated; empty
	// means every region with digests under the account's digest prefix.
	Regions []string
	// Keys are the public keys digests may be signed with. Like the AWS
	// CLI, standard digests accept the keys valid between Start and two
	// hours after End; backfill digests the keys valid within an hour of
	// their generation time.
	Keys []PublicKey
	// Stores opens the other buckets digests name (a trail whose bucket
	// changed). Nil: only the store's own bucket can be read.
	Stores func(ctx context.Context, bucket string) (sink.Store, error)
	// Workers is how many log files are fetched and hashed at once, and
	// so how many can be in memory; default 4 × GOMAXPROCS, enough to keep
	// the cores busy while S3 requests wait.
	Workers int
	// SkipUnlisted turns off the check the AWS CLI does not make: log
	// files in the trail's log directories, delivered within a valid
	// digest's hour, that no digest lists (LogUnlisted).
	SkipUnlisted bool
}

// ErrNoPublicKeys is returned when no public key is valid in the range,
// as the AWS CLI fails with "No public keys found between ...".
var ErrNoPublicKeys = errors.New("no public keys found")

// TrailARN is a parsed trail ARN.
type TrailARN struct {
	Partition, Region, AccountID, Name string
}

// ParseTrailARN parses a trail ARN as the AWS CLI does: it must look like
// arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME with a 12-digit
// account; the name is what follows the last '/'.
func ParseTrailARN(arn string) (TrailARN, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "cloudtrail" || parts[3] == "" ||
		!accountRE.MatchString(parts[4]) || !strings.HasPrefix(parts[5], "trail/") || len(parts[5]) == len("trail/") {
		return TrailARN{}, fmt.Errorf("parse trail ARN: invalid trail ARN provided: %s", arn)
	}
	name := parts[5][strings.LastIndexByte(parts[5], '/')+1:]
	if name == "" {
		return TrailARN{}, fmt.Errorf("parse trail ARN: invalid trail ARN provided: %s", arn)
	}
	return TrailARN{Partition: parts[1], Region: parts[3], AccountID: parts[4], Name: name}, nil
}

// Validate validates the trail's digest and log files in store, as `aws
// cloudtrail validate-logs` does, and yields the findings in its order:
// for each region, the standard chain from the newest digest backwards,
// each digest followed by its log files; then the backfill chains; then
// the log files no digest lists. Log files are fetched and hashed by
// opts.Workers goroutines while the chain is walked; only those being
// hashed are in memory.
//
// An error ends the sequence: a bad option, no public key in the range,
// or a store failure other than a missing object (listing denied, bucket
// unreachable). Invalid files are findings, not errors. Total the findings
// with a Summary whose Start and End are the range validated.
func Validate(ctx context.Context, store sink.Store, opts ValidateOptions) iter.Seq2[Finding, error] {
	return func(yield func(Finding, error) bool) {
		v, err := newValidator(store, opts)
		if err != nil {
			yield(Finding{}, err)
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		slots := make(chan *slot, 16*v.workers)
		jobs := make(chan *slot)
		var wg sync.WaitGroup
		for range v.workers {
			wg.Go(func() {
				var h logHasher
				for s := range jobs {
					s.checkLog(ctx, &h)
					close(s.done)
				}
			})
		}
		go func() {
			defer close(slots)
			defer close(jobs)
			e := emitter{ctx: ctx, slots: slots, jobs: jobs}
			if err := v.walk(ctx, &e); err != nil {
				e.send(&slot{err: err})
			}
		}()
		defer func() {
			cancel()
			for range slots { // let the walk see the cancellation and end
			}
			wg.Wait()
		}()
		for s := range slots {
			if err := ctx.Err(); err != nil {
				yield(Finding{}, err)
				return
			}
			if s.done != nil {
				select {
				case <-s.done:
				case <-ctx.Done():
					yield(Finding{}, ctx.Err())
					return
				}
			}
			if s.err != nil {
				yield(Finding{}, s.err)
				return
			}
			if !yield(s.f, nil) {
				return
			}
		}
		// The walk ends early, without a finding, when ctx is cancelled.
		if err := ctx.Err(); err != nil {
			yield(Finding{}, err)
		}
	}
}

// slot is one finding in output order; a log file's slot is filled by a
// worker, which closes done.
type slot struct {
	f    Finding
	err  error
	done chan struct{}

	store    sink.Store
	wantHash string
}

type emitter struct {
	ctx   context.Context
	slots chan<- *slot
	jobs  chan<- *slot
}

func (e *emitter) send(s *slot) bool {
	select {
	case e.slots <- s:
		return true
	case <-e.ctx.Done():
		return false
	}
}

func (e *emitter) finding(f Finding) error {
	if !e.send(&slot{f: f}) {
		return e.ctx.Err()
	}
	return nil
}

func (e *emitter) log(s *slot) error {
	s.done = make(chan struct{})
	if !e.send(s) {
		return e.ctx.Err()
	}
	select {
	case e.jobs <- s:
		return nil
	case <-e.ctx.Done():
		return e.ctx.Err()
	}
}

type validator struct {
	store                sink.Store
	opts                 ValidateOptions
	account, home, trail string
	start, end           time.Time
	workers              int
	keys                 map[string]PublicKey // standard digests
	rsaKeys              map[string]*rsa.PublicKey
	stores               map[string]sink.Store
	lists                map[string]*digestList // bucket + "\x00" + region
	msg                  []byte

	// For the unlisted-log check: the log files the walked digests list
	// (with the digest listing each) and the windows of the valid
	// digests, per region.
	listed  map[string]*File
	windows map[string][]window
	// For the chain checks: the standard digests walked (valid or not),
	// and the valid ones, per region.
	visited map[string]bool
	chain   map[string][]*File
}

type digestList struct{ standard, backfill []string }

type window struct{ start, end time.Time }

func newValidator(store sink.Store, opts ValidateOptions) (*validator, error) {
	arn, err := ParseTrailARN(opts.TrailARN)
	if err != nil {
		return nil, err
	}
	v := &validator{
		store: store, opts: opts, account: arn.AccountID, home: arn.Region, trail: arn.Name,
		start: opts.Start.UTC(), end: opts.End.UTC(), workers: opts.Workers,
		keys: map[string]PublicKey{}, rsaKeys: map[string]*rsa.PublicKey{},
		stores: map[string]sink.Store{store.Bucket(): store}, lists: map[string]*digestList{},
		listed: map[string]*File{}, windows: map[string][]window{},
		visited: map[string]bool{}, chain: map[string][]*File{},
	}
	if opts.AccountID != "" {
		if !accountRE.MatchString(opts.AccountID) {
			return nil, fmt.Errorf("validate: account id %q is not 12 digits", opts.AccountID)
		}
		v.account = opts.AccountID
	}
	if opts.End.IsZero() {
		v.end = time.Now().UTC()
	}
	if v.start.IsZero() {
		return nil, errors.New("validate: no start time")
	}
	if v.start.After(v.end) {
		return nil, errors.New("validate: invalid time range specified: start-time must occur before end-time")
	}
	if v.workers <= 0 {
		v.workers = 4 * runtime.GOMAXPROCS(0)
	}
	keyEnd := v.end.Add(2 * time.Hour)
	for _, k := range opts.Keys {
		if k.ValidDuring(v.start, keyEnd) {
			v.keys[k.Fingerprint] = k
		}
	}
	if len(v.keys) == 0 {
		return nil, fmt.Errorf("validate: %w between %s and %s", ErrNoPublicKeys, v.start.Format(TimeLayout), keyEnd.Format(TimeLayout))
	}
	return v, nil
}

func (v *validator) storeFor(ctx context.Context, bucket string) (sink.Store, error) {
	if s, ok := v.stores[bucket]; ok {
		return s, nil
	}
	if v.opts.Stores == nil {
		return nil, fmt.Errorf("open bucket: bucket %q is not available (only %q is)", bucket, v.store.Bucket())
	}
	s, err := v.opts.Stores(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("open bucket %q: %w", bucket, err)
	}
	v.stores[bucket] = s
	return s, nil
}

func (v *validator) accountPrefix() string {
	return strings.TrimSuffix(digestPrefix(strings.Trim(v.opts.Prefix, "/"), v.opts.OrganizationID, v.account, "x"), "x/")
}

// regions lists the source regions that have digests, reading one key a
// region: after finding region R it resumes the listing after R's keys.
func (v *validator) regions(ctx context.Context) ([]string, error) {
	if len(v.opts.Regions) > 0 {
		return v.opts.Regions, nil
	}
	prefix := v.accountPrefix()
	var regions []string
	after := ""
	for {
		found := ""
		for info, err := range v.store.List(ctx, prefix, after) {
			if err != nil {
				return nil, fmt.Errorf("list s3://%s/%s: %w", v.store.Bucket(), prefix, err)
			}
			rest := info.Key[len(prefix):]
			if i := strings.IndexByte(rest, '/'); i > 0 {
				found = rest[:i]
				break
			}
		}
		if found == "" {
			return regions, nil
		}
		regions = append(regions, found)
		after = prefix + found + "0" // '0' follows '/': skips every key under found/
	}
}

func (v *validator) walk(ctx context.Context, e *emitter) error {
	regions, err := v.regions(ctx)
	if err != nil {
		return err
	}
	for _, backfill := range []bool{false, true} {
		for _, r := range regions {
			if err := v.walkChain(ctx, e, r, backfill); err != nil {
				return err
			}
			if backfill {
				continue
			}
			if err := v.checkChain(ctx, e, r); err != nil {
				return err
			}
		}
	}
	if v.opts.SkipUnlisted {
		return nil
	}
	for _, r := range regions {
		if err := v.checkUnlisted(ctx, e, r); err != nil {
			return err
		}
	}
	return nil
}

// checkUnlisted reports the log files that no walked digest lists although
// a valid digest of the chain covers their delivery time: files added to
// the trail's directories, or renamed. A log key's time is its delivery
// time truncated to the minute, so a file stamped s was delivered in
// [s, s+1m); it must be listed by a digest whose window holds all of that
// minute. A day whose digests (in its own or the next day's digest
// directory) include another trail's is skipped: trails that share a bucket and prefix share the log
// directories too, and the other trail's log files are not in this
// trail's digests.
func (v *validator) checkUnlisted(ctx context.Context, e *emitter, region string) error {
	ws := v.windows[region]
	if len(ws) == 0 {
		return nil
	}
	slices.SortFunc(ws, func(a, b window) int { return a.start.Compare(b.start) })
	merged := ws[:1]
	for _, w := range ws[1:] {
		if last := &merged[len(merged)-1]; !w.start.After(last.end) {
			last.end = maxTime(last.end, w.end)
			continue
		}
		merged = append(merged, w)
	}
	ws = merged
	covered := func(s time.Time) bool {
		i, _ := slices.BinarySearchFunc(ws, s, func(w window, t time.Time) int {
			if w.start.After(t) {
				return 1
			}
			return -1
		})
		// ws[i-1] is the last window starting at or before s.
		return i > 0 && !s.Add(time.Minute).After(ws[i-1].end)
	}
	pfx := strings.Trim(v.opts.Prefix, "/")
	base := strings.TrimSuffix(digestPrefix(pfx, v.opts.OrganizationID, v.account, region), "CloudTrail-Digest/"+region+"/")
	bucket := v.store.Bucket()
	from := maxTime(ws[0].start, v.start).Truncate(24 * time.Hour)
	to := minTime(ws[len(ws)-1].end, v.end)
	digestDir := digestPrefix(pfx, v.opts.OrganizationID, v.account, region)
	m := keyMatcher{prefix: digestDir, account: v.account, region: region, trail: v.trail, home: v.home}
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		// The digests of a day's log files end that day or, for the last
		// hour, the next.
		shared, err := v.sharedDay(ctx, &m, digestDir+day.Format("2006/01/02/"))
		if err == nil && !shared {
			shared, err = v.sharedDay(ctx, &m, digestDir+day.AddDate(0, 0, 1).Format("2006/01/02/"))
		}
		if err != nil {
			return err
		}
		if shared {
			continue
		}
		// Insights files are listed in the same digests as the other
		// log files (one digest series per Region), so both
		// directories are checked.
		for _, kind := range [...]string{"CloudTrail", "CloudTrail-Insight"} {
			dir := base + kind + "/" + region + "/" + day.Format("2006/01/02/")
			name := v.account + "_" + kind + "_" + region + "_"
			for info, err := range v.store.List(ctx, dir, "") {
				if err != nil {
					return fmt.Errorf("list s3://%s/%s: %w", bucket, dir, err)
				}
				file := info.Key[len(dir):]
				if !strings.HasPrefix(file, name) || !strings.HasSuffix(file, ".json.gz") || len(file) < len(name)+14 {
					continue
				}
				stamp, err := time.Parse("20060102T1504Z", file[len(name):len(name)+14])
				// A file stamped with the minute the range starts in
				// may have been delivered in the range: checked.
				if err != nil || !stamp.Add(time.Minute).After(v.start) || stamp.After(v.end) || !covered(stamp) {
					continue
				}
				if v.listed[bucket+"/"+info.Key] != nil {
					continue
				}
				f := Finding{Kind: LogUnlisted, Region: region, Bucket: bucket, Key: info.Key}
				if err := e.finding(f); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// sharedDay reports whether a day's digest directory holds digests of
// another trail.
func (v *validator) sharedDay(ctx context.Context, m *keyMatcher, dir string) (bool, error) {
	for info, err := range v.store.List(ctx, dir, "") {
		if err != nil {
			return false, fmt.Errorf("list s3://%s/%s: %w", v.store.Bucket(), dir, err)
		}
		if _, _, ok := m.match(info.Key); !ok {
			return true, nil
		}
	}
	return false, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// listDigests lists the chain's digest keys in the range, oldest first, as
// the AWS CLI does: from just before Start to one hour after End.
func (v *validator) listDigests(ctx context.Context, bucket, region string) (*digestList, error) {
	id := bucket + "\x00" + region
	if l, ok := v.lists[id]; ok {
		return l, nil
	}
	st, err := v.storeFor(ctx, bucket)
	if err != nil {
		return nil, err
	}
	pfx := strings.Trim(v.opts.Prefix, "/")
	prefix := digestPrefix(pfx, v.opts.OrganizationID, v.account, region)
	m := keyMatcher{prefix: prefix, account: v.account, region: region, trail: v.trail, home: v.home}
	marker := digestKey(pfx, v.opts.OrganizationID, v.account, region, v.trail, v.home, v.start.Add(-time.Minute))
	first := v.start.Format(stampLayout)
	last := v.end.Add(time.Hour).Format(stampLayout)
	l := &digestList{}
	for info, err := range st.List(ctx, prefix, marker) {
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, err)
		}
		stamp, backfill, ok := m.match(info.Key)
		if !ok {
			continue
		}
		if stamp > last {
			break
		}
		if stamp < first {
			continue
		}
		if backfill {
			l.backfill = append(l.backfill, info.Key)
		} else {
			l.standard = append(l.standard, info.Key)
		}
	}
	v.lists[id] = l
	return l, nil
}

// keyStamp is the end-time stamp of a digest key.
func keyStamp(key string) string {
	switch {
	case strings.HasSuffix(key, backfillSuffix) && len(key) >= 33:
		return key[len(key)-33 : len(key)-17]
	case len(key) >= 24:
		return key[len(key)-24 : len(key)-8]
	}
	return ""
}

func stampTime(stamp string) time.Time {
	t, _ := time.Parse(stampLayout, stamp)
	return t
}

// popBefore removes keys from the end of the list until one ends before
// key; it returns that one, or "" when none is left.
func popBefore(keys *[]string, key string) (string, time.Time) {
	before := keyStamp(key)
	for len(*keys) > 0 {
		k := (*keys)[len(*keys)-1]
		*keys = (*keys)[:len(*keys)-1]
		if s := keyStamp(k); key == "" || s < before {
			return k, stampTime(s)
		}
	}
	return "", time.Time{}
}

// walkChain walks one region's standard or backfill chain from its newest
// digest backwards, as the AWS CLI's DigestTraverser does.
func (v *validator) walkChain(ctx context.Context, e *emitter, region string, backfill bool) error {
	bucket := v.store.Bucket()
	l, err := v.listDigests(ctx, bucket, region)
	if err != nil {
		return err
	}
	pick := func(l *digestList) []string {
		if backfill {
			return slices.Clone(l.backfill)
		}
		return slices.Clone(l.standard)
	}
	keys := pick(l)
	key, lastStart := popBefore(&keys, "")
	for key != "" && !v.start.After(lastStart) {
		f, finding, err := v.checkDigest(ctx, bucket, key, region, backfill)
		if err != nil {
			return err
		}
		if err := e.finding(finding); err != nil {
			return err
		}
		if !backfill {
			v.visited[bucket+"/"+key] = true
		}
		if finding.Kind != DigestValid {
			key, _ = popBefore(&keys, key)
			continue
		}
		lastStart = f.DigestStartTime
		v.windows[region] = append(v.windows[region], window{f.DigestStartTime, f.DigestEndTime})
		if !backfill {
			v.chain[region] = append(v.chain[region], f)
		}
		for _, lf := range f.LogFiles {
			if err := v.list(e, region, f, lf); err != nil {
				return err
			}
			st, err := v.storeFor(ctx, lf.S3Bucket)
			if err != nil {
				return err
			}
			s := &slot{f: Finding{Region: region, Backfill: backfill, Bucket: lf.S3Bucket, Key: lf.S3Object, Digest: f},
				store: st, wantHash: lf.HashValue}
			if err := e.log(s); err != nil {
				return err
			}
		}
		if f.PreviousDigestS3Bucket == "" || f.PreviousDigestS3Object == "" {
			next, nextEnd := popBefore(&keys, key)
			if next != "" {
				gap := Finding{Kind: Gap, Region: region, Backfill: backfill, Bucket: bucket, Key: next, From: nextEnd, To: lastStart}
				if err := e.finding(gap); err != nil {
					return err
				}
			}
			key = next
			continue
		}
		key = f.PreviousDigestS3Object
		if f.PreviousDigestS3Bucket != bucket {
			bucket = f.PreviousDigestS3Bucket
			l, err := v.listDigests(ctx, bucket, region)
			if err != nil {
				return err
			}
			keys = pick(l)
		}
	}
	return nil
}

// list notes that digest f lists log file lf, reporting a file listed
// before (LogListedTwice).
func (v *validator) list(e *emitter, region string, f *File, lf LogEntry) error {
	id := lf.S3Bucket + "/" + lf.S3Object
	first, ok := v.listed[id]
	if !ok {
		v.listed[id] = f
		return nil
	}
	return e.finding(Finding{Kind: LogListedTwice, Region: region, Bucket: lf.S3Bucket, Key: lf.S3Object, Digest: first, Other: f.DigestS3Object})
}

// checkChain reports the inconsistencies of a region's standard chain
// after its walk: the valid digests in the range that the walk did not
// reach although they share a previous digest or a period with one it did
// (Fork), with the files they list again (LogListedTwice); and the
// digests of the chain whose period overlaps their previous one's
// (Overlap).
func (v *validator) checkChain(ctx context.Context, e *emitter, region string) error {
	chain := v.chain[region]
	byKey := make(map[string]*File, len(chain))
	byPrev := make(map[string]*File, len(chain))
	for _, f := range chain {
		byKey[f.DigestS3Bucket+"/"+f.DigestS3Object] = f
		if f.PreviousDigestS3Object != "" {
			byPrev[f.PreviousDigestS3Bucket+"/"+f.PreviousDigestS3Object] = f
		}
	}
	for _, f := range chain {
		prev := byKey[f.PreviousDigestS3Bucket+"/"+f.PreviousDigestS3Object]
		if prev != nil && f.DigestStartTime.Before(prev.DigestEndTime) {
			o := Finding{Kind: Overlap, Region: region, Bucket: f.DigestS3Bucket, Key: f.DigestS3Object, Other: prev.DigestS3Object, Digest: f}
			if err := e.finding(o); err != nil {
				return err
			}
		}
	}
	bucket := v.store.Bucket()
	l, err := v.listDigests(ctx, bucket, region)
	if err != nil {
		return err
	}
	for _, key := range l.standard {
		if v.visited[bucket+"/"+key] {
			continue
		}
		f, finding, err := v.checkDigest(ctx, bucket, key, region, false)
		if err != nil {
			return err
		}
		if finding.Kind != DigestValid {
			continue // not a digest of this trail's: the walk did not need it
		}
		other := byPrev[f.PreviousDigestS3Bucket+"/"+f.PreviousDigestS3Object]
		if f.PreviousDigestS3Object == "" {
			other = nil
		}
		for _, c := range chain {
			if other != nil {
				break
			}
			if f.DigestStartTime.Before(c.DigestEndTime) && c.DigestStartTime.Before(f.DigestEndTime) {
				other = c
			}
		}
		if other == nil {
			continue // an older chain the range starts in, not a fork
		}
		fork := Finding{Kind: Fork, Region: region, Bucket: bucket, Key: key, Other: other.DigestS3Object, Digest: f,
			Err: fmt.Errorf("previous digest %s, period %s to %s; the chain's digest has previous digest %s, period %s to %s",
				f.PreviousDigestS3Object, f.DigestStartTime.Format(TimeLayout), f.DigestEndTime.Format(TimeLayout),
				other.PreviousDigestS3Object, other.DigestStartTime.Format(TimeLayout), other.DigestEndTime.Format(TimeLayout))}
		if err := e.finding(fork); err != nil {
			return err
		}
		for _, lf := range f.LogFiles {
			if err := v.list(e, region, f, lf); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkDigest reads and checks one digest, in the AWS CLI's order: format,
// signature metadata, backfill timestamp, required fields, location, key,
// signature. The error is a store failure other than a missing object.
func (v *validator) checkDigest(ctx context.Context, bucket, key, region string, backfill bool) (*File, Finding, error) {
	fd := Finding{Region: region, Backfill: backfill, Bucket: bucket, Key: key, HomeRegion: v.home}
	st, err := v.storeFor(ctx, bucket)
	if err != nil {
		return nil, fd, err
	}
	body, info, err := sink.ReadAll(ctx, st, key, maxDigestSize)
	switch {
	case errors.Is(err, sink.ErrNotFound):
		fd.Kind = DigestNotFound
		return nil, fd, nil
	case errors.Is(err, sink.ErrTooLarge):
		fd.Kind, fd.Err = DigestInvalidFormat, fmt.Errorf("%w: %w", ErrFormat, err)
		return nil, fd, nil
	case err != nil:
		return nil, fd, fmt.Errorf("get digest file s3://%s/%s: %w", bucket, key, err)
	}
	f, kind, detail := v.verify(body, info.Metadata, bucket, key, backfill)
	fd.Kind, fd.Err = kind, detail
	if f != nil {
		fd.Fingerprint = f.DigestPublicKeyFingerprint
	}
	if kind == DigestValid {
		fd.Digest = f
	}
	return f, fd, nil
}

// verify checks a digest object's body and metadata read from bucket/key.
func (v *validator) verify(body []byte, meta map[string]string, bucket, key string, backfill bool) (*File, Kind, error) {
	raw, err := gunzipAll(body)
	if err != nil {
		return nil, DigestInvalidFormat, err
	}
	f, perr := Parse(raw)
	if perr != nil && errors.Is(perr, errSyntax) {
		return nil, DigestInvalidFormat, perr
	}
	sigHex, okSig := meta["signature"]
	_, okAlg := meta["signature-algorithm"]
	if !okSig || !okAlg {
		return f, DigestSignatureInvalid, errors.New("no signature or signature-algorithm metadata")
	}
	var generated time.Time
	if backfill {
		ts, ok := meta["backfill-generation-timestamp"]
		if !ok {
			return f, DigestInvalidFormat, fmt.Errorf("%w: no backfill-generation-timestamp metadata", ErrFormat)
		}
		if generated, err = parseFlexibleTime(ts); err != nil {
			return f, DigestInvalidFormat, fmt.Errorf("%w: backfill-generation-timestamp: %w", ErrFormat, err)
		}
	}
	if perr != nil {
		return nil, DigestInvalidFormat, perr
	}
	if f.DigestS3Bucket != bucket || f.DigestS3Object != key {
		return f, DigestMoved, fmt.Errorf("records its location as s3://%s/%s", f.DigestS3Bucket, f.DigestS3Object)
	}
	fp := f.DigestPublicKeyFingerprint
	pk, ok := v.keys[fp]
	if !ok && backfill {
		from, to := generated.Add(-time.Hour), generated.Add(time.Hour)
		for _, k := range v.opts.Keys {
			if k.Fingerprint == fp && k.ValidDuring(from, to) {
				pk, ok = k, true
				break
			}
		}
	}
	if !ok {
		return f, DigestKeyNotFound, nil
	}
	pub, err := v.rsaKey(pk)
	if err != nil {
		return f, DigestKeyInvalid, err
	}
	sig, err := hex.DecodeString(sigHex)
	if err != nil {
		return f, DigestSignatureInvalid, fmt.Errorf("read signature metadata: %w", err)
	}
	sum := sha256.Sum256(raw)
	var sumHex [64]byte
	hex.Encode(sumHex[:], sum[:])
	v.msg = f.appendStringToSign(v.msg[:0], string(sumHex[:]))
	h := sha256.Sum256(v.msg)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
		return f, DigestSignatureInvalid, err
	}
	return f, DigestValid, nil
}

func (v *validator) rsaKey(k PublicKey) (*rsa.PublicKey, error) {
	if pub, ok := v.rsaKeys[k.Fingerprint]; ok {
		return pub, nil
	}
	pub, err := k.RSA()
	if err != nil {
		return nil, err
	}
	v.rsaKeys[k.Fingerprint] = pub
	return pub, nil
}

// checkLog fetches, gunzips and hashes a log file, filling the slot's
// finding (or its error, for a store failure).
func (s *slot) checkLog(ctx context.Context, h *logHasher) {
	body, _, err := s.store.Get(ctx, s.f.Key)
	if err == nil {
		defer body.Close()
	}
	switch {
	case errors.Is(err, sink.ErrNotFound):
		s.f.Kind = LogNotFound
		return
	case err != nil:
		s.err = fmt.Errorf("get log file s3://%s/%s: %w", s.f.Bucket, s.f.Key, err)
		return
	}
	sum, readErr, err := h.sum(body)
	if readErr != nil {
		s.err = fmt.Errorf("read log file s3://%s/%s: %w", s.f.Bucket, s.f.Key, readErr)
		return
	}
	if err != nil {
		s.f.Kind, s.f.Err = LogInvalidFormat, err
		return
	}
	var sumHex [64]byte
	hex.Encode(sumHex[:], sum[:])
	if string(sumHex[:]) != s.wantHash {
		s.f.Kind = LogHashMismatch
		s.f.Err = fmt.Errorf("log file SHA-256 is %s, digest records %s", sumHex[:], s.wantHash)
		return
	}
	s.f.Kind = LogValid
}

// parseFlexibleTime reads a time in the forms CloudTrail metadata and
// people write: RFC 3339 with or without fractions or zone (UTC assumed).
func parseFlexibleTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "20060102T150405Z", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unable to parse date value: %s", s)
}
