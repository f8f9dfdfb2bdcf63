package jsonscan_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/trailkit/trailkit/internal/jsonscan"
)

func TestValid(t *testing.T) {
	tests := []struct {
		name, in string
		msg      string // "" when valid
		offset   int64
	}{
		{"object", `{"a":[1,-2.5e3,true,false,null,"x\u00e9\n"]}`, "", 0},
		{"whitespace around", " \t\n{ \"a\" : 1 }\r\n", "", 0},
		{"NUL after the value", "{}\x00", `unexpected '\x00' after the value`, 2},
		{"second value", `1 2`, `unexpected '2' after the value`, 2},
		{"NUL in a string", "\"a\x00\"", "control character 0x00 in string", 2},
		{"bad escape", `"\x"`, `invalid escape \x`, 1},
		{"bad UTF-8", "\"\xff\"", "invalid UTF-8", 1},
		{"leading zero", `01`, `unexpected '1' after the value`, 1},
		{"empty", ``, "unexpected end of input, want a value", 0},
		{"missing colon", `{"a" 1}`, `unexpected '1', want ':'`, 5},
		{"trailing comma", `[1,]`, `unexpected ']', want a value`, 3},
		{"depth at the limit", strings.Repeat("[", jsonscan.MaxDepth) + strings.Repeat("]", jsonscan.MaxDepth), "", 0},
		{"depth past the limit", strings.Repeat("[", jsonscan.MaxDepth+1) + strings.Repeat("]", jsonscan.MaxDepth+1), "nested deeper than 512 levels", jsonscan.MaxDepth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := jsonscan.Valid([]byte(tt.in))
			if tt.msg == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
			var se *jsonscan.SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.offset, se.Offset, "offset")
		})
	}
}

func TestTooDeepWrapsSentinel(t *testing.T) {
	err := jsonscan.Valid([]byte(strings.Repeat(`{"a":`, 600)))
	assert.True(t, errors.Is(err, jsonscan.ErrTooDeep), "%v", err)
}

func TestFramer(t *testing.T) {
	tests := []struct {
		name string
		in   string
		end  int  // where the value ends
		done bool // without the end of input
	}{
		{"object", `{"a":"}"} x`, 9, true},
		{"escaped quote", `"a\"b" x`, 6, true},
		{"escaped backslash", `"a\\" x`, 5, true},
		{"scalar before a comma", `123,4`, 3, true},
		{"scalar before a bracket", `true]`, 4, true},
		{"scalar at the end of input", `123`, 3, false},
		{"open object", `{"a":[1,2`, 9, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f jsonscan.Framer
			end, done, err := f.Next([]byte(tt.in), 0)
			require.NoError(t, err)
			assert.Equal(t, tt.end, end)
			assert.Equal(t, tt.done, done)
		})
	}
}

// TestFramerInPieces: framing byte by byte finds the same end as framing
// the whole, however a string or an escape is split.
func TestFramerInPieces(t *testing.T) {
	in := []byte(`{"k\"ey":["a\\\\",{"b":"\"}\""}],"c":1} rest`)
	var whole jsonscan.Framer
	want, done, err := whole.Next(in, 0)
	require.NoError(t, err)
	require.True(t, done)
	var f jsonscan.Framer
	i := 0
	for n := 1; n <= len(in); n++ {
		end, done, err := f.Next(in[:n], i)
		require.NoError(t, err)
		i = end
		if done {
			assert.Equal(t, want, end)
			return
		}
	}
	t.Fatal("never done")
}

func TestFramerTooDeep(t *testing.T) {
	var f jsonscan.Framer
	end, _, err := f.Next([]byte(strings.Repeat("[", jsonscan.MaxDepth+1)), 0)
	assert.ErrorIs(t, err, jsonscan.ErrTooDeep)
	assert.Equal(t, jsonscan.MaxDepth, end)
}

