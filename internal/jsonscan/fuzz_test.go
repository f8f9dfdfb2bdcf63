package jsonscan_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/trailkit/trailkit/internal/jsonscan"
)

// seeds are size- and depth-hostile inputs and the cases the scanners of
// trailkit used to disagree on.
func seeds(f *testing.F) {
	for _, s := range []string{
		`{"a":1}`, `[]`, `{}`, `""`, `0`, `-0.0e+1`, `true`, `null`,
		`{"a":1,"a":2}`, `{"a":{"b":1},"a":[2]}`,
		"{}\x00{}", "\x00", `{"a":"\u0000"}`, `"\ud800"`, `"\ud83d\ude00"`, `"\udc00\ud800"`,
		" \t\r\n[ 1 , { \"k\" : \"v w\" } ]\n",
		`"` + strings.Repeat(`\"`, 1000) + `"`,
		`"` + strings.Repeat("é", 2000) + `"`,
		strings.Repeat("9", 5000),
		"1." + strings.Repeat("0", 3000) + "1e-" + strings.Repeat("9", 100),
		strings.Repeat("[", jsonscan.MaxDepth) + strings.Repeat("]", jsonscan.MaxDepth),
		strings.Repeat("[", jsonscan.MaxDepth+1) + strings.Repeat("]", jsonscan.MaxDepth+1),
		strings.Repeat(`{"a":`, jsonscan.MaxDepth) + "1" + strings.Repeat("}", jsonscan.MaxDepth),
		strings.Repeat(`{"a":[`, 300) + strings.Repeat("]}", 300),
		strings.Repeat("[", 20000),
		"[" + strings.Repeat(`{"k":"`+strings.Repeat("x", 100)+`"},`, 500) + "1]",
		"{\"\xff\":1}", `{"a" 1}`, `[1,]`, `01`, `1e`, `"\x"`, `tru`, `{"a":1}x`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzValid: the scanner never panics, reports errors inside the input,
// and what it accepts it accepts again compacted; squeezing whitespace out
// keeps any input valid or invalid as it was, and valid input squeezes to
// its compact form.
func FuzzValid(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		err := jsonscan.Valid(data)
		sameAsSkipObject(t, data)
		sq := bytes.Clone(data)
		sq = sq[:(&jsonscan.Squeezer{}).Squeeze(sq, 0, nil)]
		if serr := jsonscan.Valid(sq); (serr == nil) != (err == nil) {
			t.Fatalf("%q (%v) squeezed to %q (%v)", data, err, sq, serr)
		}
		// A run of spaces at the end stays pending as one: more text could
		// follow.
		if err == nil && !bytes.Equal(bytes.TrimSuffix(sq, []byte(" ")), jsonscan.Compact(data)) {
			t.Fatalf("%q squeezed to %q, compacted to %q", data, sq, jsonscan.Compact(data))
		}
		if err != nil {
			var se *jsonscan.SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("%q: error %v is not a *SyntaxError", data, err)
			}
			if se.Offset < 0 || se.Offset > int64(len(data)) {
				t.Fatalf("%q: offset %d outside the input", data, se.Offset)
			}
			return
		}
		c := jsonscan.Compact(data)
		if err := jsonscan.Valid(c); err != nil {
			t.Fatalf("%q compacted to %q, which is invalid: %v", data, c, err)
		}
		if !bytes.Equal(jsonscan.Compact(c), c) {
			t.Fatalf("compacting %q twice changes it", data)
		}
	})
}

// FuzzDifferential checks the scanner against encoding/json: the same
// accept or reject on every input (but invalid UTF-8, which encoding/json
// lets through, and nesting past MaxDepth, which it accepts deeper), the
// same values for valid input (the last copy of a repeated key, numbers by
// their text, strings unescaped alike), the same compact form, and framing
// in pieces ends where parsing does.
func FuzzDifferential(f *testing.F) {
	seeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		err := jsonscan.Valid(data)
		want := json.Valid(data)
		switch {
		case err == nil && !want:
			t.Fatalf("%q: accepted, encoding/json rejects it", data)
		case err != nil && want:
			if errors.Is(err, jsonscan.ErrTooDeep) && depth(data) > jsonscan.MaxDepth {
				return
			}
			if !utf8.Valid(data) {
				return
			}
			t.Fatalf("%q: %v, encoding/json accepts it", data, err)
		case err != nil:
			return
		}
		var std any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&std); err != nil {
			t.Fatalf("%q: encoding/json: %v", data, err)
		}
		p := jsonscan.New(data, 0)
		got, err := decode(&p)
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if !reflect.DeepEqual(got, std) {
			t.Fatalf("%q: scanner read %#v, encoding/json %#v", data, got, std)
		}
		var c bytes.Buffer
		if err := json.Compact(&c, data); err != nil {
			t.Fatal(err)
		}
		if got := jsonscan.Compact(data); !bytes.Equal(got, bytes.TrimSpace(c.Bytes())) {
			t.Fatalf("%q: compact %q, encoding/json %q", data, got, c.Bytes())
		}
		checkFrame(t, data)
		if obj, ok := std.(map[string]any); ok {
			checkMembers(t, data, obj)
		}
	})
}

