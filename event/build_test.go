package event_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
)

func TestNew(t *testing.T) {
	before := time.Now().UTC().Truncate(time.Second)
	r := event.New("orders.example.com", "CreateOrder")
	after := time.Now().UTC()
	assert.Equal(t, "orders.example.com", r.EventSource)
	assert.Equal(t, "CreateOrder", r.EventName)
	assert.Equal(t, event.CurrentVersion, r.EventVersion)
	assert.Equal(t, "1.11", r.EventVersion)
	id, err := uuid.Parse(r.EventID)
	require.NoError(t, err, "eventID is a UUID")
	assert.Equal(t, uuid.Version(4), id.Version())
	assert.Equal(t, time.UTC, r.EventTime.Location())
	assert.Zero(t, r.EventTime.Nanosecond(), "second precision")
	assert.False(t, r.EventTime.Before(before) || r.EventTime.After(after), "now")
	assert.Equal(t, event.TypeAPICall, r.EventType)
	assert.Equal(t, event.CategoryManagement, r.EventCategory)
	require.NotNil(t, r.ManagementEvent)
	assert.True(t, *r.ManagementEvent)
	assert.NotEqual(t, r.EventID, event.New("a", "b").EventID, "a new id each time")

	// Written as CloudTrail writes it.
	out := string(r.AppendJSON(nil))
	assert.Regexp(t, `"eventTime":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"`, out)
}

func TestFill(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.FixedZone("CET", 3600))
	tests := []struct {
		name  string
		in    event.Record
		acct  string
		check func(t *testing.T, r *event.Record)
	}{
		{"empty record", event.Record{}, "111122223333", func(t *testing.T, r *event.Record) {
			assert.Equal(t, time.Date(2026, 1, 2, 2, 4, 5, 0, time.UTC), r.EventTime, "UTC, truncated to the second")
			assert.Equal(t, "111122223333", r.RecipientAccountID)
			assert.Equal(t, event.TypeAPICall, r.EventType)
		}},
		{"recipient from the caller", event.Record{UserIdentity: &event.UserIdentity{AccountID: "444455556666"}}, "", func(t *testing.T, r *event.Record) {
			assert.Equal(t, "444455556666", r.RecipientAccountID)
		}},
		{"set values are kept", event.Record{EventVersion: "1.08", EventID: "x", EventTime: time.Unix(0, 0).UTC(),
			EventType: event.TypeServiceEvent, RecipientAccountID: "777788889999", ManagementEvent: event.Bool(false), EventCategory: event.CategoryData}, "111122223333",
			func(t *testing.T, r *event.Record) {
				assert.Equal(t, "1.08", r.EventVersion)
				assert.Equal(t, "x", r.EventID)
				assert.Equal(t, time.Unix(0, 0).UTC(), r.EventTime)
				assert.Equal(t, event.TypeServiceEvent, r.EventType)
				assert.Equal(t, "777788889999", r.RecipientAccountID)
				assert.False(t, *r.ManagementEvent)
				assert.Equal(t, event.CategoryData, r.EventCategory)
			}},
		{"data event", event.Record{EventCategory: event.CategoryData}, "", func(t *testing.T, r *event.Record) {
			require.NotNil(t, r.ManagementEvent)
			assert.False(t, *r.ManagementEvent)
		}},
		{"network activity event", event.Record{EventType: event.TypeVPCEndpoint}, "", func(t *testing.T, r *event.Record) {
			assert.Equal(t, event.CategoryNetwork, r.EventCategory)
			assert.Nil(t, r.ManagementEvent, "network activity events carry no managementEvent")
		}},
		{"Insights event", event.Record{EventType: event.TypeInsight}, "", func(t *testing.T, r *event.Record) {
			assert.Equal(t, event.CategoryInsight, r.EventCategory)
			assert.Nil(t, r.ManagementEvent)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.in
			r.Fill(tt.acct, now)
			tt.check(t, &r)
		})
	}
}

// valid returns a record that passes Validate.
func valid() *event.Record {
	r := &event.Record{
		EventSource: "orders.example.com", EventName: "CreateOrder", AWSRegion: "eu-west-1",
		UserIdentity: &event.UserIdentity{Type: "IAMUser", AccountID: "111122223333"},
	}
	r.Fill("", time.Now())
	return r
}

