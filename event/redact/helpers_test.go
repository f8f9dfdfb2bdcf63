package redact_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// corpusDir is the shared corpus, beside the repository.
var corpusDir = filepath.Join("..", "..", "..", "shared", "corpus")

func openCorpus(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(filepath.Join(corpusDir, name))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}