// sameAsSkipObject: SkipObjectMembers and SkipObjectTree accept and
// reject what SkipObject does, with the same error, and stop where it
// stops; both locate the same top-level members.
func sameAsSkipObject(t *testing.T, data []byte) {
	t.Helper()
	p, q := jsonscan.New(data, 0), jsonscan.New(data, 0)
	if p.Peek() != '{' || q.Peek() != '{' {
		return
	}
	r := q
	err := p.SkipObject()
	ms, qerr := q.SkipObjectMembers(nil)
	if fmt.Sprint(err) != fmt.Sprint(qerr) || p.Pos != q.Pos || p.Depth != q.Depth {
		t.Fatalf("%q: SkipObject %v at %d, SkipObjectMembers %v at %d", data, err, p.Pos, qerr, q.Pos)
	}
	var tree jsonscan.Tree
	tms, rerr := r.SkipObjectTree(nil, &tree)
	if fmt.Sprint(err) != fmt.Sprint(rerr) || p.Pos != r.Pos || p.Depth != r.Depth || err == nil && !slices.Equal(ms, tms) {
		t.Fatalf("%q: SkipObject %v at %d, SkipObjectTree %v at %d", data, err, p.Pos, rerr, r.Pos)
	}
	for _, o := range tree.Objects {
		if err == nil && (data[o.Start] != '{' || data[o.End-1] != '}' || o.From > o.To || int(o.To) > len(tree.Members)) {
			t.Fatalf("%q: nested object %+v", data, o)
		}
	}
	// CompactObjectMembers takes what SkipObjectMembers does, alike, when
	// no whitespace lies between its tokens, and nothing else.
	c := jsonscan.New(data, 0)
	c.Peek()
	start := c.Pos
	cms, ok := c.CompactObjectMembers([]jsonscan.Member{{Key: -1}})
	compact := err == nil && bytes.Equal(data[start:p.Pos], jsonscan.Compact(data[start:p.Pos]))
	switch {
	case ok != compact:
		t.Fatalf("%q: CompactObjectMembers took it: %v, SkipObjectMembers %v, compact %v", data, ok, err, compact)
	case ok && (c.Pos != p.Pos || !slices.Equal(cms[1:], ms) || cms[0].Key != -1):
		t.Fatalf("%q: CompactObjectMembers %v at %d, SkipObjectMembers %v at %d", data, cms, c.Pos, ms, p.Pos)
	case !ok && (c.Pos < start || c.Pos > len(data) || len(cms) != 1):
		t.Fatalf("%q: CompactObjectMembers failed at %d with %v", data, c.Pos, cms)
	}
}

// checkMembers: the members SkipObjectMembers locates in the object data
// read as encoding/json reads it, each key and value on its own, the last
// copy of a key winning.
func checkMembers(t *testing.T, data []byte, want map[string]any) {
	t.Helper()
	p := jsonscan.New(data, 0)
	p.Peek()
	ms, err := p.SkipObjectMembers(nil)
	if err != nil {
		t.Fatalf("%q: %v", data, err)
	}
	got := map[string]any{}
	for _, m := range ms {
		kp := jsonscan.New(data[m.Key:m.KeyEnd], 0)
		key, err := kp.Str()
		if err != nil || kp.Pos != len(kp.Buf) {
			t.Fatalf("%q: key %q: %v", data, data[m.Key:m.KeyEnd], err)
		}
		if m.Escaped != bytes.Contains(data[m.Key:m.KeyEnd], []byte{'\\'}) {
			t.Fatalf("%q: key %q: Escaped %v", data, data[m.Key:m.KeyEnd], m.Escaped)
		}
		vp := jsonscan.New(data[m.Value:m.End], 0)
		v, err := decode(&vp)
		if err != nil || vp.Pos != len(vp.Buf) {
			t.Fatalf("%q: value %q of %q: %v", data, data[m.Value:m.End], key, err)
		}
		got[key] = v
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: members read %#v, encoding/json %#v", data, got, want)
	}
}

// decode builds the value at p as encoding/json does into an any with
// UseNumber, from the scanner's primitives.
func decode(p *jsonscan.Parser) (any, error) {
	switch c := p.Peek(); c {
	case '{':
		m := map[string]any{}
		err := p.Members(func(key string) error {
			v, err := decode(p)
			m[key] = v // a later copy replaces an earlier one
			return err
		})
		return m, err
	case '[':
		l := []any{}
		err := p.Elements(func(int) error {
			v, err := decode(p)
			l = append(l, v)
			return err
		})
		return l, err
	case '"':
		return p.Str()
	case 't', 'f':
		return c == 't', p.Literal(map[byte]string{'t': "true", 'f': "false"}[c])
	case 'n':
		return nil, p.Literal("null")
	}
	n, err := p.Number()
	return json.Number(n), err
}

// checkFrame frames a valid value three bytes at a time and checks that
// the framer ends it where the parser does.
func checkFrame(t *testing.T, data []byte) {
	t.Helper()
	p := jsonscan.New(data, 0)
	start, err := p.Skip()
	if err != nil {
		t.Fatal(err)
	}
	var f jsonscan.Framer
	i := start
	for n := start; ; n += 3 {
		n = min(n, len(data))
		end, done, err := f.Next(data[start:n], i-start)
		if err != nil {
			t.Fatalf("%q: framing: %v", data, err)
		}
		i = start + end
		if done || n == len(data) {
			if !done && !f.AtScalarEnd() {
				t.Fatalf("%q: framing did not end", data)
			}
			if i != p.Pos {
				t.Fatalf("%q: framed to %d, parsed to %d", data, i, p.Pos)
			}
			return
		}
	}
}

// depth is the deepest nesting of valid JSON data.
func depth(data []byte) int {
	dec := json.NewDecoder(bytes.NewReader(data))
	d, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF || err != nil {
			return deepest
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			d++
			deepest = max(deepest, d)
		case json.Delim('}'), json.Delim(']'):
			d--
		}
	}
}
