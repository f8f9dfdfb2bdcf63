package redact_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/event/redact"
	"github.com/trailkit/trailkit/internal/jsonscan"
)

const H = `"HIDDEN_DUE_TO_SECURITY_REASONS"`

func TestJSON(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
		in    string
		want  string
	}{
		{"top-level string", []string{"password"},
			`{"user":"alice","password":"hunter2"}`, `{"user":"alice","password":` + H + `}`},
		{"nested", []string{"credentials.secretAccessKey"},
			`{"credentials":{"accessKeyId":"AKIA","secretAccessKey":"s3cr3t","expiration":1}}`,
			`{"credentials":{"accessKeyId":"AKIA","secretAccessKey":` + H + `,"expiration":1}}`},
		{"whole object", []string{"credentials"},
			`{"credentials":{"a":[1,2,{"b":null}]},"x":true}`, `{"credentials":` + H + `,"x":true}`},
		{"number and null are hidden too", []string{"pin", "n"},
			`{"pin":1234,"n":null}`, `{"pin":` + H + `,"n":` + H + `}`},
		{"arrays are looked through", []string{"users.password"},
			`{"users":[{"name":"a","password":"1"},{"name":"b"},{"password":{"x":2}}]}`,
			`{"users":[{"name":"a","password":` + H + `},{"name":"b"},{"password":` + H + `}]}`},
		{"nested arrays", []string{"m.k"},
			`{"m":[[{"k":1}],[[{"k":2,"j":3}]]]}`, `{"m":[[{"k":` + H + `}],[[{"k":` + H + `,"j":3}]]]}`},
		{"wildcard member", []string{"secrets.*.value"},
			`{"secrets":{"db":{"value":"x","id":1},"api":{"value":"y"}}}`,
			`{"secrets":{"db":{"value":` + H + `,"id":1},"api":{"value":` + H + `}}}`},
		{"wildcard merged with a named path", []string{"a.*.c", "a.b.d"},
			`{"a":{"b":{"c":1,"d":2,"e":3},"z":{"c":4,"d":5}}}`,
			`{"a":{"b":{"c":` + H + `,"d":` + H + `,"e":3},"z":{"c":` + H + `,"d":5}}}`},
		{"escaped member name", []string{"pass\"word"},
			`{"pass\"word":"x","pass\u0041":"y"}`, `{"pass\"word":` + H + `,"pass\u0041":"y"}`},
		{"unicode escape decoded for matching", []string{"passA"},
			`{"pass\u0041":"y"}`, `{"pass\u0041":` + H + `}`},
		{"no match keeps everything, numbers as written", []string{"nope"},
			`{"big":9007199254740993,"f":1.50,"e":-1e-7,"s":"a\nb","u":"日本語😀","dup":1,"dup":2}`,
			`{"big":9007199254740993,"f":1.50,"e":-1e-7,"s":"a\nb","u":"日本語😀","dup":1,"dup":2}`},
		{"both copies of a duplicate key", []string{"dup"},
			`{"dup":1,"dup":2}`, `{"dup":` + H + `,"dup":` + H + `}`},
		{"whitespace is compacted", []string{"p"},
			"{ \"a\" : [ 1 , { \"b\" : \" x y \" } ] ,\n\t\"p\" : { \"q\" : 1 } }",
			`{"a":[1,{"b":" x y "}],"p":` + H + `}`},
		{"path into a scalar does nothing", []string{"a.b"},
			`{"a":"string"}`, `{"a":"string"}`},
		{"top-level array of objects", []string{"token"},
			`[{"token":"t"},{"other":1}]`, `[{"token":` + H + `},{"other":1}]`},
		{"empty containers", []string{"a.b"},
			`{"a":{},"b":[],"c":{"d":[]}}`, `{"a":{},"b":[],"c":{"d":[]}}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			x, err := redact.New(tc.paths...)
			require.NoError(t, err)
			got, err := x.JSON([]byte(tc.in))
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			assert.True(t, json.Valid(got), "output must be valid JSON")
		})
	}
}

func TestJSONInvalidInput(t *testing.T) {
	x := redact.MustNew("a")
	for _, in := range []string{``, `{`, `{"a":}`, `{"a":1,}`, `{"a" 1}`, `[1 2]`, `"unterminated`, `{"a":tru}`, `{"a":1}x`, "{\"a\":\"\x01\"}"} {
		_, err := x.JSON([]byte(in))
		assert.Error(t, err, "input %q", in)
	}
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	_, err := x.JSON([]byte(deep))
	assert.Error(t, err, "nested deeper than encoding/json accepts")
	_, err = x.JSON([]byte(`{"a":1-2}`))
	assert.Error(t, err, "a bad number")
}

func TestNewRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"", ".a", "a.", "a..b"} {
		_, err := redact.New(p)
		assert.ErrorIs(t, err, redact.ErrPath, "path %q", p)
	}
}

