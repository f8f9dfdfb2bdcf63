package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/selector"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
	"github.com/trailkit/trailkit/trail"
)

func init() {
	register("replay", "deliver records through a trail on their own clock: log files and digests", runReplay)
}

const replayUsage = `--account-id A --region R --trail-name N (--dir DIR | --s3 s3://bucket[/prefix]) [flags] INPUT...

Reads the records of each INPUT (any form 'trailkit cat' reads: log files, JSON Lines,
directories, s3:// prefixes, - for standard input) and delivers them through a trail
whose clock is the records' own eventTime: the log files are those a live trail would
have delivered, one per account and region every 5 minutes, dated at the end of their
window, and with --private-key the hourly signed digest files. Records are taken in
input order; one older than a record before it goes into the file open at that time.

Without --selectors the trail logs what a new CloudTrail trail logs (management
events); --all logs every record.`

func runReplay(ctx context.Context, e *env, args []string) error {
	fl := newFlags(e, "replay", replayUsage)
	tf := addTrailFlags(fl)
	keyFile := fl.String("private-key", "", "PEM RSA private key: also deliver hourly digest files signed with it")
	selectors := fl.String("selectors", "", "event selectors as get-event-selectors prints them (JSON file)")
	all := fl.Bool("all", false, "log every record, whatever its category (not with --selectors)")
	multi := fl.Bool("multi-region", true, "log records of every region, not only --region's")
	global := fl.Bool("include-global-service-events", true, "log IAM, STS and CloudFront events (under us-east-1)")
	flush := fl.Duration("flush-interval", trail.DefaultFlushInterval, "length of a log file's window")
	quiet := fl.Bool("quiet", false, "no progress bar")
	kmsKey := fl.String("kms-key-id", "", "sign hourly digest files with this KMS key (RSA, SIGN_VERIFY) instead of --private-key")
	owner := fl.String("expected-bucket-owner", "", "with --s3: the 12-digit account that must own the bucket")
	acl := fl.String("acl", "", "with --s3: the canned ACL of delivered objects (bucket-owner-full-control)")
	notifications := addNotifyFlags(fl)
	giveUp := fl.Duration("give-up-after", 2*time.Minute, "stop when no log file could be delivered for this long (1s to 24h), reporting the records not delivered")
	if err := fl.parse(args); err != nil {
		return err
	}
	if err := tf.check(); err != nil {
		return err
	}
	switch {
	case *all && *selectors != "":
		return usagef("--all and --selectors exclude each other")
	case *keyFile != "" && *kmsKey != "":
		return usagef("--private-key and --kms-key-id exclude each other")
	case *tf.s3URL == "" && (*owner != "" || *acl != ""):
		return usagef("--expected-bucket-owner and --acl are for --s3")
	case *acl != "" && *acl != "bucket-owner-full-control":
		return usagef("--acl %q: the only ACL is bucket-owner-full-control", *acl)
	case *owner != "" && !event.IsAccountID(*owner):
		return usagef("--expected-bucket-owner %q: not a 12-digit account id", *owner)
	case fl.NArg() == 0:
		return usagef("no INPUT given")
	case *flush < time.Second || *flush > 24*time.Hour:
		return usagef("--flush-interval %v: want 1s to 24h", *flush)
	case *giveUp < time.Second || *giveUp > 24*time.Hour:
		return usagef("--give-up-after %v: want 1s to 24h", *giveUp)
	}

	cfg := tf.config()
	cfg.IsMultiRegionTrail, cfg.IncludeGlobalServiceEvents = *multi, *global
	cfg.LogAllEvents, cfg.Files.FlushInterval = *all, *flush
	// Files a second trail would write may not be in order of time, but
	// the replay's sink has them all: keep the backoff short.
	cfg.Delivery.Retry = trail.RetryPolicy{InitialBackoff: 100 * time.Millisecond, MaxBackoff: 10 * time.Second}
	// The replay's clock is its records' times and stops with it: no
	// writer runs later by that clock to list files it owes an hour that
	// another replay of the trail sealed first, so it lists them in the
	// next hour's digest when it stops.
	cfg.Digests.SealAheadOnStop = true
	if *selectors != "" {
		sc, err := readSelectors(*selectors)
		if err != nil {
			return err
		}
		cfg.Selectors = sc
	}
	if *keyFile != "" {
		key, err := digest.LoadPrivateKey(*keyFile)
		if err != nil {
			return usagef("--private-key: %v", err)
		}
		cfg.Digests.Signer = digest.NewRSASigner(key)
	}
	if *kmsKey != "" {
		signer, err := kmsSigner(ctx, *kmsKey)
		if err != nil {
			return exitError{code: 2, err: fmt.Errorf("--kms-key-id: %w", err)}
		}
		cfg.Digests.Signer = signer
	}
	var out sink.Sink
	if *tf.s3URL != "" {
		s3, p, err := openS3(ctx, e, *tf.s3URL, *tf.endpoint, s3sink.Options{ExpectedBucketOwner: *owner, ACL: *acl})
		if err != nil {
			return err
		}
		out, cfg.S3KeyPrefix = s3, trimSlashes(p)
	}
	// Check the configuration before touching the destination.
	cfg.Delivery.Sinks = []sink.Sink{discard{}}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	if *tf.dir != "" {
		d, err := sink.NewDir(*tf.dir, sink.DirOptions{Bucket: *tf.bucket})
		if err != nil {
			return err
		}
		out = d
	}
	if err := checkWrite(ctx, out, cfg); err != nil {
		return exitError{code: 2, err: err}
	}
	delivered := out
	out, err := notifications.wrap(ctx, out)
	if err != nil {
		return err
	}
	cfg.Delivery.Sinks = []sink.Sink{out}

	runCtx, stall := context.WithCancelCause(ctx)
	defer stall(nil)
	r := replayer{ctx: runCtx, stall: stall, giveUp: *giveUp, cfg: cfg, stderr: e.stderr, bar: newProgress(e, *quiet)}
	var readErr error
	for _, path := range fl.Args() {
		if readErr = eachInput(ctx, e, path, *tf.endpoint, r.readInput); readErr != nil {
			break
		}
	}
	closeCtx := runCtx
	if runCtx.Err() != nil {
		// Stopped by a signal, or delivery stalled: deliver what is
		// buffered if it goes fast, and say what was not.
		var cancel context.CancelFunc
		closeCtx, cancel = context.WithTimeout(context.WithoutCancel(ctx), stopClose)
		defer cancel()
	}
	closeErr := r.close(closeCtx)
	r.bar.done()
	r.report(e.stdout, delivered)
	notifyCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*awsTimeout)
	defer cancel()
	if err := notifications.close(notifyCtx, e.stdout); err != nil && closeErr == nil {
		closeErr = err
	}
	switch {
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case runCtx.Err() != nil:
		return context.Cause(runCtx)
	case readErr != nil:
		return readErr
	case closeErr != nil:
		return closeErr
	case r.rejected > 0:
		return exitError{code: 1, err: fmt.Errorf("%d records could not be filed (see above)", r.rejected)}
	}
	return nil
}

