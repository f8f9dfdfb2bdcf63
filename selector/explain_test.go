package selector_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
)

func TestExplain(t *testing.T) {
	twoAdvanced := `{"AdvancedEventSelectors": [
	  {"Name": "writes", "FieldSelectors": [` + mgmt + `, ` + fs("readOnly", "Equals", "false") + `]},
	  {"Name": "orders", "FieldSelectors": [` + data + `, ` + s3Type + `, ` + fs("eventName", "NotEquals", "DeleteObject") + `, ` +
		`{"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::orders/"], "NotEndsWith": [".tmp"]}]}]}`
	type outcome struct {
		matched       bool
		field         string
		reasonPhrases []string
	}
	tests := []struct {
		name     string
		config   string
		record   *event.Record
		logged   bool
		decided  int
		category string
		outcomes []outcome
	}{
		{name: "write management event", config: twoAdvanced, record: mgmtRecord("iam.amazonaws.com", "CreateUser", no),
			logged: true, decided: 0, category: "Management", outcomes: []outcome{
				{true, "eventCategory", []string{"every field selector holds"}},
				{false, "eventCategory", []string{"logs Data events", "Management event"}}}},
		{name: "read management event", config: twoAdvanced, record: mgmtRecord("iam.amazonaws.com", "ListUsers", yes),
			logged: false, decided: -1, category: "Management", outcomes: []outcome{
				{false, "readOnly", []string{`readOnly "true" matches none of Equals ["false"]`}},
				{false, "eventCategory", nil}}},
		{name: "deselected event name", config: twoAdvanced, record: dataRecord("s3.amazonaws.com", "DeleteObject", no, s3Object("arn:aws:s3:::orders/k")...),
			logged: false, decided: -1, category: "Data", outcomes: []outcome{
				{false, "eventCategory", nil},
				{false, "eventName", []string{`eventName "DeleteObject" hits NotEquals "DeleteObject"`}}}},
		{name: "deselected object", config: twoAdvanced, record: dataRecord("s3.amazonaws.com", "PutObject", no, s3Object("arn:aws:s3:::orders/k.tmp")...),
			logged: false, decided: -1, outcomes: []outcome{
				{false, "eventCategory", nil},
				{false, "resources.ARN", []string{`resources.ARN "arn:aws:s3:::orders/k.tmp" hits NotEndsWith ".tmp"`}}}},
		{name: "object of another bucket", config: twoAdvanced, record: dataRecord("s3.amazonaws.com", "PutObject", no, s3Object("arn:aws:s3:::invoices/k")...),
			logged: false, decided: -1, outcomes: []outcome{
				{false, "eventCategory", nil},
				{false, "resources.ARN", []string{`matches none of StartsWith ["arn:aws:s3:::orders/"]`}}}},
		{name: "no resource of the type", config: twoAdvanced,
			record: dataRecord("lambda.amazonaws.com", "Invoke", no, event.Resource{Type: "AWS::Lambda::Function", ARN: "arn:aws:lambda:us-east-1:111122223333:function:f"}),
			logged: false, decided: -1, outcomes: []outcome{
				{false, "eventCategory", nil},
				{false, "resources.type", []string{"no resource of type AWS::S3::Object", "AWS::Lambda::Function arn:aws:lambda:us-east-1:111122223333:function:f"}}}},
		{name: "logged object", config: twoAdvanced, record: dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws:s3:::orders/k")...),
			logged: true, decided: 1, outcomes: []outcome{
				{false, "eventCategory", nil},
				{true, "resources.type", []string{"for resource AWS::S3::Object arn:aws:s3:::orders/k"}}}},
		{name: "absent field", config: advanced(data, s3Type, fs("sessionCredentialFromConsole", "Equals", "true")),
			record: dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws:s3:::b/k")...), logged: false, decided: -1,
			outcomes: []outcome{{false, "sessionCredentialFromConsole", []string{"has no sessionCredentialFromConsole"}}}},
		{name: "insights event", config: twoAdvanced, record: insightRecord(), logged: false, decided: -1, category: "Insight",
			outcomes: []outcome{{false, "eventCategory", []string{"InsightSelectors"}}, {false, "eventCategory", []string{"InsightSelectors"}}}},
		{name: "basic: second selector logs", config: `{"EventSelectors": [{"ReadWriteType": "ReadOnly"}, {"ExcludeManagementEventSources": ["kms.amazonaws.com"]}]}`,
			record: mgmtRecord("iam.amazonaws.com", "CreateUser", no), logged: true, decided: 1, outcomes: []outcome{
				{false, "ReadWriteType", []string{"ReadWriteType is ReadOnly", "readOnly false"}},
				{true, "IncludeManagementEvents", nil}}},
		{name: "basic: excluded source", config: basic(`"ExcludeManagementEventSources": ["kms.amazonaws.com"]`),
			record: mgmtRecord("kms.amazonaws.com", "Decrypt", yes), logged: false, decided: -1,
			outcomes: []outcome{{false, "ExcludeManagementEventSources", []string{"kms.amazonaws.com"}}}},
		{name: "basic: management off", config: basic(`"IncludeManagementEvents": false`),
			record: mgmtRecord("iam.amazonaws.com", "CreateUser", no), logged: false, decided: -1,
			outcomes: []outcome{{false, "IncludeManagementEvents", []string{"false"}}}},
		{name: "basic: absent readOnly", config: basic(`"ReadWriteType": "WriteOnly"`),
			record: mgmtRecord("signin.amazonaws.com", "ConsoleLogin", nil), logged: false, decided: -1,
			outcomes: []outcome{{false, "ReadWriteType", []string{"no readOnly"}}}},
		{name: "basic: data resource", config: basic(`"DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}, {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::orders/"]}]`),
			record: dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws:s3:::orders/k")...), logged: true, decided: 0,
			outcomes: []outcome{{true, "DataResources", []string{"DataResources[1]", "arn:aws:s3:::orders/k"}}}},
		{name: "basic: no data resource", config: basic(`"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::orders/"]}]`),
			record: dataRecord("s3.amazonaws.com", "GetObject", yes, s3Object("arn:aws:s3:::other/k")...), logged: false, decided: -1,
			outcomes: []outcome{{false, "DataResources", []string{"AWS::S3::Object arn:aws:s3:::other/k, AWS::S3::Bucket arn:aws:s3:::other"}}}},
		{name: "basic: network activity", config: basic(``), record: networkRecord("kms.amazonaws.com", "Decrypt", ""), logged: false, decided: -1,
			category: "NetworkActivity", outcomes: []outcome{{false, "eventCategory", []string{"never log NetworkActivity"}}}},
		{name: "no selectors", config: `{"AdvancedEventSelectors": []}`, record: mgmtRecord("iam.amazonaws.com", "CreateUser", no), logged: false, decided: -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := compile(t, tc.config)
			ex := m.Explain(tc.record)
			assert.Equal(t, tc.logged, ex.Logged)
			assert.Equal(t, m.Match(tc.record), ex.Logged)
			assert.Equal(t, tc.decided, ex.Decided)
			if tc.category != "" {
				assert.Equal(t, tc.category, ex.Category)
			}
			require.Len(t, ex.Selectors, len(tc.outcomes), "%s", ex)
			for i, want := range tc.outcomes {
				got := ex.Selectors[i]
				assert.Equal(t, i, got.Index)
				assert.Equal(t, want.matched, got.Matched, "selector %d: %s", i, got.Reason)
				assert.Equal(t, want.field, got.Field, "selector %d: %s", i, got.Reason)
				assert.NotEmpty(t, got.Reason)
				for _, phrase := range want.reasonPhrases {
					assert.Contains(t, got.Reason, phrase, "selector %d", i)
				}
			}
			text := ex.String()
			for _, o := range ex.Selectors {
				assert.Contains(t, text, o.Reason)
			}
		})
	}
}

