package history

import (
	"bufio"
	"bytes"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"sync"
	"time"

	"github.com/trailkit/trailkit/internal/jsonscan"
	"github.com/trailkit/trailkit/sink"
)

// Summaries keeps what Lookup learns about each log file it reads: the
// range of its records' eventTimes and a Bloom filter over their string
// values. With a file's summary Lookup knows, without reading
// it, whether it can hold an event of a page; without one it must read the
// file, since a record can be delivered any time after its eventTime.
//
// A summary is kept for the object's size and last-modified time; an
// object rewritten since is read again. Summaries also keeps the listing
// of a query's first page, so that the pages after it (given the same
// Summaries) read that snapshot of the trail without listing it again;
// files delivered meanwhile show in a new query. Summaries is safe for
// concurrent use. Keep one across the pages of a query (a server answering
// LookupEvents keeps one per store), or save it with WriteTo and load it
// with ReadFrom between processes, as "trailkit lookup" does in the user's
// cache directory: nothing is written into the store, so other readers of
// the trail see nothing new.
type Summaries struct {
	mu       sync.RWMutex
	m        map[string]summary
	changed  bool
	listings map[string]listing // by query fingerprint
	serial   int64
}

// listing is the log files a query's first page listed.
type listing struct {
	id      int64
	objects []sink.ObjectInfo
}

// maxListings bounds the listings kept: the queries being paged at once.
const maxListings = 16

// NewSummaries returns an empty Summaries.
func NewSummaries() *Summaries { return &Summaries{m: map[string]summary{}} }

// summary describes one log file. Times are Unix nanoseconds.
type summary struct {
	Size     int64
	Modified int64
	Records  int
	Lo, Hi   int64
	Filter   []uint64
}

func (s *Summaries) get(info sink.ObjectInfo) (summary, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sum, ok := s.m[info.Key]
	return sum, ok && sum.Size == info.Size && sum.Modified == info.LastModified.UnixNano()
}

// keepListing keeps a query's listing and returns its id.
func (s *Summaries) keepListing(query string, objects []sink.ObjectInfo) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.listings == nil {
		s.listings = map[string]listing{}
	}
	if len(s.listings) >= maxListings {
		oldest := ""
		for k, l := range s.listings {
			if oldest == "" || l.id < s.listings[oldest].id {
				oldest = k
			}
		}
		delete(s.listings, oldest)
	}
	s.serial++
	// Ids are unique to this Summaries: start from the clock, so that a
	// token from another process's Summaries never names a listing here.
	id := max(time.Now().UnixNano(), s.serial)
	s.serial = id
	s.listings[query] = listing{id: id, objects: objects}
	return id
}

// listing returns the listing a query's first page kept, if it is still
// here.
func (s *Summaries) listing(query string, id int64) ([]sink.ObjectInfo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l, ok := s.listings[query]
	return l.objects, ok && l.id == id
}

func (s *Summaries) put(key string, sum summary) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[key] = sum
	s.changed = true
}

// Len returns the number of files summarized.
func (s *Summaries) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}

// Changed reports whether a lookup added a summary since the Summaries was
// made or loaded: whether saving it is worth the write.
func (s *Summaries) Changed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.changed
}

// summariesMagic starts a saved Summaries; the number changes with the
// format, and a file of another format is refused (and rebuilt by the
// caller).
const summariesMagic = "trailkit history summaries 3\n"

// ErrSummariesFormat is wrapped by ReadFrom for input that is not a saved
// Summaries of this version.
var ErrSummariesFormat = errors.New("not a saved history summaries file of this version")

