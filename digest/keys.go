package digest

import (
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"time"
)

// SignatureAlgorithm is the only signature algorithm CloudTrail uses for
// digest files, recorded in digestSignatureAlgorithm and in the object's
// signature-algorithm metadata.
const SignatureAlgorithm = "SHA256withRSA"

// Signer signs digest files; a key in KMS or an HSM can implement it.
type Signer interface {
	// Fingerprint is the MD5 hex of the PKCS#1 DER public key.
	Fingerprint() string
	// Sign returns the SHA256withRSA (PKCS#1 v1.5) signature of message.
	Sign(ctx context.Context, message []byte) ([]byte, error)
}

// Fingerprint returns the fingerprint CloudTrail gives a public key: the
// lower-case MD5 hex of its PKCS#1 DER encoding.
func Fingerprint(der []byte) string {
	sum := md5.Sum(der)
	return hex.EncodeToString(sum[:])
}

// PublicKey is a public key in the shape CloudTrail's ListPublicKeys
// returns it. A zero ValidityStartTime or ValidityEndTime leaves that side
// of the window open.
type PublicKey struct {
	Value             []byte    // PKCS#1 DER RSA public key
	ValidityStartTime time.Time `json:",omitzero"`
	ValidityEndTime   time.Time `json:",omitzero"`
	Fingerprint       string    // MD5 hex of Value
}

// NewPublicKey returns pub as a PublicKey with an open validity window.
func NewPublicKey(pub *rsa.PublicKey) PublicKey {
	der := x509.MarshalPKCS1PublicKey(pub)
	return PublicKey{Value: der, Fingerprint: Fingerprint(der)}
}

// RSA parses Value.
func (k PublicKey) RSA() (*rsa.PublicKey, error) {
	pub, err := x509.ParsePKCS1PublicKey(k.Value)
	if err != nil {
		return nil, fmt.Errorf("parse public key %s: %w", k.Fingerprint, err)
	}
	return pub, nil
}

// ValidDuring reports whether the key's validity window overlaps
// [start, end], as ListPublicKeys selects keys.
func (k PublicKey) ValidDuring(start, end time.Time) bool {
	if !k.ValidityStartTime.IsZero() && k.ValidityStartTime.After(end) {
		return false
	}
	if !k.ValidityEndTime.IsZero() && k.ValidityEndTime.Before(start) {
		return false
	}
	return true
}

// PublicKeyList is the ListPublicKeys response shape:
// {"PublicKeyList":[{"Value":"<base64 DER>","ValidityStartTime":"...","ValidityEndTime":"...","Fingerprint":"..."}]}.
type PublicKeyList struct {
	PublicKeyList []PublicKey
}

