package history_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/trail/history"
)

// propertyRounds is how many random trails the property test tries:
// TRAILKIT_PROPERTY_ROUNDS, or a number CI runs in a few seconds.
func propertyRounds() int {
	if n, err := strconv.Atoi(os.Getenv("TRAILKIT_PROPERTY_ROUNDS")); err == nil && n > 0 {
		return n
	}
	return 40
}

// model is what the test knows of a record, to compute the matching set
// without the package under test.
type model struct {
	id, name, user, source, key string
	at                          time.Time
	readOnly                    bool
}

func (m model) has(a history.Attribute) bool {
	switch a.Key {
	case history.EventID:
		return m.id == a.Value
	case history.EventName:
		return m.name == a.Value
	case history.Username:
		return m.user == a.Value
	case history.EventSource:
		return m.source == a.Value
	case history.AccessKeyID:
		return m.key == a.Value
	case history.ReadOnly:
		return strconv.FormatBool(m.readOnly) == a.Value
	}
	panic("model has no " + a.Key)
}

// TestLookupPagesProperty builds random trails whose records are delivered
// late (up to three weeks after their eventTime, in files of later days),
// some twice and many sharing a second, then pages through random queries
// with random page sizes: the pages joined must be exactly the matching
// records, newest first, each once.
func TestLookupPagesProperty(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("TRAILKIT_PROPERTY_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (TRAILKIT_PROPERTY_SEED reruns it)", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	names := []string{"GetObject", "PutObject", "ConsoleLogin", "AssumeRole"}
	users := []string{"alice", "bob", "carol"}
	sources := []string{"s3.amazonaws.com", "iam.amazonaws.com"}
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for round := range propertyRounds() {
		s := &memStore{}
		var all []model
		var files [][]*event.Record
		nfiles := 1 + rng.IntN(25)
		for range nfiles {
			var recs []*event.Record
			var latest time.Time
			for range rng.IntN(12) {
				m := model{id: fmt.Sprintf("ev-%04d", len(all)), name: names[rng.IntN(len(names))],
					user: users[rng.IntN(len(users))], source: sources[rng.IntN(len(sources))],
					// Seconds from a small set: many records share one.
					at:       base.Add(time.Duration(rng.IntN(40)) * 4 * time.Hour).Add(time.Duration(rng.IntN(3)) * time.Second),
					readOnly: rng.IntN(2) == 0}
				m.key = "AKIA" + m.user
				all = append(all, m)
				r := rec(m.id, m.at, func(r *event.Record) {
					r.EventName, r.EventSource, r.ReadOnly = m.name, m.source, event.Bool(m.readOnly)
					r.UserIdentity = &event.UserIdentity{Type: "IAMUser", UserName: m.user, AccessKeyID: m.key}
				})
				recs = append(recs, r)
				if len(files) > 0 && rng.IntN(15) == 0 { // a redelivery of an earlier record
					old := files[rng.IntN(len(files))]
					if len(old) > 0 {
						recs = append(recs, old[rng.IntN(len(old))])
					}
				}
			}
			for _, r := range recs {
				if r.EventTime.After(latest) {
					latest = r.EventTime
				}
			}
			late := time.Duration(rng.IntN(5)) * time.Minute
			if rng.IntN(4) == 0 {
				late = time.Duration(rng.IntN(21*24)) * time.Hour
			}
			s.put(t, "", "111122223333", []string{"us-east-1", "eu-west-1"}[rng.IntN(2)], latest.Add(late), recs...)
			files = append(files, recs)
		}

		in := history.Input{MaxResults: 1 + rng.IntN(50),
			StartTime: base.Add(time.Duration(rng.IntN(80)) * time.Hour),
			EndTime:   base.Add(time.Duration(80+rng.IntN(100)) * time.Hour)}
		if rng.IntN(3) == 0 {
			in.StartTime, in.EndTime = base.Add(-time.Hour), base.Add(200*time.Hour)
		}
		for range rng.IntN(3) {
			m := model{id: fmt.Sprintf("ev-%04d", rng.IntN(len(all)+1)), name: names[rng.IntN(len(names))],
				user: users[rng.IntN(len(users))], source: sources[rng.IntN(len(sources))], readOnly: rng.IntN(2) == 0}
			m.key = "AKIA" + m.user
			a := []history.Attribute{{Key: history.EventID, Value: m.id}, {Key: history.EventName, Value: m.name},
				{Key: history.Username, Value: m.user}, {Key: history.EventSource, Value: m.source},
				{Key: history.AccessKeyID, Value: m.key}, {Key: history.ReadOnly, Value: strconv.FormatBool(m.readOnly)}}
			in.Attributes = append(in.Attributes, a[rng.IntN(len(a))])
		}
		switch rng.IntN(3) {
		case 1: // summaries kept across the pages, built by the first
			in.Summaries = history.NewSummaries()
		case 2: // summaries of an earlier lookup of the whole trail
			in.Summaries = history.NewSummaries()
			_, err := history.LookupMany(context.Background(), s, history.Input{StartTime: base.Add(-time.Hour), EndTime: base.Add(200 * time.Hour), Summaries: in.Summaries}, 0)
			require.NoError(t, err)
		}

		var want []string
		for _, m := range all {
			ok := !m.at.Before(in.StartTime) && !m.at.After(in.EndTime)
			for _, a := range in.Attributes {
				ok = ok && m.has(a)
			}
			if ok {
				want = append(want, m.id)
			}
		}
		at := map[string]time.Time{}
		for _, m := range all {
			at[m.id] = m.at
		}
		slices.SortFunc(want, func(a, b string) int {
			if c := at[b].Compare(at[a]); c != 0 {
				return c
			}
			return cmp.Compare(b, a)
		})

		var got []string
		for page := 0; ; page++ {
			require.Less(t, page, len(want)+2, "round %d: paging does not end", round)
			out, err := history.Lookup(context.Background(), s, in)
			require.NoError(t, err)
			require.LessOrEqual(t, len(out.Events), in.MaxResults)
			require.LessOrEqual(t, out.Read.Files, int64(nfiles), "round %d: a page reads each file at most once", round)
			got = append(got, ids(out.Events)...)
			if out.NextToken == "" {
				break
			}
			require.NotEmpty(t, out.Events, "round %d: an empty page with a next token", round)
			in.NextToken = out.NextToken
		}
		require.Equal(t, want, got, "round %d: %d files, page size %d, attributes %v, %s to %s",
			round, nfiles, in.MaxResults, in.Attributes, in.StartTime, in.EndTime)

		// One call for many events gives the same as the pages joined.
		in.NextToken = ""
		n := rng.IntN(len(want) + 2)
		out, err := history.LookupMany(context.Background(), s, in, n)
		require.NoError(t, err)
		wantN := want
		if n > 0 && n < len(want) {
			wantN = want[:n]
		}
		require.Equal(t, append([]string{}, wantN...), append([]string{}, ids(out.Events)...), "round %d: LookupMany(%d)", round, n)
		require.Equal(t, len(wantN) < len(want), out.NextToken != "", "round %d: LookupMany's next token", round)
		require.LessOrEqual(t, out.Read.Files, int64(nfiles), "round %d: one call reads each file at most once", round)
	}
}
