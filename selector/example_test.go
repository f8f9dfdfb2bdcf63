package selector_test

import (
	"errors"
	"fmt"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
)

// A trail that logs write management events and the objects of one bucket,
// configured with what get-event-selectors printed.
func ExampleCompile() {
	cfg, err := selector.ParseConfig([]byte(`{
	  "TrailARN": "arn:aws:cloudtrail:us-east-1:111122223333:trail/main",
	  "AdvancedEventSelectors": [
	    {"Name": "Write management events",
	     "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
	                        {"Field": "readOnly", "Equals": ["false"]}]},
	    {"Name": "Orders bucket",
	     "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]},
	                        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
	                        {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::orders/"]}]}]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	m, err := selector.Compile(cfg, selector.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	createUser := &event.Record{EventCategory: "Management", EventSource: "iam.amazonaws.com",
		EventName: "CreateUser", ReadOnly: event.Bool(false)}
	listUsers := &event.Record{EventCategory: "Management", EventSource: "iam.amazonaws.com",
		EventName: "ListUsers", ReadOnly: event.Bool(true)}
	getObject := &event.Record{EventCategory: "Data", EventSource: "s3.amazonaws.com",
		EventName: "GetObject", ReadOnly: event.Bool(true),
		Resources: []event.Resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::orders/2025/a.csv"}}}
	for _, r := range []*event.Record{createUser, listUsers, getObject} {
		fmt.Println(r.EventName, m.Match(r))
	}
	// Output:
	// CreateUser true
	// ListUsers false
	// GetObject true
}

// Without configured selectors a trail logs all management events and
// nothing else.
func ExampleDefault() {
	m := selector.Default()
	fmt.Println(m.Match(&event.Record{EventCategory: "Management", EventName: "DescribeInstances", ReadOnly: event.Bool(true)}))
	fmt.Println(m.Match(&event.Record{EventCategory: "Data", EventName: "GetObject",
		Resources: []event.Resource{{Type: "AWS::S3::Object", ARN: "arn:aws:s3:::b/k"}}}))
	// Output:
	// true
	// false
}

// Explain says why a record is not in the trail.
func ExampleMatcher_Explain() {
	cfg, _ := selector.ParseConfig([]byte(`{"EventSelectors": [{"ReadWriteType": "WriteOnly",
	  "ExcludeManagementEventSources": ["kms.amazonaws.com"],
	  "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::orders/"]}]}]}`))
	m, _ := selector.Compile(cfg, selector.Options{})
	fmt.Print(m.Explain(&event.Record{EventCategory: "Management", EventSource: "kms.amazonaws.com",
		EventName: "ScheduleKeyDeletion", ReadOnly: event.Bool(false)}))
	// Output:
	// Management event: not logged
	//    EventSelectors[0]: no match (ExcludeManagementEventSources): management events of kms.amazonaws.com are excluded
}

// A configuration CloudTrail would refuse gives an *Error with CloudTrail's
// exception name and message.
func ExampleError() {
	cfg, err := selector.ParseConfig([]byte(`{"EventSelectors": [{"DataResources": [
	  {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::my-bucket"]}]}]}`))
	if err == nil {
		_, err = selector.Compile(cfg, selector.Options{})
	}
	var se *selector.Error
	if errors.As(err, &se) {
		fmt.Println(se.Exception)
		fmt.Println(se.Message)
		fmt.Println(se.Path)
	}
	fmt.Println(errors.Is(err, selector.ErrInvalidEventSelectors))
	// Output:
	// InvalidEventSelectorsException
	// Value arn:aws:s3:::my-bucket for DataResources.Values is invalid.
	// EventSelectors[0].DataResources[0].Values[0]
	// true
}

// A resource type CloudTrail added after this release of trailkit is
// accepted once it is added to the catalog.
func ExampleDefaultCatalog() {
	cfg, _ := selector.ParseConfig([]byte(`{"AdvancedEventSelectors": [{"FieldSelectors": [
	  {"Field": "eventCategory", "Equals": ["Data"]},
	  {"Field": "resources.type", "Equals": ["AWS::Example::Widget"]}]}]}`))

	_, err := selector.Compile(cfg, selector.Options{})
	fmt.Println(errors.Is(err, selector.ErrInvalidEventSelectors))

	catalog := selector.DefaultCatalog()
	catalog.ResourceTypes = append(catalog.ResourceTypes, "AWS::Example::Widget")
	_, err = selector.Compile(cfg, selector.Options{Catalog: &catalog})
	fmt.Println(err)
	// Output:
	// true
	// <nil>
}

// The Insights detector asks which records its analysis counts.
func ExampleMatcher_InsightsCount() {
	cfg, _ := selector.ParseConfig([]byte(`{"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}]}`))
	m, _ := selector.Compile(cfg, selector.Options{})
	write := &event.Record{EventCategory: "Management", EventName: "RunInstances", ReadOnly: event.Bool(false)}
	read := &event.Record{EventCategory: "Management", EventName: "DescribeInstances", ReadOnly: event.Bool(true)}
	fmt.Println(m.InsightsCount(selector.APICallRateInsight, write))
	fmt.Println(m.InsightsCount(selector.APICallRateInsight, read))
	fmt.Println(m.InsightsCount(selector.APIErrorRateInsight, write))
	// Output:
	// true
	// false
	// false
}
