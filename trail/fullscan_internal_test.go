package trail

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/sink"
)

// A sealer that lists the whole lookback for a digest and loses the race
// for it lists the whole lookback again for the next one it creates: a
// file another writer delivered after that writer's own listing (then was
// killed, with no journal entry for it) is listed by the next digest
// rather than left to a full scan that no writer may make before they all
// stop.
func TestFullScanCountsOnlyOnceItsDigestIsCreated(t *testing.T) {
	ctx := context.Background()
	key, err := digest.GenerateKey(2048)
	require.NoError(t, err)
	d, err := sink.NewDir(t.TempDir(), sink.DirOptions{Bucket: "logs"})
	require.NoError(t, err)
	start := time.Date(2026, 3, 14, 10, 5, 0, 0, time.UTC)
	sd := testSinkDigests(t, key, d, start)
	k := routeKey{account: "111122223333", region: "us-east-1"}
	c := sd.chain(k)
	require.NotNil(t, c)
	h1, h2, h3 := start.Truncate(time.Hour).Add(time.Hour), start.Truncate(time.Hour).Add(2*time.Hour), start.Truncate(time.Hour).Add(3*time.Hour)

	// Another writer's chain: the digest ending h1, then a file of the
	// hour before h1 it delivered after listing.
	other, err := digest.NewChain(c.Config())
	require.NoError(t, err)
	obj, err := other.Seal(ctx, start, h1, nil)
	require.NoError(t, err)
	require.NoError(t, d.Put(ctx, obj))
	late := logKey("", "", k.account, k.region, dirLogs, start.Add(25*time.Minute), "lateLateLateLate")
	require.NoError(t, d.Put(ctx, sink.Object{Key: late, Body: gzipped(t, `{"Records":[{"eventVersion":"1.11","eventTime":"2026-03-14T10:29:00Z","eventID":"0f6b2c4e-2f7d-4f43-9d0e-6a1f0c1e2d3b","awsRegion":"us-east-1","recipientAccountId":"111122223333"}]}`)}))

	// The other writer creates the digest ending h2 (without the late
	// file) just before this sealer's put of it.
	put := sd.sealer.put
	sd.sealer.put = func(ctx context.Context, obj sink.Object) error {
		if obj.Key == digest.Key(c.Config(), h2) {
			theirs, err := other.Seal(ctx, h1, h2, nil)
			if err != nil {
				return err
			}
			if err := put(ctx, theirs); err != nil {
				return err
			}
		}
		return put(ctx, obj)
	}
	left, err := sd.sealer.sealOwed(ctx, c, k, h1, h2, nil)
	require.NoError(t, err)
	assert.Empty(t, left)
	assert.Equal(t, digest.Key(c.Config(), h2), c.Last().Key, "linked to the other writer's digest")

	_, err = sd.sealer.sealOwed(ctx, c, k, h2, h3, nil)
	require.NoError(t, err)
	f, _, _, err := digest.Get(ctx, d, digest.Key(c.Config(), h3))
	require.NoError(t, err)
	var keys []string
	for _, lf := range f.LogFiles {
		keys = append(keys, lf.S3Object)
	}
	assert.Equal(t, []string{late}, keys, "the next digest this sealer creates lists the late file")
}

func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := zw.Write([]byte(s))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return b.Bytes()
}
