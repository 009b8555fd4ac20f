package mail

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sfpdesk/sfpdesk/mail/mailtest"
)

func TestIMAPAndSMTPOverTLS(t *testing.T) {
	srvTLS, trust := testTLSConfigs(t)
	for _, tc := range []struct {
		name     string
		implicit bool
	}{{"imaps and smtps", true}, {"STARTTLS", false}} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := mailtest.NewIMAPServerTLS(testUser, testPassword, srvTLS, tc.implicit)
			if err != nil {
				t.Fatal(err)
			}
			defer in.Close()
			out, err := mailtest.NewSMTPServerTLS(testUser, testPassword, srvTLS, tc.implicit)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Close()
			imapScheme, smtpScheme := "imap", "smtp"
			if tc.implicit {
				imapScheme, smtpScheme = "imaps", "smtps"
			}
			r := &Reader{Account: Account{Seller: "b", Scheme: imapScheme, Addr: in.Addr, User: testUser, Password: testPassword, Mailbox: "INBOX"},
				TLSConfig: trust, startTLS: true}
			if st, err := r.Check(context.Background()); err != nil || !st.Connected {
				t.Errorf("IMAP: %+v, %v", st, err)
			}
			s := &Sender{SMTP: Account{Seller: "b", Scheme: smtpScheme, Addr: out.Addr, User: testUser, Password: testPassword},
				TLSConfig: trust, startTLS: true}
			if err := s.Check(context.Background()); err != nil {
				t.Errorf("SMTP: %v", err)
			}
			// A certificate nobody vouches for is refused.
			r.TLSConfig, s.TLSConfig = &tls.Config{}, &tls.Config{}
			if _, err := r.Check(context.Background()); err == nil {
				t.Error("IMAP accepted an unknown certificate")
			}
			if err := s.Check(context.Background()); err == nil {
				t.Error("SMTP accepted an unknown certificate")
			}
		})
	}
}

// imap:// and smtp:// to another host must upgrade: a server without
// STARTTLS is refused rather than spoken to in clear.
func TestSTARTTLSRequired(t *testing.T) {
	in := newIMAPServer(t)
	r := &Reader{Account: in.account(in.addr), startTLS: true}
	if _, err := r.Check(context.Background()); err == nil {
		t.Error("IMAP went on without STARTTLS")
	}
	out := newSMTPServer(t)
	s := &Sender{SMTP: Account{Seller: "b", Scheme: "smtp", Addr: out.Addr, User: testUser, Password: testPassword}, startTLS: true}
	if err := s.Check(context.Background()); err == nil {
		t.Error("SMTP went on without STARTTLS")
	}
}

// testTLSConfigs are a certificate for 127.0.0.1 and a configuration that
// trusts it, borrowed from net/http/httptest.
func testTLSConfigs(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	s := httptest.NewUnstartedServer(nil)
	s.StartTLS()
	t.Cleanup(s.Close)
	return &tls.Config{Certificates: s.TLS.Certificates}, s.Client().Transport.(*http.Transport).TLSClientConfig
}
