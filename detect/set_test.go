package detect

import "testing"

func TestFoldHash(t *testing.T) {
	for _, pair := range [][2]string{
		{"DescribeInstances", "describeinstances"},
		{"EC2.AMAZONAWS.COM", "ec2.amazonaws.com"},
		{"A", "a"}, {"", ""}, {"@[`{", "@[`{"},
	} {
		if foldHash(pair[0]) != foldHash(pair[1]) {
			t.Errorf("foldHash(%q) != foldHash(%q)", pair[0], pair[1])
		}
	}
	for _, pair := range [][2]string{{"@", "`"}, {"[", "{"}, {"ab", "ab\x00"}, {"CreateRoute", "CreateRoutes"}, {"DescribeInstances", "DescribeInstancez"}} {
		if foldHash(pair[0]) == foldHash(pair[1]) {
			t.Errorf("foldHash(%q) == foldHash(%q)", pair[0], pair[1])
		}
	}
}

// TestSetFieldIndex: a rule indexed under a field other than eventName
// and eventSource (userIdentity.type) is found by a Set wherever the rule
// alone matches: through arrays, in a list, in any case; and not where
// the field has no indexed value.
func TestSetFieldIndex(t *testing.T) {
	r := rootRule(t)
	set := NewSet(r)
	if len(set.always) != 0 || len(set.byField) != 1 || set.byField[0].path.text != "userIdentity.type" {
		t.Fatalf("not indexed under userIdentity.type: always %v, fields %d", set.always, len(set.byField))
	}
	for _, tc := range []struct {
		rec  string
		want bool
	}{
		{`{"userIdentity":{"type":"Root"}}`, true},
		{`{"userIdentity":{"type":"ROOT"}}`, true},
		{`{"userIdentity":[{"type":"IAMUser"},{"type":"Root"}]}`, true},
		{`{"userIdentity":{"type":["IAMUser","Root"]}}`, true},
		{`{"userIdentity":{"type":"Root","type":"IAMUser"}}`, false},
		{`{"userIdentity":{"type":"IAMUser"}}`, false},
		{`{"userIdentity":{"type":null}}`, false},
		{`{}`, false},
	} {
		got := false
		set.MatchJSON([]byte(tc.rec), func(JSONFinding) { got = true })
		if alone := r.MatchJSON([]byte(tc.rec)); got != tc.want || alone != tc.want {
			t.Errorf("%s: set %v, rule alone %v, want %v", tc.rec, got, alone, tc.want)
		}
	}
}

// TestSetFoldsAsRulesDo: case-insensitive matching folds a character
// outside ASCII to its lower case but never into ASCII, so a rule alone
// and the same rule in a Set (whose index folds ASCII values byte by
// byte) agree on every record: the Kelvin sign (U+212A) and the dotted
// capital I (U+0130) are not k and i.
func TestSetFoldsAsRulesDo(t *testing.T) {
	for _, cond := range []string{"name", "name or agent"} {
		rs, err := ParseSigma("fold.yml", []byte(`title: fold
id: fold
logsource: {product: aws, service: cloudtrail}
detection:
  name:
    eventName: DisableKey
  agent:
    userAgent|contains: 'ÄrgerIch'
  condition: `+cond+`
`))
		if err != nil || len(rs) != 1 {
			t.Fatal(rs, err)
		}
		r := rs[0]
		set := NewSet(r)
		agent := cond != "name"
		for _, tc := range []struct {
			rec  string
			want bool
		}{
			{`{"eventName":"DisableKey"}`, true},
			{`{"eventName":"DISABLEKEY"}`, true},
			{`{"eventName":"Disable\u212Aey"}`, false},
			{`{"eventName":"D\u0130sableKey"}`, false},
			{`{"userAgent":"x ärgerich y"}`, agent},
			{`{"userAgent":"x ÄRGERICH y"}`, agent},
			{`{"userAgent":"x ärger\u0130ch y"}`, false},
			{`{"userAgent":"x argerich y"}`, false},
		} {
			got := false
			set.MatchJSON([]byte(tc.rec), func(JSONFinding) { got = true })
			if alone := r.MatchJSON([]byte(tc.rec)); got != tc.want || alone != tc.want {
				t.Errorf("%s: %s: set %v, rule alone %v, want %v", cond, tc.rec, got, alone, tc.want)
			}
		}
	}
}

// rootRule is a Sigma rule for records of the root user.
func rootRule(t *testing.T) *Rule {
	t.Helper()
	rs, err := ParseSigma("root.yml", []byte(`title: root
id: root
logsource: {product: aws, service: cloudtrail}
detection:
  selection:
    userIdentity.type: Root
  condition: selection
`))
	if err != nil || len(rs) != 1 {
		t.Fatal(rs, err)
	}
	return rs[0]
}
