package httpaudit_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/event/redact"
	"github.com/trailkit/trailkit/trail/httpaudit"
)

// collector is an Emitter that keeps what it is given. Its Emit can be
// made to wait (gate) or fail (fail), to play a slow or broken trail.
type collector struct {
	mu   sync.Mutex
	recs []*event.Record
	gate chan struct{} // when set, Emit waits for it to be closed
	fail error
}

func (c *collector) Emit(ctx context.Context, r *event.Record) error {
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if c.fail != nil {
		return c.fail
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.recs = append(c.recs, r)
	return nil
}

func (c *collector) records() []*event.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*event.Record(nil), c.recs...)
}

func newMiddleware(t *testing.T, opts httpaudit.Options) (*httpaudit.Middleware, *collector) {
	t.Helper()
	c := &collector{}
	if opts.Emitter == nil {
		opts.Emitter = c
	}
	if opts.EventSource == "" && opts.Name == nil {
		opts.EventSource = "orders.example.com"
	}
	if opts.Region == "" {
		opts.Region = "eu-west-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "111122223333"
	}
	m, err := httpaudit.New(opts)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = m.Close(ctx)
	})
	return m, c
}

// drain closes the middleware so that every queued record is emitted.
func drain(t *testing.T, m *httpaudit.Middleware) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, m.Close(ctx))
}

type createOrder struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	CardCVC  string `json:"cardCvc" trailkit:"sensitive"`
}

func ordersMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		var in createOrder
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		_ = httpaudit.SetResponse(r.Context(), map[string]any{"orderId": "o-1", "sku": in.SKU})
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("GET /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == "missing" {
			httpaudit.SetError(r.Context(), "OrderNotFound", "order missing does not exist")
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		fmt.Fprintf(w, `{"id":%q}`, r.PathValue("id"))
	})
	mux.HandleFunc("DELETE /orders/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
	})
	return mux
}

