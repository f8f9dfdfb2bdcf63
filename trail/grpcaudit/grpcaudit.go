// Package grpcaudit keeps a CloudTrail-style audit trail of a gRPC
// service's own API: server interceptors turn each call, unary or
// streaming, into an [event.Record] emitted to a trail (or any [Emitter])
// after the handler returns.
//
//	audit, err := grpcaudit.New(grpcaudit.Options{
//		Emitter:   tr, // a *trail.Trail
//		Region:    "eu-west-1",
//		AccountID: "111122223333",
//		Identity:  callerFromMetadata,
//	})
//	...
//	srv := grpc.NewServer(
//		grpc.ChainUnaryInterceptor(audit.Unary()),
//		grpc.ChainStreamInterceptor(audit.Stream()),
//	)
//	...
//	audit.Close(ctx) // emits what is queued
//
// # The record
//
// Fields come from the call and its outcome, as trail/httpaudit takes them
// from an HTTP request:
//
//   - eventSource and eventName: Options.Name, or Options.EventSource (the
//     gRPC service's full name, "acme.orders.v1.Orders", when empty) and the
//     method's name ("CreateOrder");
//   - userIdentity: Options.Identity, or what the handler sets through
//     [FromContext]; type "Unknown" when neither says;
//   - sourceIPAddress: the peer's address; the x-forwarded-for metadata only
//     when the peer is one of Options.TrustedProxies;
//   - userAgent (the user-agent metadata), requestID (x-request-id, else a
//     random UUID), readOnly (Options.ReadOnly; by default a method whose
//     name starts with Get, List, Describe, Lookup, Search, Head, Watch or
//     Check);
//   - requestParameters: Options.RequestParameters given the request
//     message of a unary call (default: the message as protojson, with
//     CloudTrail's lowerCamelCase names); null for streams, which record
//     their message counts in additionalEventData instead;
//   - errorCode and errorMessage from the handler's status: the code's
//     name ("NotFound", "PermissionDenied") and its message;
//     responseElements null, unless the handler sets them through
//     [FromContext];
//   - tlsDetails from the connection's TLS state, with CloudTrail's names;
//   - eventTime (when the handler returned), eventID, eventVersion 1.11,
//     eventType AwsApiCall, a management event, recipientAccountId.
//
// A handler that panics still yields a record, with errorCode
// InternalError; the panic is then raised again.
//
// # Not delaying the response
//
// The interceptor only queues the record; worker goroutines redact it, cut
// it to CloudTrail's 256 KB and call the Emitter. A full queue blocks
// (Overflow Block, the default, optionally for at most BlockTimeout) or
// drops (Drop); every record not emitted is counted in [Stats] and handed
// to OnError with the record, never lost silently. This is the queue of
// trail/httpaudit, with the same options.
package grpcaudit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/event/redact"
	"github.com/trailkit/trailkit/internal/auditq"
)

// Emitter receives the records the interceptors build. *trail.Trail is one.
type Emitter = auditq.Emitter

// Overflow says what happens to a record when the queue is full.
type Overflow = auditq.Overflow

const (
	// Block makes the call wait for room in the queue (for at most
	// Options.BlockTimeout when set, after which the record is dropped and
	// counted).
	Block = auditq.Block
	// Drop drops the record at once, counts it in Stats.Dropped and
	// reports it to OnError.
	Drop = auditq.Drop
)

// ErrQueueFull is the error of a record dropped because the queue was full.
var ErrQueueFull = auditq.ErrQueueFull