func testRecord() *event.Record {
	return &event.Record{
		EventVersion: "1.11",
		EventTime:    time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC),
		EventSource:  "iam.example.com",
		EventName:    "CreateAccessKey",
		AWSRegion:    "eu-west-1",
		UserIdentity: &event.UserIdentity{
			Type: "IAMUser", UserName: "alice", AccountID: "111122223333", AccessKeyID: "AKIAEXAMPLE",
		},
		RequestParameters: json.RawMessage(`{"userName":"bob","password":"hunter2"}`),
		ResponseElements:  json.RawMessage(`{"accessKey":{"accessKeyId":"AKIANEW","secretAccessKey":"wJalr","status":"Active"}}`),
		EventID:           "e1",
	}
}

func TestRecordFreeFormPaths(t *testing.T) {
	x := redact.MustNew("requestParameters.password", "responseElements.accessKey.secretAccessKey")
	rec := testRecord()
	before := string(rec.AppendJSON(nil))
	require.NoError(t, x.Record(rec))
	got := string(rec.AppendJSON(nil))
	want := strings.NewReplacer(`"hunter2"`, H, `"wJalr"`, H).Replace(before)
	assert.Equal(t, want, got)
}

func TestRecordTypedPaths(t *testing.T) {
	x := redact.MustNew("userIdentity.accessKeyId", "requestParameters.password", "sourceIPAddress", "custom.token")
	rec := testRecord()
	rec.SourceIPAddress = "198.51.100.7"
	rec.Extra = []event.Field{{Key: "custom", Value: json.RawMessage(`{"token":"abc","n":1}`)}}
	before := string(rec.AppendJSON(nil))
	require.NoError(t, x.Record(rec))
	got := string(rec.AppendJSON(nil))
	want := strings.NewReplacer(`"AKIAEXAMPLE"`, H, `"hunter2"`, H, `"198.51.100.7"`, H, `"abc"`, H).Replace(before)
	assert.Equal(t, want, got)
	// The typed model sees the hidden values where they belong.
	assert.Equal(t, redact.Hidden, rec.UserIdentity.AccessKeyID)
	assert.Equal(t, redact.Hidden, rec.SourceIPAddress)
	assert.Equal(t, "alice", rec.UserIdentity.UserName)
}

func TestRecordFailsClosed(t *testing.T) {
	tests := []struct {
		name  string
		paths []string
	}{
		{"free-form only", []string{"requestParameters.password"}},
		{"whole record", []string{"userIdentity.userName", "requestParameters.password"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := testRecord()
			rec.RequestParameters = json.RawMessage(`{"password":"hunter2"`) // cut short
			err := redact.MustNew(tc.paths...).Record(rec)
			require.Error(t, err)
			assert.ErrorContains(t, err, "requestParameters")
			assert.Equal(t, H, string(rec.RequestParameters))
			assert.NotContains(t, string(rec.AppendJSON(nil)), "hunter2")
			assert.True(t, json.Valid(rec.AppendJSON(nil)))
		})
	}
}

func TestRecordInvalidExtraFailsClosed(t *testing.T) {
	rec := testRecord()
	rec.Extra = []event.Field{{Key: "custom", Value: json.RawMessage(`{"token":"abc"`)}}
	err := redact.MustNew("custom.token").Record(rec)
	require.Error(t, err)
	assert.ErrorContains(t, err, "custom")
	out := rec.AppendJSON(nil)
	assert.True(t, json.Valid(out))
	assert.NotContains(t, string(out), "abc")
}

func TestRecordWholeFieldAndWildcard(t *testing.T) {
	rec := testRecord()
	require.NoError(t, redact.MustNew("responseElements").Record(rec))
	assert.Equal(t, H, string(rec.ResponseElements))

	rec = testRecord()
	require.NoError(t, redact.MustNew("*.password").Record(rec))
	assert.JSONEq(t, `{"userName":"bob","password":`+H+`}`, string(rec.RequestParameters))
}

// Records read from the corpus keep every byte when no path matches, and
// stay valid JSON when one does.
func TestRecordCorpus(t *testing.T) {
	f := openCorpus(t, "records.jsonl")
	sc := event.NewScanner(f)
	none := redact.MustNew("requestParameters.noSuchMember", "userIdentity.noSuchMember")
	some := redact.MustNew("requestParameters.*", "userIdentity.accessKeyId", "responseElements.credentials")
	n := 0
	for sc.Scan() {
		raw := append([]byte(nil), sc.Bytes()...)
		var rec event.Record
		require.NoError(t, event.Unmarshal(raw, &rec))
		require.NoError(t, none.Record(&rec), "record %d", n)
		assert.Equal(t, string(raw), string(rec.AppendJSON(nil)), "record %d", n)
		require.NoError(t, some.Record(&rec), "record %d", n)
		out := rec.AppendJSON(nil)
		require.True(t, json.Valid(out), "record %d", n)
		if rec.UserIdentity != nil && rec.UserIdentity.AccessKeyID != "" {
			assert.Equal(t, redact.Hidden, rec.UserIdentity.AccessKeyID)
		}
		n++
	}
	require.NoError(t, sc.Err())
	require.Greater(t, n, 3000)
}

