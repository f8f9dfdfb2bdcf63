package trail

import (
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail/insight"
)

// Config describes a trail. The first fields mirror CloudTrail's CreateTrail
// request; the rest say how trailkit buffers and delivers.
type Config struct {
	// Name is the trail's name, by CloudTrail's rules (ValidateTrailName).
	Name string
	// AccountID is the 12-digit account that owns the trail. Records are
	// filed under their recipientAccountId, and under AccountID when they
	// have none.
	AccountID string
	// HomeRegion is the region the trail lives in, such as us-east-1.
	HomeRegion string
	// S3KeyPrefix is put before AWSLogs/ in every key ("" for none); see
	// ValidateS3KeyPrefix.
	S3KeyPrefix string
	// IsMultiRegionTrail logs records of every region; otherwise the trail
	// logs only records of HomeRegion (and global service events, below).
	IsMultiRegionTrail bool
	// IncludeGlobalServiceEvents logs the events of IAM, STS and
	// CloudFront, which CloudTrail files under us-east-1 whatever the
	// trail's home region. CloudTrail's default is true; a multi-region
	// trail must set it.
	IncludeGlobalServiceEvents bool
	// OrganizationID, when set, makes this an organization trail: keys get
	// the organization id after AWSLogs/ (AWSLogs/o-…/account/…).
	OrganizationID string

	// Selectors chooses the records the trail logs, as
	// put-event-selectors takes them; the zero Config is CloudTrail's
	// default (every management event). With InsightSelectors set the
	// trail analyses the records it logs and delivers Insights events,
	// under CloudTrail-Insight (see Insights in the package doc), and also
	// delivers the Insights records emitted to it.
	Selectors selector.Config
	// SelectorOptions are passed to selector.Compile.
	SelectorOptions selector.Options
	// Insights tunes the Insights analysis, when Selectors has
	// InsightSelectors.
	Insights InsightOptions
	// LogAllEvents logs every record of the trail's regions, Insights
	// records included, whatever the selectors say: for replaying or
	// migrating logs that were already selected.
	LogAllEvents bool
	// ValidateRecords makes Emit refuse a record that event.Record.Validate
	// refuses. Without it Emit checks only what filing needs (eventTime,
	// awsRegion, recipientAccountId) and writes free-form fields
	// (requestParameters, …) as they are: a record built in Go must then
	// hold valid JSON there, or its log file will not parse. Records
	// decoded by package event always do.
	ValidateRecords bool

	// Sinks receive every delivered file; at least one is required. Each
	// sink gets each file, with its own retries. A sink that is also a
	// sink.Store (sink.Dir, s3sink.Sink) lets a restarted trail continue its
	// digest chains from what it stored; a wrapper around a sink should
	// keep the Store methods, or digests after a restart start new chains.
	Sinks []sink.Sink

	// FlushInterval is how long records wait for their log file: files
	// are cut at multiples of FlushInterval on the trail's clock (so with
	// the default of 5 minutes, at hh:00, hh:05, …, as CloudTrail delivers
	// about every 5 minutes). A file is cut earlier when it reaches
	// MaxFileRecords or MaxFileBytes.
	FlushInterval time.Duration
	// MaxFileRecords bounds the records of one log file; default 10000.
	MaxFileRecords int
	// MaxFileBytes bounds the uncompressed size of one log file, and so of
	// one record; default 16 MiB.
	MaxFileBytes int
	// GzipLevel is the compression level of log files: 1 (fastest) to 9
	// (smallest), gzip.DefaultCompression (-1) or gzip.HuffmanOnly (-2).
	// Zero means the default level.
	GzipLevel int
	// CompressionWorkers is how many files are compressed at once; default
	// GOMAXPROCS, so that all cores compress when records arrive fast.
	CompressionWorkers int
	// SinkConcurrency is how many puts each sink has in flight; default 4.
	SinkConcurrency int

	// Clock is the trail's time; nil means the system clock.
	Clock Clock

	// Buffer bounds memory and says what Emit does when it is full.
	Buffer BufferPolicy
	// Retry says how a failing sink is retried.
	Retry RetryPolicy
	// Spool, when set, makes delivery durable across crashes: see Spool.
	Spool *Spool

	// DigestSigner turns on digest files (log file integrity validation):
	// every hour the trail delivers, to each sink, a signed digest for each
	// account and region it logs, linked to the previous one. nil means no
	// digests. DigestKeys may be set instead, to sign with a rotating key
	// ring.
	DigestSigner digest.Signer
	DigestKeys   *digest.KeyRing
	// DigestRegions are regions that get digests (empty, for hours without
	// files) besides the home region, us-east-1 when the trail includes
	// global service events, and the regions the trail has delivered files
	// for since it started; for a multi-region trail, list the regions in
	// use, so that their chains continue across restarts.
	DigestRegions []string
}

