package selector_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
)

func TestInsightsCount(t *testing.T) {
	write := mgmtRecord("ec2.amazonaws.com", "RunInstances", no)
	read := mgmtRecord("ec2.amazonaws.com", "DescribeInstances", yes)
	noReadOnly := mgmtRecord("signin.amazonaws.com", "ConsoleLogin", nil)
	kmsWrite := mgmtRecord("kms.amazonaws.com", "DisableKey", no)
	object := dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws:s3:::orders/k")...)
	viaEndpoint := networkRecord("kms.amazonaws.com", "Decrypt", "")

	const (
		callRate  = selector.APICallRateInsight
		errorRate = selector.APIErrorRateInsight
	)
	tests := []struct {
		name   string
		config string
		typ    selector.InsightType
		record *event.Record
		want   bool
	}{
		{"call rate counts write management events", `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}]}`, callRate, write, true},
		{"call rate skips read management events", `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}]}`, callRate, read, false},
		{"call rate skips records without readOnly", `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}]}`, callRate, noReadOnly, false},
		{"error rate counts read and write", `{"InsightSelectors": [{"InsightType": "ApiErrorRateInsight"}]}`, errorRate, read, true},
		{"error rate off", `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}]}`, errorRate, write, false},
		{"Insights off", `{}`, callRate, write, false},
		{"Insights turned off with an empty list", `{"InsightSelectors": []}`, callRate, write, false},
		{"management Insights skip data events", `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}], "EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]}`,
			callRate, object, false},
		{"data Insights count every logged data event", `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight", "EventCategories": ["Data"]}], "EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]}`,
			callRate, object, true},
		{"data only turns management Insights off", `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight", "EventCategories": ["Data"]}]}`, callRate, write, false},
		{"data Insights need the trail to log the data event", `{"InsightSelectors": [{"InsightType": "ApiErrorRateInsight", "EventCategories": ["Data", "Management"]}]}`,
			errorRate, object, false},
		{"Insights read only what the trail logs", `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}], "EventSelectors": [{"ExcludeManagementEventSources": ["kms.amazonaws.com"]}]}`,
			callRate, kmsWrite, false},
		{"network activity is never analysed", `{"InsightSelectors": [{"InsightType": "ApiErrorRateInsight", "EventCategories": ["Management", "Data"]}], "AdvancedEventSelectors": [{"FieldSelectors": [` + network + `, ` + kmsNet + `]}]}`,
			errorRate, viaEndpoint, false},
		{"Insights events are never analysed", `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}]}`, callRate, insightRecord(), false},
		{"nil record", `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}]}`, callRate, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, compile(t, tc.config).InsightsCount(tc.typ, tc.record))
		})
	}
}

func TestInsightsEnabled(t *testing.T) {
	m := compile(t, `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiErrorRateInsight", "EventCategories": ["Data"]}]}`)
	assert.True(t, m.InsightsEnabled(selector.APICallRateInsight, selector.CategoryManagement), "no EventCategories means Management")
	assert.False(t, m.InsightsEnabled(selector.APICallRateInsight, selector.CategoryData))
	assert.False(t, m.InsightsEnabled(selector.APIErrorRateInsight, selector.CategoryManagement))
	assert.True(t, m.InsightsEnabled(selector.APIErrorRateInsight, selector.CategoryData))

	got := m.InsightSelectors()
	assert.Equal(t, []selector.InsightSelector{{InsightType: selector.APICallRateInsight},
		{InsightType: selector.APIErrorRateInsight, EventCategories: []string{"Data"}}}, got)
	got[1].EventCategories[0] = "Management"
	assert.True(t, m.InsightsEnabled(selector.APIErrorRateInsight, selector.CategoryData), "InsightSelectors returns a copy")

	assert.Nil(t, selector.Default().InsightSelectors())
}

func TestIsWriteManagementEvent(t *testing.T) {
	assert.True(t, selector.IsWriteManagementEvent(mgmtRecord("iam.amazonaws.com", "CreateUser", no)))
	assert.False(t, selector.IsWriteManagementEvent(mgmtRecord("iam.amazonaws.com", "ListUsers", yes)))
	assert.False(t, selector.IsWriteManagementEvent(mgmtRecord("signin.amazonaws.com", "ConsoleLogin", nil)))
	assert.False(t, selector.IsWriteManagementEvent(dataRecord("s3.amazonaws.com", "PutObject", no, s3Object("arn:aws:s3:::b/k")...)))
	assert.False(t, selector.IsWriteManagementEvent(nil))
	legacy := mgmtRecord("iam.amazonaws.com", "CreateUser", no)
	legacy.EventCategory = ""
	assert.True(t, selector.IsWriteManagementEvent(legacy))
}
