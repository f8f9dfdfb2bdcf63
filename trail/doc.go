// Package trail delivers CloudTrail records the way CloudTrail does: a
// [Trail] selects records with its event selectors, batches them into
// gzipped log files under CloudTrail's object keys, and puts the files to
// one or more sinks (a directory, S3, stdout), with signed hourly digest
// files when a signer is configured.
//
// # The model
//
// A Trail is configured like a CloudTrail trail, by a [Config]: a name, the
// owning account, a home region, an S3 key prefix, whether it is
// multi-region and includes global service events, an organization id,
// and selectors ([selector.Config]). [Trail.Emit] hands it one record; the
// trail logs it when the record's region is one it logs (the home region;
// every region for a multi-region trail; us-east-1 for the global service
// events it includes) and its selectors select it.
//
// Logged records go into one open log file per account and region. A file
// is cut when its flush window ends ([FileOptions].FlushInterval, 5
// minutes, on the trail's [Clock]) or when it is full, then compressed and
// put to every sink of [DeliveryOptions] under CloudTrail's key:
//
//	[prefix/]AWSLogs/[o-org/]account/CloudTrail/region/YYYY/MM/DD/account_CloudTrail_region_YYYYMMDDTHHmmZ_unique.json.gz
//
// [Trail.Flush] cuts the open files and waits for their delivery;
// [Trail.Close] does the same and stops the trail. [Trail.Status] reports
// delivery per sink as CloudTrail's GetTrailStatus does, with [Counters].
//
// Delivery is at-least-once, each sink retried on its own ([RetryPolicy]).
// Memory is bounded ([BufferPolicy]): a full buffer makes Emit wait
// ([Block]) or fail with [ErrBufferFull] ([Drop]), never drop a record
// silently. With a [Spool] in [DurabilityOptions], Emit returns only once
// the record is on disk, and a trail started on the spool after a crash
// delivers what the crashed one acknowledged. With [DigestOptions], each
// sink also gets signed hourly digest files, linked into chains that a
// restarted trail continues (package [digest]). With InsightSelectors the
// trail raises CloudTrail Insights events (package
// [github.com/trailkit/trailkit/trail/insight]).
//
// [New] checks the whole configuration before anything starts; an invalid
// one is a [*ConfigError] naming the field, the value and the rule.
//
// docs/trail.md in the repository explains each part at length: what is
// logged, the delivery guarantees and the spool, digest chains across
// restarts, Insights and their state, and the trail's time.
// docs/design.md draws the path of a record through the packages.
//
// # Example
//
//	dir, err := sink.NewDir("audit", sink.DirOptions{})
//	if err != nil { ... }
//	tr, err := trail.New(trail.Config{
//		Name: "orders-audit", AccountID: "111122223333", HomeRegion: "eu-west-1",
//		Delivery: trail.DeliveryOptions{Sinks: []sink.Sink{dir}},
//	})
//	if err != nil { ... }
//	defer tr.Close(ctx) // delivers what is pending
//	if err := tr.Emit(ctx, rec); err != nil { ... }
//
// The package's testable examples run this with a [ManualClock] and show
// what lands in the sink.
package trail
