package selector_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
)

// Records for the rule tests, built as Go values.

func mgmtRecord(source, name string, readOnly *bool) *event.Record {
	return &event.Record{EventVersion: "1.10", EventCategory: "Management", EventType: event.TypeAPICall,
		ManagementEvent: event.Bool(true), EventSource: source, EventName: name, ReadOnly: readOnly,
		UserIdentity: &event.UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/Mary"}}
}

func dataRecord(source, name string, readOnly *bool, resources ...event.Resource) *event.Record {
	return &event.Record{EventVersion: "1.10", EventCategory: "Data", EventType: event.TypeAPICall,
		ManagementEvent: event.Bool(false), EventSource: source, EventName: name, ReadOnly: readOnly, Resources: resources,
		UserIdentity: &event.UserIdentity{Type: "IAMUser", ARN: "arn:aws:iam::111122223333:user/Mary"}}
}

func s3Object(arn string) []event.Resource {
	bucket, _, _ := strings.Cut(strings.TrimPrefix(arn, "arn:aws:s3:::"), "/")
	return []event.Resource{{Type: "AWS::S3::Object", ARN: arn}, {Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket}}
}

func networkRecord(source, name, errorCode string) *event.Record {
	return &event.Record{EventVersion: "1.09", EventCategory: "NetworkActivity", EventType: event.TypeVPCEndpoint,
		EventSource: source, EventName: name, ErrorCode: errorCode, VPCEndpointID: "vpce-0a1b2c3d4e5f60789"}
}

func insightRecord() *event.Record {
	return &event.Record{EventVersion: "1.08", EventCategory: "Insight", EventType: event.TypeInsight,
		InsightDetails: &event.InsightDetails{State: "Start", EventSource: "ec2.amazonaws.com", EventName: "RunInstances", InsightType: "ApiCallRateInsight"}}
}

var (
	yes = event.Bool(true)
	no  = event.Bool(false)
)

func with(r *event.Record, change func(*event.Record)) *event.Record {
	change(r)
	return r
}

func compile(t testing.TB, config string) *selector.Matcher {
	t.Helper()
	cfg, err := selector.ParseConfig([]byte(config))
	require.NoError(t, err)
	m, err := selector.Compile(cfg, selector.Options{})
	require.NoError(t, err)
	return m
}

func TestMatchRules(t *testing.T) {
	getObject := dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws:s3:::orders/2025/a.csv")...)
	tests := []struct {
		name   string
		config string
		record *event.Record
		want   bool
	}{
		// Categories.
		{"basic never logs network activity", basic(``), networkRecord("kms.amazonaws.com", "Decrypt", ""), false},
		{"advanced never logs insights", advanced(mgmt), insightRecord(), false},
		{"basic never logs insights", basic(``), insightRecord(), false},
		{"legacy record with managementEvent false is data", advanced(data, s3Type),
			with(dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws:s3:::b/k")...), func(r *event.Record) { r.EventCategory = "" }), true},
		{"legacy data record is not management", advanced(mgmt),
			with(dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws:s3:::b/k")...), func(r *event.Record) { r.EventCategory = "" }), false},
		{"legacy VPC endpoint record is network activity", advanced(network, kmsNet),
			with(networkRecord("kms.amazonaws.com", "Decrypt", ""), func(r *event.Record) { r.EventCategory = "" }), true},
		{"legacy insight record", basic(``), with(insightRecord(), func(r *event.Record) { r.EventCategory = "" }), false},
		{"record without any classification is management", basic(``), &event.Record{EventName: "ConsoleLogin"}, true},
		{"event data store category is never logged", basic(``), with(mgmtRecord("config.amazonaws.com", "x", yes), func(r *event.Record) { r.EventCategory = "ConfigurationItem" }), false},
		{"nil record", basic(``), nil, false},

		// Basic management events.
		{"read management with ReadOnly", basic(`"ReadWriteType": "ReadOnly"`), mgmtRecord("ec2.amazonaws.com", "DescribeInstances", yes), true},
		{"write management with ReadOnly", basic(`"ReadWriteType": "ReadOnly"`), mgmtRecord("ec2.amazonaws.com", "RunInstances", no), false},
		{"absent readOnly with WriteOnly", basic(`"ReadWriteType": "WriteOnly"`), mgmtRecord("signin.amazonaws.com", "ConsoleLogin", nil), false},
		{"absent readOnly with ReadOnly", basic(`"ReadWriteType": "ReadOnly"`), mgmtRecord("signin.amazonaws.com", "ConsoleLogin", nil), false},
		{"absent readOnly with All", basic(`"ReadWriteType": "All"`), mgmtRecord("signin.amazonaws.com", "ConsoleLogin", nil), true},
		{"excluded source drops its management events", basic(`"ExcludeManagementEventSources": ["rdsdata.amazonaws.com", "kms.amazonaws.com"]`),
			mgmtRecord("kms.amazonaws.com", "DisableKey", no), false},
		{"excluded source keeps other sources", basic(`"ExcludeManagementEventSources": ["kms.amazonaws.com"]`),
			mgmtRecord("kms-fips.amazonaws.com", "DisableKey", no), true},
		{"exclusion does not apply to data events", basic(`"ExcludeManagementEventSources": ["kms.amazonaws.com"], "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]`),
			with(dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws:s3:::b/k")...), func(r *event.Record) { r.EventSource = "kms.amazonaws.com" }), true},
		{"no management, no data", basic(`"IncludeManagementEvents": false`), mgmtRecord("iam.amazonaws.com", "CreateUser", no), false},
		{"selectors are OR'ed", `{"EventSelectors": [{"IncludeManagementEvents": false, "DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]},
			{"ReadWriteType": "WriteOnly"}]}`, mgmtRecord("iam.amazonaws.com", "CreateUser", no), true},

		// Basic data events.
		{"data events are not logged by default", `{}`, getObject, false},
		{"S3 all buckets", basic(`"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]`), getObject, true},
		{"S3 all buckets in another partition's form", basic(`"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws-cn:s3"]}]`),
			dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws-cn:s3:::b/k")...), true},
		{"S3 bucket prefix needs the slash to stop at the bucket", basic(`"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::orders/"]}]`),
			dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws:s3:::orders-archive/a")...), false},
		{"S3 value does not match the bucket resource", basic(`"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::orders/"]}]`),
			dataRecord("s3.amazonaws.com", "ListObjects", yes, event.Resource{Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::orders"}), false},
		{"S3 bucket listing by ARNPrefix", basic(`"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::orders/"]}]`),
			dataRecord("s3.amazonaws.com", "ListObjects", yes, event.Resource{Type: "AWS::S3::Object", ARNPrefix: "arn:aws:s3:::orders/"},
				event.Resource{Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::orders"}), true},
		{"S3 value is case-sensitive", basic(`"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::Orders/"]}]`), getObject, false},
		{"Lambda all functions", basic(`"DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]`),
			dataRecord("lambda.amazonaws.com", "Invoke", no, event.Resource{Type: "AWS::Lambda::Function", ARN: "arn:aws:lambda:us-east-1:111122223333:function:f"}), true},
		{"Lambda function is exact", basic(`"DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda:us-east-1:111122223333:function:hello"]}]`),
			dataRecord("lambda.amazonaws.com", "Invoke", no, event.Resource{Type: "AWS::Lambda::Function", ARN: "arn:aws:lambda:us-east-1:111122223333:function:hello2"}), false},
		{"DynamoDB table is exact", basic(`"DataResources": [{"Type": "AWS::DynamoDB::Table", "Values": ["arn:aws:dynamodb:us-east-1:111122223333:table/Orders"]}]`),
			dataRecord("dynamodb.amazonaws.com", "PutItem", no, event.Resource{Type: "AWS::DynamoDB::Table", ARN: "arn:aws:dynamodb:us-east-1:111122223333:table/OrdersArchive"}), false},
		{"one of many Lambda functions", basic(`"DataResources": [{"Type": "AWS::Lambda::Function", "Values": [` + quoteAll(functionARNs(40)) + `]}]`),
			dataRecord("lambda.amazonaws.com", "Invoke", no, event.Resource{Type: "AWS::Lambda::Function", ARN: functionARNs(40)[33]}), true},
		{"none of many Lambda functions", basic(`"DataResources": [{"Type": "AWS::Lambda::Function", "Values": [` + quoteAll(functionARNs(40)) + `]}]`),
			dataRecord("lambda.amazonaws.com", "Invoke", no, event.Resource{Type: "AWS::Lambda::Function", ARN: "arn:aws:lambda:us-east-1:111122223333:function:other"}), false},
		{"data resource of another type", basic(`"DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]`), getObject, false},
		{"ReadWriteType applies to data events", basic(`"ReadWriteType": "WriteOnly", "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]`), getObject, false},
		{"data record without resources", basic(`"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]`),
			dataRecord("s3.amazonaws.com", "GetObject", yes), false},

		// Advanced: operators.
		{"EndsWith", advanced(data, s3Type, fs("resources.ARN", "EndsWith", ".csv", ".json")), getObject, true},
		{"NotEndsWith", advanced(data, s3Type, fs("resources.ARN", "NotEndsWith", ".csv")), getObject, false},
		{"StartsWith on eventName", advanced(data, s3Type, fs("eventName", "StartsWith", "Put", "Delete")), getObject, false},
		{"Equals is case-sensitive", advanced(data, s3Type, fs("eventName", "Equals", "getobject")), getObject, false},
		{"no wildcards", advanced(data, s3Type, fs("eventName", "Equals", "Get*")), getObject, false},
		{"repeated field selectors are AND'ed", advanced(data, s3Type, fs("eventName", "StartsWith", "Get"), fs("eventName", "EndsWith", "Tagging")), getObject, false},
		{"repeated field selectors both hold", advanced(data, s3Type, fs("eventName", "StartsWith", "Get"), fs("eventName", "EndsWith", "Object")), getObject, true},
		{"many eventNames", advanced(data, s3Type, fs("eventName", "Equals", eventNames(30, "GetObject")...)), getObject, true},
		{"many eventNames without the record's", advanced(data, s3Type, fs("eventName", "Equals", eventNames(30, "")...)), getObject, false},
		{"many NotEquals eventNames", advanced(data, s3Type, fs("eventName", "NotEquals", eventNames(30, "GetObject")...)), getObject, false},

		// Advanced: absent fields.
		{"absent field fails Equals", advanced(data, s3Type, fs("sessionCredentialFromConsole", "Equals", "true")), getObject, false},
		{"absent field passes NotEquals", advanced(data, s3Type, fs("sessionCredentialFromConsole", "NotEquals", "true")), getObject, true},
		{"console call fails NotEquals", advanced(data, s3Type, fs("sessionCredentialFromConsole", "NotEquals", "true")),
			with(dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws:s3:::b/k")...), func(r *event.Record) { r.SessionCredentialFromConsole = "true" }), false},
		{"no userIdentity fails StartsWith", advanced(data, s3Type, fs("userIdentity.arn", "StartsWith", "arn:aws:iam::")),
			with(dataRecord("s3.amazonaws.com", "DeleteObject", no, s3Object("arn:aws:s3:::b/k")...), func(r *event.Record) { r.UserIdentity = nil }), false},
		{"no userIdentity passes NotStartsWith", advanced(data, s3Type, fs("userIdentity.arn", "NotStartsWith", "arn:aws:iam::")),
			with(dataRecord("s3.amazonaws.com", "DeleteObject", no, s3Object("arn:aws:s3:::b/k")...), func(r *event.Record) { r.UserIdentity = &event.UserIdentity{Type: "AWSService"} }), true},
		{"userIdentity.arn NotStartsWith hit", advanced(data, s3Type, fs("userIdentity.arn", "NotStartsWith", "arn:aws:iam::111122223333:user/")), getObject, false},
		{"absent readOnly fails readOnly Equals", advanced(mgmt, fs("readOnly", "Equals", "false")), mgmtRecord("signin.amazonaws.com", "ConsoleLogin", nil), false},
		{"absent readOnly without a readOnly field selector", advanced(mgmt), mgmtRecord("signin.amazonaws.com", "ConsoleLogin", nil), true},
		{"readOnly true and false", advanced(mgmt, fs("readOnly", "Equals", "true", "false")), mgmtRecord("iam.amazonaws.com", "CreateUser", no), true},
		{"no errorCode fails errorCode Equals", advanced(network, kmsNet, fs("errorCode", "Equals", "VpceAccessDenied")), networkRecord("kms.amazonaws.com", "Decrypt", ""), false},
		{"absent ARN and ARNPrefix fail resources.ARN", advanced(data, s3Type, fs("resources.ARN", "StartsWith", "arn:")),
			dataRecord("s3.amazonaws.com", "GetObject", yes, event.Resource{Type: "AWS::S3::Object"}), false},
		{"absent ARN passes resources.ARN NotStartsWith", advanced(data, s3Type, fs("resources.ARN", "NotStartsWith", "arn:aws:s3:::logs/")),
			dataRecord("s3.amazonaws.com", "GetObject", yes, event.Resource{Type: "AWS::S3::Object"}), true},

		// Advanced: resources.
		{"type and ARN on the same entry", advanced(data, s3Type, fs("resources.ARN", "Equals", "arn:aws:s3:::orders")),
			dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws:s3:::orders/k")...), false},
		{"second entry of the type", advanced(data, s3Type, fs("resources.ARN", "StartsWith", "arn:aws:s3:::invoices/")),
			dataRecord("s3.amazonaws.com", "CopyObject", no, event.Resource{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::orders/k"},
				event.Resource{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::invoices/k"}), true},
		{"ARN preferred to ARNPrefix", advanced(data, s3Type, fs("resources.ARN", "StartsWith", "arn:aws:s3:::p/")),
			dataRecord("s3.amazonaws.com", "GetObject", yes, event.Resource{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::a/k", ARNPrefix: "arn:aws:s3:::p/"}), false},
		{"DynamoDB table selector matches a stream-enabled table", advanced(data, fs("resources.type", "Equals", "AWS::DynamoDB::Table")),
			dataRecord("dynamodb.amazonaws.com", "PutItem", no, event.Resource{Type: "AWS::DynamoDB::Stream", ARN: "arn:aws:dynamodb:us-east-1:111122223333:table/T/stream/x"},
				event.Resource{Type: "AWS::DynamoDB::Table", ARN: "arn:aws:dynamodb:us-east-1:111122223333:table/T"}), true},
		{"directory bucket objects need their own type", advanced(data, s3Type),
			dataRecord("s3express.amazonaws.com", "PutObject", no, event.Resource{Type: "AWS::S3Express::Object", ARNPrefix: "arn:aws:s3express:us-west-2:111122223333:b--usw2-az1--x-s3"}), false},

		// Advanced: network activity.
		{"network source", advanced(network, kmsNet), networkRecord("kms.amazonaws.com", "Decrypt", ""), true},
		{"network other source", advanced(network, kmsNet), networkRecord("ec2.amazonaws.com", "DescribeInstances", ""), false},
		{"network endpoint NotStartsWith", advanced(network, kmsNet, fs("vpcEndpointId", "NotStartsWith", "vpce-0a")), networkRecord("kms.amazonaws.com", "Decrypt", ""), false},
		{"management selector ignores the network copy of a call", advanced(mgmt), networkRecord("kms.amazonaws.com", "Decrypt", ""), false},

		// Empty configurations.
		{"empty advanced list logs nothing", `{"AdvancedEventSelectors": []}`, mgmtRecord("iam.amazonaws.com", "CreateUser", no), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := compile(t, tc.config)
			assert.Equal(t, tc.want, m.Match(tc.record))
			ex := m.Explain(tc.record)
			assert.Equal(t, tc.want, ex.Logged, "Explain agrees with Match:\n%s", ex)
			assert.Equal(t, tc.want, ex.Decided >= 0)
		})
	}
}

func functionARNs(n int) []string {
	arns := make([]string, n)
	for i := range arns {
		arns[i] = fmt.Sprintf("arn:aws:lambda:us-east-1:111122223333:function:fn-%02d", i)
	}
	return arns
}

// eventNames returns n distinct event names, the last one being last when
// it is not empty.
func eventNames(n int, last string) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("Operation%02d", i)
	}
	if last != "" {
		names[n-1] = last
	}
	return names
}

func TestDefault(t *testing.T) {
	implicit := selector.Default()
	fromEmpty := compile(t, `{"TrailName": "t"}`)
	explicit := compile(t, `{"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": true, "DataResources": [], "ExcludeManagementEventSources": []}]}`)
	console := compile(t, `{"AdvancedEventSelectors": [{"Name": "Management events selector", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]}`)

	assert.Equal(t, selector.DefaultConfig(), implicit.Config())
	records := append(recordMix(512), mgmtRecord("signin.amazonaws.com", "ConsoleLogin", nil), networkRecord("kms.amazonaws.com", "Decrypt", ""))
	for _, r := range records {
		want := r.Category() == "Management"
		for name, m := range map[string]*selector.Matcher{"Default()": implicit, "{}": fromEmpty, "explicit": explicit, "console": console} {
			assert.Equal(t, want, m.Match(r), "%s on a %s record", name, r.Category())
		}
	}
	assert.True(t, implicit.Explain(records[0]).DefaultSelectors)
	assert.False(t, explicit.Explain(records[0]).DefaultSelectors)

	withInsights := compile(t, `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}]}`)
	want := selector.DefaultConfig()
	want.InsightSelectors = []selector.InsightSelector{{InsightType: selector.APICallRateInsight}}
	assert.Equal(t, want, withInsights.Config(), "Insights alone leave the default event selectors")
}

// TestCompileCopiesConfig shows that a Matcher does not share memory with
// the Config it came from or gives out.
func TestCompileCopiesConfig(t *testing.T) {
	cfg, err := selector.ParseConfig([]byte(advanced(data, s3Type, fs("resources.ARN", "StartsWith", "arn:aws:s3:::orders/"))))
	require.NoError(t, err)
	m, err := selector.Compile(cfg, selector.Options{})
	require.NoError(t, err)
	r := dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws:s3:::orders/k")...)
	require.True(t, m.Match(r))

	cfg.AdvancedEventSelectors[0].FieldSelectors[2].StartsWith[0] = "arn:aws:s3:::other/"
	got := m.Config()
	got.AdvancedEventSelectors[0].FieldSelectors[2].StartsWith[0] = "arn:aws:s3:::elsewhere/"
	assert.True(t, m.Match(r))
	assert.Equal(t, "arn:aws:s3:::orders/", m.Config().AdvancedEventSelectors[0].FieldSelectors[2].StartsWith[0])
	assert.Contains(t, m.Explain(r).String(), "arn:aws:s3:::orders/k")
}

// TestCompileGoValues configures a matcher from Go values rather than JSON.
func TestCompileGoValues(t *testing.T) {
	m, err := selector.Compile(selector.Config{EventSelectors: []selector.EventSelector{{
		ReadWriteType: selector.WriteOnly,
		DataResources: []selector.DataResource{{Type: "AWS::Lambda::Function", Values: []string{"arn:aws:lambda"}}},
	}}}, selector.Options{})
	require.NoError(t, err)
	assert.True(t, m.Match(mgmtRecord("iam.amazonaws.com", "CreateUser", no)))
	assert.False(t, m.Match(mgmtRecord("iam.amazonaws.com", "ListUsers", yes)))

	_, err = selector.Compile(selector.Config{AdvancedEventSelectors: []selector.AdvancedEventSelector{{
		FieldSelectors: []selector.FieldSelector{{Field: selector.FieldEventCategory, Equals: []string{selector.CategoryData}}, {Field: selector.FieldEventName, Equals: []string{}}},
	}}}, selector.Options{})
	assert.ErrorIs(t, err, selector.ErrInvalidEventSelectors, "a non-nil empty operator list is present and empty")
}

// TestMatchConcurrent uses one Matcher from several goroutines; run with
// -race it shows that matching writes nothing shared.
func TestMatchConcurrent(t *testing.T) {
	m := compile(t, benchSelectors)
	records := recordMix(256)
	want := make([]bool, len(records))
	for i, r := range records {
		want[i] = m.Match(r)
	}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for i, r := range records {
				if m.Match(r) != want[i] || m.Explain(r).Logged != want[i] {
					errs <- fmt.Errorf("record %d changed its verdict", i)
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		assert.NoError(t, <-errs)
	}
}
