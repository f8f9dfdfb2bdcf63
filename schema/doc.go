// Package schema holds JSON Schemas (draft 2020-12) for CloudTrail's files
// and validates documents against them.
//
// # What the schemas cover
//
// record.schema.json describes one CloudTrail record through eventVersion
// 1.11: every field CloudTrail documents, with its JSON type, and the nested
// objects down to their members — userIdentity (sessionContext with
// sessionIssuer, webIdFederationData and attributes; onBehalfOf, inScopeOf,
// invokedByDelegate, credentialId), resources, tlsDetails (with
// keyExchange), addendum, edgeDeviceDetails, insightDetails (statistics and
// attributions), eventContext. Each field's description says the
// eventVersion that brought it. logfile.schema.json describes a log file's
// body, {"Records":[...]}, each record by the record schema.
// digest.schema.json describes a digest file's body: every member CloudTrail
// writes, null where the AWS CLI expects null, hashes and signatures in
// lower-case hex.
//
// The schemas are in FS, with $id URLs under BaseURL, for any JSON Schema
// validator; Kind.Schema gives them compiled for
// github.com/santhosh-tekuri/jsonschema/v5.
//
// # How lenient
//
// A known field with the wrong JSON type fails, and the error points at it:
// readOnly "true" fails at /readOnly, a numeric ARN at /resources/0/ARN. So
// does an eventTime that is not YYYY-MM-DDThh:mm:ssZ, a real UTC time, and an
// eventVersion that is not major.minor. Everything else is let through,
// because real records do it and CloudTrail itself writes it:
//
//   - Unknown fields pass at every level: CloudTrail adds fields in minor
//     versions, and consumers are told to ignore what they do not know.
//   - Only eventVersion and eventTime are required. Real records lack
//     userIdentity, userIdentity.type, eventID, eventType, eventCategory
//     and awsRegion, each in some case. An Insights record
//     (eventType AwsCloudTrailInsight) must have insightDetails.
//   - The variance real data shows is accepted where it is known:
//     resources as a string, mfaAuthenticated as a boolean as well as
//     "true"/"false", additionalEventData and responseElements as strings
//     or null, requestParameters null, errorCode "", resources[].arn
//     spelled in lower case, edgeDeviceDetails.deviceID.
//   - Free-form service payloads — requestParameters, responseElements,
//     additionalEventData, serviceEventDetails, webIdFederationData and
//     edgeDeviceDetails attributes, eventContext's contexts — are checked
//     for their own type only, never looked into.
//   - Values are not checked against lists (eventType, eventCategory,
//     userIdentity.type): documentation examples use other spellings and
//     CloudTrail adds values.
//
// Numbers are decoded as json.Number, so integers beyond 2^53 and long
// decimals keep their value. Of a key that appears twice in an object, the
// last value is checked, as encoding/json keeps it.
//
// # Errors
//
// Validation returns a *ValidationError whose Violations list each broken
// rule: the JSON pointer of the value (or of the missing member), the rule's
// place in the schema, and a message. Data that is not one JSON value in
// UTF-8 gives an error wrapping ErrInvalidJSON instead.
package schema
