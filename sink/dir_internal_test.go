package sink

import (
	"context"
	"io/fs"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// List reads only the directories that can hold keys it yields.
func TestDirListReadsOnlyMatchingDirectories(t *testing.T) {
	ctx := context.Background()
	d, err := NewDir(t.TempDir(), DirOptions{})
	require.NoError(t, err)
	const base = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/"
	for _, key := range []string{
		base + "01/a.json.gz", base + "02/b.json.gz", base + "03/c.json.gz", base + "03/d.json.gz",
		"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/01/x.json.gz",
		"AWSLogs/111122223334/CloudTrail/us-east-1/2026/01/01/y.json.gz",
	} {
		require.NoError(t, d.Put(ctx, Object{Key: key, Body: []byte("x")}))
	}
	var read []string
	orig := readDir
	readDir = func(r *os.Root, dir string) ([]fs.DirEntry, error) {
		read = append(read, dir)
		return orig(r, dir)
	}
	t.Cleanup(func() { readDir = orig })

	cases := []struct {
		prefix, startAfter string
		keys               []string
		read               []string
	}{
		{base + "03/", "", []string{base + "03/c.json.gz", base + "03/d.json.gz"}, []string{base + "03"}},
		{base + "0", "", []string{base + "01/a.json.gz", base + "02/b.json.gz", base + "03/c.json.gz", base + "03/d.json.gz"},
			[]string{base[:len(base)-1], base + "01", base + "02", base + "03"}},
		{"AWSLogs/111122223333/CloudTrail/", base + "02/b.json.gz", []string{base + "03/c.json.gz", base + "03/d.json.gz"},
			[]string{"AWSLogs/111122223333/CloudTrail", "AWSLogs/111122223333/CloudTrail/us-east-1",
				"AWSLogs/111122223333/CloudTrail/us-east-1/2026", base[:len(base)-1], base + "02", base + "03"}},
		{"AWSLogs/111122223333/CloudTrail-", "", []string{"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/01/x.json.gz"},
			[]string{"AWSLogs/111122223333", "AWSLogs/111122223333/CloudTrail-Digest", "AWSLogs/111122223333/CloudTrail-Digest/us-east-1",
				"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026", "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01",
				"AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/01/01"}},
		{"AWSLogs/999/", "", nil, []string{"AWSLogs/999"}},
	}
	for _, c := range cases {
		read = nil
		var keys []string
		for info, err := range d.List(ctx, c.prefix, c.startAfter) {
			require.NoError(t, err)
			keys = append(keys, info.Key)
		}
		assert.Equal(t, c.keys, keys, "prefix %q after %q", c.prefix, c.startAfter)
		assert.Equal(t, c.read, read, "directories read for prefix %q after %q", c.prefix, c.startAfter)
	}
}
