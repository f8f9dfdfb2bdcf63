package redact

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/trailkit/trailkit/event"
)

// Sizes CloudTrail documents for a record and its parts.
const (
	// MaxRecordBytes is the largest record a trail delivers (256 KB).
	MaxRecordBytes = 256 << 10
	// MaxPayloadBytes bounds requestParameters, responseElements and
	// serviceEventDetails (100 KB): larger content is omitted.
	MaxPayloadBytes = 100 << 10
	// MaxAdditionalBytes bounds additionalEventData and edgeDeviceDetails
	// (28 KB; of edgeDeviceDetails, Limit checks its free-form attributes).
	MaxAdditionalBytes = 28 << 10
	// MaxStringBytes bounds userAgent, errorCode, errorMessage and
	// requestID (1 KB): longer values are truncated to 1,023 bytes and
	// "...".
	MaxStringBytes = 1 << 10
)

// Omitted is what a free-form field whose content was omitted is written
// as: an object, so that readers expecting one still get one, holding
// CloudTrail's marker omitted: true.
var Omitted = json.RawMessage(`{"omitted":true}`)

// Cut describes one change Limit made.
type Cut struct {
	Field  string // top-level key, such as "responseElements"
	Action string // "omitted", "truncated" or "removed"
	Bytes  int    // the field's encoded size before the change
}

// LimitResult reports what Limit did.
type LimitResult struct {
	Cuts []Cut
	// Size is the encoded size of the record afterwards, or an upper bound
	// of it when the record plainly fits (then it was not encoded).
	Size int
	Fits bool // Size <= the limit
}

// The order CloudTrail cuts fields of a record that is too large, from its
// documentation of large events; Limit follows it.
var cutOrder = []string{
	"annotation", "requestID", "additionalEventData", "serviceEventDetails",
	"userAgent", "errorCode", "eventContext", "responseElements",
	"requestParameters", "errorMessage",
}

// Limit makes r fit in max bytes of JSON (MaxRecordBytes when max <= 0) the
// way CloudTrail does, so that a large record is delivered in part rather
// than not at all:
//
//  1. Field limits, applied to every record: requestParameters,
//     responseElements and serviceEventDetails over 100 KB, and
//     additionalEventData over 28 KB, have their content omitted (written
//     as {"omitted":true}), as have edgeDeviceDetails' attributes over
//     28 KB; userAgent, errorCode, errorMessage and requestID longer than
//     1 KB are truncated as CloudTrail truncates them: the first 1,023
//     bytes (at a UTF-8 boundary) followed by "...".
//  2. If the record is still over max, fields are cut in CloudTrail's order
//     until it fits: annotation, requestID, additionalEventData,
//     serviceEventDetails, userAgent, errorCode, eventContext,
//     responseElements, requestParameters, errorMessage. Free-form fields
//     are omitted as above; strings are removed.
//  3. Beyond what CloudTrail documents, for records built in Go with other
//     large parts: unknown members (Extra), largest first, then resources,
//     then the identity's members other than type, principalId, arn,
//     accountId and userName, and finally insightDetails' attributions are
//     removed.
//
// Every cut is reported. A record whose identifying fields alone exceed max
// cannot fit; Fits is false then and the record is as small as Limit can
// make it.
func Limit(r *event.Record, max int) LimitResult {
	if max <= 0 {
		max = MaxRecordBytes
	}
	var res LimitResult
	omit := func(name string, f *json.RawMessage, limit int) {
		if *f != nil && len(*f) > limit && !isOmitted(*f) {
			res.Cuts = append(res.Cuts, Cut{name, "omitted", len(*f)})
			*f = Omitted
		}
	}
	trunc := func(name string, s *string) {
		if t := truncate(*s, MaxStringBytes); t != *s {
			res.Cuts = append(res.Cuts, Cut{name, "truncated", len(*s)})
			*s = t
		}
	}
	omit("requestParameters", &r.RequestParameters, MaxPayloadBytes)
	omit("responseElements", &r.ResponseElements, MaxPayloadBytes)
	omit("serviceEventDetails", &r.ServiceEventDetails, MaxPayloadBytes)
	omit("additionalEventData", &r.AdditionalEventData, MaxAdditionalBytes)
	if d := r.EdgeDeviceDetails; d != nil && len(d.Attributes) > MaxAdditionalBytes && !isOmitted(d.Attributes) {
		res.Cuts = append(res.Cuts, Cut{"edgeDeviceDetails", "omitted", len(d.Attributes)})
		c := *d
		c.Attributes = Omitted
		r.EdgeDeviceDetails = &c
	}
	trunc("userAgent", &r.UserAgent)
	trunc("errorCode", &r.ErrorCode)
	trunc("errorMessage", &r.ErrorMessage)
	trunc("requestID", &r.RequestID)

	if b := bound(r); b >= 0 && b <= max {
		// Fits for sure; Size is the bound, not the exact size.
		res.Size, res.Fits = b, true
		return res
	}
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	size := func() int {
		*bp = r.AppendJSON((*bp)[:0])
		return len(*bp)
	}
	res.Size = size()
	for _, name := range cutOrder {
		if res.Size <= max {
			break
		}
		if cutField(r, name, &res) {
			res.Size = size()
		}
	}
	for res.Size > max && len(r.Extra) > 0 {
		i := 0
		for j := range r.Extra {
			if len(r.Extra[j].Value) > len(r.Extra[i].Value) {
				i = j
			}
		}
		f := r.Extra[i]
		res.Cuts = append(res.Cuts, Cut{f.Key, "removed", len(f.Value)})
		// Delete keeps the record's member order consistent; it removes
		// every member with this key.
		r.Delete(f.Key)
		res.Size = size()
	}
	if res.Size > max && r.Resources != nil {
		res.Cuts = append(res.Cuts, Cut{"resources", "removed", 0})
		r.Resources = nil
		res.Size = size()
	}
	if res.Size > max && r.UserIdentity != nil {
		u := r.UserIdentity
		res.Cuts = append(res.Cuts, Cut{"userIdentity", "truncated", 0})
		r.UserIdentity = &event.UserIdentity{
			Type:        truncate(u.Type, MaxStringBytes),
			PrincipalID: truncate(u.PrincipalID, MaxStringBytes),
			ARN:         truncate(u.ARN, MaxStringBytes),
			AccountID:   truncate(u.AccountID, MaxStringBytes),
			UserName:    truncate(u.UserName, MaxStringBytes),
		}
		res.Size = size()
	}
	if res.Size > max && r.InsightDetails != nil && r.InsightDetails.InsightContext != nil &&
		r.InsightDetails.InsightContext.Attributions != nil {
		res.Cuts = append(res.Cuts, Cut{"insightDetails", "truncated", 0})
		d := *r.InsightDetails
		c := *d.InsightContext
		c.Attributions = nil
		d.InsightContext = &c
		r.InsightDetails = &d
		res.Size = size()
	}
	res.Fits = res.Size <= max
	return res
}

