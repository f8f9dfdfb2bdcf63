package grpcaudit_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"math/big"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/trail/grpcaudit"
)

// collector is an Emitter keeping what it is given.
type collector struct {
	mu      sync.Mutex
	recs    []*event.Record
	emitted chan struct{} // if set, told of each record
}

func (c *collector) Emit(_ context.Context, r *event.Record) error {
	c.mu.Lock()
	c.recs = append(c.recs, r)
	c.mu.Unlock()
	if c.emitted != nil {
		c.emitted <- struct{}{}
	}
	return nil
}

func (c *collector) records() []*event.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*event.Record(nil), c.recs...)
}

// server runs the gRPC health service, audited, on a loopback port, and
// returns a client connection to it.
func server(t *testing.T, opts grpcaudit.Options, serverOpts ...grpc.ServerOption) (*grpcaudit.Auditor, *health.Server, string) {
	t.Helper()
	a, err := grpcaudit.New(opts)
	require.NoError(t, err)
	srv := grpc.NewServer(append(serverOpts,
		grpc.ChainUnaryInterceptor(a.Unary()), grpc.ChainStreamInterceptor(a.Stream()))...)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Stop()
		assert.NoError(t, <-served)
	})
	return a, hs, l.Addr().String()
}

func dial(t *testing.T, addr string, creds credentials.TransportCredentials) healthpb.HealthClient {
	t.Helper()
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds), grpc.WithUserAgent("orders-cli/1.2"))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, conn.Close()) })
	return healthpb.NewHealthClient(conn)
}

func closeAuditor(t *testing.T, a *grpcaudit.Auditor) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, a.Close(ctx))
}

func TestUnaryCalls(t *testing.T) {
	c := &collector{}
	a, hs, addr := server(t, grpcaudit.Options{
		Emitter: c, Region: "eu-west-1", AccountID: "111122223333",
		Identity: func(ctx context.Context, _ string) *event.UserIdentity {
			md, _ := metadata.FromIncomingContext(ctx)
			if v := md.Get("x-caller"); len(v) > 0 {
				return &event.UserIdentity{Type: "IAMUser", AccountID: "111122223333", UserName: v[0]}
			}
			return nil
		},
	})
	hs.SetServingStatus("orders", healthpb.HealthCheckResponse_SERVING)
	client := dial(t, addr, insecure.NewCredentials())
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-caller", "alice", "x-request-id", "req-1")
	_, err := client.Check(ctx, &healthpb.HealthCheckRequest{Service: "orders"})
	require.NoError(t, err)
	_, err = client.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "no-such-service"})
	require.Equal(t, codes.NotFound, status.Code(err))
	closeAuditor(t, a)

	recs := c.records()
	require.Len(t, recs, 2)
	ok, failed := recs[0], recs[1]
	assert.Equal(t, "grpc.health.v1.Health", ok.EventSource)
	assert.Equal(t, "Check", ok.EventName)
	assert.Equal(t, "eu-west-1", ok.AWSRegion)
	assert.Equal(t, "127.0.0.1", ok.SourceIPAddress)
	assert.Contains(t, ok.UserAgent, "orders-cli/1.2")
	assert.Equal(t, "req-1", ok.RequestID)
	require.NotNil(t, ok.UserIdentity)
	assert.Equal(t, "alice", ok.UserIdentity.UserName)
	require.NotNil(t, ok.ReadOnly)
	assert.True(t, *ok.ReadOnly, "Check reads")
	assert.JSONEq(t, `{"service":"orders"}`, string(ok.RequestParameters))
	assert.Equal(t, "null", string(ok.ResponseElements))
	assert.Empty(t, ok.ErrorCode)
	assert.Equal(t, "111122223333", ok.RecipientAccountID)
	assert.NotEmpty(t, ok.EventID)
	assert.NoError(t, ok.Validate(), "a complete CloudTrail record")

	assert.Equal(t, "NotFound", failed.ErrorCode)
	assert.Equal(t, "unknown service", failed.ErrorMessage)
	assert.Nil(t, failed.ResponseElements)
	assert.Equal(t, "Unknown", failed.UserIdentity.Type, "no identity said")
	assert.NotEmpty(t, failed.RequestID, "a generated request id")
	assert.Equal(t, uint64(2), a.Stats().Calls)
	assert.Equal(t, uint64(2), a.Stats().Emitted)
}

