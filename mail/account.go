package mail

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// Account is one seller's mailbox or SMTP server, from SFPDESK_MAILBOXES
// or SFPDESK_SMTP. It holds a password: it prints and logs without it.
type Account struct {
	Seller string
	// Scheme is imaps, imap, smtps or smtp.
	Scheme string
	// Addr is host:port.
	Addr     string
	User     string
	Password string
	// Mailbox is the IMAP folder read, INBOX by default.
	Mailbox string
	// From is the SMTP sender address.
	From string
}

// Host is the server's name without the port.
func (a Account) Host() string {
	h, _, err := net.SplitHostPort(a.Addr)
	if err != nil {
		return a.Addr
	}
	return h
}

// TLS reports whether the connection starts in TLS (imaps, smtps); the
// others upgrade with STARTTLS, or stay plain to a loopback host.
func (a Account) TLS() bool { return a.Scheme == "imaps" || a.Scheme == "smtps" }

// Plain reports whether the connection may stay unencrypted: only to a
// loopback host, such as a local IMAP bridge that does its own TLS.
func (a Account) Plain() bool { return !a.TLS() && isLoopback(a.Host()) }

// String names the account without its password.
func (a Account) String() string {
	u := url.URL{Scheme: a.Scheme, Host: a.Addr, Path: "/" + a.Mailbox}
	if a.User != "" {
		u.User = url.User(a.User)
	}
	if a.Mailbox == "" {
		u.Path = ""
	}
	return u.String()
}

// LogValue keeps the password out of logs.
func (a Account) LogValue() slog.Value {
	return slog.GroupValue(slog.String("seller", a.Seller), slog.String("server", a.Addr), slog.String("mailbox", a.Mailbox))
}

// Key names the account's cursor: a new address, user or folder is a new
// mailbox, read from its backfill again.
func (a Account) Key() string {
	return a.Seller + "/" + strings.ToLower(a.User) + "@" + strings.ToLower(a.Addr) + "/" + a.Mailbox
}

var defaultPorts = map[string]string{"imaps": "993", "imap": "143", "smtps": "465", "smtp": "587"}

// ParseAccounts reads a comma-separated list of seller=URL entries. kind
// is "imap" or "smtp". An error names the seller, never the URL, which
// holds a password.
func ParseAccounts(s, kind string) ([]Account, error) {
	var out []Account
	seen := map[string]bool{}
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		seller, raw, ok := strings.Cut(e, "=")
		name, valid := sfp.ParseSeller(seller)
		if !ok || !valid {
			return nil, fmt.Errorf("entry %d: want seller=%s://user:password@host/…", len(out)+1, kind)
		}
		if seen[name] {
			return nil, fmt.Errorf("seller %q: named twice", name)
		}
		seen[name] = true
		a, err := ParseAccount(name, strings.TrimSpace(raw), kind)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// ParseAccount reads one URL: imaps://user:password@host[:port]/MAILBOX,
// imap://… (STARTTLS, or plain to loopback), smtps://… or smtp://…
// [?from=address].
func ParseAccount(seller, raw, kind string) (Account, error) {
	fail := func(format string, args ...any) (Account, error) {
		return Account{}, fmt.Errorf("seller %q: "+format, append([]any{seller}, args...)...)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// url's error quotes the URL, password and all.
		return fail("not a URL (percent-encode the user and password)")
	}
	a := Account{Seller: seller, Scheme: strings.ToLower(u.Scheme)}
	switch {
	case kind == "imap" && (a.Scheme == "imaps" || a.Scheme == "imap"):
	case kind == "smtp" && (a.Scheme == "smtps" || a.Scheme == "smtp"):
	default:
		return fail("scheme must be %ss:// or %s://", kind, kind)
	}
	host, port := u.Hostname(), u.Port()
	if host == "" {
		return fail("no host")
	}
	if port == "" {
		port = defaultPorts[a.Scheme]
	}
	a.Addr = net.JoinHostPort(host, port)
	if u.User != nil {
		a.User = u.User.Username()
		a.Password, _ = u.User.Password()
	}
	if kind == "imap" {
		if a.User == "" {
			return fail("no user")
		}
		a.Mailbox = strings.TrimPrefix(u.Path, "/")
		if a.Mailbox == "" {
			a.Mailbox = "INBOX"
		}
	}
	if kind == "smtp" {
		a.From = u.Query().Get("from")
		if a.From != "" && !strings.Contains(a.From, "@") {
			return fail("from=%q is not an address", a.From)
		}
	}
	return a, nil
}

// isLoopback accepts "localhost" and loopback addresses only: a name is
// not resolved, since what it resolves to can change.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// errPlain refuses an unencrypted connection to another machine.
var errPlain = errors.New("the server offers no STARTTLS; plain connections are allowed only to loopback")
