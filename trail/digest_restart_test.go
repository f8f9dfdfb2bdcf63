package trail_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/internal/killtest"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
)

const childKeyEnv = "TRAILKIT_TRAIL_TEST_KEY"

// hourH is the hour in which the digest child is killed.
var hourH = time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

// digestRestartConfig is the trail of the digest restart test: a Dir sink
// at root/logs, digests signed with the key in keyFile, a spool when spool
// is not empty.
func digestRestartConfig(spool, root, keyFile string, clock trail.Clock) (trail.Config, error) {
	d, err := sink.NewDir(filepath.Join(root, "logs"), sink.DirOptions{Bucket: "logs"})
	if err != nil {
		return trail.Config{}, err
	}
	key, err := digest.LoadPrivateKey(keyFile)
	if err != nil {
		return trail.Config{}, err
	}
	cfg := baseConfig(d)
	cfg.Clock = clock
	cfg.Digests.Signer = digest.NewRSASigner(key)
	if spool != "" {
		cfg.Durability.Spool = &trail.Spool{Dir: spool}
	}
	return cfg, nil
}

// childDigests runs a trail from 09:40: the 09:40-10:00 digests are
// delivered, then files at 10:10 and 10:15 in both regions; it emits one
// more record (acknowledged, in no file yet), prints "ready" and waits to
// be killed.
func childDigests(spool, root, keyFile string) int {
	clock := trail.NewManualClock(hourH.Add(-20 * time.Minute))
	cfg, err := digestRestartConfig(spool, root, keyFile, clock)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	sig := newSignalSink(cfg.Delivery.Sinks[0])
	cfg.Delivery.Sinks[0] = sig
	tr, err := trail.New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx := context.Background()
	emit := func(at time.Time, source string) error {
		clock.Set(at)
		r := record(at, home, source, "RunInstances")
		if err := tr.Emit(ctx, r); err != nil {
			return err
		}
		fmt.Printf("ack %s\n", r.EventID)
		return nil
	}
	steps := []struct {
		at     time.Time
		source string
		flush  time.Time
	}{
		{hourH.Add(-15 * time.Minute), "ec2.amazonaws.com", hourH},
		{hourH.Add(6 * time.Minute), "ec2.amazonaws.com", time.Time{}},
		{hourH.Add(7 * time.Minute), "iam.amazonaws.com", hourH.Add(10 * time.Minute)},
		{hourH.Add(12 * time.Minute), "ec2.amazonaws.com", hourH.Add(15 * time.Minute)},
	}
	for _, s := range steps {
		if err := emit(s.at, s.source); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if !s.flush.IsZero() {
			clock.Set(s.flush)
			if err := tr.Flush(ctx); err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
		}
	}
	// The 09:40-10:00 digests of both regions are in the sink.
	for digests := 0; digests < 2; {
		p := <-sig.puts
		if p.err != nil {
			fmt.Fprintln(os.Stderr, p.err)
			return 1
		}
		if strings.Contains(p.key, "CloudTrail-Digest") {
			digests++
		}
	}
	if err := emit(hourH.Add(16*time.Minute), "ec2.amazonaws.com"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	select {}
}

// runDigestChild runs childDigests and kills it with SIGKILL once it is
// ready; it returns the eventIDs the child acknowledged.
func runDigestChild(t *testing.T, spool, root, keyFile string) []string {
	t.Helper()
	acked := killtest.RunAndKill(t, []string{childEnv + "=digests", childSpoolEnv + "=" + spool, childRootEnv + "=" + root, childKeyEnv + "=" + keyFile},
		func(line string, _ int) bool { return line == "ready" })
	require.Len(t, acked, 5)
	return acked
}

// A trail killed in the middle of an hour, restarted on its spool: the
// files it delivered in that hour before the kill are listed in the next
// digest of their region, the chain continues, and the validator finds
// every log file valid and listed.
func TestDigestsListFilesDeliveredBeforeKill(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	pem, err := digest.MarshalPrivateKeyPEM(testKey())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(keyFile, pem, 0o600))

	tests := []struct {
		name    string
		spool   bool
		restart time.Time // the restarted trail's start
		// the digests the restarted trail writes, start-end
		want []string
		// the start of the digest listing the files of before the kill
		listedIn string
	}{
		// Digests end on the hour, each starting where the one before
		// ended: the hours after the last digest are sealed in order,
		// Close seals the hour it is in.
		{"spool, same hour", true, hourH.Add(20 * time.Minute), []string{"10:00-11:00", "11:00-12:00"}, "10:00"},
		{"spool, later hour", true, hourH.Add(80 * time.Minute), []string{"10:00-11:00", "11:00-12:00", "12:00-13:00"}, "10:00"},
		// Without a spool the files are found in the sink; the record
		// in no file at the kill is lost.
		{"no spool, same hour", false, hourH.Add(20 * time.Minute), []string{"10:00-11:00", "11:00-12:00"}, "10:00"},
		{"no spool, later hour", false, hourH.Add(80 * time.Minute), []string{"10:00-11:00", "11:00-12:00", "12:00-13:00"}, "10:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spool, root := t.TempDir(), t.TempDir()
			if !tc.spool {
				spool = ""
			}
			acked := runDigestChild(t, spool, root, keyFile)
			if !tc.spool {
				acked = acked[:len(acked)-1]
			}

			d, err := sink.NewDir(filepath.Join(root, "logs"), sink.DirOptions{Bucket: "logs"})
			require.NoError(t, err)
			before := readStore(t, d)
			// 09:50 in us-west-2; 10:10 in us-west-2 and us-east-1; 10:15.
			require.Len(t, before.logs, 4, "%v", before.keys())
			require.Len(t, before.digests, 2, "%v", before.digests)
			var killedHour []string
			for key := range before.logs {
				if !strings.Contains(key, "_20260314T09") {
					killedHour = append(killedHour, key)
				}
			}
			require.Len(t, killedHour, 3)

			clock := trail.NewManualClock(tc.restart)
			cfg, err := digestRestartConfig(spool, root, keyFile, clock)
			require.NoError(t, err)
			tr, err := trail.New(cfg)
			require.NoError(t, err)
			ctx := ctxT(t, 30*time.Second)
			emitAt := func(at time.Time) {
				clock.Set(at)
				r := record(at, home, "ec2.amazonaws.com", "RunInstances")
				require.NoError(t, tr.Emit(ctx, r))
				acked = append(acked, r.EventID)
			}
			emitAt(tc.restart.Add(5 * time.Minute))
			next := tc.restart.Truncate(time.Hour).Add(time.Hour)
			emitAt(next.Add(6 * time.Minute)) // H+1, or the hour after the restart
			end := next.Add(10 * time.Minute)
			clock.Set(end)
			require.NoError(t, tr.Close(ctx))
			st := tr.Status()
			assert.Empty(t, st.LatestDigestDeliveryError)
			if tc.spool {
				journal, err := os.ReadFile(filepath.Join(spool, "digests.journal"))
				require.NoError(t, err)
				assert.Empty(t, journal, "a clean Close leaves an empty digest journal")
			}

			s := readStore(t, d)
			requireExactlyOnce(t, s, acked)
			files := digestsOf(t, d, s.digests)
			listedBy := map[string][]string{}
			periods := map[string][]string{}
			for key, f := range files {
				region := strings.Split(key, "/")[3]
				periods[region] = append(periods[region], f.DigestStartTime.Format("15:04")+"-"+f.DigestEndTime.Format("15:04"))
				for _, l := range f.LogFiles {
					listedBy[l.S3Object] = append(listedBy[l.S3Object], key)
				}
			}
			for _, region := range []string{home, "us-east-1"} {
				assert.ElementsMatch(t, append([]string{"09:40-10:00"}, tc.want...), periods[region], region)
			}
			for _, key := range killedHour {
				require.Len(t, listedBy[key], 1, "file delivered before the kill listed once: %s", key)
				f := files[listedBy[key][0]]
				assert.Equal(t, tc.listedIn, f.DigestStartTime.Format("15:04"), "listed in the next digest: %s", key)
				for _, l := range f.LogFiles {
					if l.S3Object == key {
						recs := before.logs[key]
						assert.Equal(t, recs[0].EventTime, l.OldestEventTime.UTC(), "oldest event of %s", key)
						assert.Equal(t, recs[len(recs)-1].EventTime, l.NewestEventTime.UTC(), "newest event of %s", key)
					}
				}
			}
			for key := range s.logs {
				assert.Len(t, listedBy[key], 1, "log file %s listed once", key)
			}

			found := validate(t, d, hourH.Add(-20*time.Minute), end)
			assert.Empty(t, found[digest.LogUnlisted])
			assert.Empty(t, found[digest.Gap], "the chain continues across the restart")
			assert.Len(t, found[digest.DigestValid], len(s.digests))
			assert.Len(t, found[digest.LogValid], len(s.logs))
		})
	}
}

