package detect

import (
	"bytes"
	"testing"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
)

// allRules is every kept SigmaHQ rule and the CIS set.
func allRules(tb testing.TB) *Set {
	tb.Helper()
	rules, err := LoadSigma("testdata/sigma")
	if err != nil {
		tb.Fatal(err)
	}
	return NewSet(append(rules, CIS()...)...)
}

// quiet is a record no kept rule matches: an IAM user's read call.
func quiet() *event.Record {
	r := event.New("ec2.amazonaws.com", "DescribeInstances")
	r.UserIdentity = &event.UserIdentity{Type: "IAMUser", PrincipalID: "AIDAEXAMPLE", ARN: "arn:aws:iam::123456789012:user/alice",
		AccountID: "123456789012", AccessKeyID: "AKIAEXAMPLE", UserName: "alice"}
	r.AWSRegion, r.SourceIPAddress, r.UserAgent = "us-east-1", "198.51.100.7", "aws-cli/2.15.0"
	r.RecipientAccountID = "123456789012"
	return r
}

func TestQuietRecordMatchesNothing(t *testing.T) {
	set := allRules(t)
	rec := quiet()
	set.Match(rec, func(r *Rule) { t.Errorf("rule %s (%s) matches the quiet record", r.ID, r.Title) })
	if n := testing.AllocsPerRun(100, func() { set.Match(rec, func(*Rule) {}) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// BenchmarkSetMatch is the cost a live trail pays per record that matches
// nothing, with every kept Sigma rule and the CIS set.
func BenchmarkSetMatch(b *testing.B) {
	set := allRules(b)
	rec := quiet()
	n := 0
	b.ReportAllocs()
	cpuPerOp(b, func() { set.Match(rec, func(*Rule) { n++ }) })
	if n != 0 {
		b.Fatal("findings on the quiet record")
	}
}

// BenchmarkScan compares reading a log file of synthetic records with an
// event.Scanner ("scan", what trailkit cat --count does once the file is
// decompressed) with reading them and evaluating every kept Sigma rule and
// the CIS set on each ("scan+rules"), in CPU time per record.
func BenchmarkScan(b *testing.B) {
	set := allRules(b)
	g := synth.New(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	// A log file, as trails deliver them: the Scanner locates each
	// record's members while validating it.
	text := []byte(`{"Records":[`)
	const n = 2000
	for i := range n {
		if i > 0 {
			text = append(text, ',')
		}
		text = g.Record().AppendJSON(text)
	}
	text = append(text, "]}"...)
	for _, rules := range []bool{false, true} {
		name := "scan"
		if rules {
			name = "scan+rules"
		}
		b.Run(name, func(b *testing.B) {
			findings := 0
			cpuPerOp(b, func() {
				sc := event.NewScanner(bytes.NewReader(text))
				for sc.Scan() {
					if rules {
						set.MatchScanned(sc.Bytes(), sc.Members(), func(JSONFinding) { findings++ })
					}
				}
				if err := sc.Err(); err != nil {
					b.Fatal(err)
				}
				sc.Close()
			})
			b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(b.N*n), "ns/record")
		})
	}
}
