package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/sfpdesk/sfpdesk/prompts"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Reader defaults.
const (
	DefaultPoll     = time.Minute
	DefaultBackfill = 24 * time.Hour

	backoffBase = time.Second
	backoffMax  = 5 * time.Minute
	// idleRenew ends IDLE before the 29 minutes after which RFC 2177 lets
	// a server drop a client it thinks has gone.
	idleRenew = 25 * time.Minute
	// maxHandleFailures is how often the handler may fail on one message
	// before the message goes to triage instead: a message no case can be
	// made of must not hold back the mail behind it.
	maxHandleFailures = 5
	// fetchBatch bounds one UID FETCH: bodies are streamed one at a time,
	// so this bounds only how much one command re-fetches after a drop.
	fetchBatch = 50
)

// ErrLogin is a login the server refused: a wrong user or password. It
// does not fix itself, so it is reported once and retried slowly.
var ErrLogin = errors.New("login refused: wrong user or password")

// Reader follows one mailbox: it reads every new message with BODY.PEEK
// (never setting a flag, moving or deleting, since people share the
// mailbox), hands it to Handle, and waits with IDLE where the server has
// it, else polls.
type Reader struct {
	Account Account
	Store   store.Store
	Handle  Handler
	// Poll is how often a server without IDLE is asked for new mail.
	Poll time.Duration
	// Backfill is how old mail may be on a mailbox's first connection
	// (or after its UIDVALIDITY changed) to be imported.
	Backfill time.Duration
	Clock    sfp.Clock
	Log      *slog.Logger
	// TLSConfig, when set, is used for TLS and STARTTLS (tests trust their
	// own certificate with it).
	TLSConfig *tls.Config

	// startTLS makes a loopback imap:// connection use STARTTLS, as one to
	// another host always does.
	startTLS bool
	// noIdle makes the reader poll even where the server has IDLE.
	noIdle bool

	mu     sync.Mutex
	status Status

	// failUID and failures count the handler's failures in a row on one
	// message, across connections.
	failUID  uint32
	failures int
}

// Status is what /readyz and check say of a mailbox.
type Status struct {
	Connected bool
	// Idle is true when the server has IDLE, false when it is polled.
	Idle     bool
	Messages uint32
	// Err is why the mailbox is not connected, without the password.
	Err string
	// LoginRefused is set while the server refuses the login.
	LoginRefused bool
}

// Status returns the mailbox's current state.
func (r *Reader) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

func (r *Reader) setStatus(f func(*Status)) {
	r.mu.Lock()
	f(&r.status)
	r.mu.Unlock()
}

func (r *Reader) clock() sfp.Clock {
	if r.Clock == nil {
		return sfp.RealClock{}
	}
	return r.Clock
}

func (r *Reader) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

// Run reads the mailbox until ctx is done. A dropped connection is
// retried with back-off; a refused login is logged once.
func (r *Reader) Run(ctx context.Context) error {
	failures := 0
	for {
		err := r.session(ctx, func() { failures = 0 })
		if ctx.Err() != nil {
			return nil
		}
		failures++
		refused := errors.Is(err, ErrLogin)
		before := r.Status()
		r.setStatus(func(s *Status) {
			s.Connected, s.Err, s.LoginRefused = false, errText(err), refused
		})
		switch {
		case refused && !before.LoginRefused:
			r.log().Error("mail: login refused; fix the user or password in SFPDESK_MAILBOXES", "mailbox", r.Account)
		case refused:
		default:
			r.log().Warn("mail: connection lost, retrying", "mailbox", r.Account, "err", errText(err), "attempt", failures)
		}
		wait := sfp.Backoff(failures, backoffBase, backoffMax, rand.Int64N)
		if refused {
			wait = backoffMax
		}
		if sfp.Sleep(ctx, r.clock(), wait) != nil {
			return nil
		}
	}
}

// errText is an error as the log and /readyz show it. No error here
// carries the password: login errors are the server's words.
func errText(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, ErrLogin) {
		return ErrLogin.Error()
	}
	return serverSays(err.Error())
}

// serverSays is what a server's answer may show in the log, the case's
// history and its thread: cut short, and without the addresses it often
// repeats ("550 <alias@marketplace.amazon.fr>: no such user"), since a
// buyer's relay alias is personal data.
func serverSays(s string) string {
	return prompts.Mask(cut(s, 200), prompts.KnownPII{})
}

