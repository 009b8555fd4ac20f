package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	randv2 "math/rand/v2"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Sender defaults.
const (
	sendBackoffBase = 30 * time.Second
	sendBackoffMax  = 30 * time.Minute
	// sendGiveUp is how long a reply is retried before the thread is told
	// it could not be sent: past a day, the buyer's 24 hours are gone and
	// the seller must know.
	sendGiveUp      = 24 * time.Hour
	defaultTimeout  = time.Minute
	sendIdleRecheck = time.Minute
)

// Results of one reply, as the thread and the metrics name them.
const (
	SendSent   = "sent"   // accepted by the server
	SendRetry  = "retry"  // failed for now, tried again later
	SendFailed = "failed" // refused for good, or given up
)

// Sender sends one seller's replies by SMTP from the queue in the store,
// one at a time and in order.
type Sender struct {
	Seller string
	SMTP   Account
	// IMAP, when set, is the seller's mailbox: its Sent folder is searched
	// for a reply whose send was cut short, and a sent reply is appended
	// there unless the server filed it itself.
	IMAP *Account
	// SentFolder is the folder searched and appended to; when empty the
	// folder the server marks \Sent, else "Sent".
	SentFolder string
	Store      store.Store
	// Hostname is the name given in EHLO; by default the machine's name
	// when it is a full one, else the sender address's domain: servers
	// refuse "localhost".
	Hostname string
	// Timeout bounds each SMTP command, and the wait for the server's
	// answer to the mail's data.
	Timeout time.Duration
	// Done, when set, is told what became of each attempt (SendSent,
	// SendRetry, SendFailed) with a reason for the last two.
	Done      func(ctx context.Context, m *store.MailOut, result, reason string)
	Clock     sfp.Clock
	Log       *slog.Logger
	TLSConfig *tls.Config

	// startTLS makes a loopback smtp:// connection use STARTTLS too.
	startTLS bool

	once sync.Once
	poke chan struct{}
}

func (s *Sender) init() {
	s.once.Do(func() { s.poke = make(chan struct{}, 1) })
}

// Notify wakes the sender: a reply was committed.
func (s *Sender) Notify() {
	s.init()
	select {
	case s.poke <- struct{}{}:
	default:
	}
}

func (s *Sender) clock() sfp.Clock {
	if s.Clock == nil {
		return sfp.RealClock{}
	}
	return s.Clock
}

func (s *Sender) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Run sends queued replies until ctx is done.
func (s *Sender) Run(ctx context.Context) error {
	s.init()
	for {
		var head *store.MailOut
		err := s.Store.View(ctx, func(tx store.Tx) error {
			ms, err := tx.PendingMail(s.Seller, 1)
			if len(ms) > 0 {
				head = ms[0]
			}
			return err
		})
		if ctx.Err() != nil {
			return nil
		}
		wait := sendIdleRecheck
		if err != nil {
			s.log().Error("mail: reading the reply queue", "seller", s.Seller, "err", err)
		} else if head != nil {
			if d := head.NotBefore.Sub(s.clock().Now()); d > 0 {
				wait = d
			} else {
				s.deliver(ctx, head)
				continue
			}
		}
		t := s.clock().NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-s.poke:
		case <-t.C():
		}
		t.Stop()
	}
}

// deliver makes one attempt at the queue's head.
func (s *Sender) deliver(ctx context.Context, m *store.MailOut) {
	if m.InFlight {
		// The last attempt was cut short after the data went out: the
		// buyer may have the reply. The Sent folder says.
		found, err := s.inSent(ctx, m.MessageID)
		if err != nil {
			s.retry(ctx, m, "cannot look in the Sent folder: "+errText(err), true)
			return
		}
		if found {
			s.sent(ctx, m, false)
			return
		}
	}
	m.InFlight = true
	m.Attempts++
	if err := s.put(ctx, m); err != nil {
		return
	}
	dataSent, err := s.send(ctx, m)
	if ctx.Err() != nil {
		// Stopping mid-send: InFlight stays, and the next start checks.
		return
	}
	if err == nil {
		s.sent(ctx, m, true)
		return
	}
	var se *smtp.SMTPError
	switch {
	case errors.As(err, &se) && se.Code >= 500:
		s.fail(ctx, m, fmt.Sprintf("refused by the server: %d %s", se.Code, serverSays(se.Message)))
	default:
		// Refused for now (4xx) or cut off: try again later. Only a cut
		// after the data leaves the reply's fate unknown.
		var why string
		if errors.As(err, &se) {
			why = fmt.Sprintf("%d %s", se.Code, serverSays(se.Message))
			dataSent = false
		} else {
			why = errText(err)
		}
		s.retry(ctx, m, why, dataSent)
	}
}

