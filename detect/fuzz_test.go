package detect

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/trailkit/trailkit/event"
)

// sameAloneAndInSet fails t unless each rule matches record alone as it
// does in a Set of them all, on its JSON text and, when the text decodes
// as a record, on the decoded record (a live trail's path, whose Set
// chooses the rules to try from the typed fields alone).
func sameAloneAndInSet(t *testing.T, rules []*Rule, record string) {
	t.Helper()
	set := NewSet(rules...)
	inSet := map[*Rule]bool{}
	set.MatchJSON([]byte(record), func(f JSONFinding) { inSet[f.Rule] = true })
	for _, r := range rules {
		if alone := r.MatchJSON([]byte(record)); alone != inSet[r] {
			t.Fatalf("rule %q on %q: alone %v, in a set %v", r.ID, record, alone, inSet[r])
		}
	}
	var rec event.Record
	if event.Unmarshal([]byte(record), &rec) != nil {
		return
	}
	clear(inSet)
	set.Match(&rec, func(r *Rule) { inSet[r] = true })
	for _, r := range rules {
		if alone := r.Match(&rec); alone != inSet[r] {
			t.Fatalf("rule %q on decoded %q: alone %v, in a set %v", r.ID, record, alone, inSet[r])
		}
	}
}

// FuzzParsePattern: any pattern compiles or is refused with an *Error,
// and a compiled one evaluates on any text without panicking, to the
// same outcome alone and in a Set (whose index and required-field
// pre-test only skip records the rule cannot match), on the text and on
// the record decoded from it.
func FuzzParsePattern(f *testing.F) {
	for _, c := range cisControls {
		f.Add(c.pattern, `{"eventName":"CreateRoute","errorCode":"AccessDenied"}`)
	}
	f.Add(cisControls[0].pattern, `{"eventName":"GetObject","errorCode":"AccessDenied","sourceIPAddress":"198.51.100.7"}`)
	f.Add(`{ $.a[0].b = %x+% || $.c IS NULL }`, awsCompound)
	f.Add(`?ERROR -"x y" %a{2}%`, "ERROR aa")
	f.Fuzz(func(t *testing.T, pattern, record string) {
		r, err := ParsePattern("f", pattern)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("%q: error %T %v is not an *Error", pattern, err, err)
			}
			return
		}
		sameAloneAndInSet(t, []*Rule{r}, record)
	})
}

// FuzzParseSigma: any YAML compiles or is refused with an error, and a
// compiled rule evaluates on any text without panicking, to the same
// outcome alone and in a Set, on the text and on the decoded record.
func FuzzParseSigma(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "sigma", "*.yml"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, `{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","userIdentity":{"arn":"x"}}`)
		f.Add(b, `{"eventVersion":"1.09","eventTime":"2026-01-02T03:04:05Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances",`+
			`"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0abc",`+
			`"sessionContext":{"sessionIssuer":{"type":"Role","userName":"r"}}},"userAgent":"TruffleHog","sourceIPAddress":"198.51.100.7"}`)
	}
	f.Fuzz(func(t *testing.T, yml []byte, record string) {
		rules, _ := ParseSigma("f.yml", yml)
		sameAloneAndInSet(t, rules, record)
	})
}
