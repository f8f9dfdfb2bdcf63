package selector

import "github.com/trailkit/trailkit/event"

// basicSelector is a compiled EventSelector.
type basicSelector struct {
	readWrite  ReadWriteType // "" means All
	management bool
	exclude    patterns
	data       []basicResource
}

type basicResource struct {
	typ      pattern
	all      bool     // an "all resources of the type" value such as arn:aws:s3
	prefixes patterns // S3 object values: plain string prefixes
	exact    valueSet // Lambda and DynamoDB values: whole ARNs
}

func compileBasic(s EventSelector) basicSelector {
	c := basicSelector{
		readWrite:  s.ReadWriteType,
		management: s.IncludeManagementEvents == nil || *s.IncludeManagementEvents,
		exclude:    newPatterns(s.ExcludeManagementEventSources),
	}
	if c.readWrite == All {
		c.readWrite = ""
	}
	for _, d := range s.DataResources {
		res := basicResource{typ: newPattern(d.Type, 0)}
		var prefixes, exact []string
		for _, v := range d.Values {
			switch {
			case isAllResourcesValue(d.Type, v):
				res.all = true
			case d.Type == basicTypeS3Object:
				prefixes = append(prefixes, v)
			default:
				exact = append(exact, v)
			}
		}
		res.prefixes, res.exact = newPatterns(prefixes), newValueSet(exact)
		c.data = append(c.data, res)
	}
	return c
}

// isAllResourcesValue reports whether a basic value selects every resource
// of its type: arn:<partition>:s3, arn:<partition>:s3:::,
// arn:<partition>:lambda, arn:<partition>:dynamodb.
func isAllResourcesValue(typ, v string) bool {
	_, rest, ok := splitARN(v)
	if !ok {
		return false
	}
	return rest == "" || typ == basicTypeS3Object && rest == ":::"
}

func (s *basicSelector) evaluate(r *event.Record, cat category) verdict {
	switch cat {
	case catManagement, catData:
	case catInsight:
		return miss(reasonInsight, -1)
	default:
		return miss(reasonCategory, -1)
	}
	if s.readWrite != "" && (r.ReadOnly == nil || *r.ReadOnly != (s.readWrite == ReadOnly)) {
		return miss(reasonReadWrite, -1)
	}
	if cat == catManagement {
		if !s.management {
			return miss(reasonNoManagement, -1)
		}
		if s.exclude.anyEqual(r.EventSource) {
			return miss(reasonExcludedSource, -1)
		}
		return matched
	}
	for i := range s.data {
		d := &s.data[i]
		for j := range r.Resources {
			if d.matches(&r.Resources[j]) {
				return verdict{why: reasonMatched, at: int16(i), res: int16(j)}
			}
		}
	}
	return miss(reasonNoDataResource, -1)
}

func (d *basicResource) matches(res *event.Resource) bool {
	if len(res.Type) != len(d.typ.s) || !d.typ.is(res.Type) {
		return false
	}
	if d.all {
		return true
	}
	arn := resourceARN(res)
	return d.exact.contains(arn) || d.prefixes.anyPrefixOf(arn)
}
