package httpaudit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/event/redact"
	"github.com/trailkit/trailkit/internal/auditq"
)

// Emitter receives the records the middleware builds. *trail.Trail is one.
type Emitter = auditq.Emitter

// Overflow says what happens to a record when the queue is full.
type Overflow = auditq.Overflow

const (
	// Block makes the request wait for room in the queue (for at most
	// Options.BlockTimeout when that is set, after which the record is
	// dropped and counted). No record is lost, but a stalled Emitter
	// delays responses once the queue is full.
	Block = auditq.Block
	// Drop drops the record at once, counts it in Stats.Dropped and
	// reports it to OnError: responses are never delayed.
	Drop = auditq.Drop
)

// Options configure the middleware. Emitter and one of EventSource and Name
// are required; the rest have defaults.
type Options struct {
	// Emitter receives each record.
	Emitter Emitter

	// EventSource is the service's name in eventSource, such as
	// "orders.example.com".
	EventSource string
	// Name returns eventSource and eventName for a request, after its
	// handler ran (so r.Pattern is set when a ServeMux routed it). Default:
	// EventSource and EventName(r.Method, r.Pattern).
	Name func(r *http.Request) (eventSource, eventName string)

	// Region is awsRegion, such as "eu-west-1".
	Region string
	// AccountID is recipientAccountId, the 12-digit account the record
	// belongs to; without it the identity's account is used. A trail
	// refuses records without a region or a recipient account.
	AccountID string

	// Identity returns who made the request, from its headers or its
	// context; it runs after the handler, unless the handler called
	// SetIdentity. Nil, or a nil result, gives an identity of type
	// "Unknown".
	Identity func(r *http.Request) *event.UserIdentity

	// TrustedProxies are the networks of the proxies in front of the
	// service. Only a request whose peer is in one of them has its
	// Forwarded or X-Forwarded-For header believed, and only the hops those
	// headers attribute to trusted proxies are skipped.
	TrustedProxies []netip.Prefix

	// RequestParameters builds requestParameters (see Decoder). Nil gives
	// requestParameters null.
	RequestParameters Decoder
	// MaxBodyBytes bounds the part of the body kept for RequestParameters;
	// default 64 KiB. The handler still reads the whole body.
	MaxBodyBytes int

	// RequestID returns requestID. Default: the X-Request-Id header, or a
	// random UUID when the request has none.
	RequestID func(r *http.Request) string

	// Redactor hides sensitive values before the record is emitted.
	Redactor *redact.Redactor
	// MaxRecordBytes is the size records are cut to (redact.Limit);
	// default redact.MaxRecordBytes, CloudTrail's 256 KB.
	MaxRecordBytes int

	// QueueSize is how many records wait for the Emitter; default 4096.
	QueueSize int
	// Workers is how many goroutines call the Emitter; default 1.
	Workers int
	// Overflow says what a full queue does; default Block.
	Overflow Overflow
	// BlockTimeout bounds the wait of Block; zero waits as long as it
	// takes.
	BlockTimeout time.Duration
	// EmitTimeout bounds one Emit call; zero for none.
	EmitTimeout time.Duration

	// OnError receives every problem with a record: a failed Emit, a
	// dropped record, a decoder or redaction error. Default: logged with
	// slog.Default(). Every one is also counted in Stats.
	OnError func(err *Error)
}

// Error reports a record the middleware could not build or deliver whole:
// its Op is "emit", "drop", "decode", "redact" or "callback".
type Error = auditq.Error

// ErrQueueFull is the error of a record dropped because the queue was full.
var ErrQueueFull = auditq.ErrQueueFull

// Stats counts what the middleware did.
type Stats struct {
	Requests     uint64 // requests seen
	Emitted      uint64 // records the Emitter accepted
	Failed       uint64 // records the Emitter refused (reported to OnError)
	Dropped      uint64 // records dropped on a full queue (reported to OnError)
	Blocked      uint64 // requests that waited for room in the queue
	Truncated    uint64 // records cut to fit MaxRecordBytes
	DecodeErrors uint64 // RequestParameters errors
	RedactErrors uint64 // redaction errors (the field was hidden whole)
	Panics       uint64 // handlers that panicked (recorded, then re-raised)
	// CallbackPanics counts panics of Options.Name, Identity and RequestID
	// (reported, the record kept); a panicking RequestParameters counts in
	// DecodeErrors.
	CallbackPanics uint64
	Queued         int // records waiting now
}

// Middleware turns requests into records. Its Wrap method is the
// func(http.Handler) http.Handler that routers take.
type Middleware struct {
	opts    Options
	trusted []netip.Prefix
	q       *auditq.Queue
	names   nameCache

	// Counters of the request path, on their own cache lines (the queue's
	// workers update theirs elsewhere).
	_                              [64]byte
	requests, decodeErrors, panics atomic.Uint64
	callbackPanics                 atomic.Uint64
	_                              [64]byte
}