func TestExplainString(t *testing.T) {
	m := compile(t, `{"AdvancedEventSelectors": [
	  {"Name": "writes", "FieldSelectors": [`+mgmt+`, `+fs("readOnly", "Equals", "false")+`]},
	  {"FieldSelectors": [`+mgmt+`, `+fs("eventSource", "NotEquals", "kms.amazonaws.com")+`]}]}`)
	assert.Equal(t, `Management event: logged
   AdvancedEventSelectors[0] "writes": no match (readOnly): readOnly "true" matches none of Equals ["false"]
=> AdvancedEventSelectors[1]: match (eventCategory): every field selector holds
`, m.Explain(mgmtRecord("iam.amazonaws.com", "ListUsers", yes)).String())

	assert.Equal(t, "Management event: logged (default selectors: all management events)\n"+
		"=> EventSelectors[0]: match (IncludeManagementEvents): management events are included\n",
		selector.Default().Explain(mgmtRecord("iam.amazonaws.com", "ListUsers", yes)).String())

	assert.Equal(t, "Management event: not logged; the trail has no event selectors and logs no events\n",
		compile(t, `{"AdvancedEventSelectors": []}`).Explain(mgmtRecord("iam.amazonaws.com", "ListUsers", yes)).String())

	nothing := selector.Default().Explain(nil)
	assert.False(t, nothing.Logged)
	assert.Equal(t, -1, nothing.Decided)
}

// TestExplainAgreesWithMatch runs both over the generated mix and several
// configurations: Explain must reach Match's verdict on every record.
func TestExplainAgreesWithMatch(t *testing.T) {
	records := recordMix(2000)
	for _, config := range []string{benchSelectors, `{}`, `{"EventSelectors": [{"ReadWriteType": "ReadOnly", "ExcludeManagementEventSources": ["kms.amazonaws.com"],
		"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::orders/", "arn:aws:s3:::media-eu/2025"]}]}, {"IncludeManagementEvents": false,
		"DataResources": [{"Type": "AWS::DynamoDB::Table", "Values": ["arn:aws:dynamodb:us-east-1:111122223333:table/Orders"]}]}]}`} {
		m := compile(t, config)
		for i, r := range records {
			ex := m.Explain(r)
			require.Equal(t, m.Match(r), ex.Logged, "record %d:\n%s", i, ex)
			require.Equal(t, ex.Logged, ex.Decided >= 0)
			if ex.Decided >= 0 {
				require.True(t, ex.Selectors[ex.Decided].Matched)
			}
		}
	}
}
