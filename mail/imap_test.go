package mail

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/sfpdesk/sfpdesk/mail/mailtest"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

const (
	testUser     = "boutique@exemple.fr"
	testPassword = "s3cret-Pa55"
)

// imapServer is go-imap's in-memory server on loopback.
type imapServer struct {
	*mailtest.IMAPServer
	user *imapmemserver.User
	addr string
}

func newIMAPServer(t testing.TB) *imapServer {
	t.Helper()
	srv, err := mailtest.NewIMAPServer(testUser, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &imapServer{IMAPServer: srv, user: srv.User, addr: srv.Addr}
}

func (s *imapServer) deliver(t testing.TB, raw string, at time.Time) {
	t.Helper()
	if err := s.Deliver([]byte(raw), at); err != nil {
		t.Fatal(err)
	}
}

func (s *imapServer) account(addr string) Account {
	return Account{Seller: "boutique", Scheme: "imap", Addr: addr, User: testUser, Password: testPassword, Mailbox: "INBOX"}
}

// buyerMail is a buyer message with its own Message-ID and words.
func buyerMail(id, words string) string {
	return "From: Claire - Amazon Marketplace <8xk2m4q9z3r7w1t@marketplace.amazon.fr>\r\n" +
		"To: boutique@exemple.fr\r\n" +
		"Subject: Question (Commande : 402-1234567-1234567)\r\n" +
		"Message-ID: <" + id + ">\r\n" +
		"X-Space-Notification-Type: BBC_MESSAGE_SENT_TO_MERCHANT\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n\r\n" +
		"------------- Début du message -------------\r\n\r\n" + words + "\r\n\r\n" +
		"------------- Fin du message -------------\r\n"
}

func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "sfpdesk.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// cases is the test's stand-in for the caller: it makes a "case" of each
// new Message-ID in the transaction that commits the cursor, as the bot's
// handler does.
type cases struct {
	st store.Store
	mu sync.Mutex
	// made lists what each new message said, in the order made.
	made    []string
	repeats int
	// fail, when set, refuses the next commit.
	fail atomic.Bool
	cond chan struct{}
}

func newCases(st store.Store) *cases { return &cases{st: st, cond: make(chan struct{}, 1)} }

func (c *cases) handle(ctx context.Context, f *Fetched) error {
	var made string
	repeat := false
	err := c.st.Update(ctx, func(tx store.Tx) error {
		made, repeat = "", false
		if _, ok, err := f.Seen(tx); err != nil {
			return err
		} else if ok {
			repeat = true
		} else {
			made = f.Message.Text
		}
		if c.fail.Swap(false) {
			return fmt.Errorf("store refused")
		}
		return f.Commit(tx, made, time.Now())
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	if repeat {
		c.repeats++
	} else {
		c.made = append(c.made, made)
	}
	c.mu.Unlock()
	select {
	case c.cond <- struct{}{}:
	default:
	}
	return nil
}

func (c *cases) snapshot() ([]string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.made...), c.repeats
}

// waitFor waits until ok holds; the deadline only bounds a broken test.
func waitFor(t testing.TB, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func runReader(t testing.TB, r *Reader) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}
}

func TestIMAPIdleDelivers(t *testing.T) {
	srv := newIMAPServer(t)
	st := openStore(t)
	cs := newCases(st)
	// An hour's poll: only IDLE can bring the new mail in time.
	r := &Reader{Account: srv.account(srv.addr), Store: st, Handle: cs.handle, Poll: time.Hour}
	stop := runReader(t, r)
	defer stop()
	waitFor(t, "the reader to idle", func() bool { s := r.Status(); return s.Connected && s.Idle })
	// The reader has stored its starting point once it has caught up.
	waitFor(t, "the first cursor", func() bool {
		ok := false
		st.View(context.Background(), func(tx store.Tx) error {
			_, ok, _ = LoadCursor(tx, r.Account.Key())
			return nil
		})
		return ok
	})
	for i := range 3 {
		srv.deliver(t, buyerMail(fmt.Sprintf("idle-%d@amazonses.com", i), fmt.Sprintf("message %d", i)), time.Now())
		waitFor(t, "the message", func() bool { m, _ := cs.snapshot(); return len(m) == i+1 })
	}
	made, _ := cs.snapshot()
	if want := []string{"message 0", "message 1", "message 2"}; strings.Join(made, "|") != strings.Join(want, "|") {
		t.Errorf("made %q, want %q", made, want)
	}
	assertUnflagged(t, srv)
}

// assertUnflagged checks that reading left no flag for the people who
// share the mailbox.
func assertUnflagged(t *testing.T, srv *imapServer) {
	t.Helper()
	c, err := imapclient.DialInsecure(srv.addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatal(err)
	}
	var all imap.SeqSet
	all.AddRange(1, 0)
	msgs, err := c.Fetch(all, &imap.FetchOptions{Flags: true, UID: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) == 0 {
		t.Fatal("no messages on the server")
	}
	for _, m := range msgs {
		if len(m.Flags) != 0 {
			t.Errorf("message %d has flags %v", m.UID, m.Flags)
		}
	}
}

// dropProxy forwards to the server and cuts the first connection once it
// has carried cutAfter bytes from the server: a connection lost in the
// middle of a message's body.
type dropProxy struct {
	addr     string
	cutAfter int64
	conns    atomic.Int32
}

func newDropProxy(t *testing.T, target string, cutAfter int64) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &dropProxy{addr: ln.Addr().String(), cutAfter: cutAfter}
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			n := p.conns.Add(1)
			server, err := net.Dial("tcp", target)
			if err != nil {
				client.Close()
				continue
			}
			go func() { io.Copy(server, client); server.Close() }()
			go func() {
				if n == 1 {
					io.CopyN(client, server, p.cutAfter)
				} else {
					io.Copy(client, server)
				}
				client.Close()
				server.Close()
			}()
		}
	}()
	return p
}

