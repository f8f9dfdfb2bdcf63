package schema_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/schema"
)

// fullRecord has every field the record schema types, nested objects
// included, each with a value of the right type. The wrong-type table breaks
// one field at a time.
const fullRecord = `{
  "eventVersion": "1.11",
  "userIdentity": {
    "type": "AssumedRole",
    "principalId": "AROAEXAMPLE:alice",
    "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
    "accountId": "111122223333",
    "accessKeyId": "ASIAEXAMPLE",
    "userName": "alice",
    "invokedBy": "ec2.amazonaws.com",
    "identityProvider": "accounts.google.com",
    "credentialId": "EXAMPLEcredential",
    "sessionContext": {
      "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLE", "arn": "arn:aws:iam::111122223333:role/Admin", "accountId": "111122223333", "userName": "Admin"},
      "webIdFederationData": {"federatedProvider": "accounts.google.com", "attributes": {"accounts.google.com:aud": "app"}},
      "attributes": {"creationDate": "2025-06-01T10:00:00Z", "mfaAuthenticated": "true"},
      "sourceIdentity": "alice@example.com",
      "ec2RoleDelivery": "2.0",
      "assumedRoot": "true",
      "signInSessionArn": "arn:aws:signin:us-east-1:111122223333:session/abc"
    },
    "onBehalfOf": {"userId": "u-1", "identityStoreArn": "arn:aws:identitystore::111122223333:identitystore/d-1"},
    "inScopeOf": {"sourceArn": "arn:aws:ec2:us-east-1:111122223333:instance/i-1", "sourceAccount": "111122223333", "issuerType": "AWS::EC2::Instance", "credentialsIssuedTo": "arn:aws:iam::111122223333:role/Admin"},
    "invokedByDelegate": {"accountId": "444455556666"}
  },
  "eventTime": "2025-06-01T10:15:00Z",
  "eventSource": "secretsmanager.amazonaws.com",
  "eventName": "GetSecretValue",
  "awsRegion": "us-east-1",
  "sourceIPAddress": "198.51.100.7",
  "userAgent": "aws-cli/2.17",
  "errorCode": "AccessDenied",
  "errorMessage": "no",
  "requestParameters": {"secretId": "s", "big": 9007199254740993},
  "responseElements": null,
  "additionalEventData": {"bytesTransferredIn": 12},
  "requestID": "req-1",
  "eventID": "8a0c2a2e-1111-2222-3333-444455556666",
  "readOnly": true,
  "resources": [{"ARN": "arn:aws:secretsmanager:us-east-1:111122223333:secret:s", "accountId": "111122223333", "type": "AWS::SecretsManager::Secret", "ARNPrefix": "arn:aws:secretsmanager"}],
  "eventType": "AwsApiCall",
  "apiVersion": "2017-10-17",
  "managementEvent": true,
  "recipientAccountId": "111122223333",
  "serviceEventDetails": {"x": 1},
  "sharedEventID": "9b0c2a2e-1111-2222-3333-444455556666",
  "vpcEndpointId": "vpce-1",
  "vpcEndpointAccountId": "111122223333",
  "eventCategory": "Management",
  "addendum": {"reason": "UPDATED_DATA", "updatedFields": "tlsDetails", "originalRequestID": "req-0", "originalEventID": "7a0c"},
  "sessionCredentialFromConsole": "true",
  "edgeDeviceDetails": {"type": "outposts", "deviceId": "op-1", "deviceFamily": "Outposts", "snowJobId": "JID1", "attributes": {"a": "b"}},
  "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": "secretsmanager.us-east-1.amazonaws.com", "keyExchange": "X25519MLKEM768"},
  "eventContext": {"requestContext": {"aws:MultiFactorAuthPresent": "true"}, "tagContext": {"resourceTags": []}},
  "annotation": "note"
}`