func TestRecordsOverHTTP(t *testing.T) {
	m, c := newMiddleware(t, httpaudit.Options{
		RequestParameters: httpaudit.Merge(httpaudit.PathValues(), httpaudit.Typed[createOrder]()),
		Identity: func(r *http.Request) *event.UserIdentity {
			if u := r.Header.Get("X-User"); u != "" {
				return &event.UserIdentity{Type: "IAMUser", UserName: u, AccountID: "111122223333",
					ARN: "arn:aws:iam::111122223333:user/" + u, PrincipalID: "AIDA" + strings.ToUpper(u)}
			}
			return nil
		},
	})
	srv := httptest.NewServer(m.Wrap(ordersMux()))
	defer srv.Close()

	do := func(method, path, body string, hdr map[string]string) int {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, 201, do("POST", "/orders", `{"sku":"A-17", "quantity":2,"cardCvc":"123"}`,
		map[string]string{"X-User": "alice", "User-Agent": "orders-cli/1.0", "X-Request-Id": "req-1"}))
	require.Equal(t, 200, do("GET", "/orders/o-1", "", map[string]string{"X-User": "bob"}))
	require.Equal(t, 404, do("GET", "/orders/missing", "", nil))
	require.Equal(t, 403, do("DELETE", "/orders/o-1", "", nil))
	require.Equal(t, 404, do("GET", "/nowhere", "", nil))
	drain(t, m)

	recs := c.records()
	require.Len(t, recs, 5)
	byName := map[string]*event.Record{}
	for _, r := range recs {
		require.NoError(t, r.Validate(), "%s", r.AppendJSON(nil))
		if r.ErrorCode != "OrderNotFound" {
			byName[r.EventName] = r
		}
		assert.Equal(t, "orders.example.com", r.EventSource)
		assert.Equal(t, "eu-west-1", r.AWSRegion)
		assert.Equal(t, "127.0.0.1", r.SourceIPAddress)
		assert.Equal(t, "1.11", r.EventVersion)
		assert.Equal(t, event.TypeAPICall, r.EventType)
		assert.Equal(t, "111122223333", r.RecipientAccountID)
		assert.NotEmpty(t, r.EventID)
		assert.NotEmpty(t, r.RequestID)
		assert.WithinDuration(t, time.Now(), r.EventTime, 5*time.Second)
		assert.Nil(t, r.TLSDetails, "plain HTTP has no tlsDetails")
	}
	require.Len(t, byName, 4, "two requests share GetOrdersId: %v", byName)

	post := byName["PostOrders"]
	require.NotNil(t, post)
	assert.False(t, *post.ReadOnly)
	assert.Equal(t, "alice", post.UserIdentity.UserName)
	assert.Equal(t, "orders-cli/1.0", post.UserAgent)
	assert.Equal(t, "req-1", post.RequestID)
	assert.Equal(t, `{"sku":"A-17","quantity":2,"cardCvc":"HIDDEN_DUE_TO_SECURITY_REASONS"}`, string(post.RequestParameters))
	assert.JSONEq(t, `{"orderId":"o-1","sku":"A-17"}`, string(post.ResponseElements))
	assert.Empty(t, post.ErrorCode)

	get := byName["GetOrdersId"]
	require.NotNil(t, get)
	assert.True(t, *get.ReadOnly)
	assert.Equal(t, `{"id":"o-1"}`, string(get.RequestParameters))
	assert.Equal(t, "null", string(get.ResponseElements))
	assert.Equal(t, "bob", get.UserIdentity.UserName)

	// The same route with a service error code: two records share the
	// name, so find the failed one.
	var missing *event.Record
	for _, r := range recs {
		if r.ErrorCode == "OrderNotFound" {
			missing = r
		}
	}
	require.NotNil(t, missing)
	assert.Equal(t, "order missing does not exist", missing.ErrorMessage)
	assert.Nil(t, missing.ResponseElements)
	assert.Equal(t, "Unknown", missing.UserIdentity.Type)

	del := byName["DeleteOrdersId"]
	require.NotNil(t, del)
	assert.Equal(t, "Forbidden", del.ErrorCode)
	assert.Equal(t, "Forbidden", del.ErrorMessage)

	none := byName["Get"]
	require.NotNil(t, none, "a request no route matched is named by its method")
	assert.Equal(t, "NotFound", none.ErrorCode)
	assert.Equal(t, "null", string(none.RequestParameters))

	st := m.Stats()
	assert.Equal(t, uint64(5), st.Requests)
	assert.Equal(t, uint64(5), st.Emitted)
	assert.Zero(t, st.Dropped+st.Failed+st.DecodeErrors)
}

func TestTLSDetails(t *testing.T) {
	tests := []struct {
		name               string
		maxVersion         uint16
		curves             []tls.CurveID
		version, suite, kx string
	}{
		{"TLS 1.3 default", tls.VersionTLS13, nil, "TLSv1.3", "TLS_AES_128_GCM_SHA256", "X25519MLKEM768"},
		{"TLS 1.3 classic curve", tls.VersionTLS13, []tls.CurveID{tls.X25519}, "TLSv1.3", "TLS_AES_128_GCM_SHA256", "x25519"},
		{"TLS 1.2", tls.VersionTLS12, []tls.CurveID{tls.CurveP256}, "TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256", "secp256r1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, c := newMiddleware(t, httpaudit.Options{})
			srv := httptest.NewTLSServer(m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
			defer srv.Close()
			client := srv.Client()
			tr := client.Transport.(*http.Transport)
			tr.TLSClientConfig.MaxVersion = tc.maxVersion
			tr.TLSClientConfig.CurvePreferences = tc.curves
			tr.TLSClientConfig.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}
			tr.TLSClientConfig.ServerName = "api.example.com"
			req, err := http.NewRequest("GET", srv.URL+"/x", nil)
			require.NoError(t, err)
			req.Host = "api.example.com"
			resp, err := client.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			drain(t, m)
			recs := c.records()
			require.Len(t, recs, 1)
			d := recs[0].TLSDetails
			require.NotNil(t, d)
			assert.Equal(t, tc.version, d.TLSVersion)
			assert.Equal(t, tc.suite, d.CipherSuite)
			assert.Equal(t, tc.kx, d.KeyExchange)
			assert.Equal(t, "api.example.com", d.ClientProvidedHostHeader)
		})
	}
}