// Check logs in once and says what the mailbox holds, for `sfpdesk
// check`.
func (r *Reader) Check(ctx context.Context) (Status, error) {
	c, err := r.dial(ctx, nil)
	if err != nil {
		return Status{Err: errText(err), LoginRefused: errors.Is(err, ErrLogin)}, err
	}
	defer c.Close()
	sel, err := c.Select(r.Account.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return Status{Err: errText(err)}, fmt.Errorf("mailbox %q: %w", r.Account.Mailbox, err)
	}
	st := Status{Connected: true, Idle: c.Caps().Has(imap.CapIdle), Messages: sel.NumMessages}
	c.Logout().Wait()
	return st, nil
}

// dial connects and logs in. newMail is told of EXISTS while idling.
func (r *Reader) dial(ctx context.Context, newMail chan<- struct{}) (*imapclient.Client, error) {
	return dialIMAP(ctx, r.Account, r.TLSConfig, r.startTLS, newMail)
}

// dialIMAP connects to a mailbox's server and logs in: TLS for imaps://,
// STARTTLS for imap:// (plain only to loopback, unless startTLS).
func dialIMAP(ctx context.Context, a Account, tlsConfig *tls.Config, startTLS bool, newMail chan<- struct{}) (*imapclient.Client, error) {
	opts := &imapclient.Options{
		TLSConfig:   tlsFor(a, tlsConfig),
		WordDecoder: &mime.WordDecoder{CharsetReader: message.CharsetReader},
		Dialer:      &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second},
	}
	if newMail != nil {
		opts.UnilateralDataHandler = &imapclient.UnilateralDataHandler{
			Mailbox: func(d *imapclient.UnilateralDataMailbox) {
				if d.NumMessages != nil {
					select {
					case newMail <- struct{}{}:
					default:
					}
				}
			},
		}
	}
	var (
		c   *imapclient.Client
		err error
	)
	switch {
	case a.TLS():
		c, err = imapclient.DialTLS(a.Addr, opts)
	case a.Plain() && !startTLS:
		c, err = imapclient.DialInsecure(a.Addr, opts)
	default:
		c, err = imapclient.DialStartTLS(a.Addr, opts)
	}
	if err != nil {
		return nil, err
	}
	// A context ended while a command waits closes the connection, which
	// ends the command.
	stop := context.AfterFunc(ctx, func() { c.Close() })
	go func() {
		<-c.Closed()
		stop()
	}()
	if err := c.Login(a.User, a.Password).Wait(); err != nil {
		c.Close()
		var ie *imap.Error
		if errors.As(err, &ie) {
			return nil, ErrLogin
		}
		return nil, err
	}
	return c, nil
}

// tlsFor verifies the server by the account's host name.
func tlsFor(a Account, base *tls.Config) *tls.Config {
	if base != nil {
		cfg := base.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = a.Host()
		}
		return cfg
	}
	return &tls.Config{ServerName: a.Host(), MinVersion: tls.VersionTLS12}
}

// session is one connection: select, catch up, then wait for new mail.
func (r *Reader) session(ctx context.Context, connected func()) error {
	newMail := make(chan struct{}, 1)
	c, err := r.dial(ctx, newMail)
	if err != nil {
		return err
	}
	defer c.Close()
	// EXAMINE: the mailbox is opened read-only, so not even \Seen can
	// change by reading it.
	sel, err := c.Select(r.Account.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return fmt.Errorf("mailbox %q: %w", r.Account.Mailbox, err)
	}
	idle := c.Caps().Has(imap.CapIdle) && !r.noIdle
	before := r.Status()
	r.setStatus(func(s *Status) {
		*s = Status{Connected: true, Idle: idle, Messages: sel.NumMessages}
	})
	if before.Err != "" {
		r.log().Info("mail: connected", "mailbox", r.Account)
	}
	connected()

	cur, err := r.start(ctx, c, sel)
	if err != nil {
		return err
	}
	for {
		if cur, err = r.catchUp(ctx, c, cur); err != nil {
			return err
		}
		if idle {
			err = r.idle(ctx, c, newMail)
		} else {
			err = sfp.Sleep(ctx, r.clock(), r.poll())
		}
		if err != nil {
			return err
		}
	}
}

