package digest_test

import (
	"context"
	"errors"
	"io"
	"iter"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/sink"
)

// TestValidateRegionsAndTrails validates a bucket holding two trails in
// two regions each: every region of the named trail is validated, in
// order, and the other trail's digests and log files are ignored.
func TestValidateRegionsAndTrails(t *testing.T) {
	store := newMemStore("multi")
	var want []string
	for _, trail := range []string{"ref-trail", "ref-trail-2"} {
		for i, region := range []string{"us-west-2", "eu-central-1"} {
			r := newRefTrail(t, store, testKey(t, 0), uint64(len(trail)*10+i))
			r.name, r.region = trail, region
			keys, _ := r.hours(h0, 3, 1)
			if trail == "ref-trail" {
				want = append(want, region+" "+keys[2], region+" "+keys[1], region+" "+keys[0])
			}
		}
	}
	fs, s := run(t, store, refOpts(t, h0, h0.Add(3*time.Hour)))
	var got []string
	for _, f := range fs {
		if f.Kind == digest.DigestValid {
			got = append(got, f.Region+" "+f.Key)
		}
	}
	// Regions in key order: eu-central-1 before us-west-2.
	assert.Equal(t, append(want[3:], want[:3]...), got)
	assert.Equal(t, totals{digests: 6, logs: 6}, totalsOf(s))

	opts := refOpts(t, h0, h0.Add(3*time.Hour))
	opts.Regions = []string{"us-west-2"}
	_, s = run(t, store, opts)
	assert.Equal(t, totals{digests: 3, logs: 3}, totalsOf(s))
}

func TestValidateBackfill(t *testing.T) {
	store := newMemStore("bf")
	r := newRefTrail(t, store, testKey(t, 0), 3)
	std, _ := r.hours(h0, 3, 1)
	r.stop()
	gen := h0.Add(5 * time.Hour)
	bf1 := r.sealBackfill(h0.Add(-2*time.Hour), h0.Add(-time.Hour+time.Minute), []refLog{r.putLog(h0.Add(-90*time.Minute), 1)}, gen, true)
	bf2 := r.sealBackfill(h0.Add(-time.Hour+time.Minute), h0.Add(time.Minute), nil, gen, true)
	r.stop()
	bf3 := r.sealBackfill(h0.Add(time.Minute), h0.Add(time.Hour+time.Minute), nil, gen, false)

	fs, s := run(t, store, refOpts(t, h0.Add(-3*time.Hour), h0.Add(3*time.Hour)))
	var lines []string
	for _, f := range fs {
		lines = append(lines, f.String())
	}
	bucketURL := "s3://bf/"
	assert.Equal(t, []string{
		"Digest file\t" + bucketURL + std[2] + "\tvalid",
		"Digest file\t" + bucketURL + std[1] + "\tvalid",
		"Digest file\t" + bucketURL + std[0] + "\tvalid",
		"(backfill) Digest file\t" + bucketURL + bf3 + "\tINVALID: invalid format",
		"(backfill) Digest file\t" + bucketURL + bf2 + "\tvalid",
		"(backfill) Digest file\t" + bucketURL + bf1 + "\tvalid",
	}, filterDigestLines(lines))
	assert.Equal(t, 3, s.ValidDigests)
	assert.Equal(t, 2, s.ValidBackfillDigests)
	assert.Equal(t, 1, s.InvalidBackfillDigests)
	assert.Equal(t, 4, s.ValidLogs)
	assert.False(t, s.Valid())
	var text strings.Builder
	require.NoError(t, s.WriteText(&text))
	assert.Contains(t, text.String(), "\n3/3 digest files valid\n2/3 backfill digest files valid, 1/3 backfill digest files INVALID\n4/4 log files valid\n")

	// A backfill digest may be signed by a key valid only around its
	// generation time, outside the range's keys.
	key := digest.NewPublicKey(&testKey(t, 0).PublicKey)
	key.ValidityStartTime, key.ValidityEndTime = gen.Add(-30*time.Minute), gen.Add(30*time.Minute)
	other := digest.NewPublicKey(&testKey(t, 1).PublicKey)
	opts := digest.ValidateOptions{TrailARN: refARN, Start: h0.Add(-3 * time.Hour), End: h0.Add(time.Hour), Keys: []digest.PublicKey{key, other}}
	fs, s = run(t, store, opts)
	assert.Equal(t, 2, s.ValidBackfillDigests, "%v", invalid(fs))
	assert.Equal(t, 0, s.ValidDigests, "standard digests do not get the key valid only at the backfill time")
}

