package lake

import (
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

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

// rc are the columns the ocsf shape's direct path reads (ocsfdirect.go):
// rc[cX] is that of recordPaths[cX].
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

// valueText returns a string value's text, sharing its memory, or "".
func valueText(v parquet.Value) string {
	if v.IsNull() {
		return ""
	}
	b := v.ByteArray()
	return unsafe.String(unsafe.SliceData(b), len(b))
}
