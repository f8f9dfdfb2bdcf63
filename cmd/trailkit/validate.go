package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/trailkit/trailkit/digest"
)

func init() {
	register("validate", "validate log files against their signed digests, as aws cloudtrail validate-logs", runValidate)
}

func runValidate(ctx context.Context, e *env, args []string) error {
	fl := newFlags(e, "validate", "(--dir DIR | --s3 s3://bucket[/prefix]) --trail-arn ARN --public-key FILE [--public-key FILE]...\n"+
		"       --start-time T [--end-time T] [--json] [--quiet] [flags]\n\n"+
		"Validates the trail's digest files (format, location, key, signature, chain) and the log files they\n"+
		"list, as 'aws cloudtrail validate-logs --verbose' does, and prints its lines and totals: valid files on\n"+
		"standard output, invalid ones on standard error. Exit status 0: every file valid; 1: a file invalid;\n"+
		"2: a usage error, or the store, a key file or the bucket cannot be read.\n\n"+
		"A public key FILE is PKCS#1 DER (trailkit keygen, ListPublicKeys' Value), PEM, or ListPublicKeys JSON\n"+
		"with validity windows. Times are RFC 3339 (2026-01-08T05:21:42Z), or a date, a date and time without\n"+
		"zone (UTC), or Unix seconds.")
	dir := fl.String("dir", "", "directory store holding the trail's files (a directory sink's root)")
	s3URL := fl.String("s3", "", "S3 bucket and optional key prefix: s3://bucket[/prefix]")
	bucket := fl.String("bucket", "", "with --dir: the bucket name the digests record (default: the directory's name)")
	prefix := fl.String("prefix", "", "the trail's S3 key prefix (with --s3, may be given in the URL instead)")
	arn := fl.String("trail-arn", "", "ARN of the trail: arn:aws:cloudtrail:REGION:ACCOUNT:trail/NAME")
	var keyFiles, regions stringsFlag
	fl.Var(&keyFiles, "public-key", "public key file; repeat for rotated keys")
	fl.Var(&regions, "region", "source region to validate; repeatable (default: every region with digests)")
	startFlag := fl.String("start-time", "", "validate log files delivered from this time")
	endFlag := fl.String("end-time", "", "validate log files delivered until this time (default: now)")
	account := fl.String("account-id", "", "account whose files to validate (default: the ARN's; a member account for an organization trail)")
	org := fl.String("organization-id", "", "organization id (o-...) of an organization trail")
	var kmsKeys stringsFlag
	fl.Var(&kmsKeys, "kms-key-id", "KMS key whose public half signed digests (fetched from KMS); repeatable, and with --public-key")
	asJSON := fl.Bool("json", false, "print a machine-readable report: one JSON object a line, each finding, then the summary")
	quiet := fl.Bool("quiet", false, "print only invalid files, gaps and the totals")
	verbose := fl.Bool("verbose", true, "print each digest and log file with its result, as the AWS CLI's --verbose (the default; --verbose=false is --quiet)")
	skipUnlisted := fl.Bool("skip-unlisted", false, "do not report log files that no digest lists (a check the AWS CLI does not make)")
	endpoint := fl.String("endpoint-url", "", "S3-compatible endpoint for --s3 (or AWS_ENDPOINT_URL_S3)")
	workers := fl.Int("workers", 0, "log files fetched and hashed at once, 1 to 256 (default: the number of CPUs)")
	allowEmpty := fl.Bool("allow-empty", false, "exit 0 when no digest file is found (by default an empty or wrong location is an error)")
	if err := fl.parse(args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return usagef("unexpected argument %q", fl.Arg(0))
	case (*dir == "") == (*s3URL == ""):
		return usagef("give one of --dir DIR and --s3 s3://bucket[/prefix]")
	case *arn == "":
		return usagef("no --trail-arn given")
	case len(keyFiles) == 0 && len(kmsKeys) == 0:
		return usagef("no --public-key FILE or --kms-key-id given")
	case *startFlag == "":
		return usagef("no --start-time given")
	case *bucket != "" && *dir == "":
		return usagef("--bucket is for --dir")
	case *bucket != "" && checkBucketName(*bucket) != nil:
		return usagef("--bucket: %v", checkBucketName(*bucket))
	case *workers < 0 || *workers > maxWorkers:
		return usagef("--workers %d: want 1 to %d (or 0 for the number of CPUs)", *workers, maxWorkers)
	}
	if _, err := digest.ParseTrailARN(*arn); err != nil {
		return usagef("%v", err)
	}
	start, err := parseTime(*startFlag)
	if err != nil {
		return usagef("--start-time: %v", err)
	}
	end := time.Now().UTC().Truncate(time.Second)
	if *endFlag != "" {
		if end, err = parseTime(*endFlag); err != nil {
			return usagef("--end-time: %v", err)
		}
	}
	if start.After(end) {
		return usagef("invalid time range specified: start-time must occur before end-time")
	}
	var keys []digest.PublicKey
	for _, f := range keyFiles {
		k, err := digest.LoadPublicKeys(f)
		if err != nil {
			return exitError{code: 2, err: err}
		}
		keys = append(keys, k...)
	}
	for _, id := range kmsKeys {
		k, err := kmsPublicKey(ctx, id)
		if err != nil {
			return exitError{code: 2, err: fmt.Errorf("--kms-key-id: %w", err)}
		}
		keys = append(keys, k)
	}
	if !*verbose {
		*quiet = true
	}

	store, urlPrefix, err := openStore(ctx, e, *dir, *s3URL, *endpoint, *bucket)
	switch {
	case err != nil && *dir != "":
		return exitError{code: 2, err: err}
	case err != nil:
		return err
	case urlPrefix != "" && *prefix != "":
		return usagef("give the key prefix in --s3 or --prefix, not both")
	case urlPrefix != "":
		*prefix = urlPrefix
	}
	where := *dir
	if *s3URL != "" {
		where = *s3URL
	}

	opts := digest.ValidateOptions{
		TrailARN: *arn, Start: start, End: end, AccountID: *account, OrganizationID: *org,
		Prefix: strings.Trim(*prefix, "/"), Regions: regions, Keys: keys, Workers: *workers, SkipUnlisted: *skipUnlisted,
	}
	out := bufio.NewWriterSize(e.stdout, 64<<10)
	defer out.Flush()
	var rep reporter
	if *asJSON {
		rep = &jsonReporter{out: out, quiet: *quiet}
	} else {
		rep = &textReporter{out: out, errw: e.stderr, quiet: *quiet, lastDouble: true}
	}
	if err := rep.start(*arn, start, end); err != nil {
		return err
	}
	sum := digest.Summary{Start: start, End: end}
	digests := 0
	bar := newProgress(e, *quiet || *asJSON)
	defer bar.done()
	for f, err := range digest.Validate(ctx, store, opts) {
		bar.done() // the findings' lines start on a clean line
		if err != nil {
			out.Flush()
			return exitError{code: 2, err: validateFailure(where, err)}
		}
		sum.Add(&f)
		if f.Kind.IsDigest() {
			digests++
		}
		if err := rep.finding(&f); err != nil {
			return err
		}
		if f.Kind.IsLog() {
			out.Flush()
			bar.add(1, 0, 0)
		}
	}
	bar.done()
	if err := rep.summary(&sum); err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	if !sum.Valid() {
		return exitError{code: 1, err: errors.New("")} // the report has said why
	}
	if digests == 0 && !*allowEmpty {
		// A scheduled validation must not stay green over an empty or
		// wrong location.
		return exitError{code: 1, err: fmt.Errorf("no digest files found under %s for %s from %s to %s (check --prefix, --account-id and --region; --allow-empty accepts it)",
			storeLocation(where, *prefix), *arn, start.Format(time.RFC3339), end.Format(time.RFC3339))}
	}
	return nil
}

