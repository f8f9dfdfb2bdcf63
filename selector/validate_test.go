package selector_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/selector"
)

const (
	invalidEvent   = selector.ExceptionInvalidEventSelectors
	invalidInsight = selector.ExceptionInvalidInsightSelectors
)

// basic wraps one basic selector's JSON members into a configuration.
func basic(members string) string { return `{"EventSelectors": [{` + members + `}]}` }

// advanced wraps field selectors into a configuration of one advanced
// selector named "s".
func advanced(fieldSelectors ...string) string {
	return `{"AdvancedEventSelectors": [{"Name": "s", "FieldSelectors": [` + strings.Join(fieldSelectors, ",") + `]}]}`
}

func fs(field, op string, values ...string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf(`{"Field": %q, %q: [%s]}`, field, op, strings.Join(quoted, ","))
}

var (
	mgmt    = fs("eventCategory", "Equals", "Management")
	data    = fs("eventCategory", "Equals", "Data")
	network = fs("eventCategory", "Equals", "NetworkActivity")
	s3Type  = fs("resources.type", "Equals", "AWS::S3::Object")
	kmsNet  = fs("eventSource", "Equals", "kms.amazonaws.com")
)

// requireSelectorError parses and compiles config and returns the *Error it
// must fail with.
func requireSelectorError(t *testing.T, config string) *selector.Error {
	t.Helper()
	err := parseAndCompile([]byte(config))
	require.Error(t, err, "config must be rejected: %s", config)
	var se *selector.Error
	require.True(t, errors.As(err, &se), "want *selector.Error, got %T: %v", err, err)
	assert.Equal(t, se.Exception+": "+se.Message, err.Error())
	return se
}

// assertSelectorError checks se against a test case: its exception, its
// message and path when given, the words its message mentions, and that
// the message is at most maxLen bytes whatever the input.
func assertSelectorError(t *testing.T, se *selector.Error, exception, message, path string, mentions []string, maxLen int) {
	t.Helper()
	assert.Equal(t, exception, se.Exception)
	if message != "" {
		assert.Equal(t, message, se.Message)
	}
	if path != "" {
		assert.Equal(t, path, se.Path)
	}
	for _, word := range mentions {
		assert.Contains(t, se.Message, word)
	}
	assert.LessOrEqual(t, len(se.Message), maxLen, "messages stay short whatever the input")
}

