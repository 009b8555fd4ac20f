package store

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
)

var (
	// ErrNotFound is returned for a record that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrInUse is returned by Open when another process holds the database.
	ErrInUse = errors.New("database in use by another process")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("database closed")
	// ErrConflict is returned for a second claim of one type on an order
	// that has one.
	ErrConflict = errors.New("conflict")
)

// Store opens transactions over sfpdesk's state.
type Store interface {
	// Update runs fn in a read-write transaction, committed when fn returns
	// nil and rolled back otherwise. A backend with concurrent writers
	// (PostgreSQL) runs fn again when its transaction lost a conflict, so
	// fn must leave nothing outside the transaction that a second run
	// would double.
	Update(ctx context.Context, fn func(Tx) error) error
	// Batch is Update for many concurrent small writers: their functions may
	// share one commit (one fsync). fn may run more than once, so it must
	// have no effect outside the transaction.
	Batch(ctx context.Context, fn func(Tx) error) error
	// ReserveCaseNumber hands out the next case number outside any
	// transaction, so that a case can be built and its messages rendered
	// before the write transaction, which holds every other writer back.
	// Numbers from it and from Tx.NextCaseNumber never repeat; the number
	// is taken for good once PutCase writes a case with it.
	ReserveCaseNumber(ctx context.Context) (uint64, error)
	// ReleaseCaseNumber gives back a reserved number that was not used.
	ReleaseCaseNumber(n uint64)
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Backup writes a consistent copy of the whole database to w.
	Backup(ctx context.Context, w io.Writer) (int64, error)
	Close() error
}

// Tx is one transaction. Values returned are copies owned by the caller.
type Tx interface {
	CaseTx
	SellerTx
	SeenTx
	DueTx
	OutboxTx
	CallbackTx
	ClaimTx
	MailTx
}

// CaseTx reads and writes cases. PutCase keeps the look-up indexes (by
// order, by message, open cases by seller, cases by seller and received
// time) in step with the case.
type CaseTx interface {
	NextCaseNumber() (uint64, error)
	Case(id string) (*sfp.Case, error)
	PutCase(c *sfp.Case) error
	CasesByOrder(orderID string) ([]*sfp.Case, error)
	// CaseByMessage finds the case whose card or CS-side thread is the
	// message (channel, ts).
	CaseByMessage(channel, ts string) (*sfp.Case, error)
	// OpenCases lists the open cases of a seller ("" for all), by number.
	OpenCases(seller string) ([]*sfp.Case, error)
	// OpenCounts counts open cases per seller without reading them.
	OpenCounts() (map[string]int, error)
	// ForEachCase visits every case by number until fn returns false.
	ForEachCase(fn func(*sfp.Case) bool) error
	// CasesReceived visits the summaries (sfp.SummaryOf, as of the case's
	// last PutCase) of the cases of seller ("" for every seller) whose
	// ReceivedAt is in [from, to), by seller, then ReceivedAt, then number,
	// until fn returns false. PutCase keeps the index it reads, by (seller,
	// ReceivedAt), in the same transaction, so that the figures of a period
	// cost what the period holds, not what the store holds.
	CasesReceived(seller string, from, to time.Time, fn func(sfp.Summary) bool) error
}

// SellerTx reads and writes sellers and their routes.
type SellerTx interface {
	Seller(name string) (*sfp.Seller, error)
	PutSeller(s *sfp.Seller) error
	DeleteSeller(name string) error
	Sellers() ([]*sfp.Seller, error)
}

// SeenTx remembers keys that must have an effect only once: Slack event
// ids, (channel, ts) of messages, intake source ids.
type SeenTx interface {
	// Seen returns the value remembered under (space, key).
	Seen(space, key string) (string, bool, error)
	// Remember stores value under (space, key) with the time it was seen.
	Remember(space, key, value string, at time.Time) error
	// Forget drops keys of space seen before t; it returns how many.
	Forget(space string, before time.Time) (int, error)
}

// Seen spaces.
const (
	SeenEvent    = "event"    // Slack event_id
	SeenMessage  = "message"  // channel/ts of an incoming message
	SeenSourceID = "sourceid" // intake token hash/source_id → case id
	// SeenMailCursor holds a mailbox's cursor (UIDVALIDITY, last UID),
	// written in the transaction of the case its last message made.
	SeenMailCursor = "mailcursor"
	// SeenMailMessage maps a mail's Message-ID to what it made: a repeat
	// makes nothing. Neither mail space is purged with buyer data.
	SeenMailMessage = "mailmsg"
)

