package selector_test

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/selector"
)

func TestParseConfig(t *testing.T) {
	cfg, err := selector.ParseConfig([]byte(`{
	  "TrailName": "main",
	  "TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main",
	  "Extra": {"nested": [1, 2, {"deep": [[[]]]}], "n": null},
	  "EventSelectors": [
	    {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": false,
	     "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::b/"]}],
	     "ExcludeManagementEventSources": []},
	    {"ReadWriteType": null, "IncludeManagementEvents": null, "DataResources": null}
	  ],
	  "InsightSelectors": [{"InsightType": "ApiErrorRateInsight", "EventCategories": ["Data"]}]
	}`))
	require.NoError(t, err)
	want := selector.Config{
		EventSelectors: []selector.EventSelector{
			{ReadWriteType: selector.WriteOnly, IncludeManagementEvents: boolPtr(false),
				DataResources:                 []selector.DataResource{{Type: "AWS::S3::Object", Values: []string{"arn:aws:s3:::b/"}}},
				ExcludeManagementEventSources: []string{}},
			{},
		},
		InsightSelectors: []selector.InsightSelector{{InsightType: selector.APIErrorRateInsight, EventCategories: []string{"Data"}}},
	}
	assert.Equal(t, want, cfg)
	assert.NotNil(t, cfg.EventSelectors[0].ExcludeManagementEventSources, "[] stays present")
	assert.Nil(t, cfg.EventSelectors[1].DataResources, "null is absent")
	assert.Nil(t, cfg.AdvancedEventSelectors)
}

