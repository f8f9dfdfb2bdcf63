package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/trailkit/trailkit/trail/history"
)

func init() {
	register("lookup", "look up events in a stored trail, like CloudTrail's Event History", runLookup)
}

func runLookup(ctx context.Context, e *env, args []string) error {
	fl := newFlags(e, "lookup", "(--dir DIR | --s3 s3://bucket[/prefix]) [--lookup-attribute KEY=VALUE]... [--start-time T] [--end-time T] [--max-results N] [--output json|table]\n\n"+
		"Prints the events of a stored trail newest first, as CloudTrail's LookupEvents does. KEY is one of\n"+
		"EventId, EventName, ReadOnly, Username, ResourceType, ResourceName, EventSource, AccessKeyId;\n"+
		"several attributes must all match. Times are RFC 3339 (2026-03-10T12:00:00Z) or a date (2026-03-10).")
	dir := fl.String("dir", "", "a directory a trail delivered to")
	s3url := fl.String("s3", "", "an S3 location a trail delivered to, s3://bucket[/prefix]")
	prefix := fl.String("prefix", "", "the trail's key prefix inside --dir")
	endpoint := fl.String("endpoint-url", "", "S3-compatible endpoint (or AWS_ENDPOINT_URL_S3)")
	var attrs, accounts, regions stringsFlag
	fl.Var(&attrs, "lookup-attribute", "KEY=VALUE an event must have (repeatable)")
	fl.Var(&accounts, "account-id", "only this account (repeatable; default: every account found)")
	fl.Var(&regions, "region", "only this region (repeatable; default: every region found)")
	start := fl.String("start-time", "", "earliest eventTime (default: 90 days before the end time)")
	end := fl.String("end-time", "", "latest eventTime (default: now)")
	maxResults := fl.Int("max-results", history.DefaultMaxResults, "how many events to print")
	next := fl.String("next-token", "", "continue from a previous --output json result's NextToken")
	category := fl.String("event-category", "", "insight: look up the Insights events of CloudTrail-Insight files instead")
	cacheDir := fl.String("cache-dir", defaultCacheDir(e), "where to keep the summaries of the log files read, so that later lookups skip files (empty: keep none)")
	output := fl.String("output", "table", "json or table")
	quiet := fl.Bool("quiet", false, "no progress bar")
	if err := fl.parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return usagef("unexpected argument %q", fl.Arg(0))
	}
	if (*dir == "") == (*s3url == "") {
		return usagef("give one of --dir or --s3")
	}
	if *output != "json" && *output != "table" {
		return usagef("--output must be json or table, not %q", *output)
	}
	if *maxResults < 1 {
		return usagef("--max-results must be at least 1")
	}
	in := history.Input{KeyPrefix: *prefix, AccountIDs: accounts, Regions: regions, NextToken: *next, EventCategory: *category}
	for _, a := range attrs {
		attr, err := history.ParseAttribute(a)
		if err != nil {
			return usagef("--lookup-attribute %v", err)
		}
		in.Attributes = append(in.Attributes, attr)
	}
	for _, t := range []struct {
		flag, value string
		dst         *time.Time
	}{{"--start-time", *start, &in.StartTime}, {"--end-time", *end, &in.EndTime}} {
		if t.value == "" {
			continue
		}
		v, err := parseTime(t.value)
		if err != nil {
			return usagef("%s: %v", t.flag, err)
		}
		*t.dst = v
	}
	if !in.StartTime.IsZero() && !in.EndTime.IsZero() && in.StartTime.After(in.EndTime) {
		return usagef("--start-time %s is after --end-time %s", *start, *end)
	}
	store, urlPrefix, err := openStore(ctx, e, *dir, *s3url, *endpoint, "")
	if err != nil {
		return err
	}
	if in.KeyPrefix == "" {
		in.KeyPrefix = strings.TrimSuffix(urlPrefix, "/")
	}
	cache := summaryCache(*cacheDir, *dir, *s3url, *endpoint)
	in.Summaries = cache.load(e)
	bar := newProgress(e, *quiet || *output == "json")
	in.Progress = func(p history.Progress) { bar.set(p.Files, p.Records, p.Bytes) }
	out, err := history.LookupMany(ctx, store, in, *maxResults)
	bar.done()
	cache.save(e, in.Summaries)
	events, token := out.Events, out.NextToken
	if err != nil {
		var he *history.Error
		if errors.As(err, &he) {
			return usagef("%v", he)
		}
		return err
	}
	if *output == "json" {
		return writeLookupJSON(e.stdout, events, token)
	}
	return writeLookupTable(e.stdout, events, token)
}

// awsCLITime is how the AWS CLI prints a timestamp with its default
// cli_timestamp_format (version 2; iso8601 in version 1's configuration).
const awsCLITime = "2006-01-02T15:04:05-07:00"

// lookupEventJSON is an event as the AWS CLI prints LookupEvents' output.
type lookupEventJSON struct {
	EventID         string             `json:"EventId"`
	EventName       string             `json:"EventName"`
	ReadOnly        string             `json:"ReadOnly,omitempty"`
	AccessKeyID     string             `json:"AccessKeyId,omitempty"`
	EventTime       string             `json:"EventTime"`
	EventSource     string             `json:"EventSource"`
	Username        string             `json:"Username,omitempty"`
	Resources       []history.Resource `json:"Resources"`
	CloudTrailEvent string             `json:"CloudTrailEvent"`
}

func writeLookupJSON(w io.Writer, events []history.Event, token string) error {
	out := struct {
		Events    []lookupEventJSON `json:"Events"`
		NextToken string            `json:"NextToken,omitempty"`
	}{Events: make([]lookupEventJSON, 0, len(events)), NextToken: token}
	for _, ev := range events {
		res := ev.Resources
		if res == nil {
			res = []history.Resource{}
		}
		out.Events = append(out.Events, lookupEventJSON{
			EventID: ev.EventID, EventName: ev.EventName, ReadOnly: ev.ReadOnly, AccessKeyID: ev.AccessKeyID,
			EventTime: ev.EventTime.UTC().Format(awsCLITime), EventSource: ev.EventSource, Username: ev.Username,
			Resources: res, CloudTrailEvent: string(ev.CloudTrailEvent),
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(out)
}

func writeLookupTable(w io.Writer, events []history.Event, token string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EVENT TIME\tEVENT NAME\tEVENT SOURCE\tUSER NAME\tRESOURCES\tEVENT ID")
	for _, ev := range events {
		var res []string
		for _, r := range ev.Resources {
			res = append(res, r.ResourceName)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ev.EventTime.UTC().Format(time.RFC3339), ev.EventName,
			ev.EventSource, dash(ev.Username), dash(strings.Join(res, ",")), ev.EventID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if token != "" {
		_, err := fmt.Fprintf(w, "more events: --next-token %s\n", token)
		return err
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