func TestStreamCall(t *testing.T) {
	c := &collector{emitted: make(chan struct{}, 1)}
	a, hs, addr := server(t, grpcaudit.Options{Emitter: c, Region: "eu-west-1", AccountID: "111122223333", EventSource: "health.example.com"})
	hs.SetServingStatus("orders", healthpb.HealthCheckResponse_SERVING)
	client := dial(t, addr, insecure.NewCredentials())
	ctx, cancel := context.WithCancel(context.Background())
	w, err := client.Watch(ctx, &healthpb.HealthCheckRequest{Service: "orders"})
	require.NoError(t, err)
	_, err = w.Recv()
	require.NoError(t, err)
	cancel()
	_, err = w.Recv()
	require.Equal(t, codes.Canceled, status.Code(err))
	// The server's handler returns once it sees the cancellation, and its
	// record is emitted then.
	select {
	case <-c.emitted:
	case <-time.After(10 * time.Second):
		t.Fatal("no record of the stream within 10 s of its cancellation")
	}
	closeAuditor(t, a)

	rec := c.records()[0]
	assert.Equal(t, "health.example.com", rec.EventSource)
	assert.Equal(t, "Watch", rec.EventName)
	assert.Equal(t, "null", string(rec.RequestParameters), "a stream's messages are not recorded")
	var extra struct {
		Stream struct {
			ClientStreaming, ServerStreaming bool
			MessagesReceived, MessagesSent   int
		} `json:"stream"`
	}
	require.NoError(t, json.Unmarshal(rec.AdditionalEventData, &extra))
	assert.True(t, extra.Stream.ServerStreaming)
	assert.False(t, extra.Stream.ClientStreaming)
	assert.Equal(t, 1, extra.Stream.MessagesReceived, "the request")
	assert.GreaterOrEqual(t, extra.Stream.MessagesSent, 1)
	assert.Equal(t, "Canceled", rec.ErrorCode)
}

func TestTLSDetails(t *testing.T) {
	cert := selfSigned(t)
	c := &collector{}
	a, _, addr := server(t, grpcaudit.Options{Emitter: c, Region: "eu-west-1", AccountID: "111122223333"},
		grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}})))
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	client := dial(t, addr, credentials.NewTLS(&tls.Config{RootCAs: pool, ServerName: "orders.example.com"}))
	_, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	closeAuditor(t, a)
	rec := c.records()[0]
	require.NotNil(t, rec.TLSDetails)
	assert.Equal(t, "TLSv1.3", rec.TLSDetails.TLSVersion)
	assert.Equal(t, "TLS_AES_128_GCM_SHA256", rec.TLSDetails.CipherSuite)
	assert.NotEmpty(t, rec.TLSDetails.KeyExchange)
}