func TestValidateRejects(t *testing.T) {
	many := func(n int, item string) string {
		items := make([]string, n)
		for i := range items {
			items[i] = item
		}
		return strings.Join(items, ",")
	}
	valuesOf := func(n int, format string) []string {
		values := make([]string, n)
		for i := range values {
			values[i] = fmt.Sprintf(format, i)
		}
		return values
	}
	tests := []struct {
		name, config string
		exception    string
		message      string // exact when not empty
		path         string
		mentions     []string // words the message must contain
	}{
		// Request level.
		{name: "both lists", config: `{"EventSelectors": [{}], "AdvancedEventSelectors": [{"FieldSelectors": [` + mgmt + `]}]}`,
			exception: invalidEvent, message: "You can select events by using either EventSelectors or AdvancedEventSelectors, but not both"},
		{name: "both lists, one empty", config: `{"EventSelectors": [{}], "AdvancedEventSelectors": []}`,
			exception: invalidEvent, message: "You can select events by using either EventSelectors or AdvancedEventSelectors, but not both"},

		{name: "huge value in a message", config: basic(`"ReadWriteType": "` + strings.Repeat("é", 10000) + `"`), exception: invalidEvent,
			path: "EventSelectors[0].ReadWriteType", mentions: []string{"… (20000 bytes)", "Valid values are: ReadOnly, WriteOnly, All"}},
		{name: "unnamed selector", config: `{"AdvancedEventSelectors": [{"FieldSelectors": [` + s3Type + `]}]}`, exception: invalidEvent,
			message: "AdvancedEventSelectors[0] has no eventCategory field selector; eventCategory is required in every advanced event selector."},

		// Basic selectors.
		{name: "no basic selectors", config: `{"EventSelectors": []}`, exception: invalidEvent, path: "EventSelectors", mentions: []string{"1 to 5"}},
		{name: "six basic selectors", config: `{"EventSelectors": [` + many(6, `{}`) + `]}`, exception: invalidEvent, path: "EventSelectors", mentions: []string{"1 to 5", "6"}},
		{name: "ReadWriteType unknown", config: basic(`"ReadWriteType": "read-only"`), exception: invalidEvent,
			message: "Value read-only for ReadWriteType is invalid. Valid values are: ReadOnly, WriteOnly, All", path: "EventSelectors[0].ReadWriteType"},
		{name: "ReadWriteType wrong case", config: basic(`"ReadWriteType": "readonly"`), exception: invalidEvent, path: "EventSelectors[0].ReadWriteType"},
		{name: "ReadWriteType empty string", config: basic(`"ReadWriteType": ""`), exception: invalidEvent, path: "EventSelectors[0].ReadWriteType"},
		{name: "excluded source not excludable", config: basic(`"ExcludeManagementEventSources": ["kms.amazonaws.com", "s3.amazonaws.com"]`), exception: invalidEvent,
			message: "Value s3.amazonaws.com for ExcludeManagementEventSources is invalid. Valid values are: kms.amazonaws.com, rdsdata.amazonaws.com",
			path:    "EventSelectors[0].ExcludeManagementEventSources[1]"},
		{name: "data resource type missing", config: basic(`"DataResources": [{"Values": ["arn:aws:s3"]}]`), exception: invalidEvent,
			message: `Missing required parameter in EventSelectors[0].DataResources[0]: "Type"`},
		{name: "data resource type advanced only", config: basic(`"DataResources": [{"Type": "AWS::S3Express::Object", "Values": ["arn:aws:s3express"]}]`),
			exception: invalidEvent, message: "Value AWS::S3Express::Object for DataResources.Type is invalid.", path: "EventSelectors[0].DataResources[0].Type"},
		{name: "data resource type wrong case", config: basic(`"DataResources": [{"Type": "aws::s3::object", "Values": ["arn:aws:s3"]}]`),
			exception: invalidEvent, message: "Value aws::s3::object for DataResources.Type is invalid."},
		{name: "data resource without values", config: basic(`"DataResources": [{"Type": "AWS::S3::Object"}]`), exception: invalidEvent,
			path: "EventSelectors[0].DataResources[0].Values", mentions: []string{"at least one"}},
		{name: "data resource with empty values", config: basic(`"DataResources": [{"Type": "AWS::S3::Object", "Values": []}]`), exception: invalidEvent,
			path: "EventSelectors[0].DataResources[0].Values"},
		{name: "251 data resource values over two selectors", config: fmt.Sprintf(`{"EventSelectors": [
			{"DataResources": [{"Type": "AWS::S3::Object", "Values": [%s]}]},
			{"DataResources": [{"Type": "AWS::Lambda::Function", "Values": [%s]}]}]}`,
			quoteAll(valuesOf(200, "arn:aws:s3:::bucket-%d/")), quoteAll(valuesOf(51, "arn:aws:lambda:us-east-1:111122223333:function:f%d"))),
			exception: invalidEvent, message: "Specify a valid number of DataResources.Values (0 to 250) for all your selectors"},

		// Advanced selectors: shape.
		{name: "501 advanced values", config: advanced(data, s3Type, fs("resources.ARN", "StartsWith", valuesOf(499, "arn:aws:s3:::b%d/")...)),
			exception: invalidEvent, path: "AdvancedEventSelectors", mentions: []string{"501", "500"}},
		{name: "501 advanced values over selectors", config: `{"AdvancedEventSelectors": [` + many(501, `{"FieldSelectors": [`+mgmt+`]}`) + `]}`,
			exception: invalidEvent, mentions: []string{"501"}},
		{name: "name too long", config: `{"AdvancedEventSelectors": [{"Name": "` + strings.Repeat("n", 1001) + `", "FieldSelectors": [` + mgmt + `]}]}`,
			exception: invalidEvent, message: "Invalid length for parameter AdvancedEventSelectors[0].Name, value: 1001, valid max length: 1000"},
		{name: "field selectors missing", config: `{"AdvancedEventSelectors": [{"Name": "s"}]}`, exception: invalidEvent,
			message: `Missing required parameter in AdvancedEventSelectors[0]: "FieldSelectors"`},
		{name: "field selectors empty", config: `{"AdvancedEventSelectors": [{"Name": "s", "FieldSelectors": []}]}`, exception: invalidEvent,
			message: "Invalid length for parameter AdvancedEventSelectors[0].FieldSelectors, value: 0, valid min length: 1"},
		{name: "field missing", config: advanced(mgmt, `{"Equals": ["x"]}`), exception: invalidEvent,
			message: `Missing required parameter in AdvancedEventSelectors[0].FieldSelectors[1]: "Field"`},
		{name: "field too long", config: advanced(mgmt, fs(strings.Repeat("f", 1001), "Equals", "x")), exception: invalidEvent,
			message: "Invalid length for parameter AdvancedEventSelectors[0].FieldSelectors[1].Field, value: 1001, valid max length: 1000"},
		{name: "unknown field", config: advanced(data, s3Type, fs("requestParameters.bucketName", "Equals", "b")), exception: invalidEvent,
			path: "AdvancedEventSelectors[0].FieldSelectors[2].Field", mentions: []string{`"requestParameters.bucketName"`, "AdvancedEventSelectors[0].FieldSelectors[2]", "eventName"}},
		{name: "field in wrong case", config: advanced(data, s3Type, fs("EventName", "Equals", "GetObject")), exception: invalidEvent,
			mentions: []string{`did you mean "eventName"`}},
		{name: "operator without values", config: advanced(data, s3Type, fs("eventName", "NotStartsWith")), exception: invalidEvent,
			message: "Invalid length for parameter AdvancedEventSelectors[0].FieldSelectors[2].NotStartsWith, value: 0, valid min length: 1"},
		{name: "empty value", config: advanced(data, s3Type, fs("eventName", "EndsWith", "Object", "")), exception: invalidEvent,
			message: "Invalid length for parameter AdvancedEventSelectors[0].FieldSelectors[2].EndsWith[1], value: 0, valid min length: 1"},
		{name: "value of 2049 characters", config: advanced(data, s3Type, fs("resources.ARN", "StartsWith", "arn:aws:s3:::b/"+strings.Repeat("é", 2049-15))),
			exception: invalidEvent, message: "Invalid length for parameter AdvancedEventSelectors[0].FieldSelectors[2].StartsWith[0], value: 2049, valid max length: 2048"},
		{name: "field selector without operator", config: advanced(data, s3Type, `{"Field": "eventName"}`), exception: invalidEvent,
			path: "AdvancedEventSelectors[0].FieldSelectors[2]", mentions: []string{"no operator", "eventName"}},

		// Advanced selectors: eventCategory.
		{name: "no eventCategory", config: advanced(s3Type), exception: invalidEvent, path: "AdvancedEventSelectors[0]", mentions: []string{`"s"`, "eventCategory is required"}},
		{name: "eventCategory twice", config: advanced(mgmt, mgmt), exception: invalidEvent, path: "AdvancedEventSelectors[0].FieldSelectors[1]"},
		{name: "eventCategory with two values", config: advanced(fs("eventCategory", "Equals", "Management", "Data")), exception: invalidEvent,
			mentions: []string{"2 eventCategory values"}},
		{name: "eventCategory NotEquals", config: advanced(fs("eventCategory", "NotEquals", "Data")), exception: invalidEvent,
			path: "AdvancedEventSelectors[0].FieldSelectors[0].NotEquals"},
		{name: "eventCategory of event data stores", config: advanced(fs("eventCategory", "Equals", "ConfigurationItem")), exception: invalidEvent,
			mentions: []string{"ConfigurationItem", "Management, Data, NetworkActivity"}},
		{name: "eventCategory in wrong case", config: advanced(fs("eventCategory", "Equals", "management")), exception: invalidEvent},

		// Advanced selectors: fields per category.
		{name: "management eventName", config: advanced(mgmt, fs("eventName", "Equals", "CreateUser")), exception: invalidEvent,
			message: "The following field is not allowed when the eventCategory field value equals Management: eventName.", path: "AdvancedEventSelectors[0].FieldSelectors[1].Field"},
		{name: "management resources.type", config: advanced(mgmt, s3Type), exception: invalidEvent,
			message: "The following field is not allowed when the eventCategory field value equals Management: resources.type."},
		{name: "management userIdentity.arn", config: advanced(mgmt, fs("userIdentity.arn", "StartsWith", "arn:aws:iam::")), exception: invalidEvent,
			message: "The following field is not allowed when the eventCategory field value equals Management: userIdentity.arn."},
		{name: "management eventSource Equals", config: advanced(mgmt, fs("eventSource", "Equals", "kms.amazonaws.com")), exception: invalidEvent,
			message: "The following operator is not allowed for the field eventSource when the eventCategory field value equals Management: Equals (AdvancedEventSelectors[0].FieldSelectors[1])."},
		{name: "management eventSource not excludable", config: advanced(mgmt, fs("eventSource", "NotEquals", "s3.amazonaws.com")), exception: invalidEvent,
			path: "AdvancedEventSelectors[0].FieldSelectors[1].NotEquals[0]", mentions: []string{"s3.amazonaws.com", "kms.amazonaws.com, rdsdata.amazonaws.com"}},
		{name: "readOnly StartsWith", config: advanced(mgmt, fs("readOnly", "StartsWith", "t")), exception: invalidEvent},
		{name: "readOnly TRUE", config: advanced(mgmt, fs("readOnly", "Equals", "TRUE")), exception: invalidEvent, mentions: []string{"true, false"}},
		{name: "data without resources.type", config: advanced(data), exception: invalidEvent, mentions: []string{"resources.type is required"}},
		{name: "resources.type with two values", config: advanced(data, fs("resources.type", "Equals", "AWS::S3::Object", "AWS::Lambda::Function")),
			exception: invalidEvent, mentions: []string{"one advanced event selector per resource type"}},
		{name: "resources.type StartsWith", config: advanced(data, fs("resources.type", "StartsWith", "AWS::S3")), exception: invalidEvent,
			path: "AdvancedEventSelectors[0].FieldSelectors[1].StartsWith"},
		{name: "resources.type unknown", config: advanced(data, fs("resources.type", "Equals", "AWS::S3::Objects")), exception: invalidEvent,
			path: "AdvancedEventSelectors[0].FieldSelectors[1].Equals[0]", mentions: []string{"AWS::S3::Objects", "catalog"}},
		{name: "sessionCredentialFromConsole false", config: advanced(data, s3Type, fs("sessionCredentialFromConsole", "Equals", "false")), exception: invalidEvent},
		{name: "sessionCredentialFromConsole StartsWith", config: advanced(data, s3Type, fs("sessionCredentialFromConsole", "StartsWith", "t")), exception: invalidEvent},
		{name: "data errorCode", config: advanced(data, s3Type, fs("errorCode", "Equals", "VpceAccessDenied")), exception: invalidEvent,
			message: "The following field is not allowed when the eventCategory field value equals Data: errorCode."},
		{name: "network without eventSource", config: advanced(network, fs("eventName", "Equals", "Decrypt")), exception: invalidEvent,
			mentions: []string{"eventSource is required"}},
		{name: "network with two sources", config: advanced(network, fs("eventSource", "Equals", "kms.amazonaws.com", "ec2.amazonaws.com")), exception: invalidEvent,
			mentions: []string{"one advanced event selector per network activity event source"}},
		{name: "network with two source field selectors", config: advanced(network, kmsNet, fs("eventSource", "Equals", "ec2.amazonaws.com")), exception: invalidEvent},
		{name: "network source not supported", config: advanced(network, fs("eventSource", "Equals", "iam.amazonaws.com")), exception: invalidEvent,
			mentions: []string{"iam.amazonaws.com"}},
		{name: "network errorCode other than VpceAccessDenied", config: advanced(network, kmsNet, fs("errorCode", "Equals", "AccessDenied")), exception: invalidEvent,
			mentions: []string{"VpceAccessDenied"}},
		{name: "network userIdentity.arn", config: advanced(network, kmsNet, fs("userIdentity.arn", "Equals", "arn:aws:iam::111122223333:user/u")), exception: invalidEvent,
			message: "The following field is not allowed when the eventCategory field value equals NetworkActivity: userIdentity.arn."},
		{name: "network eventType", config: advanced(network, kmsNet, fs("eventType", "Equals", "AwsVpceEvent")), exception: invalidEvent},
		{name: "network resources.ARN", config: advanced(network, kmsNet, fs("resources.ARN", "StartsWith", "arn:")), exception: invalidEvent},

		// Insight selectors.
		{name: "insight type unknown", config: `{"InsightSelectors": [{"InsightType": "ApiLatencyInsight"}]}`, exception: invalidInsight,
			message: "Value ApiLatencyInsight for InsightType is invalid. Valid values are: ApiCallRateInsight, ApiErrorRateInsight", path: "InsightSelectors[0].InsightType"},
		{name: "insight type missing", config: `{"InsightSelectors": [{"EventCategories": ["Data"]}]}`, exception: invalidInsight,
			message: `Missing required parameter in InsightSelectors[0]: "InsightType"`},
		{name: "insight type twice", config: `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiCallRateInsight", "EventCategories": ["Data"]}]}`,
			exception: invalidInsight, path: "InsightSelectors[1].InsightType"},
		{name: "insight categories empty", config: `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight", "EventCategories": []}]}`, exception: invalidInsight,
			message: "Invalid length for parameter InsightSelectors[0].EventCategories, value: 0, valid min length: 1"},
		{name: "insight category Insight", config: `{"InsightSelectors": [{"InsightType": "ApiErrorRateInsight", "EventCategories": ["Management", "Insight"]}]}`,
			exception: invalidInsight, message: "Value Insight for EventCategories is invalid. Valid values are: Management, Data", path: "InsightSelectors[0].EventCategories[1]"},
		{name: "insight error after valid event selectors", config: `{"EventSelectors": [{}], "InsightSelectors": [{"InsightType": "x"}]}`, exception: invalidInsight},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			se := requireSelectorError(t, tc.config)
			assertSelectorError(t, se, tc.exception, tc.message, tc.path, tc.mentions, 3000)
		})
	}
}

