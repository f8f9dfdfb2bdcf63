package lake

import (
	"bytes"
	"strconv"
	"time"
	"unsafe"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/jsonscan"
)

// CloudTrailRow is one record in the cloudtrail shape: a column per
// CloudTrail top-level field, under CloudTrail's name, with the nested
// objects as Parquet groups and lists, as in the table AWS documents for
// querying CloudTrail logs with Athena. The free-form parts are JSON text, as
// the record held them. Empty strings and absent objects are nulls.
//
// Two columns differ from Athena's all-string table because their type pays
// in queries: eventTime is a timestamp (UTC, milliseconds) and readOnly and
// managementEvent are booleans. What the model does not hold (unknown keys, a
// value of an unexpected JSON type, at any level) is in extraFields, a JSON
// object whose keys are the members' paths ("userIdentity.sessionContext.x",
// "resources.0.x"), so nothing read is lost.
type CloudTrailRow struct {
	EventVersion                 *string          `parquet:"eventVersion,optional,dict"`
	UserIdentity                 *UserIdentityRow `parquet:"userIdentity,optional"`
	EventTime                    *time.Time       `parquet:"eventTime,optional,timestamp(millisecond)"`
	EventSource                  *string          `parquet:"eventSource,optional,dict"`
	EventName                    *string          `parquet:"eventName,optional,dict"`
	AWSRegion                    *string          `parquet:"awsRegion,optional,dict"`
	SourceIPAddress              *string          `parquet:"sourceIPAddress,optional,dict"`
	UserAgent                    *string          `parquet:"userAgent,optional,dict"`
	ErrorCode                    *string          `parquet:"errorCode,optional,dict"`
	ErrorMessage                 *string          `parquet:"errorMessage,optional"`
	RequestParameters            *string          `parquet:"requestParameters,optional"`
	ResponseElements             *string          `parquet:"responseElements,optional"`
	AdditionalEventData          *string          `parquet:"additionalEventData,optional"`
	RequestID                    *string          `parquet:"requestID,optional"`
	EventID                      *string          `parquet:"eventID,optional"`
	ReadOnly                     *bool            `parquet:"readOnly,optional"`
	Resources                    []ResourceRow    `parquet:"resources,optional,list"`
	EventType                    *string          `parquet:"eventType,optional,dict"`
	APIVersion                   *string          `parquet:"apiVersion,optional,dict"`
	ManagementEvent              *bool            `parquet:"managementEvent,optional"`
	RecipientAccountID           *string          `parquet:"recipientAccountId,optional,dict"`
	ServiceEventDetails          *string          `parquet:"serviceEventDetails,optional"`
	SharedEventID                *string          `parquet:"sharedEventID,optional"`
	VPCEndpointID                *string          `parquet:"vpcEndpointId,optional,dict"`
	VPCEndpointAccountID         *string          `parquet:"vpcEndpointAccountId,optional,dict"`
	EdgeDeviceDetails            *string          `parquet:"edgeDeviceDetails,optional"`
	EventCategory                *string          `parquet:"eventCategory,optional,dict"`
	Addendum                     *AddendumRow     `parquet:"addendum,optional"`
	TLSDetails                   *TLSDetailsRow   `parquet:"tlsDetails,optional"`
	SessionCredentialFromConsole *string          `parquet:"sessionCredentialFromConsole,optional,dict"`
	InsightDetails               *string          `parquet:"insightDetails,optional"`
	EventContext                 *string          `parquet:"eventContext,optional"`
	Annotation                   *string          `parquet:"annotation,optional"`
	ExtraFields                  *string          `parquet:"extraFields,optional"`
}

// UserIdentityRow is the userIdentity group of a CloudTrailRow.
type UserIdentityRow struct {
	Type              *string               `parquet:"type,optional,dict"`
	PrincipalID       *string               `parquet:"principalId,optional,dict"`
	ARN               *string               `parquet:"arn,optional,dict"`
	AccountID         *string               `parquet:"accountId,optional,dict"`
	AccessKeyID       *string               `parquet:"accessKeyId,optional,dict"`
	UserName          *string               `parquet:"userName,optional,dict"`
	SessionContext    *SessionContextRow    `parquet:"sessionContext,optional"`
	InvokedBy         *string               `parquet:"invokedBy,optional,dict"`
	IdentityProvider  *string               `parquet:"identityProvider,optional,dict"`
	CredentialID      *string               `parquet:"credentialId,optional,dict"`
	OnBehalfOf        *OnBehalfOfRow        `parquet:"onBehalfOf,optional"`
	InScopeOf         *InScopeOfRow         `parquet:"inScopeOf,optional"`
	InvokedByDelegate *InvokedByDelegateRow `parquet:"invokedByDelegate,optional"`
}

