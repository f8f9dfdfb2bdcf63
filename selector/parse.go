package selector

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxConfigBytes bounds what ReadConfig reads. The largest configuration
// CloudTrail accepts (500 values of 2048 characters) fits several times over.
const MaxConfigBytes = 8 << 20

// ReadConfig reads at most MaxConfigBytes from r and parses them with
// ParseConfig. A longer input is an *Error; a failing reader is returned
// wrapped.
func ReadConfig(r io.Reader) (Config, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxConfigBytes+1))
	if err != nil {
		return Config{}, fmt.Errorf("read selectors: %w", err)
	}
	if len(data) > MaxConfigBytes {
		return Config{}, eventSelectorsError("", fmt.Sprintf("The selector configuration is larger than %d bytes.", MaxConfigBytes))
	}
	return ParseConfig(data)
}

// ParseConfig parses one JSON object as get-event-selectors prints it or
// put-event-selectors --cli-input-json takes it: EventSelectors or
// AdvancedEventSelectors, optionally InsightSelectors. Other members, such
// as TrailName or TrailARN, are ignored.
//
// Parsing is strict where CloudTrail's request format is: member names are
// case-sensitive, unknown and repeated members inside selectors are errors,
// and every value must have its JSON type. Null stands for an absent member.
// ParseConfig checks the form only; Compile (or Config.Validate) checks the
// rules. Every error is an *Error naming the member at fault.
func ParseConfig(data []byte) (Config, error) {
	var cfg Config
	p := newParser(data)
	err := p.document(func() error {
		return p.object("", func(key, _ string) error {
			switch key {
			case "EventSelectors":
				return array(p, key, &cfg.EventSelectors, p.eventSelector)
			case "AdvancedEventSelectors":
				return array(p, key, &cfg.AdvancedEventSelectors, p.advancedEventSelector)
			case "InsightSelectors":
				p.exception = ExceptionInvalidInsightSelectors
				defer func() { p.exception = ExceptionInvalidEventSelectors }()
				return array(p, key, &cfg.InsightSelectors, p.insightSelector)
			}
			for _, known := range []string{"EventSelectors", "AdvancedEventSelectors", "InsightSelectors"} {
				if strings.EqualFold(key, known) {
					// A misspelt selector list would otherwise be ignored and
					// silently leave the trail at its default.
					return p.fail("", fmt.Sprintf("Unknown parameter %s: member names are case-sensitive; did you mean %q?", quote(key), known))
				}
			}
			return p.skip()
		})
	})
	if err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// ParseEventSelectors parses the JSON list that put-event-selectors
// --event-selectors takes.
func ParseEventSelectors(data []byte) ([]EventSelector, error) {
	var list []EventSelector
	p := newParser(data)
	err := p.document(func() error { return array(p, "EventSelectors", &list, p.eventSelector) })
	return list, err
}

// ParseAdvancedEventSelectors parses the JSON list that put-event-selectors
// --advanced-event-selectors takes.
func ParseAdvancedEventSelectors(data []byte) ([]AdvancedEventSelector, error) {
	var list []AdvancedEventSelector
	p := newParser(data)
	err := p.document(func() error { return array(p, "AdvancedEventSelectors", &list, p.advancedEventSelector) })
	return list, err
}

// ParseInsightSelectors parses the JSON list that put-insight-selectors
// --insight-selectors takes.
func ParseInsightSelectors(data []byte) ([]InsightSelector, error) {
	var list []InsightSelector
	p := newParser(data)
	p.exception = ExceptionInvalidInsightSelectors
	err := p.document(func() error { return array(p, "InsightSelectors", &list, p.insightSelector) })
	return list, err
}

// UnmarshalJSON parses data with ParseConfig, so that encoding/json gets the
// same strictness.
func (c *Config) UnmarshalJSON(data []byte) error {
	cfg, err := ParseConfig(data)
	if err != nil {
		return err
	}
	*c = cfg
	return nil
}

// parser reads selector JSON token by token, keeping the path of the member
// it is in so that every error can name it.
type parser struct {
	data      []byte
	dec       *json.Decoder
	exception string
}

func newParser(data []byte) *parser {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return &parser{data: data, dec: dec, exception: ExceptionInvalidEventSelectors}
}

func (p *parser) fail(path, msg string) error {
	return &Error{Exception: p.exception, Message: msg, Path: path}
}

// document parses one top-level value with body and insists nothing but
// white space follows it.
func (p *parser) document(body func() error) error {
	if len(bytes.TrimSpace(p.data)) == 0 {
		return p.fail("", "The selector configuration is empty: expected a JSON value.")
	}
	if err := body(); err != nil {
		return err
	}
	if _, err := p.dec.Token(); err != io.EOF {
		return p.fail("", fmt.Sprintf("Invalid JSON at %s: unexpected data after the end of the value.", p.position(p.dec.InputOffset())))
	}
	return nil
}

// token reads the next token, turning a syntax error into an *Error that
// says where in the text it is.
func (p *parser) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err == nil {
		return tok, nil
	}
	offset := p.dec.InputOffset()
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		offset = syntax.Offset - 1 // Offset counts the offending byte
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, p.fail("", fmt.Sprintf("Invalid JSON at %s: unexpected end of input.", p.position(int64(len(p.data)))))
	}
	return nil, p.fail("", fmt.Sprintf("Invalid JSON at %s: %v.", p.position(offset), err))
}

