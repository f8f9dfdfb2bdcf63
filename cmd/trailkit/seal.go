package main

import (
	"context"
	"fmt"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
	"github.com/trailkit/trailkit/trail"
)

func init() {
	register("seal", "write the digest files still owed for log files already delivered", runSeal)
}

const sealUsage = `--account-id A --region R --trail-name N --private-key FILE (--dir DIR | --s3 s3://bucket[/prefix]) [flags]

Writes, for each account and region with log files, the digest files that the trail's writers
still owe: if the store holds log files dated up to --until (default now), at most a day before,
that no digest lists, it seals the hours from the chain's newest digest to the hour of the newest
such file, each linked to the one before, as a trail does at the end of each hour. Run it when the
processes writing a trail died; with nothing owed it writes nothing. It is safe to run beside
writers of the trail and beside itself: each digest is created only if absent, so of several
processes sealing an hour one writes its digest and the others link to it.`

func runSeal(ctx context.Context, e *env, args []string) error {
	fl := newFlags(e, "seal", sealUsage)
	accountID := fl.String("account-id", "", "the trail's 12-digit account id")
	region := fl.String("region", "", "the trail's home region, such as us-east-1")
	name := fl.String("trail-name", "", "the trail's name")
	keyFile := fl.String("private-key", "", "PEM RSA private key the digests are signed with")
	dir := fl.String("dir", "", "the trail's directory sink")
	s3URL := fl.String("s3", "", "the trail's s3://bucket[/prefix]")
	endpoint := fl.String("endpoint-url", "", "S3-compatible endpoint for s3:// URLs, addressed path-style (or AWS_ENDPOINT_URL_S3)")
	prefix := fl.String("prefix", "", "S3 key prefix of the trail's keys with --dir (with --s3, the URL's prefix)")
	bucket := fl.String("bucket", "", "bucket name digests record with --dir (default: the directory's name)")
	orgID := fl.String("organization-id", "", "seal an organization trail of this organization (o-...): every member account")
	untilFlag := fl.String("until", "", "seal files delivered up to this time (default: now)")
	if err := fl.parse(args); err != nil {
		return err
	}
	switch {
	case fl.NArg() > 0:
		return usagef("unexpected argument %q", fl.Arg(0))
	case *accountID == "" || *region == "" || *name == "":
		return usagef("--account-id, --region and --trail-name are required")
	case *keyFile == "":
		return usagef("--private-key is required")
	case (*dir == "") == (*s3URL == ""):
		return usagef("give one of --dir and --s3")
	case *s3URL != "" && *prefix != "":
		return usagef("--prefix is for --dir; with --s3 put the prefix in the URL")
	case *s3URL != "" && *bucket != "":
		return usagef("--bucket is for --dir; with --s3 the URL names the bucket")
	}
	opts := trail.SealOptions{Name: *name, AccountID: *accountID, HomeRegion: *region, S3KeyPrefix: *prefix, OrganizationID: *orgID}
	if *untilFlag != "" {
		t, err := parseTime(*untilFlag)
		if err != nil {
			return usagef("--until: %v", err)
		}
		opts.Until = t
	}
	// The trail's configuration rules apply: check them before touching
	// the destination.
	cfg := trail.Config{Name: *name, AccountID: *accountID, HomeRegion: *region, S3KeyPrefix: *prefix, OrganizationID: *orgID}
	cfg.Delivery.Sinks = []sink.Sink{discard{}}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	key, err := digest.LoadPrivateKey(*keyFile)
	if err != nil {
		return usagef("--private-key: %v", err)
	}
	opts.Digests.Signer = digest.NewRSASigner(key)
	if *s3URL != "" {
		s3, p, err := openS3(ctx, e, *s3URL, *endpoint, s3sink.Options{})
		if err != nil {
			return err
		}
		opts.Sink, opts.S3KeyPrefix = s3, trimSlashes(p)
	} else {
		d, err := sink.NewDir(*dir, sink.DirOptions{Bucket: *bucket})
		if err != nil {
			return err
		}
		opts.Sink = d
	}
	rep, err := trail.Seal(ctx, opts)
	if err != nil {
		return err
	}
	for _, k := range rep.Digests {
		fmt.Fprintf(e.stdout, "sealed s3://%s/%s\n", opts.Sink.Bucket(), k)
	}
	fmt.Fprintf(e.stdout, "%d digest files written, listing %d log files\n", len(rep.Digests), rep.Listed)
	return nil
}
