package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replay and seal name a trail and its destination with the same flags,
// described alike, and refuse the same bad combinations of them.
func TestReplayAndSealShareTrailFlags(t *testing.T) {
	help := func(cmd string) map[string]string {
		r := runIn(t, nil, cmd, "--help")
		require.Equal(t, 0, r.code, r.stderr)
		// PrintDefaults: "  -name type\n    \tdescription".
		out := map[string]string{}
		for _, m := range regexp.MustCompile(`(?m)^  -(\S+)[^\n]*\n((?:    \t[^\n]*\n)+)`).FindAllStringSubmatch(r.stdout, -1) {
			out[m[1]] = strings.TrimSpace(m[0])
		}
		return out
	}
	replay, seal := help("replay"), help("seal")
	for _, f := range []string{"account-id", "region", "trail-name", "dir", "s3", "endpoint-url", "prefix", "bucket", "organization-id"} {
		require.Contains(t, replay, f)
		assert.Equal(t, replay[f], seal[f], "--%s", f)
	}

	dir := t.TempDir()
	in := filepath.Join(dir, "in.jsonl")
	trailArgs := []string{"--account-id", "123456789012", "--region", "us-east-1", "--trail-name", "t-1"}
	tests := []struct {
		name, want string
		args       []string
	}{
		{"no account", "are required", []string{"--region", "us-east-1", "--trail-name", "t-1", "--dir", dir}},
		{"no destination", "give one of --dir and --s3", trailArgs},
		{"two destinations", "give one of --dir and --s3", append(trailArgs, "--dir", dir, "--s3", "s3://bucket")},
		{"prefix with --s3", "--prefix is for --dir", append(trailArgs, "--s3", "s3://bucket", "--prefix", "p")},
		{"bucket with --s3", "--bucket is for --dir", append(trailArgs, "--s3", "s3://bucket", "--bucket", "b")},
		{"bad bucket name", "--bucket:", append(trailArgs, "--dir", dir, "--bucket", "a")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, cmd := range [][]string{{"replay", in}, {"seal", "--private-key", in}} {
				args := append(append([]string{cmd[0]}, tt.args...), cmd[1:]...)
				r := runIn(t, nil, args...)
				assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
				assert.Contains(t, r.stderr, tt.want, args)
			}
		})
	}
}
