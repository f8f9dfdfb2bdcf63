package sink

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// claimKey is the key the tests of interrupted PutIfAbsent calls put.
const claimKey = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/03/14/d.json.gz"

// A process killed (SIGKILL) between PutIfAbsent's two links leaves a claim
// without its object. The next PutIfAbsent of the key, at once and not a
// minute later, completes the killed process's put from the body its
// claim names and returns ErrExists: the key then holds the body and
// metadata the claim won with, as if the killed put had returned.
func TestDirPutIfAbsentKilledBetweenLinks(t *testing.T) {
	if root := os.Getenv("TRAILKIT_TEST_CLAIM_ROOT"); root != "" {
		// The child: killed between the links (TRAILKIT_CRASH_AT=claim).
		d, err := NewDir(root, DirOptions{Fsync: true})
		if err != nil {
			os.Exit(2)
		}
		d.PutIfAbsent(context.Background(), Object{Key: claimKey, Body: []byte("first"), Metadata: map[string]string{"who": "first"}})
		os.Exit(3) // not reached
	}
	root := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestDirPutIfAbsentKilledBetweenLinks$", "-test.count=1")
	cmd.Env = append(os.Environ(), "TRAILKIT_TEST_CLAIM_ROOT="+root, "TRAILKIT_CRASH_AT=claim")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "the child was killed\n%s", out)
	require.False(t, ee.Exited(), "the child was killed by a signal, not exited: %v\n%s", err, out)

	ctx := context.Background()
	d, err := NewDir(root, DirOptions{})
	require.NoError(t, err)
	_, err = Stat(ctx, d, claimKey)
	require.ErrorIs(t, err, ErrNotFound, "the killed put left a claim without its object")
	_, err = os.Stat(filepath.Join(d.r.Name(), metadataPath(claimKey)))
	require.NoError(t, err, "the claim")

	err = d.PutIfAbsent(ctx, Object{Key: claimKey, Body: []byte("second")})
	require.ErrorIs(t, err, ErrExists, "the claim won the key")
	body, info, err := ReadAll(ctx, d, claimKey, 1<<20)
	require.NoError(t, err, "the next PutIfAbsent completed the killed put")
	assert.Equal(t, "first", string(body))
	assert.Equal(t, "first", info.Metadata["who"])
}

// A PutIfAbsent whose claim another PutIfAbsent completes before it links
// its body (the other found the claim without its object) succeeds: the
// object in place is its own. The other returns ErrExists.
func TestDirPutIfAbsentClaimCompletedByAnother(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	owner, err := NewDir(root, DirOptions{})
	require.NoError(t, err)
	other, err := NewDir(root, DirOptions{})
	require.NoError(t, err)
	var otherErr error
	calls := 0
	afterClaim = func() {
		calls++
		if calls == 1 {
			otherErr = other.PutIfAbsent(ctx, Object{Key: claimKey, Body: []byte("other")})
		}
	}
	t.Cleanup(func() { afterClaim = nil })
	require.NoError(t, owner.PutIfAbsent(ctx, Object{Key: claimKey, Body: []byte("owner"), Metadata: map[string]string{"who": "owner"}}))
	assert.Equal(t, 1, calls, "the other call did not claim the key")
	assert.True(t, errors.Is(otherErr, ErrExists), "the other call: %v", otherErr)
	body, info, err := ReadAll(ctx, owner, claimKey, 1<<20)
	require.NoError(t, err)
	assert.Equal(t, "owner", string(body))
	assert.Equal(t, "owner", info.Metadata["who"])
}
