package redact_test

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/event/redact"
)

func ExampleRedactor_Record() {
	x := redact.MustNew(
		"requestParameters.password",
		"responseElements.credentials.secretAccessKey",
	)
	rec := event.New("users.example.com", "CreateUser")
	rec.RequestParameters = json.RawMessage(`{"userName":"bob","password":"hunter2"}`)
	rec.ResponseElements = json.RawMessage(`{"credentials":{"accessKeyId":"AKIAEXAMPLE","secretAccessKey":"wJalrXUtnFEMI"}}`)
	if err := x.Record(rec); err != nil {
		fmt.Println(err)
	}
	fmt.Println(string(rec.RequestParameters))
	fmt.Println(string(rec.ResponseElements))
	// Output:
	// {"userName":"bob","password":"HIDDEN_DUE_TO_SECURITY_REASONS"}
	// {"credentials":{"accessKeyId":"AKIAEXAMPLE","secretAccessKey":"HIDDEN_DUE_TO_SECURITY_REASONS"}}
}

func ExampleMarshal() {
	type Credentials struct {
		AccessKeyID     string `json:"accessKeyId"`
		SecretAccessKey string `json:"secretAccessKey" trailkit:"sensitive"`
	}
	type CreateKeyOutput struct {
		UserName    string      `json:"userName"`
		Credentials Credentials `json:"credentials"`
	}
	raw, err := redact.Marshal(CreateKeyOutput{"bob", Credentials{"AKIAEXAMPLE", "wJalrXUtnFEMI"}})
	fmt.Println(string(raw), err)
	// Output: {"userName":"bob","credentials":{"accessKeyId":"AKIAEXAMPLE","secretAccessKey":"HIDDEN_DUE_TO_SECURITY_REASONS"}} <nil>
}

func ExampleLimit() {
	rec := event.New("files.example.com", "PutDocument")
	rec.RequestParameters = json.RawMessage(`{"body":"` + strings.Repeat("x", 200<<10) + `"}`)
	res := redact.Limit(rec, 0)
	for _, c := range res.Cuts {
		fmt.Println(c.Field, c.Action, c.Bytes)
	}
	fmt.Println(string(rec.RequestParameters), res.Fits)
	// Output:
	// requestParameters omitted 204811
	// {"omitted":true} true
}
