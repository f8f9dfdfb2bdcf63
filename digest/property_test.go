package digest_test

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
)

// TestNoFalsePositives validates 1,000 random untampered stores: one or
// two trails, one or two regions, chains of up to eight hours with empty
// hours, stopped hours (gaps) and restarts, key prefixes and organization
// trails, written alternately by digest.Chain and by the reference writer.
// Over the whole range every digest and log file must be valid; over a
// random sub-range nothing may be invalid.
func TestNoFalsePositives(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	ctx := context.Background()
	signer := digest.NewRSASigner(testKey(t, 1))
	keys := []digest.PublicKey{signer.PublicKey(), digest.NewPublicKey(&testKey(t, 0).PublicKey)}
	for i := range n {
		rng := mrand.New(mrand.NewPCG(uint64(i), 2026))
		store := newMemStore(fmt.Sprintf("bucket-%d", i))
		prefix, org := "", ""
		if rng.IntN(3) == 0 {
			prefix = "team/trails"
		}
		if rng.IntN(4) == 0 {
			org = "o-a1b2c3d4e5"
		}
		regions := []string{"us-east-1", "eu-west-1"}[:1+rng.IntN(2)]
		base := h0.Add(time.Duration(rng.IntN(48)) * time.Hour)
		hours := 1 + rng.IntN(8)
		var wantDigests, wantLogs, wantGaps int
		// A second trail in the same bucket and prefix, which must be
		// ignored: validation is of trail "main" only.
		for ti, trail := range []string{"main", "other"}[:1+rng.IntN(2)] {
			for ri, region := range regions {
				seed := uint64(i*4 + ti*2 + ri) // distinct log keys for each writer
				useRef := rng.IntN(2) == 0
				var ref *refTrail
				var tw *trailWriter
				cfg := digest.ChainConfig{AccountID: "111122223333", Region: region, HomeRegion: "us-east-1", TrailName: trail,
					KeyPrefix: prefix, OrganizationID: org, Bucket: store.Bucket(), Signer: signer}
				if useRef {
					ref = newRefTrail(t, store, testKey(t, 0), seed)
					ref.region, ref.home, ref.name, ref.prefix, ref.org = region, "us-east-1", trail, prefix, org
				} else {
					tw = newTrailWriter(t, store, cfg, seed, 1)
					tw.level = 1
				}
				delivered := 0
				gapPending := false // a stopped hour: the next digest starts a chain
				for h := range hours {
					start := base.Add(time.Duration(h) * time.Hour)
					if delivered > 0 && rng.IntN(6) == 0 { // trail stopped this hour
						if ref != nil {
							ref.stop()
						} else {
							tw.chain, _ = digest.NewChain(cfg)
						}
						gapPending = true
						continue
					}
					nlogs := rng.IntN(4)
					if ref != nil {
						var logs []refLog
						for j := range nlogs {
							logs = append(logs, ref.putLog(start.Add(time.Duration(j*15+rng.IntN(14))*time.Minute+time.Duration(rng.IntN(60))*time.Second), 1))
						}
						ref.seal(start, start.Add(time.Hour), logs)
					} else {
						tw.hour(ctx, start, nlogs)
					}
					delivered++
					if gapPending && trail == "main" {
						wantGaps++
					}
					gapPending = false
					if trail == "main" {
						wantDigests++
						wantLogs += nlogs
					}
				}
			}
		}
		arn := "arn:aws:cloudtrail:us-east-1:111122223333:trail/main"
		opts := digest.ValidateOptions{TrailARN: arn, Start: base, End: base.Add(time.Duration(hours) * time.Hour),
			Prefix: prefix, OrganizationID: org, Keys: keys}
		fs, s := run(t, store, opts)
		require.Empty(t, invalidFiles(fs), "store %d", i)
		require.Equal(t, totals{digests: wantDigests, logs: wantLogs, gaps: wantGaps}, func() totals {
			tt := totalsOf(s)
			tt.gaps = s.Gaps
			return tt
		}(), "store %d", i)

		opts.Start = base.Add(time.Duration(rng.IntN(hours*60)) * time.Minute)
		opts.End = opts.Start.Add(time.Duration(rng.IntN(hours*60)) * time.Minute)
		fs, s = run(t, store, opts)
		require.Empty(t, invalidFiles(fs), "store %d, range %s to %s", i, opts.Start, opts.End)
		require.True(t, s.Valid())
	}
}

// invalidFiles returns the findings of invalid files (not gaps).
func invalidFiles(fs []digest.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Kind.Invalid() {
			out = append(out, f.String())
		}
	}
	return out
}
