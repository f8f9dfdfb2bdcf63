package trail_test

import (
	"context"
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
	for w, tr := range trails {
		clocks[w].Set(end)
		require.NoError(t, tr.Close(ctx))
		assert.Empty(t, tr.Status().LatestDigestDeliveryError)
	}
	d, err := sink.NewDir(root, sink.DirOptions{Bucket: "org-logs"})
	require.NoError(t, err)
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
	// 10:20-11:00, 11:00-12:00, 12:00-13:00, 13:00-14:00 (the first Close,
	// at 13:20, seals the hour it delivered files in) and 14:00-15:00 (the
	// second Close delivers its last files after that digest: they are
	// late, and go into the next one), per member account.
	assert.Equal(t, map[string]int{members[0]: 5, members[1]: 5}, perAccount)
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
		assert.Equal(t, 5, n, m)
	}
}
