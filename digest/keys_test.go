package digest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/digest"
)

func TestParsePrivateKey(t *testing.T) {
	key := testKey(t, 0)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	require.NoError(t, err)
	written, err := digest.MarshalPrivateKeyPEM(key)
	require.NoError(t, err)

	tests := []struct {
		name string
		pem  []byte
		want string // error substring; "" for success
	}{
		{"PKCS#1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), ""},
		{"PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), ""},
		{"MarshalPrivateKeyPEM", written, ""},
		{"after a certificate block", append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}), written...), ""},
		{"EC key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}), "not an RSA key"},
		{"corrupt", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1, 2, 3}}), "RSA PRIVATE KEY"},
		{"not PEM", []byte("hello"), "no PEM private key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := digest.ParsePrivateKey(tt.pem)
			if tt.want != "" {
				assert.ErrorContains(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			assert.True(t, key.Equal(got))
		})
	}
	_, err = digest.LoadPrivateKey(filepath.Join(t.TempDir(), "missing.pem"))
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestParsePublicKeys(t *testing.T) {
	key := testKey(t, 0)
	der := x509.MarshalPKCS1PublicKey(&key.PublicKey)
	pkix, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	require.NoError(t, err)
	sum := md5.Sum(der)
	fp := hex.EncodeToString(sum[:])
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	wrong := "00" + fp[2:] // the keys are random: a fingerprint may start with 00
	if wrong == fp {
		wrong = "ff" + fp[2:]
	}
	list := `{"PublicKeyList":[{"Value":"` + base64.StdEncoding.EncodeToString(der) +
		`","ValidityStartTime":"2026-01-01T00:00:00Z","ValidityEndTime":"2026-02-01T00:00:00Z","Fingerprint":"` + fp + `"}]}`

	tests := []struct {
		name  string
		data  []byte
		want  string
		start time.Time
	}{
		{name: "DER PKCS#1", data: der},
		{name: "PEM PKCS#1", data: pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: der})},
		{name: "PEM PKIX", data: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})},
		{name: "ListPublicKeys JSON", data: []byte(list), start: start},
		{name: "JSON with a wrong fingerprint", data: []byte(replace(list, fp, wrong)), want: "does not match"},
		{name: "empty JSON list", data: []byte(`{"PublicKeyList":[]}`), want: "no keys"},
		{name: "PEM private key", data: pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), want: "not a public key"},
		{name: "garbage", data: []byte("garbage"), want: "not a PKCS#1 DER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, err := digest.ParsePublicKeys(tt.data)
			if tt.want != "" {
				assert.ErrorContains(t, err, tt.want)
				return
			}
			require.NoError(t, err)
			require.Len(t, keys, 1)
			assert.Equal(t, der, keys[0].Value)
			assert.Equal(t, fp, keys[0].Fingerprint)
			assert.Equal(t, tt.start, keys[0].ValidityStartTime)
			pub, err := keys[0].RSA()
			require.NoError(t, err)
			assert.True(t, key.PublicKey.Equal(pub))
		})
	}
	assert.Equal(t, fp, digest.Fingerprint(der))
	assert.Equal(t, fp, digest.NewRSASigner(key).Fingerprint())
}