func filterDigestLines(lines []string) []string {
	var out []string
	for _, l := range lines {
		if strings.Contains(l, "Digest file") {
			out = append(out, l)
		}
	}
	return out
}

// TestValidateRange checks which digests a range covers: from the newest
// digest ending within an hour after End, back to the first digest that
// starts before Start.
func TestValidateRange(t *testing.T) {
	store := newMemStore("range")
	r := newRefTrail(t, store, testKey(t, 0), 4)
	keys, _ := r.hours(h0, 10, 1) // digest i covers [h0+i, h0+i+1)
	tests := []struct {
		name       string
		start, end time.Time
		want       []int
	}{
		{"whole", h0, h0.Add(10 * time.Hour), []int{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"hours 3 to 5", h0.Add(3 * time.Hour), h0.Add(5 * time.Hour), []int{5, 4, 3, 2}},
		{"mid-hour", h0.Add(3*time.Hour + 30*time.Minute), h0.Add(5*time.Hour + 30*time.Minute), []int{5, 4, 3}},
		{"one instant", h0.Add(4 * time.Hour), h0.Add(4 * time.Hour), []int{4, 3}},
		{"before the chain", h0.Add(-5 * time.Hour), h0.Add(-2 * time.Hour), nil},
		{"after the chain", h0.Add(12 * time.Hour), h0.Add(14 * time.Hour), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, s := run(t, store, refOpts(t, tt.start, tt.end))
			var got []int
			for _, f := range fs {
				if f.Kind == digest.DigestValid {
					for i, k := range keys {
						if k == f.Key {
							got = append(got, i)
						}
					}
				}
			}
			assert.Equal(t, tt.want, got)
			assert.Empty(t, invalid(fs))
			if tt.want == nil {
				var text strings.Builder
				require.NoError(t, s.WriteText(&text))
				assert.Contains(t, text.String(), "No digests found\n")
			}
		})
	}
}

// failingStore fails List or Get for keys containing a marker.
type failingStore struct {
	*memStore
	listErr, getErr error
	getKey          string
}

func (f *failingStore) List(ctx context.Context, prefix, startAfter string) iter.Seq2[sink.ObjectInfo, error] {
	if f.listErr != nil {
		return func(yield func(sink.ObjectInfo, error) bool) { yield(sink.ObjectInfo{}, f.listErr) }
	}
	return f.memStore.List(ctx, prefix, startAfter)
}

func (f *failingStore) Get(ctx context.Context, key string) (io.ReadCloser, sink.ObjectInfo, error) {
	if f.getErr != nil && strings.Contains(key, f.getKey) {
		return nil, sink.ObjectInfo{}, f.getErr
	}
	return f.memStore.Get(ctx, key)
}

func TestValidateErrors(t *testing.T) {
	store := newMemStore("errs")
	r := newRefTrail(t, store, testKey(t, 0), 5)
	_, logs := r.hours(h0, 3, 1)
	denied := errors.New("access denied")
	good := refOpts(t, h0, h0.Add(3*time.Hour))
	tests := []struct {
		name   string
		store  sink.Store
		change func(*digest.ValidateOptions)
		want   string
		is     error
	}{
		{"bad ARN", store, func(o *digest.ValidateOptions) { o.TrailARN = "arn:aws:s3:::bucket" }, "invalid trail ARN", nil},
		{"ARN without name", store, func(o *digest.ValidateOptions) { o.TrailARN = "arn:aws:cloudtrail:us-east-1:111122223333:trail/" }, "invalid trail ARN", nil},
		{"start after end", store, func(o *digest.ValidateOptions) { o.Start = o.End.Add(time.Second) }, "start-time must occur before end-time", nil},
		{"no start", store, func(o *digest.ValidateOptions) { o.Start = time.Time{} }, "no start time", nil},
		{"no keys", store, func(o *digest.ValidateOptions) { o.Keys = nil }, "no public keys found between", digest.ErrNoPublicKeys},
		{"keys expired", store, func(o *digest.ValidateOptions) {
			o.Keys[0].ValidityEndTime = h0.Add(-time.Hour)
		}, "no public keys", digest.ErrNoPublicKeys},
		{"list denied", &failingStore{memStore: store, listErr: denied}, nil, "access denied", denied},
		{"digest get denied", &failingStore{memStore: store, getErr: denied, getKey: "CloudTrail-Digest"}, nil, "get digest file s3://errs/", denied},
		{"log get denied", &failingStore{memStore: store, getErr: denied, getKey: logs[1][0].key}, nil, "get log file s3://errs/" + logs[1][0].key, denied},
		{"bad account", store, func(o *digest.ValidateOptions) { o.AccountID = "12" }, "account id", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := good
			opts.Keys = append([]digest.PublicKey(nil), good.Keys...)
			if tt.change != nil {
				tt.change(&opts)
			}
			_, _, err := runErr(tt.store, opts)
			assert.ErrorContains(t, err, tt.want)
			if tt.is != nil {
				assert.ErrorIs(t, err, tt.is)
			}
		})
	}
}

