package trail

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The spool is a sequence of write-ahead files ("segments"), named
// %016d.wal by sequence number, each a sequence of frames:
//
//	u32 payload length | u32 CRC-32C of type and payload | u8 type | payload
//
// (integers little-endian). Frame types:
//
//	record: u8 flags | u8 n, account | u8 n, region | i64 eventTime (Unix ns) | record JSON
//	seal:   u8 flags | u8 n, account | u8 n, region | i64 delivery time (Unix ns) |
//	        u16 n, key | u32 count | count × u64 position of a record frame
//	done:   key
//
// flags bit 0 marks Insights. A position is segment<<32 | offset.
//
// A record frame is written, and fsync'ed, before Emit returns. A seal frame
// is written (and fsync'ed) before a log file's first put: it names the
// file's key and its records in order, so that after a crash the same
// object is put again under the same key; a put replaces the object, so a
// record is in one file whatever the crashes. A done frame follows the
// last sink's put. A segment is deleted when every record and seal frame in
// it belongs to a delivered file and every earlier segment is deleted (a
// seal frame must outlive the records it names). Reading stops, in each segment, at the
// first frame that is short or fails its CRC: a write that a crash tore is
// one no Emit was acknowledged for.
const (
	frameRecord = 1
	frameSeal   = 2
	frameDone   = 3

	frameHeader = 9
	walExt      = ".wal"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errSpoolClosed is returned by appends after close.
var errSpoolClosed = errors.New("spool closed")

type wal struct {
	dir      string
	root     *os.Root // the spool's files are opened through it, never outside dir
	lock     *os.File
	segBytes int64

	mu       sync.Mutex
	seg      uint32 // segment appended to
	off      int64  // append offset in seg
	chunks   []walChunk
	round    *walRound
	broken   uint32 // a segment whose file a failed write may have torn; 0: none
	counts   map[uint32]int64
	writeSeg uint32 // segment of the file the writer has open
	closed   bool
	free     [][]byte

	kick chan struct{}
	quit chan struct{}
	done chan struct{}

	f *os.File // writer-owned

	syncs atomic.Int64 // fsyncs of write-ahead files
}

type walChunk struct {
	seg uint32
	b   []byte
}

// walRound is one group commit: every frame appended before the writer
// took the round is durable when done is closed and err is nil.
type walRound struct {
	done chan struct{}
	err  error
}

func segName(seg uint32) string { return fmt.Sprintf("%016d%s", seg, walExt) }

// recovery is what a spool held when it was opened.
type recovery struct {
	records []recRecord
	seals   []recSeal
	done    map[string]bool
}

type recRecord struct {
	ref   uint64
	route routeKey
	et    time.Time
	data  []byte
}

type recSeal struct {
	ref   uint64
	route routeKey
	at    time.Time
	key   string
	refs  []uint64
}

// openWAL locks and reads the spool directory and starts its writer on a
// new segment.
func openWAL(dir string, segBytes int64) (*wal, *recovery, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("spool %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("spool %s: %w", dir, err)
	}
	lock, err := lockDir(root, dir)
	if err != nil {
		root.Close()
		return nil, nil, err
	}
	w := &wal{
		dir: dir, root: root, lock: lock, segBytes: min(segBytes, 1<<30),
		counts: make(map[uint32]int64),
		round:  &walRound{done: make(chan struct{})},
		kick:   make(chan struct{}, 1),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	rec, last, err := w.read()
	if err != nil {
		unlockDir(lock)
		root.Close()
		return nil, nil, err
	}
	w.seg = last + 1
	w.writeSeg = last
	go w.writer()
	return w, rec, nil
}

// read parses every segment of the spool, streaming: it holds one frame at
// a time (the spool's segments may be far larger than memory should hold),
// in two passes. The first collects the seal and done frames; the second
// the records, but not those of files with a done frame: they were
// delivered, and recover would skip them (so a restart after a long
// outage holds only what it has to deliver again).
func (w *wal) read() (*recovery, uint32, error) {
	entries, err := fs.ReadDir(w.root.FS(), ".")
	if err != nil {
		return nil, 0, fmt.Errorf("spool %s: %w", w.dir, err)
	}
	var segs []uint32
	for _, e := range entries {
		name, ok := strings.CutSuffix(e.Name(), walExt)
		if !ok || !e.Type().IsRegular() {
			continue
		}
		n, err := strconv.ParseUint(name, 10, 32)
		if err != nil || n == 0 {
			continue
		}
		segs = append(segs, uint32(n))
	}
	slices.Sort(segs)
	rec := &recovery{done: make(map[string]bool)}
	var last uint32
	var buf []byte
	for _, seg := range segs {
		last = seg
		w.counts[seg] = 0
		if buf, err = w.scanSegment(seg, buf, func(ref uint64, typ byte, payload []byte) {
			switch typ {
			case frameSeal:
				if s, ok := parseSeal(ref, payload); ok {
					rec.seals = append(rec.seals, s)
				}
			case frameDone:
				rec.done[string(payload)] = true
			}
		}); err != nil {
			return nil, 0, err
		}
	}
	// The records of delivered files, sorted, and the seals of the others.
	var delivered []uint64
	seals := rec.seals[:0]
	for _, s := range rec.seals {
		if rec.done[s.key] {
			delivered = append(delivered, s.refs...)
		} else {
			seals = append(seals, s)
		}
	}
	clear(rec.seals[len(seals):])
	rec.seals = seals
	slices.Sort(delivered)
	for _, seg := range segs {
		if buf, err = w.scanSegment(seg, buf, func(ref uint64, typ byte, payload []byte) {
			if typ != frameRecord {
				return
			}
			if _, found := slices.BinarySearch(delivered, ref); found {
				return
			}
			if r, ok := parseRecord(ref, payload); ok {
				rec.records = append(rec.records, r)
			}
		}); err != nil {
			return nil, 0, err
		}
	}
	return rec, last, nil
}

// readBufferBytes is the size of the buffer a segment is read through.
const readBufferBytes = 64 << 10

// scanSegment calls fn with each frame of a segment, in order, stopping at
// the first damaged one. payload is valid only during the call: it is in
// buf, which scanSegment grows to the largest frame and returns for the
// next call.
func (w *wal) scanSegment(seg uint32, buf []byte, fn func(ref uint64, typ byte, payload []byte)) ([]byte, error) {
	f, err := w.root.Open(segName(seg))
	if err != nil {
		return buf, fmt.Errorf("read spool file %s: %w", segName(seg), err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return buf, fmt.Errorf("read spool file %s: %w", segName(seg), err)
	}
	size := fi.Size()
	r := bufio.NewReaderSize(f, readBufferBytes)
	var head [frameHeader - 1]byte
	for off := int64(0); size-off >= frameHeader; {
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return buf, fmt.Errorf("read spool file %s: %w", segName(seg), err)
		}
		n := int64(binary.LittleEndian.Uint32(head[:]))
		sum := binary.LittleEndian.Uint32(head[4:])
		end := off + frameHeader + n
		if end > size {
			return buf, nil // torn: its length reaches past the file
		}
		buf = slices.Grow(buf[:0], int(n)+1)[:n+1] // type and payload
		if _, err := io.ReadFull(r, buf); err != nil {
			return buf, fmt.Errorf("read spool file %s: %w", segName(seg), err)
		}
		if crc32.Checksum(buf, castagnoli) != sum {
			return buf, nil
		}
		fn(uint64(seg)<<32|uint64(off), buf[0], buf[1:])
		off = end
	}
	return buf, nil
}

// parseRecord decodes a record frame's payload, copying the record.
func parseRecord(ref uint64, payload []byte) (recRecord, bool) {
	route, et, rest, ok := readRouteTime(payload)
	if !ok {
		return recRecord{}, false
	}
	return recRecord{ref: ref, route: route, et: et, data: bytes.Clone(rest)}, true
}

// readRouteTime decodes the route and time that record and seal frames
// start with.
func readRouteTime(p []byte) (routeKey, time.Time, []byte, bool) {
	rk, rest, ok := readRoute(p)
	if !ok || len(rest) < 8 {
		return rk, time.Time{}, nil, false
	}
	return rk, time.Unix(0, int64(binary.LittleEndian.Uint64(rest))).UTC(), rest[8:], true
}

// parseSeal decodes a seal frame's payload.
func parseSeal(ref uint64, payload []byte) (recSeal, bool) {
	s := recSeal{ref: ref}
	var rest []byte
	var ok bool
	s.route, s.at, rest, ok = readRouteTime(payload)
	if !ok || len(rest) < 2 {
		return s, false
	}
	kn := int(binary.LittleEndian.Uint16(rest))
	rest = rest[2:]
	if len(rest) < kn+4 {
		return s, false
	}
	s.key = string(rest[:kn])
	cnt := int(binary.LittleEndian.Uint32(rest[kn:]))
	rest = rest[kn+4:]
	if len(rest) != 8*cnt {
		return s, false
	}
	s.refs = make([]uint64, cnt)
	for i := range s.refs {
		s.refs[i] = binary.LittleEndian.Uint64(rest[8*i:])
	}
	return s, true
}

func readRoute(p []byte) (routeKey, []byte, bool) {
	var rk routeKey
	if len(p) < 2 {
		return rk, nil, false
	}
	rk.insight = p[0]&1 != 0
	n := int(p[1])
	if len(p) < 2+n+1 {
		return rk, nil, false
	}
	rk.account = string(p[2 : 2+n])
	p = p[2+n:]
	n = int(p[0])
	if len(p) < 1+n {
		return rk, nil, false
	}
	rk.region = string(p[1 : 1+n])
	return rk, p[1+n:], true
}

func appendRoute(b []byte, rk routeKey) []byte {
	var flags byte
	if rk.insight {
		flags = 1
	}
	b = append(b, flags, byte(len(rk.account)))
	b = append(b, rk.account...)
	b = append(b, byte(len(rk.region)))
	return append(b, rk.region...)
}

// beginFrame starts a frame in the current segment, rotating first when it
// would overflow the segment or the segment's file is broken. It returns
// the frame's position and the chunk bytes to append the payload to; the
// caller finishes with endFrame. w.mu is held.
func (w *wal) beginFrameLocked(typ byte, size int) (uint64, int) {
	if w.broken == w.seg || (w.off > 0 && w.off+int64(frameHeader+size) > w.segBytes) {
		w.seg++
		w.off = 0
	}
	if len(w.chunks) == 0 || w.chunks[len(w.chunks)-1].seg != w.seg {
		var b []byte
		if n := len(w.free); n > 0 {
			b, w.free = w.free[n-1][:0], w.free[:n-1]
		}
		w.chunks = append(w.chunks, walChunk{seg: w.seg, b: b})
	}
	c := &w.chunks[len(w.chunks)-1]
	start := len(c.b)
	c.b = append(c.b, 0, 0, 0, 0, 0, 0, 0, 0, typ)
	return uint64(w.seg)<<32 | uint64(w.off), start
}

func (w *wal) endFrameLocked(start int) {
	c := &w.chunks[len(w.chunks)-1]
	f := c.b[start:]
	binary.LittleEndian.PutUint32(f, uint32(len(f)-frameHeader))
	binary.LittleEndian.PutUint32(f[4:], crc32.Checksum(f[8:], castagnoli))
	w.off += int64(len(f))
}

func (w *wal) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// appendRecord writes a record frame and waits until it is durable.
func (w *wal) appendRecord(rk routeKey, et time.Time, rec []byte) (uint64, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return 0, errSpoolClosed
	}
	ref, start := w.beginFrameLocked(frameRecord, 4+len(rk.account)+len(rk.region)+8+len(rec))
	c := &w.chunks[len(w.chunks)-1]
	c.b = appendRoute(c.b, rk)
	c.b = binary.LittleEndian.AppendUint64(c.b, uint64(et.UnixNano()))
	c.b = append(c.b, rec...)
	if err := w.commitLocked(ref, start); err != nil {
		return 0, err
	}
	return ref, nil
}

// appendSeal writes a file's seal frame and waits until it is durable; false
// when it could not be written (the file is then delivered anyway, and a
// crash before its done frame may deliver its records again).
func (w *wal) appendSeal(b *batch) (uint64, bool) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return 0, false
	}
	ref, start := w.beginFrameLocked(frameSeal, 4+len(b.route.account)+len(b.route.region)+8+2+len(b.key)+4+8*len(b.refs))
	c := &w.chunks[len(w.chunks)-1]
	c.b = appendRoute(c.b, b.route)
	c.b = binary.LittleEndian.AppendUint64(c.b, uint64(b.at.UnixNano()))
	c.b = binary.LittleEndian.AppendUint16(c.b, uint16(len(b.key)))
	c.b = append(c.b, b.key...)
	c.b = binary.LittleEndian.AppendUint32(c.b, uint32(len(b.refs)))
	for _, r := range b.refs {
		c.b = binary.LittleEndian.AppendUint64(c.b, r)
	}
	if err := w.commitLocked(ref, start); err != nil {
		return 0, false
	}
	return ref, true
}

