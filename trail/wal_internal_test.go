package trail

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime"
	"strings"
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

// Restarting on a spool segment far larger than memory should hold (80 MiB
// here, more than the default segment size and than any buffer the spool
// keeps) reads it frame by frame: what recovery allocates is about the
// records it must deliver again (a file without a done frame and records
// of no file), not the segment, whose other records were delivered.
func TestWALRecoveryStreamsLargeSegment(t *testing.T) {
	dir := t.TempDir()
	home := routeKey{account: "111122223333", region: "us-west-2"}
	at := time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)
	const (
		segmentBytes = 80 << 20
		perFile      = 1000
	)
	record := func(i int) []byte {
		return fmt.Appendf(nil, `{"eventID":"%08d","pad":"%s"}`, i, strings.Repeat("x", 1000))
	}
	// The segment, written frame by frame as the spool lays them out:
	// files of perFile records, each followed by its seal frame and (all
	// but the last) its done frame, then records of no file.
	var seg bytes.Buffer
	frame := func(typ byte, payload []byte) uint64 {
		ref := uint64(1)<<32 | uint64(seg.Len())
		body := append([]byte{typ}, payload...)
		var head [8]byte
		binary.LittleEndian.PutUint32(head[:], uint32(len(payload)))
		binary.LittleEndian.PutUint32(head[4:], crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
		seg.Write(head[:])
		seg.Write(body)
		return ref
	}
	recordFrame := func(i int) uint64 {
		p := appendRoute(nil, home)
		p = binary.LittleEndian.AppendUint64(p, uint64(at.UnixNano()))
		return frame(frameRecord, append(p, record(i)...))
	}
	var lastKey string
	var lastRefs []uint64
	i := 0
	for file := 0; seg.Len() < segmentBytes; file++ {
		var refs []uint64
		for range perFile {
			refs = append(refs, recordFrame(i))
			i++
		}
		key := fmt.Sprintf("AWSLogs/file-%04d.json.gz", file)
		p := appendRoute(nil, home)
		p = binary.LittleEndian.AppendUint64(p, uint64(at.UnixNano()))
		p = binary.LittleEndian.AppendUint16(p, uint16(len(key)))
		p = append(p, key...)
		p = binary.LittleEndian.AppendUint32(p, uint32(len(refs)))
		for _, r := range refs {
			p = binary.LittleEndian.AppendUint64(p, r)
		}
		frame(frameSeal, p)
		if lastKey != "" {
			frame(frameDone, []byte(lastKey)) // the file before this one was delivered
		}
		lastKey, lastRefs = key, refs
	}
	total := i
	var unsealed []string
	for range 10 {
		unsealed = append(unsealed, string(record(i)))
		recordFrame(i)
		i++
	}
	segSize := seg.Len()
	require.NoError(t, os.WriteFile(filepath.Join(dir, segName(1)), seg.Bytes(), 0o600))
	seg = bytes.Buffer{}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	w, rec, err := openWAL(dir, DefaultSegmentBytes)
	runtime.ReadMemStats(&after)
	require.NoError(t, err)
	t.Cleanup(func() { w.close() })
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("segment of %d MiB (%d records, %d files): recovery allocated %.1f MiB in all", segSize>>20, total+10, total/perFile, float64(allocated)/(1<<20))
	assert.Less(t, allocated, uint64(8<<20), "bytes allocated reading the segment")

	// What recovery found: the undelivered file, whole, and the records of
	// no file; nothing of the delivered files.
	require.Equal(t, 1, len(rec.seals), "seals of undelivered files")
	assert.Equal(t, lastKey, rec.seals[0].key)
	assert.Equal(t, lastRefs, rec.seals[0].refs)
	require.Equal(t, perFile+10, len(rec.records), "records to deliver again")
	for j, r := range rec.records[:perFile] {
		assert.Equal(t, lastRefs[j], r.ref)
		assert.Equal(t, string(record(total-perFile+j)), string(r.data))
	}
	var got []string
	for _, r := range rec.records[perFile:] {
		got = append(got, string(r.data))
	}
	assert.Equal(t, unsealed, got)
}

// Whatever a segment holds (a torn or damaged write, any bytes), reading
// it stops at the first frame it cannot trust, without a panic, and every
// record it returns is one whose frame was whole.
func FuzzWALSegment(f *testing.F) {
	home := routeKey{account: "111122223333", region: "us-west-2"}
	p := appendRoute(nil, home)
	p = binary.LittleEndian.AppendUint64(p, 1)
	rec := append(p, `{"eventID":"a"}`...)
	body := append([]byte{frameRecord}, rec...)
	var frame []byte
	frame = binary.LittleEndian.AppendUint32(frame, uint32(len(rec)))
	frame = binary.LittleEndian.AppendUint32(frame, crc32.Checksum(body, crc32.MakeTable(crc32.Castagnoli)))
	frame = append(frame, body...)
	f.Add(frame)
	f.Add(append(append([]byte{}, frame...), frame[:len(frame)-3]...))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, seg []byte) {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, segName(1)), seg, 0o600))
		w, rec, err := openWAL(dir, 1<<20)
		require.NoError(t, err)
		defer w.close()
		for _, r := range rec.records {
			off := int(r.ref & 0xffffffff)
			require.Equal(t, uint64(1), r.ref>>32)
			n := int(binary.LittleEndian.Uint32(seg[off:]))
			require.LessOrEqual(t, off+frameHeader+n, len(seg))
			require.True(t, bytes.HasSuffix(seg[off:off+frameHeader+n], r.data))
		}
	})
}
