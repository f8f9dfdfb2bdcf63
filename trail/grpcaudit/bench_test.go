package grpcaudit_test

import (
	"context"
	"encoding/json"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/benchmeter"
	"github.com/trailkit/trailkit/trail/grpcaudit"
)

// countingEmitter accepts records and counts them: the cost measured is
// the interceptor's, not a trail's.
type countingEmitter struct{ n atomic.Int64 }

func (c *countingEmitter) Emit(context.Context, *event.Record) error {
	c.n.Add(1)
	return nil
}

// BenchmarkUnaryInterceptor measures a unary call of a handler that does
// nothing, bare and through the interceptor, in the same run: the
// difference is the interceptor's cost per call, the emptying of the queue
// included. The call's context carries what a server gives it (peer,
// metadata) and the request is a protobuf message, recorded as
// requestParameters.
func BenchmarkUnaryInterceptor(b *testing.B) {
	ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: &net.TCPAddr{IP: net.IPv4(198, 51, 100, 7), Port: 41234}})
	ctx = metadata.NewIncomingContext(ctx, metadata.Pairs("user-agent", "grpc-go/1.85.0", ":authority", "orders.example.com"))
	req := &healthpb.HealthCheckRequest{Service: "orders"}
	resp := &healthpb.HealthCheckResponse{Status: healthpb.HealthCheckResponse_SERVING}
	handler := func(context.Context, any) (any, error) { return resp, nil }
	info := &grpc.UnaryServerInfo{FullMethod: "/grpc.health.v1.Health/Check"}

	b.Run("bare", func(b *testing.B) {
		b.ReportAllocs()
		cpu := startCPU(b)
		for b.Loop() {
			if _, err := handler(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b)
	})
	// "audited" records no requestParameters, as trail/httpaudit's
	// benchmark; "audited-protojson" records the request as protojson, the
	// default.
	noParams := func(context.Context, string, any) (json.RawMessage, error) { return nil, nil }
	for _, tc := range []struct {
		name   string
		params func(context.Context, string, any) (json.RawMessage, error)
	}{{"audited", noParams}, {"audited-protojson", nil}} {
		b.Run(tc.name, func(b *testing.B) { benchAudited(b, ctx, req, info, handler, tc.params) })
	}
}

func benchAudited(b *testing.B, ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler,
	params func(context.Context, string, any) (json.RawMessage, error)) {
	em := &countingEmitter{}
	a, err := grpcaudit.New(grpcaudit.Options{Emitter: em, Region: "eu-west-1", AccountID: "111122223333", RequestParameters: params})
	if err != nil {
		b.Fatal(err)
	}
	intercept := a.Unary()
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPU(b)
	// A counted loop, not b.Loop: the timer keeps running after it, so
	// that emptying the queue is measured too.
	for range b.N {
		if _, err := intercept(ctx, req, info, handler); err != nil {
			b.Fatal(err)
		}
	}
	if err := a.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	cpu.report(b)
	if em.n.Load() != int64(b.N) {
		b.Fatalf("emitted %d records for %d calls", em.n.Load(), b.N)
	}
}

// BenchmarkServer measures a real unary call over loopback TCP to the
// health service, bare and audited, in the same run.
func BenchmarkServer(b *testing.B) {
	run := func(b *testing.B, opts ...grpc.ServerOption) {
		srv := grpc.NewServer(opts...)
		healthpb.RegisterHealthServer(srv, health.NewServer())
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		go func() { _ = srv.Serve(l) }()
		defer srv.Stop()
		conn, err := grpc.NewClient(l.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		client := healthpb.NewHealthClient(conn)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := client.Check(ctx, &healthpb.HealthCheckRequest{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("bare", func(b *testing.B) { run(b) })
	b.Run("audited", func(b *testing.B) {
		a, err := grpcaudit.New(grpcaudit.Options{Emitter: &countingEmitter{}, Region: "eu-west-1", AccountID: "111122223333"})
		if err != nil {
			b.Fatal(err)
		}
		defer a.Close(context.Background())
		run(b, grpc.ChainUnaryInterceptor(a.Unary()))
	})
}

// cpuClock measures the CPU time of the whole process (every thread: the
// queue's workers run on others), which a loaded machine inflates far less
// than wall time. It is reported as cpu-ns/op.
type cpuClock struct{ start time.Duration }

func startCPU(b *testing.B) cpuClock { return cpuClock{start: benchmeter.CPUTime(b)} }

func (c cpuClock) report(b *testing.B) {
	b.ReportMetric(float64(benchmeter.CPUTime(b)-c.start)/float64(b.N), "cpu-ns/op")
}