func TestBasicDataResourceValues(t *testing.T) {
	tests := []struct {
		typ, value string
		valid      bool
	}{
		{"AWS::S3::Object", "arn:aws:s3", true},
		{"AWS::S3::Object", "arn:aws:s3:::", true},
		{"AWS::S3::Object", "arn:aws:s3:::bucket/", true},
		{"AWS::S3::Object", "arn:aws:s3:::bucket/some/prefix", true},
		{"AWS::S3::Object", "arn:aws:s3:::Legacy_Bucket.Name/", true},
		{"AWS::S3::Object", "arn:aws-cn:s3:::bucket/", true},
		{"AWS::S3::Object", "arn:aws-us-gov:s3", true},
		{"AWS::S3::Object", "arn:aws:s3:::bucket", false},
		{"AWS::S3::Object", "arn:aws:s3:::*", false},
		{"AWS::S3::Object", "arn:aws:s3:::*/", false},
		{"AWS::S3::Object", "arn:aws:s3:::*/*", false},
		{"AWS::S3::Object", "arn:aws:s3:::bucket/*", false},
		{"AWS::S3::Object", "arn:aws:s3:::/", false},
		{"AWS::S3::Object", "my-bucket/", false},
		{"AWS::S3::Object", "arn:aws:s3:us-east-1:111122223333:bucket/", false},
		{"AWS::S3::Object", "arn:aws:s3:::bucket name/", false},
		{"AWS::S3::Object", "arn:aws:lambda", false},
		{"AWS::S3::Object", "arn:azure:s3", false},
		{"AWS::S3::Object", "arn:aws-:s3", false},
		{"AWS::S3::Object", "arn::s3", false},
		{"AWS::S3::Object", "arn:aws:", false},
		{"AWS::S3::Object", "ARN:aws:s3", false},
		{"AWS::Lambda::Function", "arn:aws:lambda", true},
		{"AWS::Lambda::Function", "arn:aws:lambda:us-east-1:111122223333:function:helloworld", true},
		{"AWS::Lambda::Function", "arn:aws:lambda:us-gov-west-1:111122223333:function:hello_world-2", true},
		{"AWS::Lambda::Function", "arn:aws:lambda:us-east-1:111122223333:function:helloworld:prod", true},
		{"AWS::Lambda::Function", "arn:aws:lambda:us-east-1:111122223333:function:helloworld:$LATEST", true},
		{"AWS::Lambda::Function", "arn:aws:lambda:*", false},
		{"AWS::Lambda::Function", "arn:aws:lambda:us-east-1:111122223333:function:", false},
		{"AWS::Lambda::Function", "arn:aws:lambda:us-east-1:111122223333:function:" + strings.Repeat("f", 65), false},
		{"AWS::Lambda::Function", "arn:aws:lambda:us-east-1:11112222333:function:f", false},
		{"AWS::Lambda::Function", "arn:aws:lambda:useast1:111122223333:function:f", false},
		{"AWS::Lambda::Function", "arn:aws:lambda:us-east-1:111122223333:layer:f", false},
		{"AWS::Lambda::Function", "arn:aws:lambda:us-east-1:111122223333:function:f:v:1", false},
		{"AWS::Lambda::Function", "arn:aws:s3", false},
		{"AWS::DynamoDB::Table", "arn:aws:dynamodb", true},
		{"AWS::DynamoDB::Table", "arn:aws:dynamodb:us-east-1:111122223333:table/Orders", true},
		{"AWS::DynamoDB::Table", "arn:aws:dynamodb:us-east-1:111122223333:table/my.table_v-2", true},
		{"AWS::DynamoDB::Table", "arn:aws:dynamodb:us-east-1:111122223333:table/", false},
		{"AWS::DynamoDB::Table", "arn:aws:dynamodb:us-east-1:111122223333:table/ab", false},
		{"AWS::DynamoDB::Table", "arn:aws:dynamodb:us-east-1:111122223333:table/Orders/stream/2025", false},
		{"AWS::DynamoDB::Table", "arn:aws:dynamodb:*", false},
	}
	for _, tc := range tests {
		t.Run(tc.typ+" "+tc.value, func(t *testing.T) {
			config := basic(fmt.Sprintf(`"DataResources": [{"Type": %q, "Values": [%q]}]`, tc.typ, tc.value))
			if tc.valid {
				require.NoError(t, parseAndCompile([]byte(config)))
				return
			}
			se := requireSelectorError(t, config)
			assert.Equal(t, invalidEvent, se.Exception)
			assert.Equal(t, "Value "+tc.value+" for DataResources.Values is invalid.", se.Message)
			assert.Equal(t, "EventSelectors[0].DataResources[0].Values[0]", se.Path)
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	valuesOf := func(n int, format string) []string {
		values := make([]string, n)
		for i := range values {
			values[i] = fmt.Sprintf(format, i)
		}
		return values
	}
	tests := map[string]string{
		"get-event-selectors of an API trail": `{"TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/t",
			"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": true, "DataResources": [], "ExcludeManagementEventSources": []}]}`,
		"get-event-selectors of a console trail": `{"TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/t",
			"AdvancedEventSelectors": [{"Name": "Management events selector", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]}`,
		"cli-input-json with TrailName": `{"TrailName": "t", "EventSelectors": [{"ReadWriteType": "ReadOnly"}]}`,
		"nothing configured":            `{}`,
		"only insights":                 `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiErrorRateInsight", "EventCategories": ["Management", "Data"]}]}`,
		"insights turned off":           `{"InsightSelectors": []}`,
		"no management and no data":     basic(`"IncludeManagementEvents": false`),
		"empty advanced list":           `{"AdvancedEventSelectors": []}`,
		"five basic selectors":          `{"EventSelectors": [{}, {}, {}, {}, {}]}`,
		"250 data resource values": fmt.Sprintf(`{"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": [%s]}]}]}`,
			quoteAll(valuesOf(250, "arn:aws:s3:::bucket-%d/"))),
		"500 advanced values":   advanced(data, s3Type, fs("resources.ARN", "StartsWith", valuesOf(498, "arn:aws:s3:::b%d/")...)),
		"value of 2048 chars":   advanced(data, s3Type, fs("resources.ARN", "StartsWith", "arn:aws:s3:::b/"+strings.Repeat("é", 2048-15))),
		"name of 1000 chars":    `{"AdvancedEventSelectors": [{"Name": "` + strings.Repeat("ü", 1000) + `", "FieldSelectors": [` + mgmt + `]}]}`,
		"selector without name": `{"AdvancedEventSelectors": [{"FieldSelectors": [` + mgmt + `]}]}`,
		"management with every allowed field": advanced(mgmt, fs("readOnly", "Equals", "true", "false"),
			fs("eventSource", "NotEquals", "kms.amazonaws.com", "rdsdata.amazonaws.com")),
		"data with every allowed field": advanced(data, s3Type, fs("resources.ARN", "NotEndsWith", ".tmp"), fs("eventName", "StartsWith", "Get"),
			fs("eventSource", "Equals", "s3.amazonaws.com"), fs("eventType", "NotEquals", "AwsServiceEvent"), fs("readOnly", "Equals", "true"),
			fs("sessionCredentialFromConsole", "NotEquals", "true"), fs("userIdentity.arn", "NotStartsWith", "arn:aws:sts::111122223333:assumed-role/backup")),
		"network with every allowed field": advanced(network, kmsNet, fs("eventName", "NotEquals", "ListKeys"),
			fs("errorCode", "Equals", "VpceAccessDenied"), fs("vpcEndpointId", "StartsWith", "vpce-0a")),
		"repeated eventName field selectors": advanced(data, s3Type, fs("eventName", "StartsWith", "Get"), fs("eventName", "EndsWith", "Tagging")),
		"all six operators":                  advanced(data, s3Type, `{"Field": "resources.ARN", "Equals": ["a"], "StartsWith": ["b"], "EndsWith": ["c"], "NotEquals": ["d"], "NotStartsWith": ["e"], "NotEndsWith": ["f"]}`),
		"a resource type of the catalog":     advanced(data, fs("resources.type", "Equals", "AWS::Quicksight::ActionConnector")),
		"a network source of the catalog":    advanced(network, fs("eventSource", "Equals", "transcribestreaming.amazonaws.com")),
	}
	for name, config := range tests {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, parseAndCompile([]byte(config)))
		})
	}
}

