package trail

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
)

// The journal keeps the entries of unsealed periods across a reopen, drops
// a torn tail, and drops a sink's sealed periods.
func TestJournal(t *testing.T) {
	dir := t.TempDir()
	h := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	lf := func(key string, n int) digest.LogFile {
		return digest.LogFile{Bucket: "b", Key: key, SHA256: [32]byte{byte(n)},
			OldestEventTime: h.Add(time.Duration(n) * time.Minute), NewestEventTime: h.Add(time.Duration(n+1) * time.Minute)}
	}
	home := routeKey{account: "111122223333", region: "us-west-2"}
	j, entries, err := openJournal(openRoot(t, dir), dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
	require.NoError(t, j.append(0, "b", home, h, lf("k1", 1)))
	require.NoError(t, j.append(1, "b", home, h, lf("k1", 1)))
	require.NoError(t, j.append(0, "b", home, h.Add(time.Hour), lf("k2", 2)))
	require.NoError(t, j.append(0, "b", routeKey{account: "111122223333", region: "us-east-1"}, h.Add(time.Hour), digest.LogFile{Bucket: "b", Key: "k3"}))
	require.NoError(t, j.sealed(0, h))
	require.NoError(t, j.close())

	// A torn append at the end.
	path := filepath.Join(dir, journalName)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	extra := encodeJournalEntry(&journalEntry{sink: 0, bucket: "b", chain: home, start: h, log: lf("torn", 9)})
	require.NoError(t, os.WriteFile(path, append(data, extra[:len(extra)-3]...), 0o600))

	j, entries, err = openJournal(openRoot(t, dir), dir)
	require.NoError(t, err)
	type got struct {
		sink  int
		chain routeKey
		start time.Time
		log   digest.LogFile
	}
	var gots []got
	for _, e := range entries {
		gots = append(gots, got{e.sink, e.chain, e.start, e.log})
	}
	assert.Equal(t, []got{
		{1, home, h, lf("k1", 1)},
		{0, home, h.Add(time.Hour), lf("k2", 2)},
		{0, routeKey{account: "111122223333", region: "us-east-1"}, h.Add(time.Hour), digest.LogFile{Bucket: "b", Key: "k3"}},
	}, gots)
	// The torn tail is gone, so an append after it is read back.
	require.NoError(t, j.append(0, "b", home, h.Add(time.Hour), lf("k4", 4)))
	require.NoError(t, j.close())
	_, entries, err = openJournal(openRoot(t, dir), dir)
	require.NoError(t, err)
	require.Len(t, entries, 4)
	assert.Equal(t, "k4", entries[3].log.Key)
}

// Concurrent appends are all durable and read back.
func TestJournalConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	j, _, err := openJournal(openRoot(t, dir), dir)
	require.NoError(t, err)
	h := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	const n = 64
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- j.append(0, "b", routeKey{account: "111122223333", region: "us-west-2"}, h, digest.LogFile{Bucket: "b", Key: string(rune('A' + i))})
		}()
	}
	for range n {
		require.NoError(t, <-errs)
	}
	require.NoError(t, j.close())
	_, entries, err := openJournal(openRoot(t, dir), dir)
	require.NoError(t, err)
	assert.Len(t, entries, n)
}

func TestLayoutStamp(t *testing.T) {
	fixed := "111122223333_CloudTrail_us-west-2_"
	tests := []struct {
		name string
		ok   bool
	}{
		{fixed + "20260314T1015Z_AbCdEfGh01234567.json.gz", true},
		{fixed + "20260314T1015Z_AbCdEfGh0123456.json.gz", false},  // short unique part
		{fixed + "20260314T1015Z_AbCdEfGh012345-7.json.gz", false}, // not alphanumeric
		{fixed + "20260314T1015Z_AbCdEfGh01234567.json", false},    // not gzip
		{fixed + "20261314T1015Z_AbCdEfGh01234567.json.gz", false}, // no such month
		{"444455556666_CloudTrail_us-west-2_20260314T1015Z_AbCdEfGh01234567.json.gz", false},
		{fixed + "20260314T1015Z-AbCdEfGh01234567.json.gz", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			at, ok := layoutStamp(tc.name, fixed)
			assert.Equal(t, tc.ok, ok)
			if ok {
				assert.Equal(t, time.Date(2026, 3, 14, 10, 15, 0, 0, time.UTC), at)
			}
		})
	}
}

func openRoot(t *testing.T, dir string) *os.Root {
	t.Helper()
	r, err := os.OpenRoot(dir)
	require.NoError(t, err)
	t.Cleanup(func() { r.Close() })
	return r
}
