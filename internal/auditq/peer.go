package auditq

import (
	"net/netip"
	"strings"
	"unicode/utf8"
)

// SourceIP returns the client's address: host (the peer's), or, when the
// peer is in one of trusted, the first address in the forwarding hops (read
// from the nearest hop outwards) that is not itself in trusted. forwarded
// are Forwarded header lines (RFC 7239), read when present; xForwardedFor
// are X-Forwarded-For lines, read otherwise.
func SourceIP(host string, trusted []netip.Prefix, forwarded, xForwardedFor []string) string {
	if len(trusted) == 0 {
		return host
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || !isTrusted(trusted, peer) {
		return host
	}
	var hops []string
	if len(forwarded) > 0 {
		hops = forwardedFor(forwarded)
	} else {
		for _, line := range xForwardedFor {
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
		if !isTrusted(trusted, addr) {
			break
		}
	}
	return client
}

func isTrusted(trusted []netip.Prefix, a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ValidUTF8 keeps values that are not UTF-8 (header values, metadata) from
// reaching a record: each invalid byte becomes U+FFFD, as JSON encoders
// write it.
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
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

// AddMember adds a member ("name":value) to a JSON object, or makes an
// object of it when obj is not one.
func AddMember(obj []byte, member string) []byte {
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return []byte("{" + member + "}")
	}
	out := make([]byte, 0, len(obj)+len(member)+1)
	out = append(out, obj[:len(obj)-1]...)
	if len(obj) > 2 {
		out = append(out, ',')
	}
	out = append(out, member...)
	return append(out, '}')
}
