package trail_test

import (
	"context"
	"fmt"
	"io"
	"iter"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
)

// Two trails in one process writing one organization trail to one
// directory, each on its own clock, for two member accounts: one chain per
// member account and region, every file listed once, every record once,
// and no finding of the validator (no fork, no file listed twice or
// unlisted).
func TestSharedOrganizationTrail(t *testing.T) {
	const org = "o-abcdefghij"
	members := []string{account, "444455556666"}
	root := t.TempDir()
	start := time.Date(2026, 3, 14, 10, 20, 0, 0, time.UTC)
	ctx := ctxT(t, 60*time.Second)
	var trails []*trail.Trail
	var clocks []*trail.ManualClock
	for range 2 {
		d, err := sink.NewDir(root, sink.DirOptions{Bucket: "org-logs"})
		require.NoError(t, err)
		clock := trail.NewManualClock(start)
		cfg := baseConfig(d)
		cfg.OrganizationID = org
		cfg.IncludeGlobalServiceEvents = false
		cfg.Clock = clock
		cfg.Digests.Signer = testSigner()
		tr, err := trail.New(cfg)
		require.NoError(t, err)
		trails = append(trails, tr)
		clocks = append(clocks, clock)
	}
	var ids []string
	end := start.Add(3 * time.Hour)
	for at, i := start.Add(time.Minute), 0; at.Before(end); at, i = at.Add(4*time.Minute), i+1 {
		w := i % 2 // the writers alternate, each on its own clock
		clocks[w].Set(at)
		r := record(at, home, "ec2.amazonaws.com", "RunInstances")
		r.RecipientAccountID = members[(i/2)%2]
		require.NoError(t, trails[w].Emit(ctx, r))
		ids = append(ids, r.EventID)
	}
	// Every file is in the store before the first Close seals the hour
	// both writers are in, so that its digests list them all: a file
	// still on its way would be late, left to the next sealer.
	for w, tr := range trails {
		clocks[w].Set(end)
		require.NoError(t, tr.Flush(ctx))
	}
	for _, tr := range trails {
		require.NoError(t, tr.Close(ctx))
		assert.Empty(t, tr.Status().LatestDigestDeliveryError)
	}
	d, err := sink.NewDir(root, sink.DirOptions{Bucket: "org-logs"})
	require.NoError(t, err)
	rep, err := trail.Seal(ctx, trail.SealOptions{
		Sink: d, Name: "main-trail", AccountID: account, HomeRegion: home, OrganizationID: org,
		Digests: trail.DigestOptions{Signer: testSigner()}, Until: end.Add(time.Hour),
	})
	require.NoError(t, err)
	assert.Empty(t, rep.Digests, "nothing owed")
	s := readStore(t, d)
	requireExactlyOnce(t, s, ids)
	files := digestsOf(t, d, s.digests)
	listed := map[string]int{}
	perAccount := map[string]int{}
	for key, f := range files {
		perAccount[f.AWSAccountID]++
		assert.Contains(t, key, "AWSLogs/"+org+"/"+f.AWSAccountID+"/CloudTrail-Digest/"+home+"/")
		for _, l := range f.LogFiles {
			listed[l.S3Object]++
			assert.Contains(t, l.S3Object, "/"+f.AWSAccountID+"/CloudTrail/", "a digest lists its account's files")
		}
	}
	// 10:20-11:00, 11:00-12:00, 12:00-13:00 and 13:00-14:00 (the first
	// Close, at 13:20, seals the hour both writers delivered files in) for
	// each member account (records alternate between the members every
	// two records, the writers every record).
	want := map[string]int{members[0]: 4, members[1]: 4}
	assert.Equal(t, want, perAccount)
	for key := range s.logs {
		assert.Equal(t, 1, listed[key], "log file %s listed once", key)
	}
	for _, m := range members {
		n := 0
		for f, err := range digest.Validate(context.Background(), d, digest.ValidateOptions{
			TrailARN: "arn:aws:cloudtrail:" + home + ":" + account + ":trail/main-trail", AccountID: m, OrganizationID: org,
			Start: start, End: end.Add(time.Hour), Keys: []digest.PublicKey{testSigner().PublicKey()},
		}) {
			require.NoError(t, err)
			assert.False(t, f.Kind.Invalid(), "%s", f.String())
			assert.NotEqual(t, digest.Gap, f.Kind, "%s", f.String())
			if f.Kind == digest.DigestValid {
				n++
			}
		}
		assert.Equal(t, want[m], n, m)
	}
}

