package mail

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gomail "github.com/emersion/go-message/mail"

	"github.com/sfpdesk/sfpdesk/mail/mailtest"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

func newSMTPServer(t *testing.T) *mailtest.SMTPServer {
	t.Helper()
	s, err := mailtest.NewSMTPServer(testUser, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// reply is a reply as the bot commits it.
func reply(t *testing.T, st store.Store, now time.Time) *store.MailOut {
	t.Helper()
	m := &store.MailOut{
		Seller: "boutique", CaseID: "SFP-1001",
		MessageID: NewMessageID("SFP-1001", testUser),
		From:      testUser, To: "8xk2m4q9z3r7w1t@marketplace.amazon.fr",
		Subject:    ReplySubject("Demande de renseignements (Commande : 402-1234567-1234567)"),
		InReplyTo:  "0102018c-fr-order@eu-west-1.amazonses.com",
		References: []string{"0102018c-fr-first@eu-west-1.amazonses.com", "0102018c-fr-order@eu-west-1.amazonses.com"},
		Text:       "Bonjour Claire,\nvotre colis est parti ce matin. Très bonne journée !",
		Date:       now, CreatedAt: now,
	}
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		_, err := tx.EnqueueMail(m)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

func stored(t *testing.T, st store.Store, id uint64) *store.MailOut {
	t.Helper()
	var m *store.MailOut
	if err := st.View(context.Background(), func(tx store.Tx) (err error) {
		m, err = tx.MailOut(id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return m
}

type results struct {
	mu  sync.Mutex
	got []string
}

func (r *results) done(_ context.Context, _ *store.MailOut, result, _ string) {
	r.mu.Lock()
	r.got = append(r.got, result)
	r.mu.Unlock()
}

func (r *results) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.got...)
}

func newSender(imapSrv *imapServer, smtpSrv *mailtest.SMTPServer, st store.Store, clock sfp.Clock, res *results) *Sender {
	in := imapSrv.account(imapSrv.addr)
	return &Sender{
		Seller: "boutique",
		SMTP:   Account{Seller: "boutique", Scheme: "smtp", Addr: smtpSrv.Addr, User: testUser, Password: testPassword},
		IMAP:   &in, Store: st, Clock: clock, Done: res.done,
	}
}

func runSender(t *testing.T, s *Sender) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}
}

// sentCopies counts the mails with the Message-ID in the Sent folder.
func sentCopies(t *testing.T, srv *imapServer, messageID string) int {
	t.Helper()
	c, err := imapclient.DialInsecure(srv.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("Sent", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	res, err := c.UIDSearch(&imap.SearchCriteria{Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: messageID}}}, nil).Wait()
	if err != nil {
		t.Fatal(err)
	}
	return len(res.AllUIDs())
}

func TestSMTPRefusedForNowThenSent(t *testing.T) {
	imapSrv := newIMAPServer(t)
	if err := imapSrv.user.Create("Sent", nil); err != nil {
		t.Fatal(err)
	}
	smtpSrv := newSMTPServer(t)
	smtpSrv.RefuseNext(1)
	st := openStore(t)
	now := time.Now()
	clock := sfp.NewFakeClock(now)
	m := reply(t, st, now)
	res := &results{}
	s := newSender(imapSrv, smtpSrv, st, clock, res)
	stop := runSender(t, s)
	defer stop()

	waitFor(t, "the first attempt", func() bool { return len(res.list()) == 1 })
	got := stored(t, st, m.ID)
	if got.State != store.MailPending || got.InFlight || got.Attempts != 1 || !strings.Contains(got.LastError, "451") {
		t.Fatalf("after a 451: %+v", got)
	}
	if len(smtpSrv.Accepted()) != 0 {
		t.Fatal("a refused mail counted as accepted")
	}
	if err := clock.WaitTimers(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(sendBackoffMax)
	waitFor(t, "the second attempt", func() bool { return len(res.list()) == 2 })
	if r := res.list(); r[0] != SendRetry || r[1] != SendSent {
		t.Fatalf("results %v", r)
	}
	got = stored(t, st, m.ID)
	if got.State != store.MailSent || got.InFlight || got.Attempts != 2 || got.Text != "" || got.To != "" {
		t.Errorf("after sending (the buyer's data dropped): %+v", got)
	}
	mails := smtpSrv.Accepted()
	if len(mails) != 1 {
		t.Fatalf("%d mails accepted, want 1", len(mails))
	}
	a := mails[0]
	if a.Hello == "" || strings.EqualFold(a.Hello, "localhost") || !strings.Contains(a.Hello, ".") {
		t.Errorf("EHLO %q, want a real host name", a.Hello)
	}
	if a.From != testUser || a.To != m.To {
		t.Errorf("envelope %s → %s", a.From, a.To)
	}
	checkReply(t, a.Raw, m)
	if n := sentCopies(t, imapSrv, m.MessageID); n != 1 {
		t.Errorf("%d copies in Sent, want the one appended", n)
	}
}

// checkReply reads the mail as the buyer's side does.
func checkReply(t *testing.T, raw []byte, m *store.MailOut) {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := r.Header
	subject, _ := h.Subject()
	id, _ := h.MessageID()
	irt, _ := h.MsgIDList("In-Reply-To")
	refs, _ := h.MsgIDList("References")
	ct, params, _ := h.ContentType()
	if subject != "Re: Demande de renseignements (Commande : 402-1234567-1234567)" || id != m.MessageID ||
		len(irt) != 1 || irt[0] != m.InReplyTo || len(refs) != 2 || ct != "text/plain" || params["charset"] != "utf-8" {
		t.Errorf("headers: subject %q, id %q, in-reply-to %v, references %v, type %s %v", subject, id, irt, refs, ct, params)
	}
	if from := h.Get("From"); !strings.Contains(from, testUser) {
		t.Errorf("From %q", from)
	}
	p, err := r.NextPart()
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(p.Body)
	if got := strings.TrimSuffix(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n"); got != m.Text {
		t.Errorf("body %q, want %q", got, m.Text)
	}
}

func TestSMTPTimeoutAfterDataSendsOnce(t *testing.T) {
	imapSrv := newIMAPServer(t)
	if err := imapSrv.user.Create("Sent", nil); err != nil {
		t.Fatal(err)
	}
	smtpSrv := newSMTPServer(t)
	// The server takes the mail, files it in Sent itself, and never
	// answers: the sender cannot know the mail went.
	smtpSrv.FileWith(func(raw []byte) { imapSrv.appendTo(t, "Sent", raw) })
	smtpSrv.Hold()
	st := openStore(t)
	now := time.Now()
	clock := sfp.NewFakeClock(now)
	m := reply(t, st, now)
	res := &results{}
	s := newSender(imapSrv, smtpSrv, st, clock, res)
	s.Timeout = 300 * time.Millisecond
	stop := runSender(t, s)
	defer stop()

	waitFor(t, "the attempt that times out", func() bool { return len(res.list()) == 1 })
	if got := stored(t, st, m.ID); got.State != store.MailPending || !got.InFlight {
		t.Fatalf("after the timeout: %+v", got)
	}
	if err := clock.WaitTimers(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	clock.Advance(sendBackoffMax)
	waitFor(t, "the check", func() bool { return len(res.list()) == 2 })
	if r := res.list(); r[0] != SendRetry || r[1] != SendSent {
		t.Fatalf("results %v", r)
	}
	if n := len(smtpSrv.Accepted()); n != 1 {
		t.Errorf("the buyer got %d mails, want 1", n)
	}
	if n := sentCopies(t, imapSrv, m.MessageID); n != 1 {
		t.Errorf("%d copies in Sent, want the server's own", n)
	}
	if got := stored(t, st, m.ID); got.State != store.MailSent || got.InFlight {
		t.Errorf("after the check: %+v", got)
	}
}

// A restart finds a reply in flight: the Sent folder decides whether it
// goes again.
func TestSMTPInFlightAfterCrash(t *testing.T) {
	for _, tc := range []struct {
		name    string
		inSent  bool
		wantNew int
	}{
		{"the reply reached Sent before the crash", true, 0},
		{"the reply never left", false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			imapSrv := newIMAPServer(t)
			imapSrv.user.Create("Sent", nil)
			smtpSrv := newSMTPServer(t)
			st := openStore(t)
			now := time.Now()
			m := reply(t, st, now)
			m.InFlight, m.Attempts = true, 1
			st.Update(context.Background(), func(tx store.Tx) error { return tx.PutMailOut(m) })
			if tc.inSent {
				raw, _ := Compose(m)
				imapSrv.appendTo(t, "Sent", raw)
			}
			res := &results{}
			stop := runSender(t, newSender(imapSrv, smtpSrv, st, sfp.NewFakeClock(now), res))
			defer stop()
			waitFor(t, "the reply settled", func() bool { return len(res.list()) == 1 })
			if r := res.list(); r[0] != SendSent {
				t.Fatalf("results %v", r)
			}
			if n := len(smtpSrv.Accepted()); n != tc.wantNew {
				t.Errorf("%d mails sent, want %d", n, tc.wantNew)
			}
			if n := sentCopies(t, imapSrv, m.MessageID); n != 1 {
				t.Errorf("%d copies in Sent, want 1", n)
			}
		})
	}
}

func TestSMTPRefusedForGood(t *testing.T) {
	imapSrv := newIMAPServer(t)
	smtpSrv := newSMTPServer(t)
	smtpSrv.RefuseAll()
	st := openStore(t)
	now := time.Now()
	m := reply(t, st, now)
	res := &results{}
	stop := runSender(t, newSender(imapSrv, smtpSrv, st, sfp.NewFakeClock(now), res))
	defer stop()
	waitFor(t, "the refusal", func() bool { return len(res.list()) == 1 })
	got := stored(t, st, m.ID)
	if res.list()[0] != SendFailed || got.State != store.MailFailed || !strings.Contains(got.LastError, "554") {
		t.Errorf("results %v, reply %+v", res.list(), got)
	}
	// The server's answer names the buyer's relay alias; what is kept of it
	// (and logged, and shown in the thread) does not.
	if strings.Contains(got.LastError, "@marketplace.amazon.fr") {
		t.Errorf("the buyer's alias is kept in the reply's error: %q", got.LastError)
	}
}

func (s *imapServer) appendTo(t *testing.T, folder string, raw []byte) {
	if err := s.AppendTo(folder, raw, time.Now()); err != nil {
		t.Error(err)
	}
}

func TestReplySubject(t *testing.T) {
	for in, want := range map[string]string{
		"Question":        "Re: Question",
		"RE: Question":    "RE: Question",
		"re:Question":     "re:Question",
		"Ligne\r\n suite": "Re: Ligne suite",
	} {
		if got := ReplySubject(in); got != want {
			t.Errorf("ReplySubject(%q) = %q, want %q", in, got, want)
		}
	}
}