// ParsePublicKeys reads public keys in any of the forms trailkit writes or
// CloudTrail returns: a PKCS#1 DER RSA public key (what `trailkit keygen`
// writes and ListPublicKeys' Value holds), PEM blocks ("RSA PUBLIC KEY" for
// PKCS#1, "PUBLIC KEY" for PKIX), or a ListPublicKeys JSON document
// (PublicKeyList), which keeps the keys' validity windows.
func ParsePublicKeys(data []byte) ([]PublicKey, error) {
	trimmed := trimSpace(data)
	switch {
	case len(trimmed) > 0 && trimmed[0] == '{':
		var l PublicKeyList
		if err := json.Unmarshal(trimmed, &l); err != nil {
			return nil, fmt.Errorf("parse public key list: %w", err)
		}
		if len(l.PublicKeyList) == 0 {
			return nil, errors.New("parse public key list: no keys in PublicKeyList")
		}
		for i, k := range l.PublicKeyList {
			if _, err := x509.ParsePKCS1PublicKey(k.Value); err != nil {
				return nil, fmt.Errorf("parse public key list: key %d: %w", i, err)
			}
			fp := Fingerprint(k.Value)
			if k.Fingerprint != "" && k.Fingerprint != fp {
				return nil, fmt.Errorf("parse public key list: key %d: fingerprint %s does not match its value (%s)", i, k.Fingerprint, fp)
			}
			l.PublicKeyList[i].Fingerprint = fp
		}
		return l.PublicKeyList, nil
	case hasPrefix(trimmed, "-----BEGIN"):
		var keys []PublicKey
		rest := trimmed
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			var pub *rsa.PublicKey
			switch block.Type {
			case "RSA PUBLIC KEY":
				p, err := x509.ParsePKCS1PublicKey(block.Bytes)
				if err != nil {
					return nil, fmt.Errorf("parse PEM %s: %w", block.Type, err)
				}
				pub = p
			case "PUBLIC KEY":
				p, err := x509.ParsePKIXPublicKey(block.Bytes)
				if err != nil {
					return nil, fmt.Errorf("parse PEM %s: %w", block.Type, err)
				}
				rp, ok := p.(*rsa.PublicKey)
				if !ok {
					return nil, fmt.Errorf("parse PEM %s: a %T, not an RSA key", block.Type, p)
				}
				pub = rp
			default:
				return nil, fmt.Errorf("parse PEM: block %q is not a public key", block.Type)
			}
			keys = append(keys, NewPublicKey(pub))
		}
		if len(keys) == 0 {
			return nil, errors.New("parse public key: no PEM public key found")
		}
		return keys, nil
	default:
		pub, err := x509.ParsePKCS1PublicKey(data)
		if err != nil {
			return nil, fmt.Errorf("parse public key: not a PKCS#1 DER, PEM or ListPublicKeys public key: %w", err)
		}
		return []PublicKey{NewPublicKey(pub)}, nil
	}
}

// LoadPublicKeys reads a public key file in any form ParsePublicKeys
// accepts.
func LoadPublicKeys(path string) ([]PublicKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load public key: %w", err)
	}
	keys, err := ParsePublicKeys(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return keys, nil
}

// GenerateKey generates an RSA private key of bits bits (CloudTrail uses
// 2048).
func GenerateKey(bits int) (*rsa.PrivateKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return nil, fmt.Errorf("generate %d-bit RSA key: %w", bits, err)
	}
	return key, nil
}

// ParsePrivateKey reads a PEM RSA private key, PKCS#1 ("RSA PRIVATE KEY")
// or PKCS#8 ("PRIVATE KEY").
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("parse private key: no PEM private key found")
		}
		switch block.Type {
		case "RSA PRIVATE KEY":
			key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse PEM %s: %w", block.Type, err)
			}
			return key, nil
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("parse PEM %s: %w", block.Type, err)
			}
			key, ok := k.(*rsa.PrivateKey)
			if !ok {
				return nil, fmt.Errorf("parse PEM %s: a %T, not an RSA key", block.Type, k)
			}
			return key, nil
		}
		// Skip other blocks (a certificate next to the key, say).
	}
}

// LoadPrivateKey reads a PEM RSA private key file.
func LoadPrivateKey(path string) (*rsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load private key: %w", err)
	}
	key, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w (file %s)", err, path)
	}
	return key, nil
}

