package sink_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/sink"
)

// counting wraps a sink and counts puts; it hides the Store methods of the
// sink it wraps, and Unwrap gives them back.
type counting struct {
	sink.Sink
	puts int
}

func (c *counting) Put(ctx context.Context, obj sink.Object) error {
	c.puts++
	return c.Sink.Put(ctx, obj)
}

func (c *counting) Unwrap() sink.Sink { return c.Sink }

// opaque wraps a sink without saying so.
type opaque struct{ sink.Sink }

func TestAsLooksThroughWrappers(t *testing.T) {
	d, err := sink.NewDir(t.TempDir(), sink.DirOptions{Bucket: "b"})
	require.NoError(t, err)
	inner := &counting{Sink: d}
	tests := []struct {
		name  string
		s     sink.Sink
		store sink.Store // want; nil for none
	}{
		{"the sink itself", d, d},
		{"one wrapper", inner, d},
		{"two wrappers", &counting{Sink: inner}, d},
		{"a wrapper without Unwrap", opaque{d}, nil},
		{"nil", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, ok := sink.As[sink.Store](tt.s)
			assert.Equal(t, tt.store != nil, ok)
			if tt.store != nil {
				assert.Same(t, tt.store, st)
			}
		})
	}
	w, ok := sink.As[*counting](&counting{Sink: inner})
	require.True(t, ok)
	assert.Same(t, inner, w.Sink, "the first match is the outermost")
}
