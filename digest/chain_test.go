package digest_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/sink"
)

func testChainConfig(t *testing.T) digest.ChainConfig {
	t.Helper()
	return digest.ChainConfig{
		AccountID: "111122223333", Region: "us-east-2", HomeRegion: "us-east-1", TrailName: "org-trail",
		Bucket: "trail-bucket", Signer: digest.NewRSASigner(testKey(t, 0)),
	}
}

func gunzipT(t *testing.T, body []byte) []byte {
	t.Helper()
	_, raw, err := digest.Decode(body)
	require.NoError(t, err)
	return raw
}

func TestKey(t *testing.T) {
	end := time.Date(2015, 8, 17, 15, 1, 31, 0, time.UTC)
	cfg := digest.ChainConfig{AccountID: "111122223333", Region: "us-east-2", TrailName: "your-trail-name"}
	assert.Equal(t, "AWSLogs/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_us-east-2_20150817T150131Z.json.gz",
		digest.Key(cfg, end))
	cfg.KeyPrefix, cfg.OrganizationID, cfg.HomeRegion = "logs/", "o-abcdefghij", "eu-west-1"
	assert.Equal(t, "logs/AWSLogs/o-abcdefghij/111122223333/CloudTrail-Digest/us-east-2/2015/08/17/111122223333_CloudTrail-Digest_us-east-2_your-trail-name_eu-west-1_20150817T150131Z.json.gz",
		digest.Key(cfg, end))
}

func TestChainSealLinksAndSigns(t *testing.T) {
	ctx := context.Background()
	cfg := testChainConfig(t)
	c, err := digest.NewChain(cfg)
	require.NoError(t, err)
	h0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	logs := []digest.LogFile{{
		Bucket: "trail-bucket", Key: "AWSLogs/111122223333/CloudTrail/us-east-2/2026/03/01/x.json.gz",
		SHA256: sha256.Sum256([]byte("log")), OldestEventTime: h0.Add(5 * time.Minute), NewestEventTime: h0.Add(9 * time.Minute),
	}}
	first, err := c.Seal(ctx, h0, h0.Add(time.Hour), logs)
	require.NoError(t, err)
	second, err := c.Seal(ctx, h0.Add(time.Hour), h0.Add(2*time.Hour), nil)
	require.NoError(t, err)

	assert.Equal(t, digest.Key(cfg, h0.Add(time.Hour)), first.Key)
	assert.Equal(t, "application/json", first.ContentType)
	assert.Equal(t, "gzip", first.ContentEncoding)
	assert.Equal(t, "SHA256withRSA", first.Metadata["signature-algorithm"])

	// Read the JSON generically, independent of the package's parser.
	var m1, m2 map[string]any
	raw1, raw2 := gunzipT(t, first.Body), gunzipT(t, second.Body)
	require.NoError(t, json.Unmarshal(raw1, &m1))
	require.NoError(t, json.Unmarshal(raw2, &m2))
	assert.Equal(t, "2026-03-01T10:00:00Z", m1["digestStartTime"])
	assert.Equal(t, "2026-03-01T11:00:00Z", m1["digestEndTime"])
	assert.Equal(t, "2026-03-01T10:09:00Z", m1["newestEventTime"])
	assert.Equal(t, "2026-03-01T10:05:00Z", m1["oldestEventTime"])
	for _, f := range []string{"previousDigestS3Bucket", "previousDigestS3Object", "previousDigestHashValue", "previousDigestHashAlgorithm", "previousDigestSignature"} {
		v, ok := m1[f]
		assert.True(t, ok, f)
		assert.Nil(t, v, f)
	}
	assert.Nil(t, m2["newestEventTime"])
	assert.Equal(t, []any{}, m2["logFiles"])
	sum1 := sha256.Sum256(raw1)
	assert.Equal(t, first.Key, m2["previousDigestS3Object"])
	assert.Equal(t, "trail-bucket", m2["previousDigestS3Bucket"])
	assert.Equal(t, hex.EncodeToString(sum1[:]), m2["previousDigestHashValue"])
	assert.Equal(t, "SHA-256", m2["previousDigestHashAlgorithm"])
	assert.Equal(t, first.Metadata["signature"], m2["previousDigestSignature"])
	lf := m1["logFiles"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{
		"s3Bucket": "trail-bucket", "s3Object": logs[0].Key, "hashValue": hex.EncodeToString(logs[0].SHA256[:]),
		"hashAlgorithm": "SHA-256", "newestEventTime": "2026-03-01T10:09:00Z", "oldestEventTime": "2026-03-01T10:05:00Z",
	}, lf)

	// The signature verifies over the documented string.
	for _, o := range []struct {
		obj     sink.Object
		raw     []byte
		prevSig string
	}{{first, raw1, "null"}, {second, raw2, first.Metadata["signature"]}} {
		sum := sha256.Sum256(o.raw)
		var m map[string]any
		require.NoError(t, json.Unmarshal(o.raw, &m))
		msg := m["digestEndTime"].(string) + "\n" + "trail-bucket/" + o.obj.Key + "\n" + hex.EncodeToString(sum[:]) + "\n" + o.prevSig
		sig, err := hex.DecodeString(o.obj.Metadata["signature"])
		require.NoError(t, err)
		h := sha256.Sum256([]byte(msg))
		require.NoError(t, rsa.VerifyPKCS1v15(&testKey(t, 0).PublicKey, crypto.SHA256, h[:], sig))
	}

	_, err = c.Seal(ctx, h0, h0.Add(2*time.Hour), nil)
	assert.ErrorContains(t, err, "not after the previous digest's end")
}