func TestSourceIP(t *testing.T) {
	proxies := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	tests := []struct {
		name    string
		remote  string
		trusted []netip.Prefix
		header  map[string][]string
		want    string
	}{
		{"peer address", "198.51.100.7:5555", nil, nil, "198.51.100.7"},
		{"headers ignored without trusted proxies", "10.0.0.1:5555", nil,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, "10.0.0.1"},
		{"headers ignored from an untrusted peer", "198.51.100.7:5555", proxies,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, "198.51.100.7"},
		{"client behind one proxy", "10.0.0.1:5555", proxies,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9"}}, "203.0.113.9"},
		{"spoofed entries left of the real client are ignored", "10.0.0.1:5555", proxies,
			map[string][]string{"X-Forwarded-For": {"1.2.3.4, 203.0.113.9, 10.1.1.1"}}, "203.0.113.9"},
		{"several header lines", "10.0.0.1:5555", proxies,
			map[string][]string{"X-Forwarded-For": {"1.2.3.4", "203.0.113.9 , 10.2.2.2"}}, "203.0.113.9"},
		{"all hops trusted: the farthest", "10.0.0.1:5555", proxies,
			map[string][]string{"X-Forwarded-For": {"10.9.9.9, 10.1.1.1"}}, "10.9.9.9"},
		{"garbage stops the walk at the last good hop", "10.0.0.1:5555", proxies,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9, not-an-ip, 10.1.1.1"}}, "10.1.1.1"},
		{"invalid UTF-8 in the header", "10.0.0.1:5555", proxies,
			map[string][]string{"X-Forwarded-For": {"\xff\xfe"}}, "10.0.0.1"},
		{"Forwarded wins over X-Forwarded-For", "10.0.0.1:5555", proxies,
			map[string][]string{"Forwarded": {`for=192.0.2.60;proto=http;by=203.0.113.43`},
				"X-Forwarded-For": {"1.2.3.4"}}, "192.0.2.60"},
		{"Forwarded IPv6 with port", "[fd00::1]:443", proxies,
			map[string][]string{"Forwarded": {`for="[2001:db8:cafe::17]:4711", for=10.0.0.2`}}, "2001:db8:cafe::17"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.1]:80", proxies,
			map[string][]string{"X-Forwarded-For": {"203.0.113.9:1234"}}, "203.0.113.9"},
		{"remote address without port", "198.51.100.7", proxies, nil, "198.51.100.7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, c := newMiddleware(t, httpaudit.Options{TrustedProxies: tc.trusted})
			req := httptest.NewRequest("GET", "/", nil)
			req.RemoteAddr = tc.remote
			for k, vs := range tc.header {
				for _, v := range vs {
					req.Header.Add(k, v)
				}
			}
			m.Wrap(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), req)
			drain(t, m)
			require.Len(t, c.records(), 1)
			assert.Equal(t, tc.want, c.records()[0].SourceIPAddress)
		})
	}
}

func TestPanicYieldsRecordAndPanicsAgain(t *testing.T) {
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		value    any
		status   int
		code     string
		contains string
	}{
		{"panic before writing", func(w http.ResponseWriter, r *http.Request) { panic("boom") },
			"boom", 500, "InternalError", "handler panic: boom"},
		{"panic after writing the header", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusAccepted)
			panic(errors.New("late failure"))
		}, nil, 202, "InternalError", "late failure"},
		{"abort", func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) },
			http.ErrAbortHandler, 500, "RequestAborted", "aborted"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, c := newMiddleware(t, httpaudit.Options{})
			h := m.Wrap(tc.handler)
			req := httptest.NewRequest("PUT", "/things/1", nil)
			got := func() (v any) {
				defer func() { v = recover() }()
				h.ServeHTTP(httptest.NewRecorder(), req)
				return nil
			}()
			require.NotNil(t, got, "the panic is raised again")
			if tc.value != nil {
				assert.Equal(t, tc.value, got)
			}
			drain(t, m)
			recs := c.records()
			require.Len(t, recs, 1)
			assert.Equal(t, tc.code, recs[0].ErrorCode)
			assert.Contains(t, recs[0].ErrorMessage, tc.contains)
			assert.Nil(t, recs[0].ResponseElements)
			assert.Equal(t, uint64(1), m.Stats().Panics)
		})
	}

	// Through a real server: net/http recovers, the client sees the
	// connection close, the record is there.
	m, c := newMiddleware(t, httpaudit.Options{})
	srv := httptest.NewUnstartedServer(m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("in server") })))
	srv.Config.ErrorLog = nil
	srv.Config.ErrorLog = discardLogger()
	srv.Start()
	defer srv.Close()
	_, err := srv.Client().Get(srv.URL + "/p")
	require.Error(t, err)
	drain(t, m)
	require.Len(t, c.records(), 1)
	assert.Equal(t, "handler panic: in server", c.records()[0].ErrorMessage)
}

