package httpaudit

import (
	"net"
	"net/http"

	"github.com/trailkit/trailkit/internal/auditq"
)

// sourceIP returns the client's address: the peer's, or, when the peer is a
// trusted proxy, the first address in the forwarding headers that is not
// itself a trusted proxy (see auditq.SourceIP).
func (m *Middleware) sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return auditq.SourceIP(host, m.trusted, r.Header.Values("Forwarded"), r.Header.Values("X-Forwarded-For"))
}
