// Package history brings CloudTrail's Event History, the LookupEvents API,
// to any stored trail: a directory or an S3 bucket holding log files that
// trailkit or CloudTrail delivered.
//
// # The model
//
// Lookup answers one page of a query, newest event first, as LookupEvents
// does: events whose eventTime lies in [StartTime, EndTime], that match every
// lookup attribute (EventId, EventName, ReadOnly, Username, ResourceType,
// ResourceName, EventSource, AccessKeyId), at most MaxResults of them (1 to
// 50, default 50), with a NextToken for the next page.
//
// A trail's log files are keyed by delivery time
// ([prefix/]AWSLogs/[o-org/]account/CloudTrail/region/YYYY/MM/DD/...), and a
// record may be delivered any time after its eventTime: in the next file, or
// days later after an outage. So a key says nothing about the eventTimes
// inside, and Lookup lists every log file of the accounts and regions it
// covers. What it learns from reading a file it keeps in [Summaries]: the
// range of the file's eventTimes and a Bloom filter over the string values
// of the members attributes are read from (eventID, eventName,
// eventSource, userIdentity, resources, insightDetails), both read from
// the bytes without decoding. A file with a summary is read only if it can hold an
// event of the page; a file without one is read (and summarized) first.
// Files are read latest first, several at once, each at most once per
// call, and an event is given out as soon as no file left can hold one
// listed before it, so a page stops reading when it is complete. Within a
// file, a record that does not hold each attribute's value as text is
// skipped before it is decoded. Accounts and regions are found by listing
// (one List call per account and region, skipping over their contents), or
// named in Input.
//
// [LookupMany] answers many pages' worth in one pass; "trailkit lookup"
// uses it, and keeps each trail's Summaries in the user's cache directory.
//
// Insights events live in CloudTrail-Insight files; Input.EventCategory
// "insight" looks them up, and only them, as LookupEvents does.
//
// # Where trailkit differs from LookupEvents
//
//   - LookupEvents takes one attribute; Lookup takes several and requires
//     all of them to match.
//   - LookupEvents covers 90 days and one region; Lookup covers what the
//     store holds (StartTime defaults to 90 days before EndTime) in every
//     region found, unless Input.Regions narrows it.
//   - Duplicate deliveries of one record (same eventID, as at-least-once
//     delivery can produce) are shown once.
//
// Pages are stateless: NextToken encodes where the last page ended and a
// checksum of the query, and a token used with a different query is refused
// with InvalidNextTokenException, as CloudTrail refuses it. A page after a
// token reads no file whose events all come before the token.
package history

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// AttributeKey names a LookupEvents lookup attribute.
type AttributeKey string

// The lookup attributes of LookupEvents.
const (
	EventID      AttributeKey = "EventId"
	EventName    AttributeKey = "EventName"
	ReadOnly     AttributeKey = "ReadOnly"
	Username     AttributeKey = "Username"
	ResourceType AttributeKey = "ResourceType"
	ResourceName AttributeKey = "ResourceName"
	EventSource  AttributeKey = "EventSource"
	AccessKeyID  AttributeKey = "AccessKeyId"
)

var attributeKeys = []AttributeKey{EventID, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyID}

// Attribute is one lookup attribute: a key and the value the event's field
// must equal.
type Attribute struct {
	Key   AttributeKey
	Value string
}

// ParseAttribute reads "Key=Value" or the AWS CLI's shorthand
// "AttributeKey=Key,AttributeValue=Value".
func ParseAttribute(s string) (Attribute, error) {
	if strings.HasPrefix(s, "AttributeKey=") {
		k, v, ok := strings.Cut(strings.TrimPrefix(s, "AttributeKey="), ",AttributeValue=")
		if !ok {
			return Attribute{}, lookupAttributesError("%q: want AttributeKey=KEY,AttributeValue=VALUE", s)
		}
		return checkAttribute(Attribute{Key: AttributeKey(k), Value: v})
	}
	k, v, ok := strings.Cut(s, "=")
	if !ok {
		return Attribute{}, lookupAttributesError("%q: want KEY=VALUE, KEY one of %s", s, keyList())
	}
	return checkAttribute(Attribute{Key: AttributeKey(k), Value: v})
}

func checkAttribute(a Attribute) (Attribute, error) {
	known := false
	for _, k := range attributeKeys {
		known = known || a.Key == k
	}
	switch {
	case !known:
		return a, lookupAttributesError("unknown attribute key %q: valid keys are %s", a.Key, keyList())
	case a.Value == "" || utf8.RuneCountInString(a.Value) > 2000:
		return a, lookupAttributesError("the value of %s must be 1 to 2000 characters", a.Key)
	case a.Key == ReadOnly && a.Value != "true" && a.Value != "false":
		return a, lookupAttributesError("the value of ReadOnly must be true or false, not %q", a.Value)
	}
	return a, nil
}