// cutField cuts one field of the CloudTrail order and reports whether it
// changed anything.
func cutField(r *event.Record, name string, res *LimitResult) bool {
	if name == "eventContext" {
		c := r.EventContext
		if c == nil || (c.RequestContext == nil || isOmitted(c.RequestContext)) && (c.TagContext == nil || isOmitted(c.TagContext)) {
			return false
		}
		res.Cuts = append(res.Cuts, Cut{name, "omitted", len(c.RequestContext) + len(c.TagContext)})
		r.EventContext = &event.EventContext{RequestContext: Omitted, TagContext: Omitted}
		return true
	}
	if get := rawFields[name]; get != nil {
		f := get(r)
		if *f == nil || isOmitted(*f) {
			return false
		}
		res.Cuts = append(res.Cuts, Cut{name, "omitted", len(*f)})
		*f = Omitted
		return true
	}
	var s *string
	switch name {
	case "annotation":
		s = &r.Annotation
	case "requestID":
		s = &r.RequestID
	case "userAgent":
		s = &r.UserAgent
	case "errorCode":
		s = &r.ErrorCode
	case "errorMessage":
		s = &r.ErrorMessage
	}
	if s == nil || *s == "" {
		return false
	}
	res.Cuts = append(res.Cuts, Cut{name, "removed", len(*s)})
	r.Delete(name)
	return true
}

func isOmitted(v json.RawMessage) bool { return string(v) == string(Omitted) }

// truncate shortens a string longer than n bytes as CloudTrail does: its
// first n-1 bytes (not splitting a UTF-8 sequence) followed by "...". A real
// errorMessage of 1,026 bytes, 1,023 of the message and "...", shows the
// form. A string already in that form is returned as it is.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const mark = "..."
	if len(s) <= n-1+len(mark) && strings.HasSuffix(s, mark) {
		return s // already truncated
	}
	i := n - 1
	for i > 0 && i > n-1-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + mark
}
