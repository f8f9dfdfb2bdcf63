package trail

import (
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail/insight"
)

// Config describes a trail. The fields at the top mirror CloudTrail's
// CreateTrail and PutEventSelectors requests: which trail, and which records
// it logs. The parts below say how trailkit delivers them, one concern each:
// where records go ([DeliveryOptions]), when files are cut ([FileOptions]),
// digests and keys ([DigestOptions]), and what Emit's nil promises
// ([DurabilityOptions]). The zero value of every part is its defaults.
//
// [New] and [Config.Validate] check the whole configuration before anything
// starts and report the first invalid field as a [*ConfigError].
type Config struct {
	// Name is the trail's name, by CloudTrail's rules ([ValidateTrailName]).
	Name string
	// AccountID is the 12-digit account that owns the trail. Records are
	// filed under their recipientAccountId, and under AccountID when they
	// have none.
	AccountID string
	// HomeRegion is the region the trail lives in, such as us-east-1.
	HomeRegion string
	// S3KeyPrefix is put before AWSLogs/ in every key ("" for none); see
	// [ValidateS3KeyPrefix].
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
	// SelectorOptions are passed to [selector.Compile].
	SelectorOptions selector.Options
	// Insights tunes the Insights analysis, when Selectors has
	// InsightSelectors.
	Insights InsightOptions
	// LogAllEvents logs every record of the trail's regions, Insights
	// records included, whatever the selectors say: for replaying or
	// migrating logs that were already selected.
	LogAllEvents bool
	// ValidateRecords makes Emit refuse a record that
	// [event.Record.Validate] refuses. Without it Emit checks only what
	// filing needs (eventTime, awsRegion, recipientAccountId) and writes
	// free-form fields (requestParameters, …) as they are: a record built in
	// Go must then hold valid JSON there, or its log file will not parse.
	// Records decoded by package event always do.
	ValidateRecords bool
	// Inspector, when set, is shown every record the trail logs, once Emit
	// has buffered it for delivery, on the goroutine that called Emit: a
	// detect.Detector evaluates detection rules there. It must be quick and
	// must not block; it cannot change what the trail delivers.
	Inspector Inspector

	// Delivery says where records go; it names at least one sink.
	Delivery DeliveryOptions
	// Files says when log files are cut and how they are compressed.
	Files FileOptions
	// Digests turns on signed digest files and says with which keys.
	Digests DigestOptions
	// Durability bounds memory and says whether records survive a crash.
	Durability DurabilityOptions

	// Clock is the trail's time; nil means the system clock.
	Clock Clock
}

// Inspector looks at the records a trail logs; see Config.Inspector.
type Inspector interface {
	Inspect(r *event.Record)
}

// DeliveryOptions say where a trail's records go: every delivered file is
// put to every sink, each sink with its own puts in flight and retries.
type DeliveryOptions struct {
	// Sinks receive every delivered file; at least one is required. A sink
	// that is also a [sink.Store] ([sink.Dir], the S3 sink) lets a restarted
	// trail continue its digest chains from what it stored. A wrapper
	// around a sink should have an Unwrap() [sink.Sink] method returning
	// the sink it wraps, so that the trail finds the Store beneath it;
	// otherwise digests after a restart start new chains. Digests are
	// created with [sink.ExclusiveSink.PutIfAbsent] of the first sink in
	// the wrapper chain that has it, so that several processes writing
	// the trail keep one chain: a wrapper that must see digest puts has
	// PutIfAbsent too.
	Sinks []sink.Sink
	// Concurrency is how many puts each sink has in flight; default 4.
	Concurrency int
	// Retry says how a failing sink is retried.
	Retry RetryPolicy
}

