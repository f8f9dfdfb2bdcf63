package digest

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"

	"github.com/klauspost/compress/gzip"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/internal/iox"
)

// logHasher gunzips and hashes log files as they stream, reusing its
// buffer, gzip reader and hash so the hot path does not allocate per file.
type logHasher struct {
	src iox.ErrReader
	br  *bufio.Reader
	zr  *gzip.Reader
	h   hash.Hash
}

// sum returns the SHA-256 of the uncompressed body, which must be exactly
// one gzip member. It holds no more of the body than its buffers. A
// failure to read the body is returned as readErr, a body that is not one
// gzip member as err.
func (lh *logHasher) sum(body io.Reader) (sum [sha256.Size]byte, readErr, err error) {
	sum, err = lh.hash(body)
	if lh.src.Err != nil {
		return sum, lh.src.Err, nil
	}
	return sum, nil, err
}

func (lh *logHasher) hash(body io.Reader) (sum [sha256.Size]byte, err error) {
	lh.src = iox.ErrReader{R: body}
	if lh.br == nil {
		lh.br = bufio.NewReaderSize(&lh.src, 64<<10)
	} else {
		lh.br.Reset(&lh.src)
	}
	// A bufio.Reader is a flate.Reader: the gzip reader reads from it
	// without buffering ahead, so what is left in it follows the member.
	if lh.zr == nil {
		lh.zr, err = gzip.NewReader(lh.br)
	} else {
		err = lh.zr.Reset(lh.br)
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
	n, err := io.Copy(io.Discard, lh.br)
	if err != nil {
		return sum, err
	}
	if n > 0 {
		// CloudTrail writes one gzip member, and data appended after it
		// would be ignored by a reader that stops there, so the AWS CLI
		// (since 2025) and trailkit treat it as an invalid format.
		return sum, fmt.Errorf("%w (%d bytes)", event.ErrTrailingData, n)
	}
	lh.h.Sum(sum[:0])
	return sum, nil
}