// send is one SMTP transaction. dataSent reports whether the mail's data
// had gone out when it failed.
func (s *Sender) send(ctx context.Context, m *store.MailOut) (dataSent bool, err error) {
	raw, err := Compose(m)
	if err != nil {
		return false, err
	}
	c, err := s.dial()
	if err != nil {
		return false, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	c.CommandTimeout, c.SubmissionTimeout = timeout, timeout
	if err := c.Hello(s.hostname()); err != nil {
		return false, err
	}
	if a := s.SMTP; a.User != "" {
		if err := c.Auth(sasl.NewPlainClient("", a.User, a.Password)); err != nil {
			var se *smtp.SMTPError
			if errors.As(err, &se) && se.Code == 535 {
				return false, fmt.Errorf("SMTP login refused: wrong user or password")
			}
			return false, err
		}
	}
	if err := c.Mail(m.From, nil); err != nil {
		return false, err
	}
	if err := c.Rcpt(m.To, nil); err != nil {
		return false, err
	}
	w, err := c.Data()
	if err != nil {
		return false, err
	}
	if _, err := w.Write(raw); err != nil {
		return true, err
	}
	if err := w.Close(); err != nil {
		return true, err
	}
	c.Quit()
	return true, nil
}

// Check connects and logs in without sending, for `sfpdesk check`.
func (s *Sender) Check(ctx context.Context) error {
	c, err := s.dial()
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Hello(s.hostname()); err != nil {
		return err
	}
	if a := s.SMTP; a.User != "" {
		if err := c.Auth(sasl.NewPlainClient("", a.User, a.Password)); err != nil {
			return fmt.Errorf("SMTP login refused: wrong user or password")
		}
	}
	return c.Quit()
}

func (s *Sender) dial() (*smtp.Client, error) {
	a := s.SMTP
	cfg := tlsFor(a, s.TLSConfig)
	switch {
	case a.TLS():
		return smtp.DialTLS(a.Addr, cfg)
	case a.Plain() && !s.startTLS:
		return smtp.Dial(a.Addr)
	default:
		return smtp.DialStartTLS(a.Addr, cfg)
	}
}

func (s *Sender) hostname() string {
	if s.Hostname != "" {
		return s.Hostname
	}
	if h, err := os.Hostname(); err == nil && strings.Contains(h, ".") && !strings.HasPrefix(strings.ToLower(h), "localhost") {
		return h
	}
	if _, d, ok := strings.Cut(s.from(), "@"); ok && d != "" {
		return d
	}
	return "sfpdesk.invalid"
}

// from is the seller's registered address: Amazon drops mail from any
// other.
func (s *Sender) from() string {
	switch {
	case s.SMTP.From != "":
		return s.SMTP.From
	case strings.Contains(s.SMTP.User, "@"):
		return s.SMTP.User
	case s.IMAP != nil && strings.Contains(s.IMAP.User, "@"):
		return s.IMAP.User
	}
	return ""
}

// From is the address replies are sent from.
func (s *Sender) From() string { return s.from() }

func (s *Sender) put(ctx context.Context, m *store.MailOut) error {
	err := s.Store.Update(ctx, func(tx store.Tx) error { return tx.PutMailOut(m) })
	if err != nil && ctx.Err() == nil {
		s.log().Error("mail: saving a reply's state", "seller", s.Seller, "reply", m.ID, "err", err)
	}
	return err
}

func (s *Sender) sent(ctx context.Context, m *store.MailOut, file bool) {
	if file && s.IMAP != nil {
		if err := s.fileInSent(ctx, m); err != nil {
			s.log().Warn("mail: could not file the reply in Sent", "seller", s.Seller, "reply", m.ID, "err", errText(err))
		}
	}
	m.State, m.InFlight, m.LastError, m.SentAt = store.MailSent, false, "", s.clock().Now()
	forgetBuyer(m)
	if s.put(ctx, m) == nil && s.Done != nil {
		s.Done(ctx, m, SendSent, "")
	}
}

func (s *Sender) retry(ctx context.Context, m *store.MailOut, why string, uncertain bool) {
	now := s.clock().Now()
	if now.Sub(m.CreatedAt) > sendGiveUp && !uncertain {
		s.fail(ctx, m, "not sent after a day of trying: "+why)
		return
	}
	m.InFlight = uncertain
	m.LastError = why
	m.NotBefore = now.Add(sfp.Backoff(max(m.Attempts, 1), sendBackoffBase, sendBackoffMax, randv2.Int64N))
	s.log().Warn("mail: reply not sent yet, retrying", "seller", s.Seller, "reply", m.ID, "attempt", m.Attempts, "err", why)
	if s.put(ctx, m) == nil && s.Done != nil {
		s.Done(ctx, m, SendRetry, why)
	}
}

func (s *Sender) fail(ctx context.Context, m *store.MailOut, why string) {
	m.State, m.InFlight, m.LastError = store.MailFailed, false, why
	forgetBuyer(m)
	s.log().Error("mail: reply not sent", "seller", s.Seller, "reply", m.ID, "err", why)
	if s.put(ctx, m) == nil && s.Done != nil {
		s.Done(ctx, m, SendFailed, why)
	}
}

// The Sent folder.

// inSent reports whether a mail with the Message-ID is in the Sent folder.
func (s *Sender) inSent(ctx context.Context, messageID string) (bool, error) {
	if s.IMAP == nil {
		// With no mailbox to look in, the reply is taken as not sent: a
		// second copy is better than a buyer left unanswered.
		return false, nil
	}
	c, err := dialIMAP(ctx, *s.IMAP, s.TLSConfig, s.startTLS, nil)
	if err != nil {
		return false, err
	}
	defer c.Close()
	folder, err := s.sentFolder(c)
	if err != nil || folder == "" {
		return false, err
	}
	return findMessageID(c, folder, messageID)
}

func findMessageID(c *imapclient.Client, folder, messageID string) (bool, error) {
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return false, err
	}
	res, err := c.UIDSearch(&imap.SearchCriteria{
		Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: messageID}},
	}, nil).Wait()
	if err != nil {
		return false, err
	}
	return len(res.AllUIDs()) > 0, nil
}

