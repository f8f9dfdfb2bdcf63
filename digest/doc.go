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
// headers x-amz-meta-signature and x-amz-meta-signature-algorithm, in a
// directory store the metadata the sink keeps beside the object. Backfill
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
// region it lists the trail's digest keys in the time range (plus one
// hour), starts from the newest and walks previousDigestS3Object backwards
// until a digest starts before the range; where a digest has no previous
// link but older digests exist it reports a gap and continues with the
// next older digest. Each digest is checked for format (gzip, JSON,
// required fields), location (digestS3Bucket and digestS3Object must be
// where it was read, else it was moved), a known key fingerprint, and the
// signature; the log files of each valid digest are then fetched, gunzipped
// and hashed in parallel and reported missing, with a different hash, or
// of invalid format (not gzip, or bytes after the gzip stream). Findings
// stream in the AWS CLI's order and with its categories and messages;
// Summary totals them as the CLI does ("N/M digest files valid", ...).
package digest
