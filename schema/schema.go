package schema

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// FS holds the schema files: record.schema.json, logfile.schema.json and
// digest.schema.json. Each file's $id is BaseURL followed by its name, and
// logfile.schema.json refers to record.schema.json by that relative name, so
// a validator that loads all three resolves every reference without the
// network.
//
//go:embed record.schema.json logfile.schema.json digest.schema.json
var FS embed.FS

// BaseURL is the prefix of the schemas' $id URLs. Nothing is fetched from it.
const BaseURL = "https://github.com/trailkit/trailkit/schema/"

// Kind names one of the documents the schemas describe.
type Kind uint8

const (
	// Record is one CloudTrail record.
	Record Kind = iota
	// LogFile is the uncompressed body of a log file: {"Records":[...]}.
	LogFile
	// Digest is the uncompressed body of a digest file.
	Digest
)

var kinds = [...]struct{ name, file string }{
	Record:  {"record", "record.schema.json"},
	LogFile: {"log file", "logfile.schema.json"},
	Digest:  {"digest file", "digest.schema.json"},
}

func (k Kind) valid() bool { return int(k) < len(kinds) }

// String returns "record", "log file" or "digest file".
func (k Kind) String() string {
	if !k.valid() {
		return fmt.Sprintf("Kind(%d)", k)
	}
	return kinds[k].name
}

// File returns the name of k's schema in FS.
func (k Kind) File() string {
	if !k.valid() {
		return ""
	}
	return kinds[k].file
}

// URL returns the $id of k's schema.
func (k Kind) URL() string { return BaseURL + k.File() }

// compiled holds the three schemas, compiled once on first use.
var compiled = sync.OnceValues(func() ([len(kinds)]*jsonschema.Schema, error) {
	var out [len(kinds)]*jsonschema.Schema
	c := jsonschema.NewCompiler()
	c.Draft = jsonschema.Draft2020
	// Formats are annotations by default in draft 2020-12; asserting them
	// makes eventTime "2024-02-30T00:00:00Z" fail as it should.
	c.AssertFormat = true
	// Every reference resolves among the embedded files; never reach out.
	c.LoadURL = func(url string) (io.ReadCloser, error) {
		return nil, fmt.Errorf("schema: %s is not one of the embedded schemas", url)
	}
	for _, k := range kinds {
		data, err := FS.ReadFile(k.file)
		if err != nil {
			return out, err
		}
		if err := c.AddResource(BaseURL+k.file, bytes.NewReader(data)); err != nil {
			return out, fmt.Errorf("schema: %s: %w", k.file, err)
		}
	}
	for i, k := range kinds {
		s, err := c.Compile(BaseURL + k.file)
		if err != nil {
			return out, fmt.Errorf("schema: compiling %s: %w", k.file, err)
		}
		out[i] = s
	}
	return out, nil
})

// Schema returns k's compiled schema, for use with the jsonschema package
// directly. The schemas are embedded and compiled once; Schema panics only if
// they do not compile, which the package's tests rule out.
func (k Kind) Schema() *jsonschema.Schema {
	s, err := k.schema()
	if err != nil {
		panic(err)
	}
	return s
}

func (k Kind) schema() (*jsonschema.Schema, error) {
	if !k.valid() {
		return nil, fmt.Errorf("schema: unknown kind %d", k)
	}
	all, err := compiled()
	if err != nil {
		return nil, err
	}
	return all[k], nil
}

// ErrInvalidJSON is wrapped by the error Validate and its relatives return
// for data that is not exactly one JSON value in UTF-8.
var ErrInvalidJSON = errors.New("not valid JSON")

// Validate checks that data, one JSON document, is a valid k. It returns nil,
// a *ValidationError listing every violation, or an error wrapping
// ErrInvalidJSON.
//
// A document over MaxBytes, a record over MaxRecordBytes, or one with more
// than MaxValues values or nested deeper than MaxDepth is an error wrapping
// ErrTooLarge, before anything is validated.
func (k Kind) Validate(data []byte) error {
	v, err := decode(data)
	if err == nil {
		err = checkSize(k, data)
	}
	if err != nil {
		return decodeError(k, err)
	}
	return k.ValidateValue(v)
}

// checkSize applies MaxRecordBytes to a record.
func checkSize(k Kind, data []byte) error {
	if k == Record && len(data) > MaxRecordBytes {
		return fmt.Errorf("%w: a record of %d bytes, more than %d (CloudTrail's largest)", ErrTooLarge, len(data), MaxRecordBytes)
	}
	return nil
}

func decodeError(k Kind, err error) error {
	if errors.Is(err, ErrTooLarge) {
		return fmt.Errorf("schema: %s: %w", k, err)
	}
	return fmt.Errorf("schema: %s: %w: %w", k, ErrInvalidJSON, err)
}

// ValidateValue checks an already decoded JSON value: nil, bool, string,
// json.Number or float64, []any, map[string]any, as encoding/json decodes
// into an any (use Decoder.UseNumber so that big integers keep their value).
func (k Kind) ValidateValue(v any) error {
	s, err := k.schema()
	if err != nil {
		return err
	}
	err = s.Validate(v)
	var ve *jsonschema.ValidationError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ve):
		return newValidationError(k, v, ve)
	default:
		return fmt.Errorf("schema: %s: %w", k, err)
	}
}

// ValidateRecord checks one CloudTrail record.
func ValidateRecord(data []byte) error { return Record.Validate(data) }

// ValidateLogFile checks the uncompressed body of a log file. It holds the
// whole file in memory, decoded; to check a large file record by record,
// read it with event.Scanner and call ValidateRecord on each record.
func ValidateLogFile(data []byte) error { return LogFile.Validate(data) }

// ValidateDigest checks the uncompressed body of a digest file.
func ValidateDigest(data []byte) error { return Digest.Validate(data) }

// Validate recognises what data is and checks it against that schema. An
// object with an eventVersion member is a record; else one with a Records
// member is a log file, and one with digest members (digest…,
// previousDigest…, logFiles) is a digest; anything else is checked as a
// record.
func Validate(data []byte) (Kind, error) {
	v, err := decode(data)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return Record, fmt.Errorf("schema: %w", err)
		}
		return Record, fmt.Errorf("schema: %w: %w", ErrInvalidJSON, err)
	}
	k := detect(v)
	if err := checkSize(k, data); err != nil {
		return k, decodeError(k, err)
	}
	return k, k.ValidateValue(v)
}

func detect(v any) Kind {
	m, ok := v.(map[string]any)
	if !ok {
		return Record
	}
	if _, ok := m["eventVersion"]; ok {
		return Record
	}
	if _, ok := m["Records"]; ok {
		return LogFile
	}
	for key := range m {
		if key == "logFiles" || strings.HasPrefix(key, "digest") || strings.HasPrefix(key, "previousDigest") {
			return Digest
		}
	}
	return Record
}
