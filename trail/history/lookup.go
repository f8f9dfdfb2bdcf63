package history

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/jsonscan"
	"github.com/trailkit/trailkit/sink"
)

// Output is one page of a lookup.
type Output struct {
	Events []Event
	// NextToken is empty on the last page.
	NextToken string
	// Read is what this page read from the store.
	Read Progress
}

// Lookup answers one page of a query against the log files in store.
// Errors in the query are *Error values with LookupEvents' exception names;
// a log file that cannot be read ends the lookup with an error naming it.
func Lookup(ctx context.Context, store sink.Store, in Input) (Output, error) {
	max, err := in.pageSize()
	if err != nil {
		return Output{}, err
	}
	return lookup(ctx, store, in, max)
}

// LookupMany returns up to n events (every one when n is 0): the pages
// Lookup would give, joined, read in one pass that reads each log file at
// most once. NextToken continues after the last event, as Lookup's does.
func LookupMany(ctx context.Context, store sink.Store, in Input, n int) (Output, error) {
	if n < 0 {
		return Output{}, &Error{Exception: ExceptionInvalidMaxResults, Message: fmt.Sprintf("%d events: the count must not be negative", n)}
	}
	if n == 0 {
		n = math.MaxInt - 1
	}
	return lookup(ctx, store, in, n)
}

func lookup(ctx context.Context, store sink.Store, in Input, limit int) (Output, error) {
	start, end, err := in.window()
	if err != nil {
		return Output{}, err
	}
	q := &query{in: in, attrs: in.Attributes, start: start, end: end, sums: in.Summaries}
	if q.sums == nil {
		q.sums = NewSummaries()
	}
	for _, a := range in.Attributes {
		if n := needle(a); n != nil {
			q.needles = append(q.needles, n)
		}
	}
	sum := in.fingerprint()
	if in.NextToken != "" {
		tok, err := decodeToken(in.NextToken, sum)
		if err != nil {
			return Output{}, err
		}
		q.start, q.end = tok.Start, tok.End
		q.after = &position{t: tok.Time, id: tok.ID}
		q.snapshot = tok.Listing
	}
	q.sum = sum
	files, err := q.list(ctx, store)
	if err != nil {
		return Output{}, err
	}
	events, err := q.run(ctx, store, files, limit+1)
	out := Output{Read: q.progress()}
	if err != nil {
		return out, err
	}
	if len(events) > limit {
		events = events[:limit]
		last := events[len(events)-1]
		out.NextToken = encodeToken(token{Time: last.EventTime, ID: last.EventID, Start: q.start, End: q.end, Sum: sum, Listing: q.snapshot})
	}
	out.Events = events
	return out, nil
}

// query is the state of one Lookup call.
type query struct {
	in         Input
	attrs      []Attribute
	needles    [][]byte
	start, end time.Time
	after      *position // the end of the previous page
	sums       *Summaries
	sum        string // the query's fingerprint
	snapshot   int64  // the listing the query's pages read, 0 before the first

	files, records, bytes atomic.Int64
}

func (q *query) progress() Progress {
	return Progress{Files: q.files.Load(), Records: q.records.Load(), Bytes: q.bytes.Load()}
}

// position orders events newest first, then by eventID descending, so that
// pages never overlap or skip.
type position struct {
	t  time.Time
	id string
}

// before reports whether an event at p comes before (is listed earlier
// than) one at o.
func (p position) before(o position) bool {
	if !p.t.Equal(o.t) {
		return p.t.After(o.t)
	}
	return p.id > o.id
}

func (p position) compare(o position) int {
	switch {
	case p.before(o):
		return -1
	case o.before(p):
		return 1
	}
	return 0
}

// candidate is a log file that may hold events of the query, with the
// latest eventTime it can hold (math.MaxInt64 when it has no summary yet).
type candidate struct {
	info sink.ObjectInfo
	hi   int64
}

