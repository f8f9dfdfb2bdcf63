// Package httpaudit is net/http middleware that keeps a CloudTrail-style
// audit trail of a service's own API: each request becomes an
// event.Record, emitted to a trail (or any Emitter) after its handler
// returns.
//
//	audit, err := httpaudit.New(httpaudit.Options{
//		Emitter:     tr, // a *trail.Trail
//		EventSource: "orders.example.com",
//		Region:      "eu-west-1",
//		AccountID:   "111122223333",
//		Identity:    callerFromToken,
//		RequestParameters: httpaudit.Typed[CreateOrderInput](),
//	})
//	...
//	http.ListenAndServe(addr, audit.Wrap(mux))
//	...
//	audit.Close(ctx) // emits what is queued
//
// # The record
//
// Fields come from the request and its outcome:
//
//   - eventSource and eventName: Options.Name, or EventSource and a name
//     derived from the method and the ServeMux pattern that matched
//     (GET /orders/{id} is GetOrdersId; see EventName);
//   - userIdentity: Options.Identity, or SetIdentity from the handler; type
//     "Unknown" when neither says;
//   - sourceIPAddress: the peer's address; Forwarded or X-Forwarded-For
//     only when the peer is one of Options.TrustedProxies, skipping the
//     hops that are trusted proxies themselves;
//   - userAgent, requestID (X-Request-Id, else a random UUID), readOnly
//     (GET, HEAD, OPTIONS and TRACE are read-only);
//   - requestParameters: Options.RequestParameters, a Decoder (JSONBody,
//     Typed, PathValues, Query, Merge, or your own), given what the handler
//     read of the body, up to MaxBodyBytes; null without a decoder;
//   - responseElements (null unless the handler sets them with SetResponse)
//     or, for a status of 400 and above, errorCode and errorMessage from
//     the status ("NotFound", "Not Found"), unless the handler called
//     SetError;
//   - tlsDetails from the connection, with CloudTrail's names (TLSv1.3,
//     ECDHE-RSA-AES128-GCM-SHA256, x25519);
//   - eventTime (when the handler returned), eventID, eventVersion 1.11,
//     eventType AwsApiCall, a management event, recipientAccountId.
//
// A handler can set any other field through FromContext; the middleware
// fills only what is left empty.
//
// # Failures and bad input
//
// A handler that panics still yields a record, with errorCode
// InternalError and the panic's value in errorMessage; the panic is then
// raised again, for net/http (or an outer recoverer) to handle. A client
// that disconnects gets its record too, marked with
// additionalEventData.clientDisconnected. Header values that are not UTF-8
// have their bad bytes replaced by U+FFFD, so records stay valid JSON. The
// middleware never reads the body itself: it keeps a bounded copy of what
// the handler reads, so a huge body costs at most MaxBodyBytes and an
// oversized one gives requestParameters {"omitted":true}. Records are
// redacted (Options.Redactor) and cut to CloudTrail's 256 KB as CloudTrail
// cuts them (redact.Limit) before they are emitted.
//
// # Not delaying the response
//
// Until a handler's ServeHTTP returns, net/http has not finished the
// response: anything slow done there delays the client. So the record is
// only queued there, and worker goroutines call the Emitter. A slow
// Emitter fills the queue (QueueSize records); then Options.Overflow
// decides: Block (the default) makes requests wait for room, so no record
// is lost but responses slow down with the Emitter, optionally for at most
// BlockTimeout; Drop drops the record at once. Either way a record that is
// not emitted is never lost silently: it is counted in Stats and handed to
// OnError with the record, so that it can be kept elsewhere. A *trail.Trail
// buffers records itself, so its Emit returns quickly and the queue here
// only absorbs bursts. Close emits what is queued; requests that end after
// Close emit their record before their response completes.
//
// # Cost
//
// BenchmarkMiddleware measures a handler that does nothing, bare and
// audited, in one run, the emptying of the queue included. The middleware
// adds 5 allocations (about 1.4 KB) per request: the record with its
// response writer, the request copy that carries the context, the identity,
// eventID and requestID (TestOverheadAllocations holds it under 10). On the
// 2-core development machine, shared with other work, it added 0.7 to
// 1.4 µs per request (bare: about 75 ns). BenchmarkService in
// examples/httpservice measures a service with a trail to a directory as
// the Emitter.
package httpaudit
