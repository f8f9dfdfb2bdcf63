package event

// The field tables of the record model: for each JSON object type, the keys
// it knows in CloudTrail's order, and how each is read, tested and written.
// The shared machinery is in decode.go and encode.go.

import "time"

var recordKeys = newKeys("eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData", "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion", "managementEvent", "recipientAccountId", "serviceEventDetails", "sharedEventID", "vpcEndpointId", "vpcEndpointAccountId", "edgeDeviceDetails", "eventCategory", "addendum", "tlsDetails", "sessionCredentialFromConsole", "insightDetails", "eventContext", "annotation")

func (r *Record) keys() *keys                     { return &recordKeys }
func (r *Record) fields() (*[]Field, *objectMeta) { return &r.Extra, &r.meta }

func (r *Record) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&r.EventVersion, &r.meta, i)
	case 1:
		return decodeObjectField(p, &r.UserIdentity)
	case 2:
		return p.timeField(&r.EventTime)
	case 3:
		return p.strField(&r.EventSource, &r.meta, i)
	case 4:
		return p.strField(&r.EventName, &r.meta, i)
	case 5:
		return p.strField(&r.AWSRegion, &r.meta, i)
	case 6:
		return p.strField(&r.SourceIPAddress, &r.meta, i)
	case 7:
		return p.strField(&r.UserAgent, &r.meta, i)
	case 8:
		return p.strField(&r.ErrorCode, &r.meta, i)
	case 9:
		return p.strField(&r.ErrorMessage, &r.meta, i)
	case 10:
		return p.rawField(&r.RequestParameters)
	case 11:
		return p.rawField(&r.ResponseElements)
	case 12:
		return p.rawField(&r.AdditionalEventData)
	case 13:
		return p.strField(&r.RequestID, &r.meta, i)
	case 14:
		return p.strField(&r.EventID, &r.meta, i)
	case 15:
		return p.boolField(&r.ReadOnly, &r.bools[0])
	case 16:
		return decodeObjects(p, &r.Resources)
	case 17:
		return p.strField(&r.EventType, &r.meta, i)
	case 18:
		return p.strField(&r.APIVersion, &r.meta, i)
	case 19:
		return p.boolField(&r.ManagementEvent, &r.bools[1])
	case 20:
		return p.strField(&r.RecipientAccountID, &r.meta, i)
	case 21:
		return p.rawField(&r.ServiceEventDetails)
	case 22:
		return p.strField(&r.SharedEventID, &r.meta, i)
	case 23:
		return p.strField(&r.VPCEndpointID, &r.meta, i)
	case 24:
		return p.strField(&r.VPCEndpointAccountID, &r.meta, i)
	case 25:
		return decodeObjectField(p, &r.EdgeDeviceDetails)
	case 26:
		return p.strField(&r.EventCategory, &r.meta, i)
	case 27:
		return decodeObjectField(p, &r.Addendum)
	case 28:
		return decodeObjectField(p, &r.TLSDetails)
	case 29:
		return p.strField(&r.SessionCredentialFromConsole, &r.meta, i)
	case 30:
		return decodeObjectField(p, &r.InsightDetails)
	case 31:
		return decodeObjectField(p, &r.EventContext)
	case 32:
		return p.strField(&r.Annotation, &r.meta, i)
	}
	return false, nil
}

func (r *Record) present(i int) bool {
	switch i {
	case 0:
		return r.EventVersion != "" || r.meta.empty&(1<<0) != 0
	case 1:
		return r.UserIdentity != nil
	case 2:
		return !r.EventTime.IsZero()
	case 3:
		return r.EventSource != "" || r.meta.empty&(1<<3) != 0
	case 4:
		return r.EventName != "" || r.meta.empty&(1<<4) != 0
	case 5:
		return r.AWSRegion != "" || r.meta.empty&(1<<5) != 0
	case 6:
		return r.SourceIPAddress != "" || r.meta.empty&(1<<6) != 0
	case 7:
		return r.UserAgent != "" || r.meta.empty&(1<<7) != 0
	case 8:
		return r.ErrorCode != "" || r.meta.empty&(1<<8) != 0
	case 9:
		return r.ErrorMessage != "" || r.meta.empty&(1<<9) != 0
	case 10:
		return r.RequestParameters != nil
	case 11:
		return r.ResponseElements != nil
	case 12:
		return r.AdditionalEventData != nil
	case 13:
		return r.RequestID != "" || r.meta.empty&(1<<13) != 0
	case 14:
		return r.EventID != "" || r.meta.empty&(1<<14) != 0
	case 15:
		return r.ReadOnly != nil
	case 16:
		return r.Resources != nil
	case 17:
		return r.EventType != "" || r.meta.empty&(1<<17) != 0
	case 18:
		return r.APIVersion != "" || r.meta.empty&(1<<18) != 0
	case 19:
		return r.ManagementEvent != nil
	case 20:
		return r.RecipientAccountID != "" || r.meta.empty&(1<<20) != 0
	case 21:
		return r.ServiceEventDetails != nil
	case 22:
		return r.SharedEventID != "" || r.meta.empty&(1<<22) != 0
	case 23:
		return r.VPCEndpointID != "" || r.meta.empty&(1<<23) != 0
	case 24:
		return r.VPCEndpointAccountID != "" || r.meta.empty&(1<<24) != 0
	case 25:
		return r.EdgeDeviceDetails != nil
	case 26:
		return r.EventCategory != "" || r.meta.empty&(1<<26) != 0
	case 27:
		return r.Addendum != nil
	case 28:
		return r.TLSDetails != nil
	case 29:
		return r.SessionCredentialFromConsole != "" || r.meta.empty&(1<<29) != 0
	case 30:
		return r.InsightDetails != nil
	case 31:
		return r.EventContext != nil
	case 32:
		return r.Annotation != "" || r.meta.empty&(1<<32) != 0
	}
	return false
}

