package kms_test

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"path/filepath"
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
	"github.com/trailkit/trailkit/internal/mototest"
	"github.com/trailkit/trailkit/sink"
)

// No KMS runs on these machines: the tests use moto's server mode.

func newKey(t *testing.T, c *awskms.Client, spec types.KeySpec, usage types.KeyUsageType) string {
	t.Helper()
	out, err := c.CreateKey(context.Background(), &awskms.CreateKeyInput{KeySpec: spec, KeyUsage: usage})
	require.NoError(t, err)
	return aws.ToString(out.KeyMetadata.KeyId)
}

func TestSignVerifies(t *testing.T) {
	ctx := context.Background()
	c := awskms.NewFromConfig(mototest.Start(t).Config())
	keyID := newKey(t, c, types.KeySpecRsa2048, types.KeyUsageTypeSignVerify)
	s, err := kms.New(ctx, c, keyID)
	require.NoError(t, err)
	pub, err := s.PublicKey().RSA()
	require.NoError(t, err)
	assert.Equal(t, digest.Fingerprint(s.PublicKey().Value), s.Fingerprint())

	for _, n := range []int{1, 500, 4096} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			msg := []byte(strings.Repeat("m", n))
			sig, err := s.Sign(ctx, msg)
			require.NoError(t, err)
			sum := sha256.Sum256(msg)
			assert.NoError(t, rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig), "SHA256withRSA over the message")
		})
	}
	t.Run("4097", func(t *testing.T) {
		_, err := s.Sign(ctx, make([]byte, 4097))
		require.ErrorIs(t, err, kms.ErrMessageTooLong)
		assert.Contains(t, err.Error(), "4097 bytes")
	})
	t.Run("empty", func(t *testing.T) {
		_, err := s.Sign(ctx, nil)
		require.ErrorContains(t, err, "sign with key", "KMS refuses an empty message")
	})
}

func TestUnsuitableKeys(t *testing.T) {
	ctx := context.Background()
	c := awskms.NewFromConfig(mototest.Start(t).Config())
	for _, tc := range []struct {
		name  string
		spec  types.KeySpec
		usage types.KeyUsageType
	}{
		{"symmetric", types.KeySpecSymmetricDefault, types.KeyUsageTypeEncryptDecrypt},
		{"RSA for encryption", types.KeySpecRsa2048, types.KeyUsageTypeEncryptDecrypt},
		{"elliptic curve", types.KeySpecEccNistP256, types.KeyUsageTypeSignVerify},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keyID := newKey(t, c, tc.spec, tc.usage)
			_, err := kms.New(ctx, c, keyID)
			require.ErrorIs(t, err, kms.ErrUnsuitableKey)
			assert.Contains(t, err.Error(), keyID)
		})
	}
	t.Run("missing key", func(t *testing.T) {
		_, err := kms.New(ctx, c, "alias/no-such-key")
		require.Error(t, err)
		assert.Contains(t, err.Error(), `get public key "alias/no-such-key"`)
	})
	t.Run("empty key id", func(t *testing.T) {
		_, err := kms.New(ctx, c, "")
		require.ErrorContains(t, err, "empty key id")
	})
}

// A chain of digests signed through KMS validates with the public key
// fetched from KMS, and fails with another key.
func TestChainSignedThroughKMSValidates(t *testing.T) {
	ctx := context.Background()
	c := awskms.NewFromConfig(mototest.Start(t).Config())
	keyID := newKey(t, c, types.KeySpecRsa2048, types.KeyUsageTypeSignVerify)
	_, err := c.CreateAlias(ctx, &awskms.CreateAliasInput{AliasName: aws.String("alias/trail-digests"), TargetKeyId: &keyID})
	require.NoError(t, err)
	signer, err := kms.New(ctx, c, "alias/trail-digests")
	require.NoError(t, err)

	store, err := sink.NewDir(filepath.Join(t.TempDir(), "bucket"), sink.DirOptions{Bucket: "bucket"})
	require.NoError(t, err)
	chain, err := digest.NewChain(digest.ChainConfig{
		AccountID: "111122223333", Region: "eu-west-1", TrailName: "kms-signed",
		Bucket: store.Bucket(), Signer: signer,
	})
	require.NoError(t, err)
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for h := range 3 {
		obj, err := chain.Seal(ctx, start.Add(time.Duration(h)*time.Hour), start.Add(time.Duration(h+1)*time.Hour), nil)
		require.NoError(t, err)
		require.NoError(t, store.Put(ctx, obj))
	}

	validate := func(keys ...digest.PublicKey) (valid, invalid int) {
		t.Helper()
		for f, err := range digest.Validate(ctx, store, digest.ValidateOptions{
			TrailARN: "arn:aws:cloudtrail:eu-west-1:111122223333:trail/kms-signed",
			Start:    start, End: start.Add(3 * time.Hour), Keys: keys,
		}) {
			require.NoError(t, err)
			if f.Kind.Invalid() {
				invalid++
			} else if f.Kind == digest.DigestValid {
				valid++
			}
		}
		return valid, invalid
	}
	pub, err := kms.PublicKey(ctx, c, keyID)
	require.NoError(t, err)
	valid, invalid := validate(pub)
	assert.Equal(t, 3, valid, "digests valid with the key from KMS")
	assert.Zero(t, invalid)

	other := newKey(t, c, types.KeySpecRsa2048, types.KeyUsageTypeSignVerify)
	otherPub, err := kms.PublicKey(ctx, c, other)
	require.NoError(t, err)
	valid, invalid = validate(otherPub)
	assert.Zero(t, valid, "no digest is valid with another key")
	assert.Equal(t, 3, invalid)
}
