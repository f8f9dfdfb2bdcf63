// Package s3stall is an S3 server that stops answering, for the tests of
// the deadlines on S3 requests: it answers GetObject as S3 does
// (path-style, with the headers the SDK reads), then sends, depending on
// the key's last segment, nothing at all, part of the body, or the body
// slowly; it takes a PutObject's body and answers, or neither.
package s3stall

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Start starts the server and returns a client of it. Every object's body
// is body; the last segment of its key says how it is sent:
//
//   - "headers…": nothing, not even the headers;
//   - "body…": the first 10 bytes, then nothing;
//   - "steady…": one byte every tick;
//   - anything else: all of it.
//
// A PutObject of a key whose last segment starts with "headers" is neither
// read nor answered; any other is read and answered 200 OK. A stalled
// answer waits until the client goes away or the test ends.
func Start(tb testing.TB, body []byte, tick time.Duration) *s3.Client {
	tb.Helper()
	stop := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stall := func() {
			select {
			case <-r.Context().Done():
			case <-stop:
			}
		}
		bucket, key, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if (r.Method != http.MethodGet && r.Method != http.MethodPut) || bucket == "" || !ok {
			http.Error(w, "not S3 enough", http.StatusNotImplemented)
			return
		}
		name := path.Base(key)
		if strings.HasPrefix(name, "headers") {
			stall()
			return
		}
		if r.Method == http.MethodPut {
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("ETag", `"0123456789abcdef0123456789abcdef"`)
			w.WriteHeader(http.StatusOK)
			return
		}
		h := w.Header()
		h.Set("Content-Length", strconv.Itoa(len(body)))
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Last-Modified", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Format(http.TimeFormat))
		h.Set("ETag", `"0123456789abcdef0123456789abcdef"`)
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		switch {
		case strings.HasPrefix(name, "body"):
			w.Write(body[:min(10, len(body))])
			rc.Flush()
			stall()
		case strings.HasPrefix(name, "steady"):
			ticker := time.NewTicker(tick)
			defer ticker.Stop()
			for i := range body {
				w.Write(body[i : i+1])
				rc.Flush()
				select {
				case <-ticker.C:
				case <-r.Context().Done():
					return
				}
			}
		default:
			w.Write(body)
		}
	}))
	tb.Cleanup(func() {
		close(stop)
		srv.Close()
	})
	return s3.New(s3.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String(srv.URL),
		UsePathStyle:     true,
		Credentials:      aws.AnonymousCredentials{},
		RetryMaxAttempts: 1,
	})
}
