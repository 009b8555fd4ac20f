package mailtest

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// IMAPServer is an in-memory IMAP server with one user and an INBOX.
type IMAPServer struct {
	User *imapmemserver.User
	Addr string
	srv  *imapserver.Server
}

// NewIMAPServer starts a server for user/password on a loopback port.
func NewIMAPServer(user, password string) (*IMAPServer, error) {
	return NewIMAPServerTLS(user, password, nil, false)
}

// NewIMAPServerTLS starts a server that speaks TLS with cfg: from the
// first byte when implicit (imaps://), else after STARTTLS (imap://).
// A nil cfg is a plain server without STARTTLS.
func NewIMAPServerTLS(user, password string, cfg *tls.Config, implicit bool) (*IMAPServer, error) {
	mem := imapmemserver.New()
	u := imapmemserver.NewUser(user, password)
	if err := u.Create("INBOX", nil); err != nil {
		return nil, err
	}
	mem.AddUser(u)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return idleSession{mem.NewSession()}, nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: cfg == nil,
		TLSConfig:    starttls(cfg, implicit),
		Logger:       discard{},
	})
	ln, err := listen(cfg, implicit)
	if err != nil {
		return nil, err
	}
	go srv.Serve(ln)
	return &IMAPServer{User: u, Addr: ln.Addr().String(), srv: srv}, nil
}

// Close stops the server.
func (s *IMAPServer) Close() error { return s.srv.Close() }

// Deliver puts a message in the INBOX as arrived at t.
func (s *IMAPServer) Deliver(raw []byte, t time.Time) error { return s.AppendTo("INBOX", raw, t) }

// AppendTo puts a message in a folder.
func (s *IMAPServer) AppendTo(folder string, raw []byte, t time.Time) error {
	_, err := s.User.Append(folder, bytes.NewReader(raw), &imap.AppendOptions{Time: t})
	return err
}

// idleSession makes the in-memory server announce mail that arrived just
// before IDLE began: its tracker only wakes IDLE for mail that arrives
// after, so such mail would wait for the next one. The inner IDLE is
// restarted every few milliseconds with a poll in between, as a real
// server's IDLE notices everything queued for the session.
type idleSession struct{ imapserver.Session }

func (s idleSession) Idle(w *imapserver.UpdateWriter, stop <-chan struct{}) error {
	for {
		if err := s.Session.Poll(w, true); err != nil {
			return err
		}
		tick := make(chan struct{})
		t := time.AfterFunc(20*time.Millisecond, func() { close(tick) })
		inner := make(chan struct{})
		go func() {
			select {
			case <-stop:
			case <-tick:
			}
			close(inner)
		}()
		err := s.Session.Idle(w, inner)
		t.Stop()
		if err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		default:
		}
	}
}

// starttls is the configuration a server offers STARTTLS with: none when
// it speaks TLS from the start.
func starttls(cfg *tls.Config, implicit bool) *tls.Config {
	if implicit {
		return nil
	}
	return cfg
}

func listen(cfg *tls.Config, implicit bool) (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil || cfg == nil || !implicit {
		return ln, err
	}
	return tls.NewListener(ln, cfg), nil
}

type discard struct{}

func (discard) Printf(string, ...any) {}
func (discard) Println(...any)        {}

// Accepted is a mail the SMTP server took, with the EHLO name it was
// given.
type Accepted struct {
	Hello, From, To string
	Raw             []byte
}

// SMTPServer is an SMTP server that records what it accepts.
type SMTPServer struct {
	Addr string
	srv  *smtp.Server
	user string
	pass string

	mu       sync.Mutex
	accepted []Accepted
	refuse   int
	refused  bool
	file     func(raw []byte)
	hold     chan struct{}
	onAccept func(Accepted)
}

// NewSMTPServer starts a server that takes user/password with AUTH PLAIN.
func NewSMTPServer(user, password string) (*SMTPServer, error) {
	return NewSMTPServerTLS(user, password, nil, false)
}

// NewSMTPServerTLS starts a server that speaks TLS with cfg: from the
// first byte when implicit (smtps://), else after STARTTLS (smtp://).
func NewSMTPServerTLS(user, password string, cfg *tls.Config, implicit bool) (*SMTPServer, error) {
	s := &SMTPServer{user: user, pass: password}
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "mx.example.test"
	s.srv.AllowInsecureAuth = cfg == nil
	s.srv.TLSConfig = starttls(cfg, implicit)
	s.srv.ErrorLog = discard{}
	ln, err := listen(cfg, implicit)
	if err != nil {
		return nil, err
	}
	s.Addr = ln.Addr().String()
	go s.srv.Serve(ln)
	return s, nil
}

// Close releases a held answer and stops the server.
func (s *SMTPServer) Close() error {
	s.mu.Lock()
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
	s.mu.Unlock()
	return s.srv.Close()
}

// Accepted lists the mails taken so far.
func (s *SMTPServer) Accepted() []Accepted {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Accepted(nil), s.accepted...)
}

// RefuseNext answers the next n mails with 451, refused for now.
func (s *SMTPServer) RefuseNext(n int) { s.mu.Lock(); s.refuse = n; s.mu.Unlock() }

// RefuseAll answers every mail with 554, refused for good.
func (s *SMTPServer) RefuseAll() { s.mu.Lock(); s.refused = true; s.mu.Unlock() }

// FileWith has the server file each mail it takes itself, as servers that
// put what they relay in Sent do.
func (s *SMTPServer) FileWith(f func(raw []byte)) { s.mu.Lock(); s.file = f; s.mu.Unlock() }

// OnAccept calls f with each mail the server takes, as it takes it.
func (s *SMTPServer) OnAccept(f func(Accepted)) { s.mu.Lock(); s.onAccept = f; s.mu.Unlock() }

// Hold keeps the answer to every mail's data back until Close: the client
// cannot know whether its mail went.
func (s *SMTPServer) Hold() { s.mu.Lock(); s.hold = make(chan struct{}); s.mu.Unlock() }

// NewSession is go-smtp's Backend.
func (s *SMTPServer) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &smtpSession{srv: s, hello: c.Hostname()}, nil
}

type smtpSession struct {
	srv             *SMTPServer
	hello, from, to string
	authed          bool
}

func (s *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *smtpSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.user || pass != s.srv.pass {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return &smtp.SMTPError{Code: 530, Message: "authentication required"}
	}
	s.from = from
	return nil
}

func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = to; return nil }

func (s *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.srv.mu.Lock()
	if s.srv.refused {
		s.srv.mu.Unlock()
		// As real servers do, the refusal repeats the recipient.
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "<" + s.to + ">: sender address not registered"}
	}
	if s.srv.refuse > 0 {
		s.srv.refuse--
		s.srv.mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	a := Accepted{s.hello, s.from, s.to, raw}
	s.srv.accepted = append(s.srv.accepted, a)
	file, hold, onAccept := s.srv.file, s.srv.hold, s.srv.onAccept
	s.srv.mu.Unlock()
	if onAccept != nil {
		onAccept(a)
	}
	if file != nil {
		file(raw)
	}
	if hold != nil {
		<-hold
	}
	return nil
}

func (s *smtpSession) Reset()        {}
func (s *smtpSession) Logout() error { return nil }
