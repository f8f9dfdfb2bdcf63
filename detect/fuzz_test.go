package detect

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParsePattern: any pattern compiles or is refused with an *Error,
// and a compiled one evaluates on any text without panicking, to the
// same outcome alone and in a Set (whose index and required-field
// pre-test only skip records the rule cannot match).
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
		alone, inSet := r.MatchJSON([]byte(record)), false
		NewSet(r).MatchJSON([]byte(record), func(JSONFinding) { inSet = true })
		if alone != inSet {
			t.Fatalf("%q on %q: rule alone %v, in a set %v", pattern, record, alone, inSet)
		}
	})
}

// FuzzParseSigma: any YAML compiles or is refused with an error, and a
// compiled rule evaluates on any text without panicking.
func FuzzParseSigma(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "sigma", "*.yml"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, `{"eventSource":"iam.amazonaws.com","eventName":"CreateAccessKey","userIdentity":{"arn":"x"}}`)
	}
	f.Fuzz(func(t *testing.T, yml []byte, record string) {
		rules, _ := ParseSigma("f.yml", yml)
		for _, r := range rules {
			r.MatchJSON([]byte(record))
		}
		NewSet(rules...).MatchJSON([]byte(record), func(JSONFinding) {})
	})
}
