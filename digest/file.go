package digest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/internal/jsonscan"
	"github.com/trailkit/trailkit/sink"
)

// TimeLayout is how digest files write times: UTC, second precision.
const TimeLayout = "2006-01-02T15:04:05Z"

// HashAlgorithm is the hash digest files record for log files and for the
// previous digest.
const HashAlgorithm = "SHA-256"

// ErrFormat is wrapped by the errors of Parse and Decode for a digest file
// that is not gzip, not JSON, or lacks a field validation needs: what the
// AWS CLI reports as "invalid format".
var ErrFormat = errors.New("invalid digest file format")

// File is the content of a digest file. A zero time or an empty string
// stands for JSON null: the event times of a digest without log files and
// the previous-digest fields of the first digest of a chain.
type File struct {
	AWSAccountID               string
	DigestStartTime            time.Time
	DigestEndTime              time.Time
	DigestS3Bucket             string // where the digest itself is stored
	DigestS3Object             string
	DigestPublicKeyFingerprint string // MD5 hex of the signing key's PKCS#1 DER
	DigestSignatureAlgorithm   string // SignatureAlgorithm
	NewestEventTime            time.Time
	OldestEventTime            time.Time
	PreviousDigestS3Bucket     string
	PreviousDigestS3Object     string
	// PreviousDigestHashValue is the SHA-256 hex of the previous digest's
	// uncompressed bytes.
	PreviousDigestHashValue     string
	PreviousDigestHashAlgorithm string
	// PreviousDigestSignature is the previous digest's signature, hex.
	PreviousDigestSignature string
	LogFiles                []LogEntry

	// endTimeText is digestEndTime exactly as read: the signature covers
	// the text, not the time it denotes.
	endTimeText string
}

// LogEntry is one element of a digest's logFiles.
type LogEntry struct {
	S3Bucket        string
	S3Object        string
	HashValue       string // SHA-256 hex of the uncompressed log file
	HashAlgorithm   string // HashAlgorithm
	NewestEventTime time.Time
	OldestEventTime time.Time
}

// EndTimeText is digestEndTime as it appears in the file: the text read by
// Parse, else the time in TimeLayout.
func (f *File) EndTimeText() string {
	if f.endTimeText != "" {
		return f.endTimeText
	}
	return f.DigestEndTime.UTC().Format(TimeLayout)
}

// StringToSign returns the message a digest's signature covers:
// digestEndTime, "bucket/key", the SHA-256 hex of the uncompressed digest
// and the previous digest's signature (the four letters null in the first
// digest of a chain), separated by newlines.
func (f *File) StringToSign(sha256Hex string) []byte {
	return f.appendStringToSign(nil, sha256Hex)
}

func (f *File) appendStringToSign(b []byte, sha256Hex string) []byte {
	b = append(b, f.EndTimeText()...)
	b = append(b, '\n')
	b = append(b, f.DigestS3Bucket...)
	b = append(b, '/')
	b = append(b, f.DigestS3Object...)
	b = append(b, '\n')
	b = append(b, sha256Hex...)
	b = append(b, '\n')
	if f.PreviousDigestSignature == "" {
		return append(b, "null"...)
	}
	return append(b, f.PreviousDigestSignature...)
}