// countingDir is a directory sink that counts what a trail reads of it:
// listings by kind of directory, and reads of log files.
type countingDir struct {
	*sink.Dir
	mu       sync.Mutex
	lists    map[string]int // "digests", "logs"
	logReads int
}

func (c *countingDir) List(ctx context.Context, prefix, startAfter string) iter.Seq2[sink.ObjectInfo, error] {
	c.mu.Lock()
	if strings.Contains(prefix, "/CloudTrail-Digest/") {
		c.lists["digests"]++
	} else {
		c.lists["logs"]++
	}
	c.mu.Unlock()
	return c.Dir.List(ctx, prefix, startAfter)
}

func (c *countingDir) Get(ctx context.Context, key string) (io.ReadCloser, sink.ObjectInfo, error) {
	if !strings.Contains(key, "/CloudTrail-Digest/") {
		c.mu.Lock()
		c.logReads++
		c.mu.Unlock()
	}
	return c.Dir.Get(ctx, key)
}

// A writer of a shared trail that finds each hour sealed by another writer
// before it reads the digest at the hour's key and nothing more: after its
// first seal it lists no digest directory, it never reads the other
// writer's files (the digests list them), and it lists log files only for
// the digest it creates itself (its own files, late for the other's
// digests). The chain is one line and every file is listed once.
func TestSharedTrailLaggardReadsLittle(t *testing.T) {
	root := t.TempDir()
	start := time.Date(2026, 3, 14, 10, 5, 0, 0, time.UTC)
	end := start.Add(3*time.Hour - 5*time.Minute) // 13:00
	ctx := ctxT(t, 60*time.Second)
	var dirs []*countingDir
	var ids []string
	for w := range 2 { // the first writer runs to the end, then the second
		d, err := sink.NewDir(root, sink.DirOptions{Bucket: "logs"})
		require.NoError(t, err)
		cd := &countingDir{Dir: d, lists: map[string]int{}}
		dirs = append(dirs, cd)
		cfg, clock := manualConfig(start, cd)
		cfg.IncludeGlobalServiceEvents = false // one chain
		cfg.Digests.Signer = testSigner()
		tr, err := trail.New(cfg)
		require.NoError(t, err)
		for at := start; !at.After(end); at = at.Add(5 * time.Minute) {
			clock.Set(at)
			r := record(at, home, "ec2.amazonaws.com", fmt.Sprint("RunInstances", w))
			require.NoError(t, tr.Emit(ctx, r))
			ids = append(ids, r.EventID)
		}
		if w == 1 {
			// The second writer's files of 13:00 are late for the
			// 14:00 digest: it lists them in the next one when it
			// stops in that hour (a stopping trail seals no hour
			// ahead of its clock).
			clock.Set(end.Add(65 * time.Minute))
		}
		require.NoError(t, tr.Close(ctx))
		assert.Empty(t, tr.Status().LatestDigestDeliveryError)
		// The first writer seals 11:00, 12:00 and 13:00, and at its
		// Close 14:00: the files it cut at 13:00 are delivered in that
		// hour. The second seals 15:00.
		assert.EqualValues(t, []int64{4, 1}[w], tr.Status().Sinks[0].DigestsDelivered, "writer %d", w)
	}
	second := dirs[1]
	assert.Equal(t, 2, second.lists["digests"], "the second writer lists the digests once, to find the tip (the first key, then the day)")
	assert.Zero(t, second.logReads, "the second writer reads none of the first's files")
	assert.LessOrEqual(t, second.lists["logs"], 4, "log listings only for the digest it creates: CloudTrail and CloudTrail-Insight, over the day before")
	s := readStore(t, dirs[0].Dir)
	requireExactlyOnce(t, s, ids)
	listed := map[string]int{}
	prev := map[string]int{}
	for _, f := range digestsOf(t, dirs[0].Dir, s.digests) {
		prev[f.PreviousDigestS3Object]++
		for _, l := range f.LogFiles {
			listed[l.S3Object]++
		}
	}
	for p, n := range prev {
		assert.Equal(t, 1, n, "digests after %q", p)
	}
	for key := range s.logs {
		assert.Equal(t, 1, listed[key], "log file %s listed once", key)
	}
}