// replayer feeds records to a trail created at the first record, so that its
// clock starts there.
type replayer struct {
	ctx      context.Context // ends on a signal or a stall: Emit stops waiting for room
	stall    context.CancelCauseFunc
	giveUp   time.Duration
	cfg      trail.Config
	clock    *trail.ManualClock
	tr       *trail.Trail
	stderr   io.Writer
	bar      *progress
	rec      event.Record
	n        int64
	rejected int64
}

func (r *replayer) readInput(name string, in io.Reader) error {
	sc := event.NewScanner(in)
	sc.Name = name
	for sc.Scan() {
		if err := stopped(r.ctx, sc.Index()); err != nil {
			return err
		}
		if err := event.Unmarshal(sc.Bytes(), &r.rec); err != nil {
			return &event.ReadError{Name: name, Index: sc.Index(), Offset: sc.Offset(), Err: err}
		}
		r.n++
		r.bar.add(0, 1, int64(len(sc.Bytes())))
		if err := r.emit(name, sc.Index()); err != nil {
			return err
		}
	}
	r.bar.add(1, 0, 0)
	return sc.Err()
}

func (r *replayer) emit(name string, index int) error {
	at := r.rec.EventTime
	if r.tr == nil {
		if at.IsZero() {
			at = time.Now()
		}
		r.clock = trail.NewManualClock(at)
		cfg := r.cfg
		cfg.Clock = r.clock
		tr, err := trail.New(cfg)
		if err != nil {
			return err
		}
		r.tr = tr
		go r.watch()
	}
	r.clock.Set(at)
	err := r.tr.Emit(r.ctx, &r.rec)
	if errors.Is(err, trail.ErrInvalidRecord) {
		r.rejected++
		r.bar.done()
		fmt.Fprintf(r.stderr, "trailkit replay: %s: record %d: %v\n", name, index, err)
		return nil
	}
	return err
}

