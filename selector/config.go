package selector

// Config is a trail's selector configuration: the members of a
// PutEventSelectors / PutInsightSelectors request, or of what
// GetEventSelectors / GetInsightSelectors print.
//
// A nil list is an absent member; a non-nil empty list is a member written
// as []. The difference matters as it does to CloudTrail: an absent
// EventSelectors is "not configured", an empty one is invalid. With both
// event selector lists nil the trail has CloudTrail's default (see
// DefaultConfig).
type Config struct {
	EventSelectors         []EventSelector         `json:"EventSelectors,omitzero"`
	AdvancedEventSelectors []AdvancedEventSelector `json:"AdvancedEventSelectors,omitzero"`
	InsightSelectors       []InsightSelector       `json:"InsightSelectors,omitzero"`
}

// EventSelector is a basic event selector.
type EventSelector struct {
	// ReadWriteType is ReadOnly, WriteOnly or All; empty means All.
	ReadWriteType ReadWriteType `json:"ReadWriteType,omitempty"`
	// IncludeManagementEvents defaults to true when nil.
	IncludeManagementEvents       *bool          `json:"IncludeManagementEvents,omitempty"`
	DataResources                 []DataResource `json:"DataResources,omitzero"`
	ExcludeManagementEventSources []string       `json:"ExcludeManagementEventSources,omitzero"`
}

// ReadWriteType says which of read and write events a basic selector logs.
type ReadWriteType string

// ReadWriteType values.
const (
	ReadOnly  ReadWriteType = "ReadOnly"
	WriteOnly ReadWriteType = "WriteOnly"
	All       ReadWriteType = "All"
)

// DataResource names the data events a basic selector logs: resources of
// Type (AWS::S3::Object, AWS::Lambda::Function or AWS::DynamoDB::Table) whose
// ARN matches one of Values.
type DataResource struct {
	Type   string   `json:"Type"`
	Values []string `json:"Values,omitzero"`
}

// AdvancedEventSelector logs the records that satisfy all its field
// selectors.
type AdvancedEventSelector struct {
	Name           string          `json:"Name,omitempty"`
	FieldSelectors []FieldSelector `json:"FieldSelectors"`
}

// FieldSelector is one condition on one record field. A record passes when
// it matches one of the Equals, StartsWith and EndsWith values (or there are
// none) and none of the NotEquals, NotStartsWith and NotEndsWith values.
type FieldSelector struct {
	Field         string   `json:"Field"`
	Equals        []string `json:"Equals,omitzero"`
	StartsWith    []string `json:"StartsWith,omitzero"`
	EndsWith      []string `json:"EndsWith,omitzero"`
	NotEquals     []string `json:"NotEquals,omitzero"`
	NotStartsWith []string `json:"NotStartsWith,omitzero"`
	NotEndsWith   []string `json:"NotEndsWith,omitzero"`
}

// InsightSelector turns on one kind of CloudTrail Insights analysis.
type InsightSelector struct {
	InsightType InsightType `json:"InsightType"`
	// EventCategories lists Management and/or Data; nil means Management.
	EventCategories []string `json:"EventCategories,omitzero"`
}

// InsightType is the kind of Insights analysis.
type InsightType string

// InsightType values.
const (
	APICallRateInsight  InsightType = "ApiCallRateInsight"
	APIErrorRateInsight InsightType = "ApiErrorRateInsight"
)

// Values of the eventCategory field and of InsightSelector.EventCategories.
const (
	CategoryManagement = "Management"
	CategoryData       = "Data"
	CategoryNetwork    = "NetworkActivity"
)

// Advanced selector field names.
const (
	FieldEventCategory                = "eventCategory"
	FieldEventSource                  = "eventSource"
	FieldEventName                    = "eventName"
	FieldEventType                    = "eventType"
	FieldReadOnly                     = "readOnly"
	FieldResourcesType                = "resources.type"
	FieldResourcesARN                 = "resources.ARN"
	FieldErrorCode                    = "errorCode"
	FieldSessionCredentialFromConsole = "sessionCredentialFromConsole"
	FieldUserIdentityARN              = "userIdentity.arn"
	FieldVPCEndpointID                = "vpcEndpointId"
)

// DefaultConfig is the configuration of a trail created without selectors,
// as get-event-selectors prints it: one basic selector logging all read and
// write management events, no data events, no network activity events and
// no Insights. A Config whose event selector lists are both nil compiles to
// the same matcher.
func DefaultConfig() Config {
	return Config{EventSelectors: []EventSelector{{
		ReadWriteType:                 All,
		IncludeManagementEvents:       boolPtr(true),
		DataResources:                 []DataResource{},
		ExcludeManagementEventSources: []string{},
	}}}
}

func boolPtr(b bool) *bool { return &b }

func cloneConfig(c Config) Config {
	out := Config{
		EventSelectors:         cloneSlice(c.EventSelectors),
		AdvancedEventSelectors: cloneSlice(c.AdvancedEventSelectors),
		InsightSelectors:       cloneSlice(c.InsightSelectors),
	}
	for i := range out.EventSelectors {
		s := &out.EventSelectors[i]
		if s.IncludeManagementEvents != nil {
			s.IncludeManagementEvents = boolPtr(*s.IncludeManagementEvents)
		}
		s.ExcludeManagementEventSources = cloneSlice(s.ExcludeManagementEventSources)
		s.DataResources = cloneSlice(s.DataResources)
		for j := range s.DataResources {
			s.DataResources[j].Values = cloneSlice(s.DataResources[j].Values)
		}
	}
	for i := range out.AdvancedEventSelectors {
		s := &out.AdvancedEventSelectors[i]
		s.FieldSelectors = cloneSlice(s.FieldSelectors)
		for j := range s.FieldSelectors {
			f := &s.FieldSelectors[j]
			for _, op := range []*[]string{&f.Equals, &f.StartsWith, &f.EndsWith, &f.NotEquals, &f.NotStartsWith, &f.NotEndsWith} {
				*op = cloneSlice(*op)
			}
		}
	}
	for i := range out.InsightSelectors {
		out.InsightSelectors[i].EventCategories = cloneSlice(out.InsightSelectors[i].EventCategories)
	}
	return out
}

// cloneSlice copies s, keeping nil nil and empty empty.
func cloneSlice[T any](s []T) []T {
	if s == nil {
		return nil
	}
	return append(make([]T, 0, len(s)), s...)
}
