package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"time"
)

// Object is one stored object.
type Object struct {
	Key  string // CloudTrail object key, '/'-separated, no leading '/'
	Body []byte
	// Metadata is the object's user metadata, as S3 keeps it under
	// x-amz-meta-<name>: for a digest file "signature" and
	// "signature-algorithm". Names are lower case; sinks store them so.
	Metadata        map[string]string
	ContentType     string // "application/json" for log and digest files
	ContentEncoding string // "gzip" for log and digest files
}

// Sink receives delivered objects. Put must be safe for concurrent use and
// must either store the whole object under its key or return an error:
// a reader never sees a partial object.
type Sink interface {
	// Bucket is the name digests record as where this sink's objects are
	// (digestS3Bucket, logFiles[].s3Bucket): the S3 bucket, or a configured
	// name for other sinks.
	Bucket() string
	Put(ctx context.Context, obj Object) error
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key          string
	Size         int64
	LastModified time.Time
	Metadata     map[string]string // filled by Get; List leaves it nil
	// ContentType and ContentEncoding are filled by Get when the object
	// was stored with them.
	ContentType     string
	ContentEncoding string
}

// Store reads what a Sink stored.
type Store interface {
	Bucket() string
	// List yields the objects whose key starts with prefix, in lexical key
	// order, starting after startAfter when it is not empty. An error ends
	// the sequence: it is yielded once, with a zero ObjectInfo.
	List(ctx context.Context, prefix, startAfter string) iter.Seq2[ObjectInfo, error]
	// Get opens an object: it returns the body, which the caller reads
	// as it arrives and must close, and the object's info with its
	// metadata. A missing key is an error that wraps ErrNotFound. Errors
	// while reading the body name the object.
	Get(ctx context.Context, key string) (io.ReadCloser, ObjectInfo, error)
}

// ErrNotFound is wrapped by Store.Get for a key that does not exist.
var ErrNotFound = errors.New("object not found")

// Stater is a Store that reads an object's info and metadata without its
// body, as S3's HeadObject does: a trail sealing a digest of a shared
// chain learns what other writers' log files are from their metadata.
type Stater interface {
	Store
	// Stat returns the object's info with its metadata; a missing key
	// is an error that wraps ErrNotFound.
	Stat(ctx context.Context, key string) (ObjectInfo, error)
}

// Stat returns an object's info with its metadata: by Stater.Stat when st
// is a Stater, else by Get, closing the body unread.
func Stat(ctx context.Context, st Store, key string) (ObjectInfo, error) {
	if s, ok := st.(Stater); ok {
		return s.Stat(ctx, key)
	}
	body, info, err := st.Get(ctx, key)
	if err != nil {
		return info, err
	}
	body.Close()
	return info, nil
}

// ExclusiveSink is a Sink that can also create an object only where none
// is: the step that lets several processes share one digest chain, each
// period's digest having one deterministic key that exactly one of them
// creates.
type ExclusiveSink interface {
	Sink
	// PutIfAbsent stores the object as Put does if no object has its key,
	// and otherwise stores nothing and returns an error wrapping
	// ErrExists. Of concurrent PutIfAbsent calls for one key, from any
	// number of processes, at most one succeeds.
	PutIfAbsent(ctx context.Context, obj Object) error
}

// ErrExists is wrapped by ExclusiveSink.PutIfAbsent for a key that holds an
// object.
var ErrExists = errors.New("object exists")

// As finds the first sink in s's chain (s, then what each Unwrap() Sink
// method returns) that is a T, as errors.As does for errors, and returns
// it. A wrapper (a Sink around another, that counts, logs or fails puts)
// has an Unwrap() Sink method returning the sink it wraps, so that code
// looking for a capability beneath it, such as a trail reading its digest
// chains back from a [Store], finds it without knowing the wrapper's type. The sink found is a wrapped one when s is a wrapper: use it for
// what the wrapper does not change, such as reading what was stored.
func As[T any](s Sink) (T, bool) {
	for s != nil {
		if t, ok := s.(T); ok {
			return t, true
		}
		w, ok := s.(interface{ Unwrap() Sink })
		if !ok {
			break
		}
		s = w.Unwrap()
	}
	var zero T
	return zero, false
}

// ErrTooLarge is wrapped by ReadAll's error for an object larger than the
// caller's limit.
var ErrTooLarge = errors.New("object too large")

// ReadAll reads the whole body of a small object, such as a digest file,
// that the caller needs in memory. An object of more than limit bytes is
// an error wrapping ErrTooLarge that names it, read no further than the
// limit: large objects, such as log files, are read from Get's body as
// they stream.
func ReadAll(ctx context.Context, st Store, key string, limit int64) ([]byte, ObjectInfo, error) {
	body, info, err := st.Get(ctx, key)
	if err != nil {
		return nil, info, err
	}
	defer body.Close()
	if info.Size > limit {
		return nil, info, fmt.Errorf("sink: read %s: %w: %d bytes, more than %d", quoteKey(key), ErrTooLarge, info.Size, limit)
	}
	// info.Size is what the store announced; read one byte past the
	// limit to notice a body longer than announced.
	buf := make([]byte, 0, max(info.Size, 0)+1)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if int64(len(buf)) > limit {
			return nil, info, fmt.Errorf("sink: read %s: %w: more than %d bytes", quoteKey(key), ErrTooLarge, limit)
		}
		if err == io.EOF {
			info.Size = int64(len(buf))
			return buf, info, nil
		}
		if err != nil {
			return nil, info, fmt.Errorf("sink: read %s: %w", quoteKey(key), err)
		}
	}
}

// NotificationStats counts the notifications of a sink that announces what
// it stores, such as sink/notify's: a trail shows them in its Status.
type NotificationStats struct {
	Published int64 // notifications published
	Pending   int64 // queued or being published
	Failures  int64 // failed publish attempts, retried or not
	Retried   int64 // attempts made again after a failure
	Dropped   int64 // never queued: the queue was full, or the notifier closed
	GivenUp   int64 // still failing after the last attempt
	// LatestError is the latest failure of the current outage, and
	// FirstFailure when it began; both are cleared by a publish that
	// succeeds. LatestFailure is the time of the latest failure ever.
	LatestError                 string
	FirstFailure, LatestFailure time.Time
}

// Notifier is a sink that announces what it stores (a wrapper, found with
// [As]).
type Notifier interface {
	NotificationStats() NotificationStats
}

// WriteChecker is a sink that can learn, before the first delivery,
// whether it may write under a key prefix, so that a trail with a bucket
// that refuses it fails at start rather than at its first file.
type WriteChecker interface {
	CheckWrite(ctx context.Context, prefix string) error
}
