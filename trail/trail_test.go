package trail_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
)

func baseConfig(sinks ...sink.Sink) trail.Config {
	return trail.Config{
		Name: "main-trail", AccountID: account, HomeRegion: home,
		IncludeGlobalServiceEvents: true, Delivery: trail.DeliveryOptions{Sinks: sinks},
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	d := newDir(t, "logs")
	tests := []struct {
		name      string
		edit      func(*trail.Config)
		field     string
		exception string
		reason    string
	}{
		{"short name", func(c *trail.Config) { c.Name = "ab" }, "Name", "InvalidTrailNameException", "3 to 128"},
		{"long name", func(c *trail.Config) { c.Name = strings.Repeat("a", 129) }, "Name", "InvalidTrailNameException", "3 to 128"},
		{"slash in name", func(c *trail.Config) { c.Name = "a/b/c" }, "Name", "InvalidTrailNameException", `not '/'`},
		{"dot dot name", func(c *trail.Config) { c.Name = "a..b" }, "Name", "InvalidTrailNameException", "adjacent"},
		{"dash underscore", func(c *trail.Config) { c.Name = "my-_trail" }, "Name", "InvalidTrailNameException", "adjacent"},
		{"starts with dash", func(c *trail.Config) { c.Name = "-trail" }, "Name", "InvalidTrailNameException", "start and end"},
		{"ends with period", func(c *trail.Config) { c.Name = "trail." }, "Name", "InvalidTrailNameException", "start and end"},
		{"IP address", func(c *trail.Config) { c.Name = "192.168.5.4" }, "Name", "InvalidTrailNameException", "IP address"},
		{"space", func(c *trail.Config) { c.Name = "my trail" }, "Name", "InvalidTrailNameException", "only ASCII"},
		{"unicode", func(c *trail.Config) { c.Name = "trailé" }, "Name", "InvalidTrailNameException", "only ASCII"},
		{"11-digit account", func(c *trail.Config) { c.AccountID = "11112222333" }, "AccountID", "InvalidParameterException", "12 digits"},
		{"account with letters", func(c *trail.Config) { c.AccountID = "11112222333a" }, "AccountID", "InvalidParameterException", "12 digits"},
		{"account path", func(c *trail.Config) { c.AccountID = "../../../etc" }, "AccountID", "InvalidParameterException", "12 digits"},
		{"empty region", func(c *trail.Config) { c.HomeRegion = "" }, "HomeRegion", "InvalidParameterException", "region name"},
		{"region upper case", func(c *trail.Config) { c.HomeRegion = "US-EAST-1" }, "HomeRegion", "InvalidParameterException", "region name"},
		{"region path", func(c *trail.Config) { c.HomeRegion = "us-east-1/../../x" }, "HomeRegion", "InvalidParameterException", "region name"},
		{"region dot dot", func(c *trail.Config) { c.HomeRegion = ".." }, "HomeRegion", "InvalidParameterException", "region name"},
		{"prefix dot dot", func(c *trail.Config) { c.S3KeyPrefix = "../outside" }, "S3KeyPrefix", "InvalidS3PrefixException", `".." segment`},
		{"prefix inner dot dot", func(c *trail.Config) { c.S3KeyPrefix = "a/../../b" }, "S3KeyPrefix", "InvalidS3PrefixException", `".." segment`},
		{"prefix absolute", func(c *trail.Config) { c.S3KeyPrefix = "/etc" }, "S3KeyPrefix", "InvalidS3PrefixException", "start or end"},
		{"prefix trailing slash", func(c *trail.Config) { c.S3KeyPrefix = "logs/" }, "S3KeyPrefix", "InvalidS3PrefixException", "start or end"},
		{"prefix double slash", func(c *trail.Config) { c.S3KeyPrefix = "a//b" }, "S3KeyPrefix", "InvalidS3PrefixException", "'//'"},
		{"prefix backslash", func(c *trail.Config) { c.S3KeyPrefix = `a\..\b` }, "S3KeyPrefix", "InvalidS3PrefixException", `'\\'`},
		{"prefix NUL", func(c *trail.Config) { c.S3KeyPrefix = "a\x00b" }, "S3KeyPrefix", "InvalidS3PrefixException", `'\x00'`},
		{"prefix hidden", func(c *trail.Config) { c.S3KeyPrefix = "a/.metadata" }, "S3KeyPrefix", "InvalidS3PrefixException", "starts with '.'"},
		{"prefix too long", func(c *trail.Config) { c.S3KeyPrefix = strings.Repeat("a", 201) }, "S3KeyPrefix", "InvalidS3PrefixException", "200"},
		{"organization id", func(c *trail.Config) { c.OrganizationID = "o-../../x" }, "OrganizationID", "InvalidParameterException", "organization id"},
		{"multi-region without globals", func(c *trail.Config) {
			c.IsMultiRegionTrail, c.IncludeGlobalServiceEvents = true, false
		}, "IncludeGlobalServiceEvents", "InvalidParameterCombinationException", "must include global"},
		// trailkit's own fields: no CloudTrail exception.
		{"no sinks", func(c *trail.Config) { c.Delivery.Sinks = nil }, "Delivery.Sinks", "", "at least one sink"},
		{"nil sink", func(c *trail.Config) { c.Delivery.Sinks = append(c.Delivery.Sinks, nil) }, "Delivery.Sinks[1]", "", "must be a sink"},
		{"negative concurrency", func(c *trail.Config) { c.Delivery.Concurrency = -1 }, "Delivery.Concurrency", "", `"-1": must not be negative`},
		{"retry multiplier", func(c *trail.Config) { c.Delivery.Retry.Multiplier = 0.5 }, "Delivery.Retry.Multiplier", "", `"0.5": must be at least 1`},
		{"negative backoff", func(c *trail.Config) { c.Delivery.Retry.MaxBackoff = -time.Second }, "Delivery.Retry.MaxBackoff", "", `"-1s": must not be negative`},
		{"small file", func(c *trail.Config) { c.Files.MaxBytes = 512 }, "Files.MaxBytes", "", `"512": must be at least 1024`},
		{"gzip level", func(c *trail.Config) { c.Files.GzipLevel = 12 }, "Files.GzipLevel", "", `"12": must be a gzip level`},
		{"negative flush interval", func(c *trail.Config) { c.Files.FlushInterval = -time.Minute }, "Files.FlushInterval", "", "must not be negative"},
		{"digest region", func(c *trail.Config) { c.Digests.Regions = []string{"us-east-1", "../x"} }, "Digests.Regions[1]", "InvalidParameterException", "region name"},
		{"buffer below a file", func(c *trail.Config) {
			c.Files.MaxBytes, c.Durability.Buffer.MaxBytes = 8<<10, 4<<10
		}, "Durability.Buffer.MaxBytes", "", "at least one file of Files.MaxBytes (8192)"},
		{"on full", func(c *trail.Config) { c.Durability.Buffer.OnFull = 7 }, "Durability.Buffer.OnFull", "", `"7": must be Block or Drop`},
		{"spool without dir", func(c *trail.Config) { c.Durability.Spool = &trail.Spool{} }, "Durability.Spool.Dir", "", "must name a directory"},
		{"selectors", func(c *trail.Config) {
			c.Selectors = selector.Config{EventSelectors: []selector.EventSelector{}}
		}, "Selectors.EventSelectors", selector.ExceptionInvalidEventSelectors, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(d)
			tt.edit(&cfg)
			tr, err := trail.New(cfg)
			require.Error(t, err)
			assert.Nil(t, tr)
			assert.Equal(t, err, cfg.Validate(), "Validate reports what New does")
			var ce *trail.ConfigError
			require.True(t, errors.As(err, &ce), "%T %v", err, err)
			assert.Equal(t, tt.field, ce.Field)
			assert.Equal(t, tt.exception, ce.Exception)
			assert.Contains(t, err.Error(), tt.reason)
			assert.Contains(t, err.Error(), tt.field)
			assert.True(t, strings.HasPrefix(err.Error(), "trail config: "), err.Error())
		})
	}
	assert.Empty(t, filesOutside(t, filepath.Dir(d.Root()), ""), "nothing written anywhere")
}

