// Package detect evaluates detection rules on CloudTrail records: the
// CloudWatch Logs filter patterns of metric filters, the CloudTrail alarms
// of the CIS AWS Foundations Benchmark, and Sigma rules. Rules are compiled
// once into a [Rule]; a [Set] indexes them and evaluates them on a decoded
// [event.Record] (on a live trail) or on a record's JSON text (over stored
// logs, as "trailkit detect" does).
//
// # Rule languages
//
// [ParsePattern] compiles a CloudWatch Logs filter pattern with
// CloudWatch's semantics, so a metric filter pasted from production counts
// here what CloudWatch would have counted:
//
//   - the JSON form, { $.userIdentity.type = "Root" && $.errorCode NOT
//     EXISTS }: selectors $.a.b, $.a[0].b and $.['a.b']; = and != on
//     strings, quoted or not, where '*' at the start or end of a value is a
//     wildcard (inside a value it is a literal '*'); numeric =, !=, <, <=,
//     >, >=; IS NULL, NOT EXISTS, IS TRUE, IS FALSE; &&, || (&& binds
//     first) and parentheses; %regex% values. Matching is case-sensitive. A
//     comparison matches only a string or number: a missing field, null, a
//     boolean, an object or an array satisfies neither = nor !=.
//   - the term form, matched against the record's JSON text: ERROR
//     Exception (every term), "Failed" -"Retry" (a term that must not
//     occur), ?ERROR ?WARN (any of the terms), %regex%, and "" (every
//     record). Space-delimited patterns ([ip, user, ...]) are refused.
//
// [CIS] returns the fifteen CloudTrail alarms of section 4 of the CIS AWS
// Foundations Benchmark v3.0.0 ([CISVersion]), each a pattern rule named
// by its control number (4.1 unauthorized API calls … 4.15 AWS
// Organizations changes), with the benchmark's metric filter as
// published.
//
// [ParseSigma] and [LoadSigma] compile Sigma rules (the specification's
// YAML) for logsource product aws, service cloudtrail. Detection maps are
// AND'ed and lists OR'ed; dotted field names follow CloudTrail's nesting
// (userIdentity.sessionContext.sessionIssuer.userName,
// requestParameters.x) and a field that crosses or ends on a JSON array
// matches when one element does. Values match case-insensitively unless
// the cased modifier is given (a character outside ASCII never matches an
// ASCII one: the Kelvin sign is not k), with * and ? wildcards; null matches a
// missing or null field; a string value tested on an object or array is
// matched against its JSON text. The modifiers are contains, startswith,
// endswith, all, re (with i, m and s; Go's RE2 syntax, so look-arounds and
// back-references are refused), cidr, exists, cased, fieldref (with
// contains, startswith, endswith), windash, base64, base64offset, wide,
// utf16le, utf16be, utf16, lt, lte, gt and gte. Conditions have and, or,
// not, parentheses, "1 of x*", "any of x*", "all of x*" and "… of them".
//
// # Errors
//
// A rule the engine cannot honour is an error, never a rule that silently
// matches nothing: aggregations (| count()), near, correlation rules, rule
// collections, the expand and time-part modifiers and unknown modifiers are
// refused with an *[Error] wrapping [ErrUnsupported]. Every *Error names
// the file (or pattern), the line and column, the rule, and what was
// expected there; [LoadSigma] compiles every file of a directory and
// reports every bad rule, not only the first.
//
// # Evaluation
//
// A Set tests a record only against the rules that can match it: a rule
// whose condition requires one of a few eventName values is indexed under
// them; failing that, under its eventSource values, or under the values
// of another field of the record model it requires (userIdentity.type:
// Root); only the rules that require none are tried on every record.
// Fields are read from the decoded record's typed fields, or in place from
// its JSON text, without decoding or building JSON; a record that no
// rule's index matches costs a few hash lookups and allocates nothing. On a live trail, [Detector] is the trail's Inspector.
// [JSONFinding.AppendOCSF] renders a finding as an OCSF 1.1 Detection
// Finding (class 2004), as "trailkit detect --output ocsf" prints it.
package detect
