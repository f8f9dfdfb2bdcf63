package duckdbtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/testdata"
	"github.com/trailkit/trailkit/lake"
)

// A validator of OCSF events against the OCSF 1.1.0 schema's own files
// (testdata/ocsf-1.1.0, from github.com/ocsf/ocsf-schema at v1.1.0, Apache
// 2.0): the attributes of a class (with its category, base event, includes
// and the cloud and datetime profiles) and of each object (with what it
// extends), typed by the dictionary. An event is valid when every attribute
// it has is one of its class's or object's, of the dictionary's type
// (arrays where the dictionary says is_array), every required attribute is
// present, and each *_id with an enumeration holds one of its values.

type ocsfAttr struct {
	Requirement string         `json:"requirement"`
	Type        string         `json:"type"`
	IsArray     bool           `json:"is_array"`
	Enum        map[string]any `json:"enum"`
}

type ocsfDef struct {
	Name       string                     `json:"name"`
	UID        int                        `json:"uid"`
	Extends    string                     `json:"extends"`
	Attributes map[string]json.RawMessage `json:"attributes"`
}

type ocsfSchema struct {
	dir     string
	dict    map[string]ocsfAttr
	types   map[string]string // derived type -> base type
	objects map[string]map[string]ocsfAttr
	classes map[int]map[string]ocsfAttr
}

func loadJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, v), path)
}

func loadOCSF(t *testing.T) *ocsfSchema {
	t.Helper()
	s := &ocsfSchema{dir: filepath.Join("testdata", "ocsf-1.1.0"), types: map[string]string{}, objects: map[string]map[string]ocsfAttr{}, classes: map[int]map[string]ocsfAttr{}}
	var dict struct {
		Attributes map[string]ocsfAttr `json:"attributes"`
		Types      struct {
			Attributes map[string]struct {
				Type string `json:"type"`
			} `json:"attributes"`
		} `json:"types"`
	}
	loadJSON(t, filepath.Join(s.dir, "dictionary.json"), &dict)
	s.dict = dict.Attributes
	for name, ty := range dict.Types.Attributes {
		s.types[name] = ty.Type
	}
	for _, c := range []string{"application/api", "iam/authentication", "iam/account_change", "findings/detection_finding"} {
		var def ocsfDef
		loadJSON(t, filepath.Join(s.dir, "events", c+".json"), &def)
		s.classes[classUID(c, def.UID)] = s.eventAttrs(t, filepath.Join(s.dir, "events", c+".json"))
	}
	return s
}

// classUID is a class's uid: its category's uid times 1000 plus its own.
func classUID(class string, uid int) int {
	cats := map[string]int{"application": 6, "iam": 3, "findings": 2}
	return cats[strings.Split(class, "/")[0]]*1000 + uid
}

// eventAttrs merges the attributes of an event class file with those of
// what it extends and includes, the class's own last.
func (s *ocsfSchema) eventAttrs(t *testing.T, path string) map[string]ocsfAttr {
	t.Helper()
	var def ocsfDef
	loadJSON(t, path, &def)
	out := map[string]ocsfAttr{}
	switch def.Extends {
	case "":
	case "base_event":
		maps.Copy(out, s.eventAttrs(t, filepath.Join(s.dir, "events", "base_event.json")))
	default: // a class of the same category (its own, or finding for findings)
		maps.Copy(out, s.eventAttrs(t, filepath.Join(filepath.Dir(path), def.Extends+".json")))
	}
	s.mergeAttrs(t, out, def.Attributes)
	return out
}

// mergeAttrs adds attributes to out, following $include.
func (s *ocsfSchema) mergeAttrs(t *testing.T, out map[string]ocsfAttr, attrs map[string]json.RawMessage) {
	t.Helper()
	for name, raw := range attrs {
		if name == "$include" {
			var incs []string
			if err := json.Unmarshal(raw, &incs); err != nil {
				var one string
				require.NoError(t, json.Unmarshal(raw, &one))
				incs = []string{one}
			}
			for _, inc := range incs {
				if strings.HasPrefix(inc, "profiles/") && inc != "profiles/cloud.json" && inc != "profiles/datetime.json" {
					continue // a profile the events do not declare
				}
				var def ocsfDef
				loadJSON(t, filepath.Join(s.dir, inc), &def)
				s.mergeAttrs(t, out, def.Attributes)
			}
			continue
		}
		var a ocsfAttr
		require.NoError(t, json.Unmarshal(raw, &a), name)
		prev := out[name]
		if a.Requirement == "" {
			a.Requirement = prev.Requirement
		}
		if a.Enum == nil {
			a.Enum = prev.Enum
		}
		out[name] = a
	}
}

