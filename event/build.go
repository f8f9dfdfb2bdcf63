package event

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// ShapeError reports a record that is valid JSON but not shaped like a
// CloudTrail record, or not ready to be emitted.
type ShapeError struct {
	Field  string // JSON path of the field, such as "eventTime"
	Reason string
}

func (e *ShapeError) Error() string { return e.Field + ": " + e.Reason }

// Check reports whether a record that was read is shaped like a CloudTrail
// record: it has an eventVersion of the form major.minor and an eventTime in
// CloudTrail's form, YYYY-MM-DDThh:mm:ssZ. It is lenient about everything
// else, since real records vary (see the package documentation).
func (r *Record) Check() error {
	if f, ok := r.extra("eventVersion"); ok {
		return &ShapeError{"eventVersion", fmt.Sprintf("must be a string, not %s", f.Value)}
	}
	if r.EventVersion == "" {
		return &ShapeError{"eventVersion", "missing"}
	}
	if !validVersion(r.EventVersion) {
		return &ShapeError{"eventVersion", fmt.Sprintf("%q is not of the form major.minor", r.EventVersion)}
	}
	if f, ok := r.extra("eventTime"); ok {
		return &ShapeError{"eventTime", fmt.Sprintf("%s is not of the form YYYY-MM-DDThh:mm:ssZ", f.Value)}
	}
	if r.EventTime.IsZero() {
		return &ShapeError{"eventTime", "missing"}
	}
	return nil
}

func (r *Record) extra(key string) (Field, bool) { return lastField(r.Extra, key) }

// lastField returns the last member named key: of a key that occurs twice
// the last copy wins.
func lastField(extra []Field, key string) (Field, bool) {
	for i := len(extra) - 1; i >= 0; i-- {
		if extra[i].Key == key {
			return extra[i], true
		}
	}
	return Field{}, false
}

func validVersion(v string) bool {
	dot := false
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '.' && !dot && i > 0 && i < len(v)-1:
			dot = true
		case c < '0' || c > '9':
			return false
		}
	}
	return dot
}

// New returns a record for an API call of eventSource (such as
// "orders.example.com") named eventName, made now: eventVersion, eventID,
// eventTime, eventType and the management-event fields are filled as
// CloudTrail fills them. Set the rest, then Validate.
func New(eventSource, eventName string) *Record {
	r := &Record{EventSource: eventSource, EventName: eventName}
	r.Fill("", time.Now())
	return r
}

// Fill sets what CloudTrail sets on every record and r leaves empty:
// eventVersion (CurrentVersion), eventID (a random UUID), eventTime (now, in
// UTC, truncated to the second), eventType (AwsApiCall), eventCategory and
// managementEvent (a management event unless eventCategory says otherwise),
// and recipientAccountId (accountID, else the caller's account).
func (r *Record) Fill(accountID string, now time.Time) {
	if r.EventVersion == "" {
		r.EventVersion = CurrentVersion
	}
	if r.EventID == "" {
		r.EventID = uuid.NewString()
	}
	if r.EventTime.IsZero() {
		r.EventTime = now.UTC().Truncate(time.Second)
	}
	if r.EventType == "" {
		r.EventType = TypeAPICall
	}
	if r.EventCategory == "" {
		switch r.EventType {
		case TypeInsight:
			r.EventCategory = CategoryInsight
		case TypeVPCEndpoint:
			r.EventCategory = CategoryNetwork
		default:
			r.EventCategory = CategoryManagement
		}
	}
	if r.ManagementEvent == nil && (r.EventCategory == CategoryManagement || r.EventCategory == CategoryData) {
		r.ManagementEvent = Bool(r.EventCategory == CategoryManagement)
	}
	if r.RecipientAccountID == "" {
		r.RecipientAccountID = accountID
		if r.RecipientAccountID == "" && r.UserIdentity != nil {
			r.RecipientAccountID = r.UserIdentity.AccountID
		}
	}
}

var knownTypes = map[string]bool{
	TypeAPICall: true, TypeServiceEvent: true, TypeConsoleAction: true,
	TypeConsoleSignIn: true, TypeInsight: true, TypeVPCEndpoint: true,
}