// Options configure the interceptors. Emitter is required; the rest have
// defaults.
type Options struct {
	// Emitter receives each record.
	Emitter Emitter

	// EventSource is eventSource for every call, such as
	// "orders.example.com"; empty means the gRPC service's full name.
	EventSource string
	// Name returns eventSource and eventName for a call from its full
	// method name ("/acme.orders.v1.Orders/CreateOrder"). Default:
	// EventSource (or the service) and the method.
	Name func(fullMethod string) (eventSource, eventName string)
	// ReadOnly says whether a method only reads. Default: the method's
	// name starts with Get, List, Describe, Lookup, Search, Head, Watch or
	// Check.
	ReadOnly func(fullMethod string) bool

	// Region is awsRegion; AccountID is recipientAccountId (without it,
	// the identity's account).
	Region, AccountID string

	// Identity returns who made the call, from its context (metadata,
	// peer certificates). Nil, or a nil result, gives "Unknown".
	Identity func(ctx context.Context, fullMethod string) *event.UserIdentity

	// TrustedProxies are the networks of proxies in front of the service;
	// only a call whose peer is in one of them has its x-forwarded-for
	// metadata believed.
	TrustedProxies []netip.Prefix

	// RequestParameters builds requestParameters from a unary call's
	// request message. Default: protojson of a proto.Message, null for
	// anything else.
	RequestParameters func(ctx context.Context, fullMethod string, req any) (json.RawMessage, error)

	// Redactor hides sensitive values before the record is emitted.
	Redactor *redact.Redactor
	// MaxRecordBytes is the size records are cut to; default CloudTrail's
	// 256 KB.
	MaxRecordBytes int

	// QueueSize (default 4096), Workers (default 1), Overflow (default
	// Block), BlockTimeout and EmitTimeout (zero: none) are the queue's, as
	// in trail/httpaudit.
	QueueSize, Workers        int
	Overflow                  Overflow
	BlockTimeout, EmitTimeout time.Duration

	// OnError receives every problem with a record: a failed Emit, a
	// dropped record, a RequestParameters or redaction error, a panicking
	// callback. Default: logged with slog.Default(). Each is also counted.
	OnError func(err *Error)
}

// Error reports a record the interceptors could not build or deliver
// whole: its Op is "emit", "drop", "decode", "redact" or "callback".
type Error = auditq.Error

// Stats counts what the interceptors did.
type Stats struct {
	Calls          uint64 // calls seen, unary and streaming
	Emitted        uint64 // records the Emitter accepted
	Failed         uint64 // records the Emitter refused
	Dropped        uint64 // records dropped on a full queue
	Blocked        uint64 // calls that waited for room in the queue
	Truncated      uint64 // records cut to fit MaxRecordBytes
	DecodeErrors   uint64 // RequestParameters errors
	RedactErrors   uint64 // redaction errors
	Panics         uint64 // handlers that panicked (recorded, then re-raised)
	CallbackPanics uint64 // panics of Name, ReadOnly, Identity or RequestParameters
	Queued         int    // records waiting now
}

// Auditor holds the queue behind the interceptors.
type Auditor struct {
	opts Options
	q    *auditq.Queue

	_                                     [64]byte
	calls, decodeErrors, panics, cbPanics atomic.Uint64
	_                                     [64]byte
}

// New returns an Auditor whose queue workers run until Close.
func New(opts Options) (*Auditor, error) {
	if opts.OnError == nil {
		opts.OnError = func(err *Error) { slog.Default().Error(err.Error()) }
	}
	a := &Auditor{opts: opts}
	qopts := auditq.Options{
		Emitter: opts.Emitter, AccountID: opts.AccountID, Redactor: opts.Redactor,
		MaxRecordBytes: opts.MaxRecordBytes, QueueSize: opts.QueueSize, Workers: opts.Workers,
		Overflow: opts.Overflow, BlockTimeout: opts.BlockTimeout, EmitTimeout: opts.EmitTimeout,
		OnError: a.report,
	}
	if err := qopts.Check("gRPC auditor"); err != nil {
		return nil, err
	}
	a.q = auditq.New(qopts)
	return a, nil
}

// Stats returns the counters.
func (a *Auditor) Stats() Stats {
	q := a.q.Stats()
	return Stats{
		Calls: a.calls.Load(), Emitted: q.Emitted, Failed: q.Failed, Dropped: q.Dropped,
		Blocked: q.Blocked, Truncated: q.Truncated, DecodeErrors: a.decodeErrors.Load(),
		RedactErrors: q.RedactErrors, Panics: a.panics.Load(), CallbackPanics: a.cbPanics.Load(),
		Queued: q.Queued,
	}
}

// Close emits the queued records and stops the workers, waiting at most
// until ctx is done. Calls that end after Close emit their own record.
func (a *Auditor) Close(ctx context.Context) error { return a.q.Close(ctx, "gRPC auditor") }

// call is what one call needs, in one allocation; it is also the
// handler's context, so FromContext finds the record without another
// allocation for context.WithValue.
type call struct {
	context.Context
	rec      event.Record
	readOnly bool
	mgmt     bool
}

type ctxKey struct{}

func (c *call) Value(key any) any {
	if key == (ctxKey{}) {
		return c
	}
	return c.Context.Value(key)
}

// FromContext returns the record being built for the call whose context
// ctx is (or derives from), or nil outside an audited call. A handler sets
// what it knows on it (UserIdentity after authenticating, ResponseElements,
// ErrorCode); the interceptor fills only what is left empty.
func FromContext(ctx context.Context) *event.Record {
	if c, ok := ctx.Value(ctxKey{}).(*call); ok {
		return &c.rec
	}
	return nil
}

