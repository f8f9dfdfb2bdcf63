package digest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/sink"
)

var h0 = time.Date(2026, 2, 10, 8, 0, 0, 0, time.UTC)

const refARN = "arn:aws:cloudtrail:us-east-1:111122223333:trail/ref-trail"

// run validates and returns the findings and their summary, failing the
// test on an error.
func run(t *testing.T, store sink.Store, opts digest.ValidateOptions) ([]digest.Finding, digest.Summary) {
	t.Helper()
	fs, s, err := runErr(store, opts)
	require.NoError(t, err)
	return fs, s
}

func runErr(store sink.Store, opts digest.ValidateOptions) ([]digest.Finding, digest.Summary, error) {
	sum := digest.Summary{Start: opts.Start, End: opts.End}
	var fs []digest.Finding
	for f, err := range digest.Validate(context.Background(), store, opts) {
		if err != nil {
			return fs, sum, err
		}
		sum.Add(&f)
		fs = append(fs, f)
	}
	return fs, sum, nil
}

func refOpts(t *testing.T, start, end time.Time) digest.ValidateOptions {
	return digest.ValidateOptions{
		TrailARN: refARN, Start: start, End: end,
		Keys: []digest.PublicKey{digest.NewPublicKey(&testKey(t, 0).PublicKey)},
	}
}

// invalid returns "kind key" for each finding that is not valid.
func invalid(fs []digest.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Kind != digest.DigestValid && f.Kind != digest.LogValid {
			out = append(out, f.Kind.String()+" "+f.Key)
		}
	}
	return out
}

type totals struct{ digests, invalidDigests, logs, invalidLogs, gaps int }

func totalsOf(s digest.Summary) totals {
	return totals{s.ValidDigests + s.InvalidDigests, s.InvalidDigests, s.ValidLogs + s.InvalidLogs, s.InvalidLogs, s.Gaps}
}

func TestValidateReferenceChain(t *testing.T) {
	store := newMemStore("ref-bucket")
	r := newRefTrail(t, store, testKey(t, 0), 1)
	keys, logs := r.hours(h0, 6, 2)

	fs, s := run(t, store, refOpts(t, h0, h0.Add(6*time.Hour)))
	assert.Empty(t, invalid(fs))
	assert.Equal(t, totals{digests: 6, logs: 12}, totalsOf(s))
	assert.True(t, s.Valid())

	// The AWS CLI's order: newest digest, its logs, then the one before.
	require.Len(t, fs, 18)
	assert.Equal(t, digest.DigestValid, fs[0].Kind)
	assert.Equal(t, keys[5], fs[0].Key)
	assert.Equal(t, logs[5][0].key, fs[1].Key)
	assert.Equal(t, logs[5][1].key, fs[2].Key)
	assert.Equal(t, keys[4], fs[3].Key)
	assert.Equal(t, "Digest file\ts3://ref-bucket/"+keys[5]+"\tvalid", fs[0].String())
	assert.Equal(t, "Log file\ts3://ref-bucket/"+logs[5][0].key+"\tvalid", fs[1].String())
	assert.Equal(t, h0, s.FoundStart)
	assert.Equal(t, h0.Add(6*time.Hour), s.FoundEnd)

	var out strings.Builder
	require.NoError(t, s.WriteText(&out))
	assert.Equal(t, "Results requested for 2026-02-10T08:00:00Z to 2026-02-10T14:00:00Z\n"+
		"Results found for 2026-02-10T08:00:00Z to 2026-02-10T14:00:00Z:\n"+
		"\n6/6 digest files valid\n12/12 log files valid\n", out.String())
}