var knownCategories = map[string]bool{
	CategoryManagement: true, CategoryData: true, CategoryNetwork: true, CategoryInsight: true,
}

// Validate reports the first field that keeps r from being emitted as a
// CloudTrail record: a required field missing, a value CloudTrail would not
// write, or a raw field that is not valid JSON.
func (r *Record) Validate() error {
	if err := r.Check(); err != nil {
		return err
	}
	if r.EventTime.Nanosecond() != 0 {
		return &ShapeError{"eventTime", "must be a whole second (CloudTrail's precision)"}
	}
	insight := r.EventType == TypeInsight
	required := []struct{ field, value string }{
		{"eventID", r.EventID},
		{"eventType", r.EventType},
		{"awsRegion", r.AWSRegion},
		{"recipientAccountId", r.RecipientAccountID},
	}
	if !insight {
		required = append(required,
			struct{ field, value string }{"eventSource", r.EventSource},
			struct{ field, value string }{"eventName", r.EventName})
	}
	for _, f := range required {
		if f.value == "" {
			return &ShapeError{f.field, "missing"}
		}
	}
	if !knownTypes[r.EventType] {
		return &ShapeError{"eventType", fmt.Sprintf("%q is not a CloudTrail event type", r.EventType)}
	}
	if r.EventCategory != "" && !knownCategories[r.EventCategory] {
		return &ShapeError{"eventCategory", fmt.Sprintf("%q is not a CloudTrail event category", r.EventCategory)}
	}
	if !IsAccountID(r.RecipientAccountID) {
		return &ShapeError{"recipientAccountId", fmt.Sprintf("%q is not a 12-digit account id", r.RecipientAccountID)}
	}
	if insight && r.InsightDetails == nil {
		return &ShapeError{"insightDetails", "missing on an Insights event"}
	}
	if !insight && r.UserIdentity == nil {
		return &ShapeError{"userIdentity", "missing"}
	}
	type rawField struct {
		field string
		v     json.RawMessage
	}
	raws := []rawField{
		{"requestParameters", r.RequestParameters}, {"responseElements", r.ResponseElements},
		{"additionalEventData", r.AdditionalEventData}, {"serviceEventDetails", r.ServiceEventDetails},
	}
	if d := r.EdgeDeviceDetails; d != nil {
		raws = append(raws, rawField{"edgeDeviceDetails.attributes", d.Attributes})
	}
	if c := r.EventContext; c != nil {
		raws = append(raws, rawField{"eventContext.requestContext", c.RequestContext},
			rawField{"eventContext.tagContext", c.TagContext})
	}
	for _, f := range raws {
		if f.v != nil && !json.Valid(f.v) {
			return &ShapeError{f.field, "is not valid JSON"}
		}
	}
	// Whatever else was set from Go (a member of Extra, a number) must not
	// make the record invalid JSON either.
	if out := r.AppendJSON(nil); !json.Valid(out) {
		return &ShapeError{"record", "does not encode as valid JSON (check Extra members and raw values)"}
	}
	return nil
}

// IsAccountID reports whether s has the form of an AWS account id: exactly
// 12 decimal digits.
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Delete removes a top-level field, known or not, so that it is not written.
func (r *Record) Delete(key string) {
	if i := recordKeys.index(key); i >= 0 {
		r.clearField(i)
		r.meta.empty &^= 1 << i
	}
	kept := r.Extra[:0]
	newIndex := make([]int, len(r.Extra)) // old Extra index to new, -1 if removed
	for j, f := range r.Extra {
		newIndex[j] = -1
		if f.Key != key {
			newIndex[j] = len(kept)
			kept = append(kept, f)
		}
	}
	r.Extra = kept
	order := r.meta.order[:0]
	for _, e := range r.meta.order {
		if e >= extraBase {
			j := int(e - extraBase)
			if j >= len(newIndex) || newIndex[j] < 0 {
				continue
			}
			e = uint32(extraBase + newIndex[j])
		}
		order = append(order, e)
	}
	if r.meta.order != nil {
		r.meta.order = order
	}
}