// position renders a byte offset as "line L, column C".
func (p *parser) position(offset int64) string {
	offset = min(max(offset, 0), int64(len(p.data)))
	before := p.data[:offset]
	line := bytes.Count(before, []byte{'\n'}) + 1
	col := utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:]) + 1
	return fmt.Sprintf("line %d, column %d", line, col)
}

// object reads an object, calling member for each key with the member's
// path; member must consume the value. A key seen twice is an error: the
// request would be ambiguous.
func (p *parser) object(path string, member func(key, path string) error) error {
	tok, err := p.token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return p.typeError(path, tok, "structure")
	}
	seen := make(map[string]bool)
	for p.dec.More() {
		tok, err := p.token()
		if err != nil {
			return err
		}
		key, _ := tok.(string) // the decoder yields only string keys here
		if seen[key] {
			return p.fail(path, fmt.Sprintf("Duplicate parameter in %s: %s", describe(path), quote(key)))
		}
		seen[key] = true
		if err := member(key, join(path, key)); err != nil {
			return err
		}
	}
	_, err = p.token() // '}'
	return err
}

// structure reads an object whose members are known: fields maps each
// member name to the function that reads its value.
func (p *parser) structure(path string, names []string, fields func(key, path string) error) error {
	return p.object(path, func(key, memberPath string) error {
		for _, name := range names {
			if key == name {
				return fields(key, memberPath)
			}
		}
		return p.fail(path, fmt.Sprintf("Unknown parameter in %s: %s, must be one of: %s", describe(path), quote(key), strings.Join(names, ", ")))
	})
}

// array reads a list into *list with elem reading each element. Null leaves
// *list nil (absent); [] makes it empty but not nil (present).
func array[T any](p *parser, path string, list *[]T, elem func(path string, v *T) error) error {
	tok, err := p.token()
	if err != nil {
		return err
	}
	switch tok {
	case nil:
		return nil
	case json.Delim('['):
	default:
		return p.typeError(path, tok, "list")
	}
	*list = make([]T, 0, 1)
	for i := 0; p.dec.More(); i++ {
		var v T
		if err := elem(path+"["+strconv.Itoa(i)+"]", &v); err != nil {
			return err
		}
		*list = append(*list, v)
	}
	_, err = p.token() // ']'
	return err
}

func (p *parser) eventSelector(path string, s *EventSelector) error {
	return p.structure(path, []string{"ReadWriteType", "IncludeManagementEvents", "DataResources", "ExcludeManagementEventSources"}, func(key, path string) error {
		switch key {
		case "ReadWriteType":
			v, present, err := p.string(path)
			if err == nil && present && v == "" {
				// The Go zero value means "absent"; an explicit "" is not a
				// ReadWriteType CloudTrail knows.
				return p.fail(path, fmt.Sprintf("Value %s for ReadWriteType is invalid. Valid values are: ReadOnly, WriteOnly, All", quote(v)))
			}
			s.ReadWriteType = ReadWriteType(v)
			return err
		case "IncludeManagementEvents":
			return p.boolean(path, &s.IncludeManagementEvents)
		case "DataResources":
			return array(p, path, &s.DataResources, p.dataResource)
		default:
			return p.strings(path, &s.ExcludeManagementEventSources)
		}
	})
}

