package digest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/sink"
)

// refTrail is a reference writer of log and digest files, written from
// delivery.md alone and independent of package digest: it builds the JSON
// with maps, compresses with the standard library's gzip and signs with
// crypto/rsa. Tests check that digest.Validate accepts what it writes and
// reports what is done to it.
type refTrail struct {
	t       testing.TB
	store   sink.Sink
	bucket  string
	account string
	region  string // source region
	home    string // home region
	name    string
	prefix  string // key prefix, without '/'
	org     string // organization id or ""
	key     *rsa.PrivateKey
	rng     *mrand.Rand

	// The previous digest; empty: the next digest starts a chain.
	prevBucket, prevKey, prevHash, prevSig string
}

type refLog struct {
	key             string
	sha             string
	oldest, newest  time.Time
	deliveredAtTime time.Time
}

func newRefTrail(t testing.TB, store sink.Sink, key *rsa.PrivateKey, seed uint64) *refTrail {
	return &refTrail{
		t: t, store: store, bucket: store.Bucket(), account: "111122223333", region: "us-east-1", home: "us-east-1",
		name: "ref-trail", key: key, rng: mrand.New(mrand.NewPCG(seed, 7)),
	}
}

func (r *refTrail) base() string {
	b := ""
	if r.prefix != "" {
		b = r.prefix + "/"
	}
	b += "AWSLogs/"
	if r.org != "" {
		b += r.org + "/"
	}
	return b + r.account + "/"
}

// refGzipWriters reuses writers: a new compress/gzip writer allocates
// about a megabyte, which dominates small files.
var refGzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

func refGzip(data []byte) []byte {
	var buf bytes.Buffer
	zw := refGzipWriters.Get().(*gzip.Writer)
	defer refGzipWriters.Put(zw)
	zw.Reset(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

func (r *refTrail) unique() string {
	const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 16)
	for i := range b {
		b[i] = alnum[r.rng.IntN(len(alnum))]
	}
	return string(b)
}

// logKey is a log file key delivered at t.
func (r *refTrail) logKey(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%sCloudTrail/%s/%04d/%02d/%02d/%s_CloudTrail_%s_%04d%02d%02dT%02d%02dZ_%s.json.gz",
		r.base(), r.region, t.Year(), t.Month(), t.Day(), r.account, r.region,
		t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), r.unique())
}

// putLog delivers a log file of n records at t.
func (r *refTrail) putLog(t time.Time, n int) refLog {
	recs := make([]map[string]any, n)
	oldest, newest := t.Add(-time.Duration(n+1)*time.Minute), t.Add(-time.Minute)
	for i := range recs {
		recs[i] = map[string]any{
			"eventVersion": "1.09", "eventTime": oldest.Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
			"eventSource": "s3.amazonaws.com", "eventName": "GetObject", "awsRegion": r.region,
			"eventID": r.unique(), "recipientAccountId": r.account,
		}
	}
	body, err := json.Marshal(map[string]any{"Records": recs})
	require.NoError(r.t, err)
	sum := sha256.Sum256(body)
	l := refLog{key: r.logKey(t), sha: hex.EncodeToString(sum[:]), oldest: oldest, newest: newest, deliveredAtTime: t}
	require.NoError(r.t, r.store.Put(context.Background(), sink.Object{
		Key: l.key, Body: refGzip(body), ContentType: "application/json", ContentEncoding: "gzip",
	}))
	return l
}

