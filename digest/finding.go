package digest

import (
	"fmt"
	"io"
	"time"
)

// Kind is the category of a Finding. The digest and log kinds are the AWS
// CLI's validate-logs categories.
type Kind uint8

// Finding kinds.
const (
	// DigestValid: the digest is where it was delivered, its key is known
	// and its signature verifies.
	DigestValid Kind = iota + 1
	// DigestNotFound: a digest the chain links to, or that was listed, is
	// not in the store ("not found").
	DigestNotFound
	// DigestInvalidFormat: not gzip, not JSON, a required field missing,
	// or a backfill digest without its generation timestamp ("invalid
	// format").
	DigestInvalidFormat
	// DigestMoved: digestS3Bucket and digestS3Object do not name where the
	// digest was read ("has been moved from its original location").
	DigestMoved
	// DigestKeyNotFound: no known public key has the digest's fingerprint
	// ("public key not found in region R for fingerprint F").
	DigestKeyNotFound
	// DigestKeyInvalid: the public key with the fingerprint is not a PKCS#1
	// RSA key ("Unable to load PKCS #1 key with fingerprint F").
	DigestKeyInvalid
	// DigestSignatureInvalid: no signature metadata, or the signature does
	// not verify ("signature verification failed").
	DigestSignatureInvalid

	// LogValid: the log file's SHA-256 is the one its digest records.
	LogValid
	// LogNotFound: a log file a digest lists is not in the store.
	LogNotFound
	// LogHashMismatch: the log file's SHA-256 differs ("hash value doesn't
	// match").
	LogHashMismatch
	// LogInvalidFormat: the log file is not gzip, is truncated, or has
	// bytes after its gzip stream ("invalid format").
	LogInvalidFormat
	// LogUnlisted: a log file in the trail's log directory, delivered in
	// the hour of a valid digest, that no digest lists: a file added, or
	// renamed ("not listed in any digest"). The AWS CLI does not look for
	// these; see ValidateOptions.SkipUnlisted.
	LogUnlisted

	// Gap: a digest has no previous digest while older digests exist: the
	// trail or its validation was stopped ("No log files were delivered by
	// CloudTrail between ..."). It is a notice, not an invalid file.
	Gap

	// The chain kinds are inconsistencies of the digest chain that the AWS
	// CLI does not look for: it follows one chain from the newest digest
	// back and validates what that chain lists.

	// Fork: a digest off the chain that has the same previous digest as a
	// digest on it, or a period overlapping one of theirs (two digests
	// for one period). Key is the digest off the chain, Other the one on
	// it.
	Fork
	// Overlap: a digest's period starts before the end of the previous
	// digest's. Key is the later digest, Other the previous one.
	Overlap
	// LogListedTwice: a log file listed by two digests (or twice by one).
	// Key is the log file, Digest one digest and Other the other's key.
	LogListedTwice
)

var kindNames = [...]string{
	DigestValid: "digest valid", DigestNotFound: "digest not found", DigestInvalidFormat: "digest invalid format",
	DigestMoved: "digest moved", DigestKeyNotFound: "digest public key not found", DigestKeyInvalid: "digest public key invalid",
	DigestSignatureInvalid: "digest signature invalid", LogValid: "log valid", LogNotFound: "log not found",
	LogHashMismatch: "log hash mismatch", LogInvalidFormat: "log invalid format", LogUnlisted: "log not in any digest", Gap: "gap",
	Fork: "fork", Overlap: "overlap", LogListedTwice: "log listed twice",
}

// String returns a short name of the kind, such as "digest moved".
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// IsDigest reports whether the kind is about a digest file.
func (k Kind) IsDigest() bool { return k >= DigestValid && k <= DigestSignatureInvalid }

// IsLog reports whether the kind is about a log file.
func (k Kind) IsLog() bool { return k >= LogValid && k <= LogUnlisted }

// IsChain reports whether the kind is an inconsistency of the chain (Fork,
// Overlap, LogListedTwice), which the AWS CLI does not report.
func (k Kind) IsChain() bool { return k >= Fork && k <= LogListedTwice }

