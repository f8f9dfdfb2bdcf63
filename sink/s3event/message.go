package s3event

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/trailkit/trailkit/event"
)

// maxEnvelopes bounds how deeply notifications may wrap one another (an
// S3 notification in an SNS message is two); a body nested deeper is an
// error, not a loop.
const maxEnvelopes = 4

// ErrUnknownMessage is wrapped by the error of MessageObjects for a body
// that is none of the notifications it reads.
var ErrUnknownMessage = errors.New("not a notification of delivered objects")

// MessageObjects returns the objects a notification message announces,
// whatever envelope it came in, as users deploy them:
//
//   - an S3 event notification ({"Records":[{"eventSource":"aws:s3",…}]}),
//     sent by S3 to an SQS queue or an SNS topic; its keys are URL-encoded
//     and are decoded here; its test event (s3:TestEvent) announces nothing;
//   - CloudTrail's own notification ({"s3Bucket":…,"s3ObjectKey":[…]}), as a
//     trail with an SNS topic (or sink/notify) publishes it;
//   - an EventBridge "Object Created" event from S3 (source aws.s3), as
//     a rule delivers it to SQS;
//   - an SNS notification ({"Type":"Notification","Message":"…"}) whose
//     message is any of the above, as SNS delivers to SQS without raw
//     message delivery.
//
// Objects that opts.Filter rejects are left out (default: log files, not
// digests). A body that is none of these is an error wrapping
// ErrUnknownMessage.
func MessageObjects(body []byte, opts Options) ([]Object, error) {
	return messageObjects(body, opts, 0)
}

// envelope has the members of every form, so that one decode tells them
// apart.
type envelope struct {
	Records []json.RawMessage `json:"Records"`
	Event   string            `json:"Event"` // "s3:TestEvent"

	S3Bucket    *string  `json:"s3Bucket"`
	S3ObjectKey []string `json:"s3ObjectKey"`

	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	Detail     *struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key       string `json:"key"`
			VersionID string `json:"version-id"`
		} `json:"object"`
	} `json:"detail"`

	Type    string  `json:"Type"`
	Message *string `json:"Message"`
}

func messageObjects(body []byte, opts Options, depth int) ([]Object, error) {
	if depth >= maxEnvelopes {
		return nil, fmt.Errorf("read message: more than %d envelopes deep", maxEnvelopes)
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("read message: %w: %w", ErrUnknownMessage, err)
	}
	filter := opts.Filter
	if filter == nil {
		filter = LogFile
	}
	switch {
	case env.Type == "Notification" && env.Message != nil:
		return messageObjects([]byte(*env.Message), opts, depth+1)
	case env.Records != nil:
		var ev events.S3Event
		if err := json.Unmarshal(body, &ev); err != nil {
			return nil, fmt.Errorf("read message: S3 event notification: %w", err)
		}
		return Objects(ev, opts)
	case env.Event == "s3:TestEvent":
		return nil, nil
	case env.S3Bucket != nil:
		var objs []Object
		for _, key := range env.S3ObjectKey {
			if filter(*env.S3Bucket, key) {
				objs = append(objs, Object{Bucket: *env.S3Bucket, Key: key})
			}
		}
		return objs, nil
	case env.Source == "aws.s3" && env.Detail != nil:
		if env.DetailType != "Object Created" {
			return nil, nil
		}
		d := env.Detail
		if d.Bucket.Name == "" || d.Object.Key == "" {
			return nil, fmt.Errorf("read message: EventBridge Object Created event without bucket name or object key")
		}
		if !filter(d.Bucket.Name, d.Object.Key) {
			return nil, nil
		}
		return []Object{{Bucket: d.Bucket.Name, Key: d.Object.Key, VersionID: d.Object.VersionID}}, nil
	}
	return nil, fmt.Errorf("read message %q: %w", excerpt(body), ErrUnknownMessage)
}

func excerpt(b []byte) string {
	const n = 80
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// ObjectRecords yields the records of one object, streamed from S3 and
// decompressed as they are read. An error is an *ObjectError naming the
// object; one that is not about a single record ends the sequence.
func ObjectRecords(ctx context.Context, client GetObjectAPI, o Object, opts Options) iter.Seq2[*event.Record, error] {
	return func(yield func(*event.Record, error) bool) {
		readObject(ctx, client, o, opts, yield)
	}
}

// id names an object for deduplication: bucket, key and version.
func (o Object) id() string {
	return strings.Join([]string{o.Bucket, o.Key, o.VersionID}, "\x00")
}
