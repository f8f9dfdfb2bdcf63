package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
)

// spreadLogFile writes one gzipped log file of n generated records spread
// over regions × accounts × days partitions, each record's partition the
// next in turn, as a trail aggregated from an organization's accounts is.
func spreadLogFile(t *testing.T, n, regions, accounts, days int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "spread.json.gz")
	f, err := os.Create(p)
	require.NoError(t, err)
	lw, err := event.NewLogWriter(f, event.LogWriterOptions{})
	require.NoError(t, err)
	g := synth.New(7, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	for i := range n {
		r := g.Record()
		r.AWSRegion = fmt.Sprintf("region-%d", i%regions)
		r.RecipientAccountID = fmt.Sprintf("%012d", 100000000000+(i/regions)%accounts)
		r.EventTime = r.EventTime.Add(time.Duration((i/(regions*accounts))%days) * 24 * time.Hour)
		require.NoError(t, lw.Write(r))
	}
	require.NoError(t, lw.Close())
	require.NoError(t, f.Close())
	return p
}

// TestExportRSSManyPartitions exports one input whose records fall in many
// partitions, so that a file is open for each at once, and checks the
// command's peak RSS stays under 256 MiB: the memory of the open files'
// encoders must be bounded, not only their finished bytes. By default it
// runs the cloudtrail shape over 96 partitions (about 30 s on two cores);
// TRAILKIT_RSS_ALL=1 adds 48 partitions and the ocsf shape.
func TestExportRSSManyPartitions(t *testing.T) {
	bin := buildTrailkit(t)
	launcher := buildLauncher(t)
	n := 100000
	if s := os.Getenv("TRAILKIT_RSS_RECORDS"); s != "" {
		_, err := fmt.Sscan(s, &n)
		require.NoError(t, err)
	}
	cases := []struct{ regions, accounts, days int }{{8, 6, 2}}
	formats := []string{"cloudtrail"}
	if os.Getenv("TRAILKIT_RSS_ALL") != "" {
		cases = append(cases, struct{ regions, accounts, days int }{8, 6, 1})
		formats = append(formats, "ocsf")
	}
	for _, c := range cases {
		parts := c.regions * c.accounts * c.days
		t.Run(fmt.Sprintf("partitions=%d", parts), func(t *testing.T) {
			in := spreadLogFile(t, n, c.regions, c.accounts, c.days)
			for _, format := range formats {
				out := filepath.Join(t.TempDir(), "lake")
				m := runMeasured(t, launcher, nil, bin, "export", "--format", format, "--out", out, in)
				require.Equal(t, 0, m.code, m.stderr)
				require.Contains(t, m.stderr, fmt.Sprintf("exported %d records", n))
				t.Logf("%s, %d records over %d partitions: peak RSS %.1f MiB, cpu %v", format, n, parts, float64(m.peakRSS)/(1<<20), m.cpu)
				require.LessOrEqual(t, m.peakRSS, int64(256<<20), "%s: peak RSS over 256 MiB", format)
			}
		})
	}
}
