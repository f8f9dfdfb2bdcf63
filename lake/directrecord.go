package lake

import (
	"time"
	"unsafe"

	"github.com/parquet-go/parquet-go"

	"github.com/trailkit/trailkit/event"
)

// record fills r from the record scanned, as event.Unmarshal would, so
// that the ocsf shape's rows need not decode the record again; it reports
// false when it cannot: when tlsDetails or addendum, which the ocsf shape
// writes back as JSON text, hold members out of CloudTrail's order or empty
// strings (a Record remembers those, and writes them back as read). Its
// strings and raw values point into the record's text.
func (d *directRecord) record(r *event.Record) bool {
	if !d.echoes {
		return false
	}
	*r = event.Record{
		EventVersion:                 d.str(rc[cEventVersion]),
		EventSource:                  d.str(rc[cEventSource]),
		EventName:                    d.str(rc[cEventName]),
		AWSRegion:                    d.str(rc[cAwsRegion]),
		SourceIPAddress:              d.str(rc[cSourceIPAddress]),
		UserAgent:                    d.str(rc[cUserAgent]),
		ErrorCode:                    d.str(rc[cErrorCode]),
		ErrorMessage:                 d.str(rc[cErrorMessage]),
		RequestParameters:            d.raw(rc[cRequestParameters]),
		ResponseElements:             d.raw(rc[cResponseElements]),
		AdditionalEventData:          d.raw(rc[cAdditionalEventData]),
		RequestID:                    d.str(rc[cRequestID]),
		EventID:                      d.str(rc[cEventID]),
		ReadOnly:                     d.bool(rc[cReadOnly]),
		EventType:                    d.str(rc[cEventType]),
		APIVersion:                   d.str(rc[cApiVersion]),
		ManagementEvent:              d.bool(rc[cManagementEvent]),
		RecipientAccountID:           d.str(rc[cRecipientAccountId]),
		ServiceEventDetails:          d.raw(rc[cServiceEventDetails]),
		SharedEventID:                d.str(rc[cSharedEventID]),
		VPCEndpointID:                d.str(rc[cVpcEndpointId]),
		VPCEndpointAccountID:         d.str(rc[cVpcEndpointAccountId]),
		EventCategory:                d.str(rc[cEventCategory]),
		SessionCredentialFromConsole: d.str(rc[cSessionCredentialFromConsole]),
		Annotation:                   d.str(rc[cAnnotation]),
	}
	if v := d.vals[rc[cEventTime]]; !v.IsNull() {
		r.EventTime = time.UnixMilli(v.Int64()).UTC()
	}
	if d.has(rc[cUIType], 1) {
		u := &event.UserIdentity{
			Type:             d.str(rc[cUIType]),
			PrincipalID:      d.str(rc[cUIPrincipalId]),
			ARN:              d.str(rc[cUIArn]),
			AccountID:        d.str(rc[cUIAccountId]),
			AccessKeyID:      d.str(rc[cUIAccessKeyId]),
			UserName:         d.str(rc[cUIUserName]),
			InvokedBy:        d.str(rc[cUIInvokedBy]),
			IdentityProvider: d.str(rc[cUIIdentityProvider]),
			CredentialID:     d.str(rc[cUICredentialId]),
		}
		if d.has(rc[cUISCSourceIdentity], 2) {
			c := &event.SessionContext{
				SourceIdentity:   d.str(rc[cUISCSourceIdentity]),
				EC2RoleDelivery:  d.str(rc[cUISCEc2RoleDelivery]),
				AssumedRoot:      d.str(rc[cUISCAssumedRoot]),
				SignInSessionARN: d.str(rc[cUISCSignInSessionArn]),
			}
			if d.has(rc[cUISCIssuerType], 3) {
				c.SessionIssuer = &event.SessionIssuer{
					Type:        d.str(rc[cUISCIssuerType]),
					PrincipalID: d.str(rc[cUISCIssuerPrincipalId]),
					ARN:         d.str(rc[cUISCIssuerArn]),
					AccountID:   d.str(rc[cUISCIssuerAccountId]),
					UserName:    d.str(rc[cUISCIssuerUserName]),
				}
			}
			if d.has(rc[cUISCWebIDFederatedProvider], 3) {
				c.WebIDFederationData = &event.WebIDFederationData{
					FederatedProvider: d.str(rc[cUISCWebIDFederatedProvider]),
					Attributes:        d.raw(rc[cUISCWebIDAttr]),
				}
			}
			if d.has(rc[cUISCAttrCreationDate], 3) {
				c.Attributes = &event.SessionAttributes{
					CreationDate:     d.str(rc[cUISCAttrCreationDate]),
					MFAAuthenticated: d.str(rc[cUISCAttrMfaAuthenticated]),
				}
			}
			u.SessionContext = c
		}
		if d.has(rc[cUIOnBehalfUserId], 2) {
			u.OnBehalfOf = &event.OnBehalfOf{
				UserID:           d.str(rc[cUIOnBehalfUserId]),
				IdentityStoreARN: d.str(rc[cUIOnBehalfIdentityStoreArn]),
			}
		}
		if d.has(rc[cUIInScopeSourceArn], 2) {
			u.InScopeOf = &event.InScopeOf{
				SourceARN:           d.str(rc[cUIInScopeSourceArn]),
				SourceAccount:       d.str(rc[cUIInScopeSourceAccount]),
				IssuerType:          d.str(rc[cUIInScopeIssuerType]),
				CredentialsIssuedTo: d.str(rc[cUIInScopeCredentialsIssuedTo]),
			}
		}
		if d.has(rc[cUIDelegateAccountId], 2) {
			u.InvokedByDelegate = &event.InvokedByDelegate{AccountID: d.str(rc[cUIDelegateAccountId])}
		}
		r.UserIdentity = u
	}
	if arns := d.lists[rc[cResARN]]; arns[0].DefinitionLevel() > 0 {
		r.Resources = make([]event.Resource, len(arns))
		for i := range r.Resources {
			r.Resources[i] = event.Resource{
				ARN:       d.listStr(rc[cResARN], i),
				AccountID: d.listStr(rc[cResAccountId], i),
				Type:      d.listStr(rc[cResType], i),
				ARNPrefix: d.listStr(rc[cResARNPrefix], i),
			}
		}
	}
	if d.has(rc[cAddReason], 1) {
		r.Addendum = &event.Addendum{
			Reason:            d.str(rc[cAddReason]),
			UpdatedFields:     d.str(rc[cAddUpdatedFields]),
			OriginalRequestID: d.str(rc[cAddOriginalRequestID]),
			OriginalEventID:   d.str(rc[cAddOriginalEventID]),
		}
	}
	if d.has(rc[cTLSTlsVersion], 1) {
		r.TLSDetails = &event.TLSDetails{
			TLSVersion:               d.str(rc[cTLSTlsVersion]),
			CipherSuite:              d.str(rc[cTLSCipherSuite]),
			ClientProvidedHostHeader: d.str(rc[cTLSClientProvidedHostHeader]),
			KeyExchange:              d.str(rc[cTLSKeyExchange]),
		}
	}
	return true
}