// insightRecord is an Insights event with every insightDetails member.
const insightRecord = `{
  "eventVersion": "1.08",
  "eventTime": "2025-06-01T10:00:00Z",
  "awsRegion": "us-east-1",
  "eventID": "e1",
  "eventType": "AwsCloudTrailInsight",
  "recipientAccountId": "111122223333",
  "sharedEventID": "s1",
  "insightDetails": {
    "state": "Start",
    "eventSource": "ec2.amazonaws.com",
    "eventName": "RunInstances",
    "insightType": "ApiErrorRateInsight",
    "errorCode": "Throttling",
    "insightContext": {
      "statistics": {"baseline": {"average": 9.48587e-05}, "insight": {"average": 2}, "insightDuration": 1, "baselineDuration": 10080},
      "attributions": [{
        "attribute": "userAgent",
        "insight": [{"value": "aws-cli", "average": 1.5}],
        "baseline": [{"value": "aws-cli", "average": 0.0000882145}],
        "insightValue": "aws-cli", "insightAverage": 1.5, "baselineValue": "aws-cli", "baselineAverage": 0.1
      }]
    }
  },
  "eventCategory": "Insight"
}`

// lines returns the lines of a JSON Lines corpus file.
func lines(t testing.TB, name string) [][]byte {
	t.Helper()
	return testdata.Lines(t, name)
}

// withValue returns doc (JSON) with the value at ptr replaced by value (JSON),
// or the member removed when value is "".
func withValue(t *testing.T, doc, ptr, value string) []byte {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var root any
	require.NoError(t, dec.Decode(&root))
	toks := strings.Split(ptr[1:], "/")
	parent := root
	for _, tok := range toks[:len(toks)-1] {
		switch p := parent.(type) {
		case map[string]any:
			parent = p[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			require.NoError(t, err)
			parent = p[i]
		default:
			t.Fatalf("%s: %s is not a container", ptr, tok)
		}
	}
	last := toks[len(toks)-1]
	var v any
	if value != "" {
		dec := json.NewDecoder(strings.NewReader(value))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&v), value)
	}
	switch p := parent.(type) {
	case map[string]any:
		if value == "" {
			delete(p, last)
		} else {
			p[last] = v
		}
	case []any:
		i, err := strconv.Atoi(last)
		require.NoError(t, err)
		p[i] = v
	default:
		t.Fatalf("%s: parent is not a container", ptr)
	}
	out, err := json.Marshal(root)
	require.NoError(t, err)
	return out
}

// violations returns err's violations, failing if err is not a
// *schema.ValidationError.
func violations(t *testing.T, err error) []schema.Violation {
	t.Helper()
	var ve *schema.ValidationError
	require.ErrorAs(t, err, &ve)
	require.NotEmpty(t, ve.Violations)
	return ve.Violations
}

func pointers(vs []schema.Violation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Pointer
	}
	return out
}

func TestSchemaFiles(t *testing.T) {
	for _, k := range []schema.Kind{schema.Record, schema.LogFile, schema.Digest} {
		t.Run(k.String(), func(t *testing.T) {
			data, err := schema.FS.ReadFile(k.File())
			require.NoError(t, err)
			var doc struct {
				Schema string `json:"$schema"`
				ID     string `json:"$id"`
			}
			require.NoError(t, json.Unmarshal(data, &doc))
			assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", doc.Schema)
			assert.Equal(t, k.URL(), doc.ID)
			assert.Equal(t, schema.BaseURL+k.File(), doc.ID)
			require.NotNil(t, k.Schema())
			assert.Equal(t, k.URL()+"#", k.Schema().Location)
		})
	}
}

// The digest schema repeats the record schema's time rule; they must agree.
func TestTimeRulesAgree(t *testing.T) {
	defs := func(file string) map[string]json.RawMessage {
		data, err := schema.FS.ReadFile(file)
		require.NoError(t, err)
		var doc struct {
			Defs map[string]json.RawMessage `json:"$defs"`
		}
		require.NoError(t, json.Unmarshal(data, &doc))
		return doc.Defs
	}
	rec, dig := defs("record.schema.json"), defs("digest.schema.json")
	pattern := func(raw json.RawMessage) string {
		var d struct{ Pattern, Format string }
		require.NoError(t, json.Unmarshal(raw, &d))
		require.NotEmpty(t, d.Pattern)
		return d.Pattern + " " + d.Format
	}
	assert.Equal(t, pattern(rec["time"]), pattern(dig["time"]))
	assert.Equal(t, pattern(rec["time"]), pattern(dig["timeOrNull"]))
}

func TestCorpusRecords(t *testing.T) {
	recs := lines(t, "records.jsonl")
	require.Len(t, recs, 3630)
	for i, rec := range recs {
		if err := schema.ValidateRecord(rec); err != nil {
			t.Errorf("records.jsonl line %d: %v", i+1, err)
		}
	}
}

