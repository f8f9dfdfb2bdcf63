package lake

import (
	"strings"
	"testing"
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
	for name, set := range map[string]map[string]bool{"randomColumns": randomColumns, "deltaColumns": deltaColumns, "jsonColumns": jsonColumns} {
		for path := range set {
			if !cols[path] {
				t.Errorf("%s: %q is no column", name, path)
			}
		}
	}
}