func (r *Record) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, r.EventVersion)
	case 1:
		return appendObject(b, r.UserIdentity)
	case 2:
		return appendTime(b, r.EventTime)
	case 3:
		return appendString(b, r.EventSource)
	case 4:
		return appendString(b, r.EventName)
	case 5:
		return appendString(b, r.AWSRegion)
	case 6:
		return appendString(b, r.SourceIPAddress)
	case 7:
		return appendString(b, r.UserAgent)
	case 8:
		return appendString(b, r.ErrorCode)
	case 9:
		return appendString(b, r.ErrorMessage)
	case 10:
		return append(b, r.RequestParameters...)
	case 11:
		return append(b, r.ResponseElements...)
	case 12:
		return append(b, r.AdditionalEventData...)
	case 13:
		return appendString(b, r.RequestID)
	case 14:
		return appendString(b, r.EventID)
	case 15:
		return appendBool(b, *r.ReadOnly)
	case 16:
		return appendObjects(b, r.Resources)
	case 17:
		return appendString(b, r.EventType)
	case 18:
		return appendString(b, r.APIVersion)
	case 19:
		return appendBool(b, *r.ManagementEvent)
	case 20:
		return appendString(b, r.RecipientAccountID)
	case 21:
		return append(b, r.ServiceEventDetails...)
	case 22:
		return appendString(b, r.SharedEventID)
	case 23:
		return appendString(b, r.VPCEndpointID)
	case 24:
		return appendString(b, r.VPCEndpointAccountID)
	case 25:
		return appendObject(b, r.EdgeDeviceDetails)
	case 26:
		return appendString(b, r.EventCategory)
	case 27:
		return appendObject(b, r.Addendum)
	case 28:
		return appendObject(b, r.TLSDetails)
	case 29:
		return appendString(b, r.SessionCredentialFromConsole)
	case 30:
		return appendObject(b, r.InsightDetails)
	case 31:
		return appendObject(b, r.EventContext)
	case 32:
		return appendString(b, r.Annotation)
	}
	return b
}

func (r *Record) clearField(i int) {
	switch i {
	case 0:
		r.EventVersion = ""
	case 1:
		r.UserIdentity = nil
	case 2:
		r.EventTime = time.Time{}
	case 3:
		r.EventSource = ""
	case 4:
		r.EventName = ""
	case 5:
		r.AWSRegion = ""
	case 6:
		r.SourceIPAddress = ""
	case 7:
		r.UserAgent = ""
	case 8:
		r.ErrorCode = ""
	case 9:
		r.ErrorMessage = ""
	case 10:
		r.RequestParameters = nil
	case 11:
		r.ResponseElements = nil
	case 12:
		r.AdditionalEventData = nil
	case 13:
		r.RequestID = ""
	case 14:
		r.EventID = ""
	case 15:
		r.ReadOnly = nil
	case 16:
		r.Resources = nil
	case 17:
		r.EventType = ""
	case 18:
		r.APIVersion = ""
	case 19:
		r.ManagementEvent = nil
	case 20:
		r.RecipientAccountID = ""
	case 21:
		r.ServiceEventDetails = nil
	case 22:
		r.SharedEventID = ""
	case 23:
		r.VPCEndpointID = ""
	case 24:
		r.VPCEndpointAccountID = ""
	case 25:
		r.EdgeDeviceDetails = nil
	case 26:
		r.EventCategory = ""
	case 27:
		r.Addendum = nil
	case 28:
		r.TLSDetails = nil
	case 29:
		r.SessionCredentialFromConsole = ""
	case 30:
		r.InsightDetails = nil
	case 31:
		r.EventContext = nil
	case 32:
		r.Annotation = ""
	}
}

