package event_test

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
)

// fullRecord carries every field record-format.md documents for an API call
// record through eventVersion 1.11, each with a value of its documented type.
const fullRecord = `{"eventVersion":"1.11",
"userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:alice","arn":"arn:aws:sts::111122223333:assumed-role/Admin/alice",
 "accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","userName":"alice",
 "sessionContext":{
  "sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/Admin","accountId":"111122223333","userName":"Admin"},
  "webIdFederationData":{"federatedProvider":"arn:aws:iam::111122223333:oidc-provider/example.com","attributes":{"aud":"app","n":9007199254740993}},
  "attributes":{"creationDate":"2025-06-01T10:00:00Z","mfaAuthenticated":"true"},
  "sourceIdentity":"alice@example.com","ec2RoleDelivery":"2.0","assumedRoot":"true",
  "signInSessionArn":"arn:aws:signin:us-east-1:111122223333:session/7f1c0e4e-0000-4000-8000-000000000001"},
 "invokedBy":"ec2.amazonaws.com","identityProvider":"accounts.google.com","credentialId":"cred-EXAMPLE",
 "onBehalfOf":{"userId":"94482488-3041-7026-18f3-be45837cd0e4","identityStoreArn":"arn:aws:identitystore::111122223333:identitystore/d-9067642ac7"},
 "inScopeOf":{"sourceArn":"arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0","sourceAccount":"111122223333","issuerType":"AWS::EC2::Instance","credentialsIssuedTo":"arn:aws:iam::111122223333:role/InstanceRole"},
 "invokedByDelegate":{"accountId":"444455556666"}},
"eventTime":"2025-06-01T10:20:30Z","eventSource":"secretsmanager.amazonaws.com","eventName":"GetSecretValue",
"awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.27.0",
"errorCode":"AccessDenied","errorMessage":"not authorized",
"requestParameters":{"secretId":"prod/db","versionStage":"AWSCURRENT"},"responseElements":null,
"additionalEventData":{"bytesTransferredIn":0.0},"requestID":"6f1c2c0e-0000-4000-8000-000000000002",
"eventID":"6f1c2c0e-0000-4000-8000-000000000003","readOnly":true,
"resources":[{"ARN":"arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db","accountId":"111122223333","type":"AWS::SecretsManager::Secret","ARNPrefix":"arn:aws:secretsmanager:us-east-1:111122223333:secret:"}],
"eventType":"AwsApiCall","apiVersion":"2017-10-17","managementEvent":true,"recipientAccountId":"111122223333",
"serviceEventDetails":{"rotation":"started"},"sharedEventID":"6f1c2c0e-0000-4000-8000-000000000004",
"vpcEndpointId":"vpce-0123456789abcdef0","vpcEndpointAccountId":"777788889999",
"edgeDeviceDetails":{"type":"outposts","deviceId":"op-01ac5d28a6a232904","deviceFamily":"Outposts","snowJobId":"JID-1","attributes":{"rack":"r1"}},
"eventCategory":"Management",
"addendum":{"reason":"UPDATED_DATA","updatedFields":"userIdentity","originalRequestID":"6f1c2c0e-0000-4000-8000-000000000005","originalEventID":"6f1c2c0e-0000-4000-8000-000000000006"},
"tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"secretsmanager.us-east-1.amazonaws.com","keyExchange":"X25519MLKEM768"},
"sessionCredentialFromConsole":"true",
"eventContext":{"requestContext":{"aws:SourceVpc":"vpc-1"},"tagContext":{"resourceTags":[{"arn":"arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db","tags":{"team":"db"}}]}},
"annotation":"reviewed"}`