func TestCorpusLogFiles(t *testing.T) {
	dir := testdata.Dir(t, "logfiles")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	// This documentation example has a raw line break inside a string, which
	// JSON forbids; event.Scanner rejects it too.
	const notJSON = "awsdocs__aws-cloudtrail-user-guide__doc_source__cloudtrail-log-file-examples.md__block06.json"
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			require.NoError(t, err)
			if strings.HasSuffix(e.Name(), ".gz") {
				zr, err := gzip.NewReader(bytes.NewReader(data))
				require.NoError(t, err)
				var buf bytes.Buffer
				_, err = buf.ReadFrom(zr)
				require.NoError(t, err)
				data = buf.Bytes()
			}
			if e.Name() == notJSON {
				err := schema.ValidateLogFile(data)
				require.ErrorIs(t, err, schema.ErrInvalidJSON)
				assert.ErrorContains(t, err, "invalid character '\\n' in string literal")
				return
			}
			require.NoError(t, schema.ValidateLogFile(data))
			k, err := schema.Validate(data)
			require.NoError(t, err)
			assert.Equal(t, schema.LogFile, k)

			// Record by record, as the scanner yields them, the same.
			sc := event.NewScanner(bytes.NewReader(data))
			n := 0
			for sc.Scan() {
				assert.NoError(t, schema.ValidateRecord(sc.Bytes()), "record %d", sc.Index())
				n++
			}
			require.NoError(t, sc.Err())
			assert.Positive(t, n)
		})
	}
}

func TestCorpusDigests(t *testing.T) {
	dir := testdata.Dir(t, "digests")
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 2)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		assert.NoError(t, schema.ValidateDigest(data), e.Name())
		k, err := schema.Validate(data)
		assert.NoError(t, err, e.Name())
		assert.Equal(t, schema.Digest, k, e.Name())
		// A digest is not a record.
		assert.Equal(t, []string{"/eventTime", "/eventVersion"}, pointers(violations(t, schema.ValidateRecord(data))))
	}
}

// records-nonconforming.jsonl holds records whose eventTime is not
// CloudTrail's (111) and Panther-enriched records with pipeline keys p_* (7
// more; some of the 111 have them too). The schema fails exactly the first
// kind, each at /eventTime, and lets the unknown p_* keys through. Many of
// the failing ones are test fixtures converted from YAML, with more wrong
// types (readOnly "True", resources as strings of Python dicts); those are
// reported too.
func TestCorpusNonconforming(t *testing.T) {
	recs := lines(t, "records-nonconforming.jsonl")
	metas := lines(t, "records-nonconforming.meta.jsonl")
	require.Len(t, metas, len(recs))
	failed := 0
	others := map[string]int{} // pointers other than /eventTime, by count
	for i, rec := range recs {
		var meta struct{ Reasons []string }
		require.NoError(t, json.Unmarshal(metas[i], &meta))
		badTime := false
		for _, r := range meta.Reasons {
			badTime = badTime || strings.HasPrefix(r, "eventTime not ISO-8601 UTC")
		}
		err := schema.ValidateRecord(rec)
		if !badTime {
			assert.NoError(t, err, "line %d (%v)", i+1, meta.Reasons)
			continue
		}
		failed++
		if assert.Error(t, err, "line %d", i+1) {
			ps := pointers(violations(t, err))
			assert.Contains(t, ps, "/eventTime", "line %d", i+1)
			for _, p := range ps {
				if p != "/eventTime" {
					others[p]++
				}
			}
		}
	}
	assert.Equal(t, 111, failed)
	assert.Equal(t, 7, len(recs)-failed)
	t.Logf("%d of %d fail; other violations: %v", failed, len(recs), others)

	for _, tc := range []struct {
		line int
		want []schema.Violation
	}{
		{1, []schema.Violation{{"/eventTime", "record.schema.json#/$defs/time",
			`"2025-03-26 16:43:57.000000000" is not a UTC time of the form YYYY-MM-DDThh:mm:ssZ`}}},
		{3, []schema.Violation{{"/eventTime", "record.schema.json#/$defs/time",
			`"eventTime" is not a UTC time of the form YYYY-MM-DDThh:mm:ssZ`}}},
		{47, []schema.Violation{
			{"/eventTime", "record.schema.json#/$defs/time",
				`"2024-12-12 16:04:32.000000000" is not a UTC time of the form YYYY-MM-DDThh:mm:ssZ`},
			{"/managementEvent", "record.schema.json#/properties/managementEvent/type", "expected boolean, but got string"},
			{"/readOnly", "record.schema.json#/properties/readOnly/type", "expected boolean, but got string"},
			{"/resources/0", "record.schema.json#/$defs/resource/type", "expected object, but got string"},
		}},
	} {
		assert.Equal(t, tc.want, violations(t, schema.ValidateRecord(recs[tc.line-1])), "line %d", tc.line)
	}
}