// TestTamperMatrix tampers with a six-hour reference chain (two log files
// an hour) and checks each change is reported in the AWS CLI's category,
// with its totals.
func TestTamperMatrix(t *testing.T) {
	type chain struct {
		store *memStore
		r     *refTrail
		keys  []string
		logs  [][]refLog
	}
	tests := []struct {
		name   string
		build  func(t *testing.T, c *chain) // optional, replaces the default chain
		tamper func(t *testing.T, c *chain) (want []string)
		totals totals
	}{{
		name:   "untampered",
		tamper: func(t *testing.T, c *chain) []string { return nil },
		totals: totals{digests: 6, logs: 12},
	}, {
		name: "modify a log file",
		tamper: func(t *testing.T, c *chain) []string {
			k := c.logs[3][0].key
			o, _ := c.store.get(k)
			o.Body = refGzip([]byte(`{"Records":[]}`))
			require.NoError(t, c.store.Put(context.Background(), o))
			return []string{"log hash mismatch " + k}
		},
		totals: totals{digests: 6, logs: 12, invalidLogs: 1},
	}, {
		name: "delete a log file",
		tamper: func(t *testing.T, c *chain) []string {
			k := c.logs[2][1].key
			c.store.delete(k)
			return []string{"log not found " + k}
		},
		totals: totals{digests: 6, logs: 12, invalidLogs: 1},
	}, {
		name: "add a log file",
		tamper: func(t *testing.T, c *chain) []string {
			l := c.r.putLog(h0.Add(2*time.Hour+17*time.Minute), 2)
			return []string{"log not in any digest " + l.key}
		},
		totals: totals{digests: 6, logs: 13, invalidLogs: 1},
	}, {
		// Insights files are listed in the regular digests, so one in
		// no digest is reported too.
		name: "add an Insights file",
		tamper: func(t *testing.T, c *chain) []string {
			o, _ := c.store.get(c.logs[2][0].key)
			o.Key = strings.Replace(strings.Replace(o.Key, "/CloudTrail/", "/CloudTrail-Insight/", 1), "_CloudTrail_", "_CloudTrail-Insight_", 1)
			o.Key = o.Key[:len(o.Key)-len("XXXXXXXXXXXXXXXX.json.gz")] + "InsightInsight00.json.gz"
			require.NoError(t, c.store.Put(context.Background(), o))
			return []string{"log not in any digest " + o.Key}
		},
		totals: totals{digests: 6, logs: 13, invalidLogs: 1},
	}, {
		name: "rename a log file",
		tamper: func(t *testing.T, c *chain) []string {
			old := c.logs[4][1].key
			o, _ := c.store.get(old)
			o.Key = old[:len(old)-len("XXXXXXXXXXXXXXXX.json.gz")] + "RenamedRenamed00.json.gz"
			require.NoError(t, c.store.Put(context.Background(), o))
			c.store.delete(old)
			return []string{"log not found " + old, "log not in any digest " + o.Key}
		},
		totals: totals{digests: 6, logs: 13, invalidLogs: 2},
	}, {
		name: "append bytes to a log file's gzip stream",
		tamper: func(t *testing.T, c *chain) []string {
			k := c.logs[1][0].key
			o, _ := c.store.get(k)
			o.Body = append(o.Body, "appended"...)
			require.NoError(t, c.store.Put(context.Background(), o))
			return []string{"log invalid format " + k}
		},
		totals: totals{digests: 6, logs: 12, invalidLogs: 1},
	}, {
		name: "append a second gzip member to a log file",
		tamper: func(t *testing.T, c *chain) []string {
			k := c.logs[1][1].key
			o, _ := c.store.get(k)
			o.Body = append(o.Body, refGzip([]byte(`{"Records":[]}`))...)
			require.NoError(t, c.store.Put(context.Background(), o))
			return []string{"log invalid format " + k}
		},
		totals: totals{digests: 6, logs: 12, invalidLogs: 1},
	}, {
		name: "log file not gzip",
		tamper: func(t *testing.T, c *chain) []string {
			k := c.logs[0][0].key
			o, _ := c.store.get(k)
			o.Body = []byte(`{"Records":[]}`)
			require.NoError(t, c.store.Put(context.Background(), o))
			return []string{"log invalid format " + k}
		},
		totals: totals{digests: 6, logs: 12, invalidLogs: 1},
	}, {
		name: "modify a digest",
		tamper: func(t *testing.T, c *chain) []string {
			k := c.keys[3]
			o, _ := c.store.get(k)
			raw := gunzipT(t, o.Body)
			o.Body = refGzip([]byte(strings.Replace(string(raw), c.logs[3][0].sha, strings.Repeat("0", 64), 1)))
			require.NoError(t, c.store.Put(context.Background(), o))
			return []string{"digest signature invalid " + k}
		},
		// The invalid digest's log files are not checked, as in the CLI.
		totals: totals{digests: 6, invalidDigests: 1, logs: 10},
	}, {
		name: "digest not gzip",
		tamper: func(t *testing.T, c *chain) []string {
			k := c.keys[2]
			o, _ := c.store.get(k)
			o.Body = gunzipT(t, o.Body)
			require.NoError(t, c.store.Put(context.Background(), o))
			return []string{"digest invalid format " + k}
		},
		totals: totals{digests: 6, invalidDigests: 1, logs: 10},
	}, {
		name: "digest signature metadata removed",
		tamper: func(t *testing.T, c *chain) []string {
			k := c.keys[5]
			o, _ := c.store.get(k)
			delete(o.Metadata, "signature")
			require.NoError(t, c.store.Put(context.Background(), o))
			return []string{"digest signature invalid " + k}
		},
		totals: totals{digests: 6, invalidDigests: 1, logs: 10},
	}, {
		name: "delete a digest",
		tamper: func(t *testing.T, c *chain) []string {
			c.store.delete(c.keys[3])
			return []string{"digest not found " + c.keys[3]}
		},
		totals: totals{digests: 6, invalidDigests: 1, logs: 10},
	}, {
		name: "move a digest",
		tamper: func(t *testing.T, c *chain) []string {
			// Moved to the key of a digest ending half an hour earlier:
			// the chain's link finds nothing, and the listing finds the
			// digest where it does not belong.
			old := c.keys[3]
			o, _ := c.store.get(old)
			o.Key = c.r.digestKey(h0.Add(3*time.Hour+30*time.Minute), false)
			require.NoError(t, c.store.Put(context.Background(), o))
			c.store.delete(old)
			return []string{"digest not found " + old, "digest moved " + o.Key}
		},
		totals: totals{digests: 7, invalidDigests: 2, logs: 10},
	}, {
		name: "re-sign a digest with a key not in the ring",
		tamper: func(t *testing.T, c *chain) []string {
			k := c.keys[4]
			o, _ := c.store.get(k)
			raw := strings.Replace(string(gunzipT(t, o.Body)), c.r.fingerprint(testKey(t, 0)), c.r.fingerprint(testKey(t, 2)), 1)
			raw = strings.Replace(raw, c.logs[4][0].sha, strings.Repeat("1", 64), 1)
			var f digest.File
			require.NoError(t, f.UnmarshalJSON([]byte(raw)))
			o.Body = refGzip([]byte(raw))
			o.Metadata["signature"] = refSign(t, testKey(t, 2), f.EndTimeText(), "ref-bucket", k, []byte(raw), f.PreviousDigestSignature)
			require.NoError(t, c.store.Put(context.Background(), o))
			return []string{"digest public key not found " + k}
		},
		totals: totals{digests: 6, invalidDigests: 1, logs: 10},
	}, {
		name: "break the chain in the middle: trail stopped for two hours",
		build: func(t *testing.T, c *chain) {
			keys, logs := c.r.hours(h0, 3, 2)
			c.r.stop()
			k2, l2 := c.r.hours(h0.Add(5*time.Hour), 1, 2)
			c.keys, c.logs = append(keys, k2...), append(logs, l2...)
		},
		tamper: func(t *testing.T, c *chain) []string { return []string{"gap " + c.keys[2]} },
		totals: totals{digests: 4, logs: 8, gaps: 1},
	}, {
		name: "break the chain in the middle: two digests deleted",
		tamper: func(t *testing.T, c *chain) []string {
			// As the AWS CLI does, the walk reports the digest the chain
			// links to, then resumes at the next listed digest: the other
			// deleted digest is never named (aws/aws-cli#7054).
			c.store.delete(c.keys[3])
			c.store.delete(c.keys[4])
			return []string{"digest not found " + c.keys[4]}
		},
		totals: totals{digests: 5, invalidDigests: 1, logs: 8},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &chain{store: newMemStore("ref-bucket")}
			c.r = newRefTrail(t, c.store, testKey(t, 0), 42)
			if tt.build != nil {
				tt.build(t, c)
			} else {
				c.keys, c.logs = c.r.hours(h0, 6, 2)
			}
			want := tt.tamper(t, c)
			fs, s := run(t, c.store, refOpts(t, h0, h0.Add(6*time.Hour)))
			assert.Equal(t, want, invalid(fs))
			assert.Equal(t, tt.totals, totalsOf(s))
			assert.Equal(t, len(want) == 0 || tt.totals.gaps > 0, s.Valid())
		})
	}
}

// A range that starts inside a minute checks the log files stamped with
// that minute: they may have been delivered in the range, so one that no
// digest lists is reported, and one listed by the digest of its hour is
// validated.
func TestValidateRangeStartsInsideAMinute(t *testing.T) {
	store := newMemStore("ref-bucket")
	r := newRefTrail(t, store, testKey(t, 0), 1)
	_, logs := r.hours(h0, 4, 2)
	first := r.putLog(h0.Add(2*time.Hour+20*time.Second), 1) // stamped h0+2h, in no digest
	fs, _ := run(t, store, refOpts(t, h0.Add(2*time.Hour+30*time.Second), h0.Add(4*time.Hour)))
	assert.Equal(t, []string{"log not in any digest " + first.key}, invalid(fs))
	valid := map[string]bool{}
	for _, f := range fs {
		if f.Kind == digest.LogValid {
			valid[f.Key] = true
		}
	}
	for _, l := range logs[2] {
		assert.True(t, valid[l.key], l.key)
	}
}
