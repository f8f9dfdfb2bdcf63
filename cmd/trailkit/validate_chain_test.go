package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/sink"
)

// The chain inconsistencies the AWS CLI does not report: trailkit
// validate names each with the keys involved and exits 1; the clean chain
// written by one writer reports none of them.
func TestValidateCommandChainFindings(t *testing.T) {
	bin := buildTrailkit(t)
	key, pub := keygenPair(t, bin)
	ctx := context.Background()
	prefix := "s3://cmd-bucket/"
	type tampered struct {
		tt    testTrail
		store *sink.Dir
	}
	// setup writes a clean 3-hour trail and returns a chain resumed from
	// the digest ending at `after`.
	setup := func(t *testing.T, after time.Time) (tampered, *digest.Chain) {
		root := filepath.Join(t.TempDir(), "cmd-bucket")
		d, err := sink.NewDir(root, sink.DirOptions{})
		require.NoError(t, err)
		tt := writeTestTrail(t, d, key, 3, 2)
		c, err := digest.NewChain(digest.ChainConfig{AccountID: "111122223333", Region: "us-east-1", TrailName: "cmd-trail",
			Bucket: d.Bucket(), Signer: digest.NewRSASigner(key)})
		require.NoError(t, err)
		require.NoError(t, c.Resume(ctx, d, after.Add(time.Second)))
		return tampered{tt, d}, c
	}
	validate := func(t *testing.T, root string) result {
		return runTrailkitBin(t, bin, nil, "validate", "--dir", root, "--trail-arn", validateARN, "--public-key", pub,
			"--start-time", "2026-03-02T10:00:00Z", "--end-time", "2026-03-02T14:00:00Z")
	}
	logFile := func(tt testTrail, hour, i int) digest.LogFile {
		return digest.LogFile{Bucket: "cmd-bucket", Key: tt.logs[hour][i]} // hash unchecked by the chain checks
	}

	t.Run("clean", func(t *testing.T) {
		s, _ := setup(t, validateH0)
		r := validate(t, s.store.Root())
		require.Equal(t, 0, r.code, r.stderr)
		assert.Empty(t, r.stderr)
		assert.NotContains(t, r.stdout, "inconsistencies")
	})
	t.Run("fork", func(t *testing.T) {
		// A second digest after the first hour's, as a writer that did
		// not see the other's would write it; it lists a file of the
		// second hour again.
		s, c := setup(t, validateH0.Add(time.Hour))
		h := validateH0.Add(time.Hour)
		obj, err := c.Seal(ctx, h, h.Add(30*time.Minute), []digest.LogFile{logFile(s.tt, 1, 0)})
		require.NoError(t, err)
		require.NoError(t, s.store.Put(ctx, obj))
		r := validate(t, s.store.Root())
		assert.Equal(t, 1, r.code)
		assert.Contains(t, r.stderr, "Digest file\t"+prefix+obj.Key+"\tINVALID: forks the chain with "+prefix+s.tt.digests[1]+"\n")
		assert.Contains(t, r.stderr, "Log file\t"+prefix+s.tt.logs[1][0]+"\tINVALID: listed in two digests: "+prefix+s.tt.digests[1]+" and "+prefix+obj.Key+"\n")
		assert.Contains(t, r.stdout, "\n2 inconsistencies of the digest chain")
	})
	t.Run("listed twice", func(t *testing.T) {
		// A fourth hour whose digest lists a file of the first hour.
		s, c := setup(t, validateH0.Add(3*time.Hour))
		h := validateH0.Add(3 * time.Hour)
		obj, err := c.Seal(ctx, h, h.Add(time.Hour), []digest.LogFile{logFile(s.tt, 0, 1)})
		require.NoError(t, err)
		require.NoError(t, s.store.Put(ctx, obj))
		r := validate(t, s.store.Root())
		assert.Equal(t, 1, r.code)
		assert.NotContains(t, r.stderr, "forks")
		assert.Equal(t, 1, strings.Count(r.stderr, "listed in two digests"), r.stderr)
		assert.Contains(t, r.stderr, "Log file\t"+prefix+s.tt.logs[0][1]+"\tINVALID: listed in two digests: "+prefix+obj.Key+" and "+prefix+s.tt.digests[0]+"\n")
	})
	t.Run("overlap", func(t *testing.T) {
		// A fourth digest whose period starts half an hour before the
		// third's end.
		s, c := setup(t, validateH0.Add(3*time.Hour))
		h := validateH0.Add(3 * time.Hour)
		obj, err := c.Seal(ctx, h.Add(-30*time.Minute), h.Add(time.Hour), nil)
		require.NoError(t, err)
		require.NoError(t, s.store.Put(ctx, obj))
		r := validate(t, s.store.Root())
		assert.Equal(t, 1, r.code)
		assert.Equal(t, 1, strings.Count(r.stderr, "INVALID"), r.stderr)
		assert.Contains(t, r.stderr, "Digest file\t"+prefix+obj.Key+"\tINVALID: period overlaps that of the previous digest "+prefix+s.tt.digests[2]+"\n")
	})
	t.Run("unlisted", func(t *testing.T) {
		s, _ := setup(t, validateH0)
		k := strings.Replace(s.tt.logs[1][0], "_0000000000000100.json.gz", "_0000000000000199.json.gz", 1)
		require.NotEqual(t, s.tt.logs[1][0], k)
		require.NoError(t, s.store.Put(ctx, sink.Object{Key: k, Body: emptyLogFile(t)}))
		r := validate(t, s.store.Root())
		assert.Equal(t, 1, r.code)
		assert.Equal(t, "\nLog file\t"+prefix+k+"\tINVALID: not listed in any digest\n\n", r.stderr)
	})
}
