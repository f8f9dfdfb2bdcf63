package redact_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/event/redact"
)

type credentials struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey" trailkit:"sensitive"`
	SessionToken    string `json:"sessionToken" trailkit:"sensitive"`
}

type Audit struct {
	Actor string `json:"actor"`
	Token string `trailkit:"sensitive"` // no json tag: the Go name
}

type tree struct {
	Name     string  `json:"name"`
	Secret   int     `json:"secret,omitempty" trailkit:"sensitive"`
	Children []*tree `json:"children,omitempty"`
}

type createUserInput struct {
	Audit                              // embedded: fields promoted
	UserName    string                 `json:"userName"`
	Password    string                 `json:"password" trailkit:"sensitive"`
	Credentials *credentials           `json:"credentials,omitempty"`
	Keys        []credentials          `json:"keys"`
	ByRegion    map[string]credentials `json:"byRegion"`
	Whole       map[string]string      `json:"whole" trailkit:"sensitive"`
	Ignored     string                 `json:"-" trailkit:"sensitive"`
	Note        string                 `json:"note" trailkit:"other"`
	Tree        tree                   `json:"tree"`
	private     string
}

func TestTaggedPaths(t *testing.T) {
	got := redact.TaggedPaths(reflect.TypeOf(createUserInput{}))
	assert.ElementsMatch(t, []string{
		"Token", "password",
		"credentials.secretAccessKey", "credentials.sessionToken",
		"keys.secretAccessKey", "keys.sessionToken",
		"byRegion.*.secretAccessKey", "byRegion.*.sessionToken",
		"whole", "tree.secret",
	}, got)
}

func TestMarshal(t *testing.T) {
	in := createUserInput{
		Audit:       Audit{Actor: "admin", Token: "tok"},
		UserName:    "bob<&>",
		Password:    "hunter2",
		Credentials: &credentials{AccessKeyID: "AKIA1", SecretAccessKey: "s1", SessionToken: "t1"},
		Keys:        []credentials{{AccessKeyID: "AKIA2", SecretAccessKey: "s2"}},
		ByRegion:    map[string]credentials{"eu-west-1": {AccessKeyID: "AKIA3", SecretAccessKey: "s3"}},
		Whole:       map[string]string{"a": "b"},
		Ignored:     "not encoded",
		Note:        "visible",
		Tree:        tree{Name: "root", Secret: 7, Children: []*tree{{Name: "leaf", Secret: 8}}},
		private:     "x",
	}
	got, err := redact.Marshal(in)
	require.NoError(t, err)
	const H = `"HIDDEN_DUE_TO_SECURITY_REASONS"`
	want := `{"actor":"admin","Token":` + H + `,"userName":"bob<&>","password":` + H +
		`,"credentials":{"accessKeyId":"AKIA1","secretAccessKey":` + H + `,"sessionToken":` + H + `}` +
		`,"keys":[{"accessKeyId":"AKIA2","secretAccessKey":` + H + `,"sessionToken":` + H + `}]` +
		`,"byRegion":{"eu-west-1":{"accessKeyId":"AKIA3","secretAccessKey":` + H + `,"sessionToken":` + H + `}}` +
		`,"whole":` + H + `,"note":"visible","tree":{"name":"root","secret":` + H +
		`,"children":[{"name":"leaf","secret":` + H + `}]}}`
	assert.Equal(t, want, string(got))

	// A pointer to the value gives the same, and a nil pointer field stays out.
	in.Credentials = nil
	got, err = redact.Marshal(&in)
	require.NoError(t, err)
	assert.NotContains(t, string(got), "credentials")
	assert.NotContains(t, string(got), "hunter2")
}

func TestMarshalUntypedAndErrors(t *testing.T) {
	got, err := redact.Marshal(map[string]any{"a": 1})
	require.NoError(t, err)
	assert.Equal(t, `{"a":1}`, string(got))

	_, err = redact.Marshal(func() {})
	assert.ErrorContains(t, err, "func()")
}