func (r *refTrail) digestKey(end time.Time, backfill bool) string {
	end = end.UTC()
	suffix := ".json.gz"
	if backfill {
		suffix = "_backfill.json.gz"
	}
	return fmt.Sprintf("%sCloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s%s",
		r.base(), r.region, end.Format("2006/01/02"), r.account, r.region, r.name, r.home, end.Format("20060102T150405Z"), suffix)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (r *refTrail) fingerprint(key *rsa.PrivateKey) string {
	sum := md5.Sum(x509.MarshalPKCS1PublicKey(&key.PublicKey))
	return hex.EncodeToString(sum[:])
}

// digestJSON builds a digest's uncompressed JSON.
func (r *refTrail) digestJSON(start, end time.Time, key string, logs []refLog, signer *rsa.PrivateKey) []byte {
	files := []map[string]any{}
	var oldest, newest any
	for _, l := range logs {
		files = append(files, map[string]any{
			"s3Bucket": r.bucket, "s3Object": l.key, "hashValue": l.sha, "hashAlgorithm": "SHA-256",
			"newestEventTime": l.newest.UTC().Format(time.RFC3339), "oldestEventTime": l.oldest.UTC().Format(time.RFC3339),
		})
		if oldest == nil || l.oldest.UTC().Format(time.RFC3339) < oldest.(string) {
			oldest = l.oldest.UTC().Format(time.RFC3339)
		}
		if newest == nil || l.newest.UTC().Format(time.RFC3339) > newest.(string) {
			newest = l.newest.UTC().Format(time.RFC3339)
		}
	}
	hashAlg := any(nil)
	prevBucket := any(nil)
	if r.prevKey != "" {
		hashAlg, prevBucket = "SHA-256", r.prevBucket
	}
	m := map[string]any{
		"awsAccountId":                r.account,
		"digestStartTime":             start.UTC().Format(time.RFC3339),
		"digestEndTime":               end.UTC().Format(time.RFC3339),
		"digestS3Bucket":              r.bucket,
		"digestS3Object":              key,
		"digestPublicKeyFingerprint":  r.fingerprint(signer),
		"digestSignatureAlgorithm":    "SHA256withRSA",
		"newestEventTime":             newest,
		"oldestEventTime":             oldest,
		"previousDigestS3Bucket":      prevBucket,
		"previousDigestS3Object":      nullable(r.prevKey),
		"previousDigestHashValue":     nullable(r.prevHash),
		"previousDigestHashAlgorithm": hashAlg,
		"previousDigestSignature":     nullable(r.prevSig),
		"logFiles":                    files,
	}
	body, err := json.Marshal(m)
	require.NoError(r.t, err)
	return body
}

// refSign signs a digest as delivery.md says.
func refSign(t testing.TB, key *rsa.PrivateKey, endTime, bucket, object string, body []byte, prevSig string) string {
	sum := sha256.Sum256(body)
	if prevSig == "" {
		prevSig = "null"
	}
	msg := endTime + "\n" + bucket + "/" + object + "\n" + hex.EncodeToString(sum[:]) + "\n" + prevSig
	h := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, h[:])
	require.NoError(t, err)
	return hex.EncodeToString(sig)
}

// seal delivers the digest for [start, end) listing logs, linked to the
// previous one.
func (r *refTrail) seal(start, end time.Time, logs []refLog) string {
	key := r.digestKey(end, false)
	body := r.digestJSON(start, end, key, logs, r.key)
	sig := refSign(r.t, r.key, end.UTC().Format(time.RFC3339), r.bucket, key, body, r.prevSig)
	require.NoError(r.t, r.store.Put(context.Background(), sink.Object{
		Key: key, Body: refGzip(body), ContentType: "application/json", ContentEncoding: "gzip",
		Metadata: map[string]string{"signature": sig, "signature-algorithm": "SHA256withRSA"},
	}))
	sum := sha256.Sum256(body)
	r.prevBucket, r.prevKey, r.prevHash, r.prevSig = r.bucket, key, hex.EncodeToString(sum[:]), sig
	return key
}

// sealBackfill delivers a backfill digest, in its own chain.
func (r *refTrail) sealBackfill(start, end time.Time, logs []refLog, generated time.Time, withTimestamp bool) string {
	key := r.digestKey(end, true)
	body := r.digestJSON(start, end, key, logs, r.key)
	sig := refSign(r.t, r.key, end.UTC().Format(time.RFC3339), r.bucket, key, body, r.prevSig)
	meta := map[string]string{"signature": sig, "signature-algorithm": "SHA256withRSA"}
	if withTimestamp {
		meta["backfill-generation-timestamp"] = generated.UTC().Format(time.RFC3339)
	}
	require.NoError(r.t, r.store.Put(context.Background(), sink.Object{
		Key: key, Body: refGzip(body), ContentType: "application/json", ContentEncoding: "gzip", Metadata: meta,
	}))
	sum := sha256.Sum256(body)
	r.prevBucket, r.prevKey, r.prevHash, r.prevSig = r.bucket, key, hex.EncodeToString(sum[:]), sig
	return key
}

// stop makes the next digest start a new chain, as after the trail was
// stopped.
func (r *refTrail) stop() { r.prevBucket, r.prevKey, r.prevHash, r.prevSig = "", "", "", "" }

// hours delivers n hours from h0: logsPerHour log files an hour (at
// random minutes) and one digest an hour. It returns the digest keys and
// each hour's logs.
func (r *refTrail) hours(h0 time.Time, n, logsPerHour int) ([]string, [][]refLog) {
	var keys []string
	var all [][]refLog
	for i := range n {
		start := h0.Add(time.Duration(i) * time.Hour)
		var logs []refLog
		for j := range logsPerHour {
			at := start.Add(time.Duration(j*55/max(logsPerHour, 1)+r.rng.IntN(5)) * time.Minute).Add(time.Duration(r.rng.IntN(59)) * time.Second)
			logs = append(logs, r.putLog(at, 1+r.rng.IntN(3)))
		}
		keys = append(keys, r.seal(start, start.Add(time.Hour), logs))
		all = append(all, logs)
	}
	return keys, all
}
