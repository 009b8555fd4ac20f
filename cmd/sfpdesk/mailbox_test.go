package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/mail"
	"github.com/sfpdesk/sfpdesk/mail/mailtest"
)

const (
	mailUser     = "boutique@exemple.fr"
	mailPassword = "pw-Secr3t-mail"
)

// mailHarness is the bot with acme's mailbox and SMTP server, both real
// servers on loopback.
func mailHarness(t *testing.T) (*harness, *mailtest.IMAPServer, *mailtest.SMTPServer) {
	t.Helper()
	in, err := mailtest.NewIMAPServer(mailUser, mailPassword)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { in.Close() })
	if err := in.User.Create("Sent", nil); err != nil {
		t.Fatal(err)
	}
	out, err := mailtest.NewSMTPServer(mailUser, mailPassword)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	h := newHarness(t, false, func(c *Config) {
		c.Admins = []string{"U0ADMIN"}
		c.Mailboxes = []mail.Account{{Seller: "acme", Scheme: "imap", Addr: in.Addr, User: mailUser, Password: mailPassword, Mailbox: "INBOX"}}
		c.SMTP = []mail.Account{{Seller: "acme", Scheme: "smtp", Addr: out.Addr}}
	})
	return h, in, out
}

func corpus(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "mail", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMailboxEndToEnd(t *testing.T) {
	ctx := context.Background()
	h, in, out := mailHarness(t)
	h.Fake.AddChannel("C0ACME", "acme", false)
	h.Fake.AddChannel("C0CS", "cs", false, "U0BOT")
	if _, err := h.Slash(ctx, "U0ADMIN", "C0CS", "seller add acme C0ACME"); err != nil {
		t.Fatal(err)
	}
	waitReady := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("gave up waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitReady("the mailbox", func() bool { return h.Main.Mail.readers[0].Status().Idle })

	// A buyer writes: the card follows within the IDLE round trip.
	if err := in.Deliver(corpus(t, "fr_buyer_order.eml"), h.Clock.Now()); err != nil {
		t.Fatal(err)
	}
	var card fakeslack.Message
	waitReady("the card", func() bool {
		for _, m := range h.Fake.Messages("C0ACME") {
			if strings.Contains(m.Text+string(m.Blocks), "402-1234567-1234567") {
				card = m
				return true
			}
		}
		return false
	})

	if err := h.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	// The seller answers in the thread: the buyer gets it by e-mail.
	h.Fake.PostAsUser("C0ACME", "U0SELLER", "Bonjour Claire, votre colis part ce soir.", card.TS)
	waitReady("the mail to the buyer", func() bool { return len(out.Accepted()) == 1 })
	sent := out.Accepted()[0]
	if sent.To != "8xk2m4q9z3r7w1t@marketplace.amazon.fr" || sent.From != mailUser || !bytes.Contains(sent.Raw, []byte("Subject: Re: ")) {
		t.Errorf("mail %s → %s:\n%s", sent.From, sent.To, sent.Raw)
	}
	sentText := bot.T(h.Main.Config.Lang, "mail.sent")
	waitReady("the thread to say so", func() bool {
		for _, m := range h.Fake.Thread("C0ACME", card.TS) {
			if m.Text == sentText {
				return true
			}
		}
		return false
	})

	// /readyz names the mailbox; /metrics counts the mail.
	code, body := getJSON(t, h.URL("/readyz"))
	checks, _ := body["checks"].(map[string]any)
	if code != http.StatusOK || checks["mailbox:acme"] != "ok (idle)" {
		t.Errorf("/readyz = %d %v", code, body)
	}
	resp, err := http.Get("http://" + h.Main.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`sfpdesk_mail_messages_total{result="case",seller="acme"} 1`,
		`sfpdesk_mail_messages_total{result="triage",seller="acme"} 0`,
		`sfpdesk_mail_sent_total{result="sent",seller="acme"} 1`,
	} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("/metrics lacks %s:\n%s", want, grepLines(b, "sfpdesk_mail"))
		}
	}
	if bytes.Contains(b, []byte(mailPassword)) {
		t.Error("the password is in /metrics")
	}
}

func TestMailboxWrongPasswordInReadyzAndCheck(t *testing.T) {
	in, err := mailtest.NewIMAPServer(mailUser, mailPassword)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	h := newHarness(t, false, func(c *Config) {
		c.Mailboxes = []mail.Account{{Seller: "acme", Scheme: "imap", Addr: in.Addr, User: mailUser, Password: "wrong-pass-42", Mailbox: "INBOX"}}
	})
	deadline := time.Now().Add(20 * time.Second)
	for !h.Main.Mail.readers[0].Status().LoginRefused {
		if time.Now().After(deadline) {
			t.Fatal("the refused login never showed")
		}
		time.Sleep(5 * time.Millisecond)
	}
	code, body := getJSON(t, h.URL("/readyz"))
	checks, _ := body["checks"].(map[string]any)
	if code != http.StatusServiceUnavailable || !strings.Contains(checks["mailbox:acme"].(string), "wrong user or password") {
		t.Errorf("/readyz = %d %v", code, body)
	}
	var buf bytes.Buffer
	cfg := *h.Main.Config
	cfg.SlackBotToken = ""
	if code := runCheck(context.Background(), &cfg, nil, &buf, nil); code != 1 {
		t.Errorf("check exit %d", code)
	}
	if !strings.Contains(buf.String(), `error SFPDESK_MAILBOXES: seller "acme"`) || strings.Contains(buf.String(), "wrong-pass-42") {
		t.Errorf("check said:\n%s", buf.String())
	}
}

// check logs in to each mailbox and SMTP server and says what it found.
func TestCheckLogsInToTheMailbox(t *testing.T) {
	in, err := mailtest.NewIMAPServer(mailUser, mailPassword)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	in.Deliver(corpus(t, "fr_buyer_order.eml"), time.Now())
	out, err := mailtest.NewSMTPServer(mailUser, mailPassword)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	env := map[string]string{
		"SFPDESK_DB":        filepath.Join(t.TempDir(), "sfpdesk.db"),
		"SFPDESK_MAILBOXES": "acme=imap://boutique%40exemple.fr:" + mailPassword + "@" + in.Addr + "/INBOX",
		"SFPDESK_SMTP":      "acme=smtp://" + out.Addr,
	}
	cfg, problems := LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "")
	var buf bytes.Buffer
	runCheck(context.Background(), cfg, problems, &buf, nil)
	for _, want := range []string{
		"ok SFPDESK_MAILBOXES (seller acme: INBOX, 1 messages, IDLE)",
		"ok SFPDESK_SMTP (seller acme: logged in, sending from boutique@exemple.fr)",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("check lacks %q:\n%s", want, buf.String())
		}
	}
	if strings.Contains(buf.String(), mailPassword) {
		t.Error("check printed the password")
	}
}