func TestValidNamesAccepted(t *testing.T) {
	for _, name := range []string{"abc", "My.Trail_1-x", strings.Repeat("a", 128), "1.2.3", "192.168.5.4a"} {
		assert.NoError(t, trail.ValidateTrailName(name), name)
	}
	for _, r := range []string{"us-east-1", "eu-central-2", "us-gov-west-1", "us-isob-east-1", "ap-southeast-7", "mx-central-1"} {
		assert.NoError(t, trail.ValidateRegion("r", r), r)
	}
	for _, p := range []string{"", "logs", "a/b/c", "prefix-with.dots/and_underscores", "a..b"} {
		assert.NoError(t, trail.ValidateS3KeyPrefix(p), p)
	}
	assert.NoError(t, trail.ValidateOrganizationID("o-exampleorgid"))
}

// Records whose region or account would name a path are refused, and no
// file lands outside the sink's root.
func TestEmitRejectsRecordsThatEscape(t *testing.T) {
	parent := t.TempDir()
	d, err := sink.NewDir(filepath.Join(parent, "root"), sink.DirOptions{Bucket: "logs"})
	require.NoError(t, err)
	cfg := baseConfig(d)
	cfg.IsMultiRegionTrail = true
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 30*time.Second)
	for _, edit := range []func(*event.Record){
		func(r *event.Record) { r.AWSRegion = "../../../tmp" },
		func(r *event.Record) { r.AWSRegion = "us-east-1/../../x" },
		func(r *event.Record) { r.RecipientAccountID = "../../../../" },
		func(r *event.Record) { r.RecipientAccountID = "1234" },
		func(r *event.Record) { r.EventTime = time.Time{} },
	} {
		r := record(t0, "us-east-1", "ec2.amazonaws.com", "RunInstances")
		edit(r)
		err := tr.Emit(ctx, r)
		require.ErrorIs(t, err, trail.ErrInvalidRecord)
		assert.Contains(t, err.Error(), r.EventID)
	}
	good := record(t0, "us-east-1", "ec2.amazonaws.com", "RunInstances")
	require.NoError(t, tr.Emit(ctx, good))
	require.NoError(t, tr.Close(ctx))
	assert.Equal(t, int64(5), tr.Counters().Rejected)
	assert.Empty(t, filesOutside(t, parent, d.Root()))
	requireExactlyOnce(t, readStore(t, d), []string{good.EventID})
}