// Invalid reports whether the kind counts as an invalid file or an
// inconsistency of the chain.
func (k Kind) Invalid() bool {
	return (k.IsDigest() && k != DigestValid) || (k.IsLog() && k != LogValid) || k.IsChain()
}

// Finding is one result of a validation, in the order the AWS CLI reports
// them: a digest, then the log files it lists, then the digest before it.
type Finding struct {
	Kind     Kind
	Region   string // the chain's source region
	Backfill bool   // about a backfill digest or a gap between backfill digests
	// Bucket and Key locate the digest or log file.
	Bucket, Key string
	// Digest is the digest file: set for DigestValid, and for the log
	// kinds it is the digest that lists the log file.
	Digest *File
	// Fingerprint is the digest's key fingerprint (DigestKeyNotFound,
	// DigestKeyInvalid).
	Fingerprint string
	// HomeRegion is the trail's home region, named by DigestKeyNotFound.
	HomeRegion string
	// From and To bound a Gap: the end of the older digest and the start
	// of the newer one.
	From, To time.Time
	// Other is the key of the other digest a chain kind involves (in
	// Bucket unless a digest names another bucket).
	Other string
	// Err says more about an invalid file (the parse or gzip error).
	Err error
}

// Reason returns the AWS CLI's wording of the finding's status: "valid",
// "INVALID: not found", ...; empty for a Gap.
func (f *Finding) Reason() string {
	switch f.Kind {
	case DigestValid, LogValid:
		return "valid"
	case DigestNotFound, LogNotFound:
		return "INVALID: not found"
	case DigestInvalidFormat, LogInvalidFormat:
		return "INVALID: invalid format"
	case DigestMoved:
		return "INVALID: has been moved from its original location"
	case DigestKeyNotFound:
		return "INVALID: public key not found in region " + f.HomeRegion + " for fingerprint " + f.Fingerprint
	case DigestKeyInvalid:
		return "INVALID: Unable to load PKCS #1 key with fingerprint " + f.Fingerprint
	case DigestSignatureInvalid:
		return "INVALID: signature verification failed"
	case LogHashMismatch:
		return "INVALID: hash value doesn't match"
	case LogUnlisted:
		return "INVALID: not listed in any digest"
	case Fork:
		return "INVALID: forks the chain with s3://" + f.Bucket + "/" + f.Other
	case Overlap:
		return "INVALID: period overlaps that of the previous digest s3://" + f.Bucket + "/" + f.Other
	case LogListedTwice:
		first := ""
		if f.Digest != nil {
			first = "s3://" + f.Digest.DigestS3Bucket + "/" + f.Digest.DigestS3Object + " and "
		}
		return "INVALID: listed in two digests: " + first + "s3://" + f.Bucket + "/" + f.Other
	}
	return ""
}

// String returns the line the AWS CLI prints for the finding, such as
// "Digest file\ts3://bucket/key\tvalid" or "Log file\ts3://bucket/key\tINVALID: not found".
func (f *Finding) String() string {
	prefix := ""
	if f.Backfill && (f.Kind.IsDigest() || f.Kind == Gap) {
		prefix = "(backfill) "
	}
	switch {
	case f.Kind == Gap:
		return prefix + "No log files were delivered by CloudTrail between " +
			f.From.UTC().Format(TimeLayout) + " and " + f.To.UTC().Format(TimeLayout)
	case f.Kind.IsDigest(), f.Kind == Fork, f.Kind == Overlap:
		return prefix + "Digest file\ts3://" + f.Bucket + "/" + f.Key + "\t" + f.Reason()
	default:
		return "Log file\ts3://" + f.Bucket + "/" + f.Key + "\t" + f.Reason()
	}
}

