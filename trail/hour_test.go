package trail_test

import (
	"bytes"
	"context"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/internal/awscli"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
	"github.com/trailkit/trailkit/trail"
)

// hourStore is where a test of the hour boundary writes a trail: a
// directory, or a bucket of a MinIO server (then the AWS CLI validates it
// too).
type hourStore struct {
	name string
	open func(t *testing.T) (newSink func() sink.Sink, cli func(start, end time.Time) string)
}

var hourStores = []hourStore{
	{"dir", func(t *testing.T) (func() sink.Sink, func(time.Time, time.Time) string) {
		root := t.TempDir()
		return func() sink.Sink {
			d, err := sink.NewDir(root, sink.DirOptions{Bucket: "logs"})
			require.NoError(t, err)
			return d
		}, nil
	}},
	{"s3", func(t *testing.T) (func() sink.Sink, func(time.Time, time.Time) string) {
		srv := miniotest.Start(t)
		srv.CreateBucket(t, "logs")
		client := srv.Client(t)
		cli := awscli.New(t)
		pub := testSigner().PublicKey()
		pub.ValidityStartTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		cli.SetKeys(t, digest.PublicKeyList{PublicKeyList: []digest.PublicKey{pub}})
		return func() sink.Sink { return s3sink.New(client, "logs", s3sink.Options{}) },
			func(start, end time.Time) string {
				cmd := cli.Command(srv.Env(), "cloudtrail", "validate-logs", "--trail-arn", "arn:aws:cloudtrail:"+home+":"+account+":trail/main-trail",
					"--s3-bucket", "logs", "--region", home, "--verbose",
					"--start-time", start.Format(time.RFC3339), "--end-time", end.Format(time.RFC3339))
				var out bytes.Buffer
				cmd.Stdout, cmd.Stderr = &out, &out
				err := cmd.Run()
				if _, ok := err.(*exec.ExitError); !ok {
					require.NoError(t, err, "aws cloudtrail validate-logs")
				}
				assert.NoError(t, err, "aws cloudtrail validate-logs:\n%s", out.String())
				return out.String()
			}
	}},
}

