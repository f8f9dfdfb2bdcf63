package lake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/trailkit/trailkit/event"
)

// Export writes every record of r, in any form event.Scanner reads (a log
// file, gzipped or not, JSON Lines, …), then closes w. Records that are
// valid JSON but not shaped like CloudTrail's are written too, what of them
// has no column kept in extraFields (cloudtrail) or unmapped (ocsf). An input
// error stops the export and is returned as the Scanner's *event.ReadError,
// naming the input; objects cut before it may have been put, and exporting
// the input again replaces them.
//
// The records are read (and validated, and their top-level members
// located) on the calling goroutine, in blocks of up to 2,048 records or 4
// MiB, each ordered by API call (eventSource and eventName, in input order
// within one; order.go), which makes the files smaller. They are turned
// into column values and encoded on two other goroutines (lanes): the
// first blocks, 8,192 records, go to lane 0, then each block is split in
// two halves of its order, the first to lane 0 and the second to lane 1,
// unless lane 0 holds by then more partitions open than their encoders'
// memory fits in its budget: every lane would hold a file open for each of
// them, so the rest goes to lane 0 too. A lane reads each record's values
// straight from its text in one pass (direct.go), and decodes it with
// event.Unmarshal only when that pass cannot take it (unknown or repeated
// keys, values of another type). So an input of a few thousand records (a
// CloudTrail log file) gives one file per partition, and a large one is
// encoded on two cores.
func (w *Writer) Export(ctx context.Context, r io.Reader) error {
	sc := event.NewScanner(r)
	sc.Name = w.input
	sc.Compact = true
	defer sc.Close()
	if len(w.lanes) < exportLanes {
		w.lanes = w.lanes[:1]
		w.lanes[0].budget = w.opts.MaxBufferedBytes / exportLanes
		for i := 1; i < exportLanes; i++ {
			w.lanes = append(w.lanes, w.newLane(laneSuffix(i), w.opts.MaxBufferedBytes/exportLanes))
		}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	free := make(chan *rawBatch, blocksHeld)
	work := make([]chan laneWork, exportLanes)
	crowded := make(chan bool, 1)
	w.lanes[0].crowded = crowded
	defer func() { w.lanes[0].crowded = nil }()
	var wg sync.WaitGroup
	for i, l := range w.lanes {
		work[i] = make(chan laneWork, 1)
		wg.Go(func() {
			if err := l.export(ctx, w.input, work[i], free); err != nil {
				cancel(err)
			}
		})
	}
	err := w.scan(ctx, sc, work, free, crowded)
	for _, c := range work {
		close(c)
	}
	wg.Wait()
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return cause
	}
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return sc.Err()
}

const (
	exportLanes  = 2
	blockRecords = 2048    // records of a rawBatch at most (1<<indexBits at most)
	blockBytes   = 4 << 20 // JSON bytes of a rawBatch at most, but for its first record
	serialBlocks = 4       // blocks that all go to lane 0
	// blocksHeld is how many blocks an Export holds at most: the one
	// being read, one waiting for each lane's channel, one each lane
	// writes.
	blocksHeld = 1 + 2*exportLanes
)

// laneWork is the part of a block a lane writes: the records of b at the
// indexes order, in that order. The lane that writes b's last part
// returns b to be reused.
type laneWork struct {
	b     *rawBatch
	order []int
}

// laneSuffix is the suffix of lane i's object names.
func laneSuffix(i int) string {
	if i == 0 {
		return ""
	}
	return "_p" + string(rune('0'+i))
}

// A rawBatch is a block of records as read, with their positions for
// errors, and where their top-level members lie when the Scanner says:
// record i's are members[mspan[i][0]:mspan[i][1]], or unknown when
// mspan[i][0] < 0.
type rawBatch struct {
	buf     []byte
	ends    []int // end of each record in buf
	idx     []int
	off     []int64
	members []event.Member
	mspan   [][2]int
	order   batchOrder   // the order its records are written in
	parts   atomic.Int32 // the lanes' parts of it not written yet
}

func (b *rawBatch) reset() {
	b.buf, b.ends, b.idx, b.off = b.buf[:0], b.ends[:0], b.idx[:0], b.off[:0]
	b.members, b.mspan = b.members[:0], b.mspan[:0]
}

// record returns the text of record i.
func (b *rawBatch) record(i int) []byte {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return b.buf[start:b.ends[i]]
}

// recordMembers returns the members of record i, nil when not known.
func (b *rawBatch) recordMembers(i int) []event.Member {
	if m := b.mspan[i]; m[0] >= 0 {
		return b.members[m[0]:m[1]:m[1]]
	}
	return nil
}

