package testdata_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/testdata"
)

type meta struct {
	Line    int    `json:"line"`
	Repo    string `json:"repo"`
	Licence string `json:"licence"`
}

func metas(t *testing.T, name string) []meta {
	t.Helper()
	var out []meta
	for _, l := range testdata.Lines(t, name) {
		var m meta
		require.NoError(t, json.Unmarshal(l, &m))
		out = append(out, m)
	}
	return out
}

// TestMetaAligned: each records file has one meta line per record, numbered
// as the records are, and every record is JSON.
func TestMetaAligned(t *testing.T) {
	for _, base := range []string{"records", "records-nonconforming"} {
		recs := testdata.Lines(t, base+".jsonl")
		ms := metas(t, base+".meta.jsonl")
		require.Len(t, ms, len(recs), base)
		for i, m := range ms {
			assert.Equal(t, i+1, m.Line, "%s.meta.jsonl line %d", base, i+1)
			assert.True(t, json.Valid(recs[i]), "%s.jsonl line %d", base, i+1)
		}
	}
	assert.Equal(t, testdata.Records(t), testdata.Lines(t, "records.jsonl"))
}

// TestOnlyLicensedSources: no record comes from a repository without a
// licence file, and SOURCES.md names every source the meta files name.
func TestOnlyLicensedSources(t *testing.T) {
	sources, err := os.ReadFile("SOURCES.md")
	require.NoError(t, err)
	for _, name := range []string{"records.meta.jsonl", "records-nonconforming.meta.jsonl"} {
		for _, m := range metas(t, name) {
			assert.NotContains(t, m.Licence, "no licence", "%s line %d (%s)", name, m.Line, m.Repo)
			assert.NotContains(t, []string{"SEKOIA-IO/intake-formats", "ocsf/examples"}, m.Repo)
			assert.Contains(t, string(sources), "| "+m.Repo+" |", "SOURCES.md lists %s", m.Repo)
		}
	}
}

// TestPath: the corpus on disk is what ReadFile returns, JSON Lines files
// decompressed under their plain names, gzipped log files as they are.
func TestPath(t *testing.T) {
	dir := testdata.Dir(t, ".")
	var names []string
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		require.NoError(t, err)
		names = append(names, filepath.ToSlash(rel))
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.Equal(t, testdata.ReadFile(t, filepath.ToSlash(rel)), b, rel)
		return nil
	}))
	assert.Subset(t, names, []string{"records.jsonl", "records.meta.jsonl", "records-nonconforming.jsonl",
		"records-nonconforming.meta.jsonl", "digests/awsdocs__aws-cloudtrail-user-guide__doc_source__cloudtrail-log-file-validation-digest-file-structure.md__block01.json"})
	for _, n := range names {
		assert.False(t, strings.HasSuffix(n, ".jsonl.gz"), n)
	}

	gz := testdata.Path(t, "logfiles/boogy__CloudTrail-Log-Parser__examples__cloudtrail.json.gz")
	b, err := os.ReadFile(gz)
	require.NoError(t, err)
	zr, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err, "a log file gzipped in its source stays gzipped")
	body, err := io.ReadAll(zr)
	require.NoError(t, err)
	assert.True(t, json.Valid(body))

	logs := testdata.Dir(t, "logfiles")
	entries, err := os.ReadDir(logs)
	require.NoError(t, err)
	assert.NotEmpty(t, entries)
	assert.Equal(t, "logfiles", filepath.Base(logs))
}

func TestSelectorVectors(t *testing.T) {
	var v struct {
		MatchVectors   []json.RawMessage `json:"matchVectors"`
		InvalidVectors []json.RawMessage `json:"invalidVectors"`
	}
	require.NoError(t, json.Unmarshal(testdata.SelectorVectors(t), &v))
	assert.NotEmpty(t, v.MatchVectors)
	assert.NotEmpty(t, v.InvalidVectors)
}

// TestStoredFilesAreSmall: no file of the package is over 2 MiB, so the
// repository stays cheap to clone; big ones are stored gzipped.
func TestStoredFilesAreSmall(t *testing.T) {
	require.NoError(t, filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			assert.LessOrEqual(t, fi.Size(), int64(2<<20), p)
		}
		return err
	}))
}
