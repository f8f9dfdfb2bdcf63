package lake

import (
	"time"

	"github.com/trailkit/trailkit/event"
)

// record fills r from the record scanned, as event.Unmarshal would: the
// tests compare it with the decoded record, which shows that the columns
// rc names hold the values the ocsf shape's direct path takes for the
// record's. It reports false when it cannot: when tlsDetails or addendum
// hold members out of CloudTrail's order or empty strings (a Record
// remembers those, and writes them back as read). Its strings and raw
// values point into the record's text.
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

func (d *directRecord) bool(c int) *bool {
	if v := d.vals[c]; !v.IsNull() {
		return event.Bool(v.Boolean())
	}
	return nil
}
