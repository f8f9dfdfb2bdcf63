package selector_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
)

// benchSelectors is a trail with 5 advanced selectors holding 30 values in
// all: write management events without KMS and RDS Data, objects of four
// buckets but not the log bucket, five Lambda functions, DynamoDB writes
// except by the backup role, and KMS calls denied by a VPC endpoint.
const benchSelectors = `{"AdvancedEventSelectors": [
 {"Name": "Write management", "FieldSelectors": [
  {"Field": "eventCategory", "Equals": ["Management"]},
  {"Field": "readOnly", "Equals": ["false"]},
  {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com", "rdsdata.amazonaws.com"]}]},
 {"Name": "S3 objects", "FieldSelectors": [
  {"Field": "eventCategory", "Equals": ["Data"]},
  {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
  {"Field": "eventName", "NotEquals": ["HeadObject", "GetObjectAcl"]},
  {"Field": "resources.ARN",
   "StartsWith": ["arn:aws:s3:::orders/", "arn:aws:s3:::invoices/", "arn:aws:s3:::media-eu/", "arn:aws:s3:::exports/"],
   "NotStartsWith": ["arn:aws:s3:::trail-logs/"]}]},
 {"Name": "Functions", "FieldSelectors": [
  {"Field": "eventCategory", "Equals": ["Data"]},
  {"Field": "resources.type", "Equals": ["AWS::Lambda::Function"]},
  {"Field": "resources.ARN", "Equals": [
   "arn:aws:lambda:us-east-1:111122223333:function:checkout",
   "arn:aws:lambda:us-east-1:111122223333:function:resize",
   "arn:aws:lambda:us-east-1:111122223333:function:notify",
   "arn:aws:lambda:us-east-1:111122223333:function:billing",
   "arn:aws:lambda:us-east-1:111122223333:function:search"]}]},
 {"Name": "Table writes", "FieldSelectors": [
  {"Field": "eventCategory", "Equals": ["Data"]},
  {"Field": "resources.type", "Equals": ["AWS::DynamoDB::Table"]},
  {"Field": "eventName", "Equals": ["PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem"]},
  {"Field": "userIdentity.arn", "NotStartsWith": ["arn:aws:sts::111122223333:assumed-role/backup"]}]},
 {"Name": "KMS denied by endpoint", "FieldSelectors": [
  {"Field": "eventCategory", "Equals": ["NetworkActivity"]},
  {"Field": "eventSource", "Equals": ["kms.amazonaws.com"]},
  {"Field": "errorCode", "Equals": ["VpceAccessDenied"]}]}
]}`

// recordMix generates n records in the proportions a busy account's trail
// sees: mostly management events (a fifth of them KMS), a third data events
// on S3, Lambda and DynamoDB, a few network activity events, the odd
// Insights event and legacy records without eventCategory.
func recordMix(n int) []*event.Record {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(list ...string) string { return list[rng.IntN(len(list))] }
	user := func() *event.UserIdentity {
		return &event.UserIdentity{Type: "AssumedRole", ARN: pick(
			"arn:aws:sts::111122223333:assumed-role/app/i-0abc",
			"arn:aws:sts::111122223333:assumed-role/backup/job",
			"arn:aws:iam::111122223333:user/Mary_Major")}
	}
	records := make([]*event.Record, n)
	for i := range records {
		r := &event.Record{EventVersion: "1.10", EventTime: time.Date(2025, 3, 4, 10, 0, i%60, 0, time.UTC),
			AWSRegion: "us-east-1", UserIdentity: user(), EventType: event.TypeAPICall}
		switch p := rng.IntN(100); {
		case p < 45: // management
			r.EventCategory, r.ManagementEvent = event.CategoryManagement, event.Bool(true)
			r.EventSource = pick("ec2.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com", "s3.amazonaws.com", "kms.amazonaws.com", "rdsdata.amazonaws.com")
			r.EventName = pick("DescribeInstances", "AssumeRole", "CreateUser", "Decrypt", "PutBucketPolicy", "ExecuteStatement")
			r.ReadOnly = event.Bool(rng.IntN(3) > 0)
		case p < 55: // legacy management record, no eventCategory
			r.EventVersion, r.ManagementEvent = "1.05", nil
			r.EventSource, r.EventName, r.ReadOnly = "ec2.amazonaws.com", "RunInstances", event.Bool(false)
		case p < 75: // S3 objects
			bucket := pick("orders", "invoices", "media-eu", "exports", "trail-logs", "scratch")
			r.EventCategory, r.ManagementEvent = event.CategoryData, event.Bool(false)
			r.EventSource, r.EventName = "s3.amazonaws.com", pick("GetObject", "PutObject", "HeadObject", "DeleteObject", "GetObjectAcl")
			r.ReadOnly = event.Bool(r.EventName != "PutObject" && r.EventName != "DeleteObject")
			r.Resources = []event.Resource{
				{Type: "AWS::S3::Object", ARN: fmt.Sprintf("arn:aws:s3:::%s/2025/03/04/part-%05d.parquet", bucket, i)},
				{Type: "AWS::S3::Bucket", ARN: "arn:aws:s3:::" + bucket, AccountID: "111122223333"}}
		case p < 85: // Lambda
			r.EventCategory, r.ManagementEvent = event.CategoryData, event.Bool(false)
			r.EventSource, r.EventName, r.ReadOnly = "lambda.amazonaws.com", "Invoke", event.Bool(false)
			r.Resources = []event.Resource{{Type: "AWS::Lambda::Function",
				ARN: "arn:aws:lambda:us-east-1:111122223333:function:" + pick("checkout", "resize", "notify", "billing", "search", "cron", "etl")}}
		case p < 95: // DynamoDB, sometimes with a stream
			r.EventCategory, r.ManagementEvent = event.CategoryData, event.Bool(false)
			r.EventSource, r.EventName = "dynamodb.amazonaws.com", pick("GetItem", "PutItem", "Query", "UpdateItem", "DeleteItem")
			r.ReadOnly = event.Bool(r.EventName == "GetItem" || r.EventName == "Query")
			table := "arn:aws:dynamodb:us-east-1:111122223333:table/" + pick("Orders", "Sessions")
			r.Resources = []event.Resource{{Type: "AWS::DynamoDB::Table", ARN: table}}
			if rng.IntN(2) == 0 {
				r.Resources = append([]event.Resource{{Type: "AWS::DynamoDB::Stream", ARN: table + "/stream/2025-01-01T00:00:00.000"}}, r.Resources...)
			}
		case p < 99: // network activity
			r.EventCategory, r.EventType = event.CategoryNetwork, event.TypeVPCEndpoint
			r.EventSource, r.EventName = pick("kms.amazonaws.com", "ec2.amazonaws.com", "secretsmanager.amazonaws.com"), pick("Decrypt", "ListKeys", "DescribeInstances")
			r.VPCEndpointID = "vpce-0a1b2c3d4e5f60789"
			if rng.IntN(4) == 0 {
				r.ErrorCode = "VpceAccessDenied"
			}
		default: // Insights
			r.EventCategory, r.EventType, r.UserIdentity = event.CategoryInsight, event.TypeInsight, nil
			r.InsightDetails = &event.InsightDetails{State: "Start", EventSource: "ec2.amazonaws.com", EventName: "RunInstances", InsightType: "ApiCallRateInsight"}
		}
		records[i] = r
	}
	return records
}