func TestWrongTypes(t *testing.T) {
	require.NoError(t, schema.ValidateRecord([]byte(fullRecord)))
	require.NoError(t, schema.ValidateRecord([]byte(insightRecord)))
	for _, tc := range []struct {
		doc     string
		ptr     string
		value   string
		message string // the whole message when set
	}{
		{fullRecord, "/eventTime", `1718000000`, "expected string, but got number"},
		{fullRecord, "/eventTime", `"2025-06-01T10:15:00.123Z"`, `"2025-06-01T10:15:00.123Z" is not a UTC time of the form YYYY-MM-DDThh:mm:ssZ`},
		{fullRecord, "/eventTime", `"2025-06-01T10:15:00+00:00"`, ""},
		{fullRecord, "/eventTime", `"2025-06-01t10:15:00z"`, ""},
		{fullRecord, "/eventTime", `"2025-02-30T10:15:00Z"`, `"2025-02-30T10:15:00Z" is not a UTC time of the form YYYY-MM-DDThh:mm:ssZ`},
		{fullRecord, "/eventVersion", `1.08`, "expected string, but got number"},
		{fullRecord, "/eventVersion", `"1.x"`, `"1.x" is not an eventVersion of the form major.minor`},
		{fullRecord, "/userIdentity", `"alice"`, "expected object, but got string"},
		{fullRecord, "/userIdentity/type", `7`, "expected string, but got number"},
		{fullRecord, "/userIdentity/accountId", `111122223333`, "expected string, but got number"},
		{fullRecord, "/userIdentity/credentialId", `{}`, "expected string, but got object"},
		{fullRecord, "/userIdentity/sessionContext", `[]`, "expected object, but got array"},
		{fullRecord, "/userIdentity/sessionContext/attributes/mfaAuthenticated", `1`, "expected string or boolean, but got number"},
		{fullRecord, "/userIdentity/sessionContext/attributes/creationDate", `1718000000`, ""},
		{fullRecord, "/userIdentity/sessionContext/sessionIssuer/arn", `false`, "expected string, but got boolean"},
		{fullRecord, "/userIdentity/sessionContext/webIdFederationData/attributes", `"x"`, "expected object, but got string"},
		{fullRecord, "/userIdentity/sessionContext/ec2RoleDelivery", `2.0`, ""},
		{fullRecord, "/userIdentity/sessionContext/assumedRoot", `true`, ""},
		{fullRecord, "/userIdentity/sessionContext/signInSessionArn", `null`, "expected string, but got null"},
		{fullRecord, "/userIdentity/onBehalfOf/userId", `1`, ""},
		{fullRecord, "/userIdentity/inScopeOf/issuerType", `1`, ""},
		{fullRecord, "/userIdentity/inScopeOf", `"i-1"`, ""},
		{fullRecord, "/userIdentity/invokedByDelegate/accountId", `444455556666`, ""},
		{fullRecord, "/readOnly", `"true"`, "expected boolean, but got string"},
		{fullRecord, "/managementEvent", `"true"`, ""},
		{fullRecord, "/resources", `{}`, "expected array or string, but got object"},
		{fullRecord, "/resources/0", `"arn:aws:s3:::b"`, "expected object, but got string"},
		{fullRecord, "/resources/0/ARN", `42`, "expected string, but got number"},
		{fullRecord, "/resources/0/type", `null`, ""},
		{fullRecord, "/tlsDetails/keyExchange", `25519`, "expected string, but got number"},
		{fullRecord, "/tlsDetails/tlsVersion", `1.3`, ""},
		{fullRecord, "/tlsDetails", `"TLSv1.3"`, ""},
		{fullRecord, "/requestParameters", `[]`, "expected object or null, but got array"},
		{fullRecord, "/requestParameters", `"x"`, ""},
		{fullRecord, "/responseElements", `5`, "expected object or null or string, but got number"},
		{fullRecord, "/additionalEventData", `[]`, ""},
		{fullRecord, "/serviceEventDetails", `"x"`, ""},
		{fullRecord, "/errorCode", `null`, ""},
		{fullRecord, "/eventID", `1`, ""},
		{fullRecord, "/vpcEndpointAccountId", `111122223333`, ""},
		{fullRecord, "/sessionCredentialFromConsole", `true`, "expected string, but got boolean"},
		{fullRecord, "/addendum/reason", `1`, ""},
		{fullRecord, "/edgeDeviceDetails/deviceId", `1`, ""},
		{fullRecord, "/edgeDeviceDetails/attributes", `[]`, ""},
		{fullRecord, "/eventContext/tagContext", `"x"`, ""},
		{fullRecord, "/annotation", `{}`, ""},
		{insightRecord, "/insightDetails/state", `true`, ""},
		{insightRecord, "/insightDetails/insightContext/statistics/baseline/average", `"0.1"`, "expected number, but got string"},
		{insightRecord, "/insightDetails/insightContext/statistics/insightDuration", `"1"`, ""},
		{insightRecord, "/insightDetails/insightContext/attributions", `{}`, ""},
		{insightRecord, "/insightDetails/insightContext/attributions/0/insight/0/value", `1`, ""},
		{insightRecord, "/insightDetails/insightContext/attributions/0/baseline/0/average", `"x"`, ""},
		{insightRecord, "/insightDetails/insightContext/attributions/0/baselineAverage", `"x"`, ""},
		{insightRecord, "/insightDetails", ``, "missing (required in Insights events)"},
		{fullRecord, "/eventTime", ``, "missing (required)"},
		{fullRecord, "/eventVersion", ``, "missing (required)"},
	} {
		t.Run(tc.ptr+"="+tc.value, func(t *testing.T) {
			err := schema.ValidateRecord(withValue(t, tc.doc, tc.ptr, tc.value))
			vs := violations(t, err)
			require.Len(t, vs, 1, "%v", err)
			assert.Equal(t, tc.ptr, vs[0].Pointer)
			assert.NotEmpty(t, vs[0].Keyword)
			if tc.message != "" {
				assert.Equal(t, tc.message, vs[0].Message)
			}
		})
	}
}