func TestKeyLayout(t *testing.T) {
	tests := []struct {
		name, prefix, org string
		insight           bool
	}{
		{"plain", "", "", false},
		{"prefix", "audit/prod", "", false},
		{"organization", "", "o-aa111bb222", false},
		{"organization and prefix", "org-logs", "o-aa111bb222", false},
		{"insights", "", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDir(t, "logs")
			clock := trail.NewManualClock(t0)
			cfg := baseConfig(d)
			cfg.S3KeyPrefix, cfg.OrganizationID, cfg.Clock = tt.prefix, tt.org, clock
			cfg.Selectors.InsightSelectors = []selector.InsightSelector{{InsightType: selector.APICallRateInsight}}
			tr, err := trail.New(cfg)
			require.NoError(t, err)
			ctx := ctxT(t, 30*time.Second)
			r := record(t0, home, "ec2.amazonaws.com", "RunInstances")
			if tt.insight {
				r = &event.Record{EventVersion: "1.08", EventTime: t0, AWSRegion: home, EventID: "b1d2f8c0-0000-4000-8000-000000000001",
					EventType: event.TypeInsight, RecipientAccountID: account, EventCategory: event.CategoryInsight,
					InsightDetails: &event.InsightDetails{State: "Start", EventSource: "ec2.amazonaws.com", EventName: "RunInstances", InsightType: "ApiCallRateInsight"}}
			}
			require.NoError(t, tr.Emit(ctx, r))
			// The window ends at 09:30; the file is dated then.
			clock.Set(time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC))
			require.NoError(t, tr.Close(ctx))
			s := readStore(t, d)
			require.Len(t, s.logs, 1)
			key := s.keys()[0]
			m := keyRE.FindStringSubmatch(key)
			require.NotNil(t, m, key)
			dir := "CloudTrail"
			if tt.insight {
				dir = "CloudTrail-Insight"
			}
			assert.Equal(t, []string{tt.prefix, tt.org, account, dir, home, "2026/03/14", account, dir, home, "20260314T0930Z"},
				append([]string{}, m[1:11]...))
			want := "AWSLogs/"
			if tt.prefix != "" {
				want = tt.prefix + "/" + want
			}
			if tt.org != "" {
				want += tt.org + "/"
			}
			want += account + "/" + dir + "/us-west-2/2026/03/14/" + account + "_" + dir + "_us-west-2_20260314T0930Z_"
			assert.Equal(t, want, key[:len(key)-len("XXXXXXXXXXXXXXXX.json.gz")])
			obj, info, err := sink.ReadAll(ctx, d, key, 1<<30)
			require.NoError(t, err)
			assert.NotEmpty(t, obj)
			_ = info
		})
	}
}