func benchMatcher(tb testing.TB, config string) *selector.Matcher {
	tb.Helper()
	cfg, err := selector.ParseConfig([]byte(config))
	require.NoError(tb, err)
	m, err := selector.Compile(cfg, selector.Options{})
	require.NoError(tb, err)
	return m
}

// floorSink keeps the floor loop from being optimised away.
var floorSink int

// floor is the least a matcher must do per record: classify it and look at
// one field. Match's cost is reported as a multiple of it.
func floor(records []*event.Record, n int) {
	s, j := 0, 0
	for range n {
		r := records[j]
		if r.Category() == event.CategoryManagement && r.EventName != "" {
			s++
		}
		if j++; j == len(records) {
			j = 0
		}
	}
	floorSink += s
}

// BenchmarkMatch measures Match per record. The main cases cycle through 256
// varied records, which stay in the CPU caches: in a pipeline Match sees the
// record that was just decoded, whose fields are in cache. The cold case
// cycles through 16384 records and so mostly measures memory latency, as a
// matcher run over records decoded long before would.
func BenchmarkMatch(b *testing.B) {
	hot, cold := recordMix(256), recordMix(16384)
	for _, bc := range []struct {
		name, config string
		records      []*event.Record
	}{
		{"advanced-5-selectors-30-values", benchSelectors, hot},
		{"advanced-5-selectors-30-values-cold", benchSelectors, cold},
		{"default", `{}`, hot},
		{"basic-s3-and-lambda", `{"EventSelectors": [{"ReadWriteType": "WriteOnly", "ExcludeManagementEventSources": ["kms.amazonaws.com"],
			"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::orders/", "arn:aws:s3:::invoices/2025"]},
			{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda:us-east-1:111122223333:function:checkout"]}]}]}`, hot},
	} {
		m := benchMatcher(b, bc.config)
		records := bc.records
		b.Run(bc.name, func(b *testing.B) {
			logged, j := 0, 0
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if m.Match(records[j]) {
					logged++
				}
				if j++; j == len(records) {
					j = 0
				}
			}
			b.StopTimer()
			matchNs := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
			start := time.Now()
			floor(records, b.N)
			floorNs := float64(time.Since(start).Nanoseconds()) / float64(b.N)
			b.ReportMetric(matchNs/max(floorNs, 0.01), "x-floor")
			b.ReportMetric(float64(logged)/float64(b.N), "logged/record")
		})
	}
}

func BenchmarkFloor(b *testing.B) {
	records := recordMix(256)
	b.ResetTimer()
	floor(records, b.N)
}

func BenchmarkExplain(b *testing.B) {
	records := recordMix(256)
	m := benchMatcher(b, benchSelectors)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		_ = m.Explain(records[i&255])
	}
}

// TestMatchDoesNotAllocate holds Match to its promise of zero allocations on
// the benchmark's record mix.
func TestMatchDoesNotAllocate(t *testing.T) {
	records := recordMix(512)
	for _, config := range []string{benchSelectors, `{}`, `{"EventSelectors": [{"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}],
		"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}]}`} {
		m := benchMatcher(t, config)
		i := 0
		allocs := testing.AllocsPerRun(2000, func() {
			m.Match(records[i%len(records)])
			m.InsightsCount(selector.APICallRateInsight, records[i%len(records)])
			i++
		})
		assert.Zero(t, allocs, config)
	}
}

// TestRecordMixIsMixed guards the benchmark against a mix that the
// selectors mostly reject early: a fair share of records must be logged and
// every category present.
func TestRecordMixIsMixed(t *testing.T) {
	records := recordMix(256)
	m := benchMatcher(t, benchSelectors)
	logged := 0
	categories := map[string]int{}
	for _, r := range records {
		categories[r.Category()]++
		if m.Match(r) {
			logged++
		}
	}
	assert.Greater(t, logged, len(records)/5)
	assert.Less(t, logged, len(records)*4/5)
	for _, c := range []string{"Management", "Data", "NetworkActivity", "Insight"} {
		assert.NotZero(t, categories[c], c)
	}
}
