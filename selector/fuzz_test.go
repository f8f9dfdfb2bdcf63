package selector_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/selector"
)

// FuzzParseConfig feeds ParseConfig arbitrary bytes. Whatever it is given,
// it and Compile must return a configuration or an *Error with a bounded
// message, never panic; an accepted configuration must survive a round trip
// through encoding/json and match records as Explain says.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed)
	}
	records := append(recordMix(64), nil, &event.Record{}, insightRecord(),
		dataRecord("s3.amazonaws.com", "GetObject", nil, event.Resource{Type: "AWS::S3::Object"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := selector.ParseConfig(data)
		if err != nil {
			checkSelectorError(t, err)
			return
		}
		m, err := selector.Compile(cfg, selector.Options{})
		if err != nil {
			checkSelectorError(t, err)
			return
		}
		out, err := json.Marshal(cfg)
		if err != nil {
			t.Fatalf("marshal %#v: %v", cfg, err)
		}
		again, err := selector.ParseConfig(out)
		if err != nil {
			t.Fatalf("parse what was marshalled: %v\n%s", err, out)
		}
		if _, err := selector.Compile(again, selector.Options{}); err != nil {
			t.Fatalf("compile what was marshalled: %v\n%s", err, out)
		}
		for i, r := range records {
			ex := m.Explain(r)
			if ex.Logged != m.Match(r) {
				t.Fatalf("record %d: Explain says %v, Match says %v\n%s", i, ex.Logged, !ex.Logged, ex)
			}
			m.InsightsCount(selector.APICallRateInsight, r)
		}
	})
}

func checkSelectorError(t *testing.T, err error) {
	t.Helper()
	var se *selector.Error
	if !errors.As(err, &se) {
		t.Fatalf("want *selector.Error, got %T: %v", err, err)
	}
	if se.Exception != selector.ExceptionInvalidEventSelectors && se.Exception != selector.ExceptionInvalidInsightSelectors {
		t.Fatalf("unexpected exception %q", se.Exception)
	}
	if se.Message == "" || len(se.Message) > 4096 {
		t.Fatalf("message of %d bytes: %.200s", len(se.Message), se.Message)
	}
}

// fuzzSeeds are the vectors' configurations and a few hand-written ones.
func fuzzSeeds(f *testing.F) [][]byte {
	var file vectorFile
	if err := json.Unmarshal(testdata.SelectorVectors(f), &file); err != nil {
		f.Fatal(err)
	}
	seeds := [][]byte{
		[]byte(`{}`), []byte(``), []byte(`[]`), []byte(`null`), []byte(`{"EventSelectors": null}`),
		[]byte(benchSelectors),
		[]byte(`{"TrailName": "t", "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": true, "DataResources": [], "ExcludeManagementEventSources": []}]}`),
		[]byte(`{"EventSelectors": [{"ReadWriteType": "WriteOnly", "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::b/", "arn:aws:s3"]}]}], "InsightSelectors": [{"InsightType": "ApiCallRateInsight", "EventCategories": ["Data"]}]}`),
		[]byte(`{"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]}, {"Field": "resources.ARN", "Equals": ["a"], "StartsWith": ["b"], "EndsWith": ["c"], "NotEquals": ["d"], "NotStartsWith": ["e"], "NotEndsWith": ["f"]}]}]}`),
		[]byte(`{"EventSelectors": [{"ReadWriteType": "All", "ReadWriteType": "All"}]}`),
		[]byte(`{"eventselectors": [{}], "X": [[[{"a": [1, 2.5e3, true, null]}]]]}`),
		// Size and depth hostile.
		[]byte(`{"X":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`),
		[]byte(`{"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"eventName","Equals":[` + strings.TrimSuffix(strings.Repeat(`"x",`, 5000), ",") + `]}]}]}`),
		[]byte(`{"AdvancedEventSelectors":[{"FieldSelectors":[{"Field":"eventSource","StartsWith":["` + strings.Repeat("a", 64<<10) + `"]}]}]}`),
		[]byte(`{"EventSelectors":[` + strings.TrimSuffix(strings.Repeat(`{"ReadWriteType":"All","DataResources":[{"Type":"AWS::S3::Object","Values":["arn:aws:s3"]}]},`, 200), ",") + `]}`),
	}
	for _, v := range file.MatchVectors {
		seeds = append(seeds, v.Selectors)
	}
	for _, v := range file.InvalidVectors {
		seeds = append(seeds, v.Selectors)
	}
	return seeds
}