func TestRegionRouting(t *testing.T) {
	type rec struct{ region, source string }
	iam := rec{"us-east-1", "iam.amazonaws.com"}
	sts := rec{"us-east-1", "sts.amazonaws.com"}
	stsRegional := rec{"eu-west-1", "sts.amazonaws.com"}
	cf := rec{"us-east-1", "cloudfront.amazonaws.com"}
	homeEC2 := rec{home, "ec2.amazonaws.com"}
	otherEC2 := rec{"eu-west-1", "ec2.amazonaws.com"}
	useast1EC2 := rec{"us-east-1", "ec2.amazonaws.com"}
	all := []rec{iam, sts, stsRegional, cf, homeEC2, otherEC2, useast1EC2}
	tests := []struct {
		name          string
		multi, global bool
		want          map[rec]string // record -> region of its file; absent: not logged
	}{
		{"single region with globals", false, true, map[rec]string{
			iam: "us-east-1", sts: "us-east-1", cf: "us-east-1", homeEC2: home}},
		{"single region without globals", false, false, map[rec]string{homeEC2: home}},
		{"multi-region", true, true, map[rec]string{
			iam: "us-east-1", sts: "us-east-1", cf: "us-east-1", homeEC2: home,
			stsRegional: "eu-west-1", otherEC2: "eu-west-1", useast1EC2: "us-east-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDir(t, "logs")
			cfg := baseConfig(d)
			cfg.IsMultiRegionTrail, cfg.IncludeGlobalServiceEvents = tt.multi, tt.global
			tr, err := trail.New(cfg)
			require.NoError(t, err)
			ctx := ctxT(t, 30*time.Second)
			ids := map[string]rec{}
			for _, x := range all {
				r := record(t0, x.region, x.source, "DoThing")
				ids[r.EventID] = x
				require.NoError(t, tr.Emit(ctx, r))
			}
			require.NoError(t, tr.Close(ctx))
			got := map[rec]string{}
			for key, recs := range readStore(t, d).logs {
				m := keyRE.FindStringSubmatch(key)
				require.NotNil(t, m, key)
				for _, r := range recs {
					got[ids[r.EventID]] = m[5]
				}
			}
			assert.Equal(t, tt.want, got)
			c := tr.Counters()
			assert.Equal(t, int64(len(all)), c.Emitted)
			assert.Equal(t, int64(len(tt.want)), c.Selected)
			assert.Equal(t, int64(len(tt.want)), c.Delivered)
		})
	}
}

