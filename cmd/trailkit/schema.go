package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/schema"
)

func init() {
	register("schema", "check records and digest files against trailkit's JSON Schemas", runSchema)
}

const schemaHelp = `Usage: trailkit schema SUBCOMMAND [flags] [args]

Subcommands:
  validate PATH...   check every record, and every digest file, against the schemas
  show KIND          print a schema: record, logfile or digest

Run 'trailkit schema SUBCOMMAND --help' for a subcommand's flags.
`

func runSchema(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usagef("no subcommand given: validate or show")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "validate":
		return subUsage("validate", runSchemaValidate(ctx, e, rest))
	case "show":
		return subUsage("show", runSchemaShow(e, rest))
	case "help", "-h", "-help", "--help":
		fmt.Fprint(e.stdout, schemaHelp)
		return flag.ErrHelp
	default:
		return usagef("unknown subcommand %q: validate or show", sub)
	}
}

// subUsage words a subcommand's usage error so that it names the
// subcommand and points at its help; still exit status 2.
func subUsage(sub string, err error) error {
	var ue usageError
	if errors.As(err, &ue) {
		return exitError{code: 2, err: fmt.Errorf("%s: %s (run 'trailkit schema %s --help')", sub, ue.msg, sub)}
	}
	return err
}

func runSchemaShow(e *env, args []string) error {
	fl := newFlags(e, "schema show", "record|logfile|digest\n\nPrints the JSON Schema (draft 2020-12) of a record, a log file or a digest file.")
	if err := fl.parse(args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		return usagef("want one KIND: record, logfile or digest")
	}
	kinds := map[string]schema.Kind{"record": schema.Record, "logfile": schema.LogFile, "digest": schema.Digest}
	k, ok := kinds[fl.Arg(0)]
	if !ok {
		return usagef("unknown KIND %q: record, logfile or digest", fl.Arg(0))
	}
	data, err := schema.FS.ReadFile(k.File())
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(data)
	return err
}

const schemaValidateUsage = `[--quiet] [--json] [--endpoint-url URL] PATH...

Checks every record against trailkit's JSON Schema for CloudTrail records
('trailkit schema show record'), and every digest file against the digest
schema. PATH is a file in any form records come in (.json, .json.gz, .jsonl,
...), a directory (every log and digest file under it, in key order),
s3://bucket/prefix, or - for standard input. A digest file is recognised by
its name (_CloudTrail-Digest_) or by its content.

Prints one line per invalid record or digest file, naming the file, the
record's index and byte offset and each violation's JSON pointer and
message, then a summary line. Inputs that cannot be read are reported on
standard error and the rest are still checked.

Exit status: 0 when everything is valid, 1 when anything is invalid or
unreadable, 2 for usage errors.`

// schemaTally counts what schema validate saw.
type schemaTally struct {
	Records        int64 `json:"records"`
	InvalidRecords int64 `json:"invalidRecords"`
	Digests        int64 `json:"digests"`
	InvalidDigests int64 `json:"invalidDigests"`
	Unreadable     int64 `json:"unreadable"`
}

// schemaReport writes the findings of schema validate as text or JSON Lines.
type schemaReport struct {
	out    *bufio.Writer
	stderr io.Writer
	json   bool
	quiet  bool
	bar    *progress
	tally  schemaTally
}

// schemaFinding is one invalid record or digest in --json output.
type schemaFinding struct {
	Type       string            `json:"type"` // "invalid"
	File       string            `json:"file"`
	Kind       string            `json:"kind"` // "record" or "digest"
	Index      int               `json:"index"`
	Offset     int64             `json:"offset"`
	Violations []schemaViolation `json:"violations"`
}

type schemaViolation struct {
	Pointer string `json:"pointer"`
	Keyword string `json:"keyword"`
	Message string `json:"message"`
}

func runSchemaValidate(ctx context.Context, e *env, args []string) error {
	fl := newFlags(e, "schema validate", schemaValidateUsage)
	quiet := fl.Bool("quiet", false, "print no progress bar and no summary line")
	asJSON := fl.Bool("json", false, "print JSON Lines: one object per invalid record or digest, per unreadable input, and a summary")
	endpoint := fl.String("endpoint-url", "", "S3-compatible endpoint for s3:// paths (or AWS_ENDPOINT_URL_S3)")
	if err := fl.parse(args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return usagef("no PATH given")
	}
	rep := &schemaReport{
		out:    bufio.NewWriterSize(e.stdout, 64<<10),
		stderr: e.stderr,
		json:   *asJSON,
		quiet:  *quiet,
		bar:    newProgress(e, *quiet || *asJSON),
	}
	defer rep.out.Flush()

	inputs := make([]schemaInput, 0, fl.NArg())
	total, known := int64(0), true
	for _, path := range fl.Args() {
		in := schemaInput{path: path}
		if path != "-" && !strings.HasPrefix(path, "s3://") {
			if info, err := os.Stat(path); err == nil && info.IsDir() {
				files, err := schemaFiles(path)
				in.files, in.err = files, err
				total += int64(len(files))
			} else {
				total++
			}
		} else {
			known = false // stdin and S3 prefixes: unknown until read
		}
		inputs = append(inputs, in)
	}
	if known {
		rep.bar.setTotal(total)
	}

	for _, in := range inputs {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case in.err != nil:
			rep.unreadable(in.path, in.err)
		case in.files != nil:
			for _, f := range in.files {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := catFile(f, rep.check); err != nil {
					rep.unreadable(f, err)
				}
			}
		default:
			if err := eachInput(ctx, e, in.path, *endpoint, rep.check); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				rep.unreadable(in.path, err)
			}
		}
	}
	rep.bar.done()
	rep.summary()
	if err := rep.out.Flush(); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	t := rep.tally
	if t.InvalidRecords+t.InvalidDigests+t.Unreadable > 0 {
		return exitError{code: 1, err: errors.New("")} // the report has said why
	}
	return nil
}

