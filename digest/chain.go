package digest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/trailkit/trailkit/sink"
)

// LogFile is a delivered log file as a digest records it.
type LogFile struct {
	Bucket, Key     string
	SHA256          [32]byte // of the uncompressed log file
	OldestEventTime time.Time
	NewestEventTime time.Time
}

// ChainConfig names a chain of digests: one trail in one region.
type ChainConfig struct {
	AccountID string // 12 digits
	// Region is the region whose log files the chain covers; HomeRegion
	// is the trail's home region (the region in its ARN). HomeRegion
	// defaults to Region.
	Region, HomeRegion string
	TrailName          string
	// KeyPrefix and OrganizationID are as in the log file keys: the
	// trail's S3 key prefix (no trailing '/') and, for an organization
	// trail, the organization id (o-xxxxxxxxxx).
	KeyPrefix, OrganizationID string
	// Bucket is what digests record as digestS3Bucket: the sink's
	// Bucket().
	Bucket string
	// Signer signs the digests. Leave it nil and set Keys to rotate keys:
	// each digest is then signed by the ring's key valid at its end time.
	Signer Signer
	Keys   *KeyRing
}

var (
	accountRE = regexp.MustCompile(`^\d{12}$`)
	nameRE    = regexp.MustCompile(`^[A-Za-z0-9._-]{3,128}$`)
	regionRE  = regexp.MustCompile(`^[a-z0-9-]+$`)
	orgRE     = regexp.MustCompile(`^o-[a-z0-9]{10,32}$`)
)

func (cfg *ChainConfig) check() error {
	if cfg.HomeRegion == "" {
		cfg.HomeRegion = cfg.Region
	}
	cfg.KeyPrefix = strings.Trim(cfg.KeyPrefix, "/")
	switch {
	case !accountRE.MatchString(cfg.AccountID):
		return fmt.Errorf("new chain: account id %q is not 12 digits", cfg.AccountID)
	case !regionRE.MatchString(cfg.Region) || !regionRE.MatchString(cfg.HomeRegion):
		return fmt.Errorf("new chain: invalid region %q or home region %q", cfg.Region, cfg.HomeRegion)
	case !nameRE.MatchString(cfg.TrailName):
		return fmt.Errorf("new chain: invalid trail name %q", cfg.TrailName)
	case cfg.OrganizationID != "" && !orgRE.MatchString(cfg.OrganizationID):
		return fmt.Errorf("new chain: invalid organization id %q", cfg.OrganizationID)
	case cfg.Bucket == "":
		return errors.New("new chain: no bucket")
	case cfg.Signer == nil && cfg.Keys == nil:
		return errors.New("new chain: no Signer or Keys")
	}
	return nil
}

// digestPrefix is the key prefix of the chain's region:
// [prefix/]AWSLogs/[org/]account/CloudTrail-Digest/region/.
func digestPrefix(keyPrefix, orgID, account, region string) string {
	var b strings.Builder
	if keyPrefix != "" {
		b.WriteString(keyPrefix)
		b.WriteByte('/')
	}
	b.WriteString("AWSLogs/")
	if orgID != "" {
		b.WriteString(orgID)
		b.WriteByte('/')
	}
	b.WriteString(account)
	b.WriteString("/CloudTrail-Digest/")
	b.WriteString(region)
	b.WriteByte('/')
	return b.String()
}

// digestKey is the key of the digest ending at end.
func digestKey(keyPrefix, orgID, account, region, trail, home string, end time.Time) string {
	end = end.UTC()
	return digestPrefix(keyPrefix, orgID, account, region) + end.Format("2006/01/02/") +
		account + "_CloudTrail-Digest_" + region + "_" + trail + "_" + home + "_" +
		end.Format("20060102T150405Z") + ".json.gz"
}

// Key returns the object key of the chain's digest ending at end:
// [prefix/]AWSLogs/[org/]{account}/CloudTrail-Digest/{region}/{YYYY}/{MM}/{DD}/
// {account}_CloudTrail-Digest_{region}_{trail}_{homeRegion}_{YYYYMMDD}T{HHmmss}Z.json.gz.
func Key(cfg ChainConfig, end time.Time) string {
	home := cfg.HomeRegion
	if home == "" {
		home = cfg.Region
	}
	return digestKey(strings.Trim(cfg.KeyPrefix, "/"), cfg.OrganizationID, cfg.AccountID, cfg.Region, cfg.TrailName, home, end)
}