func (r *Reader) poll() time.Duration {
	if r.Poll <= 0 {
		return DefaultPoll
	}
	return r.Poll
}

// start finds where to read from: the stored cursor, or on a first
// connection (or a new UIDVALIDITY) the first message newer than the
// backfill. That starting point is stored at once, so that the first
// connection is one moment, not one that moves with every reconnect.
func (r *Reader) start(ctx context.Context, c *imapclient.Client, sel *imap.SelectData) (Cursor, error) {
	key := r.Account.Key()
	var (
		cur Cursor
		ok  bool
	)
	if err := r.Store.View(ctx, func(tx store.Tx) (err error) {
		cur, ok, err = LoadCursor(tx, key)
		return err
	}); err != nil {
		return Cursor{}, err
	}
	if ok && cur.UIDValidity == sel.UIDValidity {
		return cur, nil
	}
	if ok {
		// The server renumbered the mailbox: old UIDs mean other messages.
		// Mail within the backfill is read again; its Message-IDs keep
		// what was already made from being made twice.
		r.log().Warn("mail: mailbox renumbered (UIDVALIDITY changed), reading the backfill again", "mailbox", r.Account)
	}
	base, err := r.backfillBase(c, sel)
	if err != nil {
		return Cursor{}, err
	}
	cur = Cursor{UIDValidity: sel.UIDValidity, LastUID: base}
	err = r.Store.Update(ctx, func(tx store.Tx) error {
		return SaveCursor(tx, key, cur, r.clock().Now())
	})
	return cur, err
}

// backfillBase is the UID after which mail is newer than the backfill.
func (r *Reader) backfillBase(c *imapclient.Client, sel *imap.SelectData) (uint32, error) {
	back := r.Backfill
	if back <= 0 {
		back = DefaultBackfill
	}
	cutoff := r.clock().Now().Add(-back)
	// SEARCH SINCE counts in whole days: it finds a superset, and the
	// arrival time of each candidate decides.
	res, err := c.UIDSearch(&imap.SearchCriteria{Since: cutoff.Add(-24 * time.Hour)}, nil).Wait()
	if err != nil {
		return 0, err
	}
	uids := res.AllUIDs()
	sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
	for i := 0; i < len(uids); i += fetchBatch {
		batch := uids[i:min(i+fetchBatch, len(uids))]
		msgs, err := c.Fetch(imap.UIDSetNum(batch...), &imap.FetchOptions{UID: true, InternalDate: true}).Collect()
		if err != nil {
			return 0, err
		}
		sort.Slice(msgs, func(i, j int) bool { return msgs[i].UID < msgs[j].UID })
		for _, m := range msgs {
			if !m.InternalDate.Before(cutoff) {
				return uint32(m.UID) - 1, nil
			}
		}
	}
	if sel.UIDNext > 0 {
		return uint32(sel.UIDNext) - 1, nil
	}
	all, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		return 0, err
	}
	var top uint32
	for _, u := range all.AllUIDs() {
		top = max(top, uint32(u))
	}
	return top, nil
}

// catchUp reads every message after cur, in UID order.
func (r *Reader) catchUp(ctx context.Context, c *imapclient.Client, cur Cursor) (Cursor, error) {
	for {
		var set imap.UIDSet
		set.AddRange(imap.UID(cur.LastUID+1), 0)
		res, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{set}}, nil).Wait()
		if err != nil {
			return cur, err
		}
		var uids []imap.UID
		for _, u := range res.AllUIDs() {
			// "n:*" always names the last message, even below n.
			if uint32(u) > cur.LastUID {
				uids = append(uids, u)
			}
		}
		if len(uids) == 0 {
			return cur, nil
		}
		sort.Slice(uids, func(i, j int) bool { return uids[i] < uids[j] })
		// One search for the whole backlog, fetched a batch at a time;
		// the next search only looks for what arrived meanwhile.
		for len(uids) > 0 {
			batch := uids[:min(fetchBatch, len(uids))]
			uids = uids[len(batch):]
			if cur, err = r.fetch(ctx, c, cur, batch); err != nil {
				return cur, err
			}
		}
	}
}

