package lake_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/trailkit/trailkit/lake"
	"github.com/trailkit/trailkit/sink"
)

// keySink checks the keys the Writer puts and keeps nothing.
type keySink struct{ t *testing.T }

func (keySink) Bucket() string { return "fuzz" }
func (k keySink) Put(_ context.Context, o sink.Object) error {
	if strings.Contains(o.Key, "..") || strings.HasPrefix(o.Key, "/") || !strings.HasSuffix(o.Key, ".parquet") || len(o.Body) == 0 {
		k.t.Errorf("bad object %q (%d bytes)", o.Key, len(o.Body))
	}
	return nil
}

// Any input, in either shape: an error or Parquet objects under valid keys,
// never a panic.
func FuzzExport(f *testing.F) {
	f.Add([]byte(`{"eventVersion":"1.11","eventTime":"2026-03-01T10:00:00Z","awsRegion":"../x","recipientAccountId":"a/b","eventName":"ConsoleLogin","eventType":"AwsConsoleSignIn"}`))
	f.Add([]byte(`{"Records":[{"eventTime":"nope","userIdentity":{"sessionContext":{"attributes":{"mfaAuthenticated":true}}},"resources":"x"}]}`))
	f.Add([]byte(`{"eventSource":"iam.amazonaws.com","eventName":"CreateUser","requestParameters":{"userName":"bob"},"readOnly":"false","extra":[1,2]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []lake.Format{lake.CloudTrail, lake.OCSF} {
			w, err := lake.NewWriter(keySink{t}, "fuzz/input.json", lake.Options{Format: format})
			if err != nil {
				t.Fatal(err)
			}
			_ = w.Export(context.Background(), bytes.NewReader(data))
		}
	})
}