// commitLocked ends the frame begun at start, counts it in its segment,
// unlocks w and waits for the group commit that makes it durable. A frame
// that could not be written is released again. w.mu is held on entry.
func (w *wal) commitLocked(ref uint64, start int) error {
	w.endFrameLocked(start)
	w.counts[uint32(ref>>32)]++
	r := w.round
	w.mu.Unlock()
	w.wake()
	<-r.done
	if r.err != nil {
		w.release(uint32(ref>>32), 1)
		return r.err
	}
	return nil
}

// delivered notes a delivered file: its records and seal frame no longer keep
// their segments.
func (w *wal) delivered(b *batch) {
	// Release by runs of one segment: a file's records are mostly in one
	// or two segments.
	for i := 0; i < len(b.refs); {
		seg := uint32(b.refs[i] >> 32)
		j := i + 1
		for j < len(b.refs) && uint32(b.refs[j]>>32) == seg {
			j++
		}
		w.release(seg, int64(j-i))
		i = j
	}
	w.mu.Lock()
	if !w.closed {
		_, start := w.beginFrameLocked(frameDone, len(b.key))
		c := &w.chunks[len(w.chunks)-1]
		c.b = append(c.b, b.key...)
		w.endFrameLocked(start)
	}
	w.mu.Unlock()
	if b.sealed {
		w.release(uint32(b.sealRef>>32), 1)
	}
	w.wake()
}

