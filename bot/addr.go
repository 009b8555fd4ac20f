package bot

import (
	"net/netip"
	"strconv"
	"strings"
)

// Address guard: one classification of a callback's host, used by intake
// when a callback_url arrives and by the callback client when it dials, so
// that no spelling of an address passes one and not the other.

// HostClass is what a host of a URL turns out to be.
type HostClass int

const (
	// HostName is a DNS name: its addresses are checked once resolved.
	HostName HostClass = iota
	// HostPublic is a public internet address.
	HostPublic
	// HostInternal is an address callbacks must not reach unless allowed
	// (loopback, private, link-local, reserved…), or a localhost name.
	HostInternal
	// HostInvalid is neither a name nor an address: a number that is no
	// address ("1.2.3.256"), or a name with an empty label ("0..1").
	// Resolvers disagree on what it means, so it is refused.
	HostInvalid
)

// nonPublic are ranges that IsPrivate and friends leave out but that a
// callback must not reach either: shared address space, documentation and
// benchmarking ranges, reserved space, and IPv6 prefixes that embed an
// IPv4 address (IPv4-compatible, SIIT, NAT64, 6to4) and could lead back
// inside.
var nonPublic = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"::/96", "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64",
		"2001:db8::/32", "2002::/16", "fec0::/10",
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()

// PublicAddr reports whether ip is a public internet address. Callbacks
// reach only those, unless their host is in SFPDESK_CALLBACK_ALLOW: an
// intake client must not be able to make sfpdesk call into its own network
// (the metadata service, the admin listener, a database).
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap().WithZone("")
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() ||
		ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast() || ip.IsMulticast() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// ClassifyHost says what host (as in a URL: a name, a bracketed IPv6
// address, or an IPv4 address in any spelling a resolver accepts) is, and
// the address it stands for when it is one. IPv4 is read as browsers and
// inet_aton read it: one to four parts, each decimal, octal (leading 0) or
// hexadecimal (0x), the last filling the remaining bytes, a trailing dot
// ignored; so "127.1", "2130706433", "0x7f000001" and "017700000001" are
// all 127.0.0.1. Any host whose last label is a number is taken as an
// address, never as a name.
func ClassifyHost(host string) (netip.Addr, HostClass) {
	h := strings.ToLower(host)
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if strings.Contains(h, ":") {
		ip, err := netip.ParseAddr(h)
		if err != nil {
			return netip.Addr{}, HostInvalid
		}
		return ip, classOf(ip)
	}
	if ip, numeric, ok := parseIPv4(h); numeric {
		if !ok {
			return netip.Addr{}, HostInvalid
		}
		return ip, classOf(ip)
	}
	n := strings.TrimSuffix(h, ".")
	if n == "localhost" || strings.HasSuffix(n, ".localhost") {
		return netip.Addr{}, HostInternal
	}
	// A name has no empty label: "0..1" is neither a name nor an address,
	// and resolvers differ on what they make of it.
	if n == "" || strings.HasPrefix(n, ".") || strings.HasSuffix(n, ".") || strings.Contains(n, "..") {
		return netip.Addr{}, HostInvalid
	}
	return netip.Addr{}, HostName
}

func classOf(ip netip.Addr) HostClass {
	if PublicAddr(ip) {
		return HostPublic
	}
	return HostInternal
}

// parseIPv4 reads h as an IPv4 address. numeric says whether h is meant as
// one (its last label is a number); ok whether it is a valid one.
func parseIPv4(h string) (ip netip.Addr, numeric, ok bool) {
	parts := strings.Split(h, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if _, isNum := ipv4Part(parts[len(parts)-1]); !isNum {
		return netip.Addr{}, false, false
	}
	if len(parts) > 4 {
		return netip.Addr{}, true, false
	}
	var v uint64
	for i, p := range parts {
		n, isNum := ipv4Part(p)
		if !isNum || n < 0 {
			return netip.Addr{}, true, false
		}
		if i < len(parts)-1 {
			if n > 255 {
				return netip.Addr{}, true, false
			}
			v = v<<8 | uint64(n)
			continue
		}
		rest := uint(8 * (4 - i))
		if uint64(n) >= 1<<rest {
			return netip.Addr{}, true, false
		}
		v = v<<rest | uint64(n)
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true, true
}

// ipv4Part reads one part of an IPv4 address. isNum says whether p is
// written as a number at all (digits, or 0x and hex digits); n is -1 when
// it is, but does not fit or is not valid in its base ("09").
func ipv4Part(p string) (n int64, isNum bool) {
	base, digits := 10, p
	switch {
	case strings.HasPrefix(p, "0x"):
		base, digits = 16, p[2:]
		if digits == "" {
			return 0, true
		}
	case len(p) > 1 && p[0] == '0':
		base, digits = 8, p[1:]
	}
	if digits == "" {
		return -1, false
	}
	for _, r := range digits {
		if !('0' <= r && r <= '9' || base == 16 && 'a' <= r && r <= 'f') {
			return -1, base == 8 && '0' <= r && r <= '9'
		}
	}
	v, err := strconv.ParseUint(digits, base, 32)
	if err != nil {
		return -1, true
	}
	return int64(v), true
}

// CallbackAllowed reports whether host (a name or an address, as in a URL)
// is in the allow list of SFPDESK_CALLBACK_ALLOW (lower-case names and
// addresses). Addresses compare as addresses, in any spelling, so "::1"
// allows "[0::1]" and "127.0.0.1" allows "127.1".
func CallbackAllowed(allow []string, host string) bool {
	h := strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	ip, class := ClassifyHost(host)
	isAddr := class == HostPublic || class == HostInternal && ip.IsValid()
	for _, a := range allow {
		if a == h {
			return true
		}
		if isAddr {
			if aip, aclass := ClassifyHost(a); aip.IsValid() && aclass != HostInvalid && aip.Unmap().WithZone("") == ip.Unmap().WithZone("") {
				return true
			}
		}
	}
	return false
}