// The variance real records show, as the spec lists it, passes.
func TestRealWorldVariance(t *testing.T) {
	for _, tc := range []struct{ ptr, value string }{
		{"/resources", `""`},
		{"/resources", `[{"arn": "arn:aws:s3:::b", "accountId": "111122223333"}]`},
		{"/resources", `[{}]`},
		{"/userIdentity/sessionContext/attributes/mfaAuthenticated", `false`},
		{"/userIdentity/type", ``},
		{"/userIdentity", ``},
		{"/userIdentity", `{"accountId": "111122223333", "invokedBy": "secretsmanager.amazonaws.com"}`},
		{"/userIdentity/sessionContext/sessionIssuer", `{}`},
		{"/userIdentity/sessionContext/webIdFederationData", `{}`},
		{"/userIdentity/sessionContext/attributes/creationDate", `"20131102T010628Z"`},
		{"/additionalEventData", `"{\"x\":1}"`},
		{"/additionalEventData", `null`},
		{"/responseElements", `"done"`},
		{"/responseElements", `{"n": 0.1000000000000000055511151231257827}`},
		{"/requestParameters", `null`},
		{"/requestParameters", `{"k:e-y.s": [1.5e-7, -0.0, 1.0, "日本語 😀"]}`},
		{"/errorCode", `""`},
		{"/eventType", `"AwsConsoleSignin"`},
		{"/eventVersion", `"1.0"`},
		{"/eventVersion", `"1.10"`},
		{"/edgeDeviceDetails", `{"type": "outposts", "deviceID": "op-01ac5d28a6a232904"}`},
		{"/eventID", ``},
		{"/eventType", ``},
		{"/eventCategory", ``},
		{"/awsRegion", ``},
		{"/sourceIPAddress", `"AWS Internal"`},
	} {
		t.Run(tc.ptr+"="+tc.value, func(t *testing.T) {
			assert.NoError(t, schema.ValidateRecord(withValue(t, fullRecord, tc.ptr, tc.value)))
		})
	}
}