func TestHugeBody(t *testing.T) {
	const size = 64 << 20 // 64 MiB, streamed: never held whole
	tests := []struct {
		name    string
		handler http.HandlerFunc
		status  int
		params  string
	}{
		{"handler reads it all", func(w http.ResponseWriter, r *http.Request) {
			n, err := io.Copy(io.Discard, r.Body)
			if err != nil || n != size {
				http.Error(w, fmt.Sprint(n, err), 500)
			}
		}, 200, `{"omitted":true}`},
		{"handler limits it", func(w http.ResponseWriter, r *http.Request) {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			}
		}, 413, `{"omitted":true}`},
		{"handler does not read it", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusUnsupportedMediaType)
		}, 415, "null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, c := newMiddleware(t, httpaudit.Options{RequestParameters: httpaudit.JSONBody(), MaxBodyBytes: 1 << 10})
			srv := httptest.NewServer(m.Wrap(tc.handler))
			defer srv.Close()
			body := io.MultiReader(strings.NewReader(`{"data":"`), io.LimitReader(repeatReader('x'), size-11), strings.NewReader(`"}`))
			resp, err := srv.Client().Post(srv.URL+"/upload", "application/json", body)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, tc.status, resp.StatusCode)
			drain(t, m)
			require.Len(t, c.records(), 1)
			assert.Equal(t, tc.params, string(c.records()[0].RequestParameters))
		})
	}
}

type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

func TestInvalidUTF8InHeaders(t *testing.T) {
	m, c := newMiddleware(t, httpaudit.Options{})
	srv := httptest.NewServer(m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	// Raw bytes: Go's client would not send them, other clients do.
	_, err = io.WriteString(conn, "GET /x HTTP/1.1\r\nHost: example.com\r\nUser-Agent: agent\xff\xfe/1\r\nX-Request-Id: id-\xe2\x82\r\nConnection: close\r\n\r\n")
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	drain(t, m)
	require.Len(t, c.records(), 1)
	rec := c.records()[0]
	assert.Equal(t, "agent\uFFFD/1", rec.UserAgent, "a run of bad bytes becomes one U+FFFD")
	assert.Equal(t, "id-\uFFFD", rec.RequestID)
	out := rec.AppendJSON(nil)
	assert.True(t, json.Valid(out), "%s", out)
	var back event.Record
	require.NoError(t, event.Unmarshal(out, &back))
	assert.Equal(t, rec.UserAgent, back.UserAgent)
}

func TestClientDisconnect(t *testing.T) {
	m, c := newMiddleware(t, httpaudit.Options{})
	started := make(chan struct{})
	srv := httptest.NewServer(m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done() // the client goes away while the work goes on
	})))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "POST", srv.URL+"/slow", nil)
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-started
	cancel()
	require.Error(t, <-errc)
	require.Eventually(t, func() bool { return m.Stats().Requests == 1 && m.Stats().Queued == 0 && len(c.records()) == 1 },
		5*time.Second, 10*time.Millisecond)
	drain(t, m)
	rec := c.records()[0]
	assert.Equal(t, `{"clientDisconnected":true}`, string(rec.AdditionalEventData))
	assert.Equal(t, "Post", rec.EventName, "no ServeMux: the method alone")
	assert.NoError(t, rec.Validate())
}