var userIdentityKeys = newKeys("type", "principalId", "arn", "accountId", "accessKeyId", "userName", "sessionContext", "invokedBy", "identityProvider", "credentialId", "onBehalfOf", "inScopeOf", "invokedByDelegate")

func (u *UserIdentity) keys() *keys                     { return &userIdentityKeys }
func (u *UserIdentity) fields() (*[]Field, *objectMeta) { return &u.Extra, &u.meta }

func (u *UserIdentity) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&u.Type, &u.meta, i)
	case 1:
		return p.strField(&u.PrincipalID, &u.meta, i)
	case 2:
		return p.strField(&u.ARN, &u.meta, i)
	case 3:
		return p.strField(&u.AccountID, &u.meta, i)
	case 4:
		return p.strField(&u.AccessKeyID, &u.meta, i)
	case 5:
		return p.strField(&u.UserName, &u.meta, i)
	case 6:
		return decodeObjectField(p, &u.SessionContext)
	case 7:
		return p.strField(&u.InvokedBy, &u.meta, i)
	case 8:
		return p.strField(&u.IdentityProvider, &u.meta, i)
	case 9:
		return p.strField(&u.CredentialID, &u.meta, i)
	case 10:
		return decodeObjectField(p, &u.OnBehalfOf)
	case 11:
		return decodeObjectField(p, &u.InScopeOf)
	case 12:
		return decodeObjectField(p, &u.InvokedByDelegate)
	}
	return false, nil
}

func (u *UserIdentity) present(i int) bool {
	switch i {
	case 0:
		return u.Type != "" || u.meta.empty&(1<<0) != 0
	case 1:
		return u.PrincipalID != "" || u.meta.empty&(1<<1) != 0
	case 2:
		return u.ARN != "" || u.meta.empty&(1<<2) != 0
	case 3:
		return u.AccountID != "" || u.meta.empty&(1<<3) != 0
	case 4:
		return u.AccessKeyID != "" || u.meta.empty&(1<<4) != 0
	case 5:
		return u.UserName != "" || u.meta.empty&(1<<5) != 0
	case 6:
		return u.SessionContext != nil
	case 7:
		return u.InvokedBy != "" || u.meta.empty&(1<<7) != 0
	case 8:
		return u.IdentityProvider != "" || u.meta.empty&(1<<8) != 0
	case 9:
		return u.CredentialID != "" || u.meta.empty&(1<<9) != 0
	case 10:
		return u.OnBehalfOf != nil
	case 11:
		return u.InScopeOf != nil
	case 12:
		return u.InvokedByDelegate != nil
	}
	return false
}

func (u *UserIdentity) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, u.Type)
	case 1:
		return appendString(b, u.PrincipalID)
	case 2:
		return appendString(b, u.ARN)
	case 3:
		return appendString(b, u.AccountID)
	case 4:
		return appendString(b, u.AccessKeyID)
	case 5:
		return appendString(b, u.UserName)
	case 6:
		return appendObject(b, u.SessionContext)
	case 7:
		return appendString(b, u.InvokedBy)
	case 8:
		return appendString(b, u.IdentityProvider)
	case 9:
		return appendString(b, u.CredentialID)
	case 10:
		return appendObject(b, u.OnBehalfOf)
	case 11:
		return appendObject(b, u.InScopeOf)
	case 12:
		return appendObject(b, u.InvokedByDelegate)
	}
	return b
}

func (u *UserIdentity) clearField(i int) {
	switch i {
	case 0:
		u.Type = ""
	case 1:
		u.PrincipalID = ""
	case 2:
		u.ARN = ""
	case 3:
		u.AccountID = ""
	case 4:
		u.AccessKeyID = ""
	case 5:
		u.UserName = ""
	case 6:
		u.SessionContext = nil
	case 7:
		u.InvokedBy = ""
	case 8:
		u.IdentityProvider = ""
	case 9:
		u.CredentialID = ""
	case 10:
		u.OnBehalfOf = nil
	case 11:
		u.InScopeOf = nil
	case 12:
		u.InvokedByDelegate = nil
	}
}

var sessionContextKeys = newKeys("sessionIssuer", "webIdFederationData", "attributes", "sourceIdentity", "ec2RoleDelivery", "assumedRoot", "signInSessionArn")

func (s *SessionContext) keys() *keys                     { return &sessionContextKeys }
func (s *SessionContext) fields() (*[]Field, *objectMeta) { return &s.Extra, &s.meta }

func (s *SessionContext) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return decodeObjectField(p, &s.SessionIssuer)
	case 1:
		return decodeObjectField(p, &s.WebIDFederationData)
	case 2:
		return decodeObjectField(p, &s.Attributes)
	case 3:
		return p.strField(&s.SourceIdentity, &s.meta, i)
	case 4:
		return p.strField(&s.EC2RoleDelivery, &s.meta, i)
	case 5:
		return p.strField(&s.AssumedRoot, &s.meta, i)
	case 6:
		return p.strField(&s.SignInSessionARN, &s.meta, i)
	}
	return false, nil
}

