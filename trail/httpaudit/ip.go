package httpaudit

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// sourceIP returns the client's address: the peer's, or, when the peer is a
// trusted proxy, the first address in the forwarding headers (read from the
// nearest hop outwards) that is not itself a trusted proxy. Forwarded (RFC
// 7239) is read when present, X-Forwarded-For otherwise.
func (m *Middleware) sourceIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if len(m.trusted) == 0 {
		return host
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !m.isTrusted(peer) {
		return host
	}
	var hops []string
	if fwd := r.Header.Values("Forwarded"); len(fwd) > 0 {
		hops = forwardedFor(fwd)
	} else {
		for _, line := range r.Header.Values("X-Forwarded-For") {
			for h := range strings.SplitSeq(line, ",") {
				hops = append(hops, strings.TrimSpace(h))
			}
		}
	}
	client := host
	for i := len(hops) - 1; i >= 0; i-- {
		addr, ok := parseHop(hops[i])
		if !ok {
			break // nothing further out can be believed
		}
		client = addr.String()
		if !m.isTrusted(addr) {
			break
		}
	}
	return client
}

func (m *Middleware) isTrusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range m.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// forwardedFor returns the for= parameter of each element of Forwarded
// header lines, in order; an element without one gives "".
func forwardedFor(lines []string) []string {
	var out []string
	for _, line := range lines {
		for elem := range strings.SplitSeq(line, ",") {
			v := ""
			for pair := range strings.SplitSeq(elem, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(pair), "=")
				if ok && strings.EqualFold(k, "for") {
					v = strings.Trim(strings.TrimSpace(val), `"`)
				}
			}
			out = append(out, v)
		}
	}
	return out
}

// parseHop reads an address as forwarding headers write it: bare, with a
// port, or bracketed IPv6 with or without a port.
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		if a, err := netip.ParseAddr(s[1 : len(s)-1]); err == nil {
			return a, true
		}
	}
	return netip.Addr{}, false
}
