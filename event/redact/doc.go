// Package redact keeps secrets and oversized payloads out of records before
// they leave the process, the way CloudTrail does for its own records.
//
// # Redaction
//
// CloudTrail never logs some values — a password in a request, the secret
// key in a response — and writes HIDDEN_DUE_TO_SECURITY_REASONS in their
// place. A Redactor does the same for paths a service names:
//
//	x := redact.MustNew("requestParameters.password",
//		"responseElements.credentials.secretAccessKey")
//	err := x.Record(rec)
//
// A path is a dotted list of member names from the top of the record; "*"
// matches any member and arrays are looked through. The hidden value
// replaces whatever was there (a string, a number, a whole object). Paths
// into the free-form fields (requestParameters, responseElements, …)
// rewrite just those bytes, and only when the field can hold the name the
// path ends in; the identity's strings (userIdentity.accessKeyId, …) and
// top-level strings (sourceIPAddress, userAgent, …) are hidden in place;
// any other path (deeper in the typed model, or an unknown top-level
// member) rewrites the record's JSON and decodes it again, which the event
// package's lossless encoding makes exact. Redaction fails closed: a
// free-form field that a path could match but that is not valid JSON is
// hidden whole.
//
// Parameters built from Go values can carry the marking in their type
// instead: Marshal encodes a value as encoding/json does and hides every
// field tagged `trailkit:"sensitive"`.
//
// # Size
//
// A trail delivers records of at most 256 KB. Limit makes a record fit as
// CloudTrail does rather than failing its delivery: first CloudTrail's field
// limits (requestParameters, responseElements and serviceEventDetails over
// 100 KB and additionalEventData over 28 KB have their content omitted,
// written as {"omitted":true}; userAgent, errorCode, errorMessage and
// requestID over 1 KB are cut to 1,023 bytes and "...", the form a real
// CloudTrail errorMessage in the corpus has), then, while the record is still too large,
// fields in the order CloudTrail documents for large events: annotation,
// requestID, additionalEventData, serviceEventDetails, userAgent,
// errorCode, eventContext, responseElements, requestParameters,
// errorMessage. Limit reports each cut so that an emitter can count them.
//
// CloudTrail's documentation says that a truncated field is accompanied by
// omitted: true, without showing a whole example; the {"omitted":true}
// object is this package's reading of it, chosen so that a field that held
// an object still holds one.
package redact