// maxWorkers bounds --workers: each worker holds a file's buffers.
const maxWorkers = 256

// storeLocation names a directory or S3 URL with the key prefix.
func storeLocation(where, prefix string) string {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" || strings.HasSuffix(strings.TrimRight(where, "/"), "/"+prefix) {
		return where
	}
	return strings.TrimRight(where, "/") + "/" + prefix
}

// validateFailure tells a failure to read the store in one line.
func validateFailure(where string, err error) error {
	if errors.Is(err, digest.ErrNoPublicKeys) {
		return fmt.Errorf("%w (check --public-key and the keys' validity)", err)
	}
	if strings.HasPrefix(where, "s3://") {
		return s3Failure(where, err)
	}
	return err
}

// parseTime reads a time as the AWS CLI accepts them, within reason:
// RFC 3339, a date and time without zone (UTC), a date, or Unix seconds.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04",
		"2006-01-02 15:04:05Z07:00", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", "20060102T150405Z"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 && len(s) <= 11 {
		return time.Unix(n, 0).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time (want RFC 3339, such as 2026-01-08T05:21:42Z)", s)
}

// reporter prints a validation's findings and summary.
type reporter interface {
	start(arn string, start, end time.Time) error
	finding(f *digest.Finding) error
	summary(s *digest.Summary) error
}

// textReporter prints what the AWS CLI prints: valid files on standard
// output (the CLI's --verbose; not with --quiet), invalid files and gaps on
// standard error, each followed by a blank line.
type textReporter struct {
	out        *bufio.Writer
	errw       io.Writer
	quiet      bool
	lastDouble bool // the last status line was followed by a blank line
}