// hold counts n more entries of seg (recovered records and seals).
func (w *wal) hold(seg uint32, n int64) {
	w.mu.Lock()
	w.counts[seg] += n
	w.mu.Unlock()
}

func (w *wal) release(seg uint32, n int64) {
	w.mu.Lock()
	w.counts[seg] -= n
	if w.counts[seg] == 0 {
		w.deleteUnusedLocked()
	}
	w.mu.Unlock()
}

// deleteUnusedLocked removes the oldest segments nothing refers to any
// more, once nothing will be written to them, stopping at the first one
// still in use.
//
// Segments go oldest first because a delivered file's seal frame is what
// says that its records were delivered: the records of a file are in its
// seal's segment or earlier ones, and an earlier segment may stay for
// records of files not yet delivered. Were the seal's segment deleted
// before them, a restart would find the delivered records in no file and
// deliver them again in a new one. Deleting in order, a seal frame outlives
// every record it names.
func (w *wal) deleteUnusedLocked() {
	for len(w.counts) > 0 {
		oldest := uint32(0)
		first := true
		for s := range w.counts {
			if first || s < oldest {
				oldest, first = s, false
			}
		}
		if w.counts[oldest] != 0 || oldest >= w.writeSeg || oldest >= w.seg {
			return
		}
		// A failed remove leaves the file, and the ones after it, for a
		// later call or the next start, which reads them, finds every
		// record delivered, and removes them.
		if err := w.root.Remove(segName(oldest)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return
		}
		delete(w.counts, oldest)
	}
}

