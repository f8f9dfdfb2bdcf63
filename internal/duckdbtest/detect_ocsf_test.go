package duckdbtest

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/detect"
	"github.com/trailkit/trailkit/internal/testdata"
)

// TestDetectOCSF: the OCSF Detection Findings that trailkit detect
// --output ocsf prints (detect.JSONFinding.AppendOCSF), for the CIS set and
// the kept SigmaHQ rules over the corpus, are valid OCSF 1.1.0 events of
// class 2004 by the schema's own files, each naming its rule as the
// analytic, at the record's time, with the record as its evidence.
func TestDetectOCSF(t *testing.T) {
	schema := loadOCSF(t)
	rules, err := detect.LoadSigma(filepath.Join("..", "..", "detect", "testdata", "sigma"))
	require.NoError(t, err)
	set := detect.NewSet(append(rules, detect.CIS()...)...)
	findings, invalid := 0, 0
	levels := map[any]int{}
	var first []byte
	for _, rec := range testdata.Records(t) {
		var want map[string]any
		require.NoError(t, json.Unmarshal(rec, &want))
		set.MatchJSON(rec, func(f detect.JSONFinding) {
			findings++
			var ev map[string]any
			b := f.AppendOCSF(nil)
			if first == nil {
				first = b
			}
			require.NoError(t, json.Unmarshal(b, &ev))
			if errs := schema.validate(t, ev); len(errs) > 0 {
				if invalid < 5 {
					t.Errorf("rule %s: invalid OCSF Detection Finding: %v", f.Rule.ID, errs)
				}
				invalid++
			}
			require.EqualValues(t, 2004, ev["class_uid"])
			levels[ev["severity_id"]]++
			info, _ := ev["finding_info"].(map[string]any)
			analytic, _ := info["analytic"].(map[string]any)
			require.Equal(t, f.Rule.ID, analytic["uid"])
			evidences, _ := ev["evidences"].([]any)
			require.Len(t, evidences, 1)
			require.Equal(t, want, evidences[0].(map[string]any)["data"])
			if tm, err := time.Parse("2006-01-02T15:04:05Z", f.EventTime); err == nil {
				require.EqualValues(t, tm.UnixMilli(), ev["time"])
			}
		})
	}
	require.Zero(t, invalid, "findings invalid against OCSF 1.1.0")
	// The validator knows class 2004: it rejects a finding without its
	// finding_info, with an analytic type out of its enumeration, or with
	// an attribute the class does not have.
	for _, tc := range []struct {
		edit func(ev map[string]any)
		want string
	}{
		{func(ev map[string]any) { delete(ev, "finding_info") }, "finding_info: required, missing"},
		{func(ev map[string]any) {
			ev["finding_info"].(map[string]any)["analytic"].(map[string]any)["type_id"] = 42.0
		}, "finding_info.analytic.type_id: 42 is not in its enumeration"},
		{func(ev map[string]any) { ev["logon_type"] = "x" }, "logon_type: not an attribute here"},
	} {
		var ev map[string]any
		require.NoError(t, json.Unmarshal(first, &ev))
		tc.edit(ev)
		require.Contains(t, strings.Join(schema.validate(t, ev), "; "), tc.want)
	}
	require.Greater(t, findings, 1000, "findings over the corpus")
	require.Greater(t, len(levels), 2, "severities seen: %v", levels)
	t.Logf("%d findings, severity_id counts %v", findings, levels)
}