func TestIMAPDroppedMidFetchLosesAndDoublesNothing(t *testing.T) {
	srv := newIMAPServer(t)
	st := openStore(t)
	cs := newCases(st)
	now := time.Now()
	big := strings.Repeat("Le colis est arrivé abîmé, voici le détail. ", 500) // ~23 KB
	srv.deliver(t, buyerMail("drop-1@amazonses.com", "first"), now)
	srv.deliver(t, buyerMail("drop-2@amazonses.com", big), now)
	srv.deliver(t, buyerMail("drop-3@amazonses.com", "third"), now)
	// The start of a session is far below 8 KB; the cut falls inside the
	// second message.
	p := newDropProxy(t, srv.addr, 8<<10)
	clock := sfp.NewFakeClock(now)
	r := &Reader{Account: srv.account(p.addr), Store: st, Handle: cs.handle, Poll: time.Hour, Clock: clock}
	stop := runReader(t, r)
	defer stop()
	// The back-off after the drop waits on the fake clock.
	if err := clock.WaitTimers(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	made, _ := cs.snapshot()
	if len(made) != 1 || made[0] != "first" {
		t.Fatalf("before the reconnect made %q, want only the first message", made)
	}
	if s := r.Status(); s.Connected || s.Err == "" {
		t.Errorf("status after the drop = %+v", s)
	}
	clock.Advance(backoffMax)
	waitFor(t, "all three messages", func() bool { m, _ := cs.snapshot(); return len(m) == 3 })
	made, repeats := cs.snapshot()
	if made[1] != strings.TrimSpace(big) || made[2] != "third" || repeats != 0 {
		t.Errorf("made %d messages (second %d bytes), %d repeats", len(made), len(made[1]), repeats)
	}
	if p.conns.Load() < 2 {
		t.Errorf("%d connections, want a reconnect", p.conns.Load())
	}
}

// A handler whose commit fails leaves the message to be fetched again.
func TestIMAPFailedCommitIsFetchedAgain(t *testing.T) {
	srv := newIMAPServer(t)
	st := openStore(t)
	cs := newCases(st)
	srv.deliver(t, buyerMail("retry-1@amazonses.com", "only"), time.Now())
	cs.fail.Store(true)
	clock := sfp.NewFakeClock(time.Now())
	r := &Reader{Account: srv.account(srv.addr), Store: st, Handle: cs.handle, Poll: time.Hour, Clock: clock}
	stop := runReader(t, r)
	defer stop()
	if err := clock.WaitTimers(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if m, _ := cs.snapshot(); len(m) != 0 {
		t.Fatalf("made %q though the commit failed", m)
	}
	clock.Advance(backoffMax)
	waitFor(t, "the message after the retry", func() bool { m, _ := cs.snapshot(); return len(m) == 1 })
}

func TestIMAPUIDValidityChangeMakesNothingTwice(t *testing.T) {
	srv := newIMAPServer(t)
	st := openStore(t)
	cs := newCases(st)
	now := time.Now()
	srv.deliver(t, buyerMail("uv-1@amazonses.com", "one"), now)
	srv.deliver(t, buyerMail("uv-2@amazonses.com", "two"), now)
	r := &Reader{Account: srv.account(srv.addr), Store: st, Handle: cs.handle, Poll: time.Hour}
	stop := runReader(t, r)
	waitFor(t, "two messages", func() bool { m, _ := cs.snapshot(); return len(m) == 2 })
	stop()

	// The server rebuilds the mailbox: same mail, new UIDVALIDITY, and
	// one new message.
	if err := srv.user.Delete("INBOX"); err != nil {
		t.Fatal(err)
	}
	if err := srv.user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	srv.deliver(t, buyerMail("uv-1@amazonses.com", "one"), now)
	srv.deliver(t, buyerMail("uv-2@amazonses.com", "two"), now)
	srv.deliver(t, buyerMail("uv-3@amazonses.com", "three"), now)
	r2 := &Reader{Account: srv.account(srv.addr), Store: st, Handle: cs.handle, Poll: time.Hour}
	stop = runReader(t, r2)
	defer stop()
	waitFor(t, "the new message", func() bool { m, _ := cs.snapshot(); return len(m) == 3 })
	waitFor(t, "the repeats", func() bool { _, n := cs.snapshot(); return n == 2 })
	made, _ := cs.snapshot()
	if strings.Join(made, ",") != "one,two,three" {
		t.Errorf("made %q", made)
	}
}

func TestIMAPBackfillOnlyOnFirstConnection(t *testing.T) {
	srv := newIMAPServer(t)
	st := openStore(t)
	cs := newCases(st)
	now := time.Now()
	srv.deliver(t, buyerMail("bf-old@amazonses.com", "three days old"), now.Add(-72*time.Hour))
	srv.deliver(t, buyerMail("bf-day@amazonses.com", "25 hours old"), now.Add(-25*time.Hour))
	srv.deliver(t, buyerMail("bf-new1@amazonses.com", "two hours old"), now.Add(-2*time.Hour))
	srv.deliver(t, buyerMail("bf-new2@amazonses.com", "just now"), now)
	r := &Reader{Account: srv.account(srv.addr), Store: st, Handle: cs.handle, Poll: time.Hour, Backfill: 24 * time.Hour}
	stop := runReader(t, r)
	defer stop()
	waitFor(t, "the recent mail", func() bool { m, _ := cs.snapshot(); return len(m) == 2 })
	waitFor(t, "the reader to idle", func() bool { return r.Status().Idle })
	// After the first connection, mail is read whatever its date (a
	// message moved in from another folder keeps its old one).
	srv.deliver(t, buyerMail("bf-moved@amazonses.com", "moved in"), now.Add(-96*time.Hour))
	waitFor(t, "the moved mail", func() bool { m, _ := cs.snapshot(); return len(m) == 3 })
	made, _ := cs.snapshot()
	if strings.Join(made, ",") != "two hours old,just now,moved in" {
		t.Errorf("made %q", made)
	}
}

func TestIMAPWrongPasswordReportedOnce(t *testing.T) {
	srv := newIMAPServer(t)
	st := openStore(t)
	var logs bytes.Buffer
	var mu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))
	a := srv.account(srv.addr)
	a.Password = "wrong-Pa55word"
	clock := sfp.NewFakeClock(time.Now())
	r := &Reader{Account: a, Store: st, Handle: newCases(st).handle, Clock: clock, Log: log}
	stop := runReader(t, r)
	for range 3 {
		if err := clock.WaitTimers(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		clock.Advance(backoffMax)
	}
	if err := clock.WaitTimers(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	stop()
	if s := r.Status(); !s.LoginRefused || s.Connected || !strings.Contains(s.Err, "wrong user or password") {
		t.Errorf("status = %+v", s)
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if n := strings.Count(out, "login refused"); n != 1 {
		t.Errorf("login refused logged %d times:\n%s", n, out)
	}
	if strings.Contains(out, a.Password) || strings.Contains(fmt.Sprint(r.Status()), a.Password) {
		t.Error("the password is in the log or the status")
	}
	st2, err := r.Check(context.Background())
	if err == nil || !st2.LoginRefused {
		t.Errorf("Check = %+v, %v", st2, err)
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestIMAPCheck(t *testing.T) {
	srv := newIMAPServer(t)
	srv.deliver(t, buyerMail("c-1@amazonses.com", "a"), time.Now())
	srv.deliver(t, buyerMail("c-2@amazonses.com", "b"), time.Now())
	r := &Reader{Account: srv.account(srv.addr), Store: openStore(t)}
	s, err := r.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !s.Connected || !s.Idle || s.Messages != 2 {
		t.Errorf("Check = %+v, want connected, IDLE, 2 messages", s)
	}
}

// A server without IDLE is polled.
func TestIMAPPolls(t *testing.T) {
	srv := newIMAPServer(t)
	st := openStore(t)
	cs := newCases(st)
	clock := sfp.NewFakeClock(time.Now())
	r := &Reader{Account: srv.account(srv.addr), Store: st, Handle: cs.handle, Poll: time.Minute, Clock: clock, noIdle: true}
	stop := runReader(t, r)
	defer stop()
	if err := clock.WaitTimers(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	srv.deliver(t, buyerMail("poll-1@amazonses.com", "polled"), time.Now())
	if m, _ := cs.snapshot(); len(m) != 0 {
		t.Fatal("read before the poll")
	}
	clock.Advance(time.Minute)
	waitFor(t, "the polled message", func() bool { m, _ := cs.snapshot(); return len(m) == 1 })
	if r.Status().Idle {
		t.Error("status says IDLE")
	}
}

// A message the handler keeps failing on goes to triage after a few
// tries, and the mail behind it flows again.
func TestIMAPUnhandledMessageGoesToTriage(t *testing.T) {
	srv := newIMAPServer(t)
	st := openStore(t)
	cs := newCases(st)
	srv.deliver(t, buyerMail("poison@amazonses.com", "poison"), time.Now())
	srv.deliver(t, buyerMail("next@amazonses.com", "next"), time.Now())
	var triaged atomic.Int32
	handle := func(ctx context.Context, f *Fetched) error {
		if f.Message.Class == ClassTriage {
			triaged.Add(1)
			return CommitAlone(ctx, st, f, time.Now())
		}
		if f.Message.Text == "poison" {
			return fmt.Errorf("cannot make a case of it")
		}
		return cs.handle(ctx, f)
	}
	clock := sfp.NewFakeClock(time.Now())
	r := &Reader{Account: srv.account(srv.addr), Store: st, Handle: handle, Poll: time.Hour, Clock: clock}
	stop := runReader(t, r)
	defer stop()
	for i := 1; i < maxHandleFailures; i++ {
		if err := clock.WaitTimers(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		if triaged.Load() != 0 {
			t.Fatalf("triaged after %d failures", i)
		}
		clock.Advance(backoffMax)
	}
	waitFor(t, "the next message", func() bool { m, _ := cs.snapshot(); return len(m) == 1 })
	if m, _ := cs.snapshot(); m[0] != "next" || triaged.Load() != 1 {
		t.Errorf("made %q, triaged %d", m, triaged.Load())
	}
}
