package insight

import (
	"encoding/json"
	"math"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
)

// EventVersion is the eventVersion of the Insights events the detector
// writes: the version CloudTrail writes its Insights events with, the first
// with insightDetails.errorCode.
const EventVersion = "1.08"

// Insights states, in insightDetails.state.
const (
	StateStart = "Start"
	StateEnd   = "End"
)

// sharedID is the sharedEventID of the Insight of series s starting at
// minute m. It is a name-based UUID, so a detector restored from older
// state that raises the same Insight again writes the same ID.
func (d *Detector) sharedID(a *api, s *series, m int64) string {
	b := make([]byte, 0, 128)
	b = append(b, s.insightType()...)
	b = append(b, 0, '0'+a.key.cat, 0)
	b = append(b, a.key.source...)
	b = append(b, 0)
	b = append(b, a.key.name...)
	b = append(b, 0)
	b = append(b, s.code...)
	b = append(b, 0)
	b = strconv.AppendInt(b, m, 10)
	return uuid.NewSHA1(d.ids, b).String()
}

func (s *series) insightType() string {
	if s.kind == errorRate {
		return string(selector.APIErrorRateInsight)
	}
	return string(selector.APICallRateInsight)
}

// record builds the Insights event of s's open Insight: state Start or End
// at minute m, with the insight average avg and the insight attributions.
func (d *Detector) record(a *api, s *series, state string, m int64, avg float64, insight [][]attrValue) *event.Record {
	o := s.open
	attributions := make([]event.InsightAttribution, len(s.attrs))
	for i := range attributions {
		attributions[i] = event.InsightAttribution{
			Attribute: attrNames[i],
			Insight:   attributeValues(insight[i]),
			Baseline:  attributeValues(o.baseline[i]),
		}
	}
	return &event.Record{
		EventVersion:       EventVersion,
		EventTime:          time.Unix(m*60, 0).UTC(),
		AWSRegion:          d.cfg.Region,
		EventID:            uuid.NewSHA1(d.ids, []byte(o.shared+"\x00"+state)).String(),
		EventType:          event.TypeInsight,
		RecipientAccountID: d.cfg.AccountID,
		SharedEventID:      o.shared,
		EventCategory:      event.CategoryInsight,
		InsightDetails: &event.InsightDetails{
			State:       state,
			EventSource: a.key.source,
			EventName:   a.key.name,
			InsightType: s.insightType(),
			ErrorCode:   s.code,
			InsightContext: &event.InsightContext{
				Statistics: &event.InsightStatistics{
					Baseline:         &event.InsightAverage{Average: number(o.mean)},
					Insight:          &event.InsightAverage{Average: number(avg)},
					InsightDuration:  json.Number(strconv.FormatInt(o.dur, 10)),
					BaselineDuration: json.Number(strconv.FormatInt(o.minutes, 10)),
				},
				Attributions: attributions,
			},
		},
	}
}

// attributeValues converts a list, keeping an empty list non-nil so that
// it is written as [] and every attribution has the same keys.
func attributeValues(list []attrValue) []event.AttributeValue {
	out := make([]event.AttributeValue, len(list))
	for i, v := range list {
		out[i] = event.AttributeValue{Value: v.value, Average: number(v.avg)}
	}
	return out
}

// number writes an average as CloudTrail does: a plain decimal rounded to
// ten places, without trailing zeros (0.6, 1.3333333333, 0.0000882145,
// 664).
func number(x float64) json.Number {
	if math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
		x = 0
	}
	r := math.Round(x*1e10) / 1e10
	if r == 0 && x > 0 {
		// Too small for ten places: keep it rather than write 0 for a
		// value that was seen.
		return json.Number(strconv.FormatFloat(x, 'g', 6, 64))
	}
	return json.Number(strconv.FormatFloat(r, 'f', -1, 64))
}