// object returns the attributes of an object, with those it extends.
func (s *ocsfSchema) object(t *testing.T, name string) map[string]ocsfAttr {
	t.Helper()
	if o, ok := s.objects[name]; ok {
		return o
	}
	var def ocsfDef
	loadJSON(t, filepath.Join(s.dir, "objects", name+".json"), &def)
	out := map[string]ocsfAttr{}
	if def.Extends != "" {
		maps.Copy(out, s.object(t, def.Extends))
	}
	// Objects' $include names profiles of other objects (endpoint's
	// container): those attributes are not used here, and not allowed.
	delete(def.Attributes, "$include")
	s.mergeAttrs(t, out, def.Attributes)
	s.objects[name] = out
	return out
}

// validate checks one event, returning every violation.
func (s *ocsfSchema) validate(t *testing.T, ev map[string]any) []string {
	t.Helper()
	uid, ok := ev["class_uid"].(float64)
	if !ok {
		return []string{"class_uid missing"}
	}
	attrs, ok := s.classes[int(uid)]
	if !ok {
		return []string{fmt.Sprintf("class_uid %v is not a class of this validator", uid)}
	}
	var errs []string
	s.check(t, "", ev, attrs, &errs)
	return errs
}

func (s *ocsfSchema) check(t *testing.T, path string, obj map[string]any, attrs map[string]ocsfAttr, errs *[]string) {
	for name, a := range attrs {
		if a.Requirement == "required" && obj[name] == nil {
			*errs = append(*errs, path+name+": required, missing")
		}
	}
	for name, v := range obj {
		if v == nil {
			continue
		}
		a, ok := attrs[name]
		if !ok {
			base, isDt := strings.CutSuffix(name, "_dt")
			if ba, ok := attrs[base]; isDt && ok && s.dictType(base, ba) == "timestamp_t" {
				if _, isStr := v.(string); !isStr {
					*errs = append(*errs, path+name+": datetime, not a string")
				}
				continue
			}
			*errs = append(*errs, path+name+": not an attribute here")
			continue
		}
		d := s.dict[name]
		ty := s.dictType(name, a)
		if d.IsArray || a.IsArray {
			arr, ok := v.([]any)
			if !ok {
				*errs = append(*errs, path+name+": want an array")
				continue
			}
			for i, e := range arr {
				s.checkValue(t, fmt.Sprintf("%s%s[%d]", path, name, i), ty, e, errs)
			}
			continue
		}
		s.checkValue(t, path+name, ty, v, errs)
		if strings.HasSuffix(name, "_id") {
			enum := map[string]any{}
			maps.Copy(enum, d.Enum)
			maps.Copy(enum, a.Enum)
			if len(enum) > 0 {
				if _, ok := enum[fmt.Sprint(v)]; !ok {
					*errs = append(*errs, fmt.Sprintf("%s%s: %v is not in its enumeration", path, name, v))
				}
			}
		}
	}
}

func (s *ocsfSchema) dictType(name string, a ocsfAttr) string {
	if a.Type != "" {
		return a.Type
	}
	return s.dict[name].Type
}

func (s *ocsfSchema) checkValue(t *testing.T, path, ty string, v any, errs *[]string) {
	base := ty
	for s.types[base] != "" {
		base = s.types[base]
	}
	bad := func(want string) { *errs = append(*errs, fmt.Sprintf("%s: %T, want %s (%s)", path, v, want, ty)) }
	switch base {
	case "string_t":
		if _, ok := v.(string); !ok {
			bad("string")
		}
	case "integer_t", "long_t":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			bad("integer")
		}
	case "float_t":
		if _, ok := v.(float64); !ok {
			bad("number")
		}
	case "boolean_t":
		if _, ok := v.(bool); !ok {
			bad("boolean")
		}
	case "json_t":
	case "object":
		if _, ok := v.(map[string]any); !ok {
			bad("object")
		}
	default:
		if strings.HasSuffix(base, "_t") {
			*errs = append(*errs, path+": unknown type "+base)
			return
		}
		o, ok := v.(map[string]any)
		if !ok {
			bad("object " + base)
			return
		}
		s.check(t, path+".", o, s.object(t, base), errs)
	}
}

// expectedOCSF renders what the OCSF row of an input record must hold: its
// class (sign-ins are Authentication, IAM's changes to users Account
// Change, the rest API Activity, per the published Security Lake mapping),
// api.operation, time and cloud.region.
func expectedOCSF(t *testing.T, rec []byte) string {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(rec, &m))
	str := func(k string) string { s, _ := m[k].(string); return s }
	class := 6003
	switch {
	case str("eventType") == "AwsConsoleSignIn", str("eventSource") == "signin.amazonaws.com" && str("eventName") == "ConsoleLogin":
		class = 3002
	case str("eventSource") == "iam.amazonaws.com" && accountChange[str("eventName")]:
		class = 3001
	}
	ms := "NULL"
	if tm, err := time.Parse("2006-01-02T15:04:05Z", str("eventTime")); err == nil && len(str("eventTime")) == 20 {
		ms = strconv.FormatInt(tm.UnixMilli(), 10)
	}
	return fmt.Sprintf("uid=%s class=%d op=%s time=%s region=%s", nullIfEmpty(str("eventID")), class, str("eventName"), ms, nullIfEmpty(str("awsRegion")))
}

