package trail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/sink"
)

// sinkState is one sink's queue and status.
type sinkState struct {
	sink sink.Sink
	q    *queue[*batch]

	mu       sync.Mutex
	status   SinkStatus
	attempts map[uint64]Attempt // puts in progress, by a sequence number
	seq      uint64
}

// begin notes a put in progress and returns its ticket for end.
func (s *sinkState) begin(key string, start time.Time) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.attempts == nil {
		s.attempts = map[uint64]Attempt{}
	}
	s.seq++
	s.attempts[s.seq] = Attempt{Key: key, Start: start}
	return s.seq
}

func (s *sinkState) end(ticket uint64) {
	s.mu.Lock()
	delete(s.attempts, ticket)
	s.mu.Unlock()
}

// compressLoop compresses sealed files, several at once (one per worker),
// and hands each to every sink.
func (t *Trail) compressLoop() {
	defer t.workers.Done()
	zw, _ := gzip.NewWriterLevel(nil, t.level) // the level was validated
	sum := sha256.New()
	ratio := 0.2 // compressed size over uncompressed; CloudTrail JSON gzips about 6:1
	for {
		b, ok := t.compressQ.pop()
		if !ok {
			return
		}
		if b.key == "" {
			orgID := t.cfg.OrganizationID
			dir := dirLogs
			if b.route.insight {
				dir = dirInsights
			}
			b.key = logKey(t.cfg.S3KeyPrefix, orgID, b.route.account, b.route.region, dir, b.at, uniqueID())
		}
		if t.wal != nil && !b.sealed {
			// The seal frame names the file's key and records, so that a
			// restarted trail puts the same object again rather than the
			// same records under a new key.
			b.sealRef, b.sealed = t.wal.appendSeal(b)
		}
		// Size the body from the last file's ratio, so it rarely grows.
		out := &byteWriter{b: make([]byte, 0, int(float64(b.buf.len())*ratio)+4096)}
		zw.Reset(out)
		sum.Reset()
		b.buf.writeTo(zw, sum) // byteWriter does not fail
		zw.Close()
		sum.Sum(b.sum[:0])
		b.body = out.b
		ratio = min(1.1*float64(len(b.body))/float64(b.buf.len()), 1.1)
		b.buf.release()
		if d := b.reserved - int64(len(b.body)); d > 0 {
			t.budget.release(d)
			b.reserved -= d
		}
		for _, s := range t.sinks {
			s.mu.Lock()
			s.status.Pending++
			s.mu.Unlock()
			s.q.push(b)
		}
	}
}

type byteWriter struct{ b []byte }

func (w *byteWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// object is the log file to put. Its user metadata carries what a digest
// lists of it, so that another writer of the trail sealing its hour does
// not read it back (see logFileMetadata).
func (b *batch) object() sink.Object {
	return sink.Object{Key: b.key, Body: b.body, ContentType: "application/json", ContentEncoding: "gzip",
		Metadata: map[string]string{
			metaSHA256: hex.EncodeToString(b.sum[:]),
			metaOldest: b.oldest.UTC().Format(time.RFC3339Nano),
			metaNewest: b.newest.UTC().Format(time.RFC3339Nano),
		}}
}

// sinkLoop delivers files to one sink.
func (t *Trail) sinkLoop(s *sinkState) {
	defer t.workers.Done()
	for {
		b, ok := s.q.pop()
		if !ok {
			return
		}
		err := t.put(s, b.object(), false)
		s.mu.Lock()
		s.status.Pending--
		if err == nil {
			s.status.FilesDelivered++
		}
		s.mu.Unlock()
		if err != nil {
			continue // abandoned by Close; the spool keeps the records
		}
		if t.digests != nil {
			t.digests.delivered(s, b)
		}
		if b.remaining.Add(-1) == 0 {
			t.finish(b)
		}
	}
}

// finish ends a file delivered to every sink.
func (t *Trail) finish(b *batch) {
	t.delivered.Add(int64(b.n))
	t.budget.release(b.reserved)
	b.body = nil
	if t.wal != nil {
		t.wal.delivered(b)
	}
	t.mu.Lock()
	delete(t.inflight, b)
	t.mu.Unlock()
	close(b.done)
}

// put stores obj in s, retrying with exponential backoff and jitter until it
// succeeds or the trail gives up (Close's context ended); digest says which
// status fields it updates.
func (t *Trail) put(s *sinkState, obj sink.Object, digest bool) error {
	p := t.cfg.Delivery.Retry
	backoff := p.InitialBackoff
	for {
		attempt := t.clock.Now()
		ctx, cancel := context.WithTimeout(t.deliverCtx, p.AttemptTimeout)
		ticket := s.begin(obj.Key, attempt)
		err := s.sink.Put(ctx, obj)
		s.end(ticket)
		cancel()
		s.record(t.clock.Now(), attempt, digest, obj.Key, err)
		if err == nil {
			crashPoint("put")
			return nil
		}
		if t.deliverCtx.Err() != nil {
			return err
		}
		t.retried.Add(1)
		// Jitter: a random wait between half and all of the backoff, so
		// that sinks failing together do not retry in lockstep.
		wait := backoff/2 + rand.N(backoff/2+1)
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-t.deliverCtx.Done():
			timer.Stop()
			return err
		}
		backoff = min(time.Duration(float64(backoff)*p.Multiplier), p.MaxBackoff)
	}
}

// record notes a put's outcome in the sink's status.
func (s *sinkState) record(now, attempt time.Time, digest bool, key string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.status
	if err != nil {
		if st.FirstFailureTime.IsZero() {
			st.FirstFailureTime = now
		}
		st.LatestFailureTime = now
	} else {
		st.FirstFailureTime, st.LatestFailureTime = time.Time{}, time.Time{}
	}
	if digest {
		if err != nil {
			st.LatestDigestDeliveryError = fmt.Sprintf("put %s: %v", key, err)
			st.Failures++
			return
		}
		st.LatestDigestDeliveryTime = now
		st.LatestDigestDeliveryError = ""
		st.DigestsDelivered++
		return
	}
	st.LatestDeliveryAttemptTime = attempt
	if err != nil {
		st.LatestDeliveryError = fmt.Sprintf("put %s: %v", key, err)
		st.Failures++
		return
	}
	st.LatestDeliveryTime = now
	st.LatestDeliveryAttemptSucceeded = attempt
	st.LatestDeliveryError = ""
}