func TestKeyRing(t *testing.T) {
	a, b := testKey(t, 0), testKey(t, 1)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rot := t0.Add(30 * 24 * time.Hour)
	var ring digest.KeyRing
	require.NoError(t, ring.AddRSA(a, t0, rot.Add(time.Hour))) // overlaps b by an hour
	require.NoError(t, ring.AddRSA(b, rot, time.Time{}))
	fa, fb := digest.NewRSASigner(a).Fingerprint(), digest.NewRSASigner(b).Fingerprint()

	tests := []struct {
		at   time.Time
		want string
	}{
		{t0, fa}, {rot.Add(-time.Second), fa}, {rot, fb}, {rot.Add(time.Hour), fb}, {rot.Add(1000 * time.Hour), fb},
	}
	for _, tt := range tests {
		s, err := ring.SignerAt(tt.at)
		require.NoError(t, err)
		assert.Equal(t, tt.want, s.Fingerprint(), "at %s", tt.at)
	}
	_, err := ring.SignerAt(t0.Add(-time.Second))
	assert.ErrorContains(t, err, "no key valid")

	fps := func(keys []digest.PublicKey) []string {
		var out []string
		for _, k := range keys {
			out = append(out, k.Fingerprint)
		}
		return out
	}
	assert.Equal(t, []string{fa}, fps(ring.PublicKeys(t0, t0.Add(time.Hour))))
	assert.Equal(t, []string{fa, fb}, fps(ring.PublicKeys(rot, rot.Add(time.Minute))))
	assert.Equal(t, []string{fb}, fps(ring.PublicKeys(rot.Add(2*time.Hour), time.Time{})))

	// The export has ListPublicKeys' shape and reads back with windows.
	data, err := json.Marshal(ring.ListPublicKeys())
	require.NoError(t, err)
	var raw map[string][]map[string]any
	require.NoError(t, json.Unmarshal(data, &raw))
	require.Len(t, raw["PublicKeyList"], 2)
	first := raw["PublicKeyList"][0]
	assert.Equal(t, base64.StdEncoding.EncodeToString(x509.MarshalPKCS1PublicKey(&a.PublicKey)), first["Value"])
	assert.Equal(t, "2026-01-01T00:00:00Z", first["ValidityStartTime"])
	assert.Equal(t, fa, first["Fingerprint"])
	assert.NotContains(t, raw["PublicKeyList"][1], "ValidityEndTime", "an open window has no end")
	back, err := digest.ParsePublicKeys(data)
	require.NoError(t, err)
	assert.Equal(t, ring.PublicKeys(time.Time{}, time.Time{}), back)

	assert.ErrorContains(t, ring.AddRSA(a, rot, t0), "not after start")
	assert.ErrorContains(t, ring.Add(digest.NewRSASigner(a), x509.MarshalPKCS1PublicKey(&b.PublicKey), t0, time.Time{}), "does not match")
}

// TestKeyRotation signs a chain across a key rotation and validates it
// with the ring's exported keys, and without the retired key.
func TestKeyRotation(t *testing.T) {
	ctx := context.Background()
	a, b := testKey(t, 0), testKey(t, 1)
	rot := h0.Add(3 * time.Hour)
	var ring digest.KeyRing
	require.NoError(t, ring.AddRSA(a, h0.Add(-time.Hour), rot))
	require.NoError(t, ring.AddRSA(b, rot, time.Time{}))
	store := newMemStore("rot-bucket")
	w := newTrailWriter(t, store, digest.ChainConfig{AccountID: "111122223333", Region: "us-east-1", TrailName: "ref-trail",
		Bucket: store.Bucket(), Keys: &ring}, 1, 2)
	var keys []string
	for h := range 6 {
		k, _ := w.hour(ctx, h0.Add(time.Duration(h)*time.Hour), 1)
		keys = append(keys, k)
	}
	opts := digest.ValidateOptions{TrailARN: refARN, Start: h0, End: h0.Add(6 * time.Hour), Keys: ring.ListPublicKeys().PublicKeyList}
	fs, s := run(t, store, opts)
	assert.Empty(t, invalid(fs))
	assert.Equal(t, totals{digests: 6, logs: 6}, totalsOf(s))
	// Digests ending before the rotation carry key a's fingerprint.
	for i, f := range fs {
		if f.Kind == digest.DigestValid {
			want := digest.NewRSASigner(b).Fingerprint()
			if f.Digest.DigestEndTime.Before(rot) {
				want = digest.NewRSASigner(a).Fingerprint()
			}
			assert.Equal(t, want, f.Digest.DigestPublicKeyFingerprint, "finding %d", i)
		}
	}

	opts.Keys = ring.PublicKeys(rot, time.Time{})[1:] // b only
	fs, s = run(t, store, opts)
	assert.Equal(t, []string{
		"digest public key not found " + keys[1], "digest public key not found " + keys[0],
	}, invalid(fs))
	assert.Equal(t, 2, s.InvalidDigests)
	assert.Equal(t, "Digest file\ts3://rot-bucket/"+keys[1]+"\tINVALID: public key not found in region us-east-1 for fingerprint "+
		digest.NewRSASigner(a).Fingerprint(), fs[len(fs)-2].String())
}
