package digest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
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
	b = appendString(b, f.AWSAccountID)
	b = append(b, `,"digestStartTime":`...)
	b = appendTime(b, f.DigestStartTime)
	b = append(b, `,"digestEndTime":`...)
	if f.endTimeText != "" {
		b = appendString(b, f.endTimeText)
	} else {
		b = appendTime(b, f.DigestEndTime)
	}
	b = append(b, `,"digestS3Bucket":`...)
	b = appendString(b, f.DigestS3Bucket)
	b = append(b, `,"digestS3Object":`...)
	b = appendString(b, f.DigestS3Object)
	b = append(b, `,"digestPublicKeyFingerprint":`...)
	b = appendString(b, f.DigestPublicKeyFingerprint)
	b = append(b, `,"digestSignatureAlgorithm":`...)
	b = appendString(b, f.DigestSignatureAlgorithm)
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
		b = appendString(b, l.S3Bucket)
		b = append(b, `,"s3Object":`...)
		b = appendString(b, l.S3Object)
		b = append(b, `,"hashValue":`...)
		b = appendString(b, l.HashValue)
		b = append(b, `,"hashAlgorithm":`...)
		b = appendString(b, l.HashAlgorithm)
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

// fileJSON is the decoding shape. Required fields are RawMessage so that
// an absent field (invalid format) differs from a null one.
type fileJSON struct {
	AWSAccountID                *string         `json:"awsAccountId"`
	DigestStartTime             json.RawMessage `json:"digestStartTime"`
	DigestEndTime               json.RawMessage `json:"digestEndTime"`
	DigestS3Bucket              json.RawMessage `json:"digestS3Bucket"`
	DigestS3Object              json.RawMessage `json:"digestS3Object"`
	DigestPublicKeyFingerprint  json.RawMessage `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm    *string         `json:"digestSignatureAlgorithm"`
	NewestEventTime             *string         `json:"newestEventTime"`
	OldestEventTime             *string         `json:"oldestEventTime"`
	PreviousDigestS3Bucket      *string         `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string         `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string         `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string         `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     json.RawMessage `json:"previousDigestSignature"`
	LogFiles                    *[]logJSON      `json:"logFiles"`
}

type logJSON struct {
	S3Bucket        *string `json:"s3Bucket"`
	S3Object        *string `json:"s3Object"`
	HashValue       *string `json:"hashValue"`
	HashAlgorithm   *string `json:"hashAlgorithm"`
	NewestEventTime *string `json:"newestEventTime"`
	OldestEventTime *string `json:"oldestEventTime"`
}

// Parse reads a digest file's uncompressed JSON. Like the AWS CLI, it
// requires digestStartTime, digestEndTime, digestS3Bucket, digestS3Object,
// digestPublicKeyFingerprint and previousDigestSignature (which may be
// null) to be present; it also requires logFiles and each log file's
// s3Bucket, s3Object and hashValue, which validation reads. Errors wrap
// ErrFormat.
func Parse(data []byte) (*File, error) {
	var j fileJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	var f File
	var err error
	field := func(name string, raw json.RawMessage, nullable bool) string {
		if err != nil {
			return ""
		}
		if raw == nil {
			err = fmt.Errorf("%w: field %s missing", ErrFormat, name)
			return ""
		}
		if string(raw) == "null" {
			if !nullable {
				err = fmt.Errorf("%w: field %s is null", ErrFormat, name)
			}
			return ""
		}
		var s string
		if e := json.Unmarshal(raw, &s); e != nil {
			err = fmt.Errorf("%w: field %s: not a string", ErrFormat, name)
		}
		return s
	}
	start := field("digestStartTime", j.DigestStartTime, false)
	f.endTimeText = field("digestEndTime", j.DigestEndTime, false)
	f.DigestS3Bucket = field("digestS3Bucket", j.DigestS3Bucket, false)
	f.DigestS3Object = field("digestS3Object", j.DigestS3Object, false)
	f.DigestPublicKeyFingerprint = field("digestPublicKeyFingerprint", j.DigestPublicKeyFingerprint, false)
	f.PreviousDigestSignature = field("previousDigestSignature", j.PreviousDigestSignature, true)
	if err != nil {
		return nil, err
	}
	if f.DigestStartTime, err = parseTime("digestStartTime", start); err != nil {
		return nil, err
	}
	if f.DigestEndTime, err = parseTime("digestEndTime", f.endTimeText); err != nil {
		return nil, err
	}
	f.AWSAccountID = deref(j.AWSAccountID)
	f.DigestSignatureAlgorithm = deref(j.DigestSignatureAlgorithm)
	if f.NewestEventTime, err = parseTime("newestEventTime", deref(j.NewestEventTime)); err != nil {
		return nil, err
	}
	if f.OldestEventTime, err = parseTime("oldestEventTime", deref(j.OldestEventTime)); err != nil {
		return nil, err
	}
	f.PreviousDigestS3Bucket = deref(j.PreviousDigestS3Bucket)
	f.PreviousDigestS3Object = deref(j.PreviousDigestS3Object)
	f.PreviousDigestHashValue = deref(j.PreviousDigestHashValue)
	f.PreviousDigestHashAlgorithm = deref(j.PreviousDigestHashAlgorithm)
	if j.LogFiles == nil {
		return nil, fmt.Errorf("%w: field logFiles missing", ErrFormat)
	}
	f.LogFiles = make([]LogEntry, len(*j.LogFiles))
	for i, l := range *j.LogFiles {
		e := &f.LogFiles[i]
		if l.S3Bucket == nil || l.S3Object == nil || l.HashValue == nil {
			return nil, fmt.Errorf("%w: logFiles[%d]: s3Bucket, s3Object or hashValue missing", ErrFormat, i)
		}
		e.S3Bucket, e.S3Object, e.HashValue = *l.S3Bucket, *l.S3Object, *l.HashValue
		e.HashAlgorithm = deref(l.HashAlgorithm)
		if e.NewestEventTime, err = parseTime(fmt.Sprintf("logFiles[%d].newestEventTime", i), deref(l.NewestEventTime)); err != nil {
			return nil, err
		}
		if e.OldestEventTime, err = parseTime(fmt.Sprintf("logFiles[%d].oldestEventTime", i), deref(l.OldestEventTime)); err != nil {
			return nil, err
		}
	}
	return &f, nil
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
	out := make([]byte, 0, 4*len(body)+512)
	for {
		if len(out) == cap(out) {
			out = append(out, 0)[:len(out)]
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

// maxDigestSize bounds a digest's uncompressed size so a hostile object
// cannot exhaust memory; a real digest lists at most a few hundred log
// files (under 200 KB).
const maxDigestSize = 64 << 20

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
		return time.Time{}, fmt.Errorf("%w: field %s: %q is not a time", ErrFormat, name, s)
	}
	return t.UTC(), nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
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
	return appendString(b, s)
}

// appendString appends s as a JSON string, escaping only what JSON
// requires (quote, backslash, control characters), as CloudTrail does.
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, s[start:i]...)
				b = append(b, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += size
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