func TestCatalogExtension(t *testing.T) {
	widget := advanced(data, fs("resources.type", "Equals", "AWS::Example::Widget"))
	gadgetNet := advanced(network, fs("eventSource", "Equals", "gadget.amazonaws.com"))

	for _, config := range []string{widget, gadgetNet} {
		cfg, err := selector.ParseConfig([]byte(config))
		require.NoError(t, err)
		require.ErrorIs(t, cfg.Validate(selector.Options{}), selector.ErrInvalidEventSelectors)
	}

	catalog := selector.DefaultCatalog()
	catalog.ResourceTypes = append(catalog.ResourceTypes, selector.ParseList("# added\nAWS::Example::Widget\n\n")...)
	catalog.NetworkEventSources = append(catalog.NetworkEventSources, "gadget.amazonaws.com")
	for _, config := range []string{widget, gadgetNet} {
		cfg, err := selector.ParseConfig([]byte(config))
		require.NoError(t, err)
		assert.NoError(t, cfg.Validate(selector.Options{Catalog: &catalog}))
	}

	// A catalog that replaces the lists drops what it leaves out.
	narrow := selector.Catalog{ResourceTypes: []string{"AWS::Example::Widget"}}
	cfg, err := selector.ParseConfig([]byte(advanced(data, s3Type)))
	require.NoError(t, err)
	assert.ErrorIs(t, cfg.Validate(selector.Options{Catalog: &narrow}), selector.ErrInvalidEventSelectors)
}

