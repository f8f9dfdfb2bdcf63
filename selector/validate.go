package selector

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// CloudTrail's limits on a trail's selectors.
const (
	MaxEventSelectors     = 5    // basic selectors per trail
	MaxDataResourceValues = 250  // DataResources.Values over all basic selectors
	MaxAdvancedValues     = 500  // values over all advanced selectors
	MaxValueLength        = 2048 // characters in one value
	MaxSelectorNameLength = 1000 // characters in an advanced selector's Name
	MaxFieldLength        = 1000 // characters in a Field
)

// Values CloudTrail fixes, and the lists of them that messages quote.
const (
	excludableKMS             = "kms.amazonaws.com"
	excludableRDSData         = "rdsdata.amazonaws.com"
	vpceAccessDenied          = "VpceAccessDenied"
	basicTypeS3Object         = "AWS::S3::Object"
	basicTypeLambdaFunction   = "AWS::Lambda::Function"
	basicTypeDynamoDBTable    = "AWS::DynamoDB::Table"
	validReadWriteTypes       = "ReadOnly, WriteOnly, All"
	validExcludedSources      = excludableKMS + ", " + excludableRDSData
	validInsightTypes         = "ApiCallRateInsight, ApiErrorRateInsight"
	validTrailEventCategories = "Management, Data, NetworkActivity"
)

// Options tune Validate and Compile.
type Options struct {
	// Catalog lists the resources.type values and network activity event
	// sources accepted; nil means DefaultCatalog().
	Catalog *Catalog
}

var defaultSets = sync.OnceValue(func() catalogSets {
	c := DefaultCatalog()
	return c.sets()
})

func (o Options) sets() catalogSets {
	if o.Catalog == nil {
		return defaultSets()
	}
	return o.Catalog.sets()
}

// Validate reports the first rule of PutEventSelectors or
// PutInsightSelectors that c breaks, as an *Error carrying CloudTrail's
// exception name, or nil when CloudTrail would accept c.
func (c Config) Validate(opts Options) error {
	v := validator{catalog: opts.sets()}
	return v.config(c)
}

type validator struct {
	catalog catalogSets
}

func (v *validator) config(c Config) error {
	switch {
	case c.EventSelectors != nil && c.AdvancedEventSelectors != nil:
		return eventSelectorsError("", "You can select events by using either EventSelectors or AdvancedEventSelectors, but not both")
	case c.EventSelectors != nil:
		if err := v.basicSelectors(c.EventSelectors); err != nil {
			return err
		}
	case c.AdvancedEventSelectors != nil:
		if err := v.advancedSelectors(c.AdvancedEventSelectors); err != nil {
			return err
		}
	}
	return v.insightSelectors(c.InsightSelectors)
}

// Basic selectors.

func (v *validator) basicSelectors(list []EventSelector) error {
	if len(list) == 0 || len(list) > MaxEventSelectors {
		return eventSelectorsError("EventSelectors", fmt.Sprintf("Specify a valid number of EventSelectors (1 to %d); there are %d.", MaxEventSelectors, len(list)))
	}
	total := 0
	for _, s := range list {
		for _, d := range s.DataResources {
			total += len(d.Values)
		}
	}
	if total > MaxDataResourceValues {
		return eventSelectorsError("EventSelectors", fmt.Sprintf("Specify a valid number of DataResources.Values (0 to %d) for all your selectors", MaxDataResourceValues))
	}
	for i, s := range list {
		if err := v.basicSelector(fmt.Sprintf("EventSelectors[%d]", i), s); err != nil {
			return err
		}
	}
	return nil
}

func (v *validator) basicSelector(path string, s EventSelector) error {
	switch s.ReadWriteType {
	case "", ReadOnly, WriteOnly, All:
	default:
		return eventSelectorsError(path+".ReadWriteType", fmt.Sprintf("Value %s for ReadWriteType is invalid. Valid values are: %s", clipValue(string(s.ReadWriteType)), validReadWriteTypes))
	}
	for i, src := range s.ExcludeManagementEventSources {
		if src != excludableKMS && src != excludableRDSData {
			return eventSelectorsError(fmt.Sprintf("%s.ExcludeManagementEventSources[%d]", path, i),
				fmt.Sprintf("Value %s for ExcludeManagementEventSources is invalid. Valid values are: %s", clipValue(src), validExcludedSources))
		}
	}
	for i, d := range s.DataResources {
		if err := dataResource(fmt.Sprintf("%s.DataResources[%d]", path, i), d); err != nil {
			return err
		}
	}
	return nil
}