// scan reads the records into blocks, orders each, and hands them to the
// lanes. It returns when the input ends, or the context ends (a lane
// failed). Before the first block after the serial ones it waits for lane
// 0 to say on crowded whether the blocks stay whole: lane 0 decides once
// it has written those it was sent, so the same input is always split
// alike.
func (w *Writer) scan(ctx context.Context, sc *event.Scanner, work []chan laneWork, free chan *rawBatch, crowded <-chan bool) error {
	n, lanes := 0, len(work)
	send := func(b *rawBatch) error {
		if n == serialBlocks {
			select {
			case c := <-crowded:
				if c {
					lanes = 1
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		k := lanes
		if n < serialBlocks {
			k = 1
		}
		n++
		order := b.order.sort(b)
		b.parts.Store(int32(k))
		for l := range k {
			part := laneWork{b, order[l*len(order)/k : (l+1)*len(order)/k]}
			select {
			case work[l] <- part:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	}
	get := func() *rawBatch {
		select {
		case b := <-free:
			b.reset()
			return b
		default:
			return &rawBatch{buf: make([]byte, 0, blockBytes+64<<10)}
		}
	}
	b := get()
	for sc.Scan() {
		if len(b.ends) == blockRecords || len(b.ends) > 0 && len(b.buf)+len(sc.Bytes()) > blockBytes {
			if err := send(b); err != nil {
				return err
			}
			b = get()
		}
		b.buf = append(b.buf, sc.Bytes()...)
		b.ends = append(b.ends, len(b.buf))
		b.idx = append(b.idx, sc.Index())
		b.off = append(b.off, sc.Offset())
		if ms := sc.Members(); ms != nil {
			b.mspan = append(b.mspan, [2]int{len(b.members), len(b.members) + len(ms)})
			b.members = append(b.members, ms...)
		} else {
			b.mspan = append(b.mspan, [2]int{-1, -1})
		}
	}
	if sc.Err() != nil {
		return nil // Export returns it, after the lanes stop
	}
	if len(b.ends) > 0 {
		return send(b)
	}
	return nil
}

// export decodes and writes the parts of blocks sent to the lane, then puts its
// files. After an error it drains the channel and returns the error.
func (l *lane) export(ctx context.Context, input string, work <-chan laneWork, free chan<- *rawBatch) error {
	var err error
	blocks := 0
	for p := range work {
		if err == nil {
			err = l.writeBatch(ctx, input, p.b, p.order)
		}
		if blocks++; blocks == serialBlocks && l.crowded != nil {
			l.crowded <- l.isCrowded()
		}
		if p.b.parts.Add(-1) == 0 {
			select {
			case free <- p.b:
			default:
			}
		}
	}
	if err != nil {
		return err
	}
	if ctx.Err() != nil {
		return nil // another lane or the reader failed; Export reports it
	}
	return l.close(ctx)
}

// isCrowded reports whether the encoders of a file open for each
// partition the lane has written to would alone hold more than its budget.
func (l *lane) isCrowded() bool {
	seen := len(l.seq) // the partitions of the files put
	for k := range l.parts {
		if l.seq[k] == 0 {
			seen++
		}
	}
	return int64(seen)*l.w.partBase > l.budget
}

// writeBatch writes the records of b in the order of their indexes.
func (l *lane) writeBatch(ctx context.Context, input string, b *rawBatch, order []int) error {
	if l.direct == nil {
		l.direct = newDirectRecord(cloudTrailDirect)
	}
	for _, i := range order {
		if err := ctx.Err(); err != nil {
			return nil
		}
		rec := b.record(i)
		// The direct path: both shapes' values from the scan.
		ocsf := l.w.opts.Format == OCSF
		if d := l.direct; d.scan(rec, b.recordMembers(i)) && (!ocsf || d.echoes) {
			o := l.recent.of(d)
			if o == nil {
				if o = l.parts[string(d.partition())]; o == nil {
					o = l.open(string(d.dir))
				}
				l.recent.set(d, o)
			}
			var err error
			if ocsf {
				err = o.p.(*directTable).addOCSF(d, &l.x)
			} else {
				err = o.p.(*directTable).addDirect(d)
			}
			if err := l.wrote(ctx, o, err); err != nil {
				return err
			}
			continue
		}
		r := new(event.Record)
		if err := event.Unmarshal(rec, r); err != nil {
			return &event.ReadError{Name: input, Index: b.idx[i], Offset: b.off[i], Err: err}
		}
		if err := l.write(ctx, r); err != nil {
			return err
		}
	}
	// The values written directly point into b, which is reused.
	for _, o := range l.parts {
		if t, ok := o.p.(*directTable); ok {
			if err := t.flush(); err != nil {
				return fmt.Errorf("lake: write %s: %w", l.w.opts.Prefix+o.key+l.name, err)
			}
		}
	}
	return nil
}

// recentPart is the open file of the partition the last record written
// directly fell in: records come in runs of one region, account and day,
// and comparing those three strings costs a small part of building the
// partition's name and looking it up.
type recentPart struct {
	o               *open
	region, account []byte
	day             []byte // eventTime's YYYY-MM-DD, or empty
}

// of returns the open file of d's partition if it is the recent one.
func (r *recentPart) of(d *directRecord) *open {
	if r.o == nil || string(r.region) != d.region || string(r.account) != d.account || string(r.day) != day(d.time) {
		return nil
	}
	return r.o
}

// set makes o, the file of d's partition, the recent one.
func (r *recentPart) set(d *directRecord, o *open) {
	r.o = o
	r.region = append(r.region[:0], d.region...)
	r.account = append(r.account[:0], d.account...)
	r.day = append(r.day[:0], day(d.time)...)
}

// day returns the day of a time in CloudTrail's layout, or "".
func day(t string) string {
	if len(t) < 10 {
		return t
	}
	return t[:10]
}
