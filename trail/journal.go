package trail

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"sync"
	"time"

	"github.com/trailkit/trailkit/digest"
)

// journalName is the digest journal's file in the spool directory.
const journalName = "digests.journal"

// The digest journal lists, for each sink, the log files delivered in
// digest periods whose digests are not yet delivered, so that a trail
// restarted after a crash lists them in its digests. It is one file of
// frames:
//
//	u32 payload length | u32 CRC-32C of payload | payload
//	payload: u16 sink index | u16 n, bucket | account and region as in the
//	         spool's frames | i64 period start (Unix ns) | u16 n, key |
//	         32 bytes SHA-256 | i64 oldest | i64 newest event time (Unix ns)
//
// A file's entry is appended and fsync'ed (concurrent appends share one
// fsync) after its put to the sink and before its done frame in the spool:
// a file whose done frame survives a crash is in the journal, and a file
// that is not is put again from the spool after the crash, and listed then.
// Once a period's digests are delivered to a sink, the journal is rewritten
// (a new file renamed over the old) without that period's entries, so it
// holds at most the periods not yet sealed. Reading stops at the first
// short or damaged frame: an append that a crash tore is one whose file was
// not acknowledged as done.
type journal struct {
	dir  string
	root *os.Root // the spool's

	mu      sync.Mutex // guards f, written, live, broken
	f       *os.File
	written int64 // entries appended since open
	live    []journalEntry
	broken  bool // a write failed: the file may end in a torn frame

	syncMu sync.Mutex // held by the one fsyncing (group commit)
	synced int64      // entries known durable
}

// journalEntry is one log file of a period not yet sealed.
type journalEntry struct {
	sink   int
	bucket string
	chain  routeKey
	start  time.Time // of the digest period
	log    digest.LogFile
	frame  []byte
}

// openJournal reads the journal in dir and rewrites it with the entries it
// could read, dropping a torn tail that later appends would hide behind.
func openJournal(root *os.Root, dir string) (*journal, []journalEntry, error) {
	j := &journal{dir: dir, root: root}
	data, err := root.ReadFile(journalName)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, nil, fmt.Errorf("read spool file %s: %w", journalName, err)
	}
	for off := 0; len(data)-off >= 8; {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		end := off + 8 + n
		if n < 0 || end > len(data) || end < off {
			break
		}
		payload := data[off+8 : end]
		if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(data[off+4:]) {
			break
		}
		e, ok := decodeJournalEntry(payload)
		if !ok {
			break
		}
		e.frame = data[off:end]
		j.live = append(j.live, e)
		off = end
	}
	if err := j.rewriteLocked(); err != nil {
		return nil, nil, err
	}
	return j, append([]journalEntry(nil), j.live...), nil
}

func encodeJournalEntry(e *journalEntry) []byte {
	b := make([]byte, 8, 8+2+2+len(e.bucket)+4+len(e.chain.account)+len(e.chain.region)+8+2+len(e.log.Key)+32+16)
	b = binary.LittleEndian.AppendUint16(b, uint16(e.sink))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(e.bucket)))
	b = append(b, e.bucket...)
	b = appendRoute(b, routeKey{account: e.chain.account, region: e.chain.region})
	b = binary.LittleEndian.AppendUint64(b, uint64(e.start.UnixNano()))
	b = binary.LittleEndian.AppendUint16(b, uint16(len(e.log.Key)))
	b = append(b, e.log.Key...)
	b = append(b, e.log.SHA256[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(unixNano(e.log.OldestEventTime)))
	b = binary.LittleEndian.AppendUint64(b, uint64(unixNano(e.log.NewestEventTime)))
	binary.LittleEndian.PutUint32(b, uint32(len(b)-8))
	binary.LittleEndian.PutUint32(b[4:], crc32.Checksum(b[8:], castagnoli))
	return b
}