func dataResource(path string, d DataResource) error {
	switch d.Type {
	case "":
		return eventSelectorsError(path, fmt.Sprintf("Missing required parameter in %s: \"Type\"", path))
	case basicTypeS3Object, basicTypeLambdaFunction, basicTypeDynamoDBTable:
	default:
		return eventSelectorsError(path+".Type", fmt.Sprintf("Value %s for DataResources.Type is invalid.", clipValue(d.Type)))
	}
	if len(d.Values) == 0 {
		// CloudTrail's model allows this, but a resource type with no values
		// selects nothing, which is never what the author meant.
		return eventSelectorsError(path+".Values", fmt.Sprintf("%s.Values must list at least one ARN or ARN prefix for %s.", path, d.Type))
	}
	for i, value := range d.Values {
		if !validDataResourceValue(d.Type, value) {
			return eventSelectorsError(fmt.Sprintf("%s.Values[%d]", path, i), fmt.Sprintf("Value %s for DataResources.Values is invalid.", clipValue(value)))
		}
	}
	return nil
}

// Advanced selectors.

func (v *validator) advancedSelectors(list []AdvancedEventSelector) error {
	total := 0
	for _, s := range list {
		for _, f := range s.FieldSelectors {
			for _, op := range f.operators() {
				total += len(op.values)
			}
		}
	}
	if total > MaxAdvancedValues {
		return eventSelectorsError("AdvancedEventSelectors", fmt.Sprintf("The advanced event selectors hold %d values; a trail allows at most %d in total.", total, MaxAdvancedValues))
	}
	for i, s := range list {
		path := fmt.Sprintf("AdvancedEventSelectors[%d]", i)
		if err := advancedShape(path, s); err != nil {
			return err
		}
		if err := v.advancedRules(path, s); err != nil {
			return err
		}
	}
	return nil
}

// advancedShape checks what the API model constrains: presence, lengths and
// known field names.
func advancedShape(path string, s AdvancedEventSelector) error {
	if n := utf8.RuneCountInString(s.Name); n > MaxSelectorNameLength {
		return invalidLength(path+".Name", n, "max", MaxSelectorNameLength)
	}
	if s.FieldSelectors == nil {
		return eventSelectorsError(path, fmt.Sprintf("Missing required parameter in %s: \"FieldSelectors\"", path))
	}
	if len(s.FieldSelectors) == 0 {
		return invalidLength(path+".FieldSelectors", 0, "min", 1)
	}
	for j, f := range s.FieldSelectors {
		if err := fieldShape(fmt.Sprintf("%s.FieldSelectors[%d]", path, j), f); err != nil {
			return err
		}
	}
	return nil
}

func fieldShape(path string, f FieldSelector) error {
	switch n := utf8.RuneCountInString(f.Field); {
	case f.Field == "":
		return eventSelectorsError(path, fmt.Sprintf("Missing required parameter in %s: \"Field\"", path))
	case n > MaxFieldLength:
		return invalidLength(path+".Field", n, "max", MaxFieldLength)
	case fieldByName(f.Field) == fieldUnknown:
		msg := fmt.Sprintf("Field %s in %s is not a field of advanced event selectors. Valid fields for trails are: %s.", quote(f.Field), path, strings.Join(fieldNames[1:], ", "))
		for _, name := range fieldNames[1:] {
			if strings.EqualFold(name, f.Field) {
				msg = fmt.Sprintf("Field %s in %s is not valid: field names are case-sensitive; did you mean %q?", quote(f.Field), path, name)
			}
		}
		return eventSelectorsError(path+".Field", msg)
	}
	ops := f.operators()
	present := 0
	for _, op := range ops {
		if op.values == nil {
			continue
		}
		present++
		opPath := path + "." + op.name
		if len(op.values) == 0 {
			return invalidLength(opPath, 0, "min", 1)
		}
		for k, value := range op.values {
			if n := utf8.RuneCountInString(value); n == 0 {
				return invalidLength(fmt.Sprintf("%s[%d]", opPath, k), 0, "min", 1)
			} else if n > MaxValueLength {
				return invalidLength(fmt.Sprintf("%s[%d]", opPath, k), n, "max", MaxValueLength)
			}
		}
	}
	if present == 0 {
		return eventSelectorsError(path, fmt.Sprintf("Field selector %s (%s) has no operator; give at least one of Equals, StartsWith, EndsWith, NotEquals, NotStartsWith, NotEndsWith.", path, f.Field))
	}
	return nil
}

func invalidLength(path string, n int, bound string, limit int) error {
	return eventSelectorsError(path, fmt.Sprintf("Invalid length for parameter %s, value: %d, valid %s length: %d", path, n, bound, limit))
}

// opSet is a set of operators, for the per-field rules.
type opSet uint8

const (
	opEquals opSet = 1 << iota
	opStartsWith
	opEndsWith
	opNotEquals
	opNotStartsWith
	opNotEndsWith
	opAll = opEquals | opStartsWith | opEndsWith | opNotEquals | opNotStartsWith | opNotEndsWith
)