// fullInsight is an Insights event with every insightDetails member.
const fullInsight = `{"eventVersion":"1.08","eventTime":"2025-06-01T10:00:00Z","awsRegion":"us-east-1",
"eventID":"6f1c2c0e-0000-4000-8000-000000000007","eventType":"AwsCloudTrailInsight","recipientAccountId":"111122223333",
"sharedEventID":"6f1c2c0e-0000-4000-8000-000000000008",
"insightDetails":{"state":"Start","eventSource":"iam.amazonaws.com","eventName":"DeleteUser","insightType":"ApiErrorRateInsight","errorCode":"AccessDenied",
 "insightContext":{"statistics":{"baseline":{"average":0.0000882145},"insight":{"average":9.48587e-05},"insightDuration":1,"baselineDuration":10080},
  "attributions":[{"attribute":"userIdentityArn","insight":[{"value":"arn:aws:iam::111122223333:user/bob","average":2.0}],"baseline":[{"value":"arn:aws:iam::111122223333:user/bob","average":0.01}]}]}},
"eventCategory":"Insight"}`

func decode(t *testing.T, s string) *event.Record {
	t.Helper()
	var r event.Record
	require.NoError(t, event.Unmarshal([]byte(s), &r))
	return &r
}

// extras lists every non-empty Extra in v, by path, walking the model.
func extras(v reflect.Value, path string) []string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return extras(v.Elem(), path)
	case reflect.Slice:
		var out []string
		for i := range v.Len() {
			out = append(out, extras(v.Index(i), path+"[]")...)
		}
		return out
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			if f.Name == "Extra" {
				if v.Field(i).Len() > 0 {
					out = append(out, path+".Extra")
				}
				continue
			}
			out = append(out, extras(v.Field(i), path+"."+f.Name)...)
		}
		return out
	}
	return nil
}

func TestEveryDocumentedFieldIsTyped(t *testing.T) {
	for name, in := range map[string]string{"API call": fullRecord, "Insights": fullInsight} {
		t.Run(name, func(t *testing.T) {
			r := decode(t, in)
			assert.Empty(t, extras(reflect.ValueOf(r), "Record"), "every member must land in a typed field")
			assert.Equal(t, tokens(t, []byte(in)), tokens(t, r.AppendJSON(nil)), "lossless")
			require.NoError(t, r.Check())
		})
	}
}