// AppendJSON appends the file as compact JSON with CloudTrail's field
// order, the bytes a digest object holds before compression.
func (f *File) AppendJSON(b []byte) []byte {
	b = append(b, `{"awsAccountId":`...)
	b = jsonscan.AppendString(b, f.AWSAccountID)
	b = append(b, `,"digestStartTime":`...)
	b = appendTime(b, f.DigestStartTime)
	b = append(b, `,"digestEndTime":`...)
	if f.endTimeText != "" {
		b = jsonscan.AppendString(b, f.endTimeText)
	} else {
		b = appendTime(b, f.DigestEndTime)
	}
	b = append(b, `,"digestS3Bucket":`...)
	b = jsonscan.AppendString(b, f.DigestS3Bucket)
	b = append(b, `,"digestS3Object":`...)
	b = jsonscan.AppendString(b, f.DigestS3Object)
	b = append(b, `,"digestPublicKeyFingerprint":`...)
	b = jsonscan.AppendString(b, f.DigestPublicKeyFingerprint)
	b = append(b, `,"digestSignatureAlgorithm":`...)
	b = jsonscan.AppendString(b, f.DigestSignatureAlgorithm)
	b = append(b, `,"newestEventTime":`...)
	b = appendTime(b, f.NewestEventTime)
	b = append(b, `,"oldestEventTime":`...)
	b = appendTime(b, f.OldestEventTime)
	b = append(b, `,"previousDigestS3Bucket":`...)
	b = appendNullable(b, f.PreviousDigestS3Bucket)
	b = append(b, `,"previousDigestS3Object":`...)
	b = appendNullable(b, f.PreviousDigestS3Object)
	b = append(b, `,"previousDigestHashValue":`...)
	b = appendNullable(b, f.PreviousDigestHashValue)
	b = append(b, `,"previousDigestHashAlgorithm":`...)
	b = appendNullable(b, f.PreviousDigestHashAlgorithm)
	b = append(b, `,"previousDigestSignature":`...)
	b = appendNullable(b, f.PreviousDigestSignature)
	b = append(b, `,"logFiles":[`...)
	for i, l := range f.LogFiles {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"s3Bucket":`...)
		b = jsonscan.AppendString(b, l.S3Bucket)
		b = append(b, `,"s3Object":`...)
		b = jsonscan.AppendString(b, l.S3Object)
		b = append(b, `,"hashValue":`...)
		b = jsonscan.AppendString(b, l.HashValue)
		b = append(b, `,"hashAlgorithm":`...)
		b = jsonscan.AppendString(b, l.HashAlgorithm)
		b = append(b, `,"newestEventTime":`...)
		b = appendTime(b, l.NewestEventTime)
		b = append(b, `,"oldestEventTime":`...)
		b = appendTime(b, l.OldestEventTime)
		b = append(b, '}')
	}
	return append(b, "]}"...)
}

// MarshalJSON implements json.Marshaler with AppendJSON.
func (f *File) MarshalJSON() ([]byte, error) { return f.AppendJSON(nil), nil }

// UnmarshalJSON implements json.Unmarshaler with Parse.
func (f *File) UnmarshalJSON(data []byte) error {
	p, err := Parse(data)
	if err != nil {
		return err
	}
	*f = *p
	return nil
}

// Parse reads a digest file's uncompressed JSON. Like the AWS CLI, it
// requires digestStartTime, digestEndTime, digestS3Bucket, digestS3Object,
// digestPublicKeyFingerprint and previousDigestSignature (which may be
// null) to be present; it also requires logFiles and each log file's
// s3Bucket, s3Object and hashValue, which validation reads. Field names
// are matched exactly, and a repeated field takes its last value, as
// Python's json module does; unknown fields are skipped. Errors wrap
// ErrFormat.
//
// Parse reads with trailkit's shared JSON scanner rather than encoding/json:
// parsing is most of the cost of checking a digest, and validation checks
// every digest in a range.
func Parse(data []byte) (*File, error) {
	if !utf8.Valid(data) {
		// Python's json.loads, after bytes.decode(), fails the same way.
		return nil, fmt.Errorf("%w: %w: not UTF-8", ErrFormat, errSyntax)
	}
	// The File's strings are substrings of one copy of data, not of data,
	// which the caller may reuse.
	p := parser{jsonscan.New(bytes.Clone(data), 0)}
	f, err := p.file()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, syntax(err))
	}
	return f, nil
}

// errSyntax is wrapped by Parse's errors for malformed JSON, as opposed to
// well-formed JSON that lacks a field.
var errSyntax = errors.New("malformed JSON")

// Fields Parse requires, as bits.
const (
	hasStart = 1 << iota
	hasEnd
	hasBucket
	hasObject
	hasFingerprint
	hasPrevSignature
	hasLogFiles
	required = hasStart | hasEnd | hasBucket | hasObject | hasFingerprint | hasPrevSignature | hasLogFiles
)

var requiredNames = []string{"digestStartTime", "digestEndTime", "digestS3Bucket", "digestS3Object",
	"digestPublicKeyFingerprint", "previousDigestSignature", "logFiles"}

// parser reads one JSON document with the shared scanner.
type parser struct{ jsonscan.Parser }

// syntax reports err, an error of the shared scanner, as malformed JSON.
func syntax(err error) error {
	var se *jsonscan.SyntaxError
	if !errors.As(err, &se) {
		return err
	}
	if se.Err != nil {
		return fmt.Errorf("%w at offset %d: %w", errSyntax, se.Offset, se.Err)
	}
	return fmt.Errorf("%w at offset %d: %s", errSyntax, se.Offset, se.Msg)
}

// nullable reads a string or null; null gives "".
func (p *parser) nullable(name string) (string, bool, error) {
	switch p.Peek() {
	case 'n':
		return "", true, p.Literal("null")
	case '"':
		s, err := p.Str()
		return s, false, err
	}
	if err := p.SkipValue(); err != nil {
		return "", false, err
	}
	return "", false, fmt.Errorf("field %s: not a string", name)
}

func (p *parser) file() (*File, error) {
	var f File
	var have int
	var start string
	timeField := func(name string, t *time.Time) error {
		s, _, err := p.nullable(name)
		if err != nil {
			return err
		}
		*t, err = parseTime(name, s)
		return err
	}
	strField := func(name string, dst *string, bit int, nullable bool) error {
		s, null, err := p.nullable(name)
		if err != nil {
			return err
		}
		if null && !nullable {
			return fmt.Errorf("field %s is null", name)
		}
		*dst = s
		have |= bit
		return nil
	}
	if p.Peek() != '{' {
		return nil, p.Unexpected("'{'")
	}
	err := p.Members(func(name string) error {
		switch name {
		case "awsAccountId":
			return strField(name, &f.AWSAccountID, 0, true)
		case "digestStartTime":
			return strField(name, &start, hasStart, false)
		case "digestEndTime":
			return strField(name, &f.endTimeText, hasEnd, false)
		case "digestS3Bucket":
			return strField(name, &f.DigestS3Bucket, hasBucket, false)
		case "digestS3Object":
			return strField(name, &f.DigestS3Object, hasObject, false)
		case "digestPublicKeyFingerprint":
			return strField(name, &f.DigestPublicKeyFingerprint, hasFingerprint, false)
		case "digestSignatureAlgorithm":
			return strField(name, &f.DigestSignatureAlgorithm, 0, true)
		case "newestEventTime":
			return timeField(name, &f.NewestEventTime)
		case "oldestEventTime":
			return timeField(name, &f.OldestEventTime)
		case "previousDigestS3Bucket":
			return strField(name, &f.PreviousDigestS3Bucket, 0, true)
		case "previousDigestS3Object":
			return strField(name, &f.PreviousDigestS3Object, 0, true)
		case "previousDigestHashValue":
			return strField(name, &f.PreviousDigestHashValue, 0, true)
		case "previousDigestHashAlgorithm":
			return strField(name, &f.PreviousDigestHashAlgorithm, 0, true)
		case "previousDigestSignature":
			s, _, err := p.nullable(name)
			f.PreviousDigestSignature = s
			have |= hasPrevSignature
			return err
		case "logFiles":
			if p.Peek() == 'n' {
				have &^= hasLogFiles
				f.LogFiles = nil
				return p.Literal("null")
			}
			logs, err := p.logFiles(f.LogFiles[:0])
			f.LogFiles = logs
			have |= hasLogFiles
			return err
		}
		return p.SkipValue()
	})
	if err != nil {
		return nil, err
	}
	if !p.AtEnd() {
		return nil, p.Errorf("data after the object")
	}
	if have&required != required {
		for i, name := range requiredNames {
			if have&(1<<i) == 0 {
				return nil, fmt.Errorf("field %s missing", name)
			}
		}
	}
	if start == "" || f.endTimeText == "" {
		return nil, errors.New("field digestStartTime or digestEndTime is empty")
	}
	if f.DigestStartTime, err = parseTime("digestStartTime", start); err != nil {
		return nil, err
	}
	if f.DigestEndTime, err = parseTime("digestEndTime", f.endTimeText); err != nil {
		return nil, err
	}
	return &f, nil
}

func (p *parser) logFiles(logs []LogEntry) ([]LogEntry, error) {
	if p.Peek() != '[' {
		return nil, p.Unexpected("'['")
	}
	if logs == nil {
		logs = []LogEntry{}
	}
	err := p.Elements(func(i int) error {
		var e LogEntry
		var have int
		if p.Peek() != '{' {
			return p.Unexpected("'{'")
		}
		err := p.Members(func(name string) error {
			var dst *string
			var t *time.Time
			switch name {
			case "s3Bucket":
				dst, have = &e.S3Bucket, have|1
			case "s3Object":
				dst, have = &e.S3Object, have|2
			case "hashValue":
				dst, have = &e.HashValue, have|4
			case "hashAlgorithm":
				dst = &e.HashAlgorithm
			case "newestEventTime":
				t = &e.NewestEventTime
			case "oldestEventTime":
				t = &e.OldestEventTime
			default:
				return p.SkipValue()
			}
			s, null, err := p.nullable(name)
			if err != nil {
				return err
			}
			if dst != nil {
				if null && dst != &e.HashAlgorithm {
					return fmt.Errorf("field %s is null", name)
				}
				*dst = s
				return nil
			}
			*t, err = parseTime(name, s)
			return err
		})
		if err != nil {
			return fmt.Errorf("logFiles[%d]: %w", i, err)
		}
		if have != 7 {
			return fmt.Errorf("logFiles[%d]: s3Bucket, s3Object or hashValue missing", i)
		}
		logs = append(logs, e)
		return nil
	})
	return logs, err
}

// Decode gunzips a digest object's body and parses it, returning the file
// and its uncompressed bytes (whose SHA-256 the signature and the next
// digest's previousDigestHashValue cover). Errors wrap ErrFormat.
func Decode(body []byte) (*File, []byte, error) {
	raw, err := gunzipAll(body)
	if err != nil {
		return nil, nil, err
	}
	f, err := Parse(raw)
	if err != nil {
		return nil, nil, err
	}
	return f, raw, nil
}

var gzipReaders sync.Pool

// gunzipAll inflates a whole gzip body. Like zlib.decompress in the AWS
// CLI it reads the first gzip member.
func gunzipAll(body []byte) ([]byte, error) {
	br := bytes.NewReader(body)
	zr, _ := gzipReaders.Get().(*gzip.Reader)
	var err error
	if zr == nil {
		zr, err = gzip.NewReader(br)
	} else {
		err = zr.Reset(br)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: gzip: %w", ErrFormat, err)
	}
	defer gzipReaders.Put(zr)
	zr.Multistream(false)
	out := make([]byte, 0, sizeHint(body)+512)
	for {
		if len(out) == cap(out) {
			// Double, up to the limit: append's growth of large slices
			// by a quarter copied and cleared the output over and over
			// (a 31 MiB bomb allocated 190 MB and took ten times as
			// long as inflating it).
			out = slices.Grow(out, min(cap(out), maxDigestSize+1-len(out)))
		}
		n, err := zr.Read(out[len(out):cap(out)])
		out = out[:len(out)+n]
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %w", ErrFormat, err)
		}
		if len(out) > maxDigestSize {
			return nil, fmt.Errorf("%w: more than %d bytes uncompressed", ErrFormat, maxDigestSize)
		}
	}
}

// sizeHint is how many bytes to expect from gunzipping body: the size a
// gzip member's trailer records (modulo 4 GiB), when no more than deflate
// can make of a body that long (1032 bytes of each) nor maxDigestSize, so
// that an honest body is inflated into one buffer of the right size;
// otherwise 4 bytes of each (the usual ratio), up to 1 MiB, and the
// buffer grows from there.
func sizeHint(body []byte) int {
	guess := min(4*len(body), 1<<20)
	if len(body) < 18 { // a header and a trailer
		return guess
	}
	size := int(binary.LittleEndian.Uint32(body[len(body)-4:]))
	if size > 1032*len(body) || size > maxDigestSize {
		return guess
	}
	return size
}

// maxDigestSize bounds a digest's size, compressed and uncompressed, so a
// hostile object cannot exhaust memory; a real digest lists at most a few
// thousand log files (a few MB).
const maxDigestSize = 32 << 20

// Get reads and decodes the digest file stored under key: the file, its
// uncompressed bytes (see Decode) and the object's info with the
// signature metadata. A digest object of more than 32 MiB, compressed or
// not, is an error wrapping ErrFormat.
func Get(ctx context.Context, store sink.Store, key string) (*File, []byte, sink.ObjectInfo, error) {
	body, info, err := sink.ReadAll(ctx, store, key, maxDigestSize)
	if errors.Is(err, sink.ErrTooLarge) {
		err = fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if err != nil {
		return nil, nil, info, err
	}
	f, raw, err := Decode(body)
	if err != nil {
		return nil, nil, info, fmt.Errorf("%s: %w", key, err)
	}
	return f, raw, info, nil
}

// gzipWriters reuses gzip writers, whose allocation costs more than
// compressing a digest.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

func gzipBytes(data []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(data)/3 + 64)
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	zw.Write(data) // writes to a bytes.Buffer do not fail
	zw.Close()
	return buf.Bytes()
}

func parseTime(name, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("field %s: %q is not a time", name, s)
	}
	return t.UTC(), nil
}

func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, TimeLayout)
	return append(b, '"')
}

func appendNullable(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return jsonscan.AppendString(b, s)
}
