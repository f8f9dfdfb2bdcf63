// Package digest gives trailkit's log files the integrity guarantee of
// CloudTrail log file validation: hourly digest files, signed with RSA and
// chained, so that any change, deletion or insertion of a log file or a
// digest file is detected. It writes digests (Chain) and validates them,
// whether trailkit or CloudTrail wrote them (Validate).
//
// # Chains
//
// A chain is the sequence of digests of one trail in one region. Every
// hour the trail seals a digest that lists the log files delivered in
// that hour ([start, end), possibly none) with the SHA-256 of each
// uncompressed log file, and links to the previous digest by bucket, key,
// SHA-256 of its uncompressed bytes, and signature. The first digest of a
// chain has null previous-digest fields; so does the first digest after
// the trail stopped (a gap). A restarted trail continues its chain with
// Chain.Resume. The key of a digest names the account, region, trail, home
// region and end time:
//
//	[prefix/]AWSLogs/[o-org/]{account}/CloudTrail-Digest/{region}/{YYYY}/{MM}/{DD}/
//	    {account}_CloudTrail-Digest_{region}_{trail}_{homeRegion}_{YYYYMMDD}T{HHmmss}Z.json.gz
//
// Backfill digests, which CloudTrail writes after the fact, end in
// _backfill.json.gz and form chains of their own.
//
// # Keys and metadata
//
// A digest object is gzipped JSON (File, fields in CloudTrail's order).
// Its signature is not in the file but in the object's user metadata:
// "signature" (hex) and "signature-algorithm" (SHA256withRSA); on S3 the
// headers x-amz-meta-signature and x-amz-meta-signature-algorithm; in a
// directory store (sink.Dir) the metadata file it keeps beside the object,
// under sink.MetadataDir. Backfill
// digests also carry "backfill-generation-timestamp". The signature is RSA
// PKCS#1 v1.5 with SHA-256 over
//
//	{digestEndTime}\n{digestS3Bucket}/{digestS3Object}\n{sha256 hex of the uncompressed digest}\n{previousDigestSignature or null}
//
// so a digest cannot be moved, edited or relinked without the private key.
// Signers implement Signer (RSASigner for a key in memory; a key in KMS or
// an HSM can implement it too). A KeyRing holds keys with validity windows
// so keys can rotate, and exports the public halves in the shape of
// CloudTrail's ListPublicKeys: PKCS#1 DER value, validity times, and the
// fingerprint, the MD5 hex of the DER, that each digest records in
// digestPublicKeyFingerprint.
//
// # Validation
//
// Validate is the equivalent of `aws cloudtrail validate-logs`. For each
// source region (ValidateOptions.Regions, or every region with digests) it
// lists the trail's digest keys from Start to one hour after End, starts
// from the newest and walks previousDigestS3Object backwards until a
// digest starts before Start. A digest without a previous link while older
// digests are listed is a gap (the trail was stopped), reported as a
// notice; the walk continues with the next older digest. So it does after
// a missing or invalid digest. Backfill chains are walked the same way,
// after the standard ones.
//
// Each digest is checked, in the AWS CLI's order, for format (gzip, JSON,
// required fields), signature metadata, location (digestS3Bucket and
// digestS3Object must be where it was read, else it was moved), a known key
// fingerprint (keys valid from Start to two hours after End; for backfill,
// within an hour of its generation time) and the signature. The log files
// of each valid digest are then fetched, gunzipped and hashed in parallel
// (ValidateOptions.Workers at a time, so at most that many log files are
// in memory) while the walk goes on, and reported in order.
//
// Findings stream in the AWS CLI's order, each with a Kind; Finding.String
// is the CLI's line for it and Summary totals them as the CLI does:
//
//	DigestValid             Digest file  s3://b/k  valid
//	DigestNotFound          ...  INVALID: not found
//	DigestInvalidFormat     ...  INVALID: invalid format
//	DigestMoved             ...  INVALID: has been moved from its original location
//	DigestKeyNotFound       ...  INVALID: public key not found in region R for fingerprint F
//	DigestKeyInvalid        ...  INVALID: Unable to load PKCS #1 key with fingerprint F
//	DigestSignatureInvalid  ...  INVALID: signature verification failed
//	LogValid                Log file  s3://b/k  valid
//	LogNotFound             ...  INVALID: not found
//	LogHashMismatch         ...  INVALID: hash value doesn't match
//	LogInvalidFormat        ...  INVALID: invalid format (not gzip, or bytes after the gzip stream)
//	LogUnlisted             ...  INVALID: not listed in any digest
//	Gap                     No log files were delivered by CloudTrail between T1 and T2
//
// Two checks go beyond the AWS CLI 1.x installed here: bytes after a log
// file's gzip stream are an invalid format (as in newer AWS CLI releases,
// aws/aws-cli#10326), and a log file in the trail's log directory,
// delivered within a valid digest's hour but listed by no digest (a file
// added or renamed), is LogUnlisted; ValidateOptions.SkipUnlisted turns
// that check off. Like the CLI, the walk names only the first of several
// consecutive missing digests (the next one it finds is older than all of
// them), does not check the log files of an invalid digest, and does not
// compare previousDigestHashValue with the previous digest.
//
// # Further reading
//
// What is signed and how keys rotate: https://github.com/trailkit/trailkit/blob/main/docs/signing.md; the AWS
// CLI's validation procedure, which Validate follows:
// https://github.com/trailkit/trailkit/blob/main/docs/aws-cli-validation.md.
package digest
