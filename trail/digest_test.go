package trail_test

import (
	"context"
	"crypto/rsa"
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

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	key, err := digest.GenerateKey(2048)
	if err != nil {
		panic(err)
	}
	return key
})

var testSigner = sync.OnceValue(func() *digest.RSASigner { return digest.NewRSASigner(testKey()) })

// validate runs the digest validator over the store and returns the
// findings by kind, failing on any invalid one.
func validate(t *testing.T, st sink.Store, start, end time.Time) map[digest.Kind][]digest.Finding {
	t.Helper()
	out := map[digest.Kind][]digest.Finding{}
	for f, err := range digest.Validate(context.Background(), st, digest.ValidateOptions{
		TrailARN: "arn:aws:cloudtrail:" + home + ":" + account + ":trail/main-trail",
		Start:    start, End: end,
		Keys: []digest.PublicKey{testSigner().PublicKey()},
	}) {
		require.NoError(t, err)
		assert.False(t, f.Kind.Invalid(), "%s", f.String())
		out[f.Kind] = append(out[f.Kind], f)
	}
	return out
}

// digestsOf reads the digest files of a store by key.
func digestsOf(t *testing.T, st sink.Store, keys []string) map[string]*digest.File {
	t.Helper()
	out := map[string]*digest.File{}
	for _, k := range keys {
		f, _, info, err := digest.Get(context.Background(), st, k)
		require.NoError(t, err, k)
		assert.NotEmpty(t, info.Metadata["signature"], k)
		out[k] = f
	}
	return out
}

// One digest per region per hour, also for hours without files, listing
// exactly the files delivered in its period; a restarted trail continues
// the chain.
func TestDigestsHourlyPerRegion(t *testing.T) {
	d := newDir(t, "logs")
	start := time.Date(2026, 3, 14, 10, 20, 0, 0, time.UTC)
	cfg, clock := manualConfig(start, d)
	cfg.Digests.Signer = testSigner()
	cfg.Digests.Regions = []string{"eu-west-1"}
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 60*time.Second)
	emitAt := func(tr *trail.Trail, at time.Time, source string) string {
		clock.Set(at)
		r := record(at, home, source, "RunInstances")
		require.NoError(t, tr.Emit(ctx, r))
		return r.EventID
	}
	var ids []string
	ids = append(ids, emitAt(tr, start.Add(time.Minute), "ec2.amazonaws.com"))
	ids = append(ids, emitAt(tr, start.Add(20*time.Minute), "iam.amazonaws.com")) // us-east-1
	ids = append(ids, emitAt(tr, start.Add(22*time.Minute), "ec2.amazonaws.com"))
	// 11:00 to 12:00 has no file.
	ids = append(ids, emitAt(tr, time.Date(2026, 3, 14, 12, 7, 0, 0, time.UTC), "ec2.amazonaws.com"))
	end := time.Date(2026, 3, 14, 12, 10, 0, 0, time.UTC)
	clock.Set(end)
	require.NoError(t, tr.Close(ctx))
	st := tr.Status()
	assert.Empty(t, st.LatestDigestDeliveryError)
	assert.Equal(t, end, st.LatestDigestDeliveryTime)

	s := readStore(t, d)
	requireExactlyOnce(t, s, ids)
	digests := digestsOf(t, d, s.digests)
	// 3 regions (home, eu-west-1 from Digests.Regions, us-east-1 for global
	// service events) × 3 periods: 10:20-11:00, 11:00-12:00, 12:00-13:00
	// (Close seals the hour it is in, under the hour's key).
	require.Len(t, digests, 9, "%v", s.digests)
	type period struct{ start, end string }
	byRegion := map[string][]period{}
	listed := map[string]int{}
	for key, f := range digests {
		assert.Equal(t, key, f.DigestS3Object)
		assert.Equal(t, "logs", f.DigestS3Bucket)
		region := strings.Split(key, "/")[3]
		assert.Contains(t, key, "_CloudTrail-Digest_"+region+"_main-trail_"+home+"_")
		byRegion[region] = append(byRegion[region], period{f.DigestStartTime.Format("15:04"), f.DigestEndTime.Format("15:04")})
		for _, l := range f.LogFiles {
			listed[l.S3Object]++
			assert.Equal(t, region, strings.Split(l.S3Object, "/")[3], "a digest lists its region's files")
		}
		if strings.HasSuffix(key, "T120000Z.json.gz") {
			assert.Empty(t, f.LogFiles, "the hour without files has an empty digest")
		}
	}
	want := []period{{"10:20", "11:00"}, {"11:00", "12:00"}, {"12:00", "13:00"}}
	for _, r := range []string{home, "eu-west-1", "us-east-1"} {
		assert.ElementsMatch(t, want, byRegion[r], r)
	}
	for key := range s.logs {
		assert.Equal(t, 1, listed[key], "log file %s listed once", key)
	}
	assert.Len(t, listed, len(s.logs))

	found := validate(t, d, start, end)
	assert.Len(t, found[digest.DigestValid], 9)
	assert.Len(t, found[digest.LogValid], len(s.logs))

	// A restarted trail in the same hour finds its digest sealed: its file
	// goes into the next hour's digest, linked to it, which it reads from
	// the sink beneath a wrapper (Unwrap), and seals when it stops in
	// that hour (not before: see TestSharedTrailStopSealsNoHourAhead).
	clock2 := trail.NewManualClock(time.Date(2026, 3, 14, 12, 30, 0, 0, time.UTC))
	cfg.Clock = clock2
	cfg.Delivery.Sinks = []sink.Sink{&faultSink{Sink: d}}
	tr2, err := trail.New(cfg)
	require.NoError(t, err)
	clock2.Set(time.Date(2026, 3, 14, 12, 31, 0, 0, time.UTC))
	r := record(clock2.Now(), home, "ec2.amazonaws.com", "RunInstances")
	require.NoError(t, tr2.Emit(ctx, r))
	clock2.Set(time.Date(2026, 3, 14, 12, 35, 0, 0, time.UTC))
	clock2.Set(time.Date(2026, 3, 14, 13, 5, 0, 0, time.UTC))
	require.NoError(t, tr2.Close(ctx))
	s = readStore(t, d)
	requireExactlyOnce(t, s, append(ids, r.EventID))
	all := digestsOf(t, d, s.digests)
	require.Len(t, all, 12)
	for key, f := range all {
		if !strings.HasSuffix(key, "T140000Z.json.gz") {
			continue
		}
		assert.Equal(t, "13:00", f.DigestStartTime.Format("15:04"))
		assert.True(t, strings.HasSuffix(f.PreviousDigestS3Object, "T130000Z.json.gz"), "chain resumed: %s", f.PreviousDigestS3Object)
		if strings.Contains(key, "/"+home+"/") {
			require.Len(t, f.LogFiles, 1)
			assert.Contains(t, f.LogFiles[0].S3Object, "_20260314T1235Z_")
		}
	}
	found = validate(t, d, start, time.Date(2026, 3, 14, 14, 0, 0, 0, time.UTC))
	assert.Len(t, found[digest.DigestValid], 12)
	assert.Len(t, found[digest.LogValid], len(s.logs))
}

