package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/trailkit/trailkit/event"
)

func init() {
	register("cat", "print records as JSON Lines, or count them", runCat)
}

func runCat(ctx context.Context, e *env, args []string) error {
	fl := newFlags(e, "cat", "[--count] [--selectors FILE] PATH...\n\nPATH is a log file (.json, .json.gz, .jsonl, any form CloudTrail records come in), a directory\n(every file under it, in key order), s3://bucket/prefix, or - for standard input.")
	count := fl.Bool("count", false, "print only the number of records")
	selectors := fl.String("selectors", "", "print only records a trail with these event selectors logs (JSON as get-event-selectors prints it)")
	endpoint := fl.String("endpoint-url", "", "S3-compatible endpoint for s3:// paths (or AWS_ENDPOINT_URL_S3)")
	if err := fl.parse(args); err != nil {
		return err
	}
	if fl.NArg() == 0 {
		return usagef("no PATH given")
	}
	match, err := loadMatcher(*selectors)
	if err != nil {
		return err
	}
	out := bufio.NewWriterSize(e.stdout, 256<<10)
	defer out.Flush()
	var n int64
	var rec event.Record
	for _, path := range fl.Args() {
		err := eachInput(ctx, e, path, *endpoint, func(name string, r io.Reader) error {
			sc := event.NewScanner(r)
			sc.Name = name
			defer sc.Close()
			for sc.Scan() {
				if match != nil {
					if err := event.Unmarshal(sc.Bytes(), &rec); err != nil {
						return &event.ReadError{Name: name, Index: sc.Index(), Offset: sc.Offset(), Err: err}
					}
					if !match(&rec) {
						continue
					}
				}
				n++
				if !*count {
					// The Scanner's bytes are the record as read, compacted:
					// printing them is lossless and needs no encoding.
					out.Write(sc.Bytes())
					if err := out.WriteByte('\n'); err != nil {
						return fmt.Errorf("write: %w", err)
					}
				}
			}
			return sc.Err()
		})
		if err != nil {
			return err
		}
	}
	if *count {
		fmt.Fprintln(out, n)
	}
	return out.Flush()
}

// eachInput calls fn for each input PATH names: stdin, a file, every file
// under a directory in key order, or every object under an S3 prefix.
func eachInput(ctx context.Context, e *env, path, endpoint string, fn func(name string, r io.Reader) error) error {
	return eachInputIf(ctx, e, path, endpoint, nil, fn)
}

// eachInputIf is eachInput for the inputs keep accepts (all when nil),
// asked before an input is opened.
func eachInputIf(ctx context.Context, e *env, path, endpoint string, keep func(name string) bool, fn func(name string, r io.Reader) error) error {
	switch {
	case path == "-":
		return fn("stdin", e.stdin)
	case strings.HasPrefix(path, "s3://"):
		return eachS3Object(ctx, e, path, endpoint, keep, fn)
	}
	info, err := os.Stat(path)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return catFile(path, fn)
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != path && (strings.HasPrefix(d.Name(), ".") || d.Name() == "CloudTrail-Digest") {
			return filepath.SkipDir // hidden trees hold metadata, digest trees digests: no records
		}
		if d.Type().IsRegular() && isLogName(d.Name()) {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(files) // S3 key order: paths compare byte by byte, '/' included
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if keep != nil && !keep(f) {
			continue
		}
		if err := catFile(f, fn); err != nil {
			return err
		}
	}
	return nil
}

// isLogName reports whether a file in a directory tree holds records: log
// files, not digests.
func isLogName(name string) bool {
	if strings.Contains(name, "_CloudTrail-Digest_") {
		return false
	}
	for _, ext := range []string{".json", ".json.gz", ".jsonl", ".jsonl.gz", ".gz"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

func catFile(path string, fn func(string, io.Reader) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return fn(path, f)
}