func TestChainResume(t *testing.T) {
	ctx := context.Background()
	cfg := testChainConfig(t)
	store := newMemStore(cfg.Bucket)
	h0 := time.Date(2026, 3, 1, 22, 0, 0, 0, time.UTC)

	fresh, err := digest.NewChain(cfg)
	require.NoError(t, err)
	require.NoError(t, fresh.Resume(ctx, store, h0))
	assert.Equal(t, digest.Link{}, fresh.Last(), "an empty store leaves the chain unlinked")

	c, err := digest.NewChain(cfg)
	require.NoError(t, err)
	var objs []sink.Object
	for i := range 4 { // crosses midnight
		o, err := c.Seal(ctx, h0.Add(time.Duration(i)*time.Hour), h0.Add(time.Duration(i+1)*time.Hour), nil)
		require.NoError(t, err)
		require.NoError(t, store.Put(ctx, o))
		objs = append(objs, o)
	}
	// Another trail's digests in the same directories are not the chain's.
	other := cfg
	other.TrailName = "org-trail-2"
	oc, err := digest.NewChain(other)
	require.NoError(t, err)
	o, err := oc.Seal(ctx, h0.Add(4*time.Hour), h0.Add(5*time.Hour), nil)
	require.NoError(t, err)
	require.NoError(t, store.Put(ctx, o))

	tests := []struct {
		before time.Time
		want   int // index into objs, -1 for none
	}{
		{h0.Add(10 * time.Hour), 3},
		{h0.Add(4 * time.Hour), 2},
		{h0.Add(4*time.Hour + time.Second), 3},
		{h0.Add(2 * time.Hour), 0},
		{h0.Add(time.Hour), -1},
		{h0.Add(72 * time.Hour), 3},
	}
	for _, tt := range tests {
		r, err := digest.NewChain(cfg)
		require.NoError(t, err)
		require.NoError(t, r.Resume(ctx, store, tt.before))
		if tt.want < 0 {
			assert.Equal(t, digest.Link{}, r.Last(), "before %s", tt.before)
			continue
		}
		last := r.Last()
		assert.Equal(t, objs[tt.want].Key, last.Key, "before %s", tt.before)
		assert.Equal(t, objs[tt.want].Metadata["signature"], last.Signature)
		sum := sha256.Sum256(gunzipT(t, objs[tt.want].Body))
		assert.Equal(t, hex.EncodeToString(sum[:]), last.SHA256)
	}

	// The digest after a restart links to the last one delivered.
	r, err := digest.NewChain(cfg)
	require.NoError(t, err)
	require.NoError(t, r.Resume(ctx, store, h0.Add(5*time.Hour)))
	next, err := r.Seal(ctx, h0.Add(4*time.Hour), h0.Add(5*time.Hour), nil)
	require.NoError(t, err)
	f, _, err := digest.Decode(next.Body)
	require.NoError(t, err)
	assert.Equal(t, objs[3].Key, f.PreviousDigestS3Object)
	assert.Equal(t, objs[3].Metadata["signature"], f.PreviousDigestSignature)
}

func TestNewChainRejectsBadConfig(t *testing.T) {
	good := testChainConfig(t)
	tests := []struct {
		name   string
		change func(*digest.ChainConfig)
		want   string
	}{
		{"account", func(c *digest.ChainConfig) { c.AccountID = "12" }, "account id"},
		{"trail", func(c *digest.ChainConfig) { c.TrailName = "a/b" }, "trail name"},
		{"region", func(c *digest.ChainConfig) { c.Region = "" }, "region"},
		{"bucket", func(c *digest.ChainConfig) { c.Bucket = "" }, "bucket"},
		{"signer", func(c *digest.ChainConfig) { c.Signer = nil }, "no Signer"},
		{"org", func(c *digest.ChainConfig) { c.OrganizationID = "org" }, "organization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.change(&cfg)
			_, err := digest.NewChain(cfg)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}
