package history

import (
	"bytes"
	"fmt"
	"math/bits"
	"testing"
	"time"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/jsonscan"
	"github.com/trailkit/trailkit/sink"
)

// FuzzSummaryHoldsItsValues checks that a summary never rules out a value
// its record has, however the value is spelt in JSON, whether the record's
// members come located by the Scanner (a log file's record) or not, and
// that reading any bytes as a record does not panic.
func FuzzSummaryHoldsItsValues(f *testing.F) {
	f.Add("alice", "GetObject", "arn:aws:s3:::bucket/key", []byte(`{"a":"b\"c"}`))
	f.Add(`o"ne\il`, "Ünïcode", "arn:aws:iam::1:role/x:y", []byte(`{"eventTime":"\u0032"}`))
	f.Add("sess:ion", "x", "arn:aws:ec2:r:1:instance:i-1", []byte(`{"userIdent\u0069ty":{"arn":1}}`))
	f.Fuzz(func(t *testing.T, user, name, arn string, junk []byte) {
		var z summarizer
		z.addRecord(junk, nil) // must not panic
		at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		for _, id := range []*event.UserIdentity{
			{Type: "IAMUser", UserName: user, AccessKeyID: "AKIA"},
			{Type: "AssumedRole", PrincipalID: "AROA1:" + user}, // no ARN: the session names the user
		} {
			rec := &event.Record{EventVersion: "1.11", EventID: "id", EventTime: at, EventSource: "s3.amazonaws.com", EventName: name,
				UserIdentity: id, Resources: []event.Resource{{Type: "AWS::S3::Object", ARN: arn}}}
			raw := rec.AppendJSON(nil)
			var back event.Record
			if event.Unmarshal(raw, &back) != nil {
				return // not a record this package reads
			}
			sc := event.NewScanner(bytes.NewReader([]byte(`{"Records":[` + string(raw) + `]}`)))
			if !sc.Scan() {
				t.Fatalf("scan %s: %v", raw, sc.Err())
			}
			if sc.Members() == nil {
				t.Fatalf("the Scanner did not locate the members of %s", raw)
			}
			for _, ms := range [][]jsonscan.Member{nil, sc.Members()} {
				z = summarizer{}
				got, ok := z.addRecord(sc.Bytes(), ms)
				if !ok || !got.Equal(at) {
					t.Fatalf("eventTime %v %v from %s", got, ok, raw)
				}
				z.addTime(got)
				s := z.summary(sink.ObjectInfo{})
				attrs := []Attribute{{EventName, eventName(&back)}, {Username, username(&back)}, {ResourceName, back.Resources[0].ARN},
					{ResourceName, resourceName(back.Resources[0].ARN)}}
				for _, a := range attrs {
					if a.Value != "" && !s.mayHold([]Attribute{a}) {
						t.Fatalf("summary (members located: %v) rules out %s=%q of %s", ms != nil, a.Key, a.Value, raw)
					}
				}
			}
		}
	})
}

// TestSummaryFoldedFilterHoldsEveryValue checks, at each filter size from
// one word to the largest, that the filter folded down to the size the
// values need still holds every one of them, and that it has that size.
func TestSummaryFoldedFilterHoldsEveryValue(t *testing.T) {
	for _, n := range []int{1, 6, 7, 50, 400, 1638, 1700, 5000} {
		z := newSummarizer()
		for i := range n {
			z.addValue(fmt.Appendf(nil, "v%d", i))
		}
		s := z.summary(sink.ObjectInfo{})
		z.release()
		words := min(max(1, (n*filterBitsPerValue+63)/64), filterMaxWords)
		if want := 1 << bits.Len(uint(words-1)); len(s.Filter) != want {
			t.Errorf("%d values: a filter of %d words, want %d", n, len(s.Filter), want)
		}
		for i := range n {
			if v := fmt.Sprintf("v%d", i); !s.mayHold([]Attribute{{EventName, v}}) {
				t.Fatalf("%d values: the summary rules out %s", n, v)
			}
		}
	}
}