// fileInSent appends the reply to Sent, unless the server put it there.
func (s *Sender) fileInSent(ctx context.Context, m *store.MailOut) error {
	c, err := dialIMAP(ctx, *s.IMAP, s.TLSConfig, s.startTLS, nil)
	if err != nil {
		return err
	}
	defer c.Close()
	folder, err := s.sentFolder(c)
	if err != nil || folder == "" {
		return err
	}
	if found, err := findMessageID(c, folder, m.MessageID); err != nil || found {
		return err
	}
	if err := c.Unselect().Wait(); err != nil {
		return err
	}
	raw, err := Compose(m)
	if err != nil {
		return err
	}
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: []imap.Flag{imap.FlagSeen}, Time: m.Date})
	if _, err := cmd.Write(raw); err != nil {
		return err
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	_, err = cmd.Wait()
	return err
}

// sentFolder is the configured folder, the one marked \Sent, or "Sent"
// when it exists; "" when there is none.
func (s *Sender) sentFolder(c *imapclient.Client) (string, error) {
	if s.SentFolder != "" {
		return s.SentFolder, nil
	}
	list, err := c.List("", "*", nil).Collect()
	if err != nil {
		return "", err
	}
	for _, l := range list {
		for _, a := range l.Attrs {
			if a == imap.MailboxAttrSent {
				return l.Mailbox, nil
			}
		}
	}
	for _, name := range []string{"Sent", "Sent Items", "Sent Messages", "INBOX.Sent"} {
		for _, l := range list {
			if strings.EqualFold(l.Mailbox, name) {
				return l.Mailbox, nil
			}
		}
	}
	return "", nil
}

// Composing a reply.

// NewMessageID makes the Message-ID of a reply, fixed when the reply is
// committed so that every attempt sends the same one and the Sent folder
// can be searched for it.
func NewMessageID(caseID, from string) string {
	var b [12]byte
	rand.Read(b[:])
	_, domain, ok := strings.Cut(from, "@")
	if !ok || domain == "" {
		domain = "sfpdesk.invalid"
	}
	return "sfpdesk." + strings.ToLower(caseID) + "." + hex.EncodeToString(b[:]) + "@" + domain
}

// ReplySubject is "Re: " and the buyer's subject, once.
func ReplySubject(subject string) string {
	subject = cleanLine(subject)
	if len(subject) >= 3 && strings.EqualFold(subject[:3], "re:") {
		return subject
	}
	return "Re: " + subject
}

// Compose writes the reply as plain UTF-8 text (quoted-printable, which
// every relay passes), with the headers that thread it with the buyer's
// message.
func Compose(m *store.MailOut) ([]byte, error) {
	if m.From == "" || m.To == "" || m.MessageID == "" {
		return nil, errors.New("mail: a reply needs a sender, a recipient and a Message-ID")
	}
	var h gomail.Header
	h.SetAddressList("From", []*gomail.Address{{Address: m.From}})
	h.SetAddressList("To", []*gomail.Address{{Address: m.To}})
	h.SetSubject(m.Subject)
	h.SetDate(m.Date)
	h.SetMessageID(m.MessageID)
	if m.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{m.InReplyTo})
	}
	if len(m.References) > 0 {
		h.SetMsgIDList("References", m.References)
	}
	h.Set("MIME-Version", "1.0")
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	h.Set("Content-Transfer-Encoding", "quoted-printable")
	var buf bytes.Buffer
	w, err := gomail.CreateSingleInlineWriter(&buf, h)
	if err != nil {
		return nil, err
	}
	text := strings.ReplaceAll(strings.ReplaceAll(m.Text, "\r\n", "\n"), "\n", "\r\n")
	if _, err := io.WriteString(w, text); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// forgetBuyer drops the buyer's alias and the reply's words from a reply
// that is done: the case keeps the reply for its history, and its
// Message-ID stays for bounces to find.
func forgetBuyer(m *store.MailOut) {
	m.To, m.Subject, m.Text = "", "", ""
}