// Unary returns the unary server interceptor.
func (a *Auditor) Unary() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		a.calls.Add(1)
		c := &call{Context: ctx}
		defer func() {
			if v := recover(); v != nil {
				a.panics.Add(1)
				a.finish(c, info.FullMethod, nil, v)
				panic(v)
			}
		}()
		c.rec.RequestParameters = a.requestParameters(c, info.FullMethod, req)
		resp, err = handler(c, req)
		a.finish(c, info.FullMethod, err, nil)
		return resp, err
	}
}

// Stream returns the stream server interceptor. A stream's record is
// emitted when the handler returns, with the number of messages received
// and sent in additionalEventData.
func (a *Auditor) Stream() grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		a.calls.Add(1)
		c := &call{Context: ss.Context()}
		s := &stream{ServerStream: ss, ctx: c}
		defer func() {
			if v := recover(); v != nil {
				a.panics.Add(1)
				s.finish(a, info, nil, v)
				panic(v)
			}
		}()
		err = handler(srv, s)
		s.finish(a, info, err, nil)
		return err
	}
}

// stream counts a stream's messages and gives the handler the audited
// context.
type stream struct {
	grpc.ServerStream
	ctx            *call
	received, sent atomic.Int64
}

func (s *stream) Context() context.Context { return s.ctx }

func (s *stream) RecvMsg(m any) error {
	err := s.ServerStream.RecvMsg(m)
	if err == nil {
		s.received.Add(1)
	}
	return err
}

func (s *stream) SendMsg(m any) error {
	err := s.ServerStream.SendMsg(m)
	if err == nil {
		s.sent.Add(1)
	}
	return err
}

func (s *stream) finish(a *Auditor, info *grpc.StreamServerInfo, err error, panicked any) {
	rec := &s.ctx.rec
	if rec.RequestParameters == nil {
		rec.RequestParameters = null
	}
	rec.AdditionalEventData = auditq.AddMember(rec.AdditionalEventData, fmt.Sprintf(
		`"stream":{"clientStreaming":%t,"serverStreaming":%t,"messagesReceived":%d,"messagesSent":%d}`,
		info.IsClientStream, info.IsServerStream, s.received.Load(), s.sent.Load()))
	a.finish(s.ctx, info.FullMethod, err, panicked)
}

var null = json.RawMessage("null")

// finish completes the record from the call and its outcome and queues it.
func (a *Auditor) finish(c *call, fullMethod string, err error, panicked any) {
	rec := &c.rec
	rec.EventTime = time.Now().UTC().Truncate(time.Second)
	if rec.EventSource == "" || rec.EventName == "" {
		source, name := a.name(fullMethod, rec)
		auditq.SetName(rec, source, name)
	}
	if rec.AWSRegion == "" {
		rec.AWSRegion = a.opts.Region
	}
	if rec.SourceIPAddress == "" {
		rec.SourceIPAddress = auditq.ValidUTF8(a.sourceIP(c.Context))
	}
	if rec.UserAgent == "" {
		rec.UserAgent = auditq.ValidUTF8(first(c.Context, "user-agent"))
	}
	if rec.UserIdentity == nil && a.opts.Identity != nil {
		rec.UserIdentity = a.identity(c.Context, fullMethod, rec)
	}
	if rec.UserIdentity == nil {
		rec.UserIdentity = &event.UserIdentity{Type: "Unknown"}
	}
	if rec.RequestID == "" {
		rec.RequestID = auditq.ValidUTF8(first(c.Context, "x-request-id"))
	}
	if rec.ReadOnly == nil {
		c.readOnly = a.readOnly(fullMethod, rec)
		rec.ReadOnly = &c.readOnly
	}
	if rec.ManagementEvent == nil {
		c.mgmt = rec.EventCategory == "" || rec.EventCategory == event.CategoryManagement
		rec.ManagementEvent = &c.mgmt
	}
	if rec.TLSDetails == nil {
		if p, ok := peer.FromContext(c.Context); ok {
			if ti, ok := p.AuthInfo.(credentials.TLSInfo); ok {
				rec.TLSDetails = auditq.TLSDetails(&ti.State, first(c.Context, ":authority"))
			}
		}
	}
	if rec.RequestParameters == nil {
		rec.RequestParameters = null
	}
	outcome(rec, err, panicked)
	c.Context = context.Background() // the record may wait: let go of the call's context
	a.q.Add(rec)
}