func (p *parser) dataResource(path string, d *DataResource) error {
	return p.structure(path, []string{"Type", "Values"}, func(key, path string) error {
		if key == "Type" {
			var err error
			d.Type, _, err = p.string(path)
			return err
		}
		return p.strings(path, &d.Values)
	})
}

func (p *parser) advancedEventSelector(path string, s *AdvancedEventSelector) error {
	return p.structure(path, []string{"Name", "FieldSelectors"}, func(key, path string) error {
		if key == "Name" {
			var err error
			s.Name, _, err = p.string(path)
			return err
		}
		return array(p, path, &s.FieldSelectors, p.fieldSelector)
	})
}

var fieldSelectorMembers = []string{"Field", "Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith"}

func (p *parser) fieldSelector(path string, f *FieldSelector) error {
	return p.structure(path, fieldSelectorMembers, func(key, path string) error {
		if key == "Field" {
			var err error
			f.Field, _, err = p.string(path)
			return err
		}
		return p.strings(path, f.operator(key))
	})
}

func (p *parser) insightSelector(path string, s *InsightSelector) error {
	return p.structure(path, []string{"InsightType", "EventCategories"}, func(key, path string) error {
		if key == "InsightType" {
			v, _, err := p.string(path)
			s.InsightType = InsightType(v)
			return err
		}
		return p.strings(path, &s.EventCategories)
	})
}

// string reads a string; present is false for null.
func (p *parser) string(path string) (v string, present bool, err error) {
	tok, err := p.token()
	if err != nil {
		return "", false, err
	}
	switch t := tok.(type) {
	case string:
		return t, true, nil
	case nil:
		return "", false, nil
	}
	return "", false, p.typeError(path, tok, "string")
}

func (p *parser) boolean(path string, v **bool) error {
	tok, err := p.token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case bool:
		*v = &t
		return nil
	case nil:
		return nil
	}
	return p.typeError(path, tok, "boolean")
}

func (p *parser) strings(path string, list *[]string) error {
	return array(p, path, list, func(path string, v *string) error {
		tok, err := p.token()
		if err != nil {
			return err
		}
		s, ok := tok.(string)
		if !ok {
			return p.typeError(path, tok, "string")
		}
		*v = s
		return nil
	})
}

// maxSkipDepth bounds the nesting of ignored members, which would otherwise
// cost memory in proportion to their depth.
const maxSkipDepth = 100

// skip consumes one value of any shape: a member that trailkit ignores.
func (p *parser) skip() error {
	depth := 0
	for {
		tok, err := p.token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if depth++; depth > maxSkipDepth {
				return p.fail("", fmt.Sprintf("Invalid JSON at %s: values nested more than %d deep.", p.position(p.dec.InputOffset()), maxSkipDepth))
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
		if depth == 0 {
			return nil
		}
	}
}

// typeError describes a value of the wrong JSON type the way the AWS SDKs
// do. Parsing stops there, so the rest of a composite value is left unread.
func (p *parser) typeError(path string, tok json.Token, want string) error {
	got, shown := "", ""
	switch t := tok.(type) {
	case json.Delim:
		got = map[json.Delim]string{'{': "structure", '[': "list"}[t]
	case string:
		got, shown = "string", quote(t)
	case json.Number:
		got, shown = "number", clip(string(t))
	case bool:
		got, shown = "boolean", strconv.FormatBool(t)
	case nil:
		got, shown = "null", "null"
	}
	if shown != "" {
		shown = ", value: " + shown
	}
	return p.fail(path, fmt.Sprintf("Invalid type for parameter %s%s, type: %s, valid types: %s", describe(path), shown, got, want))
}

func (f *FieldSelector) operator(name string) *[]string {
	switch name {
	case "Equals":
		return &f.Equals
	case "StartsWith":
		return &f.StartsWith
	case "EndsWith":
		return &f.EndsWith
	case "NotEquals":
		return &f.NotEquals
	case "NotStartsWith":
		return &f.NotStartsWith
	case "NotEndsWith":
		return &f.NotEndsWith
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describe(path string) string {
	if path == "" {
		return "the request"
	}
	return path
}

// clip shortens s for an error message, so that a huge value cannot make a
// huge message.
func clip(s string) string {
	const maxRunes = 80
	if utf8.RuneCountInString(s) <= maxRunes {
		return s
	}
	r := []rune(s)
	return string(r[:maxRunes]) + "…"
}

func quote(s string) string { return strconv.Quote(clip(s)) }