func TestFullRecordTypedValues(t *testing.T) {
	r := decode(t, fullRecord)
	u := r.UserIdentity
	require.NotNil(t, u)
	assert.Equal(t, "AssumedRole", u.Type)
	assert.Equal(t, "ASIAEXAMPLE", u.AccessKeyID)
	assert.Equal(t, "cred-EXAMPLE", u.CredentialID)
	assert.Equal(t, "accounts.google.com", u.IdentityProvider)
	assert.Equal(t, "ec2.amazonaws.com", u.InvokedBy)
	assert.Equal(t, &event.OnBehalfOf{UserID: "94482488-3041-7026-18f3-be45837cd0e4", IdentityStoreARN: "arn:aws:identitystore::111122223333:identitystore/d-9067642ac7"}, u.OnBehalfOf)
	assert.Equal(t, &event.InScopeOf{SourceARN: "arn:aws:ec2:us-east-1:111122223333:instance/i-0123456789abcdef0", SourceAccount: "111122223333",
		IssuerType: "AWS::EC2::Instance", CredentialsIssuedTo: "arn:aws:iam::111122223333:role/InstanceRole"}, u.InScopeOf)
	assert.Equal(t, &event.InvokedByDelegate{AccountID: "444455556666"}, u.InvokedByDelegate)

	sc := u.SessionContext
	require.NotNil(t, sc)
	assert.Equal(t, &event.SessionIssuer{Type: "Role", PrincipalID: "AROAEXAMPLE", ARN: "arn:aws:iam::111122223333:role/Admin", AccountID: "111122223333", UserName: "Admin"}, sc.SessionIssuer)
	assert.Equal(t, "arn:aws:iam::111122223333:oidc-provider/example.com", sc.WebIDFederationData.FederatedProvider)
	n, ok := event.Get(sc.WebIDFederationData.Attributes, "n").Number()
	assert.True(t, ok)
	assert.Equal(t, "9007199254740993", n.String())
	mfa, ok := sc.Attributes.MFA()
	assert.True(t, mfa && ok)
	created, ok := sc.Attributes.Created()
	assert.True(t, ok)
	assert.Equal(t, time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC), created)
	assert.Equal(t, []string{"alice@example.com", "2.0", "true"}, []string{sc.SourceIdentity, sc.EC2RoleDelivery, sc.AssumedRoot})
	assert.Equal(t, "arn:aws:signin:us-east-1:111122223333:session/7f1c0e4e-0000-4000-8000-000000000001", sc.SignInSessionARN)

	assert.Equal(t, time.Date(2025, 6, 1, 10, 20, 30, 0, time.UTC), r.EventTime)
	assert.Equal(t, "GetSecretValue", r.EventName)
	assert.Equal(t, "AccessDenied", r.ErrorCode)
	assert.Equal(t, "not authorized", r.ErrorMessage)
	assert.JSONEq(t, `{"secretId":"prod/db","versionStage":"AWSCURRENT"}`, string(r.RequestParameters))
	assert.Equal(t, "null", string(r.ResponseElements))
	assert.Equal(t, `{"bytesTransferredIn":0.0}`, string(r.AdditionalEventData), "number text kept")
	assert.Equal(t, `{"rotation":"started"}`, string(r.ServiceEventDetails))
	require.NotNil(t, r.ReadOnly)
	assert.True(t, *r.ReadOnly)
	require.NotNil(t, r.ManagementEvent)
	assert.True(t, *r.ManagementEvent)
	require.Len(t, r.Resources, 1)
	assert.Equal(t, "AWS::SecretsManager::Secret", r.Resources[0].Type)
	assert.Equal(t, "arn:aws:secretsmanager:us-east-1:111122223333:secret:", r.Resources[0].ARNPrefix)
	assert.Equal(t, "2017-10-17", r.APIVersion)
	assert.Equal(t, "111122223333", r.RecipientAccountID)
	assert.Equal(t, "6f1c2c0e-0000-4000-8000-000000000004", r.SharedEventID)
	assert.Equal(t, "vpce-0123456789abcdef0", r.VPCEndpointID)
	assert.Equal(t, "777788889999", r.VPCEndpointAccountID)
	assert.Equal(t, event.CategoryManagement, r.EventCategory)
	assert.Equal(t, "outposts", r.EdgeDeviceDetails.Type)
	assert.Equal(t, "op-01ac5d28a6a232904", r.EdgeDeviceDetails.ID())
	assert.Equal(t, "Outposts", r.EdgeDeviceDetails.DeviceFamily)
	assert.Equal(t, "JID-1", r.EdgeDeviceDetails.SnowJobID)
	assert.Equal(t, `{"rack":"r1"}`, string(r.EdgeDeviceDetails.Attributes))
	assert.Equal(t, "UPDATED_DATA", r.Addendum.Reason)
	assert.Equal(t, "userIdentity", r.Addendum.UpdatedFields)
	assert.Equal(t, "6f1c2c0e-0000-4000-8000-000000000005", r.Addendum.OriginalRequestID)
	assert.Equal(t, "6f1c2c0e-0000-4000-8000-000000000006", r.Addendum.OriginalEventID)
	assert.Equal(t, "X25519MLKEM768", r.TLSDetails.KeyExchange)
	assert.Equal(t, "TLSv1.3", r.TLSDetails.TLSVersion)
	assert.Equal(t, "secretsmanager.us-east-1.amazonaws.com", r.TLSDetails.ClientProvidedHostHeader)
	assert.True(t, r.FromConsole())
	vpc, _ := event.Get(r.EventContext.RequestContext, "aws:SourceVpc").Text()
	assert.Equal(t, "vpc-1", vpc)
	team, _ := event.Get(r.EventContext.TagContext, "resourceTags", "0", "tags", "team").Text()
	assert.Equal(t, "db", team)
	assert.Equal(t, "reviewed", r.Annotation)
	major, minor, ok := r.Version()
	assert.Equal(t, []any{1, 11, true}, []any{major, minor, ok})
}

