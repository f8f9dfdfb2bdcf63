package lake

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/sink"
)

// TestColumnSets checks that every path of the per-column choices names a
// column of one of the shapes, so that a renamed column does not silently
// lose its codec, encoding or bounds choice.
func TestColumnSets(t *testing.T) {
	cols := map[string]bool{}
	for _, s := range [][][]string{schemaOf[CloudTrailRow]().Columns(), schemaOf[OCSFRow]().Columns()} {
		for _, path := range s {
			cols[strings.Join(path, ".")] = true
		}
	}
	for name, set := range map[string]map[string]bool{"randomColumns": randomColumns, "deltaColumns": deltaColumns, "freeFormColumns": freeFormColumns} {
		for path := range set {
			if !cols[path] {
				t.Errorf("%s: %q is no column", name, path)
			}
		}
	}
}

// TestUnboundedColumns checks that a file written has no bounds for the
// unbounded columns and has them for others.
func TestUnboundedColumns(t *testing.T) {
	var buf bytes.Buffer
	g := synth.New(3, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, g.WriteLogFile(&buf, 500))
	dir := t.TempDir()
	out, err := sink.NewDir(dir, sink.DirOptions{})
	require.NoError(t, err)
	w, err := NewWriter(out, "x.json.gz", Options{Format: OCSF})
	require.NoError(t, err)
	require.NoError(t, w.Export(context.Background(), &buf))
	require.NotEmpty(t, w.Keys())
	body, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(w.Keys()[0])))
	require.NoError(t, err)
	f, err := parquet.OpenFile(bytes.NewReader(body), int64(len(body)))
	require.NoError(t, err)
	seen := 0
	for _, rg := range f.Metadata().RowGroups {
		for _, c := range rg.Columns {
			path := strings.Join(c.MetaData.PathInSchema, ".")
			st := c.MetaData.Statistics
			switch {
			case unbounded(path):
				seen++
				require.Nil(t, st.MinValue, "%s: min", path)
				require.Nil(t, st.MaxValue, "%s: max", path)
			case path == "api.operation" || path == "time":
				require.NotNil(t, st.MinValue, "%s: min", path)
				require.NotNil(t, st.MaxValue, "%s: max", path)
			}
		}
	}
	require.Positive(t, seen)
}

// TestCodecWindow checks that the zstd window holds a whole page of either
// shape, so that no repeat within a page is out of its reach.
func TestCodecWindow(t *testing.T) {
	for _, pageBytes := range []int{cloudTrailPageBytes, ocsfPageBytes} {
		require.LessOrEqual(t, pageBytes, codecWindow)
	}
}
