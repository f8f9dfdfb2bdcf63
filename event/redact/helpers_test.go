package redact_test

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/testdata"
)

// openCorpus opens a file of the corpus of internal/testdata.
func openCorpus(t *testing.T, name string) *os.File {
	t.Helper()
	f, err := os.Open(testdata.Path(t, name))
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}