// list finds the log files that can hold events of the query: every log
// file of the covered accounts and regions (a record may be delivered any
// time after its eventTime, so no delivery day can be ruled out by its
// name), less those whose summary rules them out. They come latest first.
func (q *query) list(ctx context.Context, store sink.Store) ([]candidate, error) {
	objects, err := q.objects(ctx, store)
	if err != nil {
		return nil, err
	}
	lo, hi := q.start.UnixNano(), q.end.UnixNano()
	if q.after != nil {
		hi = min(hi, q.after.t.UnixNano())
	}
	var out []candidate
	for _, info := range objects {
		s, ok := q.sums.get(info)
		switch {
		case !ok:
			out = append(out, candidate{info: info, hi: math.MaxInt64})
		case s.Records > 0 && s.Hi >= lo && s.Lo <= hi && s.mayHold(q.attrs):
			out = append(out, candidate{info: info, hi: s.Hi})
		}
	}
	slices.SortStableFunc(out, func(a, b candidate) int { return -cmpInt64(a.hi, b.hi) })
	return out, nil
}

// objects lists the log files of the accounts and regions the query
// covers. A page after a token lists nothing when the Summaries keep the
// listing of the query's first page: the pages of a query then read one
// snapshot of the trail, and cost no listing after the first.
func (q *query) objects(ctx context.Context, store sink.Store) ([]sink.ObjectInfo, error) {
	if q.snapshot != 0 {
		if objs, ok := q.sums.listing(q.sum, q.snapshot); ok {
			return objs, nil
		}
	}
	prefixes, err := regionPrefixes(ctx, store, q.in)
	if err != nil {
		return nil, err
	}
	var out []sink.ObjectInfo
	for _, p := range prefixes {
		for info, err := range store.List(ctx, p, "") {
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", p, err)
			}
			if isLogKey(info.Key) {
				out = append(out, info)
			}
		}
	}
	q.snapshot = q.sums.keepListing(q.sum, out)
	return out, nil
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// run returns the first limit events of the query. It reads the files in
// the order of the latest eventTime they can hold, several at once, and
// gives out an event once every file left can only hold later-listed ones.
func (q *query) run(ctx context.Context, store sink.Store, files []candidate, limit int) ([]Event, error) {
	var out []Event
	pend := &pending{limit: limit}
	rd := q.readAhead(ctx, store, files)
	defer rd.stop()
	for i := 0; ; i++ {
		bound := int64(math.MinInt64)
		if i < len(files) {
			bound = files[i].hi
		}
		for len(out) < limit && pend.len() > 0 && pend.first().t.UnixNano() > bound {
			out = append(out, pend.pop())
			pend.limit--
		}
		if len(out) >= limit || i == len(files) {
			return out, nil
		}
		evs, err := rd.next()
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			pend.add(e)
		}
	}
}

// pending holds the events read but not yet given out, in order, at most
// limit of them (any beyond could never be given out).
type pending struct {
	limit int
	pos   []position
	evs   []Event
}

func (p *pending) len() int        { return len(p.pos) }
func (p *pending) first() position { return p.pos[0] }
func (p *pending) pop() (e Event)  { e, p.pos, p.evs = p.evs[0], p.pos[1:], p.evs[1:]; return e }
func (p *pending) add(e posEvent) {
	i, found := slices.BinarySearchFunc(p.pos, e.pos, position.compare)
	if found || i >= p.limit {
		return // a second delivery of one record, or too late to be given out
	}
	p.pos = slices.Insert(p.pos, i, e.pos)
	p.evs = slices.Insert(p.evs, i, e.ev)
	if len(p.pos) > p.limit {
		p.pos, p.evs = p.pos[:p.limit], p.evs[:p.limit]
	}
}

type posEvent struct {
	pos position
	ev  Event
}

// reader reads the candidates in order, a few files ahead of the consumer
// on as many goroutines as there are processors.
type reader struct {
	results  []chan fileResult
	consumed chan struct{} // a token per file read and not yet consumed
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	i        int
}

type fileResult struct {
	evs []posEvent
	err error
}

