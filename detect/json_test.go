package detect

import "testing"

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
	for _, bad := range []string{`{"a":"x`, `{"a":`, `{"a"`, `{`, `[1,`, `"\"`, `{"a":{"b":"\\"}`} {
		member([]byte(bad), "a")
		element([]byte(bad), 1)
		if skip([]byte(bad), 0) != -1 && bad != `[1,` {
			t.Errorf("skip(%q) = %d, want -1", bad, skip([]byte(bad), 0))
		}
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
		d.setJSON([]byte(tc.text))
		if got := string(d.topLevel(tc.key)); got != tc.want {
			t.Errorf("%s: topLevel(%q) = %q, want %q", tc.text, tc.key, got, tc.want)
		}
	}
}