// DueEntry is something that must happen at a time: a reminder, an
// escalation, a case closing.
type DueEntry struct {
	At     time.Time `json:"at"`
	CaseID string    `json:"case_id"`
	Kind   string    `json:"kind"`
	// Deadline is the deadline the entry serves: after downtime a reminder
	// whose deadline has passed gives way to the escalation.
	Deadline time.Time `json:"deadline,omitempty"`
	Detail   string    `json:"detail,omitempty"`
}

// DueTx keeps the due index, ordered by time.
type DueTx interface {
	PutDue(e DueEntry) error
	DeleteDue(e DueEntry) error
	// DueBefore returns up to limit entries due at or before t, earliest
	// first.
	DueBefore(t time.Time, limit int) ([]DueEntry, error)
	// NextDue returns the earliest entry's time.
	NextDue() (time.Time, bool, error)
	// DueForCase lists the entries of one case.
	DueForCase(caseID string) ([]DueEntry, error)
}

// Outbox message operations.
const (
	OpPost   = "post"
	OpUpdate = "update"
	// OpPublishHome publishes the App Home of the user in Channel, built
	// when it is sent: only the latest state of a Home is worth sending.
	OpPublishHome = "publish_home"
	// OpUpload uploads a file into Channel: Blocks hold it (bot.Upload).
	OpUpload = "upload"
)

// Outbox message states.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
)