// MarshalPrivateKeyPEM encodes key as a PKCS#8 "PRIVATE KEY" PEM block.
func MarshalPrivateKeyPEM(key *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// RSASigner signs with an RSA private key held in memory.
type RSASigner struct {
	key *rsa.PrivateKey
	pub PublicKey
}

// NewRSASigner returns a Signer for key.
func NewRSASigner(key *rsa.PrivateKey) *RSASigner {
	return &RSASigner{key: key, pub: NewPublicKey(&key.PublicKey)}
}

// Fingerprint implements Signer.
func (s *RSASigner) Fingerprint() string { return s.pub.Fingerprint }

// PublicKey returns the signer's public key with an open validity window.
func (s *RSASigner) PublicKey() PublicKey { return s.pub }

// Sign implements Signer.
func (s *RSASigner) Sign(_ context.Context, message []byte) ([]byte, error) {
	sum := sha256.Sum256(message)
	sig, err := rsa.SignPKCS1v15(nil, s.key, crypto.SHA256, sum[:])
	if err != nil {
		return nil, fmt.Errorf("sign with key %s: %w", s.pub.Fingerprint, err)
	}
	return sig, nil
}

// KeyRing holds signing keys with validity windows, so keys can rotate: a
// digest is signed by the key valid at its end time, and the ring exports
// every key's public half, as ListPublicKeys does, for validators. It is
// safe for concurrent use.
type KeyRing struct {
	mu   sync.RWMutex
	keys []ringKey // ordered by ValidityStartTime
}

type ringKey struct {
	signer Signer
	pub    PublicKey
}

// Add adds signer with the validity window [start, end); a zero start or
// end leaves that side open. public is the signer's PKCS#1 DER public key;
// its fingerprint must equal the signer's.
func (r *KeyRing) Add(signer Signer, public []byte, start, end time.Time) error {
	if !start.IsZero() && !end.IsZero() && !end.After(start) {
		return fmt.Errorf("add key %s to key ring: validity end %s is not after start %s",
			signer.Fingerprint(), end.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	if _, err := x509.ParsePKCS1PublicKey(public); err != nil {
		return fmt.Errorf("add key %s to key ring: %w", signer.Fingerprint(), err)
	}
	if fp := Fingerprint(public); fp != signer.Fingerprint() {
		return fmt.Errorf("add key to key ring: public key fingerprint %s does not match signer's %s", fp, signer.Fingerprint())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = append(r.keys, ringKey{signer: signer, pub: PublicKey{
		Value: public, ValidityStartTime: start.UTC(), ValidityEndTime: end.UTC(), Fingerprint: signer.Fingerprint(),
	}})
	sort.SliceStable(r.keys, func(i, j int) bool {
		return r.keys[i].pub.ValidityStartTime.Before(r.keys[j].pub.ValidityStartTime)
	})
	return nil
}

// AddRSA adds an in-memory RSA key with the validity window [start, end).
func (r *KeyRing) AddRSA(key *rsa.PrivateKey, start, end time.Time) error {
	s := NewRSASigner(key)
	return r.Add(s, s.pub.Value, start, end)
}

// SignerAt returns the key valid at t; when windows overlap, the one that
// started last wins, so a new key takes over as soon as it is valid.
func (r *KeyRing) SignerAt(t time.Time) (Signer, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for i := len(r.keys) - 1; i >= 0; i-- {
		k := r.keys[i]
		if (k.pub.ValidityStartTime.IsZero() || !t.Before(k.pub.ValidityStartTime)) &&
			(k.pub.ValidityEndTime.IsZero() || t.Before(k.pub.ValidityEndTime)) {
			return k.signer, nil
		}
	}
	return nil, fmt.Errorf("find key in key ring: no key valid at %s", t.UTC().Format(time.RFC3339))
}

// PublicKeys returns the public keys whose validity overlaps [start, end],
// as ListPublicKeys(StartTime, EndTime) does; zero times leave the range
// open.
func (r *KeyRing) PublicKeys(start, end time.Time) []PublicKey {
	if end.IsZero() {
		end = time.Unix(1<<40, 0)
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	var out []PublicKey
	for _, k := range r.keys {
		if k.pub.ValidDuring(start, end) {
			out = append(out, k.pub)
		}
	}
	return out
}

// ListPublicKeys returns every key's public half in the ListPublicKeys
// response shape; json.Marshal of it is what `--public-key` files accept.
func (r *KeyRing) ListPublicKeys() PublicKeyList {
	return PublicKeyList{PublicKeyList: r.PublicKeys(time.Time{}, time.Time{})}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\r' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

func hasPrefix(b []byte, p string) bool { return len(b) >= len(p) && string(b[:len(p)]) == p }
