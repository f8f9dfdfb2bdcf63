package httpaudit

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"

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
