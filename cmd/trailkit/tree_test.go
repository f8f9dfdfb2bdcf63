package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A file a directory walk found, swapped for a link out of the tree
// between the walk and the open, is refused with an error naming it, by
// every command that walks a local directory: nothing of the file outside
// is read.
func TestWalkedFileSwappedForLinkOutIsRefused(t *testing.T) {
	const rec = `{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"GetObject","eventSource":"s3.amazonaws.com","eventID":"in","awsRegion":"us-east-1","recipientAccountId":"111122223333"}`
	const secret = `{"eventVersion":"1.08","eventTime":"2026-01-01T00:00:00Z","eventName":"SecretOutside","eventSource":"s3.amazonaws.com","eventID":"out","awsRegion":"us-east-1","recipientAccountId":"111122223333"}`
	tests := []struct {
		name string
		args func(dir, tree string) []string
	}{
		{"cat", func(_, tree string) []string { return []string{"cat", tree} }},
		{"cat --count", func(_, tree string) []string { return []string{"cat", "--count", tree} }},
		{"detect", func(_, tree string) []string { return []string{"detect", "--cis", tree} }},
		{"export", func(dir, tree string) []string {
			return []string{"export", "--format", "cloudtrail", "--out", filepath.Join(dir, "out"), tree}
		}},
		{"replay", func(dir, tree string) []string {
			return []string{"replay", "--account-id", "111122223333", "--region", "us-east-1", "--trail-name", "t-1", "--all", "--dir", filepath.Join(dir, "out"), "--quiet", tree}
		}},
		{"schema validate", func(_, tree string) []string { return []string{"schema", "validate", tree} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tree := filepath.Join(dir, "tree")
			swapped := filepath.Join(tree, "b", "b.json")
			require.NoError(t, os.MkdirAll(filepath.Dir(swapped), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(tree, "a.json"), []byte(rec), 0o644))
			require.NoError(t, os.WriteFile(swapped, []byte(rec), 0o644))
			require.NoError(t, os.WriteFile(filepath.Join(dir, "secret.json"), []byte(secret), 0o644))
			walked := false
			testHookWalked = func(files []inputFile) {
				var names []string
				for _, f := range files {
					names = append(names, f.name)
				}
				if !assert.Contains(t, names, swapped) {
					return
				}
				walked = true
				require.NoError(t, os.Remove(swapped))
				require.NoError(t, os.Symlink(filepath.Join(dir, "secret.json"), swapped))
			}
			t.Cleanup(func() { testHookWalked = nil })

			r := runIn(t, nil, tt.args(dir, tree)...)
			require.True(t, walked, "the walk did not find %s", swapped)
			assert.NotEqual(t, 0, r.code, "stdout: %s\nstderr: %s", r.stdout, r.stderr)
			out := r.stdout + r.stderr
			assert.Contains(t, out, swapped+": ")
			assert.Contains(t, out, "escapes")
			assert.NotContains(t, out, "SecretOutside")
		})
	}
}
