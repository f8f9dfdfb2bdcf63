package httpaudit

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/trailkit/trailkit/event"
	"github.com/trailkit/trailkit/event/redact"
)

// FromContext returns the record being built for the request whose context
// ctx is (or derives from), or nil outside the middleware. A handler may set
// any field; the middleware fills only the fields left empty. Use it only
// while the handler runs: the record is emitted when it returns.
func FromContext(ctx context.Context) *event.Record {
	if b, ok := ctx.Value(ctxKey{}).(*box); ok {
		return &b.rec
	}
	return nil
}

// SetError records the request as failed with a code and message of the
// service's own, such as "OrderNotFound" (CloudTrail's errorCode and
// errorMessage), instead of the ones derived from the status code.
func SetError(ctx context.Context, code, message string) {
	if rec := FromContext(ctx); rec != nil {
		rec.ErrorCode, rec.ErrorMessage = code, message
	}
}

// SetResponse records v, encoded with redact.Marshal (fields tagged
// `trailkit:"sensitive"` hidden), as responseElements.
func SetResponse(ctx context.Context, v any) error {
	rec := FromContext(ctx)
	if rec == nil {
		return nil
	}
	raw, err := redact.Marshal(v)
	if err != nil {
		return err
	}
	rec.ResponseElements = raw
	return nil
}

// SetResponseElements records raw, a JSON value, as responseElements.
func SetResponseElements(ctx context.Context, raw json.RawMessage) {
	if rec := FromContext(ctx); rec != nil {
		rec.ResponseElements = raw
	}
}

// SetIdentity records who made the request, for services that learn it in
// the handler (after authenticating) rather than from the request alone.
func SetIdentity(ctx context.Context, id *event.UserIdentity) {
	if rec := FromContext(ctx); rec != nil {
		rec.UserIdentity = id
	}
}

// statusErrors holds errorCode and errorMessage for each error status:
// "NotFound" and "Not Found".
var statusErrors [600][2]string

func init() {
	for code := 400; code < 600; code++ {
		text := http.StatusText(code)
		if text == "" {
			continue
		}
		var b []byte
		up := true
		for _, c := range []byte(text) {
			switch {
			case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
				if up && c >= 'a' && c <= 'z' {
					c -= 'a' - 'A'
				}
				b = append(b, c)
				up = false
			default:
				up = true
			}
		}
		statusErrors[code] = [2]string{string(b), text}
	}
}

// statusError derives errorCode and errorMessage from an error status.
func statusError(status int) (code, message string) {
	if status >= 400 && status < len(statusErrors) && statusErrors[status][0] != "" {
		e := statusErrors[status]
		return e[0], e[1]
	}
	if status >= 500 {
		return "InternalError", "HTTP status " + strconv.Itoa(status)
	}
	return "ClientError", "HTTP status " + strconv.Itoa(status)
}

// newID returns a random (version 4) UUID for eventID and requestID. The
// bits come from math/rand/v2, whose global source is ChaCha8 seeded by the
// operating system: unique and unpredictable enough for identifiers, which
// are not secrets, at a fraction of the cost of reading crypto/rand per
// request.
func newID() string {
	var u uuid.UUID
	binary.LittleEndian.PutUint64(u[:8], rand.Uint64())
	binary.LittleEndian.PutUint64(u[8:], rand.Uint64())
	u[6] = u[6]&0x0f | 0x40 // version 4
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:], u[10:])
	return string(s[:])
}
