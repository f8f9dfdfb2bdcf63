package event_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/trailkit/trailkit/event"
)

func ExampleRead() {
	logFile := `{"Records":[
	  {"eventVersion":"1.08","eventTime":"2024-03-13T08:33:30Z","eventSource":"signin.amazonaws.com",
	   "eventName":"ConsoleLogin","awsRegion":"us-east-1","userIdentity":{"type":"Root"},
	   "responseElements":{"ConsoleLogin":"Failure"}},
	  {"eventVersion":"1.08","eventTime":"2024-03-13T08:34:02Z","eventSource":"s3.amazonaws.com",
	   "eventName":"ListBuckets","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","userName":"alice"}}
	]}`
	for rec, err := range event.Read(strings.NewReader(logFile)) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Println(rec.EventTime.Format(time.Kitchen), rec.EventName, rec.UserIdentity.Type, string(rec.ResponseElements))
	}
	// Output:
	// 8:33AM ConsoleLogin Root {"ConsoleLogin":"Failure"}
	// 8:34AM ListBuckets IAMUser
}

func ExampleNew() {
	rec := event.New("orders.example.com", "CreateOrder")
	rec.AWSRegion = "eu-west-1"
	rec.SourceIPAddress = "198.51.100.7"
	rec.UserIdentity = &event.UserIdentity{Type: "IAMUser", AccountID: "111122223333", UserName: "alice"}
	rec.RequestParameters = []byte(`{"sku":"A-17","quantity":2}`)
	rec.ReadOnly = event.Bool(false)
	rec.Fill("111122223333", time.Now())
	fmt.Println(rec.Validate(), rec.EventVersion, rec.EventType, rec.EventCategory, *rec.ManagementEvent)
	// Output: <nil> 1.11 AwsApiCall Management true
}

func ExampleUnmarshal() {
	// An unknown key and a boolean where CloudTrail writes a string: both
	// are kept and written back where they were.
	in := `{"eventVersion":"1.05","userIdentity":{"type":"AssumedRole","sessionContext":{"attributes":{"mfaAuthenticated":true}}},"newField":{"x":9007199254740993}}`
	var rec event.Record
	if err := event.Unmarshal([]byte(in), &rec); err != nil {
		panic(err)
	}
	fmt.Println(rec.Extra[0].Key, string(rec.Extra[0].Value))
	fmt.Println(string(rec.AppendJSON(nil)) == in)
	// Output:
	// newField {"x":9007199254740993}
	// true
}

func ExampleLogWriter() {
	var file bytes.Buffer
	lw, err := event.NewLogWriter(&file, event.LogWriterOptions{})
	if err != nil {
		panic(err)
	}
	rec := &event.Record{EventVersion: "1.11", EventName: "Ping", EventTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := lw.Write(rec); err != nil {
		panic(err)
	}
	if err := lw.Close(); err != nil {
		panic(err)
	}
	sum := lw.SHA256()
	fmt.Printf("sha256 of the uncompressed file: %x…\n", sum[:4])

	sc := event.NewScanner(&file)
	for sc.Scan() {
		fmt.Printf("%s\n", sc.Bytes())
	}
	// Output:
	// sha256 of the uncompressed file: fde08987…
	// {"eventVersion":"1.11","eventTime":"2026-01-02T03:04:05Z","eventName":"Ping"}
}

func ExampleGet() {
	var rec event.Record
	err := event.Unmarshal([]byte(`{"eventName":"PutBucketPolicy","requestParameters":{"bucketName":"logs",
		"policy":"{\"Statement\":[{\"Effect\":\"Deny\"}]}","size":9007199254740993}}`), &rec)
	if err != nil {
		panic(err)
	}

	bucket, _ := event.Get(rec.RequestParameters, "bucketName").Text()
	size, _ := event.Get(rec.RequestParameters, "size").Int()
	policy, _ := event.Get(rec.RequestParameters, "policy").Text() // a JSON document in a string
	effect, _ := event.Get([]byte(policy), "Statement", "0", "Effect").Text()
	fmt.Println(bucket, size, effect)
	// Output: logs 9007199254740993 Deny
}
