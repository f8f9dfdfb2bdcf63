package trail

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A delivered file's seal frame stays in the spool as long as any segment
// holding its records does: a segment kept for another file's records must
// not make a restart take the delivered records for ones in no file.
func TestWALSealOutlivesItsRecords(t *testing.T) {
	dir := t.TempDir()
	home := routeKey{account: "111122223333", region: "us-west-2"}
	at := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)

	w, rec, err := openWAL(dir, 1<<20)
	require.NoError(t, err)
	require.Empty(t, rec.records)

	// Segment 1: a record of file F and one of file G, not yet sealed.
	refF, err := w.appendRecord(home, at, []byte(`{"eventID":"f"}`))
	require.NoError(t, err)
	refG, err := w.appendRecord(home, at, []byte(`{"eventID":"g"}`))
	require.NoError(t, err)
	// Segment 2: F's seal.
	w.rotate()
	f := &batch{route: home, at: at, key: "AWSLogs/f.json.gz", refs: []uint64{refF}}
	f.sealRef, f.sealed = w.appendSeal(f)
	require.True(t, f.sealed)
	// Segment 3: a later record, so that the writer has left segment 2.
	w.rotate()
	_, err = w.appendRecord(home, at, []byte(`{"eventID":"h"}`))
	require.NoError(t, err)
	require.Equal(t, []uint32{1, 1, 2}, []uint32{uint32(refF >> 32), uint32(refG >> 32), uint32(f.sealRef >> 32)})

	// F is delivered; G, in F's first segment, is not.
	w.delivered(f)
	require.NoError(t, w.close())

	w, rec, err = openWAL(dir, 1<<20)
	require.NoError(t, err)
	t.Cleanup(func() { w.close() })
	named := make(map[uint64]bool)
	for _, s := range rec.seals {
		for _, r := range s.refs {
			named[r] = true
		}
	}
	var unsealed []string
	for _, r := range rec.records {
		if !named[r.ref] {
			unsealed = append(unsealed, string(r.data))
		}
	}
	assert.ElementsMatch(t, []string{`{"eventID":"g"}`, `{"eventID":"h"}`}, unsealed,
		"records a restart would put in new files")
}
