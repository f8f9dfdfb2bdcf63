package httpaudit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/trailkit/trailkit/event/redact"
)

// A Decoder builds requestParameters from a request after its handler ran:
// from its path values, query, headers or body (what the handler read of
// it). It returns a JSON value (an object, as CloudTrail writes), or nil
// for requestParameters null. It must not keep body.Bytes. An error is
// counted in Stats.DecodeErrors and reported; the record then has
// requestParameters null.
type Decoder func(r *http.Request, body Body) (json.RawMessage, error)

// JSONBody uses the request body as requestParameters when it is a JSON
// object, compacted. An empty body gives null. A body larger than
// MaxBodyBytes gives {"omitted":true}, as CloudTrail writes parameters it
// will not log whole; a body that is not a JSON object is an error.
func JSONBody() Decoder {
	return func(r *http.Request, body Body) (json.RawMessage, error) {
		if body.Truncated {
			return redact.Omitted, nil
		}
		b := bytes.TrimSpace(body.Bytes)
		if len(b) == 0 {
			return nil, nil
		}
		if b[0] != '{' || !json.Valid(b) {
			return nil, errors.New("request body is not a JSON object")
		}
		var out bytes.Buffer
		out.Grow(len(b))
		if err := json.Compact(&out, b); err != nil {
			return nil, err
		}
		return out.Bytes(), nil
	}
}

// Typed decodes the body into a T with encoding/json and encodes it again
// with redact.Marshal, so that the fields of T tagged `trailkit:"sensitive"`
// are hidden and members T does not know are left out. An empty body gives
// null; a body larger than MaxBodyBytes gives {"omitted":true}.
func Typed[T any]() Decoder {
	return func(r *http.Request, body Body) (json.RawMessage, error) {
		if body.Truncated {
			return redact.Omitted, nil
		}
		if len(bytes.TrimSpace(body.Bytes)) == 0 {
			return nil, nil
		}
		var v T
		if err := json.Unmarshal(body.Bytes, &v); err != nil {
			return nil, fmt.Errorf("decode %T: %w", v, err)
		}
		return redact.Marshal(v)
	}
}

// PathValues gives the values of the route's wildcards, by name:
// {"id":"17"} for GET /orders/{id}.
func PathValues() Decoder {
	return func(r *http.Request, _ Body) (json.RawMessage, error) {
		names := wildcards(r.Pattern)
		if len(names) == 0 {
			return nil, nil
		}
		m := make(map[string]string, len(names))
		for _, n := range names {
			m[n] = r.PathValue(n)
		}
		return redact.Marshal(m)
	}
}

// Query gives the URL query: each parameter as a string, or an array of
// strings when it is repeated.
func Query() Decoder {
	return func(r *http.Request, _ Body) (json.RawMessage, error) {
		q := r.URL.Query()
		if len(q) == 0 {
			return nil, nil
		}
		m := make(map[string]any, len(q))
		for k, vs := range q {
			if len(vs) == 1 {
				m[k] = vs[0]
			} else {
				m[k] = vs
			}
		}
		return redact.Marshal(m)
	}
}

// Merge combines decoders whose results are objects into one object, in
// order; a later decoder's member replaces an earlier one of the same name.
// Members keep the order they first came in. Nil results are skipped.
func Merge(decoders ...Decoder) Decoder {
	return func(r *http.Request, body Body) (json.RawMessage, error) {
		var keys []string
		vals := map[string]json.RawMessage{}
		for _, d := range decoders {
			raw, err := d(r, body)
			if err != nil {
				return nil, err
			}
			if raw == nil || string(raw) == "null" {
				continue
			}
			err = members(raw, func(k string, v json.RawMessage) {
				if _, ok := vals[k]; !ok {
					keys = append(keys, k)
				}
				vals[k] = v
			})
			if err != nil {
				return nil, fmt.Errorf("merge: %w", err)
			}
		}
		if keys == nil {
			return nil, nil
		}
		var b bytes.Buffer
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			b.Write(vals[k])
		}
		b.WriteByte('}')
		return b.Bytes(), nil
	}
}

// members calls fn for each member of the JSON object raw, in order.
func members(raw json.RawMessage, fn func(string, json.RawMessage)) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errors.New("not a JSON object")
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		fn(tok.(string), v)
	}
	return nil
}

// wildcards lists the wildcard names of a ServeMux pattern.
func wildcards(pattern string) []string {
	var names []string
	for {
		i := strings.IndexByte(pattern, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(pattern[i:], '}')
		if j < 0 {
			return names
		}
		name := strings.TrimSuffix(pattern[i+1:i+j], "...")
		if name != "$" && name != "" {
			names = append(names, name)
		}
		pattern = pattern[i+j+1:]
	}
}