// After StopLogging and StartLogging the chain continues: StopLogging
// sealed the hour it was in, the restarted trail links to that digest.
// (CloudTrail starts a new chain; a trail shared by several processes
// cannot, as one process stopping does not stop the others.)
func TestDigestsChainContinuesAfterStartLogging(t *testing.T) {
	d := newDir(t, "logs")
	start := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	cfg, clock := manualConfig(start, d)
	cfg.Digests.Signer = testSigner()
	cfg.IncludeGlobalServiceEvents = false // home region only
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 60*time.Second)
	clock.Set(start.Add(90 * time.Minute))
	require.NoError(t, tr.StopLogging(ctx))
	clock.Set(start.Add(100 * time.Minute))
	tr.StartLogging()
	clock.Set(start.Add(130 * time.Minute))
	require.NoError(t, tr.Close(ctx))
	s := readStore(t, d)
	files := digestsOf(t, d, s.digests)
	var heads []string
	for key, f := range files {
		if f.PreviousDigestS3Object == "" {
			heads = append(heads, key)
		}
	}
	// 10:00-11:00, then 11:00-12:00 sealed at 12:00 after the restart
	// (StopLogging at 11:30 left the hour, in which it delivered no file,
	// unsealed; Close at 12:10 too).
	require.Len(t, files, 2)
	assert.ElementsMatch(t, []string{
		"AWSLogs/" + account + "/CloudTrail-Digest/" + home + "/2026/03/14/" + account + "_CloudTrail-Digest_" + home + "_main-trail_" + home + "_20260314T110000Z.json.gz",
	}, heads)
	found := validate(t, d, start, clock.Now())
	assert.Len(t, found[digest.DigestValid], 2)
	assert.Empty(t, found[digest.Gap])
}