const (
	cEventVersion                 = iota // eventVersion
	cEventSource                         // eventSource
	cEventName                           // eventName
	cAwsRegion                           // awsRegion
	cSourceIPAddress                     // sourceIPAddress
	cUserAgent                           // userAgent
	cErrorCode                           // errorCode
	cErrorMessage                        // errorMessage
	cRequestParameters                   // requestParameters
	cResponseElements                    // responseElements
	cAdditionalEventData                 // additionalEventData
	cRequestID                           // requestID
	cEventID                             // eventID
	cReadOnly                            // readOnly
	cEventType                           // eventType
	cApiVersion                          // apiVersion
	cManagementEvent                     // managementEvent
	cRecipientAccountId                  // recipientAccountId
	cServiceEventDetails                 // serviceEventDetails
	cSharedEventID                       // sharedEventID
	cVpcEndpointId                       // vpcEndpointId
	cVpcEndpointAccountId                // vpcEndpointAccountId
	cEventCategory                       // eventCategory
	cSessionCredentialFromConsole        // sessionCredentialFromConsole
	cAnnotation                          // annotation
	cUIType                              // userIdentity.type
	cUIPrincipalId                       // userIdentity.principalId
	cUIArn                               // userIdentity.arn
	cUIAccountId                         // userIdentity.accountId
	cUIAccessKeyId                       // userIdentity.accessKeyId
	cUIUserName                          // userIdentity.userName
	cUIInvokedBy                         // userIdentity.invokedBy
	cUIIdentityProvider                  // userIdentity.identityProvider
	cUICredentialId                      // userIdentity.credentialId
	cUISCSourceIdentity                  // userIdentity.sessionContext.sourceIdentity
	cUISCEc2RoleDelivery                 // userIdentity.sessionContext.ec2RoleDelivery
	cUISCAssumedRoot                     // userIdentity.sessionContext.assumedRoot
	cUISCSignInSessionArn                // userIdentity.sessionContext.signInSessionArn
	cUISCIssuerType                      // userIdentity.sessionContext.sessionIssuer.type
	cUISCIssuerPrincipalId               // userIdentity.sessionContext.sessionIssuer.principalId
	cUISCIssuerArn                       // userIdentity.sessionContext.sessionIssuer.arn
	cUISCIssuerAccountId                 // userIdentity.sessionContext.sessionIssuer.accountId
	cUISCIssuerUserName                  // userIdentity.sessionContext.sessionIssuer.userName
	cUISCWebIDFederatedProvider          // userIdentity.sessionContext.webIdFederationData.federatedProvider
	cUISCWebIDAttr                       // userIdentity.sessionContext.webIdFederationData.attributes
	cUISCAttrCreationDate                // userIdentity.sessionContext.attributes.creationDate
	cUISCAttrMfaAuthenticated            // userIdentity.sessionContext.attributes.mfaAuthenticated
	cUIOnBehalfUserId                    // userIdentity.onBehalfOf.userId
	cUIOnBehalfIdentityStoreArn          // userIdentity.onBehalfOf.identityStoreArn
	cUIInScopeSourceArn                  // userIdentity.inScopeOf.sourceArn
	cUIInScopeSourceAccount              // userIdentity.inScopeOf.sourceAccount
	cUIInScopeIssuerType                 // userIdentity.inScopeOf.issuerType
	cUIInScopeCredentialsIssuedTo        // userIdentity.inScopeOf.credentialsIssuedTo
	cUIDelegateAccountId                 // userIdentity.invokedByDelegate.accountId
	cResARN                              // resources.ARN
	cResAccountId                        // resources.accountId
	cResType                             // resources.type
	cResARNPrefix                        // resources.ARNPrefix
	cAddReason                           // addendum.reason
	cAddUpdatedFields                    // addendum.updatedFields
	cAddOriginalRequestID                // addendum.originalRequestID
	cAddOriginalEventID                  // addendum.originalEventID
	cTLSTlsVersion                       // tlsDetails.tlsVersion
	cTLSCipherSuite                      // tlsDetails.cipherSuite
	cTLSClientProvidedHostHeader         // tlsDetails.clientProvidedHostHeader
	cTLSKeyExchange                      // tlsDetails.keyExchange
	cEventTime                           // eventTime
)

