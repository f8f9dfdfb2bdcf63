package schema_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trailkit/trailkit/schema"
)

// FuzzValidateRecord checks that ValidateRecord (and Validate) never panics and always
// answers in one of its three ways: nil, a *ValidationError whose every
// violation has a pointer into the document (or to a missing member) and a
// message, or ErrInvalidJSON exactly when the input is not one JSON value in
// UTF-8.
//
//	go test -run '^$' -fuzz FuzzValidateRecord -fuzztime 30s ./schema
func FuzzValidateRecord(f *testing.F) {
	f.Add([]byte(fullRecord))
	f.Add([]byte(insightRecord))
	f.Add([]byte(`{"eventVersion":"1.08","eventTime":"2024-02-30T00:00:00Z","resources":"","userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":true}}}}`))
	f.Add([]byte(`{"eventVersion":1,"readOnly":"x","resources":[{"ARN":1},"x"],"a~b/c":{}}`))
	f.Add([]byte(`[{"Records":[]}]`))
	f.Add([]byte(`{"Records":[{"eventVersion":"1.08","requestParameters":[1,{"a":2}]},1,"x",[],{"eventTime":7}],"x":{}}`))
	f.Add([]byte(`{"Records":{"a":1},"requestParameters":{"b":[]}}`))
	f.Add([]byte(`{"digestS3Object":"k","logFiles":[{"hashValue":"AB"}],"previousDigestSignature":null}`))
	f.Add([]byte("{\"x\":\"\xff\"}"))
	f.Add([]byte(`{"eventVersion":"1.08","eventTime":"2025-01-01T00:00:00Z"} {}`))
	recs := lines(f, "records.jsonl")
	for i := 0; i < len(recs); i += 97 {
		f.Add(recs[i])
	}
	for _, r := range lines(f, "records-nonconforming.jsonl")[:20] {
		f.Add(r)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		wellFormed := utf8.Valid(data) && json.Valid(data)
		if _, err := schema.Validate(data); errors.Is(err, schema.ErrInvalidJSON) == wellFormed {
			t.Fatalf("Validate: well-formed %v, error %v", wellFormed, err)
		}
		err := schema.ValidateRecord(data)
		if errors.Is(err, schema.ErrInvalidJSON) {
			if wellFormed {
				t.Fatalf("valid JSON reported as invalid: %v", err)
			}
			return
		}
		if !wellFormed {
			t.Fatalf("invalid JSON not reported as such: %v", err)
		}
		if err == nil {
			return
		}
		var ve *schema.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("unexpected error type %T: %v", err, err)
		}
		if len(ve.Violations) == 0 {
			t.Fatal("a ValidationError without violations")
		}
		for _, v := range ve.Violations {
			if v.Message == "" || v.Keyword == "" {
				t.Fatalf("incomplete violation %+v", v)
			}
			if v.Pointer != "" && !strings.HasPrefix(v.Pointer, "/") {
				t.Fatalf("not a JSON pointer: %q", v.Pointer)
			}
		}
		if ve.Error() == "" {
			t.Fatal("empty error text")
		}
	})
}