func TestParseAdvanced(t *testing.T) {
	cfg, err := selector.ParseConfig([]byte(`{"AdvancedEventSelectors": [{"Name": "all six", "FieldSelectors": [
	  {"Field": "eventCategory", "Equals": ["Data"]},
	  {"Field": "resources.ARN", "Equals": ["a"], "StartsWith": ["b"], "EndsWith": ["c"], "NotEquals": ["d"], "NotStartsWith": ["e"], "NotEndsWith": ["f", "g"]}]}]}`))
	require.NoError(t, err)
	assert.Equal(t, []selector.AdvancedEventSelector{{Name: "all six", FieldSelectors: []selector.FieldSelector{
		{Field: "eventCategory", Equals: []string{"Data"}},
		{Field: "resources.ARN", Equals: []string{"a"}, StartsWith: []string{"b"}, EndsWith: []string{"c"},
			NotEquals: []string{"d"}, NotStartsWith: []string{"e"}, NotEndsWith: []string{"f", "g"}},
	}}}, cfg.AdvancedEventSelectors)
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, input string
		exception   string
		message     string // exact when not empty
		path        string
		mentions    []string
	}{
		{name: "empty input", input: "  \n", exception: invalidEvent, mentions: []string{"empty"}},
		{name: "not JSON", input: "EventSelectors: []", exception: invalidEvent, mentions: []string{"Invalid JSON at line 1, column 1"}},
		{name: "truncated", input: `{"EventSelectors": [{"ReadWriteType": "All"`, exception: invalidEvent, mentions: []string{"unexpected end of input"}},
		{name: "syntax error on line 3", input: "{\n  \"EventSelectors\": [\n    {\"ReadWriteType\" \"All\"}]}", exception: invalidEvent,
			mentions: []string{"line 3"}},
		{name: "trailing data", input: `{"EventSelectors": [{}]} {}`, exception: invalidEvent, mentions: []string{"after the end"}},
		{name: "top-level list", input: `[{"ReadWriteType": "All"}]`, exception: invalidEvent,
			message: "Invalid type for parameter the request, type: list, valid types: structure"},
		{name: "top-level string", input: `"EventSelectors"`, exception: invalidEvent, mentions: []string{"type: string"}},
		{name: "misspelt list", input: `{"eventSelectors": [{}]}`, exception: invalidEvent, mentions: []string{`"eventSelectors"`, `did you mean "EventSelectors"`}},
		{name: "misspelt insight list", input: `{"Insightselectors": []}`, exception: invalidEvent, mentions: []string{`"InsightSelectors"`}},
		{name: "unknown member in a basic selector", input: `{"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvent": true}]}`, exception: invalidEvent,
			message: `Unknown parameter in EventSelectors[0]: "IncludeManagementEvent", must be one of: ReadWriteType, IncludeManagementEvents, DataResources, ExcludeManagementEventSources`,
			path:    "EventSelectors[0]"},
		{name: "member in wrong case", input: `{"EventSelectors": [{"readWriteType": "All"}]}`, exception: invalidEvent, mentions: []string{`"readWriteType"`}},
		{name: "unknown member in a data resource", input: `{"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Value": ["arn:aws:s3"]}]}]}`,
			exception: invalidEvent, message: `Unknown parameter in EventSelectors[0].DataResources[0]: "Value", must be one of: Type, Values`},
		{name: "unknown member in a field selector", input: `{"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equal": ["Data"]}]}]}`,
			exception: invalidEvent, path: "AdvancedEventSelectors[0].FieldSelectors[0]",
			mentions: []string{`"Equal"`, "Field, Equals, StartsWith, EndsWith, NotEquals, NotStartsWith, NotEndsWith"}},
		{name: "unknown member in an insight selector", input: `{"InsightSelectors": [{"InsightType": "ApiCallRateInsight", "Categories": ["Data"]}]}`,
			exception: invalidInsight, path: "InsightSelectors[0]"},
		{name: "repeated member", input: `{"EventSelectors": [{"ReadWriteType": "All", "ReadWriteType": "ReadOnly"}]}`, exception: invalidEvent,
			message: `Duplicate parameter in EventSelectors[0]: "ReadWriteType"`},
		{name: "repeated list", input: `{"EventSelectors": [{}], "EventSelectors": [{}]}`, exception: invalidEvent, mentions: []string{"Duplicate"}},
		{name: "boolean as string", input: `{"EventSelectors": [{"IncludeManagementEvents": "yes"}]}`, exception: invalidEvent,
			message: `Invalid type for parameter EventSelectors[0].IncludeManagementEvents, value: "yes", type: string, valid types: boolean`,
			path:    "EventSelectors[0].IncludeManagementEvents"},
		{name: "values as string", input: `{"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": "arn:aws:s3"}]}]}`, exception: invalidEvent,
			message: `Invalid type for parameter EventSelectors[0].DataResources[0].Values, value: "arn:aws:s3", type: string, valid types: list`},
		{name: "number in a list of strings", input: `{"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data", 7]}]}]}`,
			exception: invalidEvent, message: "Invalid type for parameter AdvancedEventSelectors[0].FieldSelectors[0].Equals[1], value: 7, type: number, valid types: string"},
		{name: "null in a list of strings", input: `{"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": [null]}]}]}`,
			exception: invalidEvent, mentions: []string{"type: null"}},
		{name: "object for a list", input: `{"AdvancedEventSelectors": [{"FieldSelectors": {"Field": "eventCategory"}}]}`, exception: invalidEvent,
			message: "Invalid type for parameter AdvancedEventSelectors[0].FieldSelectors, type: structure, valid types: list"},
		{name: "selector as string", input: `{"AdvancedEventSelectors": ["eventCategory=Data"]}`, exception: invalidEvent,
			mentions: []string{"AdvancedEventSelectors[0]", "valid types: structure"}},
		{name: "field as list", input: `{"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": ["eventName"]}]}]}`, exception: invalidEvent,
			path: "AdvancedEventSelectors[0].FieldSelectors[0].Field"},
		{name: "insight type as number", input: `{"InsightSelectors": [{"InsightType": 1}]}`, exception: invalidInsight,
			message: "Invalid type for parameter InsightSelectors[0].InsightType, value: 1, type: number, valid types: string"},
		{name: "syntax error inside insight selectors", input: `{"InsightSelectors": [{"InsightType": }]}`, exception: invalidInsight},
		{name: "explicit empty ReadWriteType", input: `{"EventSelectors": [{"ReadWriteType": ""}]}`, exception: invalidEvent,
			path: "EventSelectors[0].ReadWriteType"},
		{name: "deeply nested ignored member", input: `{"TrailName": ` + strings.Repeat("[", 101) + strings.Repeat("]", 101) + `}`, exception: invalidEvent,
			mentions: []string{"nested more than 100 deep"}},
		{name: "huge unknown member name", input: `{"EventSelectors": [{"` + strings.Repeat("k", 1<<20) + `": 1}]}`, exception: invalidEvent,
			mentions: []string{"kkkk…"}},
		{name: "huge string for a boolean", input: `{"EventSelectors": [{"IncludeManagementEvents": "` + strings.Repeat("y", 1<<20) + `"}]}`, exception: invalidEvent,
			mentions: []string{"yyyy…"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := selector.ParseConfig([]byte(tc.input))
			require.Error(t, err)
			var se *selector.Error
			require.True(t, errors.As(err, &se), "want *selector.Error, got %T: %v", err, err)
			assertSelectorError(t, se, tc.exception, tc.message, tc.path, tc.mentions, 1000)
		})
	}
}

