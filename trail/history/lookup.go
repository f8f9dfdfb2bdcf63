package history

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/trailkit/trailkit/event"
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
	start, end, max, err := in.window()
	if err != nil {
		return Output{}, err
	}
	q := query{in: in, attrs: in.Attributes, start: start, end: end}
	sum := in.fingerprint()
	if in.NextToken != "" {
		tok, err := decodeToken(in.NextToken, sum)
		if err != nil {
			return Output{}, err
		}
		q.start, q.end = tok.Start, tok.End
		q.after = &position{t: tok.Time, id: tok.ID}
	}
	prefixes, err := regionPrefixes(ctx, store, in)
	if err != nil {
		return Output{}, err
	}
	top := &topN{n: max + 1}
	q.top = top
	newest := q.end
	if q.after != nil && q.after.t.Before(newest) {
		newest = q.after.t
	}
	// Records are delivered after their eventTime, so once the delivery
	// days from d on have been read, every record from d on has been seen:
	// a full page whose oldest event is from d or later is final.
	for d := day(newest).AddDate(0, 0, 1); !d.Before(day(q.start)); d = d.AddDate(0, 0, -1) {
		if err := q.readDay(ctx, store, prefixes, d); err != nil {
			return Output{Read: q.progress()}, err
		}
		if top.fullFrom(d) {
			break
		}
	}
	events := top.events
	out := Output{Read: q.progress()}
	if len(events) > max {
		events = events[:max]
		lastEv := events[len(events)-1]
		out.NextToken = encodeToken(token{Time: lastEv.EventTime, ID: lastEv.EventID, Start: q.start, End: q.end, Sum: sum})
	}
	out.Events = slices.Clone(events)
	return out, nil
}

// query is the state of one Lookup call.
type query struct {
	in         Input
	attrs      []Attribute
	start, end time.Time
	after      *position // the end of the previous page
	top        *topN

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

// day is the UTC day holding t.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// readDay reads the log files delivered on day d.
func (q *query) readDay(ctx context.Context, store sink.Store, prefixes []string, d time.Time) error {
	var keys []string
	for _, p := range prefixes {
		dp := p + d.Format("2006/01/02/")
		for info, err := range store.List(ctx, dp, "") {
			if err != nil {
				return fmt.Errorf("list %s: %w", dp, err)
			}
			if isLogKey(info.Key) {
				keys = append(keys, info.Key)
			}
		}
	}
	work := make(chan string)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for range min(runtime.GOMAXPROCS(0), len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for key := range work {
				if err := q.readFile(ctx, store, key); err != nil {
					select {
					case errs <- err:
					default:
					}
					cancel()
				}
			}
		}()
	}
feed:
	for _, k := range keys {
		select {
		case work <- k:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return err
	default:
	}
	return ctx.Err()
}

// isLogKey reports whether key names a log file rather than a digest or a
// file of another kind.
func isLogKey(key string) bool {
	name := key[strings.LastIndexByte(key, '/')+1:]
	return strings.Contains(name, "_CloudTrail_") && (strings.HasSuffix(name, ".json.gz") || strings.HasSuffix(name, ".json"))
}

// readFile offers the records of one log file to the page.
func (q *query) readFile(ctx context.Context, store sink.Store, key string) error {
	body, _, err := store.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("read log file: %w", err)
	}
	defer body.Close()
	cr := &countingReader{r: body}
	sc := event.NewScanner(cr)
	sc.Name = key
	defer sc.Close()
	var rec event.Record
	n := int64(0)
	for sc.Scan() {
		n++
		if err := event.Unmarshal(sc.Bytes(), &rec); err != nil {
			return &event.ReadError{Name: key, Index: sc.Index(), Offset: sc.Offset(), Err: err}
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
		if !q.top.wants(pos) {
			continue
		}
		ev := newEvent(&rec, bytes.Clone(sc.Bytes()), key)
		ev.EventID = pos.id
		q.top.add(pos, ev)
	}
	q.files.Add(1)
	q.records.Add(n)
	q.bytes.Add(cr.n)
	if q.in.Progress != nil {
		q.in.Progress(q.progress())
	}
	return sc.Err()
}

// topN keeps the n events listed first, without duplicates.
type topN struct {
	mu     sync.Mutex
	n      int
	pos    []position
	events []Event
}

// fullFrom reports whether the list is full and its last event is from t
// or later.
func (t *topN) fullFrom(from time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pos) >= t.n && !t.pos[len(t.pos)-1].t.Before(from)
}

// wants reports whether an event at p could enter the list.
func (t *topN) wants(p position) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.pos) < t.n || p.before(t.pos[len(t.pos)-1])
}

func (t *topN) add(p position, ev Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i, found := slices.BinarySearchFunc(t.pos, p, func(a, b position) int {
		switch {
		case a.before(b):
			return -1
		case b.before(a):
			return 1
		}
		return 0
	})
	if found {
		return // a second delivery of the same record
	}
	t.pos = slices.Insert(t.pos, i, p)
	t.events = slices.Insert(t.events, i, ev)
	if len(t.pos) > t.n {
		t.pos = t.pos[:t.n]
		t.events = t.events[:t.n]
	}
}

// regionPrefixes returns the key prefixes ".../CloudTrail/REGION/" of the
// accounts and regions the query covers.
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
	var out []string
	for _, acct := range accounts {
		id := acct[strings.LastIndexByte(acct[:len(acct)-1], '/')+1 : len(acct)-1]
		if len(in.AccountIDs) > 0 && !slices.Contains(in.AccountIDs, id) {
			continue
		}
		regions := in.Regions
		if len(regions) == 0 {
			if regions, err = segments(ctx, store, acct+"CloudTrail/"); err != nil {
				return nil, err
			}
		}
		for _, r := range regions {
			out = append(out, acct+"CloudTrail/"+r+"/")
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
	fmt.Fprintf(h, "%q %q %q %s %s", in.KeyPrefix, in.AccountIDs, in.Regions,
		in.StartTime.UTC().Format(time.RFC3339Nano), in.EndTime.UTC().Format(time.RFC3339Nano))
	for _, a := range in.Attributes {
		fmt.Fprintf(h, " %q=%q", a.Key, a.Value)
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
