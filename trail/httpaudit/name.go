package httpaudit

import (
	"fmt"
	"net/http"

	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"github.com/trailkit/trailkit/event"
)

// EventName derives an eventName from a request's method and the ServeMux
// pattern that matched it, CloudTrail style (an action in UpperCamelCase):
// the method, then each path segment of the pattern with its words
// capitalised, wildcards by their names. The pattern's own method and host
// are ignored, as is the {$} anchor:
//
//	GET /orders              -> GetOrders
//	GET /orders/{id}         -> GetOrdersId
//	POST /orders/{id}/line-items -> PostOrdersIdLineItems
//	DELETE /files/{path...}  -> DeleteFilesPath
//	GET /                    -> GetRoot
//
// Without a pattern (no ServeMux, or a request no route matched) the name
// is the method alone, such as "Get": the path is not used, since it can
// hold identifiers without bound. Give Options.Name for names of your own.
func EventName(method, pattern string) string {
	var b strings.Builder
	writeWords(&b, strings.ToLower(method))
	if pattern == "" {
		return b.String()
	}
	if _, rest, ok := strings.Cut(pattern, " "); ok {
		pattern = strings.TrimSpace(rest)
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:] // drop the host
	}
	n := b.Len()
	for seg := range strings.SplitSeq(pattern, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			seg = strings.TrimSuffix(seg[1:len(seg)-1], "...")
			if seg == "$" {
				continue
			}
		}
		writeWords(&b, seg)
	}
	if b.Len() == n {
		b.WriteString("Root")
	}
	return b.String()
}

// writeWords writes s with each run of letters and digits capitalised and
// everything else left out: "line-items" gives "LineItems".
func writeWords(b *strings.Builder, s string) {
	up := true
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
}

// nameCache keeps derived names: a service has a few routes, so names are
// computed once each. Readers take no lock (the map is replaced, never
// changed, so requests on many cores do not contend for a lock's cache
// line). Only standard methods are cached, since a client chooses the
// method and could otherwise grow the cache without bound.
type nameCache struct {
	mu sync.Mutex // serializes writers
	m  atomic.Pointer[map[nameKey]string]
}

type nameKey struct{ method, pattern string }

func (c *nameCache) get(method, pattern string) string {
	k := nameKey{method, pattern}
	if m := c.m.Load(); m != nil {
		if name, ok := (*m)[k]; ok {
			return name
		}
	}
	name := EventName(method, pattern)
	if standardMethod(method) {
		c.mu.Lock()
		next := map[nameKey]string{k: name}
		if m := c.m.Load(); m != nil {
			for key, v := range *m {
				next[key] = v
			}
		}
		c.m.Store(&next)
		c.mu.Unlock()
	}
	return name
}

func standardMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

func (m *Middleware) name(r *http.Request, rec *event.Record) (source, name string) {
	if m.opts.Name != nil {
		defer func() {
			if p := recover(); p != nil {
				m.callbackPanics.Add(1)
				m.report("callback", rec, fmt.Errorf("the Name function panicked: %v", p))
				source, name = m.opts.EventSource, m.names.get(r.Method, r.Pattern)
			}
		}()
		return m.opts.Name(r)
	}
	return m.opts.EventSource, m.names.get(r.Method, r.Pattern)
}
