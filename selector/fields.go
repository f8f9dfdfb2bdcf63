package selector

import (
	"strings"

	"github.com/trailkit/trailkit/event"
)

// field identifies an advanced selector field, so that matching switches on
// a small integer instead of comparing names.
type field uint8

const (
	fieldUnknown field = iota
	fieldEventCategory
	fieldEventSource
	fieldEventName
	fieldEventType
	fieldReadOnly
	fieldResourcesType
	fieldResourcesARN
	fieldErrorCode
	fieldSessionCredentialFromConsole
	fieldUserIdentityARN
	fieldVPCEndpointID
)

// fieldNames is indexed by field.
var fieldNames = [...]string{
	fieldUnknown:                      "",
	fieldEventCategory:                FieldEventCategory,
	fieldEventSource:                  FieldEventSource,
	fieldEventName:                    FieldEventName,
	fieldEventType:                    FieldEventType,
	fieldReadOnly:                     FieldReadOnly,
	fieldResourcesType:                FieldResourcesType,
	fieldResourcesARN:                 FieldResourcesARN,
	fieldErrorCode:                    FieldErrorCode,
	fieldSessionCredentialFromConsole: FieldSessionCredentialFromConsole,
	fieldUserIdentityARN:              FieldUserIdentityARN,
	fieldVPCEndpointID:                FieldVPCEndpointID,
}

// fieldByName is case-sensitive, as CloudTrail is assumed to be.
func fieldByName(name string) field {
	for id, n := range fieldNames {
		if id != int(fieldUnknown) && n == name {
			return field(id)
		}
	}
	return fieldUnknown
}

// fieldValue returns the record's value of a record-level field, "" when
// the record lacks it. An empty string counts as absent: no selector value
// can be empty, so absent and empty lead to the same outcome.
func fieldValue(r *event.Record, f field) string {
	switch f {
	case fieldEventSource:
		return r.EventSource
	case fieldEventName:
		return r.EventName
	case fieldEventType:
		return r.EventType
	case fieldErrorCode:
		return r.ErrorCode
	case fieldSessionCredentialFromConsole:
		return r.SessionCredentialFromConsole
	case fieldVPCEndpointID:
		return r.VPCEndpointID
	case fieldReadOnly:
		return readOnlyText(r.ReadOnly)
	case fieldUserIdentityARN:
		if r.UserIdentity != nil {
			return r.UserIdentity.ARN
		}
	}
	return ""
}

func readOnlyText(b *bool) string {
	switch {
	case b == nil:
		return ""
	case *b:
		return "true"
	}
	return "false"
}

// resourceARN is what ARN conditions see of a resource: its ARN, or for S3
// bucket-level operations its ARNPrefix.
func resourceARN(res *event.Resource) string {
	if res.ARN != "" {
		return res.ARN
	}
	return res.ARNPrefix
}

// validDataResourceValue reports whether value is a DataResources value
// CloudTrail accepts for a basic selector's type: the "all resources" prefix
// of a partition, an S3 bucket ARN with a slash and optional key prefix, or
// a full Lambda function or DynamoDB table ARN. No wildcards.
func validDataResourceValue(typ, value string) bool {
	if strings.ContainsAny(value, "*?") || len(value) > MaxValueLength {
		return false
	}
	service, rest, ok := splitARN(value)
	if !ok {
		return false
	}
	switch typ {
	case basicTypeS3Object:
		if service != "s3" {
			return false
		}
		if rest == "" || rest == ":::" {
			return true // arn:aws:s3 and arn:aws:s3::: mean every bucket
		}
		bucketAndKey, ok := strings.CutPrefix(rest, ":::")
		if !ok {
			return false
		}
		bucket, _, slash := strings.Cut(bucketAndKey, "/")
		return slash && validBucketName(bucket)
	case basicTypeLambdaFunction:
		if service != "lambda" {
			return false
		}
		return rest == "" || validFunctionARNRest(rest)
	case basicTypeDynamoDBTable:
		if service != "dynamodb" {
			return false
		}
		return rest == "" || validTableARNRest(rest)
	}
	return false
}

// splitARN splits "arn:<partition>:<service><rest>" where rest is empty or
// starts with ':'.
func splitARN(value string) (service, rest string, ok bool) {
	after, ok := strings.CutPrefix(value, "arn:")
	if !ok {
		return "", "", false
	}
	partition, after, ok := strings.Cut(after, ":")
	if !ok || !validPartition(partition) {
		return "", "", false
	}
	i := strings.IndexByte(after, ':')
	if i < 0 {
		return after, "", after != ""
	}
	return after[:i], after[i:], i > 0
}

func validPartition(p string) bool {
	if p != "aws" && !strings.HasPrefix(p, "aws-") {
		return false
	}
	return allBytes(p, func(c byte) bool { return c == '-' || 'a' <= c && c <= 'z' }) && !strings.HasSuffix(p, "-")
}

// validBucketName accepts current bucket names and the legacy ones of
// us-east-1 (upper case, underscores, up to 255 characters).
func validBucketName(b string) bool {
	return len(b) >= 1 && len(b) <= 255 && allBytes(b, func(c byte) bool {
		return isAlnum(c) || c == '.' || c == '-' || c == '_'
	})
}

// validFunctionARNRest checks ":<region>:<account>:function:<name>[:<qualifier>]".
func validFunctionARNRest(rest string) bool {
	parts := strings.Split(rest, ":")
	if len(parts) != 5 && len(parts) != 6 {
		return false
	}
	if parts[0] != "" || !validRegion(parts[1]) || !validAccount(parts[2]) || parts[3] != "function" {
		return false
	}
	name := func(s string, maxLen int) bool {
		return s != "" && len(s) <= maxLen && allBytes(s, func(c byte) bool { return isAlnum(c) || c == '-' || c == '_' })
	}
	if !name(parts[4], 64) {
		return false
	}
	return len(parts) == 5 || parts[5] == "$LATEST" || name(parts[5], 128)
}

// validTableARNRest checks ":<region>:<account>:table/<name>".
func validTableARNRest(rest string) bool {
	parts := strings.Split(rest, ":")
	if len(parts) != 4 || parts[0] != "" || !validRegion(parts[1]) || !validAccount(parts[2]) {
		return false
	}
	name, ok := strings.CutPrefix(parts[3], "table/")
	return ok && len(name) >= 3 && len(name) <= 255 && allBytes(name, func(c byte) bool {
		return isAlnum(c) || c == '-' || c == '_' || c == '.'
	})
}

// validRegion accepts names such as us-east-1 and us-gov-west-1.
func validRegion(r string) bool {
	parts := strings.Split(r, "-")
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts[:len(parts)-1] {
		if p == "" || !allBytes(p, func(c byte) bool { return 'a' <= c && c <= 'z' }) {
			return false
		}
	}
	last := parts[len(parts)-1]
	return last != "" && allBytes(last, func(c byte) bool { return '0' <= c && c <= '9' })
}

func validAccount(a string) bool {
	return len(a) == 12 && allBytes(a, func(c byte) bool { return '0' <= c && c <= '9' })
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

func allBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}