func (s *SessionContext) present(i int) bool {
	switch i {
	case 0:
		return s.SessionIssuer != nil
	case 1:
		return s.WebIDFederationData != nil
	case 2:
		return s.Attributes != nil
	case 3:
		return s.SourceIdentity != "" || s.meta.empty&(1<<3) != 0
	case 4:
		return s.EC2RoleDelivery != "" || s.meta.empty&(1<<4) != 0
	case 5:
		return s.AssumedRoot != "" || s.meta.empty&(1<<5) != 0
	case 6:
		return s.SignInSessionARN != "" || s.meta.empty&(1<<6) != 0
	}
	return false
}

func (s *SessionContext) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendObject(b, s.SessionIssuer)
	case 1:
		return appendObject(b, s.WebIDFederationData)
	case 2:
		return appendObject(b, s.Attributes)
	case 3:
		return appendString(b, s.SourceIdentity)
	case 4:
		return appendString(b, s.EC2RoleDelivery)
	case 5:
		return appendString(b, s.AssumedRoot)
	case 6:
		return appendString(b, s.SignInSessionARN)
	}
	return b
}

func (s *SessionContext) clearField(i int) {
	switch i {
	case 0:
		s.SessionIssuer = nil
	case 1:
		s.WebIDFederationData = nil
	case 2:
		s.Attributes = nil
	case 3:
		s.SourceIdentity = ""
	case 4:
		s.EC2RoleDelivery = ""
	case 5:
		s.AssumedRoot = ""
	case 6:
		s.SignInSessionARN = ""
	}
}

var sessionIssuerKeys = newKeys("type", "principalId", "arn", "accountId", "userName")

func (s *SessionIssuer) keys() *keys                     { return &sessionIssuerKeys }
func (s *SessionIssuer) fields() (*[]Field, *objectMeta) { return &s.Extra, &s.meta }

func (s *SessionIssuer) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&s.Type, &s.meta, i)
	case 1:
		return p.strField(&s.PrincipalID, &s.meta, i)
	case 2:
		return p.strField(&s.ARN, &s.meta, i)
	case 3:
		return p.strField(&s.AccountID, &s.meta, i)
	case 4:
		return p.strField(&s.UserName, &s.meta, i)
	}
	return false, nil
}

func (s *SessionIssuer) present(i int) bool {
	switch i {
	case 0:
		return s.Type != "" || s.meta.empty&(1<<0) != 0
	case 1:
		return s.PrincipalID != "" || s.meta.empty&(1<<1) != 0
	case 2:
		return s.ARN != "" || s.meta.empty&(1<<2) != 0
	case 3:
		return s.AccountID != "" || s.meta.empty&(1<<3) != 0
	case 4:
		return s.UserName != "" || s.meta.empty&(1<<4) != 0
	}
	return false
}

func (s *SessionIssuer) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, s.Type)
	case 1:
		return appendString(b, s.PrincipalID)
	case 2:
		return appendString(b, s.ARN)
	case 3:
		return appendString(b, s.AccountID)
	case 4:
		return appendString(b, s.UserName)
	}
	return b
}

func (s *SessionIssuer) clearField(i int) {
	switch i {
	case 0:
		s.Type = ""
	case 1:
		s.PrincipalID = ""
	case 2:
		s.ARN = ""
	case 3:
		s.AccountID = ""
	case 4:
		s.UserName = ""
	}
}

var webIDFederationDataKeys = newKeys("federatedProvider", "attributes")

func (w *WebIDFederationData) keys() *keys                     { return &webIDFederationDataKeys }
func (w *WebIDFederationData) fields() (*[]Field, *objectMeta) { return &w.Extra, &w.meta }

func (w *WebIDFederationData) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&w.FederatedProvider, &w.meta, i)
	case 1:
		return p.rawField(&w.Attributes)
	}
	return false, nil
}

func (w *WebIDFederationData) present(i int) bool {
	switch i {
	case 0:
		return w.FederatedProvider != "" || w.meta.empty&(1<<0) != 0
	case 1:
		return w.Attributes != nil
	}
	return false
}

func (w *WebIDFederationData) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, w.FederatedProvider)
	case 1:
		return append(b, w.Attributes...)
	}
	return b
}

func (w *WebIDFederationData) clearField(i int) {
	switch i {
	case 0:
		w.FederatedProvider = ""
	case 1:
		w.Attributes = nil
	}
}

var sessionAttributesKeys = newKeys("creationDate", "mfaAuthenticated")

func (s *SessionAttributes) keys() *keys                     { return &sessionAttributesKeys }
func (s *SessionAttributes) fields() (*[]Field, *objectMeta) { return &s.Extra, &s.meta }