func (q *query) readAhead(ctx context.Context, store sink.Store, files []candidate) *reader {
	ctx, cancel := context.WithCancel(ctx)
	r := &reader{results: make([]chan fileResult, len(files)), cancel: cancel}
	for i := range r.results {
		r.results[i] = make(chan fileResult, 1)
	}
	workers := min(runtime.GOMAXPROCS(0), len(files))
	// ahead bounds the files read and not yet consumed, so that a page
	// that is complete early leaves little read for nothing.
	ahead := make(chan struct{}, 2*workers)
	r.consumed = ahead
	var next atomic.Int64
	for range workers {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for {
				select {
				case ahead <- struct{}{}:
				case <-ctx.Done():
					return
				}
				i := int(next.Add(1) - 1)
				if i >= len(files) {
					return
				}
				evs, err := q.readFile(ctx, store, files[i])
				r.results[i] <- fileResult{evs, err}
			}
		}()
	}
	return r
}

// next returns the events of the next file.
func (r *reader) next() ([]posEvent, error) {
	res := <-r.results[r.i]
	r.i++
	<-r.consumed
	return res.evs, res.err
}

// stop ends the reading and waits for the goroutines.
func (r *reader) stop() {
	r.cancel()
	r.wg.Wait()
}

// readFile returns the events of one log file that belong in the query's
// results, and summarizes the file if it has no summary yet. With a
// summary, each record is first tested on its bytes: one that does not hold
// every attribute's value as JSON text is not decoded.
func (q *query) readFile(ctx context.Context, store sink.Store, c candidate) ([]posEvent, error) {
	key := c.info.Key
	body, _, err := store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read log file: %w", err)
	}
	defer body.Close()
	sc := event.NewScanner(body)
	sc.Name = key
	defer sc.Close()
	var z *summarizer
	if c.hi == math.MaxInt64 {
		z = newSummarizer() // no summary yet: make one from every record's bytes
		defer z.release()
	}
	var rec event.Record
	var out []posEvent
	n := int64(0)
	for sc.Scan() {
		n++
		raw := sc.Bytes()
		decoded := false
		if z != nil {
			t, ok := z.addRecord(raw, sc.Members())
			if !ok {
				if err := event.Unmarshal(raw, &rec); err != nil {
					return nil, &event.ReadError{Name: key, Index: sc.Index(), Offset: sc.Offset(), Err: err}
				}
				t, decoded = rec.EventTime, true
			}
			z.addTime(t)
		}
		if !q.mayMatch(raw) {
			continue
		}
		if !decoded {
			if err := event.Unmarshal(raw, &rec); err != nil {
				return nil, &event.ReadError{Name: key, Index: sc.Index(), Offset: sc.Offset(), Err: err}
			}
			if z != nil {
				z.widen(rec.EventTime) // should the bytes have been read otherwise
			}
		}
		t := rec.EventTime
		if t.Before(q.start) || t.After(q.end) || !matches(&rec, q.attrs) {
			continue
		}
		pos := position{t: t, id: rec.EventID}
		if pos.id == "" {
			pos.id = fmt.Sprintf("%s#%d", key, sc.Index())
		}
		if q.after != nil && !q.after.before(pos) {
			continue
		}
		ev := newEvent(&rec, bytes.Clone(raw), key)
		ev.EventID = pos.id
		out = append(out, posEvent{pos, ev})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if z != nil {
		q.sums.put(key, z.summary(c.info))
	}
	q.files.Add(1)
	q.records.Add(n)
	q.bytes.Add(c.info.Size)
	if q.in.Progress != nil {
		q.in.Progress(q.progress())
	}
	return out, nil
}

// needle is the text an attribute's value has inside a record's JSON, or
// nil when the value is not text of the record: the Username "root" of a
// root identity.
func needle(a Attribute) []byte {
	if a.Key == Username && a.Value == "root" {
		return nil
	}
	q := jsonscan.AppendString(nil, a.Value)
	return q[1 : len(q)-1]
}

// mayMatch reports whether a record's JSON can match every attribute: it
// holds each value's text, or it has an escape, behind which a value could
// be spelt otherwise.
func (q *query) mayMatch(raw []byte) bool {
	for _, n := range q.needles {
		if !bytes.Contains(raw, n) {
			return bytes.IndexByte(raw, '\\') >= 0
		}
	}
	return true
}

