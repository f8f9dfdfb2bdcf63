// Package event is trailkit's model of a CloudTrail record, and the reading
// and writing of the files records travel in.
//
// # The model
//
// A Record mirrors CloudTrail's record through eventVersion 1.11: every key
// CloudTrail documents has a typed field (UserIdentity with its
// SessionContext, OnBehalfOf, InScopeOf and InvokedByDelegate; Resources,
// TLSDetails, Addendum, EdgeDeviceDetails, InsightDetails, EventContext, …).
// Free-form parts — requestParameters, responseElements, additionalEventData,
// serviceEventDetails, and the provider-specific members inside
// edgeDeviceDetails, eventContext and webIdFederationData — are kept as the
// raw JSON that was read, so no number loses its text (9007199254740993 stays
// that) and no key its order. Get reads a value inside them in place, typed
// (Text, Int, Number, Bool, Members, Decode):
//
//	bucket, ok := event.Get(rec.RequestParameters, "bucketName").Text()
//
// Members whose JSON type varies in real records have typed readers that
// accept every variant: SessionAttributes.MFA, SessionAttributes.Created,
// EdgeDeviceDetails.ID, Record.Version, Record.Lookup.
//
// # Lossless
//
// Real records vary: resources written as a string, mfaAuthenticated as a
// boolean, a key twice in one object, keys CloudTrail added after this
// package was written. Decoding keeps whatever the typed fields cannot hold
// in Extra, at every level, with the order the members came in; encoding
// writes it all back. Unmarshal then AppendJSON gives the same JSON tokens:
// the same keys in the same order, the same values, the same number text.
// Only string escapes may be written differently (CloudTrail's own escaping:
// '<', '&' and non-ASCII text as they are). Of a key that occurs twice the
// last copy is the value, as with encoding/json: it is in the typed field,
// the earlier copy in Extra.
//
// # Reading
//
// A Scanner reads any form records come in — gzip or plain log files,
// JSON Lines, single records, EventBridge events, CloudWatch Logs
// subscription payloads — one record at a time in constant memory. Scan and
// Bytes give each record as compact JSON without decoding it (what
// "trailkit cat" prints); Records and Read decode them:
//
//	for rec, err := range event.Read(f) {
//		if err != nil { ... } // names the record index and byte offset
//		fmt.Println(rec.EventName)
//	}
//
// A record that is valid JSON but not CloudTrail-shaped (an eventTime that
// is not YYYY-MM-DDThh:mm:ssZ, say) comes with a *ShapeError and reading goes
// on; malformed input (invalid JSON or UTF-8, nesting deeper than 512
// levels, a truncated gzip stream or bytes after it) ends the sequence with
// a *ReadError naming the input (Scanner.Name), the record's index and its
// byte offset in the decompressed text, wrapping a *SyntaxError with the
// exact offset. Records and top-level values are limited to
// Scanner.MaxRecordBytes (16 MiB unless set), so a huge or endless value is
// refused, not buffered. Memory does not grow with the input: a log file's
// records are parsed where they lie in a buffer of a few hundred kilobytes,
// while another goroutine decompresses the next part.
//
// # Writing
//
// A LogWriter streams a gzipped CloudTrail log file, {"Records":[...]}, and
// hashes its uncompressed bytes for digests; a LinesWriter writes JSON
// Lines. Records built in Go are written with CloudTrail's key order.
//
// # Building
//
// New starts a record for an API call with what CloudTrail fills itself
// (eventVersion, eventID, eventTime, eventType, eventCategory,
// managementEvent); Fill does the same for a record you built; Validate
// names the first field that keeps a record from being emitted, and why, as
// a *ShapeError.
//
// # Further reading
//
// The record format field by field, its history and the traps real records
// hold, with what this package does about each: https://github.com/trailkit/trailkit/blob/main/docs/record-format.md.
package event
