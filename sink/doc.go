// Package sink stores and reads the objects a trail delivers: CloudTrail log
// files, digest files and Insights files, each under a CloudTrail object key
// such as
//
//	AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/111122223333_CloudTrail_us-east-1_20260102T0305Z_a1B2c3D4e5F6g7H8.json.gz
//
// # Model
//
// An Object is a key, a body, user metadata (lower-case names, as S3's
// x-amz-meta-* headers; a digest's "signature" and "signature-algorithm"
// live there) and a content type and encoding. A Sink is the write side:
// Put stores a whole object or fails, never leaving a partial one, and is
// safe for concurrent use. A Store is the read side, used by the digest
// validator and by event-history lookup: List yields keys under a prefix in
// lexical order, Get opens an object's body, which the caller reads as it
// streams and closes, with its metadata, and wraps ErrNotFound for a
// missing key. ReadAll reads a small object whole, up to a size limit (a
// log file of hundreds of MB is hashed or scanned as it streams, never
// held). Bucket names where objects are, as digests record it. An
// ExclusiveSink also has PutIfAbsent, which creates
// an object only where none is and otherwise fails with ErrExists, across
// processes: trails sharing a destination seal each digest period with it,
// so that one digest chain results however many processes write (Dir and
// the S3 sink implement it).
//
// Implementations:
//
//   - Dir (NewDir): a Sink and Store on a local directory.
//   - [github.com/trailkit/trailkit/sink/s3.Sink]: a Sink and Store on an S3
//     bucket or an S3-compatible server such as MinIO, through the caller's
//     S3 client. It lives in its own package so that a program writing to a
//     directory does not compile the AWS SDK.
//   - Writer (NewWriter): a write-only Sink printing each record of each log
//     file as one JSON line, for standard output and pipes.
//
// A Sink that wraps another (to count, log or fail puts) has an Unwrap()
// Sink method returning the one it wraps; [As] looks through such wrappers
// for a capability, as errors.As does, so that a trail reading its digest
// chains back finds the [Store] beneath a wrapper.
//
// # Directory layout
//
// Dir keeps the object with key K in the file ROOT/K, so a directory sink
// has CloudTrail's layout and any tool that reads CloudTrail log trees reads
// it. The metadata of K (user metadata, content type, content encoding) is
// kept beside the tree, in the hidden file ROOT/.metadata/K.meta:
//
//	{"contentType":"application/json","contentEncoding":"gzip","metadata":{"signature":"3a0c…","signature-algorithm":"SHA256withRSA"}}
//
// Empty fields are left out. An object created by PutIfAbsent also has
// "pending", the name of the temporary file its body was linked from: a
// process killed between linking the metadata and the body leaves both,
// and the next PutIfAbsent of the key completes the put from it. Readers of log trees, `trailkit cat DIR`
// among them, skip hidden directories, and tools that walk every
// directory for *.json and *.json.gz files (trailscraper, for one) skip
// the .meta name, so metadata is never taken for logs; the digest
// validator reads the signature from it. Trees written by earlier versions
// keep metadata in ROOT/.metadata/K.json, which Get reads when K.meta is
// absent, so their digests still validate.
//
// Every file is opened through an os.Root on the root directory: a
// symbolic link or ".." that leads out of it is an error naming the path
// ("path escapes from parent"), for reads and writes alike. Get refuses a
// file that is not regular (a FIFO, a device) with an error wrapping
// ErrNotFound, without waiting on it, and List does not list one. On
// Linux, Get opens a file in one openat2 call that the kernel keeps
// beneath the root (RESOLVE_BENEATH) rather than a call per directory of
// its path, and leaves to the os.Root whatever that call does not answer.
//
// Put writes the body and the metadata to hidden temporary files
// (".tmp-*") in their destination directories and renames them into place,
// metadata first: an object is complete or absent, and a reader who finds a
// new object finds its metadata. (Overwriting a key, which a trail never
// does, can briefly pair the old body with the new metadata.) With
// DirOptions.Fsync the files and directories are
// synced before Put returns. A failed Put (read-only directory, full disk)
// returns the file system's error, wrapped with the operation and key, and
// leaves no object and no temporary file behind.
//
// Keys are checked before any file is touched: a key must be 1 to 1024
// bytes of '/'-separated segments, each non-empty, at most 250 bytes, not
// starting with '.', and without backslashes or NUL bytes. Any other key is
// an error wrapping ErrInvalidKey that names it, so no key reaches outside
// the root or into the hidden files. CloudTrail's keys all qualify.
//
// # Writer
//
// Writer prints the records of each log file as JSON Lines, one object's
// lines together, and skips digest files; it has no read side.
//
// # Further reading
//
// The keys and forms of log files and digests, and the metadata a Dir keeps:
// https://github.com/trailkit/trailkit/blob/main/docs/delivery.md.
package sink