func (o *DeliveryOptions) check() error {
	if len(o.Sinks) == 0 {
		return configError("Delivery.Sinks", "[]", "", "at least one sink is required")
	}
	for i, s := range o.Sinks {
		if s == nil {
			return configError(fmt.Sprintf("Delivery.Sinks[%d]", i), "nil", "", "must be a sink")
		}
	}
	o.Sinks = slices.Clone(o.Sinks)
	if err := nonNegative("Delivery.Concurrency", o.Concurrency); err != nil {
		return err
	}
	o.Concurrency = cmp.Or(o.Concurrency, DefaultSinkConcurrency)
	return o.Retry.check()
}

// RetryPolicy is exponential backoff with jitter: after the n-th failed put
// of a file to a sink, the sink waits a random time between half and all of
// min(MaxBackoff, InitialBackoff×Multiplier^(n-1)), then tries again, for as
// long as the trail runs (delivery is at-least-once; see [Trail.Close] for
// the end).
type RetryPolicy struct {
	InitialBackoff time.Duration // default 200ms
	MaxBackoff     time.Duration // default 30s; at least InitialBackoff
	Multiplier     float64       // default 2; at least 1
	// AttemptTimeout bounds one Put; default 2 minutes.
	AttemptTimeout time.Duration
}

func (p *RetryPolicy) check() error {
	if err := nonNegative("Delivery.Retry.InitialBackoff", p.InitialBackoff); err != nil {
		return err
	}
	if err := nonNegative("Delivery.Retry.MaxBackoff", p.MaxBackoff); err != nil {
		return err
	}
	if err := nonNegative("Delivery.Retry.AttemptTimeout", p.AttemptTimeout); err != nil {
		return err
	}
	if p.Multiplier != 0 && !(p.Multiplier >= 1) {
		return configError("Delivery.Retry.Multiplier", fmt.Sprint(p.Multiplier), "", "must be at least 1")
	}
	p.InitialBackoff = cmp.Or(p.InitialBackoff, 200*time.Millisecond)
	p.MaxBackoff = max(cmp.Or(p.MaxBackoff, 30*time.Second), p.InitialBackoff)
	p.Multiplier = cmp.Or(p.Multiplier, 2)
	p.AttemptTimeout = cmp.Or(p.AttemptTimeout, 2*time.Minute)
	return nil
}

// FileOptions say when log files are cut and how they are compressed.
type FileOptions struct {
	// FlushInterval is how long records wait for their log file: files
	// are cut at multiples of FlushInterval on the trail's clock (so with
	// the default of 5 minutes, at hh:00, hh:05, …, as CloudTrail delivers
	// about every 5 minutes). A file is cut earlier when it reaches
	// MaxRecords or MaxBytes.
	FlushInterval time.Duration
	// MaxRecords bounds the records of one log file; default 10000.
	MaxRecords int
	// MaxBytes bounds the uncompressed size of one log file, and so of
	// one record; default 16 MiB, at least 1024.
	MaxBytes int
	// GzipLevel is the compression level of log files: 1 (fastest) to 9
	// (smallest), gzip.DefaultCompression (-1) or gzip.HuffmanOnly (-2).
	// Zero means the default level.
	GzipLevel int
	// CompressionWorkers is how many files are compressed at once; default
	// GOMAXPROCS, so that all cores compress when records arrive fast.
	CompressionWorkers int
}

func (o *FileOptions) check() error {
	if err := nonNegative("Files.FlushInterval", o.FlushInterval); err != nil {
		return err
	}
	if err := nonNegative("Files.MaxRecords", o.MaxRecords); err != nil {
		return err
	}
	if err := nonNegative("Files.CompressionWorkers", o.CompressionWorkers); err != nil {
		return err
	}
	if o.MaxBytes != 0 && o.MaxBytes < 1024 {
		return configError("Files.MaxBytes", fmt.Sprint(o.MaxBytes), "", "must be at least 1024")
	}
	if o.GzipLevel < gzip.HuffmanOnly || o.GzipLevel > gzip.BestCompression {
		return configError("Files.GzipLevel", fmt.Sprint(o.GzipLevel), "", "must be a gzip level: 1 to 9, -1 (default) or -2 (Huffman only)")
	}
	o.FlushInterval = cmp.Or(o.FlushInterval, DefaultFlushInterval)
	o.MaxRecords = cmp.Or(o.MaxRecords, DefaultMaxFileRecords)
	o.MaxBytes = cmp.Or(o.MaxBytes, DefaultMaxFileBytes)
	o.GzipLevel = cmp.Or(o.GzipLevel, gzip.DefaultCompression)
	o.CompressionWorkers = cmp.Or(o.CompressionWorkers, runtime.GOMAXPROCS(0))
	return nil
}