// trailFields lists, per event category, the fields a trail's advanced
// selector may use and their operators (CloudTrail API Reference,
// AdvancedFieldSelector).
var trailFields = map[string]map[field]opSet{
	CategoryManagement: {
		fieldEventCategory: opEquals,
		fieldReadOnly:      opEquals,
		fieldEventSource:   opNotEquals,
	},
	CategoryData: {
		fieldEventCategory:                opEquals,
		fieldResourcesType:                opEquals,
		fieldResourcesARN:                 opAll,
		fieldEventName:                    opAll,
		fieldEventSource:                  opAll,
		fieldEventType:                    opAll,
		fieldReadOnly:                     opEquals,
		fieldSessionCredentialFromConsole: opEquals | opNotEquals,
		fieldUserIdentityARN:              opAll,
	},
	CategoryNetwork: {
		fieldEventCategory: opEquals,
		fieldEventSource:   opEquals,
		fieldEventName:     opAll,
		fieldErrorCode:     opEquals,
		fieldVPCEndpointID: opAll,
	},
}

// advancedRules checks what CloudTrail requires of one selector beyond the
// model: the category and the fields, operators and values it allows.
func (v *validator) advancedRules(path string, s AdvancedEventSelector) error {
	category, err := selectorCategory(path, s)
	if err != nil {
		return err
	}
	allowed := trailFields[category]
	counts := map[field]int{}
	for j, f := range s.FieldSelectors {
		fPath := fmt.Sprintf("%s.FieldSelectors[%d]", path, j)
		id := fieldByName(f.Field)
		ops, ok := allowed[id]
		if !ok {
			return eventSelectorsError(fPath+".Field", fmt.Sprintf("The following field is not allowed when the eventCategory field value equals %s: %s.", category, f.Field))
		}
		for _, op := range f.operators() {
			if op.values != nil && ops&op.bit == 0 {
				return eventSelectorsError(fPath+"."+op.name, fmt.Sprintf("The following operator is not allowed for the field %s when the eventCategory field value equals %s: %s (%s).", f.Field, category, op.name, fPath))
			}
		}
		counts[id] += len(f.Equals)
		if id == fieldResourcesType && counts[id] != 1 {
			return eventSelectorsError(fPath, fmt.Sprintf("%s has more than one resources.type value; use one advanced event selector per resource type.", label(path, s)))
		}
		if err := v.fieldValues(fPath, category, id, f); err != nil {
			return err
		}
	}
	switch {
	case category == CategoryData && counts[fieldResourcesType] == 0:
		return eventSelectorsError(path, fmt.Sprintf("%s selects data events but has no resources.type field selector; resources.type is required when eventCategory equals Data.", label(path, s)))
	case category == CategoryNetwork && counts[fieldEventSource] == 0:
		return eventSelectorsError(path, fmt.Sprintf("%s selects network activity events but has no eventSource field selector; eventSource is required when eventCategory equals NetworkActivity.", label(path, s)))
	case category == CategoryNetwork && counts[fieldEventSource] > 1:
		return eventSelectorsError(path, fmt.Sprintf("%s lists more than one eventSource value; use one advanced event selector per network activity event source.", label(path, s)))
	}
	return nil
}

// selectorCategory returns the single category the selector's one
// eventCategory field selector names.
func selectorCategory(path string, s AdvancedEventSelector) (string, error) {
	category, found := "", false
	for j, f := range s.FieldSelectors {
		if f.Field != FieldEventCategory {
			continue
		}
		fPath := fmt.Sprintf("%s.FieldSelectors[%d]", path, j)
		if found {
			return "", eventSelectorsError(fPath, fmt.Sprintf("%s has more than one eventCategory field selector; give it once.", label(path, s)))
		}
		found = true
		for _, op := range f.operators() {
			if op.values != nil && op.bit != opEquals {
				return "", eventSelectorsError(fPath+"."+op.name, fmt.Sprintf("The following operator is not allowed for the field eventCategory: %s (%s). Use Equals.", op.name, fPath))
			}
		}
		if len(f.Equals) != 1 {
			return "", eventSelectorsError(fPath+".Equals", fmt.Sprintf("%s lists %d eventCategory values; use one advanced event selector per event category.", label(path, s), len(f.Equals)))
		}
		category = f.Equals[0]
		switch category {
		case CategoryManagement, CategoryData, CategoryNetwork:
		case "Insight":
			return "", eventSelectorsError(fPath+".Equals[0]", fmt.Sprintf("Value Insight for eventCategory is invalid for a trail (%s). Valid values are: %s. Turn on Insights events with InsightSelectors.", fPath, validTrailEventCategories))
		default:
			return "", eventSelectorsError(fPath+".Equals[0]", fmt.Sprintf("Value %s for eventCategory is invalid for a trail (%s). Valid values are: %s.", clipValue(category), fPath, validTrailEventCategories))
		}
	}
	if !found {
		return "", eventSelectorsError(path, fmt.Sprintf("%s has no eventCategory field selector; eventCategory is required in every advanced event selector.", label(path, s)))
	}
	return category, nil
}