// outcome sets errorCode and errorMessage from the status, or
// responseElements null for a success.
func outcome(rec *event.Record, err error, panicked any) {
	switch {
	case rec.ErrorCode != "":
	case panicked != nil:
		rec.ErrorCode = "InternalError"
		rec.ErrorMessage = auditq.ValidUTF8("handler panic: " + fmt.Sprint(panicked))
	case err != nil:
		st, _ := status.FromError(err) // a plain error is codes.Unknown with its text
		rec.ErrorCode = codeName(st.Code())
		rec.ErrorMessage = auditq.ValidUTF8(st.Message())
	}
	if rec.ResponseElements == nil && rec.ErrorCode == "" {
		rec.ResponseElements = null
	}
}

// codeName is a status code's name as a CloudTrail errorCode:
// codes.NotFound is "NotFound", codes.DeadlineExceeded "DeadlineExceeded".
func codeName(c codes.Code) string {
	name := c.String() // "NotFound", or "Code(42)" for unknown codes
	if strings.HasPrefix(name, "Code(") {
		return "Unknown"
	}
	return name
}

// first returns the first value of the call's metadata key. It reads one
// key rather than copying the whole metadata (FromIncomingContext would).
func first(ctx context.Context, key string) string {
	if v := metadata.ValueFromIncomingContext(ctx, key); len(v) > 0 {
		return v[0]
	}
	return ""
}

func (a *Auditor) sourceIP(ctx context.Context) string {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return ""
	}
	var host string
	if tcp, ok := p.Addr.(*net.TCPAddr); ok {
		host = tcp.AddrPort().Addr().Unmap().String()
	} else if h, _, err := net.SplitHostPort(p.Addr.String()); err == nil {
		host = h
	} else {
		host = p.Addr.String()
	}
	if len(a.opts.TrustedProxies) == 0 {
		return host
	}
	return auditq.SourceIP(host, a.opts.TrustedProxies, nil, metadata.ValueFromIncomingContext(ctx, "x-forwarded-for"))
}

// The service's functions run on data the client chose. One that panics
// must not cost the record: its panic is reported (Op "callback") and the
// field is left to its default.

func (a *Auditor) name(fullMethod string, rec *event.Record) (source, name string) {
	if a.opts.Name != nil {
		defer a.recoverCallback("Name", rec)
		return a.opts.Name(fullMethod)
	}
	service, method := splitMethod(fullMethod)
	if a.opts.EventSource != "" {
		service = a.opts.EventSource
	}
	return service, method
}

func (a *Auditor) readOnly(fullMethod string, rec *event.Record) bool {
	if a.opts.ReadOnly != nil {
		defer a.recoverCallback("ReadOnly", rec)
		return a.opts.ReadOnly(fullMethod)
	}
	_, method := splitMethod(fullMethod)
	for _, p := range readPrefixes {
		if strings.HasPrefix(method, p) {
			return true
		}
	}
	return false
}

var readPrefixes = []string{"Get", "List", "Describe", "Lookup", "Search", "Head", "Watch", "Check"}

func (a *Auditor) identity(ctx context.Context, fullMethod string, rec *event.Record) *event.UserIdentity {
	defer a.recoverCallback("Identity", rec)
	return a.opts.Identity(ctx, fullMethod)
}

func (a *Auditor) requestParameters(c *call, fullMethod string, req any) (raw json.RawMessage) {
	defer func() {
		if p := recover(); p != nil {
			a.cbPanics.Add(1)
			a.decodeErrors.Add(1)
			a.report("decode", &c.rec, fmt.Errorf("RequestParameters panicked: %v", p))
			raw = null
		}
	}()
	var err error
	if a.opts.RequestParameters != nil {
		raw, err = a.opts.RequestParameters(c, fullMethod, req)
	} else if m, ok := req.(proto.Message); ok {
		raw, err = protojson.Marshal(m)
	}
	if err != nil {
		a.decodeErrors.Add(1)
		a.report("decode", &c.rec, err)
		return null
	}
	if raw == nil {
		return null
	}
	return raw
}

func (a *Auditor) recoverCallback(name string, rec *event.Record) {
	if p := recover(); p != nil {
		a.cbPanics.Add(1)
		a.report("callback", rec, fmt.Errorf("%s panicked: %v", name, p))
	}
}

func (a *Auditor) report(op string, rec *event.Record, err error) {
	a.opts.OnError(&Error{Op: op, Record: rec, Err: err})
}

// splitMethod splits "/pkg.Service/Method" into "pkg.Service" and "Method".
func splitMethod(fullMethod string) (service, method string) {
	s := strings.TrimPrefix(fullMethod, "/")
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, s
}