func (s *SessionAttributes) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&s.CreationDate, &s.meta, i)
	case 1:
		return p.strField(&s.MFAAuthenticated, &s.meta, i)
	}
	return false, nil
}

func (s *SessionAttributes) present(i int) bool {
	switch i {
	case 0:
		return s.CreationDate != "" || s.meta.empty&(1<<0) != 0
	case 1:
		return s.MFAAuthenticated != "" || s.meta.empty&(1<<1) != 0
	}
	return false
}

func (s *SessionAttributes) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, s.CreationDate)
	case 1:
		return appendString(b, s.MFAAuthenticated)
	}
	return b
}

func (s *SessionAttributes) clearField(i int) {
	switch i {
	case 0:
		s.CreationDate = ""
	case 1:
		s.MFAAuthenticated = ""
	}
}

var onBehalfOfKeys = newKeys("userId", "identityStoreArn")

func (o *OnBehalfOf) keys() *keys                     { return &onBehalfOfKeys }
func (o *OnBehalfOf) fields() (*[]Field, *objectMeta) { return &o.Extra, &o.meta }

func (o *OnBehalfOf) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&o.UserID, &o.meta, i)
	case 1:
		return p.strField(&o.IdentityStoreARN, &o.meta, i)
	}
	return false, nil
}

func (o *OnBehalfOf) present(i int) bool {
	switch i {
	case 0:
		return o.UserID != "" || o.meta.empty&(1<<0) != 0
	case 1:
		return o.IdentityStoreARN != "" || o.meta.empty&(1<<1) != 0
	}
	return false
}

func (o *OnBehalfOf) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, o.UserID)
	case 1:
		return appendString(b, o.IdentityStoreARN)
	}
	return b
}

func (o *OnBehalfOf) clearField(i int) {
	switch i {
	case 0:
		o.UserID = ""
	case 1:
		o.IdentityStoreARN = ""
	}
}

var inScopeOfKeys = newKeys("sourceArn", "sourceAccount", "issuerType", "credentialsIssuedTo")

func (s *InScopeOf) keys() *keys                     { return &inScopeOfKeys }
func (s *InScopeOf) fields() (*[]Field, *objectMeta) { return &s.Extra, &s.meta }

func (s *InScopeOf) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&s.SourceARN, &s.meta, i)
	case 1:
		return p.strField(&s.SourceAccount, &s.meta, i)
	case 2:
		return p.strField(&s.IssuerType, &s.meta, i)
	case 3:
		return p.strField(&s.CredentialsIssuedTo, &s.meta, i)
	}
	return false, nil
}

func (s *InScopeOf) present(i int) bool {
	switch i {
	case 0:
		return s.SourceARN != "" || s.meta.empty&(1<<0) != 0
	case 1:
		return s.SourceAccount != "" || s.meta.empty&(1<<1) != 0
	case 2:
		return s.IssuerType != "" || s.meta.empty&(1<<2) != 0
	case 3:
		return s.CredentialsIssuedTo != "" || s.meta.empty&(1<<3) != 0
	}
	return false
}

func (s *InScopeOf) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, s.SourceARN)
	case 1:
		return appendString(b, s.SourceAccount)
	case 2:
		return appendString(b, s.IssuerType)
	case 3:
		return appendString(b, s.CredentialsIssuedTo)
	}
	return b
}

func (s *InScopeOf) clearField(i int) {
	switch i {
	case 0:
		s.SourceARN = ""
	case 1:
		s.SourceAccount = ""
	case 2:
		s.IssuerType = ""
	case 3:
		s.CredentialsIssuedTo = ""
	}
}

var invokedByDelegateKeys = newKeys("accountId")

func (d *InvokedByDelegate) keys() *keys                     { return &invokedByDelegateKeys }
func (d *InvokedByDelegate) fields() (*[]Field, *objectMeta) { return &d.Extra, &d.meta }

func (d *InvokedByDelegate) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&d.AccountID, &d.meta, i)
	}
	return false, nil
}

func (d *InvokedByDelegate) present(i int) bool {
	switch i {
	case 0:
		return d.AccountID != "" || d.meta.empty&(1<<0) != 0
	}
	return false
}

func (d *InvokedByDelegate) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, d.AccountID)
	}
	return b
}

func (d *InvokedByDelegate) clearField(i int) {
	switch i {
	case 0:
		d.AccountID = ""
	}
}

var resourceKeys = newKeys("ARN", "accountId", "type", "ARNPrefix")

func (r *Resource) keys() *keys                     { return &resourceKeys }
func (r *Resource) fields() (*[]Field, *objectMeta) { return &r.Extra, &r.meta }

func (r *Resource) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&r.ARN, &r.meta, i)
	case 1:
		return p.strField(&r.AccountID, &r.meta, i)
	case 2:
		return p.strField(&r.Type, &r.meta, i)
	case 3:
		return p.strField(&r.ARNPrefix, &r.meta, i)
	}
	return false, nil
}

