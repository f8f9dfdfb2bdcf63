package lake

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/testdata"
)

// TestObjectMembersCorpus checks that the object members serialised alone
// are byte for byte those of the whole record, on every corpus record.
func TestObjectMembersCorpus(t *testing.T) {
	seen := 0
	for i, line := range testdata.Records(t) {
		var r event.Record
		require.NoError(t, event.Unmarshal(line, &r), "record %d", i)
		whole, alone := r.AppendJSON(nil), objectMembers(&r)
		for _, k := range []string{"tlsDetails", "addendum", "edgeDeviceDetails", "insightDetails", "eventContext"} {
			want := event.Get(whole, k).Raw()
			require.Equal(t, string(want), string(event.Get(alone, k).Raw()), "record %d: %s", i, k)
			if want != nil {
				seen++
			}
		}
	}
	require.Greater(t, seen, 100, "corpus records with these members")
}
