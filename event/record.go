package event

//go:generate go run ./internal/genfields -in fields.txt -out fields_gen.go

import "encoding/json"

// Field is one JSON object member kept as it was read.
type Field struct {
	Key   string
	Value json.RawMessage
}

// Event types CloudTrail writes in eventType.
const (
	TypeAPICall        = "AwsApiCall"
	TypeServiceEvent   = "AwsServiceEvent"
	TypeConsoleAction  = "AwsConsoleAction"
	TypeConsoleSignIn  = "AwsConsoleSignIn"
	TypeInsight        = "AwsCloudTrailInsight"
	TypeVPCEndpoint    = "AwsVpceEvent"
	CurrentVersion     = "1.11"
	HiddenValue        = "HIDDEN_DUE_TO_SECURITY_REASONS"
	TimeLayout         = "2006-01-02T15:04:05Z"
	CategoryManagement = "Management"
	CategoryData       = "Data"
	CategoryNetwork    = "NetworkActivity"
	CategoryInsight    = "Insight"
)

// Category classifies the record as CloudTrail does: eventCategory when it is
// present, otherwise from eventType and managementEvent (records older than
// eventVersion 1.07 carry no eventCategory).
func (r *Record) Category() string {
	switch {
	case r.EventCategory != "":
		return r.EventCategory
	case r.EventType == TypeInsight:
		return CategoryInsight
	case r.EventType == TypeVPCEndpoint:
		return CategoryNetwork
	case r.ManagementEvent != nil && !*r.ManagementEvent:
		return CategoryData
	}
	return CategoryManagement
}

// Bool returns a pointer to b, for ReadOnly and ManagementEvent.
func Bool(b bool) *bool { return &b }
