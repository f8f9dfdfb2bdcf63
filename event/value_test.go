package event_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
)

const params = `{"bucketName":"logs","key":"a\/b\u00e9","size":9007199254740993,"ratio":-1.5e-7,"versioned":true,
"policy":"{\"Version\":\"2012-10-17\"}","tags":[{"k":"team","v":"db"},{"k":"env","v":"prod"}],"none":null,"x":1,"x":2}`

func TestGet(t *testing.T) {
	raw := json.RawMessage(params)
	tests := []struct {
		path []string
		kind event.Kind
		raw  string
	}{
		{[]string{"bucketName"}, event.String, `"logs"`},
		{[]string{"size"}, event.Number, `9007199254740993`},
		{[]string{"versioned"}, event.Boolean, `true`},
		{[]string{"none"}, event.Null, `null`},
		{[]string{"tags", "1", "v"}, event.String, `"prod"`},
		{[]string{"tags"}, event.Array, `[{"k":"team","v":"db"},{"k":"env","v":"prod"}]`},
		{[]string{"x"}, event.Number, `2`}, // the last copy of a key wins
		{nil, event.Object, params},
		{[]string{"missing"}, event.Missing, ``},
		{[]string{"tags", "2"}, event.Missing, ``},
		{[]string{"tags", "-1"}, event.Missing, ``},
		{[]string{"tags", "k"}, event.Missing, ``},
		{[]string{"bucketName", "x"}, event.Missing, ``},
	}
	for _, tt := range tests {
		v := event.Get(raw, tt.path...)
		assert.Equal(t, tt.kind, v.Kind(), "%v", tt.path)
		assert.Equal(t, tt.raw, string(v.Raw()), "%v", tt.path)
		assert.Equal(t, tt.kind != event.Missing, v.Exists(), "%v", tt.path)
	}
}

func TestValueReaders(t *testing.T) {
	raw := json.RawMessage(params)
	s, ok := event.Get(raw, "key").Text()
	assert.True(t, ok)
	assert.Equal(t, "a/bé", s, "escapes decoded")
	_, ok = event.Get(raw, "size").Text()
	assert.False(t, ok, "a number is no text")

	n, ok := event.Get(raw, "size").Number()
	assert.True(t, ok)
	assert.Equal(t, json.Number("9007199254740993"), n)
	i, ok := event.Get(raw, "size").Int()
	assert.True(t, ok)
	assert.Equal(t, int64(9007199254740993), i, "exact, unlike float64")
	f, ok := event.Get(raw, "ratio").Float()
	assert.True(t, ok)
	assert.InDelta(t, -1.5e-7, f, 1e-20)
	_, ok = event.Get(raw, "ratio").Int()
	assert.False(t, ok)

	b, ok := event.Get(raw, "versioned").Bool()
	assert.True(t, b && ok)
	_, ok = event.Get(raw, "none").Bool()
	assert.False(t, ok)

	policy, ok := event.Get(raw, "policy").Text()
	require.True(t, ok)
	version, _ := event.Get(json.RawMessage(policy), "Version").Text()
	assert.Equal(t, "2012-10-17", version, "a JSON document inside a string")

	var keys []string
	for k := range event.Get(raw).Members() {
		keys = append(keys, k)
	}
	assert.Equal(t, []string{"bucketName", "key", "size", "ratio", "versioned", "policy", "tags", "none", "x", "x"}, keys)
	var tags []string
	for el := range event.Get(raw, "tags").Elements() {
		v, _ := el.Get("v").Text()
		tags = append(tags, v)
	}
	assert.Equal(t, []string{"db", "prod"}, tags)

	var tag struct{ K, V string }
	require.NoError(t, event.Get(raw, "tags", "0").Decode(&tag))
	assert.Equal(t, "team", tag.K)
	assert.Error(t, event.Get(raw, "nope").Decode(&tag))
}

func TestGetOnBadInputIsMissing(t *testing.T) {
	for _, raw := range []string{``, `{`, `{"a":`, `[1,`, `{"a" 1}`, "{\"a\":\"\xff\"}", `nul`} {
		v := event.Get(json.RawMessage(raw), "a")
		assert.False(t, v.Exists(), "%q", raw)
		_, ok := v.Text()
		assert.False(t, ok)
	}
}

func TestGetDoesNotAllocate(t *testing.T) {
	raw := json.RawMessage(params)
	allocs := testing.AllocsPerRun(100, func() {
		if !event.Get(raw, "tags", "1", "v").Exists() {
			t.Fatal("missing")
		}
	})
	assert.Zero(t, allocs)
}

func TestVersion(t *testing.T) {
	for v, want := range map[string][3]any{
		"1.0": {1, 0, true}, "1.09": {1, 9, true}, "1.10": {1, 10, true}, "1.11": {1, 11, true},
		"": {0, 0, false}, "1": {0, 0, false}, "1.x": {0, 0, false}, ".1": {0, 0, false},
	} {
		r := event.Record{EventVersion: v}
		ma, mi, ok := r.Version()
		assert.Equal(t, want, [3]any{ma, mi, ok}, v)
	}
}

func TestSessionAttributeReaders(t *testing.T) {
	tests := []struct {
		in           string
		mfa, mfaOK   bool
		created      string
		createdKnown bool
	}{
		{`{"mfaAuthenticated":"true","creationDate":"2020-01-10T14:38:30Z"}`, true, true, "2020-01-10T14:38:30Z", true},
		{`{"mfaAuthenticated":"false","creationDate":"20131102T010628Z"}`, false, true, "2013-11-02T01:06:28Z", true},
		{`{"mfaAuthenticated":true}`, true, true, "", false},
		{`{"mfaAuthenticated":"maybe","creationDate":"yesterday"}`, false, false, "", false},
		{`{}`, false, false, "", false},
	}
	for _, tt := range tests {
		r := decode(t, `{"userIdentity":{"sessionContext":{"attributes":`+tt.in+`}}}`)
		a := r.UserIdentity.SessionContext.Attributes
		mfa, ok := a.MFA()
		assert.Equal(t, [2]bool{tt.mfa, tt.mfaOK}, [2]bool{mfa, ok}, tt.in)
		c, ok := a.Created()
		assert.Equal(t, tt.createdKnown, ok, tt.in)
		if ok {
			assert.Equal(t, tt.created, c.Format(event.TimeLayout))
		}
	}
	var none *event.SessionAttributes
	_, ok := none.MFA()
	assert.False(t, ok, "nil-safe")
}