func keyList() string {
	names := make([]string, len(attributeKeys))
	for i, k := range attributeKeys {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// Exception names of LookupEvents errors that Lookup reports.
const (
	ExceptionInvalidLookupAttributes = "InvalidLookupAttributesException"
	ExceptionInvalidTimeRange        = "InvalidTimeRangeException"
	ExceptionInvalidMaxResults       = "InvalidMaxResultsException"
	ExceptionInvalidNextToken        = "InvalidNextTokenException"
	ExceptionInvalidEventCategory    = "InvalidEventCategoryException"
)

// Error is a query LookupEvents would refuse, with its exception name.
type Error struct {
	Exception string
	Message   string
}

func (e *Error) Error() string { return e.Exception + ": " + e.Message }

// Is makes errors.Is(err, &Error{Exception: X}) match any message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Exception == e.Exception && (t.Message == "" || t.Message == e.Message)
}

// Sentinels for errors.Is.
var (
	ErrInvalidLookupAttributes = &Error{Exception: ExceptionInvalidLookupAttributes}
	ErrInvalidTimeRange        = &Error{Exception: ExceptionInvalidTimeRange}
	ErrInvalidMaxResults       = &Error{Exception: ExceptionInvalidMaxResults}
	ErrInvalidNextToken        = &Error{Exception: ExceptionInvalidNextToken}
	ErrInvalidEventCategory    = &Error{Exception: ExceptionInvalidEventCategory}
)

func lookupAttributesError(format string, args ...any) error {
	return &Error{Exception: ExceptionInvalidLookupAttributes, Message: fmt.Sprintf(format, args...)}
}

// Input is one LookupEvents query.
type Input struct {
	// KeyPrefix is the trail's S3 key prefix, without the trailing '/'.
	KeyPrefix string
	// AccountIDs and Regions narrow the search; empty means every account
	// (or organization member) and region found under the prefix.
	AccountIDs []string
	Regions    []string
	// Attributes must all match.
	Attributes []Attribute
	// StartTime and EndTime bound eventTime, both inclusive. A zero EndTime
	// is now; a zero StartTime is 90 days before EndTime.
	StartTime, EndTime time.Time
	// EventCategory is "" for the events of log files, or CategoryInsight
	// for the Insights events of Insights files (and only those), as in
	// LookupEvents.
	EventCategory string
	// MaxResults is the page size, 1 to 50; 0 means 50.
	MaxResults int
	// NextToken continues a previous query.
	NextToken string
	// Now is the current time for a zero EndTime; time.Now when nil.
	Now func() time.Time
	// Summaries, when set, keeps what this lookup learns about the log
	// files it reads, so that later pages and queries skip files that
	// cannot hold their events; nil means each call starts afresh.
	Summaries *Summaries
	// Progress, when set, is called after each log file is read.
	Progress func(Progress)
}

// Progress reports what a lookup has read so far.
type Progress struct {
	Files, Records int64
	Bytes          int64 // compressed bytes read
}

// CategoryInsight is the EventCategory of Insights events.
const CategoryInsight = "insight"

// DefaultMaxResults is LookupEvents' page size, and its maximum.
const DefaultMaxResults = 50

// historyDays is how far back a query with no StartTime looks, as Event
// History does.
const historyDays = 90

// window resolves the query's time range and checks its attributes and
// event category.
func (in *Input) window() (start, end time.Time, err error) {
	end = in.EndTime
	if end.IsZero() {
		now := time.Now
		if in.Now != nil {
			now = in.Now
		}
		end = now()
	}
	end = end.UTC()
	start = in.StartTime.UTC()
	if in.StartTime.IsZero() {
		start = end.AddDate(0, 0, -historyDays)
	}
	if start.After(end) {
		return start, end, &Error{Exception: ExceptionInvalidTimeRange,
			Message: fmt.Sprintf("start time %s is after end time %s", start.Format(time.RFC3339), end.Format(time.RFC3339))}
	}
	if in.EventCategory != "" && in.EventCategory != CategoryInsight {
		return start, end, &Error{Exception: ExceptionInvalidEventCategory,
			Message: fmt.Sprintf("EventCategory %q is not valid: the only event category is %q", in.EventCategory, CategoryInsight)}
	}
	for i, a := range in.Attributes {
		if _, err := checkAttribute(a); err != nil {
			var he *Error
			errors.As(err, &he)
			he.Message = fmt.Sprintf("Attributes[%d]: %s", i, he.Message)
			return start, end, he
		}
	}
	return start, end, nil
}

// pageSize resolves MaxResults.
func (in *Input) pageSize() (int, error) {
	max := in.MaxResults
	if max == 0 {
		max = DefaultMaxResults
	}
	if max < 1 || max > DefaultMaxResults {
		return 0, &Error{Exception: ExceptionInvalidMaxResults,
			Message: fmt.Sprintf("MaxResults %d is out of range: it must be 1 to %d", in.MaxResults, DefaultMaxResults)}
	}
	return max, nil
}
