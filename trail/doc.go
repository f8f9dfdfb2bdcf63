// Package trail delivers CloudTrail records the way CloudTrail does: a
// trail selects records with its event selectors, batches them into gzipped
// log files with CloudTrail's object keys, and puts the files to one or more
// sinks (a directory, S3, stdout), with signed hourly digest files when a
// signer is configured.
//
// # The model
//
// A Trail is configured like a CloudTrail trail (Config): a name, the
// owning account, a home region, an S3 key prefix, whether it is
// multi-region, whether it includes global service events, an organization
// id for organization trails, and selectors (package selector). Emit hands
// it one record; the trail decides whether it logs it:
//
//   - An Insights record (eventType AwsCloudTrailInsight) is delivered,
//     under CloudTrail-Insight, when the trail has InsightSelectors (such a
//     trail also raises its own: see Insights).
//   - An event of a global service (IAM, CloudFront, STS at its global
//     endpoint) is logged, under us-east-1, only when the trail includes
//     global service events, whatever its home region.
//   - Any other record is logged when its awsRegion is the home region or
//     the trail is multi-region, and the selectors select it.
//
// Logged records go into one open log file per account (recipientAccountId,
// else the trail's, which is then written as the record's
// recipientAccountId, as CloudTrail always writes one) and region. A file is cut when its flush window ends —
// windows are multiples of Files.FlushInterval (5 minutes) on the trail's Clock,
// and the file is dated at the window's end — or earlier when it reaches
// Files.MaxRecords or Files.MaxBytes. Its key is CloudTrail's:
//
//	[prefix/]AWSLogs/[o-org/]account/CloudTrail/region/YYYY/MM/DD/account_CloudTrail_region_YYYYMMDDTHHmmZ_unique.json.gz
//
// where unique is 16 random letters and digits, so that several processes
// delivering one trail to one bucket never collide. Cut files are compressed
// in parallel (Files.CompressionWorkers, one per core by default) and put to every
// sink. Several trails can run in one process, each with its own selectors
// and sinks.
//
// Emit encodes the record before it returns (the caller may reuse it) and
// is safe for concurrent use; it does not wait for delivery. Flush cuts the
// open files and waits for their delivery; Close does the same and stops the
// trail. StopLogging and StartLogging pause and resume logging, and Status
// reports what CloudTrail's GetTrailStatus does for delivery, per sink, with
// counters of emitted, selected, delivered, dropped and retried records.
//
// # Delivery guarantees
//
// Delivery is at-least-once: a record for which Emit returned nil is in a
// log file in every sink, unless the process dies first (see Spool), or
// Close's context ends first (Close says so). A put that fails is retried
// with exponential backoff and jitter (RetryPolicy) for as long as the
// trail runs; the failures show in Status (LatestDeliveryError, per sink).
// A retried put carries the same key and bytes, so a file is never stored
// twice under two names by retries: without crashes each record is
// delivered exactly once to each sink.
//
// Memory is bounded (BufferPolicy.MaxBytes covers records not yet delivered
// to every sink). When the buffer is full, Emit either waits for room until
// its context is done (Block, the default) or returns ErrBufferFull at once
// (Drop); either way the record is counted in Counters.Dropped and the
// caller told. Nothing is dropped silently.
//
// With a Spool, Emit returns nil only once the record is in a write-ahead
// file and fsync'ed; concurrent Emits share fsyncs (group commit). Before a
// file's first put, the trail writes which records it holds and its key; a
// trail started on the same spool after a crash or kill -9 puts the same
// file again under the same key, and files the next records that were in
// no file. So every acknowledged record is delivered, and a record ends up
// in one file even across crashes, provided the sink's put replaces an
// object atomically (sink.Dir and S3 do). Spooled write-ahead files are
// deleted once their records are delivered.
//
// # Digests
//
// With Config.Digests (a Signer or Keys), each sink also gets, per account
// and region, one signed digest file per hour of logging, also for hours
// without log files, linked to the previous digest (package digest). A
// period runs from logging start to the next whole hour, then hour by hour;
// StopLogging and Close end the last one early. A log file is listed in the
// digest of the period holding its delivery time, and a digest is delivered
// once all its files are in the sink. Insights files are listed in the
// digests of their account and region with the other log files: CloudTrail
// documents one digest series per region (CloudTrail-Digest), listing the
// log files delivered in its hour, and that series is what the AWS CLI
// validates. A trail restarted on a sink that can
// be read (a sink.Store) continues the chain from the newest digest there;
// StartLogging after StopLogging starts a new chain, as CloudTrail does.
//
// A process killed in the middle of an hour has delivered files that no
// digest lists yet. With a Spool, the trail keeps a digest journal,
// digests.journal in the spool directory: after a file's put to a sink and
// before its done frame, the file's digest entry (bucket, key, SHA-256,
// oldest and newest eventTime) and the start of its period are appended
// and fsync'ed (concurrent appends share one fsync). A file whose done
// frame survives a crash is thus in the journal, and one whose done frame
// does not is put again from the spool; either way the restarted trail
// lists it. A trail started on the spool rebuilds each period of the
// journal whose digests were not delivered, with its start: a period of
// the current hour goes on as the open period (its digest covers the whole
// hour, the files before the kill and after the restart), an earlier one
// is sealed at the end of its hour once the files put again from the spool
// are in the sink. The chain links to the newest digest in the sink, so
// the validator finds no gap and no unlisted file. Once a period's digests
// are delivered the journal is rewritten without it: it holds at most the
// periods not yet sealed, and is empty after a clean Close. The hours a
// process was down and not logging have no digest, as the hours a
// CloudTrail trail was stopped have none.
//
// Without a Spool there is no journal: a trail started on a sink that can
// be read, when it resumes a chain from the newest digest there, lists the
// chain's directories (CloudTrail and CloudTrail-Insight of its account
// and Region) from that digest's end to the trail's start (a day at
// most), and lists in its first digest the files that digest does not:
// each is read, its SHA-256 computed over the uncompressed bytes and its
// oldest and newest eventTime taken from its records. Only keys of the trail's own layout
// count (its prefix, organization, account, Region, and the name's form
// with a 16-character unique part); an object that is not gzipped
// CloudTrail JSON is skipped and reported in Status. The first digest
// starts at the restart, so the files of a killed hour are listed by the
// digest after it, not by the digest of their hour; the files of a Region
// the restarted trail does not log to are not found; and the records a
// spool-less process held in memory are lost with it.
//
// Both ways rely on one process at a time delivering a trail to a bucket
// and prefix. Another process's files in the same directories follow the
// same layout and cannot be told apart, so a restarted spool-less trail
// would list them too; and several processes delivering one trail to one
// bucket and prefix write the same digest keys anyway (a digest key names
// the trail, the Region and the hour, not the process), so each process
// of a trail needs a bucket or prefix of its own when digests are on.
//
// # Insights
//
// A trail with InsightSelectors (in Config.Selectors) analyses the records
// it logs and raises CloudTrail Insights events when an API's call rate or
// error rate departs from its baseline, with package insight: one detector
// per account and region the trail files records under (global service
// events under us-east-1), up to InsightOptions.MaxDetectors. Package
// insight says what is counted, how the baseline is computed and what the
// events hold; InsightOptions sets the window, the sensitivity and the
// minimum volume.
//
// Every record the trail logs is counted, Insights records excepted. Emit
// copies what the detector reads (string headers, the time, two flags) into
// a batch, under the lock it takes anyway, and the Emit that fills a batch
// feeds it to the detector: the analysis allocates nothing and adds less
// than 100 ns to an Emit (BenchmarkEmitInsights). Records recovered from a
// spool at New were counted, or not, by the process that logged them, and
// are not counted again.
//
// At every whole minute of the trail's Clock (a ManualClock too), the
// detectors close the minutes that are over, and the Start and End events
// they raise are logged like any record: into the open CloudTrail-Insight
// file of their account and region, cut at the end of its flush window, put
// under
//
//	[prefix/]AWSLogs/[o-org/]account/CloudTrail-Insight/region/YYYY/MM/DD/account_CloudTrail-Insight_region_YYYYMMDDTHHmmZ_unique.json.gz
//
// with the spool's durability and the sinks' retries, and listed in
// digests. While logging is stopped the detectors go on closing minutes
// (without calls), and what they raise is counted in Counters.NotLogging,
// not delivered. Status.Insights reports the analysis.
//
// With a Spool, the state of each detector (insight.Detector.MarshalBinary)
// is the file insight_ACCOUNT_REGION.state in the spool directory, replaced
// atomically after every minute that starts or ends an Insight, every
// InsightOptions.CheckpointInterval (5 minutes) and at Close. A trail
// started on the spool restores it and continues the baselines, and the
// Insights in progress, where the last one stopped. The events of a minute
// are in the spool before the state that follows it: after a crash, the
// detectors resume from the last checkpoint, the minutes since count as
// minutes without calls, and an event raised again carries the same
// eventID, so that it can be told as a duplicate. A state file that cannot
// be restored is reported in Status, and its detector starts afresh.
//
// Without a Spool the state lives in memory only, and a restarted trail
// builds its baselines again (no Insights for InsightOptions.MinBaseline).
// The sinks do not keep it: they hold CloudTrail's layout, which consumers
// and validators read as such; several processes may deliver one trail to
// one bucket and would overwrite each other's state; and a checkpoint
// would be a put to every sink every few minutes. A trail that must keep
// its baselines gets a spool.
//
// # Time
//
// The trail's Clock dates files and digests and ends flush windows.
// ManualClock moves only when told: "trailkit replay" sets it to each
// record's eventTime, so a replayed trail delivers the files and digests a
// live trail would have. Retry backoff always waits in real time.
//
// # Further reading
//
// The layout of what a trail delivers: https://github.com/trailkit/trailkit/blob/main/docs/delivery.md;
// the selectors it applies: https://github.com/trailkit/trailkit/blob/main/docs/selectors.md.
package trail
