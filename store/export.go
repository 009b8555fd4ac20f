package store

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// ErrNotEmpty is returned by Import into a store that already holds data:
// moving never merges two stores.
var ErrNotEmpty = errors.New("the target store is not empty")

// SeenKey is one remembered key (SeenTx), as it moves between stores.
type SeenKey struct {
	Space string    `json:"space"`
	Key   string    `json:"key"`
	Value string    `json:"value"`
	At    time.Time `json:"at"`
}

// Counters are where a store's numbering stands: the next number or id
// each kind of record gets. A store that takes them over never hands out
// a number the old one did.
type Counters struct {
	NextCase     uint64 `json:"next_case"`
	NextClaim    uint64 `json:"next_claim"`
	NextOutbox   uint64 `json:"next_outbox"`
	NextCallback uint64 `json:"next_callback"`
}

// Record is one of everything a store holds; exactly one field is set.
type Record struct {
	Case     *sfp.Case      `json:"case,omitempty"`
	Seller   *sfp.Seller    `json:"seller,omitempty"`
	Seen     *SeenKey       `json:"seen,omitempty"`
	Due      *DueEntry      `json:"due,omitempty"`
	Outbox   *OutboxMessage `json:"outbox,omitempty"`
	Callback *Callback      `json:"callback,omitempty"`
	Claim    *sfp.Claim     `json:"claim,omitempty"`
	Counters *Counters      `json:"counters,omitempty"`
}

// Exporter is a store that can list every record it holds, from one
// consistent snapshot, for moving to another store. Counters come last.
type Exporter interface {
	Export(ctx context.Context, fn func(Record) error) error
}

// Importer is a store that can take every record of another, ids and
// numbers kept, in one transaction: all of it or none. It refuses with
// ErrNotEmpty when it holds anything already.
type Importer interface {
	Import(ctx context.Context, from Exporter) error
}

// WriteExport writes every record of e to w, a JSON object a line.
func WriteExport(ctx context.Context, e Exporter, w io.Writer) (int64, error) {
	cw := &countingWriter{w: bufio.NewWriter(w)}
	enc := json.NewEncoder(cw)
	err := e.Export(ctx, func(r Record) error { return enc.Encode(r) })
	if ferr := cw.w.Flush(); err == nil {
		err = ferr
	}
	return cw.n, err
}

type countingWriter struct {
	w *bufio.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// ImportInto writes every record of from into tx, ids and numbers kept, and
// returns the counters the target must continue from: past every id it
// wrote, and never behind the source's own counters (a number handed out
// and released, or a case erased, must not be handed out again).
func ImportInto(ctx context.Context, tx Tx, from Exporter) (Counters, error) {
	var c, exported Counters
	err := from.Export(ctx, func(r Record) error {
		switch {
		case r.Case != nil:
			c.NextCase = max(c.NextCase, r.Case.Number+1)
			return tx.PutCase(r.Case)
		case r.Seller != nil:
			return tx.PutSeller(r.Seller)
		case r.Seen != nil:
			return tx.Remember(r.Seen.Space, r.Seen.Key, r.Seen.Value, r.Seen.At)
		case r.Due != nil:
			return tx.PutDue(*r.Due)
		case r.Outbox != nil:
			c.NextOutbox = max(c.NextOutbox, r.Outbox.ID+1)
			return tx.PutOutbox(r.Outbox)
		case r.Callback != nil:
			c.NextCallback = max(c.NextCallback, r.Callback.ID+1)
			return tx.PutCallback(r.Callback)
		case r.Claim != nil:
			c.NextClaim = max(c.NextClaim, r.Claim.Number+1)
			return tx.PutClaim(r.Claim)
		case r.Counters != nil:
			exported = *r.Counters
		}
		return nil
	})
	c.NextCase = max(c.NextCase, exported.NextCase, sfp.FirstCaseNumber)
	c.NextClaim = max(c.NextClaim, exported.NextClaim, sfp.FirstClaimNumber)
	c.NextOutbox = max(c.NextOutbox, exported.NextOutbox, 1)
	c.NextCallback = max(c.NextCallback, exported.NextCallback, 1)
	return c, err
}
