// Package kms signs CloudTrail digest files with an asymmetric RSA key kept
// in AWS KMS, so that the private half never leaves KMS.
//
// A [Signer] is a [digest.Signer]: give it to a trail (trail.Config's
// digest signer) or to a [digest.Chain] as you would a [digest.RSASigner].
// [New] asks KMS once for the key's public half (GetPublicKey), checks that
// the key can sign with RSASSA_PKCS1_V1_5_SHA_256 (SHA256withRSA, the only
// algorithm CloudTrail uses for digests), and keeps the public key's
// fingerprint, which each digest records. Each [Signer.Sign] is one KMS Sign
// request.
//
// The message is sent whole (MessageType RAW) and KMS hashes it: CloudTrail's
// string to sign is under a kilobyte (the end time, the digest's location,
// its hash and the previous signature), well under KMS's 4,096-byte limit
// for raw messages; a longer message is refused with [ErrMessageTooLong].
//
// Validators need the public key: [PublicKey] fetches it from KMS in the
// shape CloudTrail's ListPublicKeys returns (PKCS#1 DER), for
// [digest.ValidateOptions] and for `trailkit validate --kms-key-id`.
//
// The package takes the caller's client through [API], which the SDK's
// *kms.Client satisfies, so credentials, region, retries and endpoints
// (AWS_ENDPOINT_URL_KMS) are the caller's configuration.
package kms

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"

	awskms "github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"

	"github.com/trailkit/trailkit/digest"
)

// API is the part of the KMS API that this package calls; the SDK's
// *kms.Client satisfies it.
type API interface {
	Sign(ctx context.Context, in *awskms.SignInput, optFns ...func(*awskms.Options)) (*awskms.SignOutput, error)
	GetPublicKey(ctx context.Context, in *awskms.GetPublicKeyInput, optFns ...func(*awskms.Options)) (*awskms.GetPublicKeyOutput, error)
}

var _ API = (*awskms.Client)(nil)

// maxRawMessage is the largest message KMS signs as RAW.
const maxRawMessage = 4096

// algorithm is SHA256withRSA in KMS's words.
const algorithm = types.SigningAlgorithmSpecRsassaPkcs1V15Sha256

// ErrUnsuitableKey is wrapped by the errors of New and PublicKey for a key
// that cannot sign CloudTrail digests: not an RSA key, not for signing, or
// without RSASSA_PKCS1_V1_5_SHA_256.
var ErrUnsuitableKey = errors.New("key cannot sign SHA256withRSA")

// ErrMessageTooLong is wrapped by the error of Sign for a message longer than
// KMS signs raw.
var ErrMessageTooLong = errors.New("message longer than 4096 bytes")

// Signer signs digests with a KMS key. It is safe for concurrent use.
type Signer struct {
	client API
	keyID  string
	pub    digest.PublicKey
}

var _ digest.Signer = (*Signer)(nil)

// New returns a Signer for keyID (a key id, key ARN, alias name or alias
// ARN), after fetching the key's public half from KMS and checking that it
// can sign CloudTrail digests.
func New(ctx context.Context, client API, keyID string) (*Signer, error) {
	pub, err := PublicKey(ctx, client, keyID)
	if err != nil {
		return nil, err
	}
	return &Signer{client: client, keyID: keyID, pub: pub}, nil
}

// PublicKey fetches keyID's public half from KMS as a [digest.PublicKey]
// (PKCS#1 DER with its fingerprint, validity open), checking that the key
// can sign CloudTrail digests.
func PublicKey(ctx context.Context, client API, keyID string) (digest.PublicKey, error) {
	if keyID == "" {
		return digest.PublicKey{}, errors.New("get public key: empty key id")
	}
	out, err := client.GetPublicKey(ctx, &awskms.GetPublicKeyInput{KeyId: &keyID})
	if err != nil {
		return digest.PublicKey{}, fmt.Errorf("get public key %q: %w", keyID, err)
	}
	if out.KeyUsage != types.KeyUsageTypeSignVerify {
		return digest.PublicKey{}, fmt.Errorf("get public key %q: key usage is %q, not SIGN_VERIFY: %w", keyID, out.KeyUsage, ErrUnsuitableKey)
	}
	if !slices.Contains(out.SigningAlgorithms, algorithm) {
		return digest.PublicKey{}, fmt.Errorf("get public key %q: signing algorithms %q lack %s: %w", keyID, out.SigningAlgorithms, algorithm, ErrUnsuitableKey)
	}
	parsed, err := x509.ParsePKIXPublicKey(out.PublicKey)
	if err != nil {
		return digest.PublicKey{}, fmt.Errorf("get public key %q: %w", keyID, err)
	}
	rsaKey, ok := parsed.(*rsa.PublicKey)
	if !ok {
		return digest.PublicKey{}, fmt.Errorf("get public key %q: a %T, not an RSA key: %w", keyID, parsed, ErrUnsuitableKey)
	}
	return digest.NewPublicKey(rsaKey), nil
}

// Fingerprint implements [digest.Signer]: the MD5 hex of the PKCS#1 DER
// public key.
func (s *Signer) Fingerprint() string { return s.pub.Fingerprint }

// PublicKey returns the key's public half, as fetched by New.
func (s *Signer) PublicKey() digest.PublicKey { return s.pub }

// KeyID returns the key id New was given.
func (s *Signer) KeyID() string { return s.keyID }

// Sign implements [digest.Signer] with one KMS Sign request.
func (s *Signer) Sign(ctx context.Context, message []byte) ([]byte, error) {
	if len(message) > maxRawMessage {
		return nil, fmt.Errorf("sign with key %q: %d bytes: %w", s.keyID, len(message), ErrMessageTooLong)
	}
	out, err := s.client.Sign(ctx, &awskms.SignInput{
		KeyId:            &s.keyID,
		Message:          message,
		MessageType:      types.MessageTypeRaw,
		SigningAlgorithm: algorithm,
	})
	if err != nil {
		return nil, fmt.Errorf("sign with key %q: %w", s.keyID, err)
	}
	return out.Signature, nil
}