func TestUnknownFieldsPass(t *testing.T) {
	for _, tc := range []struct{ ptr, value string }{
		{"/p_log_type", `"AWS.CloudTrail"`},
		{"/newTopLevelField", `{"deep": [1, {"x": null}]}`},
		{"/userIdentity/newMember", `17`},
		{"/userIdentity/sessionContext/newMember", `[]`},
		{"/userIdentity/sessionContext/attributes/newAttribute", `true`},
		{"/userIdentity/inScopeOf/newMember", `{}`},
		{"/resources/0/newMember", `1`},
		{"/tlsDetails/newMember", `1`},
		{"/addendum/newMember", `1`},
		{"/eventContext/newContext", `1`},
		{"/RequestParameters", `null`},
	} {
		t.Run(tc.ptr, func(t *testing.T) {
			assert.NoError(t, schema.ValidateRecord(withValue(t, fullRecord, tc.ptr, tc.value)))
		})
	}
	assert.NoError(t, schema.ValidateRecord(withValue(t, insightRecord, "/insightDetails/insightContext/newMember", `1`)))
}

func TestNumbersKeepTheirValue(t *testing.T) {
	// A number far beyond float64's range is still a number, and a big
	// integer is not rounded into something else.
	rec := withValue(t, insightRecord, "/insightDetails/insightContext/statistics/insightDuration", `123456789012345678901234567890`)
	assert.NoError(t, schema.ValidateRecord(rec))
	rec = withValue(t, insightRecord, "/insightDetails/insightContext/statistics/baseline/average", `1e400`)
	assert.NoError(t, schema.ValidateRecord(rec))
}

func TestInvalidJSON(t *testing.T) {
	deep := strings.Repeat("[", 10001) + strings.Repeat("]", 10001)
	for name, data := range map[string]string{
		"empty":          "",
		"space":          "  \n",
		"truncated":      `{"eventVersion":"1.08"`,
		"trailing":       `{"eventVersion":"1.08","eventTime":"2025-06-01T10:15:00Z"} {}`,
		"trailing-brace": `{"eventVersion":"1.08","eventTime":"2025-06-01T10:15:00Z"}}`,
		"invalid-utf8":   "{\"eventVersion\":\"1.08\",\"eventTime\":\"2025-06-01T10:15:00Z\",\"x\":\"\xff\"}",
		"nan":            `{"x": NaN}`,
		"deep":           `{"eventVersion":"1.08","eventTime":"2025-06-01T10:15:00Z","requestParameters":{"x":` + deep + `}}`,
		"single-quotes":  `{'eventVersion':'1.08'}`,
	} {
		t.Run(name, func(t *testing.T) {
			for _, k := range []schema.Kind{schema.Record, schema.LogFile, schema.Digest} {
				err := k.Validate([]byte(data))
				require.ErrorIs(t, err, schema.ErrInvalidJSON, k.String())
				var ve *schema.ValidationError
				assert.False(t, errors.As(err, &ve))
			}
			_, err := schema.Validate([]byte(data))
			assert.ErrorIs(t, err, schema.ErrInvalidJSON)
		})
	}
	err := schema.ValidateRecord([]byte("{\"a\":\"ok\",\"b\":\"\xc3\x28\"}"))
	assert.ErrorContains(t, err, "invalid UTF-8 at byte 15")
}

func TestNotAnObject(t *testing.T) {
	for _, data := range []string{`[]`, `"record"`, `null`, `1`, `true`} {
		vs := violations(t, schema.ValidateRecord([]byte(data)))
		assert.Equal(t, []string{""}, pointers(vs), data)
		assert.Equal(t, "(root)", strings.SplitN(vs[0].String(), ":", 2)[0])
	}
}

func TestValidateRecognises(t *testing.T) {
	digest, err := os.ReadFile(filepath.Join(testdata.Dir(t, "digests"), "awsdocs__aws-cloudtrail-user-guide__doc_source__cloudtrail-log-file-validation-digest-file-structure.md__block02.json"))
	require.NoError(t, err)
	for _, tc := range []struct {
		data string
		want schema.Kind
		err  bool
	}{
		{fullRecord, schema.Record, false},
		{`{"Records":[]}`, schema.LogFile, false},
		{`{"Records":[` + fullRecord + `,` + insightRecord + `]}`, schema.LogFile, false},
		{`{"Records":{}}`, schema.LogFile, true},
		{string(digest), schema.Digest, false},
		{`{"digestEndTime":"2025-06-01T10:00:00Z"}`, schema.Digest, true},
		{`{"logFiles":[]}`, schema.Digest, true},
		{`{"eventVersion":"1.08","eventTime":"2025-06-01T10:15:00Z","logFiles":[]}`, schema.Record, false},
		{`{"eventVersion":"1.08","eventTime":"2025-06-01T10:15:00Z","Records":7}`, schema.Record, false},
		{`{}`, schema.Record, true},
		{`[]`, schema.Record, true},
	} {
		k, err := schema.Validate([]byte(tc.data))
		assert.Equal(t, tc.want, k, tc.data)
		assert.Equal(t, tc.err, err != nil, "%.80s: %v", tc.data, err)
	}
}