func TestInsightTypedValues(t *testing.T) {
	r := decode(t, fullInsight)
	d := r.InsightDetails
	require.NotNil(t, d)
	assert.Equal(t, event.CategoryInsight, r.Category())
	assert.Equal(t, []string{"Start", "iam.amazonaws.com", "DeleteUser", "ApiErrorRateInsight", "AccessDenied"},
		[]string{d.State, d.EventSource, d.EventName, d.InsightType, d.ErrorCode})
	st := d.InsightContext.Statistics
	assert.Equal(t, json.Number("0.0000882145"), st.Baseline.Average)
	assert.Equal(t, json.Number("9.48587e-05"), st.Insight.Average, "exponent form kept")
	assert.Equal(t, json.Number("1"), st.InsightDuration)
	assert.Equal(t, json.Number("10080"), st.BaselineDuration)
	a := d.InsightContext.Attributions
	require.Len(t, a, 1)
	assert.Equal(t, "userIdentityArn", a[0].Attribute)
	assert.Equal(t, []event.AttributeValue{{Value: "arn:aws:iam::111122223333:user/bob", Average: "2.0"}}, a[0].Insight)
	assert.Equal(t, json.Number("0.01"), a[0].Baseline[0].Average)
}

// specFields returns the field names in the first column of the tables under
// a heading of docs/record-format.md, grouped by table.
func specFields(t *testing.T, heading string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "docs", "record-format.md"))
	require.NoError(t, err)
	defer f.Close()
	row := regexp.MustCompile("^\\| `([A-Za-z0-9]+)`")
	var tables [][]string
	in, inTable := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "## ") {
			in = strings.HasPrefix(line, heading)
			continue
		}
		m := row.FindStringSubmatch(line)
		switch {
		case !in || m == nil:
			inTable = false
		case !inTable:
			tables = append(tables, []string{m[1]})
			inTable = true
		default:
			tables[len(tables)-1] = append(tables[len(tables)-1], m[1])
		}
	}
	require.NoError(t, sc.Err())
	return tables
}

// TestFixturesCoverTheSpec keeps the two fixtures above honest: every field
// of record-format.md's tables of top-level, userIdentity and sessionContext
// members is in them, so TestEveryDocumentedFieldIsTyped covers the spec.
func TestFixturesCoverTheSpec(t *testing.T) {
	top := specFields(t, "## 3.")
	require.Len(t, top, 1)
	require.Greater(t, len(top[0]), 30)
	ident := specFields(t, "## 4.")
	require.Len(t, ident, 2, "userIdentity and sessionContext tables")

	var rec, ins map[string]json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(fullRecord), &rec))
	require.NoError(t, json.Unmarshal([]byte(fullInsight), &ins))
	for _, name := range top[0] {
		_, a := rec[name]
		_, b := ins[name]
		assert.True(t, a || b, "top-level field %s is missing from the fixtures", name)
	}
	var u map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(rec["userIdentity"], &u))
	for _, name := range ident[0] {
		assert.Contains(t, u, name, "userIdentity member")
	}
	var s map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(u["sessionContext"], &s))
	for _, name := range ident[1] {
		assert.Contains(t, s, name, "sessionContext member")
	}
}

// topKeys lists the top-level keys of a JSON object in order, with
// duplicates.
func topKeys(t testing.TB, data []byte) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	tok, err := dec.Token()
	require.NoError(t, err)
	require.Equal(t, json.Delim('{'), tok)
	var keys []string
	for dec.More() {
		k, err := dec.Token()
		require.NoError(t, err)
		keys = append(keys, k.(string))
		var v json.RawMessage
		require.NoError(t, dec.Decode(&v))
	}
	return keys
}

// cloudTrailOrder is the order CloudTrail writes a record's keys in, as
// delivered records show it.
var cloudTrailOrder = []string{"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
	"sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements",
	"additionalEventData", "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion",
	"managementEvent", "recipientAccountId", "serviceEventDetails", "sharedEventID", "vpcEndpointId",
	"vpcEndpointAccountId", "edgeDeviceDetails", "eventCategory", "addendum", "tlsDetails",
	"sessionCredentialFromConsole", "insightDetails", "eventContext", "annotation"}