var accountChange = map[string]bool{"CreateUser": true, "CreateLoginProfile": true, "EnableMFADevice": true, "ChangePassword": true,
	"UpdateLoginProfile": true, "DeleteLoginProfile": true, "DeleteUser": true, "AttachUserPolicy": true, "PutUserPolicy": true,
	"DetachUserPolicy": true, "DeleteUserPolicy": true, "DeactivateMFADevice": true}

// checkOCSF reads the ocsf export in dir with DuckDB, validates every row
// against the schema and compares the rows with the input records.
func checkOCSF(t *testing.T, dir string, recs [][]byte) {
	t.Helper()
	schema := loadOCSF(t)
	rows, err := Open(t).Query(fmt.Sprintf("SELECT CAST(to_json(t) AS VARCHAR) FROM read_parquet('%s/*/*/*/*.parquet', hive_partitioning = false) t", dir))
	require.NoError(t, err)
	defer rows.Close()
	var got []string
	invalid := 0
	for rows.Next() {
		var js string
		require.NoError(t, rows.Scan(&js))
		var ev map[string]any
		require.NoError(t, json.Unmarshal([]byte(js), &ev))
		if errs := schema.validate(t, ev); len(errs) > 0 {
			if invalid < 5 {
				t.Errorf("invalid OCSF event %v: %v", ev["metadata"], errs)
			}
			invalid++
		}
		api, _ := ev["api"].(map[string]any)
		cloud, _ := ev["cloud"].(map[string]any)
		md, _ := ev["metadata"].(map[string]any)
		ms := "NULL"
		if tm, ok := ev["time"].(float64); ok && tm != 0 {
			ms = strconv.FormatInt(int64(tm), 10)
		}
		got = append(got, fmt.Sprintf("uid=%s class=%v op=%v time=%s region=%s", strOrNull(md["uid"]), ev["class_uid"], api["operation"], ms, strOrNull(cloud["region"])))
	}
	require.NoError(t, rows.Err())
	require.Zero(t, invalid, "rows invalid against OCSF 1.1.0")
	want := make([]string, len(recs))
	for i, r := range recs {
		want[i] = expectedOCSF(t, r)
	}
	requireSameRows(t, want, got)
}

func TestOCSFCorpus(t *testing.T) {
	recs := testdata.Records(t)
	dir := exportDir(t, lake.Options{Format: lake.OCSF}, map[string][]byte{"records.jsonl": bytes.Join(recs, []byte("\n"))})
	checkOCSF(t, dir, recs)
}

// TestOCSFSynth: 20,000 generated records by default,
// TRAILKIT_LAKE_RECORDS=200000 for the acceptance run.
func TestOCSFSynth(t *testing.T) {
	lines, gz := synthLogFile(t, recordsFromEnv(20000))
	dir := exportDir(t, lake.Options{Format: lake.OCSF}, map[string][]byte{"AWSLogs/x.json.gz": gz})
	checkOCSF(t, dir, lines)
}

// The validator rejects what it should, so that its silence above means
// something.
func TestOCSFValidatorRejects(t *testing.T) {
	s := loadOCSF(t)
	valid := func() map[string]any {
		var ev map[string]any
		require.NoError(t, json.Unmarshal([]byte(`{"class_uid":6003,"category_uid":6,"activity_id":2,"type_uid":600302,"severity_id":1,"time":1,
			"metadata":{"product":{"vendor_name":"AWS","name":"CloudTrail"},"version":"1.1.0"},"cloud":{"provider":"AWS"},
			"api":{"operation":"GetObject"},"actor":{"user":{"uid":"arn"}},"src_endpoint":{"ip":"192.0.2.1"}}`), &ev))
		return ev
	}
	require.Empty(t, s.validate(t, valid()))
	tests := []struct {
		name string
		edit func(map[string]any)
		want string
	}{
		{"unknown attribute", func(ev map[string]any) { ev["colour"] = "red" }, "colour: not an attribute here"},
		{"missing required", func(ev map[string]any) { delete(ev, "api") }, "api: required, missing"},
		{"wrong type", func(ev map[string]any) { ev["time"] = "now" }, "time: string, want integer"},
		{"nested unknown", func(ev map[string]any) { ev["actor"].(map[string]any)["user"].(map[string]any)["arn"] = "x" }, "actor.user.arn: not an attribute here"},
		{"enum", func(ev map[string]any) { ev["activity_id"] = 7.0 }, "activity_id: 7 is not in its enumeration"},
	}
	for _, tt := range tests {
		ev := valid()
		tt.edit(ev)
		require.Contains(t, strings.Join(s.validate(t, ev), "; "), tt.want, tt.name)
	}
}