func TestValidateNamesTheFieldAndWhy(t *testing.T) {
	require.NoError(t, valid().Validate())
	tests := []struct {
		name   string
		change func(r *event.Record)
		field  string
		reason string
	}{
		{"no eventVersion", func(r *event.Record) { r.EventVersion = "" }, "eventVersion", "missing"},
		{"bad eventVersion", func(r *event.Record) { r.EventVersion = "v1" }, "eventVersion", `"v1" is not of the form major.minor`},
		{"no eventTime", func(r *event.Record) { r.EventTime = time.Time{} }, "eventTime", "missing"},
		{"sub-second eventTime", func(r *event.Record) { r.EventTime = r.EventTime.Add(time.Millisecond) }, "eventTime", "must be a whole second"},
		{"no eventID", func(r *event.Record) { r.EventID = "" }, "eventID", "missing"},
		{"no eventType", func(r *event.Record) { r.EventType = "" }, "eventType", "missing"},
		{"no awsRegion", func(r *event.Record) { r.AWSRegion = "" }, "awsRegion", "missing"},
		{"no recipientAccountId", func(r *event.Record) { r.RecipientAccountID = "" }, "recipientAccountId", "missing"},
		{"no eventSource", func(r *event.Record) { r.EventSource = "" }, "eventSource", "missing"},
		{"no eventName", func(r *event.Record) { r.EventName = "" }, "eventName", "missing"},
		{"unknown eventType", func(r *event.Record) { r.EventType = "AwsApiCal" }, "eventType", `"AwsApiCal" is not a CloudTrail event type`},
		{"unknown eventCategory", func(r *event.Record) { r.EventCategory = "Other" }, "eventCategory", `"Other" is not a CloudTrail event category`},
		{"bad recipientAccountId", func(r *event.Record) { r.RecipientAccountID = "1234" }, "recipientAccountId", `"1234" is not a 12-digit account id`},
		{"no userIdentity", func(r *event.Record) { r.UserIdentity = nil }, "userIdentity", "missing"},
		{"Insights event without insightDetails", func(r *event.Record) { r.EventType = event.TypeInsight }, "insightDetails", "missing on an Insights event"},
		{"invalid requestParameters", func(r *event.Record) { r.RequestParameters = json.RawMessage(`{"a":`) }, "requestParameters", "is not valid JSON"},
		{"invalid responseElements", func(r *event.Record) { r.ResponseElements = json.RawMessage(`nul`) }, "responseElements", "is not valid JSON"},
		{"invalid additionalEventData", func(r *event.Record) { r.AdditionalEventData = json.RawMessage(`{x}`) }, "additionalEventData", "is not valid JSON"},
		{"invalid serviceEventDetails", func(r *event.Record) { r.ServiceEventDetails = json.RawMessage(`[`) }, "serviceEventDetails", "is not valid JSON"},
		{"invalid edgeDeviceDetails.attributes", func(r *event.Record) {
			r.EdgeDeviceDetails = &event.EdgeDeviceDetails{Attributes: json.RawMessage(`}`)}
		}, "edgeDeviceDetails.attributes", "is not valid JSON"},
		{"invalid eventContext.tagContext", func(r *event.Record) {
			r.EventContext = &event.EventContext{TagContext: json.RawMessage(`{"a"}`)}
		}, "eventContext.tagContext", "is not valid JSON"},
		{"invalid Extra member", func(r *event.Record) {
			r.Extra = []event.Field{{Key: "custom", Value: json.RawMessage(`{`)}}
		}, "record", "does not encode as valid JSON"},
		{"invalid insight average", func(r *event.Record) {
			r.EventType = event.TypeInsight
			r.EventCategory = event.CategoryInsight
			r.InsightDetails = &event.InsightDetails{InsightContext: &event.InsightContext{
				Statistics: &event.InsightStatistics{Baseline: &event.InsightAverage{Average: "lots"}}}}
		}, "record", "does not encode as valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := valid()
			tt.change(r)
			err := r.Validate()
			var se *event.ShapeError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.field, se.Field)
			assert.Contains(t, se.Reason, tt.reason)
			assert.Equal(t, se.Field+": "+se.Reason, err.Error())
		})
	}
}

func TestValidateInsightsEvent(t *testing.T) {
	r := decode(t, fullInsight)
	require.NoError(t, r.Validate(), "an Insights event needs no userIdentity, eventSource or eventName")
}