func FuzzJSON(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":{"b":[1,{"a":2}]},"c":"\u0061"}`, `[{"x":{"a":null}}]`, `"s"`, `1e5`, `{"a" : [ ] }`} {
		f.Add([]byte(s))
	}
	x := redact.MustNew("a", "x.a", "*.b")
	none := redact.MustNew("zz")
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := x.JSON(in)
		if !json.Valid(in) || !utf8.Valid(in) {
			return // encoding/json lets invalid UTF-8 through; trailkit does not
		}
		if err != nil {
			if errors.Is(err, jsonscan.ErrTooDeep) {
				return // one nesting limit, lower than encoding/json's
			}
			t.Fatalf("valid input %q: %v", in, err)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid output %q for %q", out, in)
		}
		same, err := none.JSON(in)
		if err != nil {
			t.Fatal(err)
		}
		var want bytes.Buffer
		if err := json.Compact(&want, in); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(same, want.Bytes()) {
			t.Fatalf("no-op rewrite changed %q to %q", in, same)
		}
	})
}

func TestJSONDeepSelectionFailsClosed(t *testing.T) {
	// One nesting limit everywhere (jsonscan.MaxDepth): a value nested
	// deeper is an error, and a record's field holding one is hidden whole.
	in := `{"a":` + strings.Repeat("[", 600) + `{"b":1,"c":2}` + strings.Repeat("]", 600) + `}`
	_, err := redact.MustNew("a.b").JSON([]byte(in))
	require.ErrorIs(t, err, jsonscan.ErrTooDeep)
	rec := testRecord()
	rec.RequestParameters = json.RawMessage(in)
	err = redact.MustNew("requestParameters.a.b").Record(rec)
	require.ErrorIs(t, err, jsonscan.ErrTooDeep)
	assert.Equal(t, H, string(rec.RequestParameters))
}

func TestRecordInPlaceStrings(t *testing.T) {
	shared := &event.UserIdentity{Type: "IAMUser", UserName: "alice", AccessKeyID: "AKIAEXAMPLE"}
	rec := testRecord()
	rec.UserIdentity = shared
	rec.SourceIPAddress = "198.51.100.7"
	x := redact.MustNew("userIdentity.accessKeyId", "sourceIPAddress", "userAgent")
	require.NoError(t, x.Record(rec))
	assert.Equal(t, redact.Hidden, rec.UserIdentity.AccessKeyID)
	assert.Equal(t, redact.Hidden, rec.SourceIPAddress)
	assert.Empty(t, rec.UserAgent, "an absent value stays absent")
	assert.Equal(t, "AKIAEXAMPLE", shared.AccessKeyID, "a shared identity is not changed")
	assert.Equal(t, "alice", rec.UserIdentity.UserName)
}

func TestRecordDuplicateKeys(t *testing.T) {
	// A member twice: the second copy is kept in Extra, and hidden too.
	in := `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","accessKeyId":"AKIA1","accessKeyId":"AKIA2"},"eventTime":"2024-01-01T00:00:00Z","sourceIPAddress":"1.1.1.1","sourceIPAddress":"2.2.2.2"}`
	var rec event.Record
	require.NoError(t, event.Unmarshal([]byte(in), &rec))
	require.NoError(t, redact.MustNew("userIdentity.accessKeyId", "sourceIPAddress").Record(&rec))
	out := string(rec.AppendJSON(nil))
	for _, leak := range []string{"AKIA1", "AKIA2", "1.1.1.1", "2.2.2.2"} {
		assert.NotContains(t, out, leak)
	}
	assert.Equal(t, strings.Count(in, "accessKeyId"), strings.Count(out, "accessKeyId"), "both members kept, hidden")
}

func TestRecordEscapedNamesAreFound(t *testing.T) {
	x := redact.MustNew("requestParameters.password")
	for _, params := range []string{
		`{"pass\u0077ord":"hunter2"}`,
		`{"a":{"b":"\"password\""},"password":"hunter2"}`,
		`{"password":["hunter2",{"x":"hunter2"}]}`,
	} {
		rec := testRecord()
		rec.RequestParameters = json.RawMessage(params)
		require.NoError(t, x.Record(rec))
		assert.NotContains(t, string(rec.RequestParameters), "hunter2", params)
	}
	// Without the name anywhere, the field is left as it is (not even
	// compacted).
	rec := testRecord()
	rec.RequestParameters = json.RawMessage(`{ "user" : "bob" }`)
	require.NoError(t, x.Record(rec))
	assert.Equal(t, `{ "user" : "bob" }`, string(rec.RequestParameters))
}
