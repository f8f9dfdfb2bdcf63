package trail

// recover delivers what a spool held at New. A file whose seal frame is in
// the spool and whose records are all there is rebuilt, record for record,
// and put again under its key: if the previous process had put it to some
// sinks, the put replaces it with the same object. A seal frame missing
// some of its records belongs to a file that was delivered (its records'
// segment was deleted only after that); its remaining records are skipped,
// as the spool's reading skipped those of files with a done frame. Records
// of no seal frame go into new files.
func (t *Trail) recover(rec *recovery) {
	byRef := make(map[uint64]int, len(rec.records))
	for i, r := range rec.records {
		byRef[r.ref] = i
	}
	consumed := make([]bool, len(rec.records))
	var rebuilt []*batch
	for _, s := range rec.seals {
		idx := make([]int, 0, len(s.refs))
		complete := true
		for _, ref := range s.refs {
			i, ok := byRef[ref]
			if !ok || consumed[i] {
				complete = false
				continue
			}
			idx = append(idx, i)
		}
		for _, i := range idx {
			consumed[i] = true
		}
		if rec.done[s.key] || !complete || len(idx) == 0 {
			continue
		}
		b := &batch{route: s.route, key: s.key, at: s.at, sealed: true, sealRef: s.ref, refs: s.refs}
		b.buf.writeString(logHead)
		for j, i := range idx {
			r := &rec.records[i]
			if j > 0 {
				b.buf.writeString(",")
			}
			b.buf.write(r.data)
			if b.oldest.IsZero() || r.et.Before(b.oldest) {
				b.oldest = r.et
			}
			if r.et.After(b.newest) {
				b.newest = r.et
			}
		}
		b.buf.writeString(logTail)
		b.n = len(idx)
		b.reserved = int64(b.buf.len())
		rebuilt = append(rebuilt, b)
	}
	// Hold every segment that still matters before anything is queued: a
	// file queued now may make the writer start a new segment and delete
	// the old ones nothing holds.
	for _, b := range rebuilt {
		t.holdRefs(b.refs)
		t.wal.hold(uint32(b.sealRef>>32), 1)
	}
	for i := range rec.records {
		if !consumed[i] {
			t.wal.hold(uint32(rec.records[i].ref>>32), 1)
		}
	}
	for _, b := range rebuilt {
		t.budget.used.Add(b.reserved)
		t.recovered.Add(int64(b.n))
		t.mu.Lock()
		t.enqueueLocked(b)
		t.mu.Unlock()
	}
	for i := range rec.records {
		if consumed[i] {
			continue
		}
		r := &rec.records[i]
		size := int64(len(r.data) + 1)
		t.budget.used.Add(size)
		t.recovered.Add(1)
		t.add(r.route, r.data, r.et, r.ref, size, nil, nil)
	}
	t.sealAll()
	t.wal.deleteUnused()
}

func (t *Trail) holdRefs(refs []uint64) {
	for i := 0; i < len(refs); {
		seg := uint32(refs[i] >> 32)
		j := i + 1
		for j < len(refs) && uint32(refs[j]>>32) == seg {
			j++
		}
		t.wal.hold(seg, int64(j-i))
		i = j
	}
}