func TestParseLists(t *testing.T) {
	basicList, err := selector.ParseEventSelectors([]byte(`[{"ReadWriteType": "ReadOnly"}]`))
	require.NoError(t, err)
	assert.Equal(t, []selector.EventSelector{{ReadWriteType: selector.ReadOnly}}, basicList)

	advancedList, err := selector.ParseAdvancedEventSelectors([]byte(`[{"Name": "m", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]`))
	require.NoError(t, err)
	assert.Equal(t, []selector.AdvancedEventSelector{{Name: "m", FieldSelectors: []selector.FieldSelector{{Field: "eventCategory", Equals: []string{"Management"}}}}}, advancedList)

	insightList, err := selector.ParseInsightSelectors([]byte(`[{"InsightType": "ApiCallRateInsight"}]`))
	require.NoError(t, err)
	assert.Equal(t, []selector.InsightSelector{{InsightType: selector.APICallRateInsight}}, insightList)

	_, err = selector.ParseEventSelectors([]byte(`{"EventSelectors": []}`))
	var se *selector.Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, "Invalid type for parameter EventSelectors, type: structure, valid types: list", se.Message)

	_, err = selector.ParseInsightSelectors([]byte(`[{"InsightType": true}]`))
	assert.ErrorIs(t, err, selector.ErrInvalidInsightSelectors)
	_, err = selector.ParseAdvancedEventSelectors([]byte(`[{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}`))
	assert.ErrorIs(t, err, selector.ErrInvalidEventSelectors)
}

// TestParseRoundTrip marshals parsed configurations with encoding/json and
// parses them again: trailkit writes the JSON that AWS reads, absent and
// empty lists included.
func TestParseRoundTrip(t *testing.T) {
	inputs := []string{
		`{"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": true, "DataResources": [], "ExcludeManagementEventSources": []}]}`,
		`{"EventSelectors": [{"DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]}], "InsightSelectors": []}`,
		`{"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]}`,
		`{"AdvancedEventSelectors": []}`,
		`{"InsightSelectors": [{"InsightType": "ApiCallRateInsight", "EventCategories": ["Management", "Data"]}]}`,
		`{}`,
	}
	for _, in := range inputs {
		cfg, err := selector.ParseConfig([]byte(in))
		require.NoError(t, err)
		out, err := json.Marshal(cfg)
		require.NoError(t, err)
		assert.JSONEq(t, in, string(out))
		again, err := selector.ParseConfig(out)
		require.NoError(t, err)
		assert.Equal(t, cfg, again)

		var viaUnmarshal selector.Config
		require.NoError(t, json.Unmarshal([]byte(in), &viaUnmarshal))
		assert.Equal(t, cfg, viaUnmarshal)
	}
	var cfg selector.Config
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"EventSelectors": [{"readwritetype": "All"}]}`), &cfg), selector.ErrInvalidEventSelectors,
		"encoding/json gets ParseConfig's strictness")
}

func TestReadConfig(t *testing.T) {
	cfg, err := selector.ReadConfig(strings.NewReader(`{"EventSelectors": [{"ReadWriteType": "ReadOnly"}]}`))
	require.NoError(t, err)
	assert.Equal(t, selector.ReadOnly, cfg.EventSelectors[0].ReadWriteType)

	tooBig := io.MultiReader(strings.NewReader(`{"TrailName": "`), strings.NewReader(strings.Repeat("x", selector.MaxConfigBytes)), strings.NewReader(`"}`))
	_, err = selector.ReadConfig(tooBig)
	assert.ErrorIs(t, err, selector.ErrInvalidEventSelectors)
	assert.ErrorContains(t, err, "larger than")

	broken := iotest.ErrReader(errors.New("disk on fire"))
	_, err = selector.ReadConfig(broken)
	assert.ErrorContains(t, err, "disk on fire")
	assert.NotErrorIs(t, err, selector.ErrInvalidEventSelectors, "a failing reader is not an invalid configuration")
}

func boolPtr(b bool) *bool { return &b }