// SessionContextRow is userIdentity.sessionContext.
type SessionContextRow struct {
	SessionIssuer       *SessionIssuerRow       `parquet:"sessionIssuer,optional"`
	WebIDFederationData *WebIDFederationDataRow `parquet:"webIdFederationData,optional"`
	Attributes          *SessionAttributesRow   `parquet:"attributes,optional"`
	SourceIdentity      *string                 `parquet:"sourceIdentity,optional,dict"`
	EC2RoleDelivery     *string                 `parquet:"ec2RoleDelivery,optional,dict"`
	AssumedRoot         *string                 `parquet:"assumedRoot,optional,dict"`
	SignInSessionARN    *string                 `parquet:"signInSessionArn,optional"`
}

// SessionIssuerRow is userIdentity.sessionContext.sessionIssuer.
type SessionIssuerRow struct {
	Type        *string `parquet:"type,optional,dict"`
	PrincipalID *string `parquet:"principalId,optional,dict"`
	ARN         *string `parquet:"arn,optional,dict"`
	AccountID   *string `parquet:"accountId,optional,dict"`
	UserName    *string `parquet:"userName,optional,dict"`
}

// WebIDFederationDataRow is userIdentity.sessionContext.webIdFederationData;
// its attributes are free-form JSON text.
type WebIDFederationDataRow struct {
	FederatedProvider *string `parquet:"federatedProvider,optional,dict"`
	Attributes        *string `parquet:"attributes,optional"`
}

// SessionAttributesRow is userIdentity.sessionContext.attributes, strings as
// CloudTrail writes them.
type SessionAttributesRow struct {
	CreationDate     *string `parquet:"creationDate,optional,dict"`
	MFAAuthenticated *string `parquet:"mfaAuthenticated,optional,dict"`
}

// OnBehalfOfRow is userIdentity.onBehalfOf.
type OnBehalfOfRow struct {
	UserID           *string `parquet:"userId,optional,dict"`
	IdentityStoreARN *string `parquet:"identityStoreArn,optional,dict"`
}

// InScopeOfRow is userIdentity.inScopeOf.
type InScopeOfRow struct {
	SourceARN           *string `parquet:"sourceArn,optional,dict"`
	SourceAccount       *string `parquet:"sourceAccount,optional,dict"`
	IssuerType          *string `parquet:"issuerType,optional,dict"`
	CredentialsIssuedTo *string `parquet:"credentialsIssuedTo,optional,dict"`
}

// InvokedByDelegateRow is userIdentity.invokedByDelegate.
type InvokedByDelegateRow struct {
	AccountID *string `parquet:"accountId,optional,dict"`
}

// ResourceRow is one element of resources.
type ResourceRow struct {
	ARN       *string `parquet:"ARN,optional"`
	AccountID *string `parquet:"accountId,optional"`
	Type      *string `parquet:"type,optional"`
	ARNPrefix *string `parquet:"ARNPrefix,optional"`
}

// AddendumRow is addendum.
type AddendumRow struct {
	Reason            *string `parquet:"reason,optional"`
	UpdatedFields     *string `parquet:"updatedFields,optional"`
	OriginalRequestID *string `parquet:"originalRequestID,optional"`
	OriginalEventID   *string `parquet:"originalEventID,optional"`
}

// TLSDetailsRow is tlsDetails.
type TLSDetailsRow struct {
	TLSVersion               *string `parquet:"tlsVersion,optional,dict"`
	CipherSuite              *string `parquet:"cipherSuite,optional,dict"`
	ClientProvidedHostHeader *string `parquet:"clientProvidedHostHeader,optional,dict"`
	KeyExchange              *string `parquet:"keyExchange,optional,dict"`
}