// gatedSink holds digest creation until its gate opens, announcing the
// first PutIfAbsent that waits: a writer slow to seal its first hour.
type gatedSink struct {
	sink.Sink
	entered chan struct{}
	gate    chan struct{}
	once    sync.Once
}

func (g *gatedSink) Unwrap() sink.Sink { return g.Sink }

func (g *gatedSink) PutIfAbsent(ctx context.Context, obj sink.Object) error {
	g.once.Do(func() { close(g.entered) })
	select {
	case <-g.gate:
	case <-ctx.Done():
		return ctx.Err()
	}
	return putIfAbsent(ctx, g.Sink, obj, func(context.Context, sink.Object) error { return nil })
}

// Two writers whose first hours differ, the earlier one slow to seal its
// first digest: the later one, finding no digest, starts the chain at the
// hour of the oldest file in the store rather than at its own first hour,
// so the two race for the same first key and the chain has one start, no
// gap, and every file in one digest.
func TestSharedTrailChainStartsAtOldestFile(t *testing.T) {
	root := t.TempDir()
	ctx := ctxT(t, 60*time.Second)
	newWriter := func(start time.Time, wrap func(sink.Sink) sink.Sink) (*trail.Trail, *trail.ManualClock) {
		d, err := sink.NewDir(root, sink.DirOptions{Bucket: "logs"})
		require.NoError(t, err)
		cfg, clock := manualConfig(start, wrap(d))
		cfg.IncludeGlobalServiceEvents = false // one chain
		cfg.Digests.Signer = testSigner()
		tr, err := trail.New(cfg)
		require.NoError(t, err)
		return tr, clock
	}
	var ids []string
	emit := func(tr *trail.Trail, clock *trail.ManualClock, from, to time.Time) {
		for at := from; !at.After(to); at = at.Add(5 * time.Minute) {
			clock.Set(at)
			ids = append(ids, emitAt(t, ctx, tr, at))
		}
	}
	gated := &gatedSink{entered: make(chan struct{}), gate: make(chan struct{})}
	t0 := time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)
	first, firstClock := newWriter(t0, func(s sink.Sink) sink.Sink { gated.Sink = s; return gated })
	emit(first, firstClock, t0, t0.Add(50*time.Minute)) // to 10:20: the 10:00 digest is owed
	select {
	case <-gated.entered:
	case <-ctx.Done():
		t.Fatal("the first writer did not go to seal its first hour")
	}
	second, secondClock := newWriter(t0.Add(2*time.Hour), func(s sink.Sink) sink.Sink { return s })
	emit(second, secondClock, t0.Add(2*time.Hour), t0.Add(2*time.Hour+40*time.Minute)) // 11:30 to 12:10
	require.NoError(t, second.Close(ctx))
	assert.Empty(t, second.Status().LatestDigestDeliveryError)
	close(gated.gate)
	require.NoError(t, first.Close(ctx))

	d, err := sink.NewDir(root, sink.DirOptions{Bucket: "logs"})
	require.NoError(t, err)
	// The first writer's last file is late for the chain the second
	// sealed to 13:00, and its clock is at 10:20: it seals no hour ahead,
	// trailkit seal lists the file once both are gone.
	_, err = trail.Seal(ctx, trail.SealOptions{
		Sink: d, Name: "main-trail", AccountID: account, HomeRegion: home,
		Digests: trail.DigestOptions{Signer: testSigner()}, Until: t0.Add(3*time.Hour + 35*time.Minute),
	})
	require.NoError(t, err)
	s := readStore(t, d)
	requireExactlyOnce(t, s, ids)
	files := digestsOf(t, d, s.digests)
	listed := map[string]int{}
	starts := 0
	for _, f := range files {
		if f.PreviousDigestS3Object == "" {
			starts++
		}
		for _, l := range f.LogFiles {
			listed[l.S3Object]++
		}
	}
	assert.Equal(t, 1, starts, "digests that start a chain")
	// 10:00 to 13:00 by the second writer, and 14:00 by trailkit seal: the
	// first's last file (10:20 to 10:25), cut at its Close after the
	// second writer sealed 13:00, goes into the next digest.
	assert.Len(t, files, 5, "digests of 10:00 to 14:00")
	for key := range s.logs {
		assert.Equal(t, 1, listed[key], "log file %s listed once", key)
	}
	for f, err := range digest.Validate(context.Background(), d, digest.ValidateOptions{
		TrailARN: "arn:aws:cloudtrail:" + home + ":" + account + ":trail/main-trail",
		Start:    t0, End: t0.Add(4 * time.Hour), Keys: []digest.PublicKey{testSigner().PublicKey()},
	}) {
		require.NoError(t, err)
		assert.False(t, f.Kind.Invalid(), "%s", f.String())
		assert.NotEqual(t, digest.Gap, f.Kind, "%s", f.String())
		assert.NotEqual(t, digest.Fork, f.Kind, "%s", f.String())
	}
}