// A log file put in the first minute of an hour (its key stamped HH:00) by
// a writer that did not seal it is listed by the digest of the hour it
// starts, not of the hour before, whether a live writer of the trail or
// `trailkit seal` seals it; so is the live writer's own file of the window
// ending on the hour (stamped HH:00 too). Every listed file is stamped
// before its digest's end, and a validation of a range that starts inside
// that minute validates the file: trailkit's validator (which reports no
// unlisted file) and, on S3, the AWS CLI's.
func TestSharedTrailHourFirstMinute(t *testing.T) {
	t0 := time.Date(2026, 3, 14, 10, 40, 0, 0, time.UTC)
	hour := time.Date(2026, 3, 14, 11, 0, 0, 0, time.UTC)
	for _, st := range hourStores {
		for _, sealer := range []string{"writer", "seal"} {
			t.Run(st.name+"/"+sealer, func(t *testing.T) {
				ctx := ctxT(t, 60*time.Second)
				newSink, cli := st.open(t)
				var ids []string
				emit := func(tr *trail.Trail, clock *trail.ManualClock, at time.Time) {
					clock.Set(at)
					ids = append(ids, emitAt(t, ctx, tr, at))
				}
				newWriter := func(start time.Time, digests bool) (*trail.Trail, *trail.ManualClock) {
					return hourWriter(t, newSink(), start, digests)
				}
				var live *trail.Trail
				var liveClock *trail.ManualClock
				if sealer == "writer" {
					live, liveClock = newWriter(t0, true)
					emit(live, liveClock, t0)
					emit(live, liveClock, t0.Add(16*time.Minute)) // its window ends at 11:00
				}
				// A writer that dies before it seals (here: one without
				// digests) puts a file at 11:00:30.
				other, otherClock := newWriter(hour.Add(20*time.Second), false)
				emit(other, otherClock, hour.Add(20*time.Second))
				otherClock.Set(hour.Add(30 * time.Second))
				require.NoError(t, other.Close(ctx))
				if sealer == "writer" {
					liveClock.Set(hour.Add(40 * time.Second)) // the 11:00 digest is owed
					emit(live, liveClock, hour.Add(30*time.Minute))
					liveClock.Set(hour.Add(65 * time.Minute))
					require.NoError(t, live.Close(ctx))
					assert.Empty(t, live.Status().LatestDigestDeliveryError)
				} else {
					rep, err := trail.Seal(ctx, trail.SealOptions{
						Sink: newSink(), Name: "main-trail", AccountID: account, HomeRegion: home,
						Digests: trail.DigestOptions{Signer: testSigner()}, Until: hour.Add(30 * time.Minute),
					})
					require.NoError(t, err)
					assert.Equal(t, 1, rep.Listed, "the file put at 11:00:30")
				}

				store, ok := newSink().(sink.Store)
				require.True(t, ok)
				s := readStore(t, store)
				requireExactlyOnce(t, s, ids)
				listedBy := map[string]time.Time{} // log key: its digest's end
				for key, f := range digestsOf(t, store, s.digests) {
					for _, l := range f.LogFiles {
						_, dup := listedBy[l.S3Object]
						assert.False(t, dup, "log file %s listed twice", l.S3Object)
						listedBy[l.S3Object] = f.DigestEndTime
						stamp := stampOf(t, l.S3Object)
						assert.True(t, stamp.Before(f.DigestEndTime), "%s lists %s, delivered after its end", key, l.S3Object)
					}
				}
				hourEnd := hour.Add(time.Hour)
				n := 0
				for key := range s.logs {
					assert.Contains(t, listedBy, key, "log file %s listed", key)
					if stampOf(t, key).Equal(hour) {
						n++
						assert.Equal(t, hourEnd, listedBy[key], "%s is in the digest of 11:00 to 12:00", key)
					}
				}
				assert.Equal(t, map[string]int{"writer": 2, "seal": 1}[sealer], n, "files stamped 11:00")

				// Validate from inside the minute the file was put in.
				from, to := hour.Add(30*time.Second), hour.Add(90*time.Minute)
				valid := map[string]bool{}
				for f, err := range digest.Validate(context.Background(), store, digest.ValidateOptions{
					TrailARN: "arn:aws:cloudtrail:" + home + ":" + account + ":trail/main-trail",
					Start:    from, End: to, Keys: []digest.PublicKey{testSigner().PublicKey()},
				}) {
					require.NoError(t, err)
					assert.False(t, f.Kind.Invalid(), "%s", f.String())
					assert.NotEqual(t, digest.LogUnlisted, f.Kind, "%s", f.String())
					if f.Kind == digest.LogValid {
						valid[f.Key] = true
					}
				}
				for key := range s.logs {
					if !stampOf(t, key).Before(hour) {
						assert.True(t, valid[key], "validate from 11:00:30 validates %s", key)
					}
				}
				if cli != nil {
					out := cli(from, to)
					for key := range s.logs {
						if !stampOf(t, key).Before(hour) {
							assert.Contains(t, out, "s3://logs/"+key+"\tvalid", "the AWS CLI validates %s", key)
						}
					}
				}
			})
		}
	}
}

// hourWriter returns a trail of one chain on s, on a ManualClock at start,
// with digests or (a writer that dies before it seals) without.
func hourWriter(t *testing.T, s sink.Sink, start time.Time, digests bool) (*trail.Trail, *trail.ManualClock) {
	t.Helper()
	cfg, clock := manualConfig(start, s)
	cfg.IncludeGlobalServiceEvents = false // one chain
	if digests {
		cfg.Digests.Signer = testSigner()
	}
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	return tr, clock
}

// stampOf returns the minute a log file's key names.
func stampOf(t *testing.T, key string) time.Time {
	t.Helper()
	m := keyRE.FindStringSubmatch(key)
	require.NotNil(t, m, key)
	at, err := time.Parse("20060102T1504Z", m[10])
	require.NoError(t, err, key)
	return at
}