// cloudTrailRow fills row from r. The row's strings share r's memory.
func cloudTrailRow(row *CloudTrailRow, r *event.Record, x *extras) {
	s := x.s
	*row = CloudTrailRow{
		EventVersion:                 s(r.EventVersion),
		EventTime:                    x.t(r.EventTime),
		EventSource:                  s(r.EventSource),
		EventName:                    s(r.EventName),
		AWSRegion:                    s(r.AWSRegion),
		SourceIPAddress:              s(r.SourceIPAddress),
		UserAgent:                    s(r.UserAgent),
		ErrorCode:                    s(r.ErrorCode),
		ErrorMessage:                 s(r.ErrorMessage),
		RequestParameters:            x.raw(r.RequestParameters),
		ResponseElements:             x.raw(r.ResponseElements),
		AdditionalEventData:          x.raw(r.AdditionalEventData),
		RequestID:                    s(r.RequestID),
		EventID:                      s(r.EventID),
		ReadOnly:                     r.ReadOnly,
		EventType:                    s(r.EventType),
		APIVersion:                   s(r.APIVersion),
		ManagementEvent:              r.ManagementEvent,
		RecipientAccountID:           s(r.RecipientAccountID),
		ServiceEventDetails:          x.raw(r.ServiceEventDetails),
		SharedEventID:                s(r.SharedEventID),
		VPCEndpointID:                s(r.VPCEndpointID),
		VPCEndpointAccountID:         s(r.VPCEndpointAccountID),
		EventCategory:                s(r.EventCategory),
		SessionCredentialFromConsole: s(r.SessionCredentialFromConsole),
		Annotation:                   s(r.Annotation),
	}
	x.reset()
	x.add("", r.Extra)
	if u := r.UserIdentity; u != nil {
		row.UserIdentity = userIdentityRow(u, x)
	}
	if len(r.Resources) > 0 {
		row.Resources = make([]ResourceRow, len(r.Resources))
		for i := range r.Resources {
			res := &r.Resources[i]
			row.Resources[i] = ResourceRow{ARN: s(res.ARN), AccountID: s(res.AccountID), Type: s(res.Type), ARNPrefix: s(res.ARNPrefix)}
			x.add("resources."+strconv.Itoa(i)+".", res.Extra)
		}
	}
	if a := r.Addendum; a != nil {
		row.Addendum = &AddendumRow{s(a.Reason), s(a.UpdatedFields), s(a.OriginalRequestID), s(a.OriginalEventID)}
		x.add("addendum.", a.Extra)
	}
	if t := r.TLSDetails; t != nil {
		row.TLSDetails = &TLSDetailsRow{s(t.TLSVersion), s(t.CipherSuite), s(t.ClientProvidedHostHeader), s(t.KeyExchange)}
		x.add("tlsDetails.", t.Extra)
	}
	// These parts are written whole: their structure is provider-specific
	// or nested deeper than queries go.
	if r.EdgeDeviceDetails != nil || r.InsightDetails != nil || r.EventContext != nil {
		rec := objectMembers(r)
		row.EdgeDeviceDetails = x.raw(event.Get(rec, "edgeDeviceDetails").Raw())
		row.InsightDetails = x.raw(event.Get(rec, "insightDetails").Raw())
		row.EventContext = x.raw(event.Get(rec, "eventContext").Raw())
	}
	row.ExtraFields = x.json()
}

// objectMembers returns a JSON object of r's tlsDetails, addendum,
// edgeDeviceDetails, insightDetails and eventContext, each as r holds it:
// serialising them alone costs a fraction of serialising r.
func objectMembers(r *event.Record) []byte {
	sub := event.Record{TLSDetails: r.TLSDetails, Addendum: r.Addendum, EdgeDeviceDetails: r.EdgeDeviceDetails,
		InsightDetails: r.InsightDetails, EventContext: r.EventContext}
	return sub.AppendJSON(nil)
}