// New returns a Middleware whose workers run until Close.
func New(opts Options) (*Middleware, error) {
	if opts.EventSource == "" && opts.Name == nil {
		return nil, errors.New("new audit middleware: Options.EventSource or Options.Name is required")
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 64 << 10
	}
	if opts.OnError == nil {
		opts.OnError = func(err *Error) { slog.Default().Error(err.Error()) }
	}
	m := &Middleware{opts: opts, trusted: append([]netip.Prefix(nil), opts.TrustedProxies...)}
	qopts := auditq.Options{
		Emitter: opts.Emitter, AccountID: opts.AccountID, Redactor: opts.Redactor,
		MaxRecordBytes: opts.MaxRecordBytes, QueueSize: opts.QueueSize, Workers: opts.Workers,
		Overflow: opts.Overflow, BlockTimeout: opts.BlockTimeout, EmitTimeout: opts.EmitTimeout,
		OnError: m.report,
	}
	if err := qopts.Check("audit middleware"); err != nil {
		return nil, err
	}
	m.q = auditq.New(qopts)
	return m, nil
}

// Wrap returns next with every request audited.
func (m *Middleware) Wrap(next http.Handler) http.Handler {
	return &handler{m: m, next: next}
}

// Stats returns the counters.
func (m *Middleware) Stats() Stats {
	q := m.q.Stats()
	return Stats{
		Requests: m.requests.Load(), Emitted: q.Emitted, Failed: q.Failed,
		Dropped: q.Dropped, Blocked: q.Blocked, Truncated: q.Truncated,
		DecodeErrors: m.decodeErrors.Load(), RedactErrors: q.RedactErrors,
		Panics: m.panics.Load(), CallbackPanics: m.callbackPanics.Load(), Queued: q.Queued,
	}
}

// Close emits the queued records and stops the workers, waiting at most
// until ctx is done. Requests that finish after Close emit their record
// themselves, before their response completes.
func (m *Middleware) Close(ctx context.Context) error {
	return m.q.Close(ctx, "audit middleware")
}

// box holds what every request needs in one allocation: the record, the
// booleans it points to and the response writer. Parts only some requests
// need (a body recorder, TLS details, an anonymous identity) are allocated
// when needed, to keep the box small: its size is most of the middleware's
// cost in allocation and garbage collection.
type box struct {
	// The box is the request's context too: the parent context with the
	// box as a value, without another allocation for context.WithValue.
	context.Context
	rec      event.Record
	readOnly bool
	mgmt     bool
	w        responseWriter
	body     *bodyRecorder
	finished bool // finish ran (or began): a panic in it must not make a second record
}

type ctxKey struct{}

func (b *box) Value(key any) any {
	if key == (ctxKey{}) {
		return b
	}
	return b.Context.Value(key)
}

type handler struct {
	m    *Middleware
	next http.Handler
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := h.m
	m.requests.Add(1)
	b := &box{Context: r.Context()}
	b.w.ResponseWriter = w
	r = r.WithContext(b)
	if m.opts.RequestParameters != nil && r.Body != nil && r.Body != http.NoBody {
		b.body = &bodyRecorder{rc: r.Body, max: m.opts.MaxBodyBytes}
		r.Body = b.body
	}
	defer func() {
		if v := recover(); v != nil {
			if !b.finished {
				m.panics.Add(1)
				m.finish(b, r, v)
			}
			panic(v)
		}
	}()
	h.next.ServeHTTP(&b.w, r)
	m.finish(b, r, nil)
}