// isLogKey reports whether key names a log file rather than a digest or a
// file of another kind.
func isLogKey(key string) bool {
	name := key[strings.LastIndexByte(key, '/')+1:]
	return (strings.Contains(name, "_CloudTrail_") || strings.Contains(name, "_CloudTrail-Insight_")) &&
		(strings.HasSuffix(name, ".json.gz") || strings.HasSuffix(name, ".json"))
}

// regionPrefixes returns the key prefixes ".../CloudTrail/REGION/" (or
// CloudTrail-Insight for Insights events) of the accounts and regions the
// query covers.
func regionPrefixes(ctx context.Context, store sink.Store, in Input) ([]string, error) {
	base := "AWSLogs/"
	if in.KeyPrefix != "" {
		base = strings.TrimSuffix(in.KeyPrefix, "/") + "/" + base
	}
	top, err := segments(ctx, store, base)
	if err != nil {
		return nil, err
	}
	var accounts []string // prefixes ending in "ACCOUNT/"
	for _, seg := range top {
		if !strings.HasPrefix(seg, "o-") {
			accounts = append(accounts, base+seg+"/")
			continue
		}
		members, err := segments(ctx, store, base+seg+"/")
		if err != nil {
			return nil, err
		}
		for _, m := range members {
			accounts = append(accounts, base+seg+"/"+m+"/")
		}
	}
	kind := "CloudTrail/"
	if in.EventCategory == CategoryInsight {
		kind = "CloudTrail-Insight/"
	}
	var out []string
	for _, acct := range accounts {
		id := acct[strings.LastIndexByte(acct[:len(acct)-1], '/')+1 : len(acct)-1]
		if len(in.AccountIDs) > 0 && !slices.Contains(in.AccountIDs, id) {
			continue
		}
		regions := in.Regions
		if len(regions) == 0 {
			if regions, err = segments(ctx, store, acct+kind); err != nil {
				return nil, err
			}
		}
		for _, r := range regions {
			out = append(out, acct+kind+r+"/")
		}
	}
	return out, nil
}

// segments lists the distinct path segments directly under base, with one
// List call each: after finding a segment it lists again from just past
// everything under it ('0' is the byte after '/').
func segments(ctx context.Context, store sink.Store, base string) ([]string, error) {
	var out []string
	after := ""
	for {
		key, ok, err := firstKey(ctx, store, base, after)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", base, err)
		}
		if !ok {
			return out, nil
		}
		seg, _, dir := strings.Cut(key[len(base):], "/")
		if !dir {
			after = key // an object directly under base
			continue
		}
		out = append(out, seg)
		after = base + seg + "0"
	}
}

func firstKey(ctx context.Context, store sink.Store, prefix, after string) (string, bool, error) {
	for info, err := range store.List(ctx, prefix, after) {
		if err != nil {
			return "", false, err
		}
		return info.Key, true, nil
	}
	return "", false, nil
}

// token is what NextToken carries.
type token struct {
	Time  time.Time `json:"t"`
	ID    string    `json:"i"`
	Start time.Time `json:"s"`
	End   time.Time `json:"e"`
	Sum   string    `json:"q"`
	// Listing names the listing of the first page, kept in Summaries.
	Listing int64 `json:"l,omitempty"`
}

func encodeToken(t token) string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeToken(s, sum string) (token, error) {
	var t token
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &t)
	}
	switch {
	case err != nil:
		return t, &Error{Exception: ExceptionInvalidNextToken, Message: "the next token is malformed"}
	case t.Sum != sum:
		return t, &Error{Exception: ExceptionInvalidNextToken, Message: "the next token belongs to a different query"}
	}
	return t, nil
}

// fingerprint identifies the query as given, so that a token is used only
// with the query that produced it.
func (in *Input) fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %q %q %s %s", in.KeyPrefix, in.AccountIDs, in.Regions, in.EventCategory,
		in.StartTime.UTC().Format(time.RFC3339Nano), in.EndTime.UTC().Format(time.RFC3339Nano))
	for _, a := range in.Attributes {
		fmt.Fprintf(h, " %q=%q", a.Key, a.Value)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