// A fleet of writers of one trail on their own clocks, as in a rolling
// deploy: A stops mid-hour and seals it; B delivers a file after that and
// stops, then restarts from its spool (journal) and does the same. Neither
// B seals an hour that has not begun by its clock (the chain would run
// ahead of real time, an hour further for each writer stopping so); B's
// late files stay delivered and unlisted until C, still running, seals
// the next hour at its end and lists them. The chain then validates with
// no fork, gap, unlisted file or file listed twice.
func TestSharedTrailStopSealsNoHourAhead(t *testing.T) {
	root := t.TempDir()
	spool := t.TempDir()
	t0 := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	ctx := ctxT(t, 60*time.Second)
	d, err := sink.NewDir(root, sink.DirOptions{Bucket: "logs"})
	require.NoError(t, err)
	newWriter := func(at time.Time, spool string) (*trail.Trail, *trail.ManualClock) {
		cfg, clock := manualConfig(at, d)
		cfg.IncludeGlobalServiceEvents = false // one chain
		cfg.Digests.Signer = testSigner()
		if spool != "" {
			cfg.Durability.Spool = &trail.Spool{Dir: spool}
		}
		tr, err := trail.New(cfg)
		require.NoError(t, err)
		return tr, clock
	}
	var ids []string
	// emit emits a record at `at` and delivers its file at the end of its
	// window (the flush interval, 5 minutes), waiting until it is in the
	// store: another writer's seal must find it there.
	emit := func(tr *trail.Trail, clock *trail.ManualClock, at time.Time) {
		clock.Set(at)
		ids = append(ids, emitAt(t, ctx, tr, at))
		clock.Set(at.Truncate(5 * time.Minute).Add(5 * time.Minute))
		require.NoError(t, tr.Flush(ctx))
	}
	digests := func() map[string]*digest.File {
		return digestsOf(t, d, readStore(t, d).digests)
	}
	// noneAhead asserts that no digest's period starts after now.
	noneAhead := func(who string, now time.Time) {
		t.Helper()
		for key, f := range digests() {
			assert.False(t, f.DigestStartTime.After(now), "%s at %s: digest %s of %s-%s begins after its clock",
				who, now.Format("15:04"), key, f.DigestStartTime.Format("15:04"), f.DigestEndTime.Format("15:04"))
		}
	}
	listedIn := func() map[string][]string { // log key: digest keys
		out := map[string][]string{}
		for key, f := range digests() {
			for _, l := range f.LogFiles {
				out[l.S3Object] = append(out[l.S3Object], key)
			}
		}
		return out
	}

	a, aClock := newWriter(t0, "")
	b, bClock := newWriter(t0, spool)
	c, cClock := newWriter(t0, "")
	emit(a, aClock, t0.Add(5*time.Minute))
	emit(c, cClock, t0.Add(10*time.Minute))
	aClock.Set(t0.Add(30 * time.Minute))
	require.NoError(t, a.Close(ctx)) // seals 10:00-11:00 at 10:30
	require.Len(t, digests(), 1, "A seals the hour it stops in")

	emit(b, bClock, t0.Add(31*time.Minute)) // delivered at 10:35, late
	bClock.Set(t0.Add(36 * time.Minute))
	require.NoError(t, b.Close(ctx))
	assert.Empty(t, b.Status().LatestDigestDeliveryError)
	noneAhead("B", bClock.Now())
	assert.Zero(t, b.Status().Sinks[0].DigestsDelivered, "B's hour was sealed, the next has not begun")

	// B restarts from its spool and journal in the same hour.
	b, bClock = newWriter(t0.Add(40*time.Minute), spool)
	emit(b, bClock, t0.Add(41*time.Minute)) // delivered at 10:45
	bClock.Set(t0.Add(46 * time.Minute))
	require.NoError(t, b.Close(ctx))
	assert.Empty(t, b.Status().LatestDigestDeliveryError)
	noneAhead("restarted B", bClock.Now())
	assert.Zero(t, b.Status().Sinks[0].DigestsDelivered)

	late := map[string]bool{}
	listed := listedIn()
	for key := range readStore(t, d).logs {
		if len(listed[key]) == 0 {
			late[key] = true
		}
	}
	assert.Len(t, late, 2, "B's two files wait, delivered and unlisted, for the chain's next sealer")
	// Nor does trailkit seal, run in the hour, seal the next one ahead.
	rep, err := trail.Seal(ctx, trail.SealOptions{
		Sink: d, Name: "main-trail", AccountID: account, HomeRegion: home,
		Digests: trail.DigestOptions{Signer: testSigner()}, Until: t0.Add(48 * time.Minute),
	})
	require.NoError(t, err)
	assert.Empty(t, rep.Digests, "seal at 10:48")
	noneAhead("seal", t0.Add(48*time.Minute))

	emit(c, cClock, t0.Add(50*time.Minute)) // late too, C's own
	emit(c, cClock, t0.Add(80*time.Minute))
	cClock.Set(t0.Add(2 * time.Hour)) // C seals 11:00-12:00 at 12:00
	cClock.Set(t0.Add(2*time.Hour + time.Minute))
	require.NoError(t, c.Close(ctx))
	assert.Empty(t, c.Status().LatestDigestDeliveryError)
	all := digests()
	assert.Len(t, all, 2, "10:00-11:00 by A, 11:00-12:00 by C")
	listed = listedIn()
	for key := range late {
		if assert.Len(t, listed[key], 1, "B's late file %s", key) {
			assert.Contains(t, listed[key][0], "_20260314T120000Z.json.gz", "in the digest C sealed at 12:00")
		}
	}
	s := readStore(t, d)
	requireExactlyOnce(t, s, ids)
	for key := range s.logs {
		assert.Len(t, listed[key], 1, "log file %s listed once", key)
	}
	found := validate(t, d, t0, t0.Add(2*time.Hour))
	for _, k := range []digest.Kind{digest.Fork, digest.Gap, digest.Overlap, digest.LogUnlisted, digest.LogListedTwice} {
		assert.Empty(t, found[k], "%v", k)
	}
	assert.Len(t, found[digest.DigestValid], 2)
	assert.Len(t, found[digest.LogValid], len(s.logs))
}