// A log file put more than a day after the minute its key names, by a
// writer that died before it listed it (a spool put again after a long
// outage), after the digests of that minute's hour were sealed: the
// trail's sealers look back a day by key, so trailkit seal finds it by
// what the store says of its delivery (LastModified, a file's modification
// time) and lists it, once, in the digest of the hour it was delivered in,
// as CloudTrail lists the files delivered during a digest's period; the
// chain has no gap, and the validator reports no file unlisted. A second
// seal finds nothing owed.
func TestSealFileMoreThanADayLate(t *testing.T) {
	for _, st := range hourStores {
		t.Run(st.name, func(t *testing.T) {
			ctx := ctxT(t, 60*time.Second)
			newSink, _ := st.open(t)
			// Delivery times are the store's clock: the trail's run
			// ends two hours before now.
			now := time.Now().UTC()
			t0 := now.Add(-30 * time.Hour).Truncate(time.Hour).Add(10 * time.Minute)
			var ids []string
			newWriter := func(start time.Time, digests bool) (*trail.Trail, *trail.ManualClock) {
				return hourWriter(t, newSink(), start, digests)
			}
			emit := func(tr *trail.Trail, at time.Time) {
				ids = append(ids, emitAt(t, ctx, tr, at))
			}
			live, liveClock := newWriter(t0, true)
			emit(live, t0)
			liveClock.Set(now.Add(-2 * time.Hour))
			require.NoError(t, live.Close(ctx))
			// Stamped an hour after t0, put now, never listed by its
			// writer.
			late, lateClock := newWriter(t0.Add(time.Hour), false)
			emit(late, t0.Add(time.Hour))
			lateClock.Set(t0.Add(time.Hour + time.Minute))
			require.NoError(t, late.Close(ctx))

			store := newSink().(sink.Store)
			s := readStore(t, store)
			var lateKey string
			for key := range s.logs {
				if !stampOf(t, key).Before(t0.Add(time.Hour)) {
					lateKey = key
				}
			}
			require.NotEmpty(t, lateKey)
			info, err := sink.Stat(ctx, store, lateKey)
			require.NoError(t, err)
			until := time.Now().UTC()
			seal := func() trail.SealReport {
				rep, err := trail.Seal(ctx, trail.SealOptions{
					Sink: newSink(), Name: "main-trail", AccountID: account, HomeRegion: home,
					Digests: trail.DigestOptions{Signer: testSigner()}, Until: until,
				})
				require.NoError(t, err)
				return rep
			}
			rep := seal()
			assert.Equal(t, 1, rep.Listed, "the late file")
			assert.Empty(t, seal().Digests, "nothing owed after a seal")

			s = readStore(t, store)
			requireExactlyOnce(t, s, ids)
			listed := map[string][]time.Time{}
			for _, f := range digestsOf(t, store, s.digests) {
				for _, l := range f.LogFiles {
					listed[l.S3Object] = append(listed[l.S3Object], f.DigestEndTime)
				}
			}
			for key := range s.logs {
				assert.Len(t, listed[key], 1, "log file %s listed once", key)
			}
			delivered := info.LastModified.UTC()
			assert.Equal(t, []time.Time{delivered.Truncate(time.Hour).Add(time.Hour)}, listed[lateKey],
				"the late file is in the digest of the hour it was delivered in (%s)", delivered)
			for f, err := range digest.Validate(context.Background(), store, digest.ValidateOptions{
				TrailARN: "arn:aws:cloudtrail:" + home + ":" + account + ":trail/main-trail",
				Start:    t0.Add(-time.Hour), End: until.Add(time.Hour), Keys: []digest.PublicKey{testSigner().PublicKey()},
			}) {
				require.NoError(t, err)
				assert.False(t, f.Kind.Invalid(), "%s", f.String())
				assert.NotEqual(t, digest.Gap, f.Kind, "%s", f.String())
			}
		})
	}
}