func TestLogFileViolations(t *testing.T) {
	for _, tc := range []struct {
		data string
		want []string
	}{
		{`{}`, []string{"/Records"}},
		{`{"records":[]}`, []string{"/Records"}},
		{`{"Records":"x"}`, []string{"/Records"}},
		{`{"Records":[` + fullRecord + `,{"eventVersion":"1.08","eventTime":"now"}]}`, []string{"/Records/1/eventTime"}},
		{`{"Records":[1,2,3,4,5,6,7,8,9,10,` + fullRecord + `,{}]}`, []string{
			"/Records/0", "/Records/1", "/Records/2", "/Records/3", "/Records/4", "/Records/5",
			"/Records/6", "/Records/7", "/Records/8", "/Records/9",
			"/Records/11/eventTime", "/Records/11/eventVersion"}},
		{`{"Records":[],"other":1}`, nil},
	} {
		err := schema.ValidateLogFile([]byte(tc.data))
		if tc.want == nil {
			assert.NoError(t, err)
			continue
		}
		assert.Equal(t, tc.want, pointers(violations(t, err)), "%.60s", tc.data)
	}
}

func TestDigestViolations(t *testing.T) {
	base, err := os.ReadFile(filepath.Join(testdata.Dir(t, "digests"), "awsdocs__aws-cloudtrail-user-guide__doc_source__cloudtrail-log-file-validation-digest-file-structure.md__block01.json"))
	require.NoError(t, err)
	doc := string(base)
	require.NoError(t, schema.ValidateDigest(base))

	// The first digest of a chain: the previous-digest members are null.
	first := doc
	for _, k := range []string{"previousDigestS3Bucket", "previousDigestS3Object", "previousDigestHashValue", "previousDigestHashAlgorithm", "previousDigestSignature"} {
		first = string(withValue(t, first, "/"+k, "null"))
	}
	assert.NoError(t, schema.ValidateDigest([]byte(first)))
	assert.NoError(t, schema.ValidateDigest(withValue(t, doc, "/unknownMember", `{"x":1}`)))
	assert.NoError(t, schema.ValidateDigest(withValue(t, doc, "/logFiles", `[]`)))

	for _, tc := range []struct{ ptr, value, message string }{
		{"/digestEndTime", `1439823691`, "expected string, but got number"},
		{"/digestStartTime", `"2015-08-17 14:01:31"`, `"2015-08-17 14:01:31" is not a UTC time of the form YYYY-MM-DDThh:mm:ssZ`},
		{"/digestS3Object", `null`, "expected string, but got null"},
		{"/digestPublicKeyFingerprint", `"31E8B5433410DFB61A9DC45CC65B22FF"`, `"31E8B5433410DFB61A9DC45CC65B22FF" is not a lower-case hex MD5 fingerprint`},
		{"/newestEventTime", `"yesterday"`, `"yesterday" is not a UTC time of the form YYYY-MM-DDThh:mm:ssZ`},
		{"/oldestEventTime", `0`, "expected string or null, but got number"},
		{"/previousDigestHashValue", `"abc"`, `"abc" is not a lower-case hex SHA-256 hash`},
		{"/previousDigestSignature", `"xyz"`, `"xyz" is not lower-case hex`},
		{"/previousDigestSignature", `42`, "expected string or null, but got number"},
		{"/logFiles", `null`, "expected array, but got null"},
		{"/logFiles/0/hashValue", `"9BB6196FC6B84D6F075A56548FECA262BD99BA3C2DE41B618E5B6E22C1FC71F6"`, ""},
		{"/logFiles/0/s3Object", `7`, "expected string, but got number"},
		{"/logFiles/0/newestEventTime", `null`, "expected string, but got null"},
		{"/awsAccountId", ``, "missing (required)"},
		{"/previousDigestSignature", ``, "missing (required)"},
		{"/logFiles/0/hashValue", ``, "missing (required)"},
	} {
		t.Run(tc.ptr+"="+tc.value, func(t *testing.T) {
			vs := violations(t, schema.ValidateDigest(withValue(t, doc, tc.ptr, tc.value)))
			require.Len(t, vs, 1, "%v", vs)
			assert.Equal(t, tc.ptr, vs[0].Pointer)
			if tc.message != "" {
				assert.Equal(t, tc.message, vs[0].Message)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	err := schema.ValidateRecord([]byte(`{"eventVersion":1,"readOnly":"yes"}`))
	assert.EqualError(t, err, "schema: invalid record: /eventTime: missing (required); /eventVersion: expected string, but got number; /readOnly: expected boolean, but got string")

	var recs []string
	for range 25 {
		recs = append(recs, "{}")
	}
	err = schema.ValidateLogFile([]byte(`{"Records":[` + strings.Join(recs, ",") + `]}`))
	assert.Len(t, violations(t, err), 50)
	assert.True(t, strings.HasSuffix(err.Error(), "; and 40 more"), err.Error())

	long := strings.Repeat("é", 100)
	vs := violations(t, schema.ValidateRecord([]byte(`{"eventVersion":"1.08","eventTime":"`+long+`"}`)))
	assert.Equal(t, strconv.Quote(strings.Repeat("é", 32))+"… is not a UTC time of the form YYYY-MM-DDThh:mm:ssZ", vs[0].Message)
}

func TestValidateValue(t *testing.T) {
	var v any
	dec := json.NewDecoder(strings.NewReader(fullRecord))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&v))
	assert.NoError(t, schema.Record.ValidateValue(v))
	v.(map[string]any)["readOnly"] = "no"
	assert.Equal(t, []string{"/readOnly"}, pointers(violations(t, schema.Record.ValidateValue(v))))
	// A Go value that JSON cannot hold is an error, not a panic.
	v.(map[string]any)["readOnly"] = make(chan int)
	assert.Error(t, schema.Record.ValidateValue(v))
	assert.Error(t, schema.Kind(9).Validate([]byte(`{}`)))
	assert.Equal(t, "Kind(9)", schema.Kind(9).String())
}

// Each Validate call is independent: the compiled schemas are shared by
// goroutines.
func TestConcurrentUse(t *testing.T) {
	recs := lines(t, "records.jsonl")[:200]
	errs := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := g; i < len(recs); i += 4 {
				if err := schema.ValidateRecord(recs[i]); err != nil {
					errs <- fmt.Errorf("line %d: %w", i+1, err)
					return
				}
				if err := schema.ValidateRecord([]byte(`{"eventVersion":"1.08","eventTime":1}`)); err == nil {
					errs <- errors.New("a bad record passed")
					return
				}
			}
			errs <- nil
		}()
	}
	for range 4 {
		assert.NoError(t, <-errs)
	}
}