// BufferPolicy bounds what a trail holds in memory: records emitted and not
// yet delivered to every sink (uncompressed until their file is compressed,
// then compressed).
type BufferPolicy struct {
	// MaxBytes is the bound; default 64 MiB. It must hold at least one
	// largest file (MaxFileBytes).
	MaxBytes int64
	// OnFull is what Emit does when a record does not fit.
	OnFull OnFull
}

// OnFull is the policy for a full buffer.
type OnFull int

const (
	// Block makes Emit wait for room, until its context is done; then Emit
	// returns the context's error and the record is not logged.
	Block OnFull = iota
	// Drop makes Emit return ErrBufferFull at once; the record is counted
	// in Counters.Dropped.
	Drop
)

// RetryPolicy is exponential backoff with jitter: after the n-th failed put
// of a file to a sink, the sink waits a random time between half and all of
// min(MaxBackoff, InitialBackoff×Multiplier^(n-1)), then tries again, for as
// long as the trail runs (delivery is at-least-once; see Close for the end).
type RetryPolicy struct {
	InitialBackoff time.Duration // default 200ms
	MaxBackoff     time.Duration // default 30s
	Multiplier     float64       // default 2
	// AttemptTimeout bounds one Put; default 2 minutes.
	AttemptTimeout time.Duration
}

// Spool is a directory of write-ahead files. With a Spool, Emit returns nil
// only once the record is on disk (fsync'ed; concurrent Emits share one
// fsync), and a trail started on the same directory after a crash or kill
// delivers every such record that was not yet delivered to every sink. One
// trail at a time may use a spool directory; New refuses one in use.
type Spool struct {
	Dir string
	// SegmentBytes is the size at which a write-ahead file is closed and a
	// new one started; default 64 MiB. Write-ahead files are deleted oldest
	// first, each once every record in it and in the files before it is
	// delivered (a file's record list may sit in a later file than its
	// records), so a file whose delivery keeps failing keeps the
	// write-ahead files written after it on disk until it is delivered.
	SegmentBytes int64
}

// InsightOptions tune the Insights detectors (package insight) of a trail
// with InsightSelectors: one detector per account and Region the trail logs.
// Zero fields take the defaults of insight.Config, whose fields these are.
type InsightOptions struct {
	// Window is the baseline window, whole days from 1 to 90; default 7
	// days.
	Window time.Duration
	// MinBaseline is the history a baseline needs before Insights are
	// raised; default 1 day (at most Window).
	MinBaseline time.Duration
	// Deviations is the sensitivity: how many standard deviations above
	// the baseline mean a minute's count must be to start an Insight;
	// default 6.
	Deviations float64
	// MinVolume is the least count in a minute that can start an
	// Insight; default 10.
	MinVolume int
	// MinuteBuckets is how many minutes stay open for late records;
	// default 3.
	MinuteBuckets int
	// MaxSeries bounds the series (APIs, and APIs with an error code)
	// each detector analyses; default 10000.
	MaxSeries int
	// MaxDetectors bounds the accounts and Regions analysed, each by its
	// own detector; default 256. Records of further accounts and Regions
	// are logged and not analysed (InsightsStatus.Unanalysed). Memory is at
	// most about MaxDetectors × MaxSeries × 5.4 KB.
	MaxDetectors int
	// CheckpointInterval is how often, on the trail's clock, a trail with
	// a Spool writes its detectors' state to the spool; default 5 minutes.
	// The state is also written after a minute that started or ended an
	// Insight, and by Close.
	CheckpointInterval time.Duration
}

