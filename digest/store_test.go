package digest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/trailkit/trailkit/sink"
)

// memStore is a sink.Store and sink.Sink in memory, for tests that do not
// need a directory or an S3 server.
type memStore struct {
	bucket string
	mu     sync.Mutex
	objs   map[string]sink.Object
}

func newMemStore(bucket string) *memStore {
	return &memStore{bucket: bucket, objs: map[string]sink.Object{}}
}

func (m *memStore) Bucket() string { return m.bucket }

func (m *memStore) Put(_ context.Context, obj sink.Object) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	obj.Body = slices.Clone(obj.Body)
	obj.Metadata = maps.Clone(obj.Metadata)
	m.objs[obj.Key] = obj
	return nil
}

func (m *memStore) List(_ context.Context, prefix, startAfter string) iter.Seq2[sink.ObjectInfo, error] {
	return func(yield func(sink.ObjectInfo, error) bool) {
		m.mu.Lock()
		keys := slices.Sorted(maps.Keys(m.objs))
		sizes := make([]int64, len(keys))
		for i, k := range keys {
			sizes[i] = int64(len(m.objs[k].Body))
		}
		m.mu.Unlock()
		for i, k := range keys {
			if !strings.HasPrefix(k, prefix) || k <= startAfter {
				continue
			}
			if !yield(sink.ObjectInfo{Key: k, Size: sizes[i], LastModified: time.Unix(0, 0)}, nil) {
				return
			}
		}
	}
}

func (m *memStore) Get(_ context.Context, key string) (io.ReadCloser, sink.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[key]
	if !ok {
		return nil, sink.ObjectInfo{}, fmt.Errorf("get %s: %w", key, sink.ErrNotFound)
	}
	return io.NopCloser(bytes.NewReader(slices.Clone(o.Body))), sink.ObjectInfo{Key: key, Size: int64(len(o.Body)), Metadata: maps.Clone(o.Metadata)}, nil
}

func (m *memStore) delete(key string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objs, key)
}

func (m *memStore) get(key string) (sink.Object, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.objs[key]
	return o, ok
}
