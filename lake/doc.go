// Package lake writes CloudTrail records as Parquet for SQL engines (Athena,
// Trino, Spark, DuckDB), in the layout Amazon Security Lake uses:
//
//	[prefix/]region=<awsRegion>/accountId=<recipientAccountId>/eventDay=<YYYYMMDD>/<name>.parquet
//
// # Shapes
//
// Format chooses the rows. [CloudTrail] writes [CloudTrailRow]: one column
// per top-level field of the record, under CloudTrail's name, with
// userIdentity, resources, tlsDetails and addendum as Parquet groups and
// lists, as in the table AWS documents for querying CloudTrail with Athena;
// requestParameters, responseElements, additionalEventData,
// serviceEventDetails and the provider-specific parts are JSON text, as
// read; whatever the model holds no column for is in extraFields, so that
// nothing read is lost. [OCSF] writes [OCSFRow]: OCSF 1.1.0 API Activity,
// Authentication or Account Change events, mapped as Security Lake maps
// CloudTrail.
//
// # Files
//
// A [Writer] writes the records of one input (a log file, a stream) as one
// object per partition they fall in, zstd-compressed, in row groups of
// [DefaultRowGroupRows], with column statistics and dictionaries on the
// columns with few distinct values. Object names derive from the input's
// name alone ([Name]): writing an input again replaces its objects, so an
// export can be re-run, resumed or split across machines by input without
// duplicating rows. A Writer holds each file in memory until its put, and
// bounds that memory with MaxFileBytes and MaxBufferedBytes, which counts
// an open file's encoders and unwritten row group as well as its bytes: an
// input spread over many partitions at once gets smaller files, not more
// memory. [Writer.Export] does not keep the input's order: it writes each
// block of 2,048 records grouped by eventSource and eventName, input order
// within a group, which makes the files smaller.
//
// [AthenaDDL] and [DuckDBDDL] give the table to query a lake with; the
// "trailkit export" command writes one from log files, directories and S3
// prefixes, and package github.com/trailkit/trailkit/sink/parquet lets a
// trail deliver to a lake directly.
package lake