// fetch streams each message's body into Parse, so that a large
// attachment is never held whole, and hands it to the handler.
func (r *Reader) fetch(ctx context.Context, c *imapclient.Client, cur Cursor, uids []imap.UID) (Cursor, error) {
	cmd := c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{
		UID: true, InternalDate: true, RFC822Size: true,
		// BODY.PEEK[]: reading must not mark the message read for the
		// people who share the mailbox.
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	})
	for {
		md := cmd.Next()
		if md == nil {
			break
		}
		f := &Fetched{Account: r.Account}
		var perr error
		for perr == nil {
			item := md.Next()
			if item == nil {
				break
			}
			switch it := item.(type) {
			case imapclient.FetchItemDataUID:
				f.UID = uint32(it.UID)
			case imapclient.FetchItemDataInternalDate:
				f.Arrived = it.Time
			case imapclient.FetchItemDataRFC822Size:
				f.Size = it.Size
			case imapclient.FetchItemDataBodySection:
				if it.Literal != nil {
					f.Message, perr = parseLiteral(it.Literal)
				}
			}
		}
		if perr != nil {
			// The connection is broken mid-literal: nothing more can be
			// read from it, not even to finish the command.
			c.Close()
			return cur, perr
		}
		if f.UID <= cur.LastUID {
			continue
		}
		if f.Message == nil {
			cmd.Close()
			return cur, fmt.Errorf("message %d came without its body", f.UID)
		}
		f.Cursor = Cursor{UIDValidity: cur.UIDValidity, LastUID: f.UID}
		if err := r.handle(ctx, f); err != nil {
			// The rest of the command is read and dropped: closing the
			// connection while the client holds its next message would
			// wait for it forever.
			cmd.Close()
			return cur, err
		}
		cur = f.Cursor
	}
	return cur, cmd.Close()
}

// handle runs the handler; after maxHandleFailures in a row on one
// message it hands over the message as triage, with its subject, so that
// a person sees it and the mail behind it flows again. A store that is
// down fails the triage too, and nothing moves until it is back.
func (r *Reader) handle(ctx context.Context, f *Fetched) error {
	err := r.Handle(ctx, f)
	if err == nil || ctx.Err() != nil {
		r.failUID, r.failures = 0, 0
		return err
	}
	if f.UID != r.failUID {
		r.failUID, r.failures = f.UID, 0
	}
	r.failures++
	if r.failures < maxHandleFailures || f.Message.Class == ClassTriage {
		return err
	}
	r.log().Error("mail: a message could not be handled; it goes to triage", "mailbox", r.Account, "uid", f.UID, "err", errText(err))
	t := *f.Message
	t.Class, t.Kind, t.Why = ClassTriage, "", "could not be made into a case"
	tf := *f
	tf.Message = &t
	if err := r.Handle(ctx, &tf); err != nil {
		return err
	}
	r.failUID, r.failures = 0, 0
	return nil
}

// parseLiteral parses a body and insists that all of it arrived: a
// connection cut mid-message must not make a case of half a message.
func parseLiteral(lit imap.LiteralReader) (*Message, error) {
	cr := &countReader{r: lit}
	m, err := Parse(cr)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, cr)
	if cr.n != lit.Size() {
		return nil, fmt.Errorf("message cut short: %d of %d bytes", cr.n, lit.Size())
	}
	return m, nil
}

// countReader counts what it reads and, once the literal has returned an
// error or EOF, never reads it again: the client's own reader takes the
// connection back at that moment.
type countReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// idle waits in IDLE until the server tells of new mail, the renewal time
// comes, or ctx ends.
func (r *Reader) idle(ctx context.Context, c *imapclient.Client, newMail <-chan struct{}) error {
	// Mail that arrived since the last search is still announced.
	select {
	case <-newMail:
		return nil
	default:
	}
	cmd, err := c.Idle()
	if err != nil {
		return err
	}
	t := r.clock().NewTimer(idleRenew)
	defer t.Stop()
	select {
	case <-newMail:
	case <-t.C():
	case <-ctx.Done():
	case <-c.Closed():
	}
	if err := cmd.Close(); err != nil {
		return err
	}
	if err := cmd.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}
