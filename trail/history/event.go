package history

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/trailkit/trailkit/event"
)

// Event is one event of a lookup's result, with the fields LookupEvents
// returns.
type Event struct {
	EventID     string
	EventName   string
	EventSource string
	EventTime   time.Time
	// ReadOnly is "true" or "false", or empty when the record has no
	// readOnly field.
	ReadOnly    string
	Username    string
	AccessKeyID string
	Resources   []Resource
	// CloudTrailEvent is the record as it was stored, compact JSON.
	CloudTrailEvent json.RawMessage
	// Key is the object key of the log file the record was read from.
	Key string
}

// Resource is a resource an event names, as LookupEvents lists it.
type Resource struct {
	ResourceType string
	ResourceName string
}

// newEvent describes rec; raw must be owned by the caller.
func newEvent(rec *event.Record, raw []byte, key string) Event {
	ev := Event{
		EventID:         rec.EventID,
		EventName:       eventName(rec),
		EventSource:     eventSource(rec),
		EventTime:       rec.EventTime,
		ReadOnly:        readOnly(rec),
		Username:        username(rec),
		CloudTrailEvent: raw,
		Key:             key,
	}
	if rec.UserIdentity != nil {
		ev.AccessKeyID = rec.UserIdentity.AccessKeyID
	}
	for _, res := range rec.Resources {
		ev.Resources = append(ev.Resources, Resource{ResourceType: res.Type, ResourceName: resourceName(res.ARN)})
	}
	return ev
}

// eventName is the record's eventName, or for an Insights event the
// eventName of the calls it is about, as LookupEvents lists it.
func eventName(rec *event.Record) string {
	if rec.EventName == "" && rec.InsightDetails != nil {
		return rec.InsightDetails.EventName
	}
	return rec.EventName
}

// eventSource is eventName's counterpart for eventSource.
func eventSource(rec *event.Record) string {
	if rec.EventSource == "" && rec.InsightDetails != nil {
		return rec.InsightDetails.EventSource
	}
	return rec.EventSource
}

func readOnly(rec *event.Record) string {
	switch {
	case rec.ReadOnly == nil:
		return ""
	case *rec.ReadOnly:
		return "true"
	}
	return "false"
}

// username is the "User name" Event History shows: the IAM or Identity
// Center user name, the role session name of an assumed role or federated
// user, "root" for the root user, or the service that acted for an AWS
// service principal.
func username(rec *event.Record) string {
	id := rec.UserIdentity
	if id == nil {
		return ""
	}
	switch {
	case id.UserName != "":
		return id.UserName
	case id.Type == "Root":
		return "root"
	case id.Type == "AssumedRole" || id.Type == "FederatedUser":
		if i := strings.LastIndexByte(id.ARN, '/'); i >= 0 {
			return id.ARN[i+1:]
		}
		if _, session, ok := strings.Cut(id.PrincipalID, ":"); ok {
			return session
		}
	case id.Type == "AWSService":
		return id.InvokedBy
	}
	return ""
}

// resourceName is the name part of an ARN: what follows the resource type
// ("instance/i-0abc" gives "i-0abc"), or the whole resource of an S3 ARN
// ("arn:aws:s3:::bucket/key" gives "bucket/key"). A value that is not an ARN
// is its own name.
func resourceName(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return arn
	}
	res := parts[5]
	if parts[2] == "s3" {
		return res
	}
	if i := strings.LastIndexAny(res, "/:"); i >= 0 {
		return res[i+1:]
	}
	return res
}

// matches reports whether rec has every attribute. ResourceName matches a
// resource's name or its whole ARN.
func matches(rec *event.Record, attrs []Attribute) bool {
	for _, a := range attrs {
		if !matchesOne(rec, a) {
			return false
		}
	}
	return true
}

func matchesOne(rec *event.Record, a Attribute) bool {
	switch a.Key {
	case EventID:
		return rec.EventID == a.Value
	case EventName:
		return eventName(rec) == a.Value
	case EventSource:
		return eventSource(rec) == a.Value
	case ReadOnly:
		return readOnly(rec) == a.Value
	case Username:
		return username(rec) == a.Value
	case AccessKeyID:
		return rec.UserIdentity != nil && rec.UserIdentity.AccessKeyID == a.Value
	case ResourceType:
		for _, res := range rec.Resources {
			if res.Type == a.Value {
				return true
			}
		}
	case ResourceName:
		for _, res := range rec.Resources {
			if res.ARN == a.Value || resourceName(res.ARN) == a.Value {
				return true
			}
		}
	}
	return false
}
