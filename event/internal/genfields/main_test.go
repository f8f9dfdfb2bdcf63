package main

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The table in the repository parses and generates the file beside it.
func TestTableGeneratesCommittedFile(t *testing.T) {
	f, err := os.Open("../../fields.txt")
	require.NoError(t, err)
	defer f.Close()
	types, err := parse(f, "fields.txt")
	require.NoError(t, err)
	src, err := generate(types, "fields.txt")
	require.NoError(t, err)
	want, err := os.ReadFile("../../fields_gen.go")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(src), "run go generate ./event")
}

func TestTableErrors(t *testing.T) {
	tests := []struct {
		name, table, want string
	}{
		{"member before type", "\ta A string -\n", "t:1: a member before the first type"},
		{"bad type line", "type A\n", `t:1: want "type Name receiver"`},
		{"short member", "type A a\n\tx X string\n", `t:2: want "jsonName GoField GoType since`},
		{"unknown Go type", "type A a\n\tx X int -\n", "type A: x: unknown Go type int"},
		{"unknown object", "type A a\n\tb B *B -\n", "type A: b: type B is not in the table"},
		{"repeated member", "type A a\n\tx X string -\n\tx Y string -\n", "type A: x (Y) twice"},
		{"repeated type", "type A a\n\tx X string -\ntype A a\n\tx X string -\n", "type A twice"},
		{"no members", "type A a\n", "type A: 0 members"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(strings.NewReader(tt.table), "t")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}