func (r *Resource) present(i int) bool {
	switch i {
	case 0:
		return r.ARN != "" || r.meta.empty&(1<<0) != 0
	case 1:
		return r.AccountID != "" || r.meta.empty&(1<<1) != 0
	case 2:
		return r.Type != "" || r.meta.empty&(1<<2) != 0
	case 3:
		return r.ARNPrefix != "" || r.meta.empty&(1<<3) != 0
	}
	return false
}

func (r *Resource) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, r.ARN)
	case 1:
		return appendString(b, r.AccountID)
	case 2:
		return appendString(b, r.Type)
	case 3:
		return appendString(b, r.ARNPrefix)
	}
	return b
}

func (r *Resource) clearField(i int) {
	switch i {
	case 0:
		r.ARN = ""
	case 1:
		r.AccountID = ""
	case 2:
		r.Type = ""
	case 3:
		r.ARNPrefix = ""
	}
}

var tLSDetailsKeys = newKeys("tlsVersion", "cipherSuite", "clientProvidedHostHeader", "keyExchange")

func (t *TLSDetails) keys() *keys                     { return &tLSDetailsKeys }
func (t *TLSDetails) fields() (*[]Field, *objectMeta) { return &t.Extra, &t.meta }

func (t *TLSDetails) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&t.TLSVersion, &t.meta, i)
	case 1:
		return p.strField(&t.CipherSuite, &t.meta, i)
	case 2:
		return p.strField(&t.ClientProvidedHostHeader, &t.meta, i)
	case 3:
		return p.strField(&t.KeyExchange, &t.meta, i)
	}
	return false, nil
}

func (t *TLSDetails) present(i int) bool {
	switch i {
	case 0:
		return t.TLSVersion != "" || t.meta.empty&(1<<0) != 0
	case 1:
		return t.CipherSuite != "" || t.meta.empty&(1<<1) != 0
	case 2:
		return t.ClientProvidedHostHeader != "" || t.meta.empty&(1<<2) != 0
	case 3:
		return t.KeyExchange != "" || t.meta.empty&(1<<3) != 0
	}
	return false
}

func (t *TLSDetails) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, t.TLSVersion)
	case 1:
		return appendString(b, t.CipherSuite)
	case 2:
		return appendString(b, t.ClientProvidedHostHeader)
	case 3:
		return appendString(b, t.KeyExchange)
	}
	return b
}

func (t *TLSDetails) clearField(i int) {
	switch i {
	case 0:
		t.TLSVersion = ""
	case 1:
		t.CipherSuite = ""
	case 2:
		t.ClientProvidedHostHeader = ""
	case 3:
		t.KeyExchange = ""
	}
}

var addendumKeys = newKeys("reason", "updatedFields", "originalRequestID", "originalEventID")

func (a *Addendum) keys() *keys                     { return &addendumKeys }
func (a *Addendum) fields() (*[]Field, *objectMeta) { return &a.Extra, &a.meta }

func (a *Addendum) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&a.Reason, &a.meta, i)
	case 1:
		return p.strField(&a.UpdatedFields, &a.meta, i)
	case 2:
		return p.strField(&a.OriginalRequestID, &a.meta, i)
	case 3:
		return p.strField(&a.OriginalEventID, &a.meta, i)
	}
	return false, nil
}

func (a *Addendum) present(i int) bool {
	switch i {
	case 0:
		return a.Reason != "" || a.meta.empty&(1<<0) != 0
	case 1:
		return a.UpdatedFields != "" || a.meta.empty&(1<<1) != 0
	case 2:
		return a.OriginalRequestID != "" || a.meta.empty&(1<<2) != 0
	case 3:
		return a.OriginalEventID != "" || a.meta.empty&(1<<3) != 0
	}
	return false
}

func (a *Addendum) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, a.Reason)
	case 1:
		return appendString(b, a.UpdatedFields)
	case 2:
		return appendString(b, a.OriginalRequestID)
	case 3:
		return appendString(b, a.OriginalEventID)
	}
	return b
}

func (a *Addendum) clearField(i int) {
	switch i {
	case 0:
		a.Reason = ""
	case 1:
		a.UpdatedFields = ""
	case 2:
		a.OriginalRequestID = ""
	case 3:
		a.OriginalEventID = ""
	}
}

var insightDetailsKeys = newKeys("state", "eventSource", "eventName", "insightType", "errorCode", "insightContext")

func (d *InsightDetails) keys() *keys                     { return &insightDetailsKeys }
func (d *InsightDetails) fields() (*[]Field, *objectMeta) { return &d.Extra, &d.meta }

