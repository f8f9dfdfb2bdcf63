package digest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"

	"github.com/klauspost/compress/gzip"
)

// ErrTrailingData is wrapped by the error for a log file with bytes after
// its gzip stream: CloudTrail writes one gzip member, and data appended
// after it would be ignored by a reader that stops there, so the AWS CLI
// (since 2025) and trailkit treat it as an invalid format.
var ErrTrailingData = errors.New("bytes after the gzip stream")

// logHasher gunzips and hashes log files, reusing its gzip reader and hash
// so the hot path does not allocate per file.
type logHasher struct {
	br bytes.Reader
	zr *gzip.Reader
	h  hash.Hash
}

// sum returns the SHA-256 of the uncompressed body, which must be exactly
// one gzip member.
func (lh *logHasher) sum(body []byte) (sum [sha256.Size]byte, err error) {
	lh.br.Reset(body)
	if lh.zr == nil {
		lh.zr, err = gzip.NewReader(&lh.br)
	} else {
		err = lh.zr.Reset(&lh.br)
	}
	if err != nil {
		return sum, fmt.Errorf("gzip: %w", err)
	}
	lh.zr.Multistream(false)
	if lh.h == nil {
		lh.h = sha256.New()
	}
	lh.h.Reset()
	if _, err := lh.zr.WriteTo(lh.h); err != nil {
		return sum, fmt.Errorf("gzip: %w", err)
	}
	if n := lh.br.Len(); n > 0 {
		return sum, fmt.Errorf("%w (%d bytes)", ErrTrailingData, n)
	}
	lh.h.Sum(sum[:0])
	return sum, nil
}