func TestSlowEmitterDoesNotDelayResponses(t *testing.T) {
	gate := make(chan struct{})
	c := &collector{gate: gate}
	m, _ := newMiddleware(t, httpaudit.Options{Emitter: c, QueueSize: 64})
	srv := httptest.NewServer(m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	defer srv.Close()
	for range 20 {
		start := time.Now()
		resp, err := srv.Client().Get(srv.URL)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Less(t, time.Since(start), time.Second, "the response does not wait for the Emitter")
	}
	assert.Equal(t, uint64(0), m.Stats().Emitted)
	close(gate)
	drain(t, m)
	assert.Len(t, c.records(), 20)
	assert.Equal(t, uint64(20), m.Stats().Emitted)
}

func TestFullQueue(t *testing.T) {
	tests := []struct {
		name    string
		opts    httpaudit.Options
		dropped uint64
	}{
		{"drop", httpaudit.Options{Overflow: httpaudit.Drop}, 7},
		{"block with a timeout", httpaudit.Options{Overflow: httpaudit.Block, BlockTimeout: 20 * time.Millisecond}, 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gate := make(chan struct{})
			c := &collector{gate: gate}
			var mu sync.Mutex
			var reported []*httpaudit.Error
			opts := tc.opts
			opts.Emitter = c
			opts.QueueSize = 2
			opts.OnError = func(e *httpaudit.Error) { mu.Lock(); reported = append(reported, e); mu.Unlock() }
			m, _ := newMiddleware(t, opts)
			h := m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			// One record is held by the worker, two wait in the queue, the
			// other seven find it full.
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			require.Eventually(t, func() bool { return m.Stats().Queued == 0 }, time.Second, time.Millisecond)
			for range 9 {
				h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
			}
			st := m.Stats()
			assert.Equal(t, tc.dropped, st.Dropped)
			mu.Lock()
			require.Len(t, reported, int(tc.dropped))
			for _, e := range reported {
				assert.Equal(t, "drop", e.Op)
				assert.ErrorIs(t, e, httpaudit.ErrQueueFull)
				require.NotNil(t, e.Record)
				assert.NotEmpty(t, e.Record.EventID, "a dropped record is complete, to be kept elsewhere")
			}
			mu.Unlock()
			close(gate)
			drain(t, m)
			assert.Len(t, c.records(), 3)
			assert.Equal(t, uint64(10), st.Requests)
		})
	}
}

func TestBlockWaitsForRoom(t *testing.T) {
	gate := make(chan struct{})
	c := &collector{gate: gate}
	m, _ := newMiddleware(t, httpaudit.Options{Emitter: c, QueueSize: 1})
	h := m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	require.Eventually(t, func() bool { return m.Stats().Queued == 0 }, time.Second, time.Millisecond)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) // fills the queue
	done := make(chan struct{})
	go func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		close(done)
	}()
	require.Eventually(t, func() bool { return m.Stats().Blocked == 1 }, 5*time.Second, time.Millisecond,
		"a full queue with Block makes the request wait")
	select {
	case <-done:
		t.Fatal("the request returned while the queue was full")
	default:
	}
	close(gate)
	<-done
	drain(t, m)
	assert.Len(t, c.records(), 3)
	assert.Equal(t, uint64(1), m.Stats().Blocked)
	assert.Zero(t, m.Stats().Dropped)
}