// goBuilt copies a decoded record's typed fields into a record built in Go,
// which has no memory of the order its keys were read in.
func goBuilt(r *event.Record) *event.Record {
	return &event.Record{
		EventVersion: r.EventVersion, UserIdentity: r.UserIdentity, EventTime: r.EventTime,
		EventSource: r.EventSource, EventName: r.EventName, AWSRegion: r.AWSRegion,
		SourceIPAddress: r.SourceIPAddress, UserAgent: r.UserAgent, ErrorCode: r.ErrorCode,
		ErrorMessage: r.ErrorMessage, RequestParameters: r.RequestParameters, ResponseElements: r.ResponseElements,
		AdditionalEventData: r.AdditionalEventData, RequestID: r.RequestID, EventID: r.EventID,
		ReadOnly: r.ReadOnly, Resources: r.Resources, EventType: r.EventType, APIVersion: r.APIVersion,
		ManagementEvent: r.ManagementEvent, RecipientAccountID: r.RecipientAccountID,
		ServiceEventDetails: r.ServiceEventDetails, SharedEventID: r.SharedEventID, VPCEndpointID: r.VPCEndpointID,
		VPCEndpointAccountID: r.VPCEndpointAccountID, EdgeDeviceDetails: r.EdgeDeviceDetails,
		EventCategory: r.EventCategory, Addendum: r.Addendum, TLSDetails: r.TLSDetails,
		SessionCredentialFromConsole: r.SessionCredentialFromConsole, InsightDetails: r.InsightDetails,
		EventContext: r.EventContext, Annotation: r.Annotation,
	}
}

func TestRecordsBuiltInGoUseCloudTrailsKeyOrder(t *testing.T) {
	r := goBuilt(decode(t, fullRecord))
	want := slices.DeleteFunc(slices.Clone(cloudTrailOrder), func(k string) bool { return k == "insightDetails" })
	assert.Equal(t, want, topKeys(t, r.AppendJSON(nil)))

	ins := goBuilt(decode(t, fullInsight))
	assert.Equal(t, insightOrder, topKeys(t, ins.AppendJSON(nil)), "Insights events have their own order")
}

// insightOrder is the order of an Insights event's keys.
var insightOrder = []string{"eventVersion", "eventTime", "awsRegion", "eventID", "eventType", "recipientAccountId",
	"sharedEventID", "insightDetails", "eventCategory"}

// TestKeyOrderAgreesWithTheCorpus checks cloudTrailOrder against the real
// records: for every pair of keys whose relative order the corpus shows
// clearly (at least 5 records, 90% one way), the order is the corpus's.
func TestKeyOrderAgreesWithTheCorpus(t *testing.T) {
	type pair struct{ a, b string }
	count := map[bool]map[pair]int{false: {}, true: {}} // by "is an Insights event"
	for _, line := range corpusLines(t, "records.jsonl") {
		keys := topKeys(t, line)
		insight := slices.Contains(keys, "insightDetails")
		for i := range keys {
			for j := i + 1; j < len(keys); j++ {
				count[insight][pair{keys[i], keys[j]}]++
			}
		}
	}
	for insight, order := range map[bool][]string{false: cloudTrailOrder, true: insightOrder} {
		rank := map[string]int{}
		for i, k := range order {
			rank[k] = i
		}
		checked := 0
		for p, before := range count[insight] {
			ra, oka := rank[p.a]
			rb, okb := rank[p.b]
			after := count[insight][pair{p.b, p.a}]
			if !oka || !okb || before+after < 5 || before*10 < (before+after)*9 {
				continue
			}
			checked++
			assert.Less(t, ra, rb, "%s comes before %s in %d of %d corpus records", p.a, p.b, before, before+after)
		}
		assert.Greater(t, checked, 30, "pairs checked (Insights: %v)", insight)
	}
}
