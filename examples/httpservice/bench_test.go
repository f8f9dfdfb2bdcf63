package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

type nopWriter struct{ h http.Header }

func (w *nopWriter) Header() http.Header         { return w.h }
func (w *nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *nopWriter) WriteHeader(int)             {}

func serve(b *testing.B, h http.Handler) {
	req := httptest.NewRequest("GET", "/orders", nil)
	req.Header.Set("Authorization", "Bearer alice")
	req.RemoteAddr = "198.51.100.7:41234"
	w := &nopWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		clear(w.h)
		h.ServeHTTP(w, req)
	}
}

// BenchmarkService measures the service's GET /orders bare and audited into
// a trail delivering to a directory: the difference is what auditing costs
// a request, the trail's Emit (which encodes the record) included; closing
// the service, which empties the queue and delivers the last log file, is
// timed too.
func BenchmarkService(b *testing.B) {
	b.Run("bare", func(b *testing.B) { serve(b, routes(newStore())) })
	b.Run("audited", func(b *testing.B) {
		svc, err := New(Config{Dir: b.TempDir(), AccountID: "111122223333", Region: "eu-west-1", Flush: time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		serve(b, svc.Handler)
		if err := svc.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if st := svc.audit.Stats(); st.Emitted != st.Requests {
			b.Fatalf("emitted %d of %d", st.Emitted, st.Requests)
		}
	})
}