// finish completes the record from the request and its outcome and queues
// it. It runs on the request's goroutine, so it reads the request while
// the request is still the handler's; the rest (IDs, redaction, size) is
// left to the workers.
func (m *Middleware) finish(b *box, r *http.Request, panicked any) {
	b.finished = true
	rec := &b.rec
	rec.EventTime = time.Now().UTC().Truncate(time.Second)
	if rec.EventSource == "" || rec.EventName == "" {
		source, name := m.name(r, rec)
		auditq.SetName(rec, source, name)
	}
	if rec.AWSRegion == "" {
		rec.AWSRegion = m.opts.Region
	}
	if rec.SourceIPAddress == "" {
		rec.SourceIPAddress = auditq.ValidUTF8(m.sourceIP(r))
	}
	if rec.UserAgent == "" {
		rec.UserAgent = auditq.ValidUTF8(r.UserAgent())
	}
	if rec.UserIdentity == nil && m.opts.Identity != nil {
		rec.UserIdentity = m.identity(r, rec)
	}
	if rec.UserIdentity == nil {
		rec.UserIdentity = &event.UserIdentity{Type: "Unknown"}
	}
	if rec.RequestID == "" {
		if m.opts.RequestID != nil {
			rec.RequestID = auditq.ValidUTF8(m.requestID(r, rec))
		} else {
			rec.RequestID = auditq.ValidUTF8(r.Header.Get("X-Request-Id"))
		}
	}
	if rec.ReadOnly == nil {
		b.readOnly = readOnlyMethod(r.Method)
		rec.ReadOnly = &b.readOnly
	}
	if rec.ManagementEvent == nil {
		b.mgmt = rec.EventCategory == "" || rec.EventCategory == event.CategoryManagement
		rec.ManagementEvent = &b.mgmt
	}
	if rec.TLSDetails == nil && r.TLS != nil {
		rec.TLSDetails = auditq.TLSDetails(r.TLS, r.Host)
	}
	if rec.RequestParameters == nil {
		rec.RequestParameters = m.requestParameters(b, r)
	}
	m.outcome(b, r, panicked)
	// The record may wait in the queue: let go of the connection's writer
	// and the body so that they do not wait with it.
	b.w.ResponseWriter = released{}
	b.body = nil
	m.q.Add(rec)
}

var errReleased = errors.New("write after the handler returned")

// released stands in for the writer of a finished request. net/http forbids
// using a ResponseWriter after ServeHTTP returns; a goroutine that does so
// anyway writes nowhere rather than crash.
type released struct{}

func (released) Header() http.Header         { return http.Header{} }
func (released) Write(p []byte) (int, error) { return 0, errReleased }
func (released) WriteHeader(int)             {}

func (m *Middleware) requestParameters(b *box, r *http.Request) []byte {
	if m.opts.RequestParameters == nil {
		return null
	}
	var body Body
	if b.body != nil {
		body = Body{Bytes: b.body.buf, Truncated: b.body.truncated}
		defer b.body.release()
	}
	params, err := m.decode(r, body)
	if err != nil {
		m.decodeErrors.Add(1)
		m.report("decode", &b.rec, err)
		return null
	}
	if params == nil {
		return null
	}
	return params
}

var null = []byte("null")

// The service's functions run after its handler, on data the client chose.
// One that panics must not cost the record: its panic is reported (Op
// "callback", counted in Stats.CallbackPanics) and the field is left to its
// default. Each has its own method so that the deferred recover costs no
// allocation.

func (m *Middleware) identity(r *http.Request, rec *event.Record) (id *event.UserIdentity) {
	defer m.recoverCallback("Identity", rec)
	return m.opts.Identity(r)
}

func (m *Middleware) requestID(r *http.Request, rec *event.Record) (id string) {
	defer m.recoverCallback("RequestID", rec)
	return m.opts.RequestID(r)
}

func (m *Middleware) decode(r *http.Request, body Body) (raw json.RawMessage, err error) {
	defer func() {
		if p := recover(); p != nil {
			raw, err = nil, fmt.Errorf("RequestParameters panicked: %v", p)
		}
	}()
	return m.opts.RequestParameters(r, body)
}

func (m *Middleware) recoverCallback(name string, rec *event.Record) {
	if p := recover(); p != nil {
		m.callbackPanics.Add(1)
		m.report("callback", rec, fmt.Errorf("%s panicked: %v", name, p))
	}
}

// outcome sets the response elements or the error.
func (m *Middleware) outcome(b *box, r *http.Request, panicked any) {
	rec := &b.rec
	status := b.w.status
	switch {
	case panicked != nil:
		if status == 0 {
			status = http.StatusInternalServerError
		}
		if rec.ErrorCode == "" {
			if panicked == http.ErrAbortHandler {
				rec.ErrorCode = "RequestAborted"
				rec.ErrorMessage = "the handler aborted the response"
			} else {
				rec.ErrorCode = "InternalError"
				rec.ErrorMessage = auditq.ValidUTF8("handler panic: " + fmt.Sprint(panicked))
			}
		}
	case status == 0:
		status = http.StatusOK // what net/http sends for a handler that wrote nothing
	}
	if rec.ErrorCode == "" && status >= 400 {
		rec.ErrorCode, rec.ErrorMessage = statusError(status)
	}
	if rec.ResponseElements == nil && rec.ErrorCode == "" {
		rec.ResponseElements = null
	}
	if b.w.err != nil || r.Context().Err() != nil {
		// The client went away before the response was complete; what the
		// handler did is recorded all the same.
		rec.AdditionalEventData = auditq.AddMember(rec.AdditionalEventData, `"clientDisconnected":true`)
	}
}

func readOnlyMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

func (m *Middleware) report(op string, rec *event.Record, err error) {
	m.opts.OnError(&Error{Op: op, Record: rec, Err: err})
}
