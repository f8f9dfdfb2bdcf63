package event

import (
	"encoding/json"
	"time"
)

// Record is one CloudTrail record (an "event" in CloudTrail's words), modelled
// through eventVersion 1.11.
//
// Known keys have typed fields. Free-form parts (requestParameters,
// responseElements, additionalEventData, serviceEventDetails, and the
// provider-specific members of edgeDeviceDetails, eventContext and
// webIdFederationData) are kept as the raw JSON that was read, so no number or
// key order is lost; Get reads them without decoding the whole. Whatever the model does not hold, such as a key it does not
// know, a second copy of a key, or a value whose JSON type differs from the
// model's, is kept in Extra and written back where it was.
//
// The fields come in the order CloudTrail writes them, which is the order
// records built in Go are written in.
//
// A field is written when it is set: a non-empty string, a non-nil pointer,
// slice or raw value, a non-zero time. A string that was read as "" is also
// written back as "". Use Delete to remove a field that was read.
type Record struct {
	EventVersion                 string
	UserIdentity                 *UserIdentity
	EventTime                    time.Time // UTC, second precision
	EventSource                  string
	EventName                    string
	AWSRegion                    string
	SourceIPAddress              string
	UserAgent                    string
	ErrorCode                    string
	ErrorMessage                 string
	RequestParameters            json.RawMessage
	ResponseElements             json.RawMessage
	AdditionalEventData          json.RawMessage
	RequestID                    string
	EventID                      string
	ReadOnly                     *bool
	Resources                    []Resource
	EventType                    string
	APIVersion                   string
	ManagementEvent              *bool
	RecipientAccountID           string
	ServiceEventDetails          json.RawMessage
	SharedEventID                string
	VPCEndpointID                string
	VPCEndpointAccountID         string
	EdgeDeviceDetails            *EdgeDeviceDetails
	EventCategory                string
	Addendum                     *Addendum
	TLSDetails                   *TLSDetails
	SessionCredentialFromConsole string // "true" (a string, not a boolean) or absent
	InsightDetails               *InsightDetails
	EventContext                 *EventContext
	Annotation                   string

	// Extra holds the members the typed fields do not: unknown keys,
	// duplicate keys and values of an unexpected JSON type.
	Extra []Field

	meta objectMeta
	// bools backs ReadOnly and ManagementEvent for decoded records, so that
	// decoding allocates no separate booleans.
	bools [2]bool
}

// Field is one JSON object member kept as it was read.
type Field struct {
	Key   string
	Value json.RawMessage
}

// UserIdentity describes who made the request.
type UserIdentity struct {
	Type              string
	PrincipalID       string
	ARN               string
	AccountID         string
	AccessKeyID       string
	UserName          string
	SessionContext    *SessionContext
	InvokedBy         string
	IdentityProvider  string
	CredentialID      string
	OnBehalfOf        *OnBehalfOf
	InScopeOf         *InScopeOf
	InvokedByDelegate *InvokedByDelegate
	Extra             []Field
	meta              objectMeta
}

// SessionContext describes temporary security credentials.
type SessionContext struct {
	SessionIssuer       *SessionIssuer
	WebIDFederationData *WebIDFederationData
	Attributes          *SessionAttributes
	SourceIdentity      string
	EC2RoleDelivery     string
	AssumedRoot         string
	SignInSessionARN    string
	Extra               []Field
	meta                objectMeta
}

// SessionIssuer is the entity that issued the session's credentials.
type SessionIssuer struct {
	Type        string
	PrincipalID string
	ARN         string
	AccountID   string
	UserName    string
	Extra       []Field
	meta        objectMeta
}

// WebIDFederationData describes web identity federation.
type WebIDFederationData struct {
	FederatedProvider string
	Attributes        json.RawMessage
	Extra             []Field
	meta              objectMeta
}

// SessionAttributes are the attributes of a session. CloudTrail writes
// MFAAuthenticated as the string "true" or "false"; a JSON boolean seen in
// some records is kept in Extra.
type SessionAttributes struct {
	CreationDate     string
	MFAAuthenticated string
	Extra            []Field
	meta             objectMeta
}

// OnBehalfOf names the IAM Identity Center user a call was made for.
type OnBehalfOf struct {
	UserID           string
	IdentityStoreARN string
	Extra            []Field
	meta             objectMeta
}

// InScopeOf describes credentials issued to a resource.
type InScopeOf struct {
	SourceARN           string
	SourceAccount       string
	IssuerType          string
	CredentialsIssuedTo string
	Extra               []Field
	meta                objectMeta
}

// InvokedByDelegate names the account acting with delegated access.
type InvokedByDelegate struct {
	AccountID string
	Extra     []Field
	meta      objectMeta
}