func userIdentityRow(u *event.UserIdentity, x *extras) *UserIdentityRow {
	s := x.s
	row := &UserIdentityRow{
		Type:             s(u.Type),
		PrincipalID:      s(u.PrincipalID),
		ARN:              s(u.ARN),
		AccountID:        s(u.AccountID),
		AccessKeyID:      s(u.AccessKeyID),
		UserName:         s(u.UserName),
		InvokedBy:        s(u.InvokedBy),
		IdentityProvider: s(u.IdentityProvider),
		CredentialID:     s(u.CredentialID),
	}
	x.add("userIdentity.", u.Extra)
	if c := u.SessionContext; c != nil {
		sc := &SessionContextRow{
			SourceIdentity:   s(c.SourceIdentity),
			EC2RoleDelivery:  s(c.EC2RoleDelivery),
			AssumedRoot:      s(c.AssumedRoot),
			SignInSessionARN: s(c.SignInSessionARN),
		}
		x.add("userIdentity.sessionContext.", c.Extra)
		if i := c.SessionIssuer; i != nil {
			sc.SessionIssuer = &SessionIssuerRow{s(i.Type), s(i.PrincipalID), s(i.ARN), s(i.AccountID), s(i.UserName)}
			x.add("userIdentity.sessionContext.sessionIssuer.", i.Extra)
		}
		if w := c.WebIDFederationData; w != nil {
			sc.WebIDFederationData = &WebIDFederationDataRow{s(w.FederatedProvider), x.raw(w.Attributes)}
			x.add("userIdentity.sessionContext.webIdFederationData.", w.Extra)
		}
		if a := c.Attributes; a != nil {
			sc.Attributes = &SessionAttributesRow{s(a.CreationDate), s(a.MFAAuthenticated)}
			x.add("userIdentity.sessionContext.attributes.", a.Extra)
		}
		row.SessionContext = sc
	}
	if o := u.OnBehalfOf; o != nil {
		row.OnBehalfOf = &OnBehalfOfRow{s(o.UserID), s(o.IdentityStoreARN)}
		x.add("userIdentity.onBehalfOf.", o.Extra)
	}
	if o := u.InScopeOf; o != nil {
		row.InScopeOf = &InScopeOfRow{s(o.SourceARN), s(o.SourceAccount), s(o.IssuerType), s(o.CredentialsIssuedTo)}
		x.add("userIdentity.inScopeOf.", o.Extra)
	}
	if o := u.InvokedByDelegate; o != nil {
		row.InvokedByDelegate = &InvokedByDelegateRow{s(o.AccountID)}
		x.add("userIdentity.invokedByDelegate.", o.Extra)
	}
	return row
}

// extras collects the members a row has no column for, as one JSON object,
// and holds the values the row's optional columns point to.
//
// Optional columns are pointers, nil for null: parquet-go v0.32.1 writes
// "" instead of null for an empty optional string that follows a non-empty
// one in a batch (the DuckDB fidelity tests caught it). The values live in slabs, so
// that a row costs no allocation per column.
type extras struct {
	buf   bytes.Buffer
	n     int
	enc   []byte
	strs  []string
	times []time.Time
	ocsf  ocsfText // JSON text the ocsf shape's direct path makes
}

const slab = 4096

// s returns a pointer to v, nil for "".
func (x *extras) s(v string) *string {
	if v == "" {
		return nil
	}
	if len(x.strs) == cap(x.strs) {
		x.strs = make([]string, 0, slab) // rows still point into the old slab
	}
	x.strs = append(x.strs, v)
	return &x.strs[len(x.strs)-1]
}

// t returns a pointer to v, nil for the zero time.
func (x *extras) t(v time.Time) *time.Time {
	if v.IsZero() {
		return nil
	}
	if len(x.times) == cap(x.times) {
		x.times = make([]time.Time, 0, slab)
	}
	x.times = append(x.times, v)
	return &x.times[len(x.times)-1]
}

// raw returns a free-form part as text, nil when absent.
func (x *extras) raw(v []byte) *string {
	if v == nil {
		return nil
	}
	return x.s(text(v))
}

// text returns v as a string that shares v's memory instead of copying it
// (a tenth of what an export allocates): v is part of a record the
// Writer's caller must not change until its row is written, and writing
// the row copies the text into the column buffers.
func text(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	return unsafe.String(&v[0], len(v))
}

func (x *extras) reset() { x.buf.Reset(); x.n = 0 }

func (x *extras) add(path string, fields []event.Field) {
	for _, f := range fields {
		x.put(path+f.Key, f.Value)
	}
}

func (x *extras) put(key string, value []byte) {
	if x.n == 0 {
		x.buf.WriteByte('{')
	} else {
		x.buf.WriteByte(',')
	}
	x.n++
	x.enc = jsonscan.AppendString(x.enc[:0], key)
	x.buf.Write(x.enc)
	x.buf.WriteByte(':')
	x.buf.Write(value)
}

func (x *extras) json() *string {
	if x.n == 0 {
		return nil
	}
	x.buf.WriteByte('}')
	return x.s(x.buf.String())
}
