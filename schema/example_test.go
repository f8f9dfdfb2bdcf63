package schema_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"

	"github.com/trailkit/trailkit/schema"
)

func ExampleValidateRecord() {
	rec := []byte(`{
		"eventVersion": "1.08",
		"eventTime": "2024-03-13 08:33:30",
		"userIdentity": {"type": "IAMUser", "userName": "alice"},
		"readOnly": "true",
		"resources": [{"ARN": 42}],
		"somethingNew": {"CloudTrail": "adds fields"}
	}`)
	err := schema.ValidateRecord(rec)
	var ve *schema.ValidationError
	if errors.As(err, &ve) {
		for _, v := range ve.Violations {
			fmt.Println(v)
		}
	}
	// Output:
	// /eventTime: "2024-03-13 08:33:30" is not a UTC time of the form YYYY-MM-DDThh:mm:ssZ
	// /readOnly: expected boolean, but got string
	// /resources/0/ARN: expected string, but got number
}

func ExampleValidateRecord_realWorldVariance() {
	// resources as a string, mfaAuthenticated as a boolean, no
	// userIdentity.type: all seen in real records, all accepted.
	rec := []byte(`{
		"eventVersion": "1.05",
		"eventTime": "2019-11-05T19:11:04Z",
		"userIdentity": {"accountId": "111122223333", "sessionContext": {"attributes": {"mfaAuthenticated": false}}},
		"resources": ""
	}`)
	fmt.Println(schema.ValidateRecord(rec))
	// Output: <nil>
}

func ExampleValidate() {
	for _, doc := range []string{
		`{"Records": [{"eventVersion": "1.08", "eventTime": "2024-03-13T08:33:30Z"}, {"eventVersion": "1.08"}]}`,
		`{"digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/...", "logFiles": []}`,
	} {
		kind, err := schema.Validate([]byte(doc))
		fmt.Printf("%s: %v\n", kind, err)
	}
	// Output:
	// log file: schema: invalid log file: /Records/1/eventTime: missing (required)
	// digest file: schema: invalid digest file: /awsAccountId: missing (required); /digestEndTime: missing (required); /digestPublicKeyFingerprint: missing (required); /digestS3Bucket: missing (required); /digestSignatureAlgorithm: missing (required); /digestStartTime: missing (required); /newestEventTime: missing (required); /oldestEventTime: missing (required); /previousDigestHashAlgorithm: missing (required); /previousDigestHashValue: missing (required); and 3 more
}

// The schema files are plain JSON Schema: hand them to any validator.
func Example_files() {
	names, _ := fs.Glob(schema.FS, "*.json")
	for _, name := range names {
		data, _ := schema.FS.ReadFile(name)
		var doc struct {
			ID    string `json:"$id"`
			Title string `json:"title"`
		}
		json.Unmarshal(data, &doc)
		fmt.Println(name, doc.ID, doc.Title)
	}
	// Output:
	// digest.schema.json https://github.com/trailkit/trailkit/schema/digest.schema.json CloudTrail digest file
	// logfile.schema.json https://github.com/trailkit/trailkit/schema/logfile.schema.json CloudTrail log file
	// record.schema.json https://github.com/trailkit/trailkit/schema/record.schema.json CloudTrail record
}

// Kind.Schema gives the compiled schema, for callers that use the jsonschema
// package themselves.
func ExampleKind_Schema() {
	s := schema.Record.Schema()
	fmt.Println(s.Required)
	fmt.Println(s.Properties["readOnly"].Types)
	// Output:
	// [eventVersion eventTime]
	// [boolean]
}