// DigestOptions turn on digest files (log file integrity validation): every
// hour the trail delivers, to each sink, a signed digest for each account
// and region it logs, linked to the previous one. With neither Signer nor
// Keys there are no digests.
type DigestOptions struct {
	// Signer signs every digest with one key.
	Signer digest.Signer
	// Keys may be set instead of Signer, to sign with a rotating key ring.
	Keys *digest.KeyRing
	// Regions are regions that get digests (empty, for hours without
	// files) besides the home region, us-east-1 when the trail includes
	// global service events, and the regions the trail has delivered files
	// for since it started; for a multi-region trail, list the regions in
	// use, so that their chains continue across restarts.
	Regions []string
	// SealAheadOnStop lets a stopping trail whose last hour another
	// writer of the trail sealed first list its late files of that hour
	// in the next hour's digest, sealed at once although that hour has
	// not begun by the trail's clock. It is for a batch writer whose
	// clock stops with it (trailkit replay, on its records' times): no
	// writer runs later by that clock to list the files. A live writer
	// leaves it off: writers stopping one after another (a rolling
	// deploy) would each seal an hour further ahead of real time. Off, a
	// stopping trail seals no period that has not begun by its clock; the
	// files are left delivered and unlisted, for the chain's next sealer
	// (a running writer's next digest, the next start of any writer, or
	// trailkit seal), which lists the stored files no digest lists.
	SealAheadOnStop bool
}

func (o *DigestOptions) check() error {
	for i, r := range o.Regions {
		if err := ValidateRegion(fmt.Sprintf("Digests.Regions[%d]", i), r); err != nil {
			return err
		}
	}
	return nil
}

// DurabilityOptions say what Emit's nil promises: how much the trail holds
// in memory and what Emit does when that is full, and whether records
// survive a crash.
type DurabilityOptions struct {
	// Buffer bounds memory and says what Emit does when it is full.
	Buffer BufferPolicy
	// Spool, when set, makes delivery durable across crashes: see [Spool].
	Spool *Spool
	// FallbackDir, without a Spool, is a directory where Close keeps the
	// log files it could not deliver (its context ended first), in
	// CloudTrail's layout (sink.Dir), so that they can be delivered later
	// or read with trailkit cat. Close's error counts the records either
	// way: without a Spool or FallbackDir they are lost, and said so.
	FallbackDir string
}

// check needs the largest file, which the buffer must hold.
func (o *DurabilityOptions) check(maxFileBytes int) error {
	b := &o.Buffer
	if err := nonNegative("Durability.Buffer.MaxBytes", b.MaxBytes); err != nil {
		return err
	}
	b.MaxBytes = cmp.Or(b.MaxBytes, max(DefaultBufferBytes, 2*int64(maxFileBytes)))
	if b.MaxBytes < int64(maxFileBytes) {
		return configError("Durability.Buffer.MaxBytes", fmt.Sprint(b.MaxBytes), "",
			"must hold at least one file of Files.MaxBytes (%d)", maxFileBytes)
	}
	if b.OnFull != Block && b.OnFull != Drop {
		return configError("Durability.Buffer.OnFull", fmt.Sprint(int(b.OnFull)), "", "must be Block or Drop")
	}
	if o.Spool == nil {
		return nil
	}
	sp := *o.Spool
	if sp.Dir == "" {
		return configError("Durability.Spool.Dir", "", "", "must name a directory")
	}
	if err := nonNegative("Durability.Spool.SegmentBytes", sp.SegmentBytes); err != nil {
		return err
	}
	sp.SegmentBytes = cmp.Or(sp.SegmentBytes, DefaultSegmentBytes)
	o.Spool = &sp
	return nil
}

