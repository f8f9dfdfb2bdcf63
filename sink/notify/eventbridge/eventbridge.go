// Package eventbridge puts delivery notifications on an Amazon EventBridge
// bus, as one event per log file whose detail is CloudTrail's notification
// ({"s3Bucket":…,"s3ObjectKey":[…]}). Rules match them by Source and
// DetailType. Use it as the Publisher of a [notify.Sink].
package eventbridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awseb "github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/trailkit/trailkit/sink/notify"
)

// Source and DetailType are the event's defaults.
const (
	Source     = "trailkit"
	DetailType = "CloudTrail Log File Delivered"
)

// API is the part of the EventBridge API that a Publisher calls; the SDK's
// *eventbridge.Client satisfies it.
type API interface {
	PutEvents(ctx context.Context, in *awseb.PutEventsInput, optFns ...func(*awseb.Options)) (*awseb.PutEventsOutput, error)
}

var _ API = (*awseb.Client)(nil)

// Options name the bus and the event.
type Options struct {
	// EventBusName is the bus's name or ARN; empty means the account's
	// default bus.
	EventBusName string
	// Source and DetailType of the events; default Source and DetailType.
	Source, DetailType string
}

// Publisher puts events on one bus.
type Publisher struct {
	client API
	opts   Options
}

var _ notify.Publisher = (*Publisher)(nil)

// New returns a Publisher through client.
func New(client API, opts Options) *Publisher {
	if opts.Source == "" {
		opts.Source = Source
	}
	if opts.DetailType == "" {
		opts.DetailType = DetailType
	}
	return &Publisher{client: client, opts: opts}
}

// Publish puts m as the detail of one event. An entry that EventBridge
// refuses (PutEvents reports it, with no error) is an error here.
func (p *Publisher) Publish(ctx context.Context, m notify.Message) error {
	entry := types.PutEventsRequestEntry{
		Source:     aws.String(p.opts.Source),
		DetailType: aws.String(p.opts.DetailType),
		Detail:     aws.String(m.JSON()),
		Resources:  []string{},
	}
	if p.opts.EventBusName != "" {
		entry.EventBusName = aws.String(p.opts.EventBusName)
	}
	out, err := p.client.PutEvents(ctx, &awseb.PutEventsInput{Entries: []types.PutEventsRequestEntry{entry}})
	if err != nil {
		return fmt.Errorf("put events on %q: %w", p.bus(), err)
	}
	if out.FailedEntryCount > 0 && len(out.Entries) > 0 {
		e := out.Entries[0]
		return fmt.Errorf("put events on %q: entry refused: %s: %w", p.bus(),
			aws.ToString(e.ErrorCode), errors.New(aws.ToString(e.ErrorMessage)))
	}
	return nil
}

func (p *Publisher) bus() string {
	if p.opts.EventBusName == "" {
		return "default"
	}
	return p.opts.EventBusName
}
