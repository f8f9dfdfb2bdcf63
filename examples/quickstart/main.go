// Quickstart shows trailkit from end to end, with no setup and no network.
//
// A pretend service, orders.example.com, emits a few hundred CloudTrail
// records over three simulated hours through a trail that delivers to a local
// directory, in CloudTrail's layout: a gzipped log file every 5 minutes and a
// signed digest file every hour. The digest validator then checks the tree,
// as `aws cloudtrail validate-logs` would; one log file is rewritten with one
// record changed, and the validator catches it. Finally Event History looks
// events up in the tree, as CloudTrail's LookupEvents does.
//
// Run it from the module root:
//
//	go run ./examples/quickstart
//	go run ./examples/quickstart -dir /tmp/trail   # deliver to a directory of your choice
//
// The trail runs on a trail.ManualClock that the program moves from one
// record to the next, so three hours of delivery take a second or two. The
// exit status is 0 when the validator caught the tampering.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/sink"
	"github.com/trailkit/trailkit/trail"
	"github.com/trailkit/trailkit/trail/history"
)

const (
	trailName = "quickstart"
	accountID = "111122223333"
	region    = "us-east-1"
	trailARN  = "arn:aws:cloudtrail:" + region + ":" + accountID + ":trail/" + trailName
)

// The simulated time the service runs: three hours from 08:50, so that the
// first and last digests cover part of an hour.
var (
	start = time.Date(2026, 3, 2, 8, 50, 0, 0, time.UTC)
	end   = start.Add(3 * time.Hour)
)

func main() {
	dir := flag.String("dir", "", "directory to deliver the trail to (default: a new temporary directory)")
	flag.Parse()
	if *dir == "" {
		d, err := os.MkdirTemp("", "trailkit-quickstart-")
		if err != nil {
			fmt.Fprintln(os.Stderr, "quickstart:", err)
			os.Exit(1)
		}
		*dir = d
	}
	if err := run(context.Background(), os.Stdout, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

// run delivers, validates, tampers, validates again and looks events up,
// writing what it does to out. It fails unless the untampered tree is valid
// and the tampered log file, and nothing else, is reported invalid.
func run(ctx context.Context, out io.Writer, dir string) error {
	// Each run makes a new signing key and delivers the same simulated
	// hours: files of an earlier run would not validate with this key.
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("%s is not empty: give a new or empty directory", dir)
	}
	// The directory is the trail's bucket: digests record its base name as
	// the bucket name, which is what `trailkit validate --dir` expects.
	store, err := sink.NewDir(dir, sink.DirOptions{})
	if err != nil {
		return err
	}
	// A real trail signs with a key it keeps (see `trailkit keygen` and
	// digest.LoadPrivateKey); the quickstart makes a fresh one.
	key, err := digest.GenerateKey(2048)
	if err != nil {
		return err
	}
	signer := digest.NewRSASigner(key)

	fmt.Fprintf(out, "Trail %q delivering to %s\n", trailName, store.Root())
	status, err := deliver(ctx, store, signer)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d records from orders.example.com, %s to %s (simulated): %d log files, %d digest files\n\n",
		status.Counters.Delivered, start.Format("15:04"), end.Format("15:04 on 2006-01-02"),
		status.Sinks[0].FilesDelivered, status.Sinks[0].DigestsDelivered)

	opts := digest.ValidateOptions{
		TrailARN: trailARN,
		Start:    start,
		End:      end,
		Keys:     []digest.PublicKey{signer.PublicKey()},
	}
	fmt.Fprintln(out, "Validating the delivered files:")
	sum, invalid, err := validate(ctx, store, opts)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, totals(&sum))
	if len(invalid) > 0 {
		return fmt.Errorf("the delivered tree is not valid: %s", invalid[0].String())
	}

	tampered, what, err := tamper(ctx, store)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\nTampering: %s in\n  %s\n", what, tampered)
	fmt.Fprintln(out, "Validating again:")
	sum, invalid, err = validate(ctx, store, opts)
	if err != nil {
		return err
	}
	for _, f := range invalid {
		fmt.Fprintln(out, f.String())
	}
	fmt.Fprintln(out, totals(&sum))
	if len(invalid) != 1 || invalid[0].Key != tampered {
		return errors.New("the validator did not report exactly the tampered log file")
	}
	fmt.Fprintln(out, "The validator caught the change.")

	return lookups(ctx, out, store)
}

// deliver runs the trail: the pretend service emits records on the
// trail's clock, and Close delivers the last log files and the digest of
// the last, partial hour.
func deliver(ctx context.Context, store *sink.Dir, signer digest.Signer) (trail.Status, error) {
	clock := trail.NewManualClock(start)
	tr, err := trail.New(trail.Config{
		Name:       trailName,
		AccountID:  accountID,
		HomeRegion: region,
		Delivery:   trail.DeliveryOptions{Sinks: []sink.Sink{store}},
		Digests:    trail.DigestOptions{Signer: signer},
		Clock:      clock,
	})
	if err != nil {
		return trail.Status{}, err
	}
	svc := newService(rand.New(rand.NewPCG(1, 2)))
	for now := start; now.Before(end); now = now.Add(svc.pause()) {
		// Moving the clock cuts the log files whose 5-minute window is
		// over and seals the digests of the hours that ended.
		clock.Set(now)
		if err := tr.Emit(ctx, svc.call(now)); err != nil {
			tr.Close(ctx)
			return trail.Status{}, fmt.Errorf("emit: %w", err)
		}
	}
	clock.Set(end)
	if err := tr.Close(ctx); err != nil {
		return trail.Status{}, fmt.Errorf("close trail: %w", err)
	}
	return tr.Status(), nil
}