func TestAppendCompact(t *testing.T) {
	in := "{ \"a b\" : [ 1 ,\n\t\"x \\\" y\" ] }"
	assert.Equal(t, `{"a b":[1,"x \" y"]}`, string(jsonscan.AppendCompact(nil, []byte(in))))
}

func TestAppendString(t *testing.T) {
	assert.Equal(t, `"<&é\"\\\n\u0001\ufffd"`, string(jsonscan.AppendString(nil, "<&é\"\\\n\x01\xff")))
	// Each byte that needs care, at each place of a string longer than
	// the eight bytes AppendString skips at once, as encoding/json
	// writes it without HTML escaping.
	for _, special := range []string{`"`, `\`, "\n", "\x01", "\x1f", "\xff", "é", "\x7f"} {
		for i := range 20 {
			s := strings.Repeat("a", i) + special + strings.Repeat("b", 19-i)
			var want bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetEscapeHTML(false)
			require.NoError(t, enc.Encode(s))
			assert.Equal(t, strings.TrimSuffix(want.String(), "\n"), string(jsonscan.AppendString(nil, s)), "%q", s)
		}
	}
}

func TestSqueeze(t *testing.T) {
	tests := []struct{ in, want string }{
		{" { \"a b\" : [ 1 , 2 ] ,\n\t\"c\" : \"x \\\" y\" } ", `{"a b":[1,2],"c":"x \" y"}`},
		{"[1 2]", "[1 2]"},       // invalid stays invalid
		{"[tru   e]", "[tru e]"}, // and does not become valid
		{"[1 ,2 ]", "[1,2]"},     // a pending space before punctuation goes
		{`"\\" "a"`, `"\\""a"`},  // an escaped backslash ends before the quote
		{"\x00 1", "\x00 1"},     // NUL is not whitespace, nor punctuation
		{"   ", ""},
	}
	for _, tt := range tests {
		b := []byte(tt.in)
		n := (&jsonscan.Squeezer{}).Squeeze(b, 0, nil)
		assert.Equal(t, tt.want, string(b[:n]), "%q", tt.in)
		assert.Equal(t, jsonscan.Valid([]byte(tt.in)) == nil, jsonscan.Valid(b[:n]) == nil, "%q: validity kept", tt.in)
	}
}

// TestSqueezeInPieces: squeezing a piece at a time, cut anywhere (inside
// an escape, a run of spaces, a literal), gives what squeezing the whole
// does, and marks follow their bytes.
func TestSqueezeInPieces(t *testing.T) {
	in := "{ \"k\\\\\\\" y\" :  [ tru  e , 1 ,\"a\"  ] ,  \"z\" : null }"
	whole := []byte(in)
	want := whole[:(&jsonscan.Squeezer{}).Squeeze(whole, 0, nil)]
	for cut := 0; cut <= len(in); cut++ {
		b := []byte(in)
		var z jsonscan.Squeezer
		at := strings.Index(in, "null")
		marks := []int{at}
		n := z.Squeeze(b[:cut], 0, marks[:0])
		// The next bytes arrive after the squeezed text.
		n2 := copy(b[n:], in[cut:])
		if at >= cut {
			marks[0] = n + (at - cut)
		} else {
			marks = nil
		}
		end := z.Squeeze(b[:n+n2], n, marks)
		assert.Equal(t, string(want), string(b[:end]), "cut at %d", cut)
		if marks != nil {
			assert.Equal(t, "null", string(b[marks[0]:marks[0]+4]), "cut at %d", cut)
		}
	}
}

// TestSkipObjectMembers: the object's own members, in order, repeats
// included, keys escaped or not, whitespace around them left out; an
// error where SkipObject has it.
func TestSkipObjectMembers(t *testing.T) {
	in := `{ "a" : 1 ,"b\u0062":{"c":[2,{"d":3}]},"a":"x,}" , "e":{}}`
	p := jsonscan.New([]byte(in), 0)
	ms, err := p.SkipObjectMembers(nil)
	require.NoError(t, err)
	assert.Equal(t, len(in), p.Pos)
	type member struct {
		key, value string
		escaped    bool
	}
	var got []member
	for _, m := range ms {
		got = append(got, member{in[m.Key:m.KeyEnd], in[m.Value:m.End], m.Escaped})
	}
	assert.Equal(t, []member{
		{`"a"`, `1`, false}, {`"b\u0062"`, `{"c":[2,{"d":3}]}`, true}, {`"a"`, `"x,}"`, false}, {`"e"`, `{}`, false},
	}, got)

	for _, bad := range []string{`{"a":1,}`, `{"a\x":1}`, `{"a":[}`, `{"a":1`, `{1:2}`} {
		p := jsonscan.New([]byte(bad), 0)
		_, err := p.SkipObjectMembers(nil)
		q := jsonscan.New([]byte(bad), 0)
		want := q.SkipObject()
		require.Error(t, want, bad)
		assert.Equal(t, want.Error(), err.Error(), bad)
	}
}

// TestSkipObjectTree: the top-level members as SkipObjectMembers has
// them, and every object nested through members (not in arrays), inner
// ones first, each with its own members; an error where SkipObject has it.
func TestSkipObjectTree(t *testing.T) {
	in := `{ "a" : 1 ,"b\u0062":{"c":[2,{"d":3}], "f" : {"g":{}}},"a":"x,}" , "e":{}}`
	p, q := jsonscan.New([]byte(in), 0), jsonscan.New([]byte(in), 0)
	var tree jsonscan.Tree
	ms, err := p.SkipObjectTree(nil, &tree)
	require.NoError(t, err)
	want, err := q.SkipObjectMembers(nil)
	require.NoError(t, err)
	assert.Equal(t, want, ms)
	assert.Equal(t, len(in), p.Pos)
	var got [][]string // per object: its text, then key, value, ...
	for _, o := range tree.Objects {
		obj := []string{in[o.Start:o.End]}
		for _, m := range tree.Members[o.From:o.To] {
			obj = append(obj, in[m.Key:m.KeyEnd], in[m.Value:m.End])
		}
		got = append(got, obj)
	}
	assert.Equal(t, [][]string{
		{`{}`},
		{`{"g":{}}`, `"g"`, `{}`},
		{`{"c":[2,{"d":3}], "f" : {"g":{}}}`, `"c"`, `[2,{"d":3}]`, `"f"`, `{"g":{}}`},
		{`{}`},
	}, got)

	// Within names the top-level members whose objects are recorded:
	// "e" holds one; "bb" is written with an escape, so never named.
	for _, tc := range []struct {
		within []string
		want   int // objects recorded
	}{{[]string{"e"}, 1}, {[]string{"bb"}, 0}, {[]string{"x", "e"}, 1}} {
		p := jsonscan.New([]byte(in), 0)
		tree := jsonscan.Tree{Within: tc.within}
		_, err := p.SkipObjectTree(nil, &tree)
		require.NoError(t, err)
		assert.Len(t, tree.Objects, tc.want, "Within %q", tc.within)
	}
	in2 := `{"u":{"s":{"t":1}},"r":{"x":{}}}`
	p = jsonscan.New([]byte(in2), 0)
	tree = jsonscan.Tree{Within: []string{"u"}}
	_, err = p.SkipObjectTree(nil, &tree)
	require.NoError(t, err)
	var texts []string
	for _, o := range tree.Objects {
		texts = append(texts, in2[o.Start:o.End])
	}
	assert.Equal(t, []string{`{"t":1}`, `{"s":{"t":1}}`}, texts)

	for _, bad := range []string{`{"a":1,}`, `{"a":{"b":1,}}`, `{"a":{"b\x":1}}`, `{"a":{"b":[}}`, `{"a":{"b":1}`, `{"a":{1:2}}`} {
		p := jsonscan.New([]byte(bad), 0)
		_, err := p.SkipObjectTree(nil, &tree)
		q := jsonscan.New([]byte(bad), 0)
		want := q.SkipObject()
		require.Error(t, want, bad)
		assert.Equal(t, want.Error(), err.Error(), bad)
	}
}