// A writer killed mid-hour, whose hour another writer then seals (listing
// the files the killed one delivered), restarts on its spool in that hour:
// its journal's period is the open one again, not sealed at once; the
// files it delivers after the other's digest are late, and its Close
// seals no hour that has not begun by its clock (the chain would run
// ahead of real time). They wait, delivered and unlisted, for the chain's
// next sealer, here trailkit seal in the next hour: then every file is
// listed once, with no fork or gap.
func TestDigestsRestartAfterOtherSealedSealsNoHourAhead(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	pem, err := digest.MarshalPrivateKeyPEM(testKey())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(keyFile, pem, 0o600))
	spool, root := t.TempDir(), t.TempDir()
	acked := runDigestChild(t, spool, root, keyFile) // killed at 10:16
	ctx := ctxT(t, 30*time.Second)

	// Another writer stops at 10:18 and seals 10:00-11:00 in both
	// regions, listing the killed writer's files of 10:10 and 10:15.
	otherClock := trail.NewManualClock(hourH.Add(17 * time.Minute))
	cfg, err := digestRestartConfig("", root, keyFile, otherClock)
	require.NoError(t, err)
	other, err := trail.New(cfg)
	require.NoError(t, err)
	r := record(otherClock.Now(), home, "ec2.amazonaws.com", "RunInstances")
	require.NoError(t, other.Emit(ctx, r))
	acked = append(acked, r.EventID)
	otherClock.Set(hourH.Add(18 * time.Minute))
	require.NoError(t, other.Close(ctx))
	assert.Empty(t, other.Status().LatestDigestDeliveryError)
	d, err := sink.NewDir(filepath.Join(root, "logs"), sink.DirOptions{Bucket: "logs"})
	require.NoError(t, err)
	require.Len(t, readStore(t, d).digests, 4, "09:40-10:00 and 10:00-11:00, two regions")

	clock := trail.NewManualClock(hourH.Add(20 * time.Minute))
	cfg, err = digestRestartConfig(spool, root, keyFile, clock)
	require.NoError(t, err)
	tr, err := trail.New(cfg) // restores the journal's 10:00 period
	require.NoError(t, err)
	clock.Set(hourH.Add(25 * time.Minute))
	r = record(clock.Now(), home, "ec2.amazonaws.com", "RunInstances")
	require.NoError(t, tr.Emit(ctx, r))
	acked = append(acked, r.EventID)
	clock.Set(hourH.Add(30 * time.Minute))
	require.NoError(t, tr.Close(ctx))
	assert.Empty(t, tr.Status().LatestDigestDeliveryError)
	assert.Zero(t, tr.Status().Sinks[0].DigestsDelivered, "its hour was sealed, the next has not begun")
	s := readStore(t, d)
	for key, f := range digestsOf(t, d, s.digests) {
		assert.False(t, f.DigestStartTime.After(clock.Now()), "digest %s of %s-%s begins after the restarted writer's clock %s",
			key, f.DigestStartTime.Format("15:04"), f.DigestEndTime.Format("15:04"), clock.Now().Format("15:04"))
	}

	rep, err := trail.Seal(ctx, trail.SealOptions{
		Sink: d, Name: "main-trail", AccountID: account, HomeRegion: home,
		Digests: trail.DigestOptions{Signer: digest.NewRSASigner(testKey())}, Until: hourH.Add(65 * time.Minute),
	})
	require.NoError(t, err)
	assert.NotZero(t, rep.Listed, "the restarted writer's late files")
	s = readStore(t, d)
	requireExactlyOnce(t, s, acked)
	listed := map[string]int{}
	for _, f := range digestsOf(t, d, s.digests) {
		for _, l := range f.LogFiles {
			listed[l.S3Object]++
		}
	}
	for key := range s.logs {
		assert.Equal(t, 1, listed[key], "log file %s listed once", key)
	}
	found := validate(t, d, hourH.Add(-20*time.Minute), hourH.Add(2*time.Hour))
	for _, k := range []digest.Kind{digest.Fork, digest.Gap, digest.Overlap, digest.LogUnlisted, digest.LogListedTwice} {
		assert.Empty(t, found[k], "%v", k)
	}
	assert.Len(t, found[digest.LogValid], len(s.logs))
}