// rc are the columns record reads: rc[cX] is that of recordPaths[cX].
var rc = func() []int {
	_ = cloudTrailDirect // fills directColumns
	cs := make([]int, len(recordPaths))
	for i, p := range recordPaths {
		c, ok := directColumns[p]
		if !ok {
			panic("lake: no column " + p)
		}
		cs[i] = c
	}
	return cs
}()

var recordPaths = []string{
	"eventVersion",
	"eventSource",
	"eventName",
	"awsRegion",
	"sourceIPAddress",
	"userAgent",
	"errorCode",
	"errorMessage",
	"requestParameters",
	"responseElements",
	"additionalEventData",
	"requestID",
	"eventID",
	"readOnly",
	"eventType",
	"apiVersion",
	"managementEvent",
	"recipientAccountId",
	"serviceEventDetails",
	"sharedEventID",
	"vpcEndpointId",
	"vpcEndpointAccountId",
	"eventCategory",
	"sessionCredentialFromConsole",
	"annotation",
	"userIdentity.type",
	"userIdentity.principalId",
	"userIdentity.arn",
	"userIdentity.accountId",
	"userIdentity.accessKeyId",
	"userIdentity.userName",
	"userIdentity.invokedBy",
	"userIdentity.identityProvider",
	"userIdentity.credentialId",
	"userIdentity.sessionContext.sourceIdentity",
	"userIdentity.sessionContext.ec2RoleDelivery",
	"userIdentity.sessionContext.assumedRoot",
	"userIdentity.sessionContext.signInSessionArn",
	"userIdentity.sessionContext.sessionIssuer.type",
	"userIdentity.sessionContext.sessionIssuer.principalId",
	"userIdentity.sessionContext.sessionIssuer.arn",
	"userIdentity.sessionContext.sessionIssuer.accountId",
	"userIdentity.sessionContext.sessionIssuer.userName",
	"userIdentity.sessionContext.webIdFederationData.federatedProvider",
	"userIdentity.sessionContext.webIdFederationData.attributes",
	"userIdentity.sessionContext.attributes.creationDate",
	"userIdentity.sessionContext.attributes.mfaAuthenticated",
	"userIdentity.onBehalfOf.userId",
	"userIdentity.onBehalfOf.identityStoreArn",
	"userIdentity.inScopeOf.sourceArn",
	"userIdentity.inScopeOf.sourceAccount",
	"userIdentity.inScopeOf.issuerType",
	"userIdentity.inScopeOf.credentialsIssuedTo",
	"userIdentity.invokedByDelegate.accountId",
	"resources.ARN",
	"resources.accountId",
	"resources.type",
	"resources.ARNPrefix",
	"addendum.reason",
	"addendum.updatedFields",
	"addendum.originalRequestID",
	"addendum.originalEventID",
	"tlsDetails.tlsVersion",
	"tlsDetails.cipherSuite",
	"tlsDetails.clientProvidedHostHeader",
	"tlsDetails.keyExchange",
	"eventTime",
}

// has reports whether the group holding column c is present: whether its
// definition level reaches def, the group's.
func (d *directRecord) has(c, def int) bool { return d.vals[c].DefinitionLevel() >= def }

func (d *directRecord) str(c int) string { return valueText(d.vals[c]) }

func (d *directRecord) listStr(c, i int) string { return valueText(d.lists[c][i]) }

func (d *directRecord) raw(c int) []byte {
	if v := d.vals[c]; !v.IsNull() {
		return v.ByteArray()
	}
	return nil
}

func (d *directRecord) bool(c int) *bool {
	if v := d.vals[c]; !v.IsNull() {
		return event.Bool(v.Boolean())
	}
	return nil
}

// valueText returns a string value's text, sharing its memory, or "".
func valueText(v parquet.Value) string {
	if v.IsNull() {
		return ""
	}
	b := v.ByteArray()
	return unsafe.String(unsafe.SliceData(b), len(b))
}
