package httpaudit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/trail/httpaudit"
)

// countingEmitter accepts records and counts them: the cost measured is
// the middleware's, not a trail's.
type countingEmitter struct{ n atomic.Int64 }

func (c *countingEmitter) Emit(ctx context.Context, r *event.Record) error {
	c.n.Add(1)
	return nil
}

// nopWriter is a ResponseWriter that allocates nothing.
type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

func benchHandlers(tb testing.TB) (bare, audited http.Handler, m *httpaudit.Middleware, em *countingEmitter) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {})
	em = &countingEmitter{}
	m, err := httpaudit.New(httpaudit.Options{
		Emitter:     em,
		EventSource: "orders.example.com",
		Region:      "eu-west-1",
		AccountID:   "111122223333",
		Identity: func(r *http.Request) *event.UserIdentity {
			return nil // anonymous: the identity's cost is the service's
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return mux, m.Wrap(mux), m, em
}

func serveLoop(b *testing.B, h http.Handler) {
	req := httptest.NewRequest("GET", "/orders/17", nil)
	req.Header.Set("User-Agent", "aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5")
	req.RemoteAddr = "198.51.100.7:41234"
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	// A counted loop, not b.Loop: the timer must keep running after it, so
	// that emptying the queue is measured too.
	for range b.N {
		h.ServeHTTP(w, req)
	}
}

// BenchmarkMiddleware measures a handler that does nothing, bare and
// audited, in the same run: the difference is the middleware's cost per
// request, emit included (the workers' share is in the figures, since they
// run alongside; a queue that filled up would make requests wait).
func BenchmarkMiddleware(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		bare, _, m, _ := benchHandlers(b)
		defer m.Close(context.Background())
		serveLoop(b, bare)
	})
	b.Run("audited", func(b *testing.B) {
		// A middleware for each run: the function runs several times, and
		// a closed middleware emits on the request's goroutine.
		_, audited, m, em := benchHandlers(b)
		serveLoop(b, audited)
		if err := m.Close(context.Background()); err != nil { // timed: the queue's last records
			b.Fatal(err)
		}
		b.StopTimer()
		st := m.Stats()
		if st.Emitted != st.Requests || em.n.Load() != int64(st.Requests) {
			b.Fatalf("emitted %d of %d", st.Emitted, st.Requests)
		}
		// How often a request found the queue full: the workers' pace, not
		// the requests', set the figure then.
		b.ReportMetric(float64(st.Blocked)/float64(b.N), "blocked/op")
	})
}

// TestOverheadAllocations holds the middleware to its allocation budget:
// fewer than 10 allocations per request on top of the handler, the
// workers' share included (the middleware is closed, so every record has
// been emitted, before counting). The time budget (under 2 µs) is measured
// by BenchmarkMiddleware: time is too noisy on a shared machine to assert.
func TestOverheadAllocations(t *testing.T) {
	const n = 20000
	count := func(h http.Handler, m *httpaudit.Middleware) float64 {
		req := httptest.NewRequest("GET", "/orders/17", nil)
		req.RemoteAddr = "198.51.100.7:41234"
		w := &nopWriter{h: http.Header{}}
		h.ServeHTTP(w, req) // warm up caches (names, pools)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range n {
			h.ServeHTTP(w, req)
		}
		if m != nil {
			if err := m.Close(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		runtime.ReadMemStats(&after)
		return float64(after.Mallocs-before.Mallocs) / n
	}
	bare, audited, m, em := benchHandlers(t)
	b := count(bare, nil)
	a := count(audited, m)
	t.Logf("allocations per request: bare %.2f, audited %.2f, overhead %.2f", b, a, a-b)
	if got := em.n.Load(); got != n+1 {
		t.Fatalf("emitted %d records, want %d", got, n+1)
	}
	if a-b >= 10 {
		t.Fatalf("%.2f allocations per request on top of the handler; the budget is under 10", a-b)
	}
}
