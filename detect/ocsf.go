package detect

import (
	"strconv"
	"time"

	"github.com/trailkit/trailkit/internal/jsonscan"
)

// ocsfSeverity maps Sigma levels onto OCSF severity_id.
var ocsfSeverity = map[string]struct {
	id   int
	name string
}{
	"informational": {1, "Informational"},
	"low":           {2, "Low"},
	"medium":        {3, "Medium"},
	"high":          {4, "High"},
	"critical":      {5, "Critical"},
}

// AppendOCSF appends the finding as an OCSF 1.1 Detection Finding (class
// 2004, activity Create, one JSON object) to b: the rule is the
// analytic, the record the evidence, with the record's time, region and
// eventName as the event's time, cloud.region and api.operation. It is
// what "trailkit detect --output ocsf" prints.
func (f JSONFinding) AppendOCSF(b []byte) []byte {
	r := f.Rule
	sev, ok := ocsfSeverity[r.Level]
	if !ok {
		sev.id, sev.name = 99, "Other"
	}
	var ms int64
	if t, err := time.Parse(time.RFC3339, f.EventTime); err == nil {
		ms = t.UnixMilli()
	}
	b = append(b, `{"activity_id":1,"activity_name":"Create","category_uid":2,"category_name":"Findings","class_uid":2004,"class_name":"Detection Finding","type_uid":200401,"type_name":"Detection Finding: Create","severity_id":`...)
	b = strconv.AppendInt(b, int64(sev.id), 10)
	b = append(b, `,"severity":`...)
	b = jsonscan.AppendString(b, sev.name)
	b = append(b, `,"status_id":1,"status":"New","time":`...)
	b = strconv.AppendInt(b, ms, 10)
	b = append(b, `,"metadata":{"version":"1.1.0","profiles":["cloud"],"product":{"name":"trailkit","vendor_name":"trailkit"}},"finding_info":{"uid":`...)
	b = jsonscan.AppendString(b, r.ID+":"+f.EventID)
	b = append(b, `,"title":`...)
	b = jsonscan.AppendString(b, r.Title)
	b = append(b, `,"analytic":{"uid":`...)
	b = jsonscan.AppendString(b, r.ID)
	b = append(b, `,"name":`...)
	b = jsonscan.AppendString(b, r.Title)
	b = append(b, `,"type_id":1,"type":"Rule","category":`...)
	b = jsonscan.AppendString(b, r.Source)
	b = append(b, `}`...)
	if r.Author != "" {
		b = append(b, `,"desc":`...)
		b = jsonscan.AppendString(b, "rule by "+r.Author)
	}
	b = append(b, `},"cloud":{"provider":"AWS","region":`...)
	b = jsonscan.AppendString(b, f.AWSRegion)
	b = append(b, `},"api":{"operation":`...)
	b = jsonscan.AppendString(b, f.EventName)
	b = append(b, `},"evidences":[{"data":`...)
	b = append(b, f.Record...)
	b = append(b, `}]}`...)
	return b
}
