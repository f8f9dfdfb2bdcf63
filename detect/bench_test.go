package detect

import (
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

// BenchmarkSetMatchJSON is the cost per synthetic record over stored logs.
func BenchmarkSetMatchJSON(b *testing.B) {
	set := allRules(b)
	g := synth.New(1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	recs := make([][]byte, 1000)
	for i := range recs {
		recs[i] = g.Record().AppendJSON(nil)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		set.MatchJSON(recs[i%len(recs)], func(*Rule) {})
		i++
	}
}