func (r *textReporter) start(arn string, start, end time.Time) error {
	_, err := fmt.Fprintf(r.out, "Validating log files for trail %s between %s and %s\n\n",
		arn, start.Format(digest.TimeLayout), end.Format(digest.TimeLayout))
	return err
}

func (r *textReporter) finding(f *digest.Finding) error {
	if f.Kind.Invalid() || f.Kind == digest.Gap {
		// Keep the order of the two streams on a terminal.
		if err := r.out.Flush(); err != nil {
			return err
		}
		lead := ""
		if !r.lastDouble {
			lead = "\n"
		}
		r.lastDouble = true
		_, err := fmt.Fprintf(r.errw, "%s%s\n\n", lead, f.String())
		return err
	}
	if r.quiet {
		return nil
	}
	r.lastDouble = false
	r.out.WriteString(f.String())
	return r.out.WriteByte('\n')
}

func (r *textReporter) summary(s *digest.Summary) error {
	if !r.lastDouble {
		r.out.WriteByte('\n')
	}
	return s.WriteText(r.out)
}

// jsonReporter prints one JSON object a line: each finding, then the
// summary.
type jsonReporter struct {
	out   *bufio.Writer
	quiet bool
	enc   *json.Encoder
	arn   string
}

type jsonFinding struct {
	Type     string `json:"type"` // digest, log or gap
	Status   string `json:"status,omitempty"`
	Kind     string `json:"kind"`
	Reason   string `json:"reason,omitempty"`
	Message  string `json:"message"`
	Bucket   string `json:"bucket,omitempty"`
	Key      string `json:"key,omitempty"`
	Region   string `json:"region,omitempty"`
	Backfill bool   `json:"backfill,omitempty"`
	From     string `json:"from,omitempty"`
	To       string `json:"to,omitempty"`
	Other    string `json:"other,omitempty"` // the other digest of a fork, an overlap or a file listed twice
	Error    string `json:"error,omitempty"`
}

type jsonSummary struct {
	Type                   string `json:"type"`
	TrailARN               string `json:"trailArn"`
	Start                  string `json:"start"`
	End                    string `json:"end"`
	FoundStart             string `json:"foundStart,omitempty"`
	FoundEnd               string `json:"foundEnd,omitempty"`
	ValidDigests           int    `json:"validDigests"`
	InvalidDigests         int    `json:"invalidDigests"`
	ValidBackfillDigests   int    `json:"validBackfillDigests"`
	InvalidBackfillDigests int    `json:"invalidBackfillDigests"`
	ValidLogs              int    `json:"validLogs"`
	InvalidLogs            int    `json:"invalidLogs"`
	Gaps                   int    `json:"gaps"`
	Inconsistencies        int    `json:"inconsistencies"`
	Valid                  bool   `json:"valid"`
}

func (r *jsonReporter) start(arn string, _, _ time.Time) error {
	r.arn = arn
	r.enc = json.NewEncoder(r.out)
	r.enc.SetEscapeHTML(false)
	return nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(digest.TimeLayout)
}

func (r *jsonReporter) finding(f *digest.Finding) error {
	if r.quiet && !f.Kind.Invalid() && f.Kind != digest.Gap {
		return nil
	}
	j := jsonFinding{Kind: f.Kind.String(), Message: f.String(), Bucket: f.Bucket, Key: f.Key, Region: f.Region, Backfill: f.Backfill, Other: f.Other}
	switch {
	case f.Kind == digest.Gap:
		j.Type, j.From, j.To = "gap", formatTime(f.From), formatTime(f.To)
		j.Bucket, j.Key = "", ""
	case f.Kind.IsDigest(), f.Kind == digest.Fork, f.Kind == digest.Overlap:
		j.Type = "digest"
	default:
		j.Type = "log"
	}
	if j.Type != "gap" {
		j.Status, j.Reason = "valid", f.Reason()
		if f.Kind.Invalid() {
			j.Status = "INVALID"
			j.Reason = strings.TrimPrefix(j.Reason, "INVALID: ")
		}
	}
	if f.Err != nil {
		j.Error = f.Err.Error()
	}
	return r.enc.Encode(j)
}

func (r *jsonReporter) summary(s *digest.Summary) error {
	return r.enc.Encode(jsonSummary{
		Type: "summary", TrailARN: r.arn, Start: formatTime(s.Start), End: formatTime(s.End),
		FoundStart: formatTime(s.FoundStart), FoundEnd: formatTime(s.FoundEnd),
		ValidDigests: s.ValidDigests, InvalidDigests: s.InvalidDigests,
		ValidBackfillDigests: s.ValidBackfillDigests, InvalidBackfillDigests: s.InvalidBackfillDigests,
		ValidLogs: s.ValidLogs, InvalidLogs: s.InvalidLogs, Gaps: s.Gaps, Inconsistencies: s.Inconsistencies, Valid: s.Valid(),
	})
}