// deleteUnused removes the segments nothing refers to, oldest first.
func (w *wal) deleteUnused() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.deleteUnusedLocked()
}

// rotate starts a new segment, so that the current one can be deleted once
// its records are delivered.
func (w *wal) rotate() {
	w.mu.Lock()
	if w.closed || w.off == 0 {
		w.mu.Unlock()
		return
	}
	w.seg++
	w.off = 0
	// An empty chunk makes the writer open the new segment, after which
	// the old one can go.
	w.chunks = append(w.chunks, walChunk{seg: w.seg})
	w.mu.Unlock()
	w.wake()
}

// writer writes and fsyncs what appends queued: one write and one fsync
// for all the frames that arrived while the previous fsync ran.
func (w *wal) writer() {
	defer close(w.done)
	for {
		select {
		case <-w.kick:
		case <-w.quit:
			w.commit()
			if w.f != nil {
				w.f.Close()
				w.f = nil
			}
			return
		}
		w.commit()
	}
}

func (w *wal) commit() {
	w.mu.Lock()
	chunks := w.chunks
	w.chunks = nil
	r := w.round
	w.round = &walRound{done: make(chan struct{})}
	broken := w.broken
	w.mu.Unlock()
	failed, err := w.write(chunks, broken)
	w.mu.Lock()
	for _, c := range chunks {
		if c.b != nil && cap(c.b) <= 4<<20 {
			w.free = append(w.free, c.b)
		}
	}
	if err != nil {
		// Later frames go to a new segment: this one may end in a torn
		// frame, and frames after it would not be read. Set before the
		// waiters learn of the error, so that their retries go there.
		w.broken = failed
		if w.f != nil {
			w.f.Close()
			w.f = nil
		}
	}
	w.mu.Unlock()
	r.err = err
	close(r.done)
}

