package digest_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
	"github.com/trailkit/trailkit/digest/kms"
	"github.com/trailkit/trailkit/internal/miniotest"
	"github.com/trailkit/trailkit/internal/mototest"
	"github.com/trailkit/trailkit/sink"
	s3sink "github.com/trailkit/trailkit/sink/s3"
)

// A chain signed through KMS (moto's, the only KMS here) into MinIO: the
// AWS CLI's validate-logs, given the public key KMS returns, finds every
// digest and log file valid, and rejects the chain once a digest is
// tampered with.
func TestAWSCLIValidatesKMSSignedChain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MinIO, moto and the AWS CLI (make race runs -short); runs in make test")
	}
	srv := miniotest.Start(t)
	cli := requireAWSCLI(t, srv)
	ctx := context.Background()
	kmsClient := awskms.NewFromConfig(mototest.Start(t).Config())
	created, err := kmsClient.CreateKey(ctx, &awskms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeSignVerify})
	require.NoError(t, err)
	keyID := aws.ToString(created.KeyMetadata.KeyId)
	signer, err := kms.New(ctx, kmsClient, keyID)
	require.NoError(t, err)
	pub, err := kms.PublicKey(ctx, kmsClient, keyID)
	require.NoError(t, err)
	keys := digest.PublicKeyList{PublicKeyList: []digest.PublicKey{pub}}

	srv.CreateBucket(t, "kms-signed")
	store := s3sink.New(srv.Client(t), "kms-signed", s3sink.Options{})
	cfg := digest.ChainConfig{AccountID: "111122223333", Region: "us-east-1", TrailName: "kms-signed", Bucket: "kms-signed", Signer: signer}
	w := newTrailWriter(t, store, cfg, 7, 10)
	var digests []string
	var logs [][]digest.LogFile
	for h := range 3 {
		k, l := w.hour(ctx, h0.Add(time.Duration(h)*time.Hour), 2)
		digests, logs = append(digests, k), append(logs, l)
	}
	const arn = "arn:aws:cloudtrail:us-east-1:111122223333:trail/kms-signed"
	start, end := h0, h0.Add(3*time.Hour)

	r := cli.validate(t, keys, "kms-signed", arn, "us-east-1", start, end)
	assert.Equal(t, 0, r.code, "AWS CLI output:\n%s", strings.Join(r.lines, "\n"))
	assert.Contains(t, r.summary, "3/3 digest files valid")
	assert.Contains(t, r.summary, "6/6 log files valid")

	// Tamper with the middle digest: replace a log file's hash, keep the
	// KMS signature.
	body, info, err := sink.ReadAll(ctx, store, digests[1], 1<<20)
	require.NoError(t, err)
	raw := gunzipT(t, body)
	sha := hex.EncodeToString(logs[1][0].SHA256[:])
	require.Contains(t, string(raw), sha)
	raw = bytes.Replace(raw, []byte(sha), []byte(strings.Repeat("0", 64)), 1)
	require.NoError(t, store.Put(ctx, sink.Object{Key: digests[1], Body: refGzip(raw), Metadata: info.Metadata}))

	r = cli.validate(t, keys, "kms-signed", arn, "us-east-1", start, end)
	assert.NotEqual(t, 0, r.code, "the AWS CLI rejects the tampered chain")
	assert.Contains(t, strings.Join(r.lines, "\n"), "Digest file\ts3://kms-signed/"+digests[1]+"\tINVALID: signature verification failed")
}
