package digest_test

import (
	"bytes"
	"context"
	"fmt"
	mrand "math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/synth"
	"github.com/trailkit/trailkit/sink"
)

// trailWriter delivers log files written with event.LogWriter and the
// digests of a digest.Chain, as the trail does.
type trailWriter struct {
	tb    testing.TB
	sink  sink.Sink
	chain *digest.Chain
	cfg   digest.ChainConfig
	gen   *synth.Generator
	rng   *mrand.Rand
	// records is the number of records per log file.
	records int
	// level is the gzip level of the log files (0: the default).
	level int
}

func newTrailWriter(tb testing.TB, s sink.Sink, cfg digest.ChainConfig, seed uint64, records int) *trailWriter {
	tb.Helper()
	c, err := digest.NewChain(cfg)
	require.NoError(tb, err)
	g := synth.New(seed, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	g.Account, g.Region = cfg.AccountID, cfg.Region
	return &trailWriter{tb: tb, sink: s, chain: c, cfg: c.Config(), gen: g, rng: mrand.New(mrand.NewPCG(seed, 99)), records: records}
}

func (w *trailWriter) logKey(at time.Time) string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	u := make([]byte, 16)
	for i := range u {
		u[i] = alnum[w.rng.IntN(len(alnum))]
	}
	base := ""
	if w.cfg.KeyPrefix != "" {
		base = w.cfg.KeyPrefix + "/"
	}
	base += "AWSLogs/"
	if w.cfg.OrganizationID != "" {
		base += w.cfg.OrganizationID + "/"
	}
	at = at.UTC()
	return fmt.Sprintf("%s%s/CloudTrail/%s/%s/%s_CloudTrail_%s_%s_%s.json.gz", base, w.cfg.AccountID, w.cfg.Region,
		at.Format("2006/01/02"), w.cfg.AccountID, w.cfg.Region, at.Format("20060102T1504Z"), u)
}

// putLog writes and delivers one log file at time at.
func (w *trailWriter) putLog(ctx context.Context, at time.Time) digest.LogFile {
	var buf bytes.Buffer
	lw, err := event.NewLogWriter(&buf, event.LogWriterOptions{Level: w.level})
	require.NoError(w.tb, err)
	var oldest, newest time.Time
	for range w.records {
		r := w.gen.Record()
		r.EventTime = at.Add(-time.Duration(w.rng.IntN(300)) * time.Second).Truncate(time.Second)
		if oldest.IsZero() || r.EventTime.Before(oldest) {
			oldest = r.EventTime
		}
		if r.EventTime.After(newest) {
			newest = r.EventTime
		}
		require.NoError(w.tb, lw.Write(r))
	}
	require.NoError(w.tb, lw.Close())
	key := w.logKey(at)
	require.NoError(w.tb, w.sink.Put(ctx, sink.Object{Key: key, Body: buf.Bytes(), ContentType: "application/json", ContentEncoding: "gzip"}))
	return digest.LogFile{Bucket: w.sink.Bucket(), Key: key, SHA256: lw.SHA256(), OldestEventTime: oldest, NewestEventTime: newest}
}

// hour delivers n log files in [start, start+1h) and the hour's digest.
func (w *trailWriter) hour(ctx context.Context, start time.Time, n int) (string, []digest.LogFile) {
	var logs []digest.LogFile
	for i := range n {
		at := start.Add(time.Duration(i*60/n)*time.Minute + time.Duration(w.rng.IntN(50))*time.Second)
		logs = append(logs, w.putLog(ctx, at))
	}
	obj, err := w.chain.Seal(ctx, start, start.Add(time.Hour), logs)
	require.NoError(w.tb, err)
	require.NoError(w.tb, w.sink.Put(ctx, obj))
	return obj.Key, logs
}