func (d *InsightDetails) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&d.State, &d.meta, i)
	case 1:
		return p.strField(&d.EventSource, &d.meta, i)
	case 2:
		return p.strField(&d.EventName, &d.meta, i)
	case 3:
		return p.strField(&d.InsightType, &d.meta, i)
	case 4:
		return p.strField(&d.ErrorCode, &d.meta, i)
	case 5:
		return decodeObjectField(p, &d.InsightContext)
	}
	return false, nil
}

func (d *InsightDetails) present(i int) bool {
	switch i {
	case 0:
		return d.State != "" || d.meta.empty&(1<<0) != 0
	case 1:
		return d.EventSource != "" || d.meta.empty&(1<<1) != 0
	case 2:
		return d.EventName != "" || d.meta.empty&(1<<2) != 0
	case 3:
		return d.InsightType != "" || d.meta.empty&(1<<3) != 0
	case 4:
		return d.ErrorCode != "" || d.meta.empty&(1<<4) != 0
	case 5:
		return d.InsightContext != nil
	}
	return false
}

func (d *InsightDetails) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, d.State)
	case 1:
		return appendString(b, d.EventSource)
	case 2:
		return appendString(b, d.EventName)
	case 3:
		return appendString(b, d.InsightType)
	case 4:
		return appendString(b, d.ErrorCode)
	case 5:
		return appendObject(b, d.InsightContext)
	}
	return b
}

func (d *InsightDetails) clearField(i int) {
	switch i {
	case 0:
		d.State = ""
	case 1:
		d.EventSource = ""
	case 2:
		d.EventName = ""
	case 3:
		d.InsightType = ""
	case 4:
		d.ErrorCode = ""
	case 5:
		d.InsightContext = nil
	}
}

var insightContextKeys = newKeys("statistics", "attributions")

func (c *InsightContext) keys() *keys                     { return &insightContextKeys }
func (c *InsightContext) fields() (*[]Field, *objectMeta) { return &c.Extra, &c.meta }

func (c *InsightContext) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return decodeObjectField(p, &c.Statistics)
	case 1:
		return decodeObjects(p, &c.Attributions)
	}
	return false, nil
}

func (c *InsightContext) present(i int) bool {
	switch i {
	case 0:
		return c.Statistics != nil
	case 1:
		return c.Attributions != nil
	}
	return false
}

func (c *InsightContext) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendObject(b, c.Statistics)
	case 1:
		return appendObjects(b, c.Attributions)
	}
	return b
}

func (c *InsightContext) clearField(i int) {
	switch i {
	case 0:
		c.Statistics = nil
	case 1:
		c.Attributions = nil
	}
}

var insightStatisticsKeys = newKeys("baseline", "insight", "insightDuration", "baselineDuration")

func (s *InsightStatistics) keys() *keys                     { return &insightStatisticsKeys }
func (s *InsightStatistics) fields() (*[]Field, *objectMeta) { return &s.Extra, &s.meta }

func (s *InsightStatistics) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return decodeObjectField(p, &s.Baseline)
	case 1:
		return decodeObjectField(p, &s.Insight)
	case 2:
		return p.numField(&s.InsightDuration)
	case 3:
		return p.numField(&s.BaselineDuration)
	}
	return false, nil
}

func (s *InsightStatistics) present(i int) bool {
	switch i {
	case 0:
		return s.Baseline != nil
	case 1:
		return s.Insight != nil
	case 2:
		return s.InsightDuration != ""
	case 3:
		return s.BaselineDuration != ""
	}
	return false
}

func (s *InsightStatistics) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendObject(b, s.Baseline)
	case 1:
		return appendObject(b, s.Insight)
	case 2:
		return append(b, s.InsightDuration...)
	case 3:
		return append(b, s.BaselineDuration...)
	}
	return b
}

func (s *InsightStatistics) clearField(i int) {
	switch i {
	case 0:
		s.Baseline = nil
	case 1:
		s.Insight = nil
	case 2:
		s.InsightDuration = ""
	case 3:
		s.BaselineDuration = ""
	}
}

var insightAverageKeys = newKeys("average")

func (a *InsightAverage) keys() *keys                     { return &insightAverageKeys }
func (a *InsightAverage) fields() (*[]Field, *objectMeta) { return &a.Extra, &a.meta }

func (a *InsightAverage) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.numField(&a.Average)
	}
	return false, nil
}

func (a *InsightAverage) present(i int) bool {
	switch i {
	case 0:
		return a.Average != ""
	}
	return false
}

func (a *InsightAverage) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return append(b, a.Average...)
	}
	return b
}

func (a *InsightAverage) clearField(i int) {
	switch i {
	case 0:
		a.Average = ""
	}
}

var insightAttributionKeys = newKeys("attribute", "insight", "baseline")

func (a *InsightAttribution) keys() *keys                     { return &insightAttributionKeys }
func (a *InsightAttribution) fields() (*[]Field, *objectMeta) { return &a.Extra, &a.meta }

