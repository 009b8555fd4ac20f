package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfpdesk/sfpdesk/handlers"
	"github.com/sfpdesk/sfpdesk/mail"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// mailboxes are the sellers' mailboxes (one reader each) and SMTP servers
// (one sender each), wired to the App (DESIGN §4.9).
type mailboxes struct {
	readers []*mail.Reader
	senders map[string]*mail.Sender

	messages *prometheus.CounterVec
	sent     *prometheus.CounterVec
}

var (
	mailMessageResults = []string{handlers.MailCase, handlers.MailFollowUp, handlers.MailAnswered, handlers.MailBounced,
		handlers.MailTriage, handlers.MailIgnored, handlers.MailRepeat, handlers.MailUnmatched, "error"}
	mailSentResults = []string{mail.SendSent, mail.SendRetry, mail.SendFailed}
)

// openMail builds a reader per mailbox and a sender per SMTP server, and
// their metrics, with a series for every seller at 0.
func (m *Main) openMail(reg prometheus.Registerer, tlsConfig *tls.Config) *mailboxes {
	cfg := m.Config
	mb := &mailboxes{
		senders: map[string]*mail.Sender{},
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfpdesk_mail_messages_total",
			Help: "Messages read from the sellers' mailboxes, by seller and what they made: case; follow_up; answered (a reply copy from Seller Central); bounced (a reply of ours that did not arrive); triage (from Amazon, not read with confidence); ignored (not from Amazon); repeat; unmatched; error (to be read again).",
		}, []string{"seller", "result"}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfpdesk_mail_sent_total",
			Help: "Replies to buyers by e-mail, by seller and result: sent; retry (refused for now or cut off, tried again); failed (refused for good, or given up).",
		}, []string{"seller", "result"}),
	}
	if reg != nil {
		reg.MustRegister(mb.messages, mb.sent)
	}
	for _, a := range cfg.Mailboxes {
		for _, r := range mailMessageResults {
			mb.messages.WithLabelValues(a.Seller, r)
		}
		r := &mail.Reader{
			Account: a, Store: m.DB, Clock: m.Clock, Log: m.Log, TLSConfig: tlsConfig,
			Poll: calendar(cfg.MailPoll), Backfill: calendar(cfg.MailBackfill),
		}
		seller := a.Seller
		r.Handle = func(ctx context.Context, f *mail.Fetched) error {
			res, err := m.App.HandleMail(ctx, f)
			if err != nil {
				res = "error"
			}
			mb.messages.WithLabelValues(seller, res).Inc()
			return err
		}
		mb.readers = append(mb.readers, r)
	}
	for _, s := range cfg.SMTP {
		a, _ := cfg.smtpFor(s.Seller)
		for _, r := range mailSentResults {
			mb.sent.WithLabelValues(a.Seller, r)
		}
		snd := &mail.Sender{Seller: a.Seller, SMTP: a, Store: m.DB, Clock: m.Clock, Log: m.Log, TLSConfig: tlsConfig}
		for i := range cfg.Mailboxes {
			if cfg.Mailboxes[i].Seller == a.Seller {
				snd.IMAP = &cfg.Mailboxes[i]
			}
		}
		snd.Done = func(ctx context.Context, out *store.MailOut, result, reason string) {
			mb.sent.WithLabelValues(out.Seller, result).Inc()
			m.App.MailResult(ctx, out, result, reason)
		}
		mb.senders[a.Seller] = snd
	}
	return mb
}

// Notify wakes every sender: a committed reply owes mail.
func (mb *mailboxes) Notify() {
	for _, s := range mb.senders {
		s.Notify()
	}
}

// From is the seller's sender address, "" without an SMTP server.
func (mb *mailboxes) From(seller string) string {
	if s, ok := mb.senders[seller]; ok {
		return s.From()
	}
	return ""
}

func (mb *mailboxes) run(ctx context.Context, wg *sync.WaitGroup) {
	for _, r := range mb.readers {
		wg.Go(func() { r.Run(ctx) })
	}
	for _, s := range mb.senders {
		wg.Go(func() { s.Run(ctx) })
	}
}

// ready names each mailbox in /readyz: connected (IDLE or polling), or
// why not, never with its password.
func (mb *mailboxes) ready(checks map[string]string) bool {
	ok := true
	for _, r := range mb.readers {
		st := r.Status()
		name := "mailbox:" + r.Account.Seller
		switch {
		case st.Connected && st.Idle:
			checks[name] = "ok (idle)"
		case st.Connected:
			checks[name] = "ok (polling)"
		case st.Err != "":
			checks[name], ok = "error: "+st.Err, false
		default:
			checks[name], ok = "connecting", false
		}
	}
	return ok
}

// checkMail logs in to each mailbox and SMTP server for `sfpdesk check`
// and says what it found.
func checkMail(ctx context.Context, cfg *Config, mailboxes, smtp bool) []Problem {
	var out []Problem
	if !mailboxes {
		cfg = &Config{SMTP: cfg.SMTP, MailPoll: cfg.MailPoll}
	}
	if !smtp {
		cfg = &Config{Mailboxes: cfg.Mailboxes, MailPoll: cfg.MailPoll}
	}
	for _, a := range cfg.Mailboxes {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		st, err := (&mail.Reader{Account: a}).Check(ctx)
		cancel()
		if err != nil {
			out = append(out, Problem{Var: "SFPDESK_MAILBOXES", Level: levelError,
				Msg: fmt.Sprintf("seller %q (%s): %s", a.Seller, a.Addr, mailErr(err))})
			continue
		}
		how := "polling every " + cfg.MailPoll.String()
		if st.Idle {
			how = "IDLE"
		}
		out = append(out, Problem{Var: "SFPDESK_MAILBOXES", Level: levelOK,
			Msg: fmt.Sprintf("(seller %s: %s, %d messages, %s)", a.Seller, a.Mailbox, st.Messages, how)})
	}
	for _, s := range cfg.SMTP {
		a, _ := cfg.smtpFor(s.Seller)
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := (&mail.Sender{Seller: a.Seller, SMTP: a}).Check(ctx)
		cancel()
		if err != nil {
			out = append(out, Problem{Var: "SFPDESK_SMTP", Level: levelError,
				Msg: fmt.Sprintf("seller %q (%s): %s", a.Seller, a.Addr, mailErr(err))})
			continue
		}
		from := (&mail.Sender{SMTP: a}).From()
		out = append(out, Problem{Var: "SFPDESK_SMTP", Level: levelOK, Msg: fmt.Sprintf("(seller %s: logged in, sending from %s)", a.Seller, from)})
	}
	return out
}

func mailErr(err error) string {
	s := err.Error()
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

// calendar is a mail setting's duration; business days were refused when
// the configuration was read.
func calendar(d sfp.Duration) time.Duration {
	v, _ := d.Calendar()
	return v
}