func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "orders.example.com"},
		DNSNames: []string{"orders.example.com"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// The interceptors are called directly below, as a server calls them.

var checkInfo = &grpc.UnaryServerInfo{FullMethod: "/acme.orders.v1.Orders/CreateOrder"}

func TestHandlerSetsFields(t *testing.T) {
	c := &collector{}
	a, err := grpcaudit.New(grpcaudit.Options{Emitter: c, Region: "eu-west-1", AccountID: "111122223333"})
	require.NoError(t, err)
	_, err = a.Unary()(context.Background(), "not a proto message", checkInfo, func(ctx context.Context, req any) (any, error) {
		rec := grpcaudit.FromContext(ctx)
		rec.UserIdentity = &event.UserIdentity{Type: "AssumedRole", AccountID: "111122223333"}
		rec.ResponseElements = json.RawMessage(`{"orderId":"o-1"}`)
		return nil, nil
	})
	require.NoError(t, err)
	assert.Nil(t, grpcaudit.FromContext(context.Background()), "outside a call")
	closeAuditor(t, a)
	rec := c.records()[0]
	assert.Equal(t, "acme.orders.v1.Orders", rec.EventSource)
	assert.Equal(t, "CreateOrder", rec.EventName)
	assert.False(t, *rec.ReadOnly, "CreateOrder writes")
	assert.Equal(t, "AssumedRole", rec.UserIdentity.Type)
	assert.JSONEq(t, `{"orderId":"o-1"}`, string(rec.ResponseElements))
	assert.Equal(t, "null", string(rec.RequestParameters), "not a proto message")
	assert.Empty(t, rec.SourceIPAddress, "no peer")
}

func TestPanickingHandlerIsRecordedAndRaised(t *testing.T) {
	c := &collector{}
	a, err := grpcaudit.New(grpcaudit.Options{Emitter: c, AccountID: "111122223333"})
	require.NoError(t, err)
	assert.PanicsWithValue(t, "boom", func() {
		_, _ = a.Unary()(context.Background(), nil, checkInfo, func(context.Context, any) (any, error) { panic("boom") })
	})
	closeAuditor(t, a)
	rec := c.records()[0]
	assert.Equal(t, "InternalError", rec.ErrorCode)
	assert.Equal(t, "handler panic: boom", rec.ErrorMessage)
	assert.Equal(t, uint64(1), a.Stats().Panics)
}

func TestPlainErrorAndCallbacks(t *testing.T) {
	c := &collector{}
	var errs []*grpcaudit.Error
	a, err := grpcaudit.New(grpcaudit.Options{
		Emitter: c, AccountID: "111122223333",
		Identity:          func(context.Context, string) *event.UserIdentity { panic("identity") },
		RequestParameters: func(context.Context, string, any) (json.RawMessage, error) { return nil, errors.New("bad request") },
		OnError:           func(e *grpcaudit.Error) { errs = append(errs, e) },
	})
	require.NoError(t, err)
	_, err = a.Unary()(context.Background(), nil, checkInfo, func(context.Context, any) (any, error) {
		return nil, errors.New("database down")
	})
	require.EqualError(t, err, "database down", "the handler's error is returned as it was")
	closeAuditor(t, a)
	rec := c.records()[0]
	assert.Equal(t, "Unknown", rec.ErrorCode, "a plain error is codes.Unknown")
	assert.Equal(t, "database down", rec.ErrorMessage)
	assert.Equal(t, "Unknown", rec.UserIdentity.Type, "a panicking Identity leaves the default")
	require.Len(t, errs, 2)
	assert.Equal(t, "decode", errs[0].Op)
	assert.Equal(t, "callback", errs[1].Op)
	st := a.Stats()
	assert.Equal(t, uint64(1), st.DecodeErrors)
	assert.Equal(t, uint64(1), st.CallbackPanics)
}

// blocking is an Emitter that waits until released.
type blocking struct {
	release chan struct{}
	collector
}

func (b *blocking) Emit(ctx context.Context, r *event.Record) error {
	<-b.release
	return b.collector.Emit(ctx, r)
}

func TestFullQueueDropsAndCounts(t *testing.T) {
	b := &blocking{release: make(chan struct{})}
	dropped := make(chan *grpcaudit.Error, 10)
	a, err := grpcaudit.New(grpcaudit.Options{
		Emitter: b, AccountID: "111122223333", QueueSize: 1, Overflow: grpcaudit.Drop,
		OnError: func(e *grpcaudit.Error) { dropped <- e },
	})
	require.NoError(t, err)
	noop := func(context.Context, any) (any, error) { return nil, nil }
	for range 5 {
		_, err := a.Unary()(context.Background(), nil, checkInfo, noop)
		require.NoError(t, err)
	}
	// One record is with the (blocked) worker or queued, one queued; the
	// rest dropped. Which depends on when the worker took the first.
	st := a.Stats()
	assert.GreaterOrEqual(t, st.Dropped, uint64(3))
	for range st.Dropped {
		e := <-dropped
		assert.ErrorIs(t, e, grpcaudit.ErrQueueFull)
		assert.Equal(t, "drop", e.Op)
	}
	close(b.release)
	closeAuditor(t, a)
	assert.Equal(t, 5, len(b.records())+int(st.Dropped), "every record emitted or reported")
}

func TestOptions(t *testing.T) {
	_, err := grpcaudit.New(grpcaudit.Options{})
	assert.EqualError(t, err, "new gRPC auditor: Options.Emitter is required")
	_, err = grpcaudit.New(grpcaudit.Options{Emitter: &collector{}, Overflow: 7})
	assert.ErrorContains(t, err, "unknown Overflow 7")
}

func TestTrustedProxy(t *testing.T) {
	c := &collector{}
	a, _, addr := server(t, grpcaudit.Options{
		Emitter: c, AccountID: "111122223333",
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	})
	client := dial(t, addr, insecure.NewCredentials())
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-forwarded-for", "203.0.113.7, 127.0.0.2")
	_, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	closeAuditor(t, a)
	assert.Equal(t, "203.0.113.7", c.records()[0].SourceIPAddress, "hops of trusted proxies are skipped")
}
