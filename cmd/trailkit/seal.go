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
or older ones it says were written in that day (delivered late), that no digest lists, it seals
the hours from the chain's newest digest to the hour of the newest such file, each linked to the
one before, as a trail does at the end of each hour; never an hour that has not begun by --until
(files late for an hour a stopping writer sealed early wait for the next). Run it when the
processes writing a trail died; with nothing owed it writes nothing. It is safe to run beside
writers of the trail and beside itself: each digest is created only if absent, so of several
processes sealing an hour one writes its digest and the others link to it.`

func runSeal(ctx context.Context, e *env, args []string) error {
	fl := newFlags(e, "seal", sealUsage)
	tf := addTrailFlags(fl)
	keyFile := fl.String("private-key", "", "PEM RSA private key the digests are signed with")
	untilFlag := fl.String("until", "", "seal files delivered up to this time (default: now)")
	if err := fl.parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return usagef("unexpected argument %q", fl.Arg(0))
	}
	if err := tf.check(); err != nil {
		return err
	}
	if *keyFile == "" {
		return usagef("--private-key is required")
	}
	// The trail's configuration rules apply: check them before touching
	// the destination.
	cfg := tf.config()
	cfg.Delivery.Sinks = []sink.Sink{discard{}}
	if err := cfg.Validate(); err != nil {
		return usagef("%v", err)
	}
	opts := trail.SealOptions{Name: cfg.Name, AccountID: cfg.AccountID, HomeRegion: cfg.HomeRegion, S3KeyPrefix: cfg.S3KeyPrefix, OrganizationID: cfg.OrganizationID}
	if *untilFlag != "" {
		t, err := parseTime(*untilFlag)
		if err != nil {
			return usagef("--until: %v", err)
		}
		opts.Until = t
	}
	key, err := digest.LoadPrivateKey(*keyFile)
	if err != nil {
		return usagef("--private-key: %v", err)
	}
	opts.Digests.Signer = digest.NewRSASigner(key)
	if *tf.s3URL != "" {
		s3, p, err := openS3(ctx, e, *tf.s3URL, *tf.endpoint, s3sink.Options{})
		if err != nil {
			return err
		}
		opts.Sink, opts.S3KeyPrefix = s3, trimSlashes(p)
	} else {
		d, err := sink.NewDir(*tf.dir, sink.DirOptions{Bucket: *tf.bucket})
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