// fieldValues checks the fields whose values CloudTrail restricts.
func (v *validator) fieldValues(path, category string, id field, f FieldSelector) error {
	var valid func(string) bool
	var hint string
	switch {
	case id == fieldReadOnly:
		valid, hint = oneOf("true", "false"), "true, false"
	case id == fieldErrorCode:
		valid, hint = oneOf(vpceAccessDenied), vpceAccessDenied
	case id == fieldSessionCredentialFromConsole:
		// Only "true" is documented; the field is absent rather than "false"
		// for other calls, so a "false" selector would never do what it says.
		valid, hint = oneOf("true"), "true"
	case id == fieldEventSource && category == CategoryManagement:
		valid, hint = oneOf(excludableKMS, excludableRDSData), validExcludedSources
	case id == fieldEventSource && category == CategoryNetwork:
		valid, hint = func(s string) bool { return v.catalog.networkEventSources[s] }, "the network activity event sources of the catalog (a source CloudTrail added since can be added to it)"
	case id == fieldResourcesType:
		valid, hint = func(s string) bool { return v.catalog.resourceTypes[s] }, "the data event resource types of the catalog (a type CloudTrail added since can be added to it)"
	default:
		return nil
	}
	for _, op := range f.operators() {
		for k, value := range op.values {
			if !valid(value) {
				return eventSelectorsError(fmt.Sprintf("%s.%s[%d]", path, op.name, k),
					fmt.Sprintf("Value %s for %s is invalid (%s.%s[%d]). Valid values are: %s.", clipValue(value), f.Field, path, op.name, k, hint))
			}
		}
	}
	return nil
}

func oneOf(values ...string) func(string) bool {
	return func(s string) bool { return slices.Contains(values, s) }
}

// Insight selectors.

func (v *validator) insightSelectors(list []InsightSelector) error {
	seen := map[InsightType]bool{}
	for i, s := range list {
		path := fmt.Sprintf("InsightSelectors[%d]", i)
		switch s.InsightType {
		case "":
			return insightSelectorsError(path, fmt.Sprintf("Missing required parameter in %s: \"InsightType\"", path))
		case APICallRateInsight, APIErrorRateInsight:
		default:
			return insightSelectorsError(path+".InsightType", fmt.Sprintf("Value %s for InsightType is invalid. Valid values are: %s", clipValue(string(s.InsightType)), validInsightTypes))
		}
		if seen[s.InsightType] {
			return insightSelectorsError(path+".InsightType", fmt.Sprintf("InsightType %s is selected more than once (%s); give each type once.", s.InsightType, path))
		}
		seen[s.InsightType] = true
		if s.EventCategories != nil && len(s.EventCategories) == 0 {
			return insightSelectorsError(path+".EventCategories", fmt.Sprintf("Invalid length for parameter %s.EventCategories, value: 0, valid min length: 1", path))
		}
		for k, c := range s.EventCategories {
			if c != CategoryManagement && c != CategoryData {
				return insightSelectorsError(fmt.Sprintf("%s.EventCategories[%d]", path, k), fmt.Sprintf("Value %s for EventCategories is invalid. Valid values are: Management, Data", clipValue(c)))
			}
		}
	}
	return nil
}

// label names an advanced selector in messages: its path and its Name.
func label(path string, s AdvancedEventSelector) string {
	if s.Name == "" {
		return path
	}
	return fmt.Sprintf("%s (%s)", path, quote(s.Name))
}

// operator is one operator list of a field selector.
type operator struct {
	name   string
	bit    opSet
	values []string
}

func (f FieldSelector) operators() [6]operator {
	return [6]operator{
		{"Equals", opEquals, f.Equals},
		{"StartsWith", opStartsWith, f.StartsWith},
		{"EndsWith", opEndsWith, f.EndsWith},
		{"NotEquals", opNotEquals, f.NotEquals},
		{"NotStartsWith", opNotStartsWith, f.NotStartsWith},
		{"NotEndsWith", opNotEndsWith, f.NotEndsWith},
	}
}

// clipValue keeps a value whole in messages up to CloudTrail's value length
// and cuts a longer one, so that a huge value cannot make a huge error.
func clipValue(s string) string {
	if len(s) <= MaxValueLength {
		return s
	}
	cut := 0
	for i := range s {
		if i > MaxValueLength {
			break
		}
		cut = i
	}
	return s[:cut] + "… (" + strconv.Itoa(len(s)) + " bytes)"
}
