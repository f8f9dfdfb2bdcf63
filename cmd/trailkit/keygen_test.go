package main

import (
	"bytes"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
)

// runTrailkitBin runs the built binary with extra environment variables.
func runTrailkitBin(t *testing.T, bin string, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		require.True(t, ok, "run trailkit: %v", err)
		code = ee.ExitCode()
	}
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	priv, pub := filepath.Join(dir, "trail.pem"), filepath.Join(dir, "trail.der")
	bin := buildTrailkit(t)
	r := runTrailkitBin(t, bin, nil, "keygen", "--private-key", priv, "--public-key", pub)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Empty(t, r.stderr)

	key, err := digest.LoadPrivateKey(priv)
	require.NoError(t, err)
	assert.Equal(t, 2048, key.N.BitLen())
	fi, err := os.Stat(priv)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	der, err := os.ReadFile(pub)
	require.NoError(t, err)
	parsed, err := x509.ParsePKCS1PublicKey(der)
	require.NoError(t, err, "the public key file is PKCS#1 DER")
	assert.True(t, key.PublicKey.Equal(parsed))
	assert.Equal(t, digest.Fingerprint(der)+"\n", r.stdout)

	// Existing files are kept unless --force.
	r = runTrailkitBin(t, bin, nil, "keygen", "--private-key", priv, "--public-key", pub)
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "exists (use --force to replace it)")
	again, err := os.ReadFile(pub)
	require.NoError(t, err)
	assert.Equal(t, der, again)
	r = runTrailkitBin(t, bin, nil, "keygen", "--private-key", priv, "--public-key", pub, "--force")
	require.Equal(t, 0, r.code, r.stderr)
	again, err = os.ReadFile(pub)
	require.NoError(t, err)
	assert.NotEqual(t, der, again)
}

func TestKeygenErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no private key", []string{"--public-key", filepath.Join(dir, "p")}, "no --private-key FILE given"},
		{"no public key", []string{"--private-key", filepath.Join(dir, "k")}, "no --public-key FILE given"},
		{"same file", []string{"--private-key", filepath.Join(dir, "k"), "--public-key", filepath.Join(dir, "k")}, "same file"},
		{"small key", []string{"--private-key", filepath.Join(dir, "k"), "--public-key", filepath.Join(dir, "p"), "--bits", "1024"}, "want 2048 to 8192"},
		{"unwritable", []string{"--private-key", filepath.Join(dir, "missing", "k"), "--public-key", filepath.Join(dir, "p")}, "no such file or directory"},
		{"argument", []string{"--private-key", "k", "--public-key", "p", "extra"}, "unexpected argument"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runIn(t, nil, append([]string{"keygen"}, tt.args...)...)
			assert.Equal(t, 2, r.code)
			assert.Contains(t, r.stderr, tt.want)
			assert.Equal(t, 1, strings.Count(r.stderr, "\n"), "one line: %q", r.stderr)
		})
	}
	_, err := os.Stat(filepath.Join(dir, "p"))
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing written on error")
}