func TestSelectorsApplied(t *testing.T) {
	d := newDir(t, "logs")
	cfg := baseConfig(d)
	cfg.Selectors = selector.Config{AdvancedEventSelectors: []selector.AdvancedEventSelector{{
		Name: "writes only",
		FieldSelectors: []selector.FieldSelector{
			{Field: "eventCategory", Equals: []string{"Management"}},
			{Field: "readOnly", Equals: []string{"false"}},
		},
	}}}
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 30*time.Second)
	var writes []string
	for i := range 50 {
		name := "RunInstances"
		if i%2 == 0 {
			name = "DescribeInstances"
		}
		r := record(t0, home, "ec2.amazonaws.com", name)
		if !*r.ReadOnly {
			writes = append(writes, r.EventID)
		}
		require.NoError(t, tr.Emit(ctx, r))
	}
	require.NoError(t, tr.Close(ctx))
	requireExactlyOnce(t, readStore(t, d), writes)
	c := tr.Counters()
	assert.Equal(t, trail.Counters{Emitted: 50, Selected: 25, Delivered: 25}, c)

	bad := baseConfig(d)
	bad.Selectors = selector.Config{EventSelectors: []selector.EventSelector{}}
	_, err = trail.New(bad)
	var se *selector.Error
	require.ErrorAs(t, err, &se)
}

// Files are cut at the end of each flush window on the trail's clock and
// dated then; nothing is delivered before.
func TestFlushIntervalWithManualClock(t *testing.T) {
	d := newDir(t, "logs")
	start := time.Date(2026, 3, 14, 10, 0, 30, 0, time.UTC)
	cfg, clock := manualConfig(start, d)
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 30*time.Second)
	emitAt := func(at time.Time) string {
		clock.Set(at)
		r := record(at, home, "ec2.amazonaws.com", "RunInstances")
		require.NoError(t, tr.Emit(ctx, r))
		return r.EventID
	}
	first := []string{emitAt(start), emitAt(start.Add(3 * time.Minute))}
	require.NoError(t, waitIdle(ctx, tr))
	assert.Empty(t, readStore(t, d).logs, "nothing before the window ends")

	clock.Set(time.Date(2026, 3, 14, 10, 4, 59, 0, time.UTC))
	require.NoError(t, waitIdle(ctx, tr))
	assert.Empty(t, readStore(t, d).logs, "nothing before the window ends")

	clock.Set(time.Date(2026, 3, 14, 10, 5, 0, 0, time.UTC))
	require.NoError(t, waitIdle(ctx, tr))
	s := readStore(t, d)
	require.Len(t, s.logs, 1)
	assert.Contains(t, s.keys()[0], "_20260314T1005Z_")
	requireExactlyOnce(t, s, first)

	// A record emitted after a quiet spell lands in the window of its
	// time: 10:17 -> file of 10:20.
	late := emitAt(time.Date(2026, 3, 14, 10, 17, 0, 0, time.UTC))
	clock.Set(time.Date(2026, 3, 14, 10, 20, 0, 0, time.UTC))
	require.NoError(t, tr.Close(ctx))
	s = readStore(t, d)
	require.Len(t, s.logs, 2)
	var stamps []string
	for k := range s.logs {
		stamps = append(stamps, keyRE.FindStringSubmatch(k)[10])
	}
	sort.Strings(stamps)
	assert.Equal(t, []string{"20260314T1005Z", "20260314T1020Z"}, stamps)
	requireExactlyOnce(t, s, append(first, late))
	st := tr.Status()
	assert.Equal(t, time.Date(2026, 3, 14, 10, 20, 0, 0, time.UTC), st.LatestDeliveryTime)
	assert.Equal(t, start, st.StartLoggingTime)
}

// waitIdle waits until the trail has no file in flight.
func waitIdle(ctx context.Context, tr *trail.Trail) error {
	for tr.Status().PendingFiles > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return nil
}