// WriteTo saves the summaries.
func (s *Summaries) WriteTo(w io.Writer) (int64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	cw := &countWriter{w: w}
	bw := bufio.NewWriter(cw)
	bw.WriteString(summariesMagic)
	if err := gob.NewEncoder(bw).Encode(s.m); err != nil {
		return cw.n, fmt.Errorf("save summaries: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("save summaries: %w", err)
	}
	return cw.n, nil
}

// ReadFrom adds the summaries saved in r.
func (s *Summaries) ReadFrom(r io.Reader) (int64, error) {
	cr := &countReader{r: r}
	br := bufio.NewReader(cr)
	magic := make([]byte, len(summariesMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != summariesMagic {
		return cr.n, fmt.Errorf("load summaries: %w", ErrSummariesFormat)
	}
	var m map[string]summary
	if err := gob.NewDecoder(br).Decode(&m); err != nil {
		return cr.n, fmt.Errorf("load summaries: %w: %w", ErrSummariesFormat, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range m {
		s.m[k] = v
	}
	return cr.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// summarizer builds a file's summary from its records' bytes, without
// decoding them: the Bloom filter holds the string values of the members
// lookup attributes are read from (summaryKey, at any depth of the
// top-level members attributeMember names), and the parts of them the
// attributes are made of (the name after an ARN's last '/' or ':', an S3
// ARN's resource, the session after a principal ID's first ':', "root"
// for a Root identity). An attribute value absent from the filter is in
// no record of the file.
//
// Values go straight into a filter of the largest size, counting those
// not in it yet; summary folds it down to the size that count needs.
// Folding a filter whose size is a power of two in half (OR-ing its upper
// half into its lower) gives the filter the same values make at half the
// size, since a bit's position is its hash masked to the size.
type summarizer struct {
	n        int
	lo, hi   time.Time
	distinct int // values added that were not in the filter yet
	filter   [filterMaxWords]uint64
}

var summarizers = sync.Pool{New: func() any { return new(summarizer) }}

// newSummarizer returns an empty summarizer, pooled: its filter is 4 KiB,
// and a lookup makes one for each file it reads without a summary.
func newSummarizer() *summarizer {
	z := summarizers.Get().(*summarizer)
	*z = summarizer{}
	return z
}

func (z *summarizer) release() { summarizers.Put(z) }

// summaryKey reports whether the values of a member named key are ones
// lookup attributes test.
func summaryKey(key string) bool {
	switch key {
	case "eventID", "eventName", "eventSource", "userName", "arn", "ARN", "principalId", "invokedBy", "accessKeyId", "type":
		return true
	}
	return false
}

// addTime counts a record at t.
func (z *summarizer) addTime(t time.Time) {
	if z.n == 0 {
		z.lo, z.hi = t, t
	}
	z.n++
	z.widen(t)
}

// widen makes the range hold t.
func (z *summarizer) widen(t time.Time) {
	if t.Before(z.lo) {
		z.lo = t
	}
	if t.After(z.hi) {
		z.hi = t
	}
}

// addRecord adds the values of a record's JSON, read by the shared
// scanner, and returns its top-level eventTime if it has one (the last
// copy, as every reader takes a repeated key). Only the top-level members
// attributes are read from are summarized (attributeMember): with ms,
// where the Scanner located the record's members, the others are not read
// at all; without, they are passed over.
func (z *summarizer) addRecord(raw []byte, ms []jsonscan.Member) (t time.Time, ok bool) {
	p := jsonscan.New(raw, 0)
	if p.Peek() != '{' {
		return t, false
	}
	// An error ends the pass: the Scanner has refused such a record already.
	member := func(key string) error {
		if key != "eventTime" || p.Peek() != '"' {
			if _, ok := attributeMember(key); !ok {
				return p.SkipValue()
			}
			return z.addValues(&p, key)
		}
		s, err := p.Str()
		if tt, perr := time.Parse(time.RFC3339, s); err == nil && perr == nil {
			t, ok = tt, true
		}
		return err
	}
	if ms == nil {
		_ = p.Members(member)
		return t, ok
	}
	for _, m := range ms {
		key, found := attributeMember(string(raw[m.Key+1 : m.KeyEnd-1]))
		if m.Escaped {
			kp := jsonscan.New(raw[m.Key:m.KeyEnd], 0)
			k, err := kp.Str()
			if err != nil {
				return t, ok
			}
			key, found = attributeMember(k)
		}
		if !found {
			continue
		}
		p.Pos = int(m.Value)
		if member(key) != nil {
			return t, ok
		}
	}
	return t, ok
}

// attributeMember reports whether a record's top-level member named key
// is eventTime or holds values lookup attributes are read from (see
// matchesOne), and returns the name as a constant, which costs nothing
// to keep. Request parameters, response elements and the rest of a record
// are not summarized.
func attributeMember(key string) (string, bool) {
	switch key {
	case "eventTime":
		return "eventTime", true
	case "eventID":
		return "eventID", true
	case "eventName":
		return "eventName", true
	case "eventSource":
		return "eventSource", true
	case "userIdentity":
		return "userIdentity", true
	case "resources":
		return "resources", true
	case "insightDetails":
		return "insightDetails", true
	}
	return "", false
}

// addValues reads the value at p.Pos, the value of member key, and adds
// its strings when summaryKey(key) holds (an array's elements count
// as the member's values), and those of the summary keys nested in it.
func (z *summarizer) addValues(p *jsonscan.Parser, key string) error {
	switch p.Peek() {
	case '"':
		if !summaryKey(key) {
			return p.SkipString()
		}
		start := p.Pos
		s, err := p.Str()
		if err != nil {
			return err
		}
		if v := p.Buf[start+1 : p.Pos-1]; len(v) == len(s) {
			z.addValue(v) // no escape: the bytes are the value
		} else {
			z.addValue([]byte(s))
		}
		return nil
	case '{':
		return p.Members(func(k string) error { return z.addValues(p, k) })
	case '[':
		return p.Elements(func(int) error { return z.addValues(p, key) })
	}
	return p.SkipValue()
}

func (z *summarizer) addValue(v []byte) {
	z.addHash(valueHash(v))
	if i := bytes.LastIndexByte(v, '/'); i >= 0 {
		z.addHash(valueHash(v[i+1:]))
	}
	if i := bytes.LastIndexByte(v, ':'); i >= 0 {
		z.addHash(valueHash(v[i+1:]))
		if j := bytes.IndexByte(v, ':'); j < i {
			z.addHash(valueHash(v[j+1:])) // a principal ID's session, which may hold colons
		}
	}
	if bytes.HasPrefix(v, []byte("arn:")) {
		// The resource of arn:partition:service:region:account:resource,
		// which may hold colons itself.
		rest := v
		for range 5 {
			i := bytes.IndexByte(rest, ':')
			if i < 0 {
				rest = nil
				break
			}
			rest = rest[i+1:]
		}
		if rest != nil {
			z.addHash(valueHash(rest))
		}
	}
	if string(v) == "Root" {
		z.addHash(valueHash([]byte("root")))
	}
}

// addHash sets a value's bits in the filter, counting it if one of them
// was clear.
func (z *summarizer) addHash(h uint64) {
	seen := true
	for i := range filterHashes {
		w, m := filterBit(z.filter[:], h, i)
		seen = seen && z.filter[w]&m != 0
		z.filter[w] |= m
	}
	if !seen {
		z.distinct++
	}
}

// filterBitsPerValue and filterHashes give a false positive rate near 1%.
const (
	filterBitsPerValue = 10
	filterHashes       = 5
	filterMaxWords     = 512 // 4 KiB, a power of two: a file of thousands of records is read more often, not summarized at any size
)

func (z *summarizer) summary(info sink.ObjectInfo) summary {
	words := min(max(1, (z.distinct*filterBitsPerValue+63)/64), filterMaxWords)
	words = 1 << bits.Len(uint(words-1)) // a power of two, so a bit is a mask away
	f := slices.Clone(z.filter[:words])
	for i := words; i < filterMaxWords; i += words {
		for j, w := range z.filter[i : i+words] {
			f[j] |= w
		}
	}
	s := summary{Size: info.Size, Modified: info.LastModified.UnixNano(), Records: z.n, Filter: f}
	if z.n > 0 {
		s.Lo, s.Hi = z.lo.UnixNano(), z.hi.UnixNano()
	}
	return s
}

// valueHash is FNV-1a, inline: it runs for every string of every record
// of a file summarized.
func valueHash(v []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range v {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return h
}

// filterBits yields the bit positions of a hash (double hashing).
func filterBit(f []uint64, h uint64, i int) (int, uint64) {
	h1, h2 := h, h>>32|h<<32|1
	b := (h1 + uint64(i)*h2) & uint64(len(f)*64-1)
	return int(b / 64), 1 << (b % 64)
}

// mayHold reports whether the file can hold a record with every attribute.
func (s *summary) mayHold(attrs []Attribute) bool {
	if len(s.Filter) == 0 {
		return true
	}
	for _, a := range attrs {
		if a.Key == ReadOnly {
			continue // a JSON boolean, not a string: not in the filter
		}
		h := valueHash([]byte(a.Value))
		for i := range filterHashes {
			w, m := filterBit(s.Filter, h, i)
			if s.Filter[w]&m == 0 {
				return false
			}
		}
	}
	return true
}
