package mail

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sfpdesk/sfpdesk/store"
)

// Cursor is how far a mailbox has been read: UIDs mean something only
// within one UIDVALIDITY.
type Cursor struct {
	UIDValidity uint32
	LastUID     uint32
}

func (c Cursor) String() string {
	return strconv.FormatUint(uint64(c.UIDValidity), 10) + "/" + strconv.FormatUint(uint64(c.LastUID), 10)
}

func parseCursor(s string) (Cursor, bool) {
	v, u, ok := strings.Cut(s, "/")
	if !ok {
		return Cursor{}, false
	}
	vv, err1 := strconv.ParseUint(v, 10, 32)
	uu, err2 := strconv.ParseUint(u, 10, 32)
	if err1 != nil || err2 != nil {
		return Cursor{}, false
	}
	return Cursor{UIDValidity: uint32(vv), LastUID: uint32(uu)}, true
}

// LoadCursor reads a mailbox's cursor; ok is false before its first
// connection.
func LoadCursor(tx store.SeenTx, key string) (c Cursor, ok bool, err error) {
	v, ok, err := tx.Seen(store.SeenMailCursor, key)
	if err != nil || !ok {
		return Cursor{}, false, err
	}
	c, ok = parseCursor(v)
	if !ok {
		return Cursor{}, false, fmt.Errorf("mail: bad cursor %q for %s", v, key)
	}
	return c, true, nil
}

// SaveCursor writes a mailbox's cursor.
func SaveCursor(tx store.SeenTx, key string, c Cursor, at time.Time) error {
	return tx.Remember(store.SeenMailCursor, key, c.String(), at)
}

// Fetched is one message read from a mailbox, handed to a Handler.
type Fetched struct {
	// Account is the mailbox it came from.
	Account Account
	UID     uint32
	// Cursor is the mailbox's cursor once this message is done.
	Cursor Cursor
	// Arrived is the server's INTERNALDATE.
	Arrived time.Time
	// Size is the message's size in bytes.
	Size    int64
	Message *Message
}

// Key is what a repeat of the message is known by: its Message-ID, or
// where it lies in the mailbox when it has none.
func (f *Fetched) Key() string {
	if f.Message != nil && f.Message.MessageID != "" {
		return f.Message.MessageID
	}
	return f.Account.Key() + "#" + f.Cursor.String()
}

// Seen reports what an earlier copy of the message made ("" for nothing
// worth naming), and whether there was one.
func (f *Fetched) Seen(tx store.SeenTx) (string, bool, error) {
	return tx.Seen(store.SeenMailMessage, f.Key())
}

// Commit records, in the handler's transaction, that the message is done:
// the mailbox's cursor moves past it and its Message-ID is remembered with
// what it made (e.g. a case id). A handler calls Seen first and makes
// nothing for a repeat, then Commit in either case.
func (f *Fetched) Commit(tx store.SeenTx, made string, at time.Time) error {
	if err := SaveCursor(tx, f.Account.Key(), f.Cursor, at); err != nil {
		return err
	}
	if _, ok, err := f.Seen(tx); err != nil || ok {
		return err
	}
	return tx.Remember(store.SeenMailMessage, f.Key(), made, at)
}

// Handler takes one message and returns once what it made and the cursor
// (Fetched.Commit) are committed together. An error leaves the message to
// be fetched again.
type Handler func(ctx context.Context, f *Fetched) error

// CommitAlone is a Handler's commit for mail that makes nothing (ignored
// mail, a repeat): only the cursor and the Message-ID.
func CommitAlone(ctx context.Context, st store.Store, f *Fetched, at time.Time) error {
	return st.Update(ctx, func(tx store.Tx) error { return f.Commit(tx, "", at) })
}