// OutboxMessage is a Slack message a change owes. It is written in the
// change's transaction and sent afterwards, in order per channel.
type OutboxMessage struct {
	ID      uint64 `json:"id"`
	CaseID  string `json:"case_id,omitempty"`
	Channel string `json:"channel"`
	Op      string `json:"op"`
	// ThreadOf is the outbox id of the thread's root when the root is a
	// message of ours not yet posted; ThreadTS is used when the ts is known.
	ThreadOf uint64 `json:"thread_of,omitempty"`
	ThreadTS string `json:"thread_ts,omitempty"`
	// Target is the outbox id of the message an update replaces, or
	// TargetTS its ts.
	Target    uint64          `json:"target,omitempty"`
	TargetTS  string          `json:"target_ts,omitempty"`
	Text      string          `json:"text"`
	Blocks    json.RawMessage `json:"blocks,omitempty"`
	Broadcast bool            `json:"broadcast,omitempty"`

	State     string    `json:"state"`
	TS        string    `json:"ts,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	NotBefore time.Time `json:"not_before,omitempty"`
	SentAt    time.Time `json:"sent_at,omitempty"`
	// InFlight is set, and committed, before a send starts: after a crash a
	// message still in flight may or may not have reached Slack and is
	// looked up in the channel's history before it is sent again.
	InFlight  bool   `json:"in_flight,omitempty"`
	Attempts  int    `json:"attempts,omitempty"`
	LastError string `json:"last_error,omitempty"`
}

// OutboxTx keeps the outbox. Pending messages are indexed per channel.
type OutboxTx interface {
	// Enqueue assigns m an id, stores it as pending and returns the id.
	Enqueue(m *OutboxMessage) (uint64, error)
	OutboxMessage(id uint64) (*OutboxMessage, error)
	// PutOutbox stores m; leaving the pending state takes it out of its
	// channel's queue.
	PutOutbox(m *OutboxMessage) error
	// PendingChannels lists the channels with pending messages.
	PendingChannels() ([]string, error)
	// Pending returns up to limit pending messages of a channel, oldest
	// first.
	Pending(channel string, limit int) ([]*OutboxMessage, error)
	// OutboxForCase lists every message of a case, oldest first: erasing a
	// buyer's data reaches the bot's messages about them too.
	OutboxForCase(caseID string) ([]*OutboxMessage, error)
}

// Callback delivery states.
const (
	CallbackPending   = "pending"
	CallbackDelivered = "delivered"
	// CallbackStopped is final: the receiver refused (a 4xx other than 408
	// or 429), the address was refused, or a day of retries ran out.
	CallbackStopped = "stopped"
)

// CallbackAttempt is one try at delivering a callback.
type CallbackAttempt struct {
	At time.Time `json:"at"`
	// Status is the receiver's HTTP status, 0 when there was no answer.
	Status int    `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Callback is a seller's reply owed to the integration that sent an intake
// case (DESIGN §4.4). It is written in the reply's transaction and POSTed
// afterwards; the payload is fixed here so that every retry sends the same
// body.
type Callback struct {
	ID uint64 `json:"id"`
	// DeliveryID names the delivery to the receiver, the same on every
	// retry, so that it can drop repeats.
	DeliveryID string    `json:"delivery_id"`
	CaseID     string    `json:"case_id"`
	SourceID   string    `json:"source_id,omitempty"`
	URL        string    `json:"url"`
	Type       string    `json:"type"` // "answer" or "follow_up"
	Answer     string    `json:"answer"`
	ByID       string    `json:"by_id"`
	ByName     string    `json:"by_name,omitempty"`
	AnsweredAt time.Time `json:"answered_at"`
	// After is the case's previous callback, delivered (or given up)
	// before this one so that a receiver sees a case's replies in order.
	After uint64 `json:"after,omitempty"`

	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	// NotBefore is when the next attempt may start; while an attempt runs
	// it is pushed ahead as a lease, so that a crash leaves the callback
	// due again once the lease is over.
	NotBefore time.Time `json:"not_before"`
	// InFlight is committed before an attempt starts: found set after a
	// restart, it means an attempt was cut short with its outcome unknown.
	InFlight bool              `json:"in_flight,omitempty"`
	Attempts []CallbackAttempt `json:"attempts,omitempty"`
	DoneAt   time.Time         `json:"done_at,omitempty"`
}

// CallbackTx keeps the callback queue. Pending callbacks are indexed by
// NotBefore, and every callback by its case.
type CallbackTx interface {
	// EnqueueCallback assigns cb an id, stores it as pending (unless it
	// has a state) and returns the id.
	EnqueueCallback(cb *Callback) (uint64, error)
	Callback(id uint64) (*Callback, error)
	// PutCallback stores cb; leaving the pending state takes it out of the
	// queue.
	PutCallback(cb *Callback) error
	// DueCallbacks returns up to limit pending callbacks with NotBefore at
	// or before t, earliest first.
	DueCallbacks(t time.Time, limit int) ([]*Callback, error)
	// NextCallback returns the earliest NotBefore of a pending callback.
	NextCallback() (time.Time, bool, error)
	// CaseCallbacks lists the callbacks of one case, oldest first.
	CaseCallbacks(caseID string) ([]*Callback, error)
}

// ClaimTx keeps reimbursement and carrier claims. The SFP reimbursement
// policy allows one reimbursement claim per order, and the store holds to
// it: PutClaim refuses a second one on an order with ErrConflict. A carrier
// claim is outside that policy; an order has at most one of those too (a
// parcel is claimed from its carrier once), beside its reimbursement claim.
type ClaimTx interface {
	// NextClaimNumber allocates a claim number; the first is 1001.
	NextClaimNumber() (uint64, error)
	Claim(id string) (*sfp.Claim, error)
	PutClaim(cl *sfp.Claim) error
	// ClaimByOrder returns the order's reimbursement claim.
	ClaimByOrder(orderID string) (*sfp.Claim, error)
	// ClaimsByOrder returns every claim of the order: its reimbursement
	// claim first, then its carrier claim.
	ClaimsByOrder(orderID string) ([]*sfp.Claim, error)
	// OpenClaims lists the claims not yet settled (paid or denied) of a
	// seller ("" for all), by number.
	OpenClaims(seller string) ([]*sfp.Claim, error)
}

// Mail reply states.
const (
	MailPending = "pending"
	MailSent    = "sent"
	// MailFailed is final: the server refused the reply for good.
	MailFailed = "failed"
)

// MailOut is a reply owed to a buyer by e-mail (DESIGN §4.9). It is
// written in the reply's transaction, its Message-ID fixed then, and sent
// afterwards one at a time per seller's mailbox.
type MailOut struct {
	ID         uint64    `json:"id"`
	Seller     string    `json:"seller"`
	CaseID     string    `json:"case_id,omitempty"`
	MessageID  string    `json:"message_id"`
	From       string    `json:"from"`
	To         string    `json:"to"`
	Subject    string    `json:"subject"`
	InReplyTo  string    `json:"in_reply_to,omitempty"`
	References []string  `json:"references,omitempty"`
	Text       string    `json:"text"`
	Date       time.Time `json:"date"`

	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	NotBefore time.Time `json:"not_before,omitempty"`
	// InFlight is committed before the mail's data is sent: found set
	// after a restart, the reply may have gone, and the Sent folder is
	// searched for its Message-ID before it is sent again.
	InFlight  bool      `json:"in_flight,omitempty"`
	Attempts  int       `json:"attempts,omitempty"`
	LastError string    `json:"last_error,omitempty"`
	SentAt    time.Time `json:"sent_at,omitempty"`
}

// MailTx keeps the queue of replies by e-mail. Pending replies are indexed
// per seller, oldest first.
type MailTx interface {
	// EnqueueMail assigns m an id, stores it as pending (unless it has a
	// state) and returns the id.
	EnqueueMail(m *MailOut) (uint64, error)
	MailOut(id uint64) (*MailOut, error)
	// PutMailOut stores m; leaving the pending state takes it out of its
	// seller's queue.
	PutMailOut(m *MailOut) error
	// PendingMail returns up to limit pending replies of a seller, oldest
	// first.
	PendingMail(seller string, limit int) ([]*MailOut, error)
}
