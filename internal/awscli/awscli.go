// Package awscli runs the AWS CLI's own `aws cloudtrail validate-logs` in
// tests, the proof that trailkit's digests and log files are what AWS's
// validator accepts. CloudTrail's ListPublicKeys is answered from a file
// (there is no CloudTrail service in a test); everything else, S3
// included, is the CLI's own code, pointed at the test's S3-compatible
// server through the environment.
package awscli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
)

// wrapper runs the AWS CLI with PublicKeyProvider.get_public_keys answering
// from the ListPublicKeys JSON file named by its first argument (Value:
// base64 of the PKCS#1 DER, which the CLI base64-decodes); the other
// arguments are the CLI's.
const wrapper = `
import json, sys
from awscli.customizations.cloudtrail import validation

with open(sys.argv[1]) as f:
    KEYS = json.load(f)["PublicKeyList"]

def get_public_keys(self, start_date, end_date):
    return {k["Fingerprint"]: {"Fingerprint": k["Fingerprint"], "Value": k["Value"]} for k in KEYS}

validation.PublicKeyProvider.get_public_keys = get_public_keys

from awscli.clidriver import main
sys.argv = ["aws"] + sys.argv[2:]
sys.exit(main())
`

// CLI is the AWS CLI set up in a directory of its own.
type CLI struct {
	Dir     string // the wrapper, the public keys, the CLI's config
	Version string // awscli.__version__
	Package string // the directory of the awscli Python package
	// Env is what the CLI's environment needs besides the server's: its
	// config (region us-east-1, path-style S3, as servers on 127.0.0.1
	// need), no shared credentials file, no pager.
	Env []string
}

// New finds the AWS CLI for Python and sets it up. The tests that need it
// must not pass without it: New fails the test, loudly, when it is
// missing.
func New(tb testing.TB) *CLI {
	tb.Helper()
	out, err := exec.Command("python3", "-c", "import awscli, os; print(awscli.__version__); print(os.path.dirname(awscli.__file__))").CombinedOutput()
	if err != nil {
		tb.Fatalf("AWS CLI NOT AVAILABLE: python3 -c 'import awscli' failed: %v\n%s\n"+
			"This test needs the AWS CLI (awscli 1.x for Python): run `make deps` (Debian's awscli package) or `python3 -m pip install --user awscli`.", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(tb, lines, 2, "awscli version and directory")
	c := &CLI{Dir: tb.TempDir(), Version: lines[0], Package: lines[1]}
	require.NoError(tb, os.WriteFile(filepath.Join(c.Dir, "wrapper.py"), []byte(wrapper), 0o644))
	config := filepath.Join(c.Dir, "config")
	require.NoError(tb, os.WriteFile(config, []byte("[default]\nregion = us-east-1\ns3 =\n    addressing_style = path\n"), 0o644))
	c.Env = []string{"AWS_CONFIG_FILE=" + config, "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(c.Dir, "none"), "AWS_PAGER="}
	c.SetKeys(tb, digest.PublicKeyList{})
	return c
}

// SetKeys sets the public keys ListPublicKeys answers with.
func (c *CLI) SetKeys(tb testing.TB, keys digest.PublicKeyList) {
	tb.Helper()
	data, err := json.Marshal(keys)
	require.NoError(tb, err)
	require.NoError(tb, os.WriteFile(filepath.Join(c.Dir, "keys.json"), data, 0o644))
}

// Command returns the command that runs `aws ARGS...`, in the process's
// environment with env (the server's endpoint and credentials) and c.Env
// added.
func (c *CLI) Command(env []string, args ...string) *exec.Cmd {
	cmd := exec.Command("python3", append([]string{filepath.Join(c.Dir, "wrapper.py"), filepath.Join(c.Dir, "keys.json")}, args...)...)
	cmd.Env = append(append(os.Environ(), env...), c.Env...)
	return cmd
}