// Link identifies the newest digest of a chain, which the next digest
// links to. The zero Link means the chain starts afresh.
type Link struct {
	Bucket, Key string
	EndTime     time.Time
	SHA256      string // hex, of the uncompressed digest
	Signature   string // hex
}

// Chain writes the digests of one trail in one region, each linked to the
// one before. Its methods are safe for concurrent use.
type Chain struct {
	cfg  ChainConfig
	mu   sync.Mutex
	prev Link
	buf  []byte
}

// NewChain returns a chain whose first digest has no previous digest; call
// Resume to continue a chain already in a store.
func NewChain(cfg ChainConfig) (*Chain, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &Chain{cfg: cfg}, nil
}

// Config returns the chain's configuration with defaults applied.
func (c *Chain) Config() ChainConfig { return c.cfg }

// Last returns the digest the next Seal links to.
func (c *Chain) Last() Link {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.prev
}

// Resume links the chain to the newest digest already in store before
// `before` (a restarted trail continues its chain). It leaves the chain
// unlinked when store holds no earlier digest of the chain, and fails if
// that digest cannot be read or is not the chain's.
func (c *Chain) Resume(ctx context.Context, store sink.Store, before time.Time) error {
	_, err := c.Tip(ctx, store, before)
	return err
}

// Tip is Resume returning the digest the chain is linked to, nil when
// store holds no digest of the chain before `before`. Several processes
// sharing a chain call it before each digest they seal: the newest digest
// in the store is the one to link to.
func (c *Chain) Tip(ctx context.Context, store sink.Store, before time.Time) (*File, error) {
	key, err := lastDigestKey(ctx, store, c.cfg, before)
	if err != nil || key == "" {
		return nil, err
	}
	return c.LinkTo(ctx, store, key)
}

// LinkTo links the chain to the digest with the given key in store, so
// that the next Seal follows it, and returns that digest.
func (c *Chain) LinkTo(ctx context.Context, store sink.Store, key string) (*File, error) {
	d, err := Fetch(ctx, store, key)
	if err != nil {
		return nil, fmt.Errorf("resume chain: %w", err)
	}
	c.Link(d)
	return d.File, nil
}

// Fetched is a digest read from a store with what a chain needs to link
// to it. A digest is immutable once stored, so one read serves a writer
// that looks for a digest first and links to it later (LinkTo is Fetch
// and Link at once).
type Fetched struct {
	File *File
	link Link
}

// Fetch reads the digest at key in store for Link. It fails, wrapping
// sink.ErrNotFound when there is none, and ErrFormat unless the object is
// a digest that records itself at key and has its signature in its
// metadata.
func Fetch(ctx context.Context, store sink.Store, key string) (*Fetched, error) {
	f, raw, info, err := Get(ctx, store, key)
	if err != nil {
		return nil, err
	}
	sig := info.Metadata["signature"]
	if sig == "" {
		return nil, fmt.Errorf("%w: %s: no signature metadata", ErrFormat, key)
	}
	if f.DigestS3Object != key {
		return nil, fmt.Errorf("%w: %s records itself as %s", ErrFormat, key, f.DigestS3Object)
	}
	sum := sha256.Sum256(raw)
	return &Fetched{File: f, link: Link{Bucket: f.DigestS3Bucket, Key: key, EndTime: f.DigestEndTime, SHA256: hex.EncodeToString(sum[:]), Signature: sig}}, nil
}

// Link links the chain to d, so that the next Seal follows it.
func (c *Chain) Link(d *Fetched) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.prev = d.link
}

// lastDigestKey finds the chain's newest standard digest ending before
// `before`, scanning day directories backwards from `before` to the day of
// the chain's oldest digest, so a restart reads a day or two of listings,
// not the chain's whole history.
func lastDigestKey(ctx context.Context, store sink.Store, cfg ChainConfig, before time.Time) (string, error) {
	prefix := digestPrefix(cfg.KeyPrefix, cfg.OrganizationID, cfg.AccountID, cfg.Region)
	m := keyMatcher{prefix: prefix, account: cfg.AccountID, region: cfg.Region, trail: cfg.TrailName, home: cfg.HomeRegion}
	oldest := ""
	for info, err := range store.List(ctx, prefix, "") {
		if err != nil {
			return "", fmt.Errorf("resume chain: list %s: %w", prefix, err)
		}
		if stamp, backfill, ok := m.match(info.Key); ok && !backfill {
			oldest = stamp
			break
		}
	}
	if oldest == "" {
		return "", nil
	}
	limit := before.UTC().Format(stampLayout)
	oldestDay, _ := time.Parse("20060102", oldest[:8])
	for day := before.UTC().Truncate(24 * time.Hour); !day.Before(oldestDay); day = day.AddDate(0, 0, -1) {
		dir := prefix + day.Format("2006/01/02/")
		last := ""
		for info, err := range store.List(ctx, dir, "") {
			if err != nil {
				return "", fmt.Errorf("resume chain: list %s: %w", dir, err)
			}
			if stamp, backfill, ok := m.match(info.Key); ok && !backfill && stamp < limit {
				last = info.Key
			}
		}
		if last != "" {
			return last, nil
		}
	}
	return "", nil
}