func decodeJournalEntry(p []byte) (journalEntry, bool) {
	var e journalEntry
	if len(p) < 4 {
		return e, false
	}
	e.sink = int(binary.LittleEndian.Uint16(p))
	n := int(binary.LittleEndian.Uint16(p[2:]))
	p = p[4:]
	if len(p) < n {
		return e, false
	}
	e.bucket, p = string(p[:n]), p[n:]
	rk, p, ok := readRoute(p)
	if !ok || len(p) < 10 {
		return e, false
	}
	e.chain = routeKey{account: rk.account, region: rk.region}
	e.start = time.Unix(0, int64(binary.LittleEndian.Uint64(p))).UTC()
	n = int(binary.LittleEndian.Uint16(p[8:]))
	p = p[10:]
	if len(p) != n+32+16 {
		return e, false
	}
	e.log.Bucket = e.bucket
	e.log.Key, p = string(p[:n]), p[n:]
	copy(e.log.SHA256[:], p)
	p = p[32:]
	e.log.OldestEventTime = fromUnixNano(int64(binary.LittleEndian.Uint64(p)))
	e.log.NewestEventTime = fromUnixNano(int64(binary.LittleEndian.Uint64(p[8:])))
	return e, true
}

// unixNano and fromUnixNano keep the zero time zero (a file without event
// times).
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// append adds the entry of a log file delivered to sink in the period
// starting at start, and returns once it is durable.
func (j *journal) append(sink int, bucket string, chain routeKey, start time.Time, lf digest.LogFile) error {
	e := journalEntry{sink: sink, bucket: bucket, chain: chain, start: start, log: lf}
	e.frame = encodeJournalEntry(&e)
	j.mu.Lock()
	if j.f == nil {
		j.mu.Unlock()
		return errSpoolClosed
	}
	j.live = append(j.live, e)
	j.written++
	gen := j.written
	var err error
	if j.broken {
		// The file may end in a torn frame: write a whole new one.
		j.mu.Unlock()
		j.syncMu.Lock()
		defer j.syncMu.Unlock()
		j.mu.Lock()
		defer j.mu.Unlock()
		if j.synced >= gen {
			return nil
		}
		return j.rewriteLocked()
	}
	if _, err = j.f.Write(e.frame); err != nil {
		j.broken = true
	}
	j.mu.Unlock()
	if err != nil {
		return fmt.Errorf("write spool file %s: %w", journalName, err)
	}
	// Group commit: whoever holds syncMu fsyncs everything written so
	// far; the appends it covered return without an fsync of their own.
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	if j.synced >= gen {
		return nil
	}
	j.mu.Lock()
	f, upto := j.f, j.written
	j.mu.Unlock()
	if f == nil {
		return errSpoolClosed
	}
	if err := f.Sync(); err != nil {
		j.mu.Lock()
		j.broken = true
		j.mu.Unlock()
		return fmt.Errorf("fsync spool file %s: %w", journalName, err)
	}
	j.synced = upto
	return nil
}

// sealed drops the entries of sink's periods starting at or before start,
// whose digests are delivered, and rewrites the journal without them.
func (j *journal) sealed(sink int, start time.Time) error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return errSpoolClosed
	}
	kept := j.live[:0]
	for _, e := range j.live {
		if e.sink != sink || e.start.After(start) {
			kept = append(kept, e)
		}
	}
	if len(kept) == len(j.live) {
		return nil
	}
	clear(j.live[len(kept):])
	j.live = kept
	return j.rewriteLocked()
}

// rewriteLocked replaces the journal by a file holding the live entries:
// written to a temporary file, fsync'ed, renamed over the journal, the
// directory fsync'ed. Both locks are held (or the journal is not shared
// yet).
func (j *journal) rewriteLocked() error {
	path := journalName
	tmp := path + ".tmp"
	f, err := j.root.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create spool file %s: %w", tmp, err)
	}
	buf := make([]byte, 0, 256*len(j.live))
	for _, e := range j.live {
		buf = append(buf, e.frame...)
	}
	_, err = f.Write(buf)
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = j.root.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(j.root, j.dir)
	}
	if err != nil {
		f.Close()
		j.root.Remove(tmp)
		j.broken = true
		return fmt.Errorf("rewrite spool file %s: %w", journalName, err)
	}
	// The renamed file, opened for appending.
	f.Close()
	nf, err := j.root.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		j.broken = true
		return fmt.Errorf("open spool file %s: %w", journalName, err)
	}
	if j.f != nil {
		j.f.Close()
	}
	j.f = nf
	j.broken = false
	j.synced = j.written
	return nil
}

// close closes the journal file; a clean Close has sealed every period, so
// the file is then empty.
func (j *journal) close() error {
	j.syncMu.Lock()
	defer j.syncMu.Unlock()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.f == nil {
		return nil
	}
	err := j.f.Close()
	j.f = nil
	return err
}