func TestEmitErrorsAreReported(t *testing.T) {
	var mu sync.Mutex
	var reported []*httpaudit.Error
	c := &collector{fail: errors.New("trail stopped")}
	m, _ := newMiddleware(t, httpaudit.Options{Emitter: c,
		OnError: func(e *httpaudit.Error) { mu.Lock(); reported = append(reported, e); mu.Unlock() }})
	m.Wrap(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	drain(t, m)
	assert.Equal(t, uint64(1), m.Stats().Failed)
	require.Len(t, reported, 1)
	assert.Equal(t, "emit", reported[0].Op)
	assert.ErrorContains(t, reported[0], "trail stopped")
	assert.Contains(t, reported[0].Error(), reported[0].Record.EventID)
}

func TestAfterCloseEmitsInline(t *testing.T) {
	m, c := newMiddleware(t, httpaudit.Options{})
	drain(t, m)
	m.Wrap(http.NotFoundHandler()).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	assert.Len(t, c.records(), 1, "emitted before ServeHTTP returned")
}

func TestRedactionAndSize(t *testing.T) {
	m, c := newMiddleware(t, httpaudit.Options{
		Redactor:          redact.MustNew("requestParameters.password", "responseElements.token"),
		RequestParameters: httpaudit.JSONBody(),
	})
	h := m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path == "/big" {
			httpaudit.SetResponseElements(r.Context(), json.RawMessage(`{"blob":"`+strings.Repeat("b", 300<<10)+`"}`))
			return
		}
		httpaudit.SetResponseElements(r.Context(), json.RawMessage(`{"token":"t0k3n","ok":true}`))
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/login", strings.NewReader(`{"user":"a","password":"p"}`)))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/big", nil))
	drain(t, m)
	recs := c.records()
	require.Len(t, recs, 2)
	assert.Equal(t, `{"user":"a","password":"HIDDEN_DUE_TO_SECURITY_REASONS"}`, string(recs[0].RequestParameters))
	assert.Equal(t, `{"token":"HIDDEN_DUE_TO_SECURITY_REASONS","ok":true}`, string(recs[0].ResponseElements))
	assert.Equal(t, `{"omitted":true}`, string(recs[1].ResponseElements))
	assert.Equal(t, uint64(1), m.Stats().Truncated)
}

func TestDecoderErrors(t *testing.T) {
	var mu sync.Mutex
	var reported []*httpaudit.Error
	m, c := newMiddleware(t, httpaudit.Options{
		RequestParameters: httpaudit.JSONBody(),
		OnError:           func(e *httpaudit.Error) { mu.Lock(); reported = append(reported, e); mu.Unlock() },
	})
	h := m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.ReadAll(r.Body) }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/", strings.NewReader(`[1,2]`)))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/", strings.NewReader(`{"a":`)))
	drain(t, m)
	require.Len(t, c.records(), 2)
	for _, r := range c.records() {
		assert.Equal(t, "null", string(r.RequestParameters))
	}
	assert.Equal(t, uint64(2), m.Stats().DecodeErrors)
	require.Len(t, reported, 2)
	assert.Equal(t, "decode", reported[0].Op)
}

func TestWriterPassesThrough(t *testing.T) {
	m, c := newMiddleware(t, httpaudit.Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /stream", func(w http.ResponseWriter, r *http.Request) {
		f, ok := w.(http.Flusher)
		if !ok {
			http.Error(w, "no flusher", 500)
			return
		}
		io.WriteString(w, "a")
		f.Flush()
		io.WriteString(w, "b")
	})
	mux.HandleFunc("GET /hijack", func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
		rw.Flush()
	})
	srv := httptest.NewServer(m.Wrap(mux))
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/stream")
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, "ab", string(b))
	resp, err = srv.Client().Get(srv.URL + "/hijack")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 101, resp.StatusCode)
	drain(t, m)
	// The client has its 101 before the hijacking handler returns; the
	// record follows (emitted inline, after Close).
	require.Eventually(t, func() bool { return len(c.records()) == 2 }, 5*time.Second, 5*time.Millisecond)
	for _, r := range c.records() {
		assert.Empty(t, r.ErrorCode, r.EventName)
	}
}

func TestOptionsValidation(t *testing.T) {
	_, err := httpaudit.New(httpaudit.Options{EventSource: "x"})
	assert.ErrorContains(t, err, "Emitter")
	_, err = httpaudit.New(httpaudit.Options{Emitter: &collector{}})
	assert.ErrorContains(t, err, "EventSource")
	_, err = httpaudit.New(httpaudit.Options{Emitter: &collector{}, EventSource: "x", Overflow: 7})
	assert.ErrorContains(t, err, "Overflow")
}

func TestEventName(t *testing.T) {
	tests := []struct{ method, pattern, want string }{
		{"GET", "GET /orders", "GetOrders"},
		{"GET", "GET /orders/{id}", "GetOrdersId"},
		{"POST", "POST /orders/{id}/line-items", "PostOrdersIdLineItems"},
		{"DELETE", "/files/{path...}", "DeleteFilesPath"},
		{"GET", "GET /{$}", "GetRoot"},
		{"GET", "/", "GetRoot"},
		{"PUT", "PUT api.example.com/v1/users/{user_id}", "PutV1UsersUserId"},
		{"PATCH", "", "Patch"},
		{"GET", "HEAD /docs/", "GetDocs"},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, httpaudit.EventName(tc.method, tc.pattern), "%s %q", tc.method, tc.pattern)
	}
}