// validate validates the trail's files in store and returns the totals and
// the invalid findings.
func validate(ctx context.Context, store sink.Store, opts digest.ValidateOptions) (digest.Summary, []digest.Finding, error) {
	sum := digest.Summary{Start: opts.Start, End: opts.End}
	var invalid []digest.Finding
	for f, err := range digest.Validate(ctx, store, opts) {
		if err != nil {
			return sum, nil, fmt.Errorf("validate: %w", err)
		}
		sum.Add(&f)
		if f.Kind.Invalid() {
			invalid = append(invalid, f)
		}
	}
	return sum, invalid, nil
}

// totals says what the AWS CLI's totals say, on one line.
func totals(s *digest.Summary) string {
	var parts []string
	for _, c := range []struct {
		name           string
		valid, invalid int
	}{{"digest", s.ValidDigests, s.InvalidDigests}, {"log", s.ValidLogs, s.InvalidLogs}} {
		n := c.valid + c.invalid
		parts = append(parts, fmt.Sprintf("%d/%d %s files valid", c.valid, n, c.name))
		if c.invalid > 0 {
			parts = append(parts, fmt.Sprintf("%d/%d %s files INVALID", c.invalid, n, c.name))
		}
	}
	return strings.Join(parts, ", ")
}

// tamper does what someone covering their tracks would: it finds the first
// log file with a denied call and rewrites it with the error removed, as a
// valid gzipped log file. It returns the file's key and what it changed.
func tamper(ctx context.Context, store *sink.Dir) (key, what string, err error) {
	prefix := "AWSLogs/" + accountID + "/CloudTrail/" + region + "/"
	for info, err := range store.List(ctx, prefix, "") {
		if err != nil {
			return "", "", err
		}
		body, _, err := sink.ReadAll(ctx, store, info.Key, 64<<20) // the example's files are small
		if err != nil {
			return "", "", err
		}
		var (
			file    bytes.Buffer
			changed *event.Record
		)
		w, err := event.NewLogWriter(&file, event.LogWriterOptions{})
		if err != nil {
			return "", "", err
		}
		for rec, err := range event.Read(bytes.NewReader(body)) {
			if err != nil {
				return "", "", fmt.Errorf("read %s: %w", info.Key, err)
			}
			if changed == nil && rec.ErrorCode == "AccessDenied" {
				changed = rec
				rec.Delete("errorCode")
				rec.Delete("errorMessage")
			}
			if err := w.Write(rec); err != nil {
				return "", "", err
			}
		}
		if err := w.Close(); err != nil {
			return "", "", err
		}
		if changed == nil {
			continue
		}
		err = store.Put(ctx, sink.Object{Key: info.Key, Body: file.Bytes(), ContentType: "application/json", ContentEncoding: "gzip"})
		if err != nil {
			return "", "", err
		}
		what = fmt.Sprintf("removed the AccessDenied error of %s's %s at %s",
			changed.UserIdentity.UserName, changed.EventName, changed.EventTime.Format(time.RFC3339))
		return info.Key, what, nil
	}
	return "", "", errors.New("no log file with a denied call to tamper with")
}

// lookups shows Event History on the delivered tree: the newest events,
// then every event of one user and one action, page by page.
func lookups(ctx context.Context, out io.Writer, store sink.Store) error {
	page, err := history.Lookup(ctx, store, history.Input{StartTime: start, EndTime: end, MaxResults: 5})
	if err != nil {
		return fmt.Errorf("lookup: %w", err)
	}
	fmt.Fprintln(out, "\nEvent history, the 5 newest events:")
	for _, ev := range page.Events {
		printEvent(out, &ev)
	}

	in := history.Input{
		StartTime: start,
		EndTime:   end,
		Attributes: []history.Attribute{
			{Key: history.Username, Value: "bob"},
			{Key: history.EventName, Value: "CancelOrder"},
		},
	}
	fmt.Fprintln(out, "\nEvent history, Username=bob and EventName=CancelOrder:")
	for {
		page, err := history.Lookup(ctx, store, in)
		if err != nil {
			return fmt.Errorf("lookup: %w", err)
		}
		for _, ev := range page.Events {
			printEvent(out, &ev)
		}
		if page.NextToken == "" {
			return nil
		}
		in.NextToken = page.NextToken
	}
}

// printEvent prints a looked-up event on one line, with the error code
// read from the stored record.
func printEvent(out io.Writer, ev *history.Event) {
	errorCode, _ := event.Get(ev.CloudTrailEvent, "errorCode").Text()
	line := fmt.Sprintf("  %s  %-11s  %-5s  %s", ev.EventTime.Format(time.RFC3339), ev.EventName, ev.Username, errorCode)
	fmt.Fprintln(out, strings.TrimRight(line, " "))
}
