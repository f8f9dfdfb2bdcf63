package selector_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/selector"
)

// corpusRecords decodes the corpus of real CloudTrail records
// (internal/testdata), odd ones included.
func corpusRecords(t *testing.T) []*event.Record {
	t.Helper()
	var records []*event.Record
	for _, name := range []string{"records.jsonl", "records-nonconforming.jsonl"} {
		for _, line := range testdata.Lines(t, name) {
			r := new(event.Record)
			require.NoError(t, event.Unmarshal(line, r), "%s record %d", name, len(records))
			records = append(records, r)
		}
	}
	require.Greater(t, len(records), 3000)
	return records
}

// TestCorpusDefault: a trail without selectors logs exactly the management
// records of the corpus.
func TestCorpusDefault(t *testing.T) {
	m := selector.Default()
	counts := map[string]int{}
	for i, r := range corpusRecords(t) {
		category := r.Category()
		counts[category]++
		assert.Equal(t, category == "Management", m.Match(r), "record %d (%s %s, category %s)", i, r.EventSource, r.EventName, category)
	}
	for _, c := range []string{"Management", "Data", "Insight", "NetworkActivity"} {
		assert.NotZero(t, counts[c], "the corpus has %s records", c)
	}
}

// TestCorpusBasicEqualsAdvanced evaluates pairs of configurations that say
// the same thing in basic and in advanced selectors over the corpus and the
// generated mix: the two code paths must agree on every record.
func TestCorpusBasicEqualsAdvanced(t *testing.T) {
	records := append(corpusRecords(t), recordMix(4096)...)
	pairs := []struct{ name, basic, advanced string }{
		{"write management without KMS",
			basic(`"ReadWriteType": "WriteOnly", "ExcludeManagementEventSources": ["kms.amazonaws.com"]`),
			advanced(mgmt, fs("readOnly", "Equals", "false"), fs("eventSource", "NotEquals", "kms.amazonaws.com"))},
		{"read management",
			basic(`"ReadWriteType": "ReadOnly"`),
			advanced(mgmt, fs("readOnly", "Equals", "true"))},
		{"all S3 objects, no management",
			basic(`"IncludeManagementEvents": false, "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]`),
			advanced(data, s3Type)},
		{"two buckets",
			basic(`"IncludeManagementEvents": false, "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::orders/", "arn:aws:s3:::media-eu/"]}]`),
			advanced(data, s3Type, fs("resources.ARN", "StartsWith", "arn:aws:s3:::orders/", "arn:aws:s3:::media-eu/"))},
		{"one function, written",
			basic(`"ReadWriteType": "WriteOnly", "IncludeManagementEvents": false, "DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda:us-east-1:111122223333:function:checkout"]}]`),
			advanced(data, fs("resources.type", "Equals", "AWS::Lambda::Function"), fs("readOnly", "Equals", "false"),
				fs("resources.ARN", "Equals", "arn:aws:lambda:us-east-1:111122223333:function:checkout"))},
	}
	for _, p := range pairs {
		t.Run(p.name, func(t *testing.T) {
			b, a := compile(t, p.basic), compile(t, p.advanced)
			logged := 0
			for i, r := range records {
				want := b.Match(r)
				if want {
					logged++
				}
				require.Equal(t, want, a.Match(r), "record %d (%s %s):\nbasic: %s\nadvanced: %s", i, r.EventSource, r.EventName, b.Explain(r), a.Explain(r))
			}
			assert.NotZero(t, logged, "the pair logs some records")
			assert.Less(t, logged, len(records), "and drops others")
		})
	}
}

// TestCorpusExplain runs Explain over every corpus record: it must agree
// with Match and never fail on the odd records.
func TestCorpusExplain(t *testing.T) {
	records := corpusRecords(t)
	for _, config := range []string{benchSelectors, `{"EventSelectors": [{"ReadWriteType": "WriteOnly", "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}]}`} {
		m := compile(t, config)
		for i, r := range records {
			ex := m.Explain(r)
			require.Equal(t, m.Match(r), ex.Logged, "record %d:\n%s", i, ex)
			require.NotEmpty(t, ex.String())
		}
	}
}
