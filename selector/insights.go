package selector

import "github.com/trailkit/trailkit/event"

// InsightSelectors returns the trail's Insights configuration: nil or empty
// when Insights are off.
func (m *Matcher) InsightSelectors() []InsightSelector {
	return cloneConfig(Config{InsightSelectors: m.insights}).InsightSelectors
}

// InsightsEnabled reports whether Insights analysis of type t is on for
// records of the given category (CategoryManagement or CategoryData).
func (m *Matcher) InsightsEnabled(t InsightType, category string) bool {
	for _, s := range m.insights {
		if s.InsightType != t {
			continue
		}
		if s.EventCategories == nil {
			return category == CategoryManagement
		}
		for _, c := range s.EventCategories {
			if c == category {
				return true
			}
		}
	}
	return false
}

// InsightsCount reports whether the Insights analysis of type t counts r.
// That takes three things: the trail logs r (Insights read only what the
// event selectors deliver), Insights of type t are on for r's category, and
// r is an event that analysis reads. For management events,
// ApiCallRateInsight reads write events only (readOnly false) and
// ApiErrorRateInsight reads read and write events; for data events both
// read every event. Deciding whether a counted call failed is the
// detector's part (r.ErrorCode). InsightsCount allocates nothing.
func (m *Matcher) InsightsCount(t InsightType, r *event.Record) bool {
	if r == nil {
		return false
	}
	cat := categoryOf(r)
	var name string
	switch cat {
	case catManagement:
		name = CategoryManagement
		if t == APICallRateInsight && !IsWriteManagementEvent(r) {
			return false
		}
	case catData:
		name = CategoryData
	default:
		return false
	}
	return m.InsightsEnabled(t, name) && m.Match(r)
}

// IsWriteManagementEvent reports whether r is a management event that
// changes or may change state: the events ApiCallRateInsight analyses. A
// record without readOnly is not counted as a write.
func IsWriteManagementEvent(r *event.Record) bool {
	return r != nil && categoryOf(r) == catManagement && r.ReadOnly != nil && !*r.ReadOnly
}