func TestDefaultCatalog(t *testing.T) {
	c := selector.DefaultCatalog()
	assert.Len(t, c.ResourceTypes, 250)
	assert.Len(t, c.NetworkEventSources, 76)
	assert.Contains(t, c.ResourceTypes, "AWS::S3::Object")
	assert.Contains(t, c.ResourceTypes, "AWS::DynamoDB::Stream")
	assert.NotContains(t, c.ResourceTypes, "AWS::S3::Bucket")
	assert.Contains(t, c.NetworkEventSources, "kms.amazonaws.com")
	for _, v := range append(c.ResourceTypes, c.NetworkEventSources...) {
		assert.Equal(t, strings.TrimSpace(v), v)
		assert.NotContains(t, v, "#")
	}

	c.ResourceTypes[0] = "changed"
	assert.NotEqual(t, "changed", selector.DefaultCatalog().ResourceTypes[0], "DefaultCatalog returns fresh copies")
}

func TestErrorIs(t *testing.T) {
	err := fmt.Errorf("loading trail.json: %w", &selector.Error{Exception: invalidEvent, Message: "m", Path: "p"})
	assert.ErrorIs(t, err, selector.ErrInvalidEventSelectors)
	assert.NotErrorIs(t, err, selector.ErrInvalidInsightSelectors)
	assert.ErrorIs(t, err, &selector.Error{Exception: invalidEvent, Message: "m"})
	assert.NotErrorIs(t, err, &selector.Error{Exception: invalidEvent, Message: "other"})
	assert.Equal(t, "loading trail.json: InvalidEventSelectorsException: m", err.Error())
}

func quoteAll(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(quoted, ",")
}