// Seal builds the signed digest object for [start, end) (end on the hour;
// logs may be empty) and advances the chain, so the next digest links to
// this one. The caller must deliver the object; if it cannot, Resume
// relinks the chain to the last digest the store holds.
func (c *Chain) Seal(ctx context.Context, start, end time.Time, logs []LogFile) (sink.Object, error) {
	start, end = start.UTC().Truncate(time.Second), end.UTC().Truncate(time.Second)
	if !start.Before(end) {
		return sink.Object{}, fmt.Errorf("seal digest: start %s is not before end %s", start.Format(TimeLayout), end.Format(TimeLayout))
	}
	signer := c.cfg.Signer
	if c.cfg.Keys != nil {
		s, err := c.cfg.Keys.SignerAt(end)
		if err != nil {
			return sink.Object{}, fmt.Errorf("seal digest %s: %w", end.Format(TimeLayout), err)
		}
		signer = s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.prev.EndTime.IsZero() && !end.After(c.prev.EndTime) {
		return sink.Object{}, fmt.Errorf("seal digest: end %s is not after the previous digest's end %s",
			end.Format(TimeLayout), c.prev.EndTime.Format(TimeLayout))
	}
	f := File{
		AWSAccountID:               c.cfg.AccountID,
		DigestStartTime:            start,
		DigestEndTime:              end,
		DigestS3Bucket:             c.cfg.Bucket,
		DigestS3Object:             Key(c.cfg, end),
		DigestPublicKeyFingerprint: signer.Fingerprint(),
		DigestSignatureAlgorithm:   SignatureAlgorithm,
		LogFiles:                   make([]LogEntry, len(logs)),
	}
	if c.prev.Key != "" {
		f.PreviousDigestS3Bucket = c.prev.Bucket
		f.PreviousDigestS3Object = c.prev.Key
		f.PreviousDigestHashValue = c.prev.SHA256
		f.PreviousDigestHashAlgorithm = HashAlgorithm
		f.PreviousDigestSignature = c.prev.Signature
	}
	for i, l := range logs {
		f.LogFiles[i] = LogEntry{
			S3Bucket: l.Bucket, S3Object: l.Key, HashValue: hex.EncodeToString(l.SHA256[:]), HashAlgorithm: HashAlgorithm,
			NewestEventTime: l.NewestEventTime, OldestEventTime: l.OldestEventTime,
		}
		if !l.OldestEventTime.IsZero() && (f.OldestEventTime.IsZero() || l.OldestEventTime.Before(f.OldestEventTime)) {
			f.OldestEventTime = l.OldestEventTime
		}
		if l.NewestEventTime.After(f.NewestEventTime) {
			f.NewestEventTime = l.NewestEventTime
		}
	}
	c.buf = f.AppendJSON(c.buf[:0])
	sum := sha256.Sum256(c.buf)
	sumHex := hex.EncodeToString(sum[:])
	sig, err := signer.Sign(ctx, f.StringToSign(sumHex))
	if err != nil {
		return sink.Object{}, fmt.Errorf("seal digest %s: %w", f.DigestS3Object, err)
	}
	sigHex := hex.EncodeToString(sig)
	obj := sink.Object{
		Key:             f.DigestS3Object,
		Body:            gzipBytes(c.buf),
		Metadata:        map[string]string{"signature": sigHex, "signature-algorithm": SignatureAlgorithm},
		ContentType:     "application/json",
		ContentEncoding: "gzip",
	}
	c.prev = Link{Bucket: f.DigestS3Bucket, Key: f.DigestS3Object, EndTime: end, SHA256: sumHex, Signature: sigHex}
	return obj, nil
}
