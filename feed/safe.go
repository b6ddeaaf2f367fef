package feed

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// ErrBlocked is returned when a feed, a page or a redirect leads to an
// address storybot refuses to connect to: private, loopback, link-local
// and other non-public addresses, unless Config.AllowPrivate is set.
var ErrBlocked = errors.New("address is not public")

// blockedError is ErrBlocked with the address and what kind it is.
type blockedError struct {
	addr netip.Addr
	kind string
}

func (e *blockedError) Error() string {
	return fmt.Sprintf("refused to connect to %s: a %s address, not a public one", e.addr, e.kind)
}

func (e *blockedError) Unwrap() error { return ErrBlocked }

// nonPublic are ranges that are not reachable public hosts, beyond what
// netip.Addr's methods classify: a feed URL must not reach into the
// operator's own network through them.
var nonPublic = []struct {
	prefix netip.Prefix
	kind   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "reserved"},          // "this network"
	{netip.MustParsePrefix("100.64.0.0/10"), "private"},       // carrier-grade NAT
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},       // IETF protocol assignments
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved"},      // benchmarking
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},        // reserved, and the broadcast address
	{netip.MustParsePrefix("::/96"), "reserved"},              // IPv4-compatible (deprecated): ::127.0.0.1
	{netip.MustParsePrefix("64:ff9b::/96"), "translated"},     // NAT64: may reach a private IPv4 address
	{netip.MustParsePrefix("64:ff9b:1::/48"), "translated"},   // local-use NAT64
	{netip.MustParsePrefix("2002::/16"), "translated"},        // 6to4: may embed a private IPv4 address
	{netip.MustParsePrefix("fec0::/10"), "site-local"},        // deprecated site-local
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"}, // never routed
	{netip.MustParsePrefix("100::/64"), "discard"},            // discard-only
	{netip.MustParsePrefix("2001::/32"), "translated"},        // Teredo: embeds an IPv4 address
	{netip.MustParsePrefix("::ffff:0:0:0/96"), "translated"},  // IPv4-translated (SIIT): ::ffff:0:127.0.0.1
	{netip.MustParsePrefix("192.88.99.0/24"), "reserved"},     // the former 6to4 relay anycast
}

// addrKind returns "" for a public unicast address, else what kind of
// address a is (loopback, private, link-local, …).
func addrKind(a netip.Addr) string {
	a = a.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "link-local"
	case a.IsMulticast():
		return "multicast"
	case a.IsUnspecified():
		return "unspecified"
	}
	for _, n := range nonPublic {
		if n.prefix.Contains(a) {
			return n.kind
		}
	}
	if !a.IsGlobalUnicast() {
		return "non-unicast"
	}
	return ""
}

// dialControl returns a net.Dialer Control function that refuses to
// connect to an address allow rejects. It runs after DNS resolution, for
// every connection (redirects included), so a name that resolves to a
// private address, or changes to one after a first check, is refused.
func dialControl(allow func(netip.AddrPort) error) func(network, address string, c syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if network != "tcp4" && network != "tcp6" {
			return fmt.Errorf("refused to dial %s over %s: only TCP", address, network)
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("refused to dial %q: %w", address, err)
		}
		return allow(ap)
	}
}

// publicOnly allows public addresses only.
func publicOnly(ap netip.AddrPort) error {
	if kind := addrKind(ap.Addr()); kind != "" {
		return &blockedError{addr: ap.Addr().Unmap(), kind: kind}
	}
	return nil
}

// anyAddr allows every address (Config.AllowPrivate).
func anyAddr(netip.AddrPort) error { return nil }
