package detect

import (
	"slices"
	"strings"
	"testing"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/jsonscan"
)

func TestSkipAndMember(t *testing.T) {
	doc := []byte(`{"a":"x\"y","b\\":"\\\\","c":{"d":["]",{"e":"}"}],"f":-1.5e3},"g\u0068":true,"h":null}`)
	for key, want := range map[string]string{
		"a": `"x\"y"`, `b\`: `"\\\\"`, "c": `{"d":["]",{"e":"}"}],"f":-1.5e3}`, "gh": "true", "h": "null", "x": "",
	} {
		if got := string(member(doc, key)); got != want {
			t.Errorf("member %q = %s, want %s", key, got, want)
		}
	}
	if got := string(element(member(member(doc, "c"), "d"), 1)); got != `{"e":"}"}` {
		t.Errorf("element = %s", got)
	}
	for _, bad := range []string{`{"a":"x`, `{"a":`, `{"a"`, `{`, `[1,`, `"\"`, `{"a":{"b":"\\"}`, `{"a":1}x`, `{"a":1 "b":2}`, "{\"a\":\x00}"} {
		if v := member([]byte(bad), "a"); v != nil {
			t.Errorf("member(%q) = %s, want nothing from malformed text", bad, v)
		}
		if v := element([]byte(bad), 1); v != nil {
			t.Errorf("element(%q) = %s, want nothing from malformed text", bad, v)
		}
	}
}

// TestMemberLastWins: a repeated key's last copy is its value, as for
// every reader of internal/jsonscan, in both the plain scan and the index
// kept for objects of 128 bytes and more.
func TestMemberLastWins(t *testing.T) {
	pad := `"pad":"` + strings.Repeat("x", 128) + `",`
	for _, text := range []string{`{"k":1,"k":2}`, `{` + pad + `"k":1,"k":2}`, `{"k":1,"k\u0000":3,"\u006b":2}`} {
		if got := string(member([]byte(text), "k")); got != "2" {
			t.Errorf("member(%s) = %s, want 2", text, got)
		}
		d := &doc{}
		d.setJSON([]byte(`{"o":`+text+`}`), nil, nil, nil)
		if got := d.lookup(&fieldPath{segs: []seg{{key: "o", index: -1}, {key: "k", index: -1}}}); len(got) != 1 || got[0].s != "2" {
			t.Errorf("lookup o.k in %s = %v, want 2", text, got)
		}
		d.setJSON([]byte(text), nil, nil, nil)
		if got := string(d.topLevel(newTopKey("k"))); got != "2" {
			t.Errorf("topLevel(k) of %s = %s, want 2", text, got)
		}
	}
}

// TestDepthLimit: nesting beyond jsonscan.MaxDepth is malformed for a rule
// as for every other reader, so a lookup through it finds nothing.
func TestDepthLimit(t *testing.T) {
	deep := func(n int) []byte {
		return []byte(`{"a":1,"d":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
	}
	if member(deep(jsonscan.MaxDepth-1), "a") == nil {
		t.Errorf("member at depth %d found nothing", jsonscan.MaxDepth)
	}
	if v := member(deep(jsonscan.MaxDepth), "a"); v != nil {
		t.Errorf("member beyond depth %d = %s, want nothing", jsonscan.MaxDepth, v)
	}
}

func TestTopLevelSpellings(t *testing.T) {
	for _, tc := range []struct{ text, key, want string }{
		{`{"a":{"errorCode":1},"b":2}`, "errorCode", ""},
		{`{"a":1,"errorCode":"X"}`, "errorCode", `"X"`},
		{`{"a":1,"error\u0043ode":"X"}`, "errorCode", `"X"`},
		{`{"a\/b":1}`, "a/b", "1"},
		{`{"q\"k":2}`, `q"k`, "2"},
		{`{"x":"errorCode","y":1}`, "errorCode", ""},
		{`{"x":"\"errorCode\"","errorCode":3}`, "errorCode", "3"},
	} {
		d := &doc{}
		d.setJSON([]byte(tc.text), nil, nil, nil)
		if got := string(d.topLevel(newTopKey(tc.key))); got != tc.want {
			t.Errorf("%s: topLevel(%q) = %q, want %q", tc.text, tc.key, got, tc.want)
		}
	}
}

// member looks key up in b as a rule does, in an index of its own.
func member(b []byte, key string) []byte { return new(doc).member(b, key) }

// TestTopLevelKeyNumberedLater: a key numbered after a record's members
// were read into the cache (a rule compiled while others evaluate) is
// still found, and a numbered key the record lacks is absent.
func TestTopLevelKeyNumberedLater(t *testing.T) {
	d := &doc{}
	d.setJSON([]byte(`{"eventName":"A","numberedLater":1,"eventName":"B"}`), nil, nil, nil)
	if got := string(d.topLevel(keyEventName)); got != `"B"` {
		t.Errorf("eventName = %s, want the last copy", got)
	}
	if got := d.topLevel(keyEventID); got != nil {
		t.Errorf("eventID = %s, want nothing", got)
	}
	if got := string(d.topLevel(newTopKey("numberedLater"))); got != "1" {
		t.Errorf("numberedLater = %q, want 1", got)
	}
}

// TestTopTableSharedHash finds each key of a table whose keys share a
// hash, and no key it does not hold.
func TestTopTableSharedHash(t *testing.T) {
	ids := map[string]int{"aXbXc": 1, "aYbYc": 2, "aZbZc": 3, "eventName": 4, "x": 5}
	if topHash("aXbXc") != topHash("aYbYc") || topHash("aYbYc") != topHash("aZbZc") {
		t.Fatal("the test's keys do not share a hash")
	}
	tab := newTopTable(ids)
	for name, id := range ids {
		if got := tab.find(name); got != id {
			t.Errorf("find(%q) = %d, want %d", name, got, id)
		}
	}
	for _, name := range []string{"", "aWbWc", "aXbXd", "eventname", "eventNam", "y"} {
		if got := tab.find(name); got != 0 {
			t.Errorf("find(%q) = %d, want 0", name, got)
		}
	}
}

// TestTypedPathValues: a typed field's value, kept for the rest of a
// record once read from its JSON, is the value of that record and of that
// path's form: a later record reads its own, a CloudWatch path does not
// cross the array a Sigma path fans out over, and a key holding a dot is
// not the nested typed field.
func TestTypedPathValues(t *testing.T) {
	pattern := func(p string) *Rule {
		t.Helper()
		r, err := ParsePattern("p", p)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	root := pattern(`{ $.userIdentity.type = "Root" }`)
	dotted := pattern(`{ $['userIdentity.sessionContext'].sessionIssuer.type = "Role" }`)
	fanout := rootRule(t) // a Sigma path: fans out over arrays
	set := NewSet(root, pattern(`{ $.userIdentity.type = "IAMUser" }`), dotted, fanout)
	for _, tc := range []struct {
		record string
		want   []*Rule
	}{
		{`{"userIdentity":{"type":"Root"}}`, []*Rule{root, fanout}},
		{`{"userIdentity":{"type":"AssumedRole"}}`, nil},
		{`{"userIdentity":[{"type":"Root"}]}`, []*Rule{fanout}},
		{`{"userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":{"type":"Role"}}}}`, nil},
		{`{"userIdentity.sessionContext":{"sessionIssuer":{"type":"Role"}}}`, []*Rule{dotted}},
	} {
		var got []*Rule
		set.MatchJSON([]byte(tc.record), func(f JSONFinding) { got = append(got, f.Rule) })
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: findings %v, want %v", tc.record, got, tc.want)
		}
	}
	// The same on a decoded record, whose typed fields answer.
	rec := &event.Record{UserIdentity: &event.UserIdentity{Type: "AssumedRole", SessionContext: &event.SessionContext{
		SessionIssuer: &event.SessionIssuer{Type: "Role"}}}}
	set.Match(rec, func(r *Rule) { t.Errorf("decoded record: finding %v", r) })
}