// schemaInput is one PATH argument; a directory is listed up front so that
// the progress bar knows how many files there are.
type schemaInput struct {
	path  string
	files []string // a directory's files, in key order
	err   error    // a directory that could not be listed
}

// schemaFiles lists the log and digest files under dir, in key order,
// skipping hidden trees (metadata).
func schemaFiles(dir string) ([]string, error) {
	files := []string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != dir && strings.HasPrefix(d.Name(), ".") {
			return filepath.SkipDir
		}
		if d.Type().IsRegular() && (isLogName(d.Name()) || isDigestName(d.Name())) {
			files = append(files, p)
		}
		return nil
	})
	sort.Strings(files)
	return files, err
}

func isDigestName(name string) bool {
	return strings.Contains(name, "_CloudTrail-Digest_") &&
		(strings.HasSuffix(name, ".json.gz") || strings.HasSuffix(name, ".json"))
}

// check validates every value in one input. A read error ends that input
// only: it is reported and the next input is checked.
func (r *schemaReport) check(name string, in io.Reader) error {
	digestByName := isDigestName(filepath.Base(name))
	sc := event.NewScanner(&countingReader{r: in, bar: r.bar})
	sc.Name = name
	defer sc.Close()
	for sc.Scan() {
		b := sc.Bytes()
		var err error
		kind := schema.Digest
		if digestByName {
			err = schema.ValidateDigest(b)
		} else if kind, err = schema.Validate(b); kind == schema.LogFile {
			// The scanner streams a log file's Records, so this is a
			// value with a member named Records but no eventVersion:
			// check it as the record it stands in place of.
			kind, err = schema.Record, schema.ValidateRecord(b)
		}
		r.count(kind, err != nil)
		if err != nil {
			r.invalid(name, kind, sc.Index(), sc.Offset(), err)
		}
	}
	if err := sc.Err(); err != nil {
		r.unreadable(name, err)
	}
	r.bar.add(1, 0, 0)
	return nil
}

func (r *schemaReport) count(k schema.Kind, invalid bool) {
	if k == schema.Digest {
		r.tally.Digests++
		if invalid {
			r.tally.InvalidDigests++
		}
	} else {
		r.tally.Records++
		if invalid {
			r.tally.InvalidRecords++
		}
	}
	r.bar.add(0, 1, 0)
}

// invalid reports one invalid record or digest.
func (r *schemaReport) invalid(name string, k schema.Kind, index int, offset int64, err error) {
	var ve *schema.ValidationError
	if !errors.As(err, &ve) {
		// The scanner checked the JSON; this is a failure of the
		// validator itself, reported as it is.
		ve = &schema.ValidationError{Kind: k, Violations: []schema.Violation{{Message: err.Error()}}}
	}
	r.bar.done()
	if r.json {
		f := schemaFinding{Type: "invalid", File: name, Kind: "record", Index: index, Offset: offset}
		if k == schema.Digest {
			f.Kind = "digest"
		}
		for _, v := range ve.Violations {
			f.Violations = append(f.Violations, schemaViolation(v))
		}
		r.writeJSON(f)
	} else {
		what := fmt.Sprintf("record %d", index)
		if k == schema.Digest {
			what = "digest file"
		}
		fmt.Fprintf(r.out, "%s: %s at byte %d: ", name, what, offset)
		for i, v := range ve.Violations {
			if i > 0 {
				r.out.WriteString("; ")
			}
			r.out.WriteString(v.String())
		}
		r.out.WriteByte('\n')
	}
	if r.bar.w != nil {
		r.out.Flush() // before the bar draws again on the same terminal
	}
}

// unreadable reports an input that could not be read, or read to its end.
func (r *schemaReport) unreadable(name string, err error) {
	r.tally.Unreadable++
	r.bar.done()
	msg := err.Error()
	if !strings.Contains(msg, name) {
		msg = name + ": " + msg
	}
	if r.json {
		r.writeJSON(struct {
			Type  string `json:"type"`
			File  string `json:"file"`
			Error string `json:"error"`
		}{"error", name, msg})
		return
	}
	r.out.Flush() // keep the order of stdout and stderr lines on a terminal
	fmt.Fprintf(r.stderr, "trailkit schema validate: %s\n", msg)
}

func (r *schemaReport) summary() {
	t := r.tally
	if r.json {
		r.writeJSON(struct {
			Type string `json:"type"`
			schemaTally
		}{"summary", t})
		return
	}
	if r.quiet {
		return
	}
	fmt.Fprintf(r.out, "%d records: %d valid, %d invalid", t.Records, t.Records-t.InvalidRecords, t.InvalidRecords)
	if t.Digests > 0 {
		fmt.Fprintf(r.out, "; %d digest files: %d valid, %d invalid", t.Digests, t.Digests-t.InvalidDigests, t.InvalidDigests)
	}
	if t.Unreadable > 0 {
		fmt.Fprintf(r.out, "; %d unreadable", t.Unreadable)
	}
	r.out.WriteByte('\n')
}

func (r *schemaReport) writeJSON(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(`{"type":"error","error":` + fmt.Sprintf("%q", err.Error()) + `}`)
	}
	r.out.Write(b)
	r.out.WriteByte('\n')
}

// countingReader feeds the bytes read to the progress bar.
type countingReader struct {
	r   io.Reader
	bar *progress
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.bar.add(0, 0, int64(n))
	}
	return n, err
}
