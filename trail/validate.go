package trail

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/trailkit/trailkit/event"
)

// ConfigError reports an invalid [Config]: the field, its value and the
// rule it breaks. For the fields CloudTrail checks, Exception is the name
// CloudTrail answers with (InvalidTrailNameException, …); trailkit also
// refuses what could put objects outside the trail's key space.
type ConfigError struct {
	Field     string // Config field, such as "Name" or "Files.MaxBytes"
	Value     string // the field's value, as Go prints it
	Rule      string // what the value must be
	Exception string // CloudTrail's exception name, or "" for trailkit's own fields
	// Err is the error of the package that checked the field (a
	// *selector.Error, an error wrapping insight.ErrConfig), or nil.
	Err error
}

// Error returns "trail config: [Exception: ]Field "Value": Rule". The value
// is left out when Err describes it.
func (e *ConfigError) Error() string {
	s := "trail config: "
	if e.Exception != "" {
		s += e.Exception + ": "
	}
	s += e.Field
	if e.Value != "" || e.Err == nil {
		s += " " + strconv.Quote(e.Value)
	}
	return s + ": " + e.Rule
}

func (e *ConfigError) Unwrap() error { return e.Err }

func configError(field, value, exception, format string, args ...any) *ConfigError {
	return &ConfigError{Field: field, Value: value, Exception: exception, Rule: fmt.Sprintf(format, args...)}
}

// ValidateTrailName applies CloudTrail's rules for trail names: 3 to 128
// ASCII letters, digits, periods, underscores and hyphens; starting and
// ending with a letter or digit; no two of '.', '_', '-' next to each other;
// not in the form of an IP address. Such a name can never name a path outside
// the trail's key space.
func ValidateTrailName(name string) error {
	bad := func(format string, args ...any) error {
		return configError("Name", name, "InvalidTrailNameException", format, args...)
	}
	if n := len(name); n < 3 || n > 128 {
		return bad("must be 3 to 128 characters long, not %d", n)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case isAlnum(c):
		case c == '.' || c == '_' || c == '-':
			if i == 0 || i == len(name)-1 {
				return bad("must start and end with a letter or number")
			}
			if p := name[i-1]; p == '.' || p == '_' || p == '-' {
				return bad("must not have adjacent periods, underscores or dashes (%q)", name[i-1:i+1])
			}
		default:
			return bad("may contain only ASCII letters, numbers, periods, underscores and dashes, not %q", rune(c))
		}
	}
	if isIPv4(name) {
		return bad("must not be in IP address format")
	}
	return nil
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isIPv4(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 4 {
		return false
	}
	for _, p := range parts {
		if !isDigits(p) || len(p) > 3 {
			return false
		}
	}
	return true
}

// ValidateAccountID checks an AWS account id: exactly 12 digits.
func ValidateAccountID(field, id string) error {
	if !event.IsAccountID(id) {
		return configError(field, id, "InvalidParameterException", "an AWS account id is exactly 12 digits")
	}
	return nil
}

// ValidateRegion checks the form of an AWS region name: lower-case words
// joined by hyphens, the first two letters long and the last a number, such
// as us-east-1, eu-central-2 or us-gov-west-1.
func ValidateRegion(field, region string) error {
	bad := func(reason string) error {
		return configError(field, region, "InvalidParameterException", "%s", reason)
	}
	if len(region) > 32 {
		return bad("is longer than 32 characters")
	}
	parts := strings.Split(region, "-")
	if len(parts) < 3 {
		return bad("is not a region name such as us-east-1")
	}
	for i, p := range parts {
		switch {
		case i == len(parts)-1:
			if !isDigits(p) || len(p) > 2 {
				return bad("is not a region name such as us-east-1: must end in a number")
			}
		case p == "" || (i == 0 && len(p) != 2):
			return bad("is not a region name such as us-east-1")
		default:
			for j := 0; j < len(p); j++ {
				if p[j] < 'a' || p[j] > 'z' {
					return bad("is not a region name such as us-east-1: lower-case letters, hyphens and a final number only")
				}
			}
		}
	}
	return nil
}

// ValidateOrganizationID checks an AWS Organizations id: "o-" and 10 to 32
// lower-case letters or digits.
func ValidateOrganizationID(id string) error {
	rest, ok := strings.CutPrefix(id, "o-")
	ok = ok && len(rest) >= 10 && len(rest) <= 32
	for i := 0; ok && i < len(rest); i++ {
		ok = rest[i] >= 'a' && rest[i] <= 'z' || rest[i] >= '0' && rest[i] <= '9'
	}
	if !ok {
		return configError("OrganizationID", id, "InvalidParameterException", `an organization id is "o-" and 10 to 32 lower-case letters or digits`)
	}
	return nil
}

// MaxS3KeyPrefixLength is CloudTrail's limit on S3KeyPrefix.
const MaxS3KeyPrefixLength = 200

// ValidateS3KeyPrefix checks a key prefix. CloudTrail allows up to 200
// characters; trailkit also writes keys as paths under a directory sink's
// root, so it refuses what could leave the root or alias another key: a
// leading or trailing '/', an empty, "." or ".." segment, a backslash, and
// control characters; and a segment starting with '.', which a directory
// sink keeps hidden. An empty prefix is valid (no prefix).
func ValidateS3KeyPrefix(prefix string) error {
	bad := func(format string, args ...any) error {
		return configError("S3KeyPrefix", prefix, "InvalidS3PrefixException", format, args...)
	}
	if prefix == "" {
		return nil
	}
	if len(prefix) > MaxS3KeyPrefixLength {
		return bad("is longer than %d characters", MaxS3KeyPrefixLength)
	}
	for _, r := range prefix {
		if r < 0x20 || r == 0x7f || r == '\\' || r == 0xfffd {
			return bad("must not contain %q", r)
		}
	}
	for seg := range strings.SplitSeq(prefix, "/") {
		switch {
		case seg == "":
			return bad("must not start or end with '/' or contain '//'")
		case seg == "." || seg == "..":
			return bad("must not contain a %q segment", seg)
		case seg[0] == '.':
			return bad("segment %q starts with '.', which a directory sink keeps for its own files", seg)
		case len(seg) > 250:
			return bad("has a segment longer than 250 bytes")
		}
	}
	return nil
}