// Defaults.
const (
	DefaultFlushInterval   = 5 * time.Minute
	DefaultMaxFileRecords  = 10000
	DefaultMaxFileBytes    = 16 << 20
	DefaultBufferBytes     = 64 << 20
	DefaultSinkConcurrency = 4
	DefaultSegmentBytes    = 64 << 20

	DefaultMaxInsightDetectors = 256
	DefaultCheckpointInterval  = 5 * time.Minute
)

// Validate reports the first invalid field of c, as New would: a
// *ConfigError for the fields CloudTrail checks, a *selector.Error for the
// selectors.
func (c Config) Validate() error {
	c, err := c.withDefaults()
	if err != nil {
		return err
	}
	if err := c.Selectors.Validate(c.SelectorOptions); err != nil {
		return fmt.Errorf("trail %s: selectors: %w", c.Name, err)
	}
	if len(c.Selectors.InsightSelectors) > 0 {
		if _, err := insight.New(c.detectorConfig(c.Selectors.InsightSelectors, c.AccountID, c.HomeRegion)); err != nil {
			return fmt.Errorf("trail %s: Insights: %w", c.Name, err)
		}
	}
	return nil
}

// detectorConfig is the configuration of the Insights detector of one
// account and Region.
func (c *Config) detectorConfig(sel []selector.InsightSelector, account, region string) insight.Config {
	o := c.Insights
	return insight.Config{
		Selectors: sel, AccountID: account, Region: region, Trail: c.Name,
		Window: o.Window, MinBaseline: o.MinBaseline, Deviations: o.Deviations,
		MinVolume: o.MinVolume, MinuteBuckets: o.MinuteBuckets, MaxSeries: o.MaxSeries,
	}
}

