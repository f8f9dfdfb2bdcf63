// Package selector decides which records a trail logs, configured with the
// JSON that "aws cloudtrail put-event-selectors" takes and
// "get-event-selectors" prints, so that a trail's configuration moves
// between AWS and trailkit unchanged.
//
// # The model
//
// A Config holds a trail's selectors, as the members of the API request:
//
//   - EventSelectors, the basic selectors (at most 5): ReadWriteType,
//     IncludeManagementEvents, ExcludeManagementEventSources (KMS and RDS
//     Data API) and DataResources for S3 objects, Lambda functions and
//     DynamoDB tables.
//   - AdvancedEventSelectors: each selector is a list of field selectors
//     (eventCategory, eventSource, eventName, eventType, readOnly,
//     resources.type, resources.ARN, errorCode, sessionCredentialFromConsole,
//     userIdentity.arn, vpcEndpointId) with the operators Equals,
//     StartsWith, EndsWith and their Not forms.
//   - InsightSelectors, which turn on CloudTrail Insights (ApiCallRateInsight,
//     ApiErrorRateInsight) for management and/or data events.
//
// A trail uses basic or advanced selectors, never both. With neither, it has
// CloudTrail's default for a new trail: all read and write management
// events, no data, no network activity and no Insights events (DefaultConfig).
//
// # Reading and checking a configuration
//
// ParseConfig reads one JSON object as get-event-selectors prints it or
// put-event-selectors --cli-input-json takes it; members other than the
// three lists (TrailName, TrailARN, …) are ignored. ParseEventSelectors,
// ParseAdvancedEventSelectors and ParseInsightSelectors read the bare lists
// of the CLI options. Parsing is strict, as the AWS request format is:
// member names are case-sensitive, an unknown or repeated member inside a
// selector is an error, every value must have its JSON type, and null means
// absent. In Go, a nil list is an absent member and a non-nil empty list a
// member written as [].
//
// Config.Validate, which Compile calls, applies CloudTrail's rules: the
// limits (5 basic selectors, 250 DataResources values over all basic
// selectors, 500 values over all advanced selectors, 2048 characters a
// value, 1000 a Name), the fields each event category allows with their
// operators and values, and the rules of the Insights types. Every error is
// an *Error carrying the exception CloudTrail answers with
// (InvalidEventSelectorsException or InvalidInsightSelectorsException), a
// message — CloudTrail's own where it is known, such as "Value
// arn:aws:s3:::bucket for DataResources.Values is invalid.", otherwise one
// in the AWS SDKs' style that names the selector and field — and the Path
// of the offending member.
//
// The lists CloudTrail keeps growing — the data event resource types of
// resources.type and the event sources of network activity events — are
// data: DefaultCatalog returns trailkit's, and Options.Catalog accepts a
// longer one without a new release of trailkit.
//
// # Matching
//
// Compile returns a Matcher. Match reports whether the trail logs a record;
// it allocates nothing and is safe for concurrent use. The rules are
// CloudTrail's:
//
//   - A record is logged when at least one selector selects it.
//   - The record's category (eventCategory, or for records older than
//     eventVersion 1.07 the one event.Record.Category derives) decides which
//     selectors can select it. Basic selectors select management and data
//     events only; an advanced selector selects the category it names.
//     Insights events are never selected by event selectors.
//   - Basic: ReadWriteType applies to management and data events alike.
//     S3 values are plain string prefixes of the object ARN (arn:aws:s3:::b/
//     covers every object of bucket b, arn:aws:s3:::b/x covers x-old/…);
//     Lambda and DynamoDB values are whole ARNs; arn:<partition>:s3,
//     arn:<partition>:s3:::, arn:<partition>:lambda and
//     arn:<partition>:dynamodb select every resource of the type.
//   - Advanced: within a field selector, a record passes when its value hits
//     one of the Equals, StartsWith and EndsWith values (or there are none)
//     and none of the NotEquals, NotStartsWith and NotEndsWith values. The
//     field selectors of a selector are AND'ed. resources.type and
//     resources.ARN are tested on one and the same resources entry, and an
//     entry without ARN is matched by its ARNPrefix (S3 bucket-level
//     operations such as ListObjects).
//
// Explain answers "why is my event missing?": it evaluates the record with
// the same code as Match and says, for each selector, whether it selected
// the record and which field decided.
//
// For the Insights detector, InsightSelectors returns the parsed Insights
// configuration and InsightsCount reports whether an analysis counts a
// record: the trail logs it, Insights of that type are on for its category,
// and it is an event the analysis reads (ApiCallRateInsight on management
// events reads write events only; see IsWriteManagementEvent).
//
// # Where CloudTrail's behaviour is not documented
//
// trailkit chooses what a CloudTrail user would expect, and the tests pin
// each choice down:
//
//   - A record without the field a field selector tests fails its Equals,
//     StartsWith and EndsWith, and is not rejected by its Not operators; so
//     sessionCredentialFromConsole NotEquals true keeps calls that did not
//     come from the console. An empty string counts as absent.
//   - ReadWriteType ReadOnly or WriteOnly, and readOnly Equals, do not select
//     a record without readOnly.
//   - Values and field names are compared exactly, case included; there are
//     no wildcards (a * is a character like any other).
//   - A DynamoDB table value of a basic selector matches that table's ARN
//     exactly, as a Lambda function value does.
//   - A basic value containing * or ? is rejected, as CloudTrail rejects its
//     wildcard forms; a DataResources entry without values is rejected since
//     it would select nothing.
//   - eventCategory and resources.type take one value and appear once per
//     advanced selector; other fields may repeat, and repeats are AND'ed.
//   - resources.ARN values are not checked for ARN syntax.
//   - sessionCredentialFromConsole accepts only the value true (records
//     carry the field only when it is true); userIdentity.arn is not a
//     field of network activity selectors.
//   - An empty AdvancedEventSelectors list is accepted and logs nothing, as
//     is a basic selector with IncludeManagementEvents false and no data
//     resources. An empty EventSelectors list is invalid (1 to 5).
//   - Both event selector lists in one configuration are rejected even when
//     one is empty. A member repeated in a JSON object, and a misspelt case
//     of EventSelectors, AdvancedEventSelectors or InsightSelectors at the
//     top level, are rejected rather than silently ignored.
//   - InsightSelectors: a type listed twice or an empty EventCategories list
//     is rejected. Whether the trail logs the events an analysis needs is not
//     checked; InsightsCount simply counts only what the trail logs.
//
// # Further reading
//
// The rules with their sources, the field table of advanced selectors and
// the test vectors: https://github.com/trailkit/trailkit/blob/main/docs/selectors.md.
package selector
