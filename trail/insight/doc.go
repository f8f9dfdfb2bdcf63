// Package insight detects unusual API call rates and error rates in the
// records a trail logs, and reports them as CloudTrail Insights events, so
// that dashboards and rules written for CloudTrail Insights work unchanged
// on any application's own events.
//
// # What is analysed
//
// A Detector is configured with the trail's InsightSelectors
// (selector.InsightSelector): ApiCallRateInsight and ApiErrorRateInsight,
// each for management and/or data events. The trail calls Observe for every
// record it logs; which records count is CloudTrail's rule:
//
//   - ApiCallRateInsight counts, per API (eventCategory, eventSource,
//     eventName), the write management events (readOnly false; a record
//     without readOnly is not a write) or every data event.
//   - ApiErrorRateInsight counts, per API and errorCode, the management or
//     data events that carry an errorCode, read or write.
//   - Network activity events and Insights events are never analysed.
//
// Each of these counts is a series: a count per minute, by the minute of
// the record's eventTime.
//
// # Minutes and the clock
//
// The detector keeps the last Config.MinuteBuckets minutes open (three by
// default) so that records may arrive a little late, and accepts records up
// to as many minutes ahead of its clock. The trail moves the clock with
// Advance(now), at least once a minute: every minute that is no longer open
// is closed, judged against its series' baseline, and folded into it. A
// record for a minute that is already closed is counted in Stats.Late, one
// too far ahead in Stats.Early; neither is analysed. History begins with
// the minute of the first Advance (or of the first record, if Observe comes
// first).
//
// # The baseline
//
// For a series and a minute m of UTC day D, with W the Config.Window in
// days (7 by default), the baseline is every minute from the start of day
// D-W (or the start of history, if later) up to m-1: W whole days and the
// part of day D before m. Over those n minutes, minutes without calls
// included,
//
//	mean μ = Σc / n
//	deviation σ = √(Σc² / n − μ²)
//	spread σ' = max(σ, √μ)
//
// where c is a minute's count; σ' is at least the deviation of a Poisson
// count of mean μ, so that an API called at a perfectly steady rate does not
// raise an Insight for one call more. The sums are kept per day, so the
// baseline costs W+1 additions per judged minute.
//
// A minute with count c starts an Insight when
//
//	n ≥ MinBaseline (1 day by default),
//	c ≥ MinVolume (10 by default), and
//	c > μ + k·σ', where k is Config.Deviations (6 by default).
//
// The Insight goes on while each following minute has c > μ + (k/2)·σ';
// the first minute at or below that ends it. Every minute, unusual or not,
// is folded into the baseline, so a lasting change of level becomes the
// new normal and ends its Insight. An API first called during history has
// a baseline of zero: a burst of it at MinVolume calls a minute raises an
// Insight.
//
// # Insights events
//
// Advance returns, for each Insight, a Start record when its first minute
// closes and an End record when it ends, as CloudTrail writes them: keys in
// CloudTrail's order (eventVersion, eventTime, awsRegion, eventID,
// eventType "AwsCloudTrailInsight", recipientAccountId, sharedEventID,
// insightDetails, eventCategory "Insight"), and in insightDetails the
// state, eventSource, eventName, insightType, errorCode (error-rate
// Insights) and insightContext:
//
//   - eventTime: the first minute of the Insight for Start; the first
//     minute after it (start plus insightDuration) for End.
//   - statistics.baseline.average: μ when the Insight started, and
//     baselineDuration: n, in minutes; both records carry the same.
//   - statistics.insight.average: the first minute's count for Start; the
//     mean count per minute over the Insight for End. insightDuration: 1 for
//     Start, the Insight's minutes for End.
//   - attributions: for the call rate userIdentityArn, userAgent and
//     errorCode; for the error rate userIdentityArn and userAgent (its
//     error code is insightDetails.errorCode). Each lists the top five
//     values by descending average, then by value: insight averages per
//     minute over the Insight (Start: its first minute), baseline averages
//     per minute over the baseline. A record without the attribute counts
//     as the value "null", as CloudTrail writes errorCode "null" for calls
//     that succeeded.
//   - Averages are plain decimals rounded to ten places (0.6,
//     0.0000882145, 1.3333333333, 664).
//   - eventID and sharedEventID are name-based UUIDs (version 5) of the
//     trail, account and Region, the analysis, the API and the Insight's
//     first minute: Start and End share sharedEventID, and a detector
//     restored from older state that raises the same Insight again writes
//     the same IDs, so a consumer can drop the duplicate.
//
// The records are complete: the trail writes them, like any record, in
// {"Records":[...]} log files under the CloudTrail-Insight key layout and
// covers them with digests.
//
// # Attribution values
//
// Each series tracks up to 16 values of each attribute. A new value takes
// a free entry or, when all are taken, that of the value with the least
// weight (its count over the window and the open minutes), as in the
// space-saving algorithm: values that matter stay and are counted exactly
// from the time they were first tracked; light ones come and go. Observe
// keeps a reference to the record's string until the next Advance, which
// replaces it with a copy, so that the hot path never allocates.
//
// # Cost
//
// Observe takes no global lock: APIs are found in an immutable hash table
// that is replaced when new APIs appear, and each API has its own mutex.
// It allocates nothing once a record's API has been seen; see
// BenchmarkObserve for its cost. Memory is bounded by Config.MaxSeries:
// a series holds 3 × 16 × (2·MinuteBuckets + W + 2) counters of 4 bytes
// for its attribute values, 3 × 16 × 32 bytes to name them and (W + 1) ×
// 24 bytes of day sums: about 5.4 KB with the defaults, 54 MB for 10000
// series.
//
// # Restarts
//
// MarshalBinary encodes the detector's state (clock, open minutes, day
// sums, tracked values and the Insights in progress) and UnmarshalBinary
// restores it into a new detector, which then continues exactly: the same
// Insights events with the same IDs. Minutes and days are stored as
// absolute numbers, so state can be restored under a different Window or
// MinuteBuckets. Minutes during which the trail was down count as minutes
// without calls.
//
// # Wiring
//
//	det, err := insight.New(insight.Config{
//		Selectors: matcher.InsightSelectors(),
//		AccountID: accountID, Region: region, Trail: trailARN,
//	})
//	if saved != nil {
//		err = det.UnmarshalBinary(saved) // before the first Observe
//	}
//	det.Advance(now) // starts the clock
//
//	// for each record the trail logs:
//	det.Observe(rec)
//
//	// on the trail's clock, at least once a minute:
//	for _, r := range det.Advance(now) {
//		// append r to the CloudTrail-Insight log file being built
//	}
//	state, _ := det.MarshalBinary() // with the spool's checkpoint
package insight