// TestValidateOtherBucket follows a chain whose earlier digests are in
// another bucket (a trail whose bucket changed), through Stores.
func TestValidateOtherBucket(t *testing.T) {
	old, cur := newMemStore("old-bucket"), newMemStore("new-bucket")
	r := newRefTrail(t, old, testKey(t, 0), 6)
	r.hours(h0, 2, 1)
	r.store, r.bucket = cur, cur.Bucket()
	r.hours(h0.Add(2*time.Hour), 2, 1)

	opts := refOpts(t, h0, h0.Add(4*time.Hour))
	_, _, err := runErr(cur, opts)
	assert.ErrorContains(t, err, `bucket "old-bucket" is not available`)

	opts.Stores = func(_ context.Context, bucket string) (sink.Store, error) {
		if bucket == "old-bucket" {
			return old, nil
		}
		return nil, errors.New("no such bucket")
	}
	fs, s := run(t, cur, opts)
	assert.Empty(t, invalid(fs))
	assert.Equal(t, totals{digests: 4, logs: 4}, totalsOf(s))
	assert.Equal(t, "old-bucket", fs[len(fs)-1].Bucket)
}

// TestValidateDirStore validates what was delivered to a directory sink,
// whose metadata files keep the signatures.
func TestValidateDirStore(t *testing.T) {
	dir, err := sink.NewDir(t.TempDir(), sink.DirOptions{Bucket: "dir-bucket"})
	require.NoError(t, err)
	w := newTrailWriter(t, dir, digest.ChainConfig{AccountID: "111122223333", Region: "us-east-1", TrailName: "ref-trail",
		Bucket: dir.Bucket(), Signer: digest.NewRSASigner(testKey(t, 0))}, 7, 5)
	ctx := context.Background()
	for h := range 4 {
		w.hour(ctx, h0.Add(time.Duration(h)*time.Hour), h) // 0 to 3 log files
	}
	fs, s := run(t, dir, refOpts(t, h0, h0.Add(4*time.Hour)))
	assert.Empty(t, invalid(fs))
	assert.Equal(t, totals{digests: 4, logs: 6}, totalsOf(s))
}

// TestValidateStopEarly stops reading findings after the first: the
// validation's goroutines end.
func TestValidateStopEarly(t *testing.T) {
	store := newMemStore("early")
	r := newRefTrail(t, store, testKey(t, 0), 8)
	r.hours(h0, 8, 3)
	opts := refOpts(t, h0, h0.Add(8*time.Hour))
	// In a bubble, synctest.Test returns once every goroutine Validate
	// started has ended, and fails the test if one is left blocked.
	synctest.Test(t, func(t *testing.T) {
		for range 20 {
			for f, err := range digest.Validate(context.Background(), store, opts) {
				require.NoError(t, err)
				require.Equal(t, digest.DigestValid, f.Kind)
				break
			}
		}
	})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	var gotErr error
	for _, err := range digest.Validate(ctx, store, refOpts(t, h0, h0.Add(8*time.Hour))) {
		if err != nil {
			gotErr = err
			break
		}
		if n++; n == 2 {
			cancel()
		}
	}
	assert.ErrorIs(t, gotErr, context.Canceled)
}