// withDefaults returns c with zero values replaced by defaults, or an error
// naming the first invalid field.
func (c Config) withDefaults() (Config, error) {
	if err := ValidateTrailName(c.Name); err != nil {
		return c, err
	}
	if err := ValidateAccountID("AccountID", c.AccountID); err != nil {
		return c, err
	}
	if err := ValidateRegion("HomeRegion", c.HomeRegion); err != nil {
		return c, err
	}
	if err := ValidateS3KeyPrefix(c.S3KeyPrefix); err != nil {
		return c, err
	}
	if c.OrganizationID != "" {
		if err := ValidateOrganizationID(c.OrganizationID); err != nil {
			return c, err
		}
	}
	if c.IsMultiRegionTrail && !c.IncludeGlobalServiceEvents {
		return c, configError("IncludeGlobalServiceEvents", "false", "InvalidParameterCombinationException",
			"a multi-region trail must include global service events")
	}
	for i, r := range c.DigestRegions {
		if err := ValidateRegion(fmt.Sprintf("DigestRegions[%d]", i), r); err != nil {
			return c, err
		}
	}
	if len(c.Sinks) == 0 {
		return c, errors.New("trail: Sinks: at least one sink is required")
	}
	for i, s := range c.Sinks {
		if s == nil {
			return c, fmt.Errorf("trail: Sinks[%d] is nil", i)
		}
	}
	pos := func(field string, v int64) error {
		if v < 0 {
			return fmt.Errorf("trail: %s must not be negative, not %d", field, v)
		}
		return nil
	}
	for _, f := range []struct {
		name string
		v    int64
	}{
		{"FlushInterval", int64(c.FlushInterval)}, {"MaxFileRecords", int64(c.MaxFileRecords)},
		{"MaxFileBytes", int64(c.MaxFileBytes)}, {"CompressionWorkers", int64(c.CompressionWorkers)},
		{"SinkConcurrency", int64(c.SinkConcurrency)}, {"Buffer.MaxBytes", c.Buffer.MaxBytes},
		{"Retry.InitialBackoff", int64(c.Retry.InitialBackoff)}, {"Retry.MaxBackoff", int64(c.Retry.MaxBackoff)},
		{"Retry.AttemptTimeout", int64(c.Retry.AttemptTimeout)},
		{"Insights.MaxDetectors", int64(c.Insights.MaxDetectors)},
		{"Insights.CheckpointInterval", int64(c.Insights.CheckpointInterval)},
	} {
		if err := pos(f.name, f.v); err != nil {
			return c, err
		}
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.MaxFileRecords == 0 {
		c.MaxFileRecords = DefaultMaxFileRecords
	}
	if c.MaxFileBytes == 0 {
		c.MaxFileBytes = DefaultMaxFileBytes
	}
	if c.MaxFileBytes < 1024 {
		return c, fmt.Errorf("trail: MaxFileBytes %d is below 1024", c.MaxFileBytes)
	}
	switch {
	case c.GzipLevel == 0:
		c.GzipLevel = gzip.DefaultCompression
	case c.GzipLevel < gzip.HuffmanOnly || c.GzipLevel > gzip.BestCompression:
		return c, fmt.Errorf("trail: GzipLevel %d is not a gzip level (1 to 9, -1 default, -2 Huffman only)", c.GzipLevel)
	}
	if c.CompressionWorkers == 0 {
		c.CompressionWorkers = runtime.GOMAXPROCS(0)
	}
	if c.SinkConcurrency == 0 {
		c.SinkConcurrency = DefaultSinkConcurrency
	}
	if c.Clock == nil {
		c.Clock = SystemClock()
	}
	if c.Buffer.MaxBytes == 0 {
		c.Buffer.MaxBytes = max(DefaultBufferBytes, 2*int64(c.MaxFileBytes))
	}
	if c.Buffer.MaxBytes < int64(c.MaxFileBytes) {
		return c, fmt.Errorf("trail: Buffer.MaxBytes %d is less than MaxFileBytes %d", c.Buffer.MaxBytes, c.MaxFileBytes)
	}
	if c.Buffer.OnFull != Block && c.Buffer.OnFull != Drop {
		return c, fmt.Errorf("trail: Buffer.OnFull %d is neither Block nor Drop", c.Buffer.OnFull)
	}
	if c.Retry.InitialBackoff == 0 {
		c.Retry.InitialBackoff = 200 * time.Millisecond
	}
	if c.Retry.MaxBackoff == 0 {
		c.Retry.MaxBackoff = 30 * time.Second
	}
	if c.Retry.MaxBackoff < c.Retry.InitialBackoff {
		c.Retry.MaxBackoff = c.Retry.InitialBackoff
	}
	if c.Retry.Multiplier == 0 {
		c.Retry.Multiplier = 2
	}
	if c.Retry.Multiplier < 1 {
		return c, fmt.Errorf("trail: Retry.Multiplier %g is below 1", c.Retry.Multiplier)
	}
	if c.Retry.AttemptTimeout == 0 {
		c.Retry.AttemptTimeout = 2 * time.Minute
	}
	if c.Insights.MaxDetectors == 0 {
		c.Insights.MaxDetectors = DefaultMaxInsightDetectors
	}
	if c.Insights.CheckpointInterval == 0 {
		c.Insights.CheckpointInterval = DefaultCheckpointInterval
	}
	if c.Spool != nil {
		sp := *c.Spool
		if sp.Dir == "" {
			return c, errors.New("trail: Spool.Dir is empty")
		}
		if sp.SegmentBytes < 0 {
			return c, fmt.Errorf("trail: Spool.SegmentBytes must not be negative, not %d", sp.SegmentBytes)
		}
		if sp.SegmentBytes == 0 {
			sp.SegmentBytes = DefaultSegmentBytes
		}
		c.Spool = &sp
	}
	c.Sinks = append([]sink.Sink(nil), c.Sinks...)
	return c, nil
}