func TestFileLimits(t *testing.T) {
	for _, tt := range []struct {
		name   string
		edit   func(*trail.Config)
		check  func(t *testing.T, recs []*event.Record, size int)
		nFiles int
	}{
		{"records", func(c *trail.Config) { c.Files.MaxRecords = 7 }, func(t *testing.T, recs []*event.Record, _ int) {
			assert.LessOrEqual(t, len(recs), 7)
		}, 15},
		{"bytes", func(c *trail.Config) { c.Files.MaxBytes = 8 << 10 }, func(t *testing.T, _ []*event.Record, size int) {
			assert.LessOrEqual(t, size, 8<<10)
		}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := newDir(t, "logs")
			cfg := baseConfig(d)
			cfg.Clock = trail.NewManualClock(t0)
			tt.edit(&cfg)
			tr, err := trail.New(cfg)
			require.NoError(t, err)
			ctx := ctxT(t, 30*time.Second)
			ids := emitN(t, ctx, tr, 100)
			require.NoError(t, tr.Close(ctx))
			s := readStore(t, d)
			requireExactlyOnce(t, s, ids)
			if tt.nFiles > 0 {
				assert.Len(t, s.logs, tt.nFiles)
			} else {
				assert.Greater(t, len(s.logs), 5)
			}
			for key, recs := range s.logs {
				body, _, err := sink.ReadAll(ctx, d, key, 1<<30)
				require.NoError(t, err)
				size := 0
				for _, r := range recs {
					size += len(r.AppendJSON(nil)) + 1
				}
				tt.check(t, recs, size+len(`{"Records":[]}`))
				assert.NotEmpty(t, body)
			}
		})
	}
}

func TestConcurrentEmitExactlyOnce(t *testing.T) {
	d := newDir(t, "logs")
	cfg := baseConfig(d)
	cfg.Files.MaxRecords = 100
	cfg.IsMultiRegionTrail = true
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 60*time.Second)
	regions := []string{"us-east-1", "eu-west-1", home}
	ids := emitConcurrently(t, ctx, 8, 500, func(g, i int) (*trail.Trail, *event.Record) {
		return tr, record(t0.Add(time.Duration(i)*time.Second), regions[(g+i)%3], "ec2.amazonaws.com", "RunInstances")
	})
	require.NoError(t, tr.Close(ctx))
	s := readStore(t, d)
	requireExactlyOnce(t, s, ids)
	for key, recs := range s.logs {
		m := keyRE.FindStringSubmatch(key)
		require.NotNil(t, m, key)
		for _, r := range recs {
			assert.Equal(t, m[5], r.AWSRegion, "a file holds one region")
		}
	}
	assert.Equal(t, int64(4000), tr.Counters().Delivered)
	require.ErrorIs(t, tr.Emit(ctx, record(t0, home, "ec2.amazonaws.com", "X")), trail.ErrClosed)
}

// Several trails of the same name, in the same minute, writing one bucket:
// no key is written twice.
func TestTrailsSharingABucketNeverCollide(t *testing.T) {
	d := newDir(t, "shared")
	counting := &faultSink{Sink: d}
	ctx := ctxT(t, 60*time.Second)
	const trails, perTrail = 4, 400
	var trs []*trail.Trail
	for range trails {
		cfg := baseConfig(counting)
		cfg.Clock = trail.NewManualClock(t0) // every file dated the same minute
		cfg.Files.MaxRecords = 10
		tr, err := trail.New(cfg)
		require.NoError(t, err)
		trs = append(trs, tr)
	}
	ids := emitConcurrently(t, ctx, trails, perTrail, func(g, _ int) (*trail.Trail, *event.Record) {
		return trs[g], record(t0, home, "ec2.amazonaws.com", "RunInstances")
	})
	for _, tr := range trs {
		require.NoError(t, tr.Close(ctx))
	}
	s := readStore(t, d)
	assert.Len(t, s.logs, trails*perTrail/10)
	assert.Equal(t, int64(trails*perTrail/10), counting.puts.Load(), "one put per file: no key reused")
	requireExactlyOnce(t, s, ids)
}