// BufferPolicy bounds what a trail holds in memory: records emitted and not
// yet delivered to every sink (uncompressed until their file is compressed,
// then compressed).
type BufferPolicy struct {
	// MaxBytes is the bound; default 64 MiB and at least twice
	// Files.MaxBytes. It must hold at least one largest file (Files.MaxBytes).
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

func (o *InsightOptions) check() error {
	if err := nonNegative("Insights.MaxDetectors", o.MaxDetectors); err != nil {
		return err
	}
	if err := nonNegative("Insights.CheckpointInterval", o.CheckpointInterval); err != nil {
		return err
	}
	o.MaxDetectors = cmp.Or(o.MaxDetectors, DefaultMaxInsightDetectors)
	o.CheckpointInterval = cmp.Or(o.CheckpointInterval, DefaultCheckpointInterval)
	return nil
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

// Validate checks c as [New] does, before anything starts, and reports the
// first invalid field as a [*ConfigError]; one about the selectors wraps
// the [*selector.Error], one about the Insights options wraps
// [insight.ErrConfig].
func (c Config) Validate() error {
	_, _, err := c.prepare()
	return err
}

// prepare returns c with zero values replaced by defaults, and its
// compiled selectors, or the *ConfigError of the first invalid field.
func (c Config) prepare() (Config, *selector.Matcher, error) {
	if err := c.checkTrail(); err != nil {
		return c, nil, err
	}
	for _, check := range []func() error{
		c.Delivery.check, c.Files.check, c.Digests.check, c.Insights.check,
		func() error { return c.Durability.check(c.Files.MaxBytes) },
	} {
		if err := check(); err != nil {
			return c, nil, err
		}
	}
	if c.Clock == nil {
		c.Clock = SystemClock()
	}
	m, err := selector.Compile(c.Selectors, c.SelectorOptions)
	if err != nil {
		var se *selector.Error
		field := "Selectors"
		if errors.As(err, &se) && se.Path != "" {
			field += "." + se.Path
		}
		return c, nil, &ConfigError{Field: field, Exception: exceptionOf(se), Rule: ruleOf(se, err), Err: err}
	}
	if sel := m.InsightSelectors(); len(sel) > 0 {
		if _, err := insight.New(c.detectorConfig(sel, c.AccountID, c.HomeRegion)); err != nil {
			return c, nil, &ConfigError{Field: "Insights", Rule: err.Error(), Err: err}
		}
	}
	return c, m, nil
}

func exceptionOf(se *selector.Error) string {
	if se == nil {
		return ""
	}
	return se.Exception
}

func ruleOf(se *selector.Error, err error) string {
	if se == nil {
		return err.Error()
	}
	return se.Message
}

// checkTrail checks the fields CloudTrail's CreateTrail checks.
func (c *Config) checkTrail() error {
	if err := ValidateTrailName(c.Name); err != nil {
		return err
	}
	if err := ValidateAccountID("AccountID", c.AccountID); err != nil {
		return err
	}
	if err := ValidateRegion("HomeRegion", c.HomeRegion); err != nil {
		return err
	}
	if err := ValidateS3KeyPrefix(c.S3KeyPrefix); err != nil {
		return err
	}
	if c.OrganizationID != "" {
		if err := ValidateOrganizationID(c.OrganizationID); err != nil {
			return err
		}
	}
	if c.IsMultiRegionTrail && !c.IncludeGlobalServiceEvents {
		return configError("IncludeGlobalServiceEvents", "false", "InvalidParameterCombinationException",
			"a multi-region trail must include global service events")
	}
	return nil
}

// nonNegative refuses a negative size, count or duration; zero means the
// default.
func nonNegative[T ~int | ~int64](field string, v T) error {
	if v < 0 {
		return configError(field, fmt.Sprint(v), "", "must not be negative")
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