func TestFromContextOutsideMiddleware(t *testing.T) {
	ctx := context.Background()
	assert.Nil(t, httpaudit.FromContext(ctx))
	httpaudit.SetError(ctx, "X", "y") // no effect, no panic
	assert.NoError(t, httpaudit.SetResponse(ctx, 1))
}

func TestIDsAreUUIDs(t *testing.T) {
	m, c := newMiddleware(t, httpaudit.Options{})
	h := m.Wrap(http.NotFoundHandler())
	for range 100 {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}
	drain(t, m)
	seen := map[string]bool{}
	for _, r := range c.records() {
		for _, id := range []string{r.EventID, r.RequestID} {
			u, err := uuid.Parse(id)
			require.NoError(t, err)
			assert.Equal(t, uuid.Version(4), u.Version())
			assert.Equal(t, uuid.RFC4122, u.Variant())
			assert.False(t, seen[id], "duplicate id %s", id)
			seen[id] = true
		}
	}
	assert.Len(t, seen, 200)
}

func TestPanickingCallbacksKeepTheRecord(t *testing.T) {
	var mu sync.Mutex
	var reported []*httpaudit.Error
	m, c := newMiddleware(t, httpaudit.Options{
		EventSource:       "orders.example.com",
		Name:              func(r *http.Request) (string, string) { panic("name") },
		Identity:          func(r *http.Request) *event.UserIdentity { panic("identity") },
		RequestID:         func(r *http.Request) string { panic("request id") },
		RequestParameters: func(r *http.Request, b httpaudit.Body) (json.RawMessage, error) { panic("decoder") },
		OnError:           func(e *httpaudit.Error) { mu.Lock(); reported = append(reported, e); mu.Unlock() },
	})
	m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})).
		ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	drain(t, m)
	require.Len(t, c.records(), 1)
	rec := c.records()[0]
	assert.Equal(t, "orders.example.com", rec.EventSource, "the defaults stand in for a panicking Name")
	assert.Equal(t, "Get", rec.EventName)
	assert.Equal(t, "Unknown", rec.UserIdentity.Type)
	assert.Equal(t, "null", string(rec.RequestParameters))
	assert.NotEmpty(t, rec.RequestID)
	st := m.Stats()
	assert.Equal(t, uint64(3), st.CallbackPanics)
	assert.Equal(t, uint64(1), st.DecodeErrors)
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, reported, 4)
	assert.ErrorContains(t, reported[0], "the Name function panicked: name")
}

func TestCloseHonoursItsContextWithAStuckEmitter(t *testing.T) {
	gate := make(chan struct{})
	c := &collector{gate: gate}
	m, _ := newMiddleware(t, httpaudit.Options{Emitter: c, QueueSize: 1})
	h := m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) // held by the worker
	require.Eventually(t, func() bool { return m.Stats().Queued == 0 }, time.Second, time.Millisecond)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) // fills the queue
	blocked := make(chan struct{})
	go func() {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil)) // waits for room
		close(blocked)
	}()
	require.Eventually(t, func() bool { return m.Stats().Blocked == 1 }, time.Second, time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := m.Close(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), 2*time.Second)

	close(gate) // the Emitter recovers: every record is emitted, none lost
	<-blocked
	require.NoError(t, m.Close(context.Background()))
	assert.Len(t, c.records(), 3)
	assert.Zero(t, m.Stats().Dropped)
}