// A sink that fails is retried with backoff; the failure shows in Status
// while it lasts, and every record arrives once.
func TestFailingSinkRetried(t *testing.T) {
	d := newDir(t, "logs")
	good := newDir(t, "other")
	fs := &faultSink{Sink: d}
	boom := errors.New("service unavailable")
	fs.setFail(func(string) error { return boom })
	cfg := baseConfig(fs, good)
	cfg.Files.MaxRecords = 10
	cfg.Delivery.Retry = trail.RetryPolicy{InitialBackoff: 10 * time.Millisecond, MaxBackoff: 50 * time.Millisecond}
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 60*time.Second)
	ids := emitN(t, ctx, tr, 100)
	require.Eventually(t, func() bool { return fs.fails.Load() >= 30 }, 20*time.Second, 5*time.Millisecond)
	st := tr.Status()
	assert.Contains(t, st.LatestDeliveryError, "logs: put AWSLogs/")
	assert.Contains(t, st.LatestDeliveryError, "service unavailable")
	require.Len(t, st.Sinks, 2)
	assert.Equal(t, "logs", st.Sinks[0].Bucket)
	assert.NotEmpty(t, st.Sinks[0].LatestDeliveryError)
	assert.Empty(t, st.Sinks[1].LatestDeliveryError)
	// 100 records make 9 cut files and one still open.
	assert.Equal(t, int64(9), st.Sinks[1].FilesDelivered)
	assert.Zero(t, st.Sinks[0].FilesDelivered)
	assert.Equal(t, 9, st.PendingFiles)
	assert.Greater(t, st.Counters.Retried, int64(20))
	assert.Zero(t, st.Counters.Delivered, "delivered means delivered to every sink")

	fs.setFail(nil)
	require.NoError(t, tr.Close(ctx))
	requireExactlyOnce(t, readStore(t, d), ids)
	requireExactlyOnce(t, readStore(t, good), ids)
	st = tr.Status()
	assert.Empty(t, st.LatestDeliveryError)
	assert.Equal(t, int64(100), st.Counters.Delivered)
	assert.Equal(t, int64(10), st.Sinks[0].FilesDelivered)
}

// blockSink blocks puts until released.
type blockSink struct {
	sink.Sink
	release chan struct{}
}

func (b *blockSink) Unwrap() sink.Sink { return b.Sink }

func (b *blockSink) Put(ctx context.Context, obj sink.Object) error {
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.Sink.Put(ctx, obj)
}

func TestBufferFull(t *testing.T) {
	for _, policy := range []trail.OnFull{trail.Drop, trail.Block} {
		t.Run(fmt.Sprint(map[trail.OnFull]string{trail.Drop: "drop", trail.Block: "block"}[policy]), func(t *testing.T) {
			d := newDir(t, "logs")
			bs := &blockSink{Sink: d, release: make(chan struct{})}
			cfg := baseConfig(bs)
			cfg.Files.MaxBytes = 4 << 10
			cfg.Durability.Buffer = trail.BufferPolicy{MaxBytes: 16 << 10, OnFull: policy}
			tr, err := trail.New(cfg)
			require.NoError(t, err)
			ctx := ctxT(t, 60*time.Second)
			var accepted []string
			var full error
			for range 1000 {
				r := record(t0, home, "ec2.amazonaws.com", "RunInstances")
				ectx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
				err := tr.Emit(ectx, r)
				cancel()
				if err != nil {
					full = err
					break
				}
				accepted = append(accepted, r.EventID)
			}
			require.Error(t, full, "the buffer fills")
			if policy == trail.Drop {
				require.ErrorIs(t, full, trail.ErrBufferFull)
			} else {
				require.ErrorIs(t, full, context.DeadlineExceeded)
			}
			c := tr.Counters()
			assert.Equal(t, int64(1), c.Dropped)
			assert.Greater(t, len(accepted), 10)
			assert.LessOrEqual(t, tr.Status().BufferedBytes, int64(16<<10))

			close(bs.release)
			require.NoError(t, tr.Flush(ctx))
			r := record(t0, home, "ec2.amazonaws.com", "RunInstances")
			require.NoError(t, tr.Emit(ctx, r), "room again once the sink takes files")
			accepted = append(accepted, r.EventID)
			require.NoError(t, tr.Close(ctx))
			requireExactlyOnce(t, readStore(t, d), accepted)
		})
	}
}