// FuzzBasicEqualsAdvanced builds records from fuzzed fields and checks that
// configurations saying the same thing in basic and advanced selectors
// agree, and that Explain agrees with Match.
func FuzzBasicEqualsAdvanced(f *testing.F) {
	f.Add("Management", "kms.amazonaws.com", "Decrypt", uint8(1), "", "", "")
	f.Add("Management", "ec2.amazonaws.com", "RunInstances", uint8(0), "", "", "")
	f.Add("", "iam.amazonaws.com", "CreateUser", uint8(2), "", "", "")
	f.Add("Data", "s3.amazonaws.com", "GetObject", uint8(1), "AWS::S3::Object", "arn:aws:s3:::orders/k", "")
	f.Add("Data", "s3.amazonaws.com", "ListObjects", uint8(1), "AWS::S3::Object", "", "arn:aws:s3:::media-eu/")
	f.Add("Data", "lambda.amazonaws.com", "Invoke", uint8(0), "AWS::Lambda::Function", "arn:aws:lambda:us-east-1:111122223333:function:checkout", "")
	f.Add("NetworkActivity", "kms.amazonaws.com", "Decrypt", uint8(2), "", "", "")
	f.Add("Insight", "", "", uint8(2), "", "", "")

	type pair struct{ basic, advanced *selector.Matcher }
	var pairs []pair
	for _, p := range [][2]string{
		{basic(`"ReadWriteType": "WriteOnly", "ExcludeManagementEventSources": ["kms.amazonaws.com"]`),
			advanced(mgmt, fs("readOnly", "Equals", "false"), fs("eventSource", "NotEquals", "kms.amazonaws.com"))},
		{basic(`"IncludeManagementEvents": false, "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::orders/", "arn:aws:s3:::media-eu/"]}]`),
			advanced(data, s3Type, fs("resources.ARN", "StartsWith", "arn:aws:s3:::orders/", "arn:aws:s3:::media-eu/"))},
		{basic(`"ReadWriteType": "ReadOnly", "IncludeManagementEvents": false, "DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda:us-east-1:111122223333:function:checkout"]}]`),
			advanced(data, fs("resources.type", "Equals", "AWS::Lambda::Function"), fs("readOnly", "Equals", "true"),
				fs("resources.ARN", "Equals", "arn:aws:lambda:us-east-1:111122223333:function:checkout"))},
	} {
		pairs = append(pairs, pair{compile(f, p[0]), compile(f, p[1])})
	}
	f.Fuzz(func(t *testing.T, category, source, name string, readOnly uint8, resType, resARN, resPrefix string) {
		r := &event.Record{EventCategory: category, EventSource: source, EventName: name}
		switch readOnly % 3 {
		case 1:
			r.ReadOnly = event.Bool(true)
		case 2:
			r.ReadOnly = event.Bool(false)
		}
		if resType != "" || resARN != "" || resPrefix != "" {
			r.Resources = []event.Resource{{Type: resType, ARN: resARN, ARNPrefix: resPrefix}}
		}
		for i, p := range pairs {
			b, a := p.basic.Match(r), p.advanced.Match(r)
			if b != a {
				t.Fatalf("pair %d: basic %v, advanced %v\n%s\n%s", i, b, a, p.basic.Explain(r), p.advanced.Explain(r))
			}
			for _, m := range []*selector.Matcher{p.basic, p.advanced} {
				if ex := m.Explain(r); ex.Logged != b {
					t.Fatalf("pair %d: Explain disagrees with Match\n%s", i, ex)
				}
			}
		}
	})
}
