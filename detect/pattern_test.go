package detect

import (
	"errors"
	"strings"
	"testing"
)

// The examples of CloudWatch Logs' "Filter and Pattern Syntax" guide
// (awsdocs/amazon-cloudwatch-logs-user-guide, FilterAndPatternSyntax.md)
// with the outcome the guide documents for each.
const awsExample = `{
  "eventType": "UpdateTrail",
  "sourceIPAddress": "111.111.111.111",
  "arrayKey": [
        "value",
        "another value"
  ],
  "objectList": [
       {
         "name": "a",
         "id": 1
       },
       {
         "name": "b",
         "id": 2
       }
  ],
  "SomeObject": null,
  "ThisFlag": true
}`

const awsCompound = `{
    "user": {
        "id": 1,
        "email": "John.Stiles@example.com"
    },
    "users": [
        {
         "id": 2,
         "email": "John.Doe@example.com"
        },
        {
         "id": 3,
         "email": "Jane.Doe@example.com"
        }
    ],
    "actions": [
        "GET",
        "PUT",
        "DELETE"
    ],
    "coordinates": [
        [0, 1, 2],
        [4, 5, 6],
        [7, 8, 9]
    ]
}`

func TestPatternAWSDocumentation(t *testing.T) {
	tests := []struct {
		event, pattern string
		want           bool
	}{
		// "The following filters would match"
		{awsExample, `{ $.eventType = "UpdateTrail" }`, true},
		{awsExample, `{ $.sourceIPAddress != 123.123.* }`, true},
		{awsExample, `{ $.arrayKey[0] = "value" }`, true},
		{awsExample, `{ $.objectList[1].id = 2 }`, true},
		{awsExample, `{ $.SomeObject IS NULL }`, true},
		{awsExample, `{ $.SomeOtherObject NOT EXISTS }`, true},
		{awsExample, `{ $.ThisFlag IS TRUE }`, true},
		// "If arrayKey is not an array this will be false", "If the items
		// in objectList ... do not have an id property, this will be false"
		{awsExample, `{ $.ThisFlag[0] = "value" }`, false},
		{awsExample, `{ $.objectList[1].number = 2 }`, false},
		// "This also works for boolean filters which check for FALSE value"
		{awsExample, `{ $.ThisFlag IS FALSE }`, false},
		// JSON compound conditions
		{awsCompound, `{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }`, true},
		{awsCompound, `{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }`, false},
		{awsCompound, `{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && $.actions[2] = nomatch }`, true},
		{awsCompound, `{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && $.actions[2] = nomatch }`, false},
		// "both {$.users = 1} and {$.users != 1} will fail to match a log
		// event where users is an array"
		{`{"users": [1, 2, 3]}`, `{$.users = 1}`, false},
		{`{"users": [1, 2, 3]}`, `{$.users != 1}`, false},
		// OR pattern matching in JSON filters
		{`{"foo": "bar"}`, `{$.foo = bar}`, true},
		{`{"foo": "baz"}`, `{$.foo = bar}`, false},
		{`{"foo": "baz"}`, `{$.foo = baz }`, true},
		{`{"foo": "bar"}`, `{$.foo = bar || $.foo = baz }`, true},
		{`{"foo": "baz"}`, `{$.foo = bar || $.foo = baz }`, true},
		// Wildcards: *Event matches PutEvent and GetEvent, Event* EventId
		// and EventName, Ev*ent only the string Ev*ent.
		{`{"e": "PutEvent"}`, `{ $.e = *Event }`, true},
		{`{"e": "GetEvent"}`, `{ $.e = *Event }`, true},
		{`{"e": "EventId"}`, `{ $.e = Event* }`, true},
		{`{"e": "EventName"}`, `{ $.e = Event* }`, true},
		{`{"e": "Evvent"}`, `{ $.e = "Ev*ent" }`, false},
		{`{"e": "Ev*ent"}`, `{ $.e = "Ev*ent" }`, true},
		// Numeric comparisons, one per documented example.
		{`{"latency": 500}`, `{ $.latency >= 500 }`, true},
		{`{"latency": 499}`, `{ $.latency >= 500 }`, false},
		{`{"numbers": [9999]}`, `{ $.numbers[0] < 10e3 }`, true},
		{`{"numbers": [10000]}`, `{ $.numbers[0] < 10e3 }`, false},
		{`{"numbers": [0.001]}`, `{ $.numbers[0] < 10e-3 }`, true},
		{`{"numbers": [0.01]}`, `{ $.numbers[0] < 10e-3 }`, false},
		{`{"processes": [{},{},{},{},{"averageRuntime": 55.5}]}`, `{ $.processes[4].averageRuntime <= 55.5 }`, true},
		{`{"processes": [{},{},{},{},{"averageRuntime": 55.6}]}`, `{ $.processes[4].averageRuntime <= 55.5 }`, false},
		{`{"errorCode": 400}`, `{ $.errorCode = 400 }`, true},
		{`{"errorCode": 404}`, `{ $.errorCode = 400 }`, false},
		{`{"errorCode": 400}`, `{ $.errorCode != 500 }`, true},
		{`{"errorCode": 500}`, `{ $.errorCode != 500 }`, false},
		{`{"latency": 1001}`, `{ $.latency > +1000 }`, true},
		{`{"latency": 1000}`, `{ $.latency > +1000 }`, false},
		// "{ $.latency = * }" counts every event with a latency.
		{`{"latency": 12}`, `{ $.latency = * }`, true},
		{`{"other": 12}`, `{ $.latency = * }`, false},
		// Case-sensitive, as CloudWatch is.
		{`{"eventType": "updatetrail"}`, `{ $.eventType = "UpdateTrail" }`, false},
		// Regular expressions (%...%) match anywhere in the value.
		{`{"m": "[ERROR 401] UNAUTHORIZED REQUEST"}`, `{ $.m = %AUTHORIZED% }`, true},
		{`{"m": "[SUCCESS 200] AUTHORIZED REQUEST"}`, `{ $.m = %AUTHORIZED% }`, true},
		{`{"m": "hat"}`, `{ $.m = %^[hc]at% }`, true},
		{`{"m": "that"}`, `{ $.m = %^[hc]at% }`, false},
		{`{"m": "colour"}`, `{ $.m = %colou?r% }`, true},
		{`{"cluster.name": "c"}`, `{ $.['cluster.name'] = "c" }`, true},
	}
	for _, tc := range tests {
		r, err := ParsePattern("t", tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		if got := r.MatchJSON([]byte(tc.event)); got != tc.want {
			t.Errorf("%s on %.40q: got %v, want %v", tc.pattern, tc.event, got, tc.want)
		}
	}
}

// The term form, with the guide's examples: the three events and the
// events each pattern matches.
func TestPatternTerms(t *testing.T) {
	events := []string{"ERROR WARN message", "ERROR message", "WARN message"}
	tests := []struct {
		pattern string
		want    []bool
	}{
		{`ERROR`, []bool{true, true, false}},
		{`?ERROR ?WARN`, []bool{true, true, true}},
		{`ERROR WARN`, []bool{true, false, false}},
		{`ERROR -WARN`, []bool{false, true, false}},
		{`""`, []bool{true, true, true}},
		{``, []bool{true, true, true}},
		{`"ERROR WARN"`, []bool{true, false, false}},
		{`%WARN m%`, []bool{true, false, true}},
		{`"Failed" -"Retry"`, []bool{false, false, false}},
	}
	for _, tc := range tests {
		r, err := ParsePattern("t", tc.pattern)
		if err != nil {
			t.Fatalf("%s: %v", tc.pattern, err)
		}
		for i, ev := range events {
			if got := r.MatchJSON([]byte(ev)); got != tc.want[i] {
				t.Errorf("%s on %q: got %v, want %v", tc.pattern, ev, got, tc.want[i])
			}
		}
	}
	r, err := ParsePattern("t", `"Failed" -"Retry"`)
	if err != nil {
		t.Fatal(err)
	}
	for ev, want := range map[string]bool{"Failed to connect": true, "Failed; Retry": false, "failed": false} {
		if got := r.MatchJSON([]byte(ev)); got != want {
			t.Errorf("%q: got %v, want %v", ev, got, want)
		}
	}
}

func TestPatternErrors(t *testing.T) {
	tests := []struct{ pattern, want string }{
		{`{ $.a = }`, "t:1:9: expected a value after ="},
		{`{ $.a }`, "t:1:7: expected an operator"},
		{`{ $.a = 1`, "t:1:10: expected '&&', '||' or the closing '}'"},
		{`{ $.a = 1 } x`, "t:1:13: unexpected text after the closing '}'"},
		{`{ a = 1 }`, "t:1:3: expected a selector starting with $"},
		{`{ $.a == 1 }`, "t:1:8: expected a value after ="},
		{`{ ($.a = 1 }`, "t:1:12: expected '&&', '||' or ')'"},
		{`{ $.a > b }`, "t:1:10: > needs a number"},
		{`{ $.a = "x }`, "t:1:13: unterminated quoted string"},
		{`{ $.a = %(x)% }`, "t:1:10: character '(' is not allowed"},
		{`{ $.a = %x% && $.b = %y% && $.c = %z% }`, "at most 2 regular expressions"},
		{`{ $.a[x] = 1 }`, "t:1:7: expected an array index"},
		{`{ $.a IS MAYBE }`, "expected an operator"},
		{`?a b`, "cannot also hold required"},
		{`[ip, user]`, "space-delimited patterns"},
	}
	for _, tc := range tests {
		_, err := ParsePattern("t", tc.pattern)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an *Error containing %q", tc.pattern, err, tc.want)
		}
	}
}