func (a *InsightAttribution) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&a.Attribute, &a.meta, i)
	case 1:
		return decodeObjects(p, &a.Insight)
	case 2:
		return decodeObjects(p, &a.Baseline)
	}
	return false, nil
}

func (a *InsightAttribution) present(i int) bool {
	switch i {
	case 0:
		return a.Attribute != "" || a.meta.empty&(1<<0) != 0
	case 1:
		return a.Insight != nil
	case 2:
		return a.Baseline != nil
	}
	return false
}

func (a *InsightAttribution) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, a.Attribute)
	case 1:
		return appendObjects(b, a.Insight)
	case 2:
		return appendObjects(b, a.Baseline)
	}
	return b
}

func (a *InsightAttribution) clearField(i int) {
	switch i {
	case 0:
		a.Attribute = ""
	case 1:
		a.Insight = nil
	case 2:
		a.Baseline = nil
	}
}

var attributeValueKeys = newKeys("value", "average")

func (a *AttributeValue) keys() *keys                     { return &attributeValueKeys }
func (a *AttributeValue) fields() (*[]Field, *objectMeta) { return &a.Extra, &a.meta }

func (a *AttributeValue) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&a.Value, &a.meta, i)
	case 1:
		return p.numField(&a.Average)
	}
	return false, nil
}

func (a *AttributeValue) present(i int) bool {
	switch i {
	case 0:
		return a.Value != "" || a.meta.empty&(1<<0) != 0
	case 1:
		return a.Average != ""
	}
	return false
}

func (a *AttributeValue) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, a.Value)
	case 1:
		return append(b, a.Average...)
	}
	return b
}

func (a *AttributeValue) clearField(i int) {
	switch i {
	case 0:
		a.Value = ""
	case 1:
		a.Average = ""
	}
}

var edgeDeviceDetailsKeys = newKeys("type", "deviceId", "deviceFamily", "snowJobId", "attributes")

func (d *EdgeDeviceDetails) keys() *keys                     { return &edgeDeviceDetailsKeys }
func (d *EdgeDeviceDetails) fields() (*[]Field, *objectMeta) { return &d.Extra, &d.meta }

func (d *EdgeDeviceDetails) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.strField(&d.Type, &d.meta, i)
	case 1:
		return p.strField(&d.DeviceID, &d.meta, i)
	case 2:
		return p.strField(&d.DeviceFamily, &d.meta, i)
	case 3:
		return p.strField(&d.SnowJobID, &d.meta, i)
	case 4:
		return p.rawField(&d.Attributes)
	}
	return false, nil
}

func (d *EdgeDeviceDetails) present(i int) bool {
	switch i {
	case 0:
		return d.Type != "" || d.meta.empty&(1<<0) != 0
	case 1:
		return d.DeviceID != "" || d.meta.empty&(1<<1) != 0
	case 2:
		return d.DeviceFamily != "" || d.meta.empty&(1<<2) != 0
	case 3:
		return d.SnowJobID != "" || d.meta.empty&(1<<3) != 0
	case 4:
		return d.Attributes != nil
	}
	return false
}

func (d *EdgeDeviceDetails) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return appendString(b, d.Type)
	case 1:
		return appendString(b, d.DeviceID)
	case 2:
		return appendString(b, d.DeviceFamily)
	case 3:
		return appendString(b, d.SnowJobID)
	case 4:
		return append(b, d.Attributes...)
	}
	return b
}

func (d *EdgeDeviceDetails) clearField(i int) {
	switch i {
	case 0:
		d.Type = ""
	case 1:
		d.DeviceID = ""
	case 2:
		d.DeviceFamily = ""
	case 3:
		d.SnowJobID = ""
	case 4:
		d.Attributes = nil
	}
}

var eventContextKeys = newKeys("requestContext", "tagContext")

func (c *EventContext) keys() *keys                     { return &eventContextKeys }
func (c *EventContext) fields() (*[]Field, *objectMeta) { return &c.Extra, &c.meta }

func (c *EventContext) decodeField(p *parser, i int) (bool, error) {
	switch i {
	case 0:
		return p.rawField(&c.RequestContext)
	case 1:
		return p.rawField(&c.TagContext)
	}
	return false, nil
}

func (c *EventContext) present(i int) bool {
	switch i {
	case 0:
		return c.RequestContext != nil
	case 1:
		return c.TagContext != nil
	}
	return false
}

func (c *EventContext) appendField(b []byte, i int) []byte {
	switch i {
	case 0:
		return append(b, c.RequestContext...)
	case 1:
		return append(b, c.TagContext...)
	}
	return b
}

func (c *EventContext) clearField(i int) {
	switch i {
	case 0:
		c.RequestContext = nil
	case 1:
		c.TagContext = nil
	}
}
