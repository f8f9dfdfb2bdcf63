package redact

import "github.com/trailkit/trailkit/event"

// bound returns an upper bound of r's encoded size without encoding it, or
// -1 when r has parts it does not count. Every string is counted at six
// bytes a byte (the longest escape, \u00XX), every member with a generous
// allowance for its key and punctuation; so a record whose bound is under
// the limit needs no encoding to know that it fits, which is the common case
// and keeps Limit cheap on the emit path.
func bound(r *event.Record) int {
	if r.Addendum != nil || r.EdgeDeviceDetails != nil || r.InsightDetails != nil || r.EventContext != nil {
		return -1
	}
	const member = 40 // key, quotes, colon, comma
	n := 64 + 33*member
	n += strs(r.EventVersion, r.EventSource, r.EventName, r.AWSRegion, r.SourceIPAddress,
		r.UserAgent, r.ErrorCode, r.ErrorMessage, r.RequestID, r.EventID, r.EventType,
		r.APIVersion, r.RecipientAccountID, r.SharedEventID, r.VPCEndpointID,
		r.VPCEndpointAccountID, r.EventCategory, r.SessionCredentialFromConsole, r.Annotation)
	n += len(r.RequestParameters) + len(r.ResponseElements) + len(r.AdditionalEventData) + len(r.ServiceEventDetails)
	n += extras(r.Extra)
	for i := range r.Resources {
		x := &r.Resources[i]
		n += 4*member + strs(x.ARN, x.AccountID, x.Type, x.ARNPrefix) + extras(x.Extra)
	}
	if t := r.TLSDetails; t != nil {
		n += 4*member + strs(t.TLSVersion, t.CipherSuite, t.ClientProvidedHostHeader, t.KeyExchange) + extras(t.Extra)
	}
	if u := r.UserIdentity; u != nil {
		if u.OnBehalfOf != nil || u.InScopeOf != nil || u.InvokedByDelegate != nil {
			return -1
		}
		n += 13*member + strs(u.Type, u.PrincipalID, u.ARN, u.AccountID, u.AccessKeyID, u.UserName,
			u.InvokedBy, u.IdentityProvider, u.CredentialID) + extras(u.Extra)
		if s := u.SessionContext; s != nil {
			n += 7*member + strs(s.SourceIdentity, s.EC2RoleDelivery, s.AssumedRoot, s.SignInSessionARN) + extras(s.Extra)
			if i := s.SessionIssuer; i != nil {
				n += 5*member + strs(i.Type, i.PrincipalID, i.ARN, i.AccountID, i.UserName) + extras(i.Extra)
			}
			if w := s.WebIDFederationData; w != nil {
				n += 2*member + strs(w.FederatedProvider) + len(w.Attributes) + extras(w.Extra)
			}
			if a := s.Attributes; a != nil {
				n += 2*member + strs(a.CreationDate, a.MFAAuthenticated) + extras(a.Extra)
			}
		}
	}
	return n
}

func strs(s ...string) int {
	n := 0
	for _, v := range s {
		n += 6 * len(v)
	}
	return n
}

func extras(fs []event.Field) int {
	n := 0
	for _, f := range fs {
		n += 40 + 6*len(f.Key) + len(f.Value)
	}
	return n
}