func TestDecoders(t *testing.T) {
	type input struct {
		Name   string `json:"name"`
		Secret string `json:"secret" trailkit:"sensitive"`
	}
	mux := http.NewServeMux()
	tests := []struct {
		name    string
		decoder httpaudit.Decoder
		target  string
		body    httpaudit.Body
		want    string
		wantErr string
	}{
		{"query", httpaudit.Query(), "/q?a=1&b=x&b=y", httpaudit.Body{}, `{"a":"1","b":["x","y"]}`, ""},
		{"no query", httpaudit.Query(), "/q", httpaudit.Body{}, "", ""},
		{"path values", httpaudit.PathValues(), "/items/7/parts/rest/of/it", httpaudit.Body{}, `{"id":"7","path":"rest/of/it"}`, ""},
		{"json body", httpaudit.JSONBody(), "/q", httpaudit.Body{Bytes: []byte(" {\"a\" : 1} ")}, `{"a":1}`, ""},
		{"json body truncated", httpaudit.JSONBody(), "/q", httpaudit.Body{Bytes: []byte(`{"a":`), Truncated: true}, `{"omitted":true}`, ""},
		{"json body not an object", httpaudit.JSONBody(), "/q", httpaudit.Body{Bytes: []byte(`"s"`)}, "", "not a JSON object"},
		{"typed", httpaudit.Typed[input](), "/q", httpaudit.Body{Bytes: []byte(`{"name":"n","secret":"s","extra":1}`)},
			`{"name":"n","secret":"HIDDEN_DUE_TO_SECURITY_REASONS"}`, ""},
		{"typed bad", httpaudit.Typed[input](), "/q", httpaudit.Body{Bytes: []byte(`{"name":1}`)}, "", "httpaudit_test.input"},
		{"merge keeps order, later wins", httpaudit.Merge(httpaudit.Query(), httpaudit.JSONBody()), "/q?z=1&a=2",
			httpaudit.Body{Bytes: []byte(`{"a":"body","m":[1]}`)}, `{"a":"body","z":"1","m":[1]}`, ""},
	}
	mux.HandleFunc("/items/{id}/parts/{path...}", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("/q", func(w http.ResponseWriter, r *http.Request) {})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.target, nil)
			_, pattern := mux.Handler(req)
			mux.ServeHTTP(httptest.NewRecorder(), req) // sets the path values
			req.Pattern = pattern
			got, err := tc.decoder(req, tc.body)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
		})
	}
}

// Many clients at once, a small queue and a slowish Emitter: every request
// has its record, once.
func TestConcurrentRequests(t *testing.T) {
	c := &collector{}
	slow := emitterFunc(func(ctx context.Context, r *event.Record) error {
		runtime.Gosched() // let requests queue up behind the workers
		return c.Emit(ctx, r)
	})
	m, _ := newMiddleware(t, httpaudit.Options{Emitter: slow, QueueSize: 8, Workers: 2})
	srv := httptest.NewServer(m.Wrap(ordersMux()))
	defer srv.Close()
	const clients, each = 16, 50
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				resp, err := srv.Client().Get(fmt.Sprintf("%s/orders/%d-%d", srv.URL, i, j))
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}
		}()
	}
	wg.Wait()
	drain(t, m)
	recs := c.records()
	require.Len(t, recs, clients*each)
	ids := map[string]bool{}
	for _, r := range recs {
		ids[r.EventID] = true
		assert.Equal(t, "GetOrdersId", r.EventName)
	}
	assert.Len(t, ids, clients*each)
	assert.Zero(t, m.Stats().Dropped)
}

type emitterFunc func(ctx context.Context, r *event.Record) error

func (f emitterFunc) Emit(ctx context.Context, r *event.Record) error { return f(ctx, r) }

func TestHugeHeaders(t *testing.T) {
	m, c := newMiddleware(t, httpaudit.Options{})
	srv := httptest.NewServer(m.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
	defer srv.Close()
	req, err := http.NewRequest("GET", srv.URL+"/", nil)
	require.NoError(t, err)
	req.Header.Set("User-Agent", strings.Repeat("a", 500<<10))
	req.Header.Set("X-Request-Id", strings.Repeat("r", 300<<10))
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	drain(t, m)
	require.Len(t, c.records(), 1)
	rec := c.records()[0]
	// CloudTrail's 1 KB limit on these fields, in its form.
	assert.Equal(t, strings.Repeat("a", 1023)+"...", rec.UserAgent)
	assert.Equal(t, strings.Repeat("r", 1023)+"...", rec.RequestID)
	assert.Equal(t, uint64(1), m.Stats().Truncated)
	assert.NoError(t, rec.Validate())
}
