package lake

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Schema returns the Parquet schema of a format's rows.
func Schema(f Format) (*parquet.Schema, error) {
	switch f {
	case CloudTrail, "":
		return parquet.SchemaOf(new(CloudTrailRow)), nil
	case OCSF:
		return parquet.SchemaOf(new(OCSFRow)), nil
	}
	return nil, fmt.Errorf("lake: format %q: %w (want cloudtrail or ocsf)", f, ErrFormat)
}

// AthenaDDL returns the CREATE EXTERNAL TABLE statement of an Athena (or
// Hive, Trino) table over the objects of a format under location
// (s3://bucket/prefix/), with partition projection, so that new days need
// no ALTER TABLE: region is one of AWS's Regions, accountId is given in
// each query (WHERE accountId = '…'), eventDay is a yyyyMMdd date from 2013
// (CloudTrail's first year) to now. The column types are generated from
// the Parquet schema.
func AthenaDDL(f Format, table, location string) (string, error) {
	s, err := Schema(f)
	if err != nil {
		return "", err
	}
	location = strings.TrimSuffix(location, "/") + "/"
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE EXTERNAL TABLE %s (\n", table)
	for i, field := range s.Fields() {
		sep := ","
		if i == len(s.Fields())-1 {
			sep = ""
		}
		fmt.Fprintf(&b, "  `%s` %s%s\n", field.Name(), hiveType(field), sep)
	}
	fmt.Fprintf(&b, ")\nPARTITIONED BY (`region` string, `accountId` string, `eventDay` string)\n")
	fmt.Fprintf(&b, "STORED AS PARQUET\nLOCATION '%s'\nTBLPROPERTIES (\n", location)
	fmt.Fprintf(&b, "  'projection.enabled' = 'true',\n")
	fmt.Fprintf(&b, "  'projection.region.type' = 'enum',\n  'projection.region.values' = '%s',\n", strings.Join(regions, ","))
	fmt.Fprintf(&b, "  'projection.accountId.type' = 'injected',\n")
	fmt.Fprintf(&b, "  'projection.eventDay.type' = 'date',\n  'projection.eventDay.format' = 'yyyyMMdd',\n  'projection.eventDay.range' = '20130101,NOW',\n  'projection.eventDay.interval' = '1',\n  'projection.eventDay.interval.unit' = 'DAYS',\n")
	fmt.Fprintf(&b, "  'storage.location.template' = '%sregion=${region}/accountId=${accountId}/eventDay=${eventDay}/'\n);\n", location)
	return b.String(), nil
}

// DuckDBDDL returns a CREATE VIEW statement that reads the objects of a
// format under location (a directory, s3://bucket/prefix/) with DuckDB, the
// partition columns typed as text, so that account ids keep their leading
// zeros.
func DuckDBDDL(table, location string) string {
	return fmt.Sprintf("CREATE VIEW %s AS SELECT * FROM read_parquet('%s', hive_partitioning = true, hive_types = {'region': VARCHAR, 'accountId': VARCHAR, 'eventDay': VARCHAR}, union_by_name = true);\n",
		table, strings.TrimSuffix(location, "/")+"/*/*/*/*.parquet")
}

func hiveType(n parquet.Field) string {
	if n.Leaf() {
		switch t := n.Type(); {
		case logical[*format.TimestampType](n):
			return "timestamp"
		case t.Kind() == parquet.Boolean:
			return "boolean"
		case t.Kind() == parquet.Int32:
			return "int"
		case t.Kind() == parquet.Int64:
			return "bigint"
		case t.Kind() == parquet.Double:
			return "double"
		default:
			return "string"
		}
	}
	switch {
	case logical[*format.ListType](n):
		return "array<" + hiveType(n.Fields()[0].Fields()[0]) + ">"
	case logical[*format.MapType](n):
		kv := n.Fields()[0].Fields()
		return "map<" + hiveType(kv[0]) + "," + hiveType(kv[1]) + ">"
	}
	parts := make([]string, 0, len(n.Fields()))
	for _, f := range n.Fields() {
		parts = append(parts, f.Name()+":"+hiveType(f))
	}
	return "struct<" + strings.Join(parts, ",") + ">"
}

func logical[T format.LogicalTypeValue](n parquet.Node) bool {
	lt := n.Type().LogicalType()
	if lt == nil {
		return false
	}
	_, ok := lt.Value.(T)
	return ok
}

// regions are AWS's commercial Regions, for Athena's partition projection.
var regions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
	"ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	"ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ca-central-1", "ca-west-1",
	"eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1",
	"eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
	"sa-east-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2",
}
