package sink

import (
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidKey is wrapped by the errors of a Dir given a key it cannot
// store: one that could name a path outside its root or one of its hidden
// files. The error names the key.
var ErrInvalidKey = errors.New("invalid key")

const (
	maxKeyBytes     = 1024 // S3's limit
	maxSegmentBytes = 250  // NAME_MAX (255) less the metadata file's ".json"
)

// checkKey reports why key cannot be stored in a Dir, or nil. A valid key
// is 1 to 1024 bytes of '/'-separated segments, each non-empty, at most 250
// bytes, not starting with '.' (which excludes "." and ".." and the names a
// Dir reserves for its temporary files and metadata), and without
// backslashes or NUL bytes.
func checkKey(key string) error {
	reason := ""
	switch {
	case key == "":
		reason = "empty"
	case len(key) > maxKeyBytes:
		reason = fmt.Sprintf("%d bytes, more than %d", len(key), maxKeyBytes)
	case key[0] == '/':
		reason = "absolute"
	case strings.IndexByte(key, '\\') >= 0:
		reason = "contains a backslash"
	case strings.IndexByte(key, 0) >= 0:
		reason = "contains a NUL byte"
	default:
	segments:
		for seg := range strings.SplitSeq(key, "/") {
			switch {
			case seg == "":
				reason = "empty segment"
			case seg == "." || seg == "..":
				reason = fmt.Sprintf("segment %q", seg)
			case seg[0] == '.':
				reason = fmt.Sprintf("segment %q starts with '.' (reserved for temporary files and metadata)", seg)
			case len(seg) > maxSegmentBytes:
				reason = fmt.Sprintf("segment of %d bytes, more than %d", len(seg), maxSegmentBytes)
			default:
				continue
			}
			break segments
		}
	}
	if reason == "" {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidKey, reason)
}

// quoteKey quotes a key for an error message, shortening a very long one.
func quoteKey(key string) string {
	if len(key) > 120 {
		return fmt.Sprintf("%q...", key[:120])
	}
	return fmt.Sprintf("%q", key)
}