// Resource is one entry of a record's resources list.
type Resource struct {
	ARN       string
	AccountID string
	Type      string
	ARNPrefix string
	Extra     []Field
	meta      objectMeta
}

// TLSDetails describes the TLS connection of the request.
type TLSDetails struct {
	TLSVersion               string
	CipherSuite              string
	ClientProvidedHostHeader string
	KeyExchange              string
	Extra                    []Field
	meta                     objectMeta
}

// Addendum explains a late or updated delivery.
type Addendum struct {
	Reason            string
	UpdatedFields     string
	OriginalRequestID string
	OriginalEventID   string
	Extra             []Field
	meta              objectMeta
}

// InsightDetails is the body of a CloudTrail Insights event.
type InsightDetails struct {
	State          string // "Start" or "End"
	EventSource    string
	EventName      string
	InsightType    string // "ApiCallRateInsight" or "ApiErrorRateInsight"
	ErrorCode      string
	InsightContext *InsightContext
	Extra          []Field
	meta           objectMeta
}

// InsightContext holds an Insights event's statistics and attributions.
type InsightContext struct {
	Statistics   *InsightStatistics
	Attributions []InsightAttribution
	Extra        []Field
	meta         objectMeta
}

// InsightStatistics compares the baseline with the unusual activity. Numbers
// keep the text they were written with (averages such as 9.48587e-05).
type InsightStatistics struct {
	Baseline         *InsightAverage
	Insight          *InsightAverage
	InsightDuration  json.Number // minutes
	BaselineDuration json.Number // minutes
	Extra            []Field
	meta             objectMeta
}

// InsightAverage is an average rate.
type InsightAverage struct {
	Average json.Number
	Extra   []Field
	meta    objectMeta
}

// InsightAttribution lists the top values of one attribute during the
// baseline and during the insight.
type InsightAttribution struct {
	Attribute string // "userIdentityArn", "userAgent" or "errorCode"
	Insight   []AttributeValue
	Baseline  []AttributeValue
	Extra     []Field
	meta      objectMeta
}

// AttributeValue is one attributed value and its average.
type AttributeValue struct {
	Value   string
	Average json.Number
	Extra   []Field
	meta    objectMeta
}

// EdgeDeviceDetails describes the edge device (S3 on Outposts, Snow Family)
// a request was made to (eventVersion 1.08). CloudTrail documents no member
// list; the typed members are those AWS's own processing library reads.
// Real records also spell the device id "deviceID" (the S3 documentation's
// example does): that member is kept in Extra, and ID reads either spelling.
type EdgeDeviceDetails struct {
	Type         string
	DeviceID     string
	DeviceFamily string
	SnowJobID    string
	Attributes   json.RawMessage // free-form
	Extra        []Field
	meta         objectMeta
}

// EventContext is the enrichment CloudTrail Lake event data stores add
// (eventVersion 1.11): the IAM global condition keys evaluated for the
// request and the tags of the principal and resources. Never present in
// trail log files. Both members are free-form.
type EventContext struct {
	RequestContext json.RawMessage
	TagContext     json.RawMessage
	Extra          []Field
	meta           objectMeta
}

// Event types CloudTrail writes in eventType.
const (
	TypeAPICall        = "AwsApiCall"
	TypeServiceEvent   = "AwsServiceEvent"
	TypeConsoleAction  = "AwsConsoleAction"
	TypeConsoleSignIn  = "AwsConsoleSignIn"
	TypeInsight        = "AwsCloudTrailInsight"
	TypeVPCEndpoint    = "AwsVpceEvent"
	CurrentVersion     = "1.11"
	HiddenValue        = "HIDDEN_DUE_TO_SECURITY_REASONS"
	TimeLayout         = "2006-01-02T15:04:05Z"
	CategoryManagement = "Management"
	CategoryData       = "Data"
	CategoryNetwork    = "NetworkActivity"
	CategoryInsight    = "Insight"
)

// Category classifies the record as CloudTrail does: eventCategory when it is
// present, otherwise from eventType and managementEvent (records older than
// eventVersion 1.07 carry no eventCategory).
func (r *Record) Category() string {
	switch {
	case r.EventCategory != "":
		return r.EventCategory
	case r.EventType == TypeInsight:
		return CategoryInsight
	case r.EventType == TypeVPCEndpoint:
		return CategoryNetwork
	case r.ManagementEvent != nil && !*r.ManagementEvent:
		return CategoryData
	}
	return CategoryManagement
}

// Bool returns a pointer to b, for ReadOnly and ManagementEvent.
func Bool(b bool) *bool { return &b }
