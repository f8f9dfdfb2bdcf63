package event_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
)

func TestStringsAreEscapedAsJSONRequires(t *testing.T) {
	tests := []struct {
		in, out string
	}{
		{`say "hi"`, `"say \"hi\""`},
		{`C:\dir`, `"C:\\dir"`},
		{"tab\tnew\nline\rcr\bb\ff", `"tab\tnew\nline\rcr\bb\ff"`},
		{"\x00\x1f", `"\u0000\u001f"`},
		{"<a&b> ☁ 日本語 😀", `"<a&b> ☁ 日本語 😀"`}, // as CloudTrail writes them
		{"bad \xff byte", `"bad \ufffd byte"`},
		{"\u2028", "\"\u2028\""},
	}
	for _, tt := range tests {
		r := event.Record{EventName: tt.in}
		out := r.AppendJSON(nil)
		require.True(t, json.Valid(out), "%q", out)
		assert.Equal(t, `{"eventName":`+tt.out+`}`, string(out))
	}
}

func TestEscapesAreDecoded(t *testing.T) {
	tests := []struct{ in, want string }{
		{`"\ud83d\ude00"`, "😀"},
		{`"\u00e9\/\"\\"`, `é/"\`},
		{`"\ud800"`, "\ufffd"}, // a lone surrogate, as encoding/json reads it
		{`"\ud800\u0041"`, "\ufffdA"},
		{`"\b\f\n\r\t"`, "\b\f\n\r\t"},
	}
	for _, tt := range tests {
		r := decode(t, `{"eventName":`+tt.in+`}`)
		assert.Equal(t, tt.want, r.EventName, tt.in)
		var std struct{ EventName string }
		require.NoError(t, json.Unmarshal([]byte(`{"eventName":`+tt.in+`}`), &std))
		assert.Equal(t, std.EventName, r.EventName, "as encoding/json decodes %s", tt.in)
	}
}

func TestRecordWorksWithEncodingJSON(t *testing.T) {
	lines := corpusLines(t, "records.jsonl")[:20]
	file := `{"Records":[` + string(joinLines(lines)) + `]}`
	var doc struct{ Records []event.Record }
	require.NoError(t, json.Unmarshal([]byte(file), &doc))
	require.Len(t, doc.Records, len(lines))
	for i, r := range doc.Records {
		out, err := json.Marshal(&r)
		require.NoError(t, err)
		assert.Equal(t, tokens(t, lines[i]), tokens(t, out))
	}
	var r event.Record
	assert.Error(t, json.Unmarshal([]byte(`{"eventName":5,}`), &r))
}

func joinLines(lines [][]byte) []byte {
	var out []byte
	for i, l := range lines {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, l...)
	}
	return out
}

func TestDelete(t *testing.T) {
	r := decode(t, `{"x":1,"eventName":"A","y":2,"eventSource":"s","x":3,"userIdentity":{"type":"Root"}}`)
	r.Delete("x")
	assert.Equal(t, `{"eventName":"A","y":2,"eventSource":"s","userIdentity":{"type":"Root"}}`, string(r.AppendJSON(nil)))
	r.Delete("eventSource")
	r.Delete("userIdentity")
	assert.Equal(t, `{"eventName":"A","y":2}`, string(r.AppendJSON(nil)))
	r.Delete("nothing")
	assert.Equal(t, `{"eventName":"A","y":2}`, string(r.AppendJSON(nil)))

	e := decode(t, `{"errorCode":"","eventName":"B"}`)
	e.Delete("errorCode")
	assert.Equal(t, `{"eventName":"B"}`, string(e.AppendJSON(nil)), "an empty string read is deleted too")

	built := &event.Record{EventName: "C", EventTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	built.Delete("eventTime")
	assert.Equal(t, `{"eventName":"C"}`, string(built.AppendJSON(nil)))
}

func TestCategory(t *testing.T) {
	tests := []struct {
		r    event.Record
		want string
	}{
		{event.Record{EventCategory: "Data"}, event.CategoryData},
		{event.Record{EventType: event.TypeInsight}, event.CategoryInsight},
		{event.Record{EventType: event.TypeVPCEndpoint}, event.CategoryNetwork},
		{event.Record{EventType: event.TypeAPICall, ManagementEvent: event.Bool(false)}, event.CategoryData},
		{event.Record{EventType: event.TypeAPICall, ManagementEvent: event.Bool(true)}, event.CategoryManagement},
		{event.Record{EventVersion: "1.05"}, event.CategoryManagement},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.r.Category(), "%+v", tt.r)
	}
}

func TestTypeVarianceInNestedObjects(t *testing.T) {
	// A member of an unexpected type deep inside: kept where it was, and the
	// typed members around it still decoded.
	in := `{"userIdentity":{"type":"AssumedRole","sessionContext":{"sessionIssuer":"none","attributes":{"creationDate":5,"mfaAuthenticated":"true"}},"onBehalfOf":[]},` +
		`"tlsDetails":{"tlsVersion":1.3,"keyExchange":"x25519"},"addendum":{"reason":null},"insightDetails":{"insightContext":{"attributions":[{"attribute":"userAgent","insight":{}}]}},` +
		`"edgeDeviceDetails":{"deviceId":7,"type":"outposts"},"eventContext":"none"}`
	r := decode(t, in)
	assert.Equal(t, tokens(t, []byte(in)), tokens(t, r.AppendJSON(nil)))
	assert.Equal(t, "AssumedRole", r.UserIdentity.Type)
	assert.Nil(t, r.UserIdentity.SessionContext.SessionIssuer)
	assert.Equal(t, "true", r.UserIdentity.SessionContext.Attributes.MFAAuthenticated)
	assert.Nil(t, r.UserIdentity.OnBehalfOf)
	assert.Equal(t, "x25519", r.TLSDetails.KeyExchange)
	assert.Empty(t, r.TLSDetails.TLSVersion)
	assert.Equal(t, "userAgent", r.InsightDetails.InsightContext.Attributions[0].Attribute)
	assert.Equal(t, "outposts", r.EdgeDeviceDetails.Type)
	assert.Nil(t, r.EventContext)
}
