package event_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
)

func TestLogWriter(t *testing.T) {
	lines := corpusLines(t, "records.jsonl")[:300]
	built := goBuilt(decode(t, fullRecord))
	var file bytes.Buffer
	lw, err := event.NewLogWriter(&file, event.LogWriterOptions{})
	require.NoError(t, err)
	var want []string
	for i, line := range lines {
		var r event.Record
		require.NoError(t, event.Unmarshal(line, &r))
		require.NoError(t, lw.Write(&r))
		want = append(want, string(r.AppendJSON(nil)))
		if i == 100 {
			require.NoError(t, lw.Write(built))
			want = append(want, string(built.AppendJSON(nil)))
			require.NoError(t, lw.WriteRaw([]byte(compactJSON(t, lines[0]))))
			want = append(want, compactJSON(t, lines[0]))
		}
	}
	require.NoError(t, lw.Close())
	require.NoError(t, lw.Close(), "Close twice is harmless")
	assert.Equal(t, len(want), lw.Len())

	assert.Equal(t, []byte{0x1f, 0x8b}, file.Bytes()[:2], "gzip")
	plain := gunzip(t, file.Bytes())
	assert.Equal(t, `{"Records":[`+strings.Join(want, ",")+`]}`, string(plain), "compact, one array, nothing else")
	assert.True(t, json.Valid(plain))
	assert.Equal(t, sha256.Sum256(plain), lw.SHA256(), "hash of the uncompressed file, for digests")

	// The Go-built record is written in CloudTrail's order.
	var doc struct{ Records []json.RawMessage }
	require.NoError(t, json.Unmarshal(plain, &doc))
	assert.Equal(t, topKeys(t, built.AppendJSON(nil)), topKeys(t, doc.Records[101]))
	assert.Equal(t, slicesWithout(cloudTrailOrder, "insightDetails"), topKeys(t, doc.Records[101]))

	// Every record read back equals what was written, and the decoded
	// corpus records equal their input.
	var got []string
	for r, err := range event.Read(bytes.NewReader(file.Bytes())) {
		require.NoError(t, err)
		got = append(got, string(r.AppendJSON(nil)))
	}
	assert.Equal(t, want, got)
	for i, line := range lines[:100] {
		assert.Equal(t, tokens(t, line), tokens(t, []byte(got[i])))
	}
}

func slicesWithout(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

func TestLogWriterEmptyFile(t *testing.T) {
	var file bytes.Buffer
	lw, err := event.NewLogWriter(&file, event.LogWriterOptions{Level: gzip.BestSpeed})
	require.NoError(t, err)
	require.NoError(t, lw.Close())
	assert.Equal(t, `{"Records":[]}`, string(gunzip(t, file.Bytes())))
	assert.Equal(t, sha256.Sum256([]byte(`{"Records":[]}`)), lw.SHA256())
}

func TestLogWriterBadLevel(t *testing.T) {
	_, err := event.NewLogWriter(&bytes.Buffer{}, event.LogWriterOptions{Level: 42})
	assert.Error(t, err)
}

// failAfter accepts n bytes, then fails.
type failAfter struct{ n int }

var errDiskFull = errors.New("disk full")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errDiskFull
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWritersReportWriteErrors(t *testing.T) {
	r := goBuilt(decode(t, fullRecord))
	lw, err := event.NewLogWriter(&failAfter{n: 100}, event.LogWriterOptions{Level: gzip.NoCompression})
	require.NoError(t, err)
	var werr error
	for range 1000 {
		if werr = lw.Write(r); werr != nil {
			break
		}
	}
	if werr == nil {
		werr = lw.Close()
	}
	assert.ErrorIs(t, werr, errDiskFull)
	assert.ErrorIs(t, lw.Close(), errDiskFull, "the error sticks")

	jw := event.NewLinesWriter(&failAfter{n: 10})
	assert.ErrorIs(t, jw.Write(r), errDiskFull)
}

func TestLinesWriter(t *testing.T) {
	lines := corpusLines(t, "records.jsonl")[:50]
	var out bytes.Buffer
	jw := event.NewLinesWriter(&out)
	for _, line := range lines {
		var r event.Record
		require.NoError(t, event.Unmarshal(line, &r))
		require.NoError(t, jw.Write(&r))
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	require.Len(t, got, len(lines), "one record a line")
	for i := range lines {
		assert.Equal(t, tokens(t, lines[i]), tokens(t, []byte(got[i])))
	}
	// JSON Lines are a form the Scanner reads.
	n := 0
	for _, err := range event.Read(&out) {
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, len(lines), n)
}

func TestBuiltRecordsAreEmittable(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 890, time.UTC)
	r := &event.Record{
		EventSource: "orders.example.com", EventName: "CreateOrder", AWSRegion: "eu-west-1",
		SourceIPAddress: "198.51.100.7", UserAgent: "orders-cli/1.0",
		UserIdentity:      &event.UserIdentity{Type: "IAMUser", AccountID: "111122223333", UserName: "alice"},
		RequestParameters: json.RawMessage(`{"sku":"A-17","quantity":2,"price":19.90}`),
		ReadOnly:          event.Bool(false),
	}
	r.Fill("", now)
	require.NoError(t, r.Validate())
	var file bytes.Buffer
	lw, err := event.NewLogWriter(&file, event.LogWriterOptions{})
	require.NoError(t, err)
	require.NoError(t, lw.Write(r))
	require.NoError(t, lw.Close())
	plain := string(gunzip(t, file.Bytes()))
	assert.Contains(t, plain, `{"Records":[{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","accountId":"111122223333","userName":"alice"},"eventTime":"2026-03-04T05:06:07Z","eventSource":"orders.example.com","eventName":"CreateOrder"`)
	assert.Contains(t, plain, `"requestParameters":{"sku":"A-17","quantity":2,"price":19.90}`)
	assert.Contains(t, plain, `"readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}]}`)
	for got, err := range event.Read(strings.NewReader(plain)) {
		require.NoError(t, err)
		assert.Equal(t, r.EventID, got.EventID)
		require.NoError(t, got.Validate(), "what was emitted reads back valid")
	}
}