func TestStopAndStartLogging(t *testing.T) {
	d := newDir(t, "logs")
	cfg, clock := manualConfig(t0, d)
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 30*time.Second)
	a := record(t0, home, "ec2.amazonaws.com", "RunInstances")
	require.NoError(t, tr.Emit(ctx, a))
	clock.Advance(time.Second)
	require.NoError(t, tr.StopLogging(ctx))
	st := tr.Status()
	assert.False(t, st.IsLogging)
	assert.Equal(t, t0.Add(time.Second), st.StopLoggingTime)
	requireExactlyOnce(t, readStore(t, d), []string{a.EventID})

	require.NoError(t, tr.Emit(ctx, record(t0, home, "ec2.amazonaws.com", "RunInstances")))
	assert.Equal(t, int64(1), tr.Counters().NotLogging)

	clock.Advance(time.Second)
	tr.StartLogging()
	assert.True(t, tr.Status().IsLogging)
	assert.Equal(t, t0.Add(2*time.Second), tr.Status().StartLoggingTime)
	b := record(t0, home, "ec2.amazonaws.com", "RunInstances")
	require.NoError(t, tr.Emit(ctx, b))
	require.NoError(t, tr.Close(ctx))
	requireExactlyOnce(t, readStore(t, d), []string{a.EventID, b.EventID})
}

func TestValidateRecords(t *testing.T) {
	d := newDir(t, "logs")
	cfg := baseConfig(d)
	cfg.ValidateRecords = true
	tr, err := trail.New(cfg)
	require.NoError(t, err)
	ctx := ctxT(t, 30*time.Second)
	bad := record(t0, home, "ec2.amazonaws.com", "RunInstances")
	bad.RequestParameters = []byte(`{"instanceType":`)
	err = tr.Emit(ctx, bad)
	require.ErrorIs(t, err, trail.ErrInvalidRecord)
	assert.Contains(t, err.Error(), "requestParameters")
	noIdentity := record(t0, home, "ec2.amazonaws.com", "RunInstances")
	noIdentity.UserIdentity = nil
	require.ErrorIs(t, tr.Emit(ctx, noIdentity), trail.ErrInvalidRecord)
	good := record(t0, home, "ec2.amazonaws.com", "RunInstances")
	require.NoError(t, tr.Emit(ctx, good))
	require.NoError(t, tr.Close(ctx))
	requireExactlyOnce(t, readStore(t, d), []string{good.EventID})
	assert.Equal(t, trail.Counters{Emitted: 3, Selected: 1, Delivered: 1, Rejected: 2}, tr.Counters())
}

// The spool's files are opened through an os.Root: a link in the spool
// that leads out of it is an error naming the file, and nothing is written
// outside.
func TestSpoolStaysInItsDirectory(t *testing.T) {
	spool, outside := t.TempDir(), t.TempDir()
	target := filepath.Join(outside, "victim")
	require.NoError(t, os.WriteFile(target, []byte("keep"), 0o644))
	require.NoError(t, os.Symlink(target, filepath.Join(spool, "LOCK")))
	cfg := baseConfig(newDir(t, "logs"))
	cfg.Durability.Spool = &trail.Spool{Dir: spool}
	_, err := trail.New(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "LOCK")
	assert.Contains(t, err.Error(), "escapes")
	b, err := os.ReadFile(target)
	require.NoError(t, err)
	assert.Equal(t, "keep", string(b))
}