// watch ends the replay when no log file could be delivered for giveUp
// while puts fail (a destination that refuses every put, such as a link
// out of the directory), rather than retrying for ever.
func (r *replayer) watch() {
	tick := time.NewTicker(r.giveUp / 10)
	defer tick.Stop()
	var delivered int64
	progress := time.Now()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-tick.C:
		}
		st := r.tr.Status()
		if n := st.Sinks[0].FilesDelivered; n != delivered || st.LatestDeliveryError == "" {
			delivered, progress = n, time.Now()
			continue
		}
		if time.Since(progress) >= r.giveUp {
			r.stall(exitError{code: 1, err: fmt.Errorf("no log file delivered for %v, giving up: %s", r.giveUp, st.LatestDeliveryError)})
			return
		}
	}
}

// close ends the last windows at their end, as a live trail would, and
// delivers what is pending.
func (r *replayer) close(ctx context.Context) error {
	if r.tr == nil {
		return nil
	}
	now := r.clock.Now()
	r.clock.Set(now.Truncate(r.cfg.Files.FlushInterval).Add(r.cfg.Files.FlushInterval))
	return r.tr.Close(ctx)
}

func (r *replayer) report(w io.Writer, out sink.Sink) {
	var files, digests int64
	var c trail.Counters
	if r.tr != nil {
		st := r.tr.Status()
		files, digests, c = st.Sinks[0].FilesDelivered, st.Sinks[0].DigestsDelivered, st.Counters
	}
	fmt.Fprintf(w, "%d records read, %d delivered in %d log files", r.n, c.Delivered, files)
	if r.cfg.Digests.Signer != nil {
		fmt.Fprintf(w, " and %d digest files", digests)
	}
	fmt.Fprintf(w, " to %s; %d not logged by the trail, %d rejected", out.Bucket(), c.Emitted-c.Selected-c.Rejected, c.Rejected)
	if n := c.Selected + c.Recovered - c.Delivered; n > 0 {
		fmt.Fprintf(w, "; %d records NOT delivered", n)
	}
	fmt.Fprintln(w)
}

// checkWrite learns, before any record is read, whether the trail can
// write where it will deliver (a bucket that refuses it, or is missing,
// fails here rather than at the first file).
func checkWrite(ctx context.Context, out sink.Sink, cfg trail.Config) error {
	w, ok := sink.As[sink.WriteChecker](out)
	if !ok {
		return nil
	}
	prefix := "AWSLogs/" + cfg.AccountID
	if cfg.OrganizationID != "" {
		prefix = "AWSLogs/" + cfg.OrganizationID + "/" + cfg.AccountID
	}
	if cfg.S3KeyPrefix != "" {
		prefix = cfg.S3KeyPrefix + "/" + prefix
	}
	ctx, cancel := context.WithTimeout(ctx, awsTimeout)
	defer cancel()
	return w.CheckWrite(ctx, prefix)
}

// readSelectors reads a --selectors file; a configuration CloudTrail would
// refuse is a usage error.
func readSelectors(path string) (selector.Config, error) {
	f, err := openRegular(path)
	if err != nil {
		return selector.Config{}, usagef("--selectors: %v", err)
	}
	defer f.Close()
	cfg, err := selector.ReadConfig(f)
	if err == nil {
		err = cfg.Validate(selector.Options{})
	}
	if err != nil {
		return selector.Config{}, exitError{code: 2, err: fmt.Errorf("%s: %w", path, err)}
	}
	return cfg, nil
}

func trimSlashes(p string) string {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// discard is a sink for checking a configuration; it is never written.
type discard struct{}

func (discard) Bucket() string                         { return "discard" }
func (discard) Put(context.Context, sink.Object) error { return errors.New("discard sink") }