// Validate reads past the free-form members instead of decoding them; that
// must not change any answer. Compare with validating the fully decoded
// value, over the corpus and over records with those members of every type.
func TestFastDecodeAgrees(t *testing.T) {
	docs := lines(t, "records.jsonl")
	docs = append(docs, lines(t, "records-nonconforming.jsonl")...)
	for _, p := range []string{"/requestParameters", "/responseElements", "/additionalEventData", "/serviceEventDetails"} {
		for _, v := range []string{`{"a":[1,{"b":2}]}`, `[1]`, `"s"`, `1e400`, `-0`, `true`, `false`, `null`, ``} {
			docs = append(docs, withValue(t, fullRecord, p, v))
		}
	}
	var recs []string
	for _, d := range docs[3600:] {
		recs = append(recs, string(d))
	}
	logFile := []byte(`{"Records":[` + strings.Join(recs, ",") + `,1,"x"]}`)
	docs = append(docs, logFile, []byte(`{"Records":{"requestParameters":1}}`), []byte(`[`+fullRecord+`]`))

	for i, doc := range docs {
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		var v any
		require.NoError(t, dec.Decode(&v))
		kinds := []schema.Kind{schema.Record}
		if i >= 3600 {
			kinds = append(kinds, schema.LogFile, schema.Digest)
		}
		for _, k := range kinds {
			assert.Equal(t, k.ValidateValue(v), k.Validate(doc), "doc %d as %s", i, k)
		}
	}
}