// Summary totals findings as the AWS CLI does.
type Summary struct {
	// Start and End are the requested range.
	Start, End time.Time
	// FoundStart and FoundEnd span the valid digests, clipped to the
	// requested range; zero when no digest was valid.
	FoundStart, FoundEnd time.Time

	ValidDigests, InvalidDigests                 int
	ValidBackfillDigests, InvalidBackfillDigests int
	ValidLogs, InvalidLogs                       int
	Gaps                                         int
	// Inconsistencies counts the chain kinds (Fork, Overlap,
	// LogListedTwice); the files they name are counted above too.
	Inconsistencies int
	// ByKind counts the findings of each kind.
	ByKind map[Kind]int
}

// Add counts a finding.
func (s *Summary) Add(f *Finding) {
	if s.ByKind == nil {
		s.ByKind = map[Kind]int{}
	}
	s.ByKind[f.Kind]++
	switch {
	case f.Kind == Gap:
		s.Gaps++
	case f.Kind.IsChain():
		s.Inconsistencies++
	case f.Kind == DigestValid:
		if f.Backfill {
			s.ValidBackfillDigests++
		} else {
			s.ValidDigests++
		}
		if f.Digest != nil {
			start := f.Digest.DigestStartTime
			if start.Before(s.Start) {
				start = s.Start
			}
			if s.FoundStart.IsZero() || start.Before(s.FoundStart) {
				s.FoundStart = start
			}
			end := f.Digest.DigestEndTime
			if !s.End.IsZero() && end.After(s.End) {
				end = s.End
			}
			if s.FoundEnd.IsZero() || end.After(s.FoundEnd) {
				s.FoundEnd = end
			}
		}
	case f.Kind.IsDigest():
		if f.Backfill {
			s.InvalidBackfillDigests++
		} else {
			s.InvalidDigests++
		}
	case f.Kind == LogValid:
		s.ValidLogs++
	case f.Kind.IsLog():
		s.InvalidLogs++
	}
}

// Valid reports whether no digest or log file was invalid (the AWS CLI's
// exit status 0) and the chain had no inconsistency.
func (s *Summary) Valid() bool {
	return s.InvalidDigests == 0 && s.InvalidBackfillDigests == 0 && s.InvalidLogs == 0 && s.Inconsistencies == 0
}

// WriteText writes the AWS CLI's closing report: "Results requested for
// ...", the range found, and the "N/M digest files valid" totals.
func (s *Summary) WriteText(w io.Writer) error {
	b := make([]byte, 0, 256)
	b = append(b, "Results requested for "...)
	b = s.Start.UTC().AppendFormat(b, TimeLayout)
	b = append(b, " to "...)
	b = s.End.UTC().AppendFormat(b, TimeLayout)
	b = append(b, '\n')
	digests := s.ValidDigests + s.InvalidDigests + s.ValidBackfillDigests + s.InvalidBackfillDigests
	if digests == 0 {
		b = append(b, "No digests found\n"...)
		_, err := w.Write(b)
		return err
	}
	if s.FoundStart.IsZero() || s.FoundEnd.IsZero() {
		b = append(b, "No valid digests found in range\n"...)
	} else {
		b = append(b, "Results found for "...)
		b = s.FoundStart.UTC().AppendFormat(b, TimeLayout)
		b = append(b, " to "...)
		b = s.FoundEnd.UTC().AppendFormat(b, TimeLayout)
		b = append(b, ":\n"...)
	}
	b = appendRatio(b, s.ValidDigests, s.InvalidDigests, "digest")
	b = appendRatio(b, s.ValidBackfillDigests, s.InvalidBackfillDigests, "backfill digest")
	b = appendRatio(b, s.ValidLogs, s.InvalidLogs, "log")
	if s.Inconsistencies > 0 {
		b = fmt.Appendf(b, "\n%d inconsistencies of the digest chain (fork, overlap, log file listed twice)", s.Inconsistencies)
	}
	b = append(b, '\n')
	_, err := w.Write(b)
	return err
}

func appendRatio(b []byte, valid, invalid int, name string) []byte {
	total := valid + invalid
	if total == 0 {
		return b
	}
	b = fmt.Appendf(b, "\n%d/%d %s files valid", valid, total, name)
	if invalid > 0 {
		b = fmt.Appendf(b, ", %d/%d %s files INVALID", invalid, total, name)
	}
	return b
}
