// Command lambda is an AWS Lambda function that reports failed console
// sign-ins as a trail delivers them. Subscribe it to the trail bucket's
// s3:ObjectCreated:* notifications (optionally filtered to the AWSLogs/
// prefix); it reads each delivered log file and prints one line per failed
// ConsoleLogin to its log (CloudWatch Logs, for a Lambda function):
//
//	2026-11-25T10:04:31Z failed console login: user=alice account=111122223333 ip=198.51.100.7 mfa=No reason="Failed authentication"
//
// A log file that cannot be read makes the invocation fail, so that Lambda
// retries the notification; the lines already printed may then be printed
// again.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/sink/s3event"
)

// Handler handles S3 event notifications.
type Handler struct {
	S3  s3event.GetObjectAPI
	Out io.Writer
}

// Handle prints the failed console sign-ins of the log files ev announces.
// It reads every file even when one fails, and returns the failures.
func (h *Handler) Handle(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for rec, err := range s3event.Records(ctx, h.S3, ev, s3event.Options{}) {
		if err != nil {
			errs = append(errs, err)
			if rec == nil {
				continue
			}
			// A record with a shape problem (such as an odd eventTime) is
			// still worth a look.
		}
		if FailedConsoleLogin(rec) {
			if _, err := fmt.Fprintln(h.Out, describe(rec)); err != nil {
				return err
			}
		}
	}
	return errors.Join(errs...)
}

// FailedConsoleLogin reports whether rec is a console sign-in that failed:
// CloudTrail writes responseElements.ConsoleLogin "Failure" and an
// errorMessage such as "Failed authentication".
func FailedConsoleLogin(rec *event.Record) bool {
	if rec.EventName != "ConsoleLogin" {
		return false
	}
	outcome, _ := event.Get(rec.ResponseElements, "ConsoleLogin").Text()
	return outcome == "Failure" || (outcome == "" && rec.ErrorMessage != "")
}

func describe(rec *event.Record) string {
	user, account := "", rec.RecipientAccountID
	if u := rec.UserIdentity; u != nil {
		user = u.UserName
		if user == "" {
			user = u.ARN
		}
		if u.AccountID != "" {
			account = u.AccountID
		}
	}
	mfa, _ := event.Get(rec.AdditionalEventData, "MFAUsed").Text()
	return fmt.Sprintf("%s failed console login: user=%s account=%s ip=%s mfa=%s reason=%q",
		rec.EventTime.UTC().Format(event.TimeLayout), user, account, rec.SourceIPAddress, mfa, rec.ErrorMessage)
}

func main() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatalf("load AWS configuration: %v", err)
	}
	h := &Handler{S3: s3.NewFromConfig(cfg), Out: os.Stdout}
	lambda.Start(h.Handle)
}