// write writes chunks and fsyncs; on error it returns the segment that
// failed.
func (w *wal) write(chunks []walChunk, broken uint32) (uint32, error) {
	for _, c := range chunks {
		if c.seg == broken {
			return c.seg, fmt.Errorf("spool %s: segment %s failed earlier", w.dir, segName(c.seg))
		}
		if w.f == nil || c.seg != w.writeSeg {
			if err := w.open(c.seg); err != nil {
				return c.seg, err
			}
		}
		if len(c.b) == 0 {
			continue
		}
		if _, err := w.f.Write(c.b); err != nil {
			return c.seg, fmt.Errorf("write spool file %s: %w", segName(c.seg), err)
		}
	}
	if w.f != nil && len(chunks) > 0 {
		w.syncs.Add(1)
		if err := w.f.Sync(); err != nil {
			return w.writeSeg, fmt.Errorf("fsync spool file %s: %w", segName(w.writeSeg), err)
		}
	}
	return 0, nil
}

// open switches the writer to segment seg, syncing and closing the previous
// one.
func (w *wal) open(seg uint32) error {
	if w.f != nil {
		if err := w.f.Sync(); err != nil {
			return fmt.Errorf("fsync spool file %s: %w", segName(w.writeSeg), err)
		}
		w.f.Close()
		w.f = nil
	}
	f, err := w.root.OpenFile(segName(seg), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("create spool file %s: %w", segName(seg), err)
	}
	if err := syncDir(w.root, w.dir); err != nil {
		f.Close()
		return fmt.Errorf("sync spool directory: %w", err)
	}
	w.f = f
	w.mu.Lock()
	w.writeSeg = seg
	if _, ok := w.counts[seg]; !ok {
		w.counts[seg] = 0
	}
	w.deleteUnusedLocked()
	w.mu.Unlock()
	return nil
}

// syncDir syncs the directory root, named dir in errors.
func syncDir(root *os.Root, dir string) error {
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// close writes what is queued, stops the writer, deletes the segments
// nothing refers to and unlocks the directory.
func (w *wal) close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	close(w.quit)
	<-w.done
	w.mu.Lock()
	// Nothing more is written: every segment, the last included, can go
	// when nothing refers to it.
	w.seg++
	w.writeSeg = w.seg
	w.deleteUnusedLocked()
	w.mu.Unlock()
	syncDir(w.root, w.dir)
	err := unlockDir(w.lock)
	w.root.Close()
	return err
}
