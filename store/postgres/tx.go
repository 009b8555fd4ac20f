package postgres

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// querier is what a transaction needs of a connection.
type querier interface {
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
}

// maxPending bounds the writes a transaction holds before it sends them.
const maxPending = 500

// A transaction sends its statements in pipelines: writes whose result
// nobody reads at once (an index entry, a due entry, a message's new
// state) wait in pending and go with the next statement that must answer,
// BEGIN with the first and COMMIT with the last, so that a transaction
// costs a few round trips rather than one a statement. A write that fails
// fails the transaction: its error comes back from a later call, or from
// the commit.
type tx struct {
	ctx      context.Context
	q        querier
	db       *DB
	writable bool
	// pending are the statements not yet sent; begun is set once BEGIN
	// has been.
	pending *pgx.Batch
	begun   bool
	// failed is the first statement that failed: PostgreSQL aborts the
	// transaction then, whatever fn makes of the error.
	failed error
	// cases holds what is stored of the cases read or written here, so
	// that PutCase writes only what changed.
	cases map[uint64]storedCase
	// wrote are the reserved numbers this transaction wrote cases with.
	wrote []uint64
	// newDue are the due entries of cases created here, by case.
	newDue map[string][]store.DueEntry
}

// created reports whether the case is new in this transaction.
func (t *tx) created(caseID string) bool {
	_, n, ok := sfp.ParseCaseID(caseID)
	if !ok {
		return false
	}
	if sc, ok := t.cases[n]; ok {
		return sc.fresh || sc.created
	}
	return t.db.isReserved(n)
}

// storedCase is what PutCase needs to know of a case's stored version.
// A case not yet stored (fresh: a number just drawn) is inserted without
// looking for rows to replace: under serialisable isolation every such
// look, even at nothing, locks the index page it looked at, and all new
// cases share the last page of each index, so that concurrent writers of
// new cases would abort each other.
type storedCase struct {
	events int
	refs   [2]sfp.MessageRef
	fresh  bool
	// created: the case is new in this transaction. Its due entries are
	// then all in newDue, and DueForCase need not look (and lock).
	created bool
	// summary is the case's summary as stored, nil when unknown: it
	// changes with nearly every write, but not with every one.
	summary []byte
}

func (t *tx) remember(n uint64, sc storedCase) {
	if t.cases == nil {
		t.cases = map[uint64]storedCase{}
	}
	t.cases[n] = sc
}

// messageRefs are a case's indexed messages: those with a ts.
func messageRefs(c *sfp.Case) [2]sfp.MessageRef {
	var refs [2]sfp.MessageRef
	for i, r := range []sfp.MessageRef{c.Card, c.CSThread} {
		if r.Channel != "" && r.TS != "" {
			refs[i] = sfp.MessageRef{Channel: r.Channel, TS: r.TS}
		}
	}
	return refs
}

func (t *tx) fail(err error) error {
	if err != nil && t.failed == nil && !errors.Is(err, pgx.ErrNoRows) {
		t.failed = err
	}
	return err
}

// queue holds a write until the next round trip.
func (t *tx) queue(sql string, args ...any) error {
	if t.failed != nil {
		return t.failed
	}
	t.pending.Queue(sql, args...)
	if t.pending.Len() >= maxPending {
		return t.send(nil, "")
	}
	return nil
}

// send sends what is pending, then sql if there is one, whose results
// read reads, in one round trip.
func (t *tx) send(read func(pgx.BatchResults) error, sql string, args ...any) error {
	if t.failed != nil {
		return t.failed
	}
	b := t.pending
	n := b.Len()
	t.pending = &pgx.Batch{}
	if read != nil {
		b.Queue(sql, args...)
	}
	if b.Len() == 0 {
		return nil
	}
	t.begun = true
	res := t.q.SendBatch(t.ctx, b)
	for range n {
		if _, err := res.Exec(); err != nil {
			res.Close()
			return t.fail(err)
		}
	}
	if read != nil {
		if err := read(res); err != nil {
			res.Close()
			return t.fail(err)
		}
	}
	return t.fail(res.Close())
}

func (t *tx) exec(sql string, args ...any) (pgconn.CommandTag, error) {
	var tag pgconn.CommandTag
	err := t.send(func(res pgx.BatchResults) error {
		var err error
		tag, err = res.Exec()
		return err
	}, sql, args...)
	return tag, err
}

// rows runs a query and calls scan for each row.
func (t *tx) rows(scan func(pgx.Rows) error, sql string, args ...any) error {
	return t.send(func(res pgx.BatchResults) error {
		rows, err := res.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}, sql, args...)
}

// one runs a query of at most one row; false when there was none.
func (t *tx) one(sql string, args []any, dest ...any) (bool, error) {
	found := false
	err := t.send(func(res pgx.BatchResults) error {
		err := res.QueryRow().Scan(dest...)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		found = err == nil
		return err
	}, sql, args...)
	return found, err
}

func (t *tx) mustWrite(what string) error {
	if !t.writable {
		return fmt.Errorf("%s: read-only transaction", what)
	}
	return nil
}

// Cases.

func (t *tx) NextCaseNumber() (uint64, error) {
	if err := t.mustWrite("next case number"); err != nil {
		return 0, err
	}
	var n int64
	_, err := t.one(`SELECT nextval('case_numbers') FROM (SELECT pg_advisory_xact_lock_shared($1, hashtext(current_schema()))) l`, []any{lockNumbers}, &n)
	if err == nil {
		t.remember(uint64(n), storedCase{fresh: true})
	}
	return uint64(n), err
}

const caseColumns = `number, data::text`

// readCases decodes the cases of a query selecting caseColumns, then
// reads their histories in one more query.
func (t *tx) readCases(sql string, args ...any) ([]*sfp.Case, error) {
	var out []*sfp.Case
	err := t.rows(func(r pgx.Rows) error {
		var n int64
		var data string
		if err := r.Scan(&n, &data); err != nil {
			return err
		}
		var c sfp.Case
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return fmt.Errorf("case %d: %w", n, err)
		}
		c.Number = uint64(n)
		out = append(out, &c)
		return nil
	}, sql, args...)
	if err != nil || len(out) == 0 {
		return out, err
	}
	return out, t.readEvents(out)
}

func (t *tx) readEvents(cases []*sfp.Case) error {
	byNumber := make(map[int64]*sfp.Case, len(cases))
	nums := make([]int64, 0, len(cases))
	for _, c := range cases {
		c.Events = nil
		byNumber[int64(c.Number)] = c
		nums = append(nums, int64(c.Number))
	}
	err := t.rows(func(r pgx.Rows) error {
		var n int64
		var e sfp.Event
		var nanos, offset int32
		var detail []byte
		if err := r.Scan(&n, &e.At, &nanos, &offset, &e.Type, &e.By, &detail); err != nil {
			return err
		}
		e.At = e.At.Add(time.Duration(nanos)).In(zone(int(offset)))
		e.Detail = string(detail)
		c := byNumber[n]
		c.Events = append(c.Events, e)
		return nil
	}, `SELECT number, at, at_nanos, at_offset, type, by_id, detail FROM events WHERE number = ANY($1) ORDER BY number, seq`, nums)
	if err != nil {
		return err
	}
	if t.writable {
		for _, c := range cases {
			t.remember(c.Number, storedCase{events: len(c.Events), refs: messageRefs(c), summary: store.EncodeSummary(sfp.SummaryOf(c))})
		}
	}
	return nil
}

// zone is the location a time was written in, as far as its offset says.
func zone(offset int) *time.Location {
	if offset == 0 {
		return time.UTC
	}
	return time.FixedZone("", offset)
}

func (t *tx) caseByNumber(n uint64) (*sfp.Case, error) {
	cs, err := t.readCases(`SELECT `+caseColumns+` FROM cases WHERE number = $1`, int64(n))
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, store.ErrNotFound
	}
	return cs[0], nil
}

func (t *tx) Case(id string) (*sfp.Case, error) {
	_, n, ok := sfp.ParseCaseID(id)
	if !ok {
		return nil, store.ErrNotFound
	}
	return t.caseByNumber(n)
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (t *tx) PutCase(c *sfp.Case) error {
	if err := t.mustWrite("put case"); err != nil {
		return err
	}
	if c.Number == 0 {
		_, n, ok := sfp.ParseCaseID(c.ID)
		if !ok {
			return fmt.Errorf("put case: bad id %q", c.ID)
		}
		c.Number = n
	}
	record := *c
	record.Events = nil
	data, err := json.Marshal(&record)
	if err != nil {
		return err
	}
	num := int64(c.Number)
	var received any
	if !c.ReceivedAt.IsZero() {
		received = c.ReceivedAt
	}
	if t.failed != nil {
		return t.failed
	}
	prev, known := t.cases[c.Number]
	if !known && t.db.isReserved(c.Number) {
		prev, known = storedCase{fresh: true}, true
		t.wrote = append(t.wrote, c.Number)
	}
	b := t.pending
	insert := `INSERT INTO cases (number, seller, kind, order_id, is_open, received_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7::json)`
	if !prev.fresh {
		insert += ` ON CONFLICT (number) DO UPDATE SET seller = excluded.seller, kind = excluded.kind, order_id = excluded.order_id,
			is_open = excluded.is_open, received_at = excluded.received_at, data = excluded.data`
	}
	b.Queue(insert, num, c.Seller, string(c.Kind), nullable(c.OrderID), c.State.IsOpen(), received, string(data))
	refs := messageRefs(c)
	if !known || refs != prev.refs {
		if !prev.fresh {
			b.Queue(`DELETE FROM case_messages WHERE number = $1 AND NOT (channel = $2 AND ts = $3) AND NOT (channel = $4 AND ts = $5)`,
				num, refs[0].Channel, refs[0].TS, refs[1].Channel, refs[1].TS)
		}
		for _, r := range refs {
			if r.Channel != "" && r != prev.refs[0] && r != prev.refs[1] {
				b.Queue(`INSERT INTO case_messages (channel, ts, number) VALUES ($1, $2, $3)
					ON CONFLICT (channel, ts) DO UPDATE SET number = excluded.number WHERE case_messages.number <> excluded.number`,
					r.Channel, r.TS, num)
			}
		}
	}
	stored := prev.events
	if !known {
		// A case not read here: the rows of its history already there
		// are kept. A number given from outside the sequence (a move
		// from another store) is taken for good, as one drawn from it is.
		b.Queue(`SELECT setval('case_numbers', $1) FROM case_numbers WHERE (CASE WHEN is_called THEN last_value + 1 ELSE last_value END) <= $1`, num)
	}
	if !known || stored > len(c.Events) {
		b.Queue(`DELETE FROM events WHERE number = $1 AND seq >= $2`, num, len(c.Events))
	}
	if len(c.Events) > stored {
		n := len(c.Events) - stored
		seqs, ats, nanos, offsets := make([]int32, 0, n), make([]time.Time, 0, n), make([]int32, 0, n), make([]int32, 0, n)
		types, bys, details := make([]string, 0, n), make([]string, 0, n), make([][]byte, 0, n)
		for i := stored; i < len(c.Events); i++ {
			e := c.Events[i]
			_, off := e.At.Zone()
			seqs = append(seqs, int32(i))
			ats = append(ats, e.At.Truncate(time.Microsecond))
			nanos = append(nanos, int32(e.At.Nanosecond()%1000))
			offsets = append(offsets, int32(off))
			types, bys, details = append(types, e.Type), append(bys, e.By), append(details, []byte(e.Detail))
		}
		insert := `INSERT INTO events (number, seq, at, at_nanos, at_offset, type, by_id, detail)
			SELECT $1, * FROM unnest($2::int[], $3::timestamptz[], $4::int[], $5::int[], $6::text[], $7::text[], $8::bytea[])`
		if !known {
			insert += ` ON CONFLICT (number, seq) DO NOTHING`
		}
		b.Queue(insert, num, seqs, ats, nanos, offsets, types, bys, details)
	}
	sum := store.EncodeSummary(sfp.SummaryOf(c))
	if !bytes.Equal(sum, prev.summary) {
		queueSummary(b, num, c, sum, !prev.fresh)
	}
	if b.Len() >= maxPending {
		if err := t.send(nil, ""); err != nil {
			return err
		}
	}
	t.remember(c.Number, storedCase{events: len(c.Events), refs: refs, created: prev.fresh || prev.created, summary: sum})
	return nil
}

// queueSummary writes the row of c in the index by received time; replace
// is unset for a case that has none yet (see storedCase).
func queueSummary(b *pgx.Batch, num int64, c *sfp.Case, sum []byte, replace bool) {
	insert := `INSERT INTO case_summaries (number, seller, received_at, summary) VALUES ($1, $2, $3, $4)`
	if replace {
		insert += ` ON CONFLICT (number) DO UPDATE SET seller = excluded.seller, received_at = excluded.received_at, summary = excluded.summary`
	}
	b.Queue(insert, num, c.Seller, c.ReceivedAt, sum)
}

// fillSummaries writes the summary of every case stored before the index
// by received time was (migration 0003).
func (t *tx) fillSummaries() error {
	var err error
	ferr := t.ForEachCase(func(c *sfp.Case) bool {
		queueSummary(t.pending, int64(c.Number), c, store.EncodeSummary(sfp.SummaryOf(c)), false)
		if t.pending.Len() >= maxPending {
			err = t.send(nil, "")
		}
		return err == nil
	})
	return firstErr(err, ferr)
}

func (t *tx) CasesByOrder(orderID string) ([]*sfp.Case, error) {
	return t.readCases(`SELECT `+caseColumns+` FROM cases WHERE order_id = $1 ORDER BY number`, orderID)
}

func (t *tx) CaseByMessage(channel, ts string) (*sfp.Case, error) {
	cs, err := t.readCases(`SELECT c.number, c.data::text FROM case_messages m JOIN cases c USING (number) WHERE m.channel = $1 AND m.ts = $2`, channel, ts)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, store.ErrNotFound
	}
	return cs[0], nil
}

func (t *tx) OpenCases(seller string) ([]*sfp.Case, error) {
	if seller == "" {
		return t.readCases(`SELECT ` + caseColumns + ` FROM cases WHERE is_open ORDER BY number`)
	}
	return t.readCases(`SELECT `+caseColumns+` FROM cases WHERE is_open AND seller = $1 ORDER BY number`, seller)
}

func (t *tx) OpenCounts() (map[string]int, error) {
	out := map[string]int{}
	err := t.rows(func(r pgx.Rows) error {
		var seller string
		var n int
		if err := r.Scan(&seller, &n); err != nil {
			return err
		}
		out[seller] = n
		return nil
	}, `SELECT seller, count(*) FROM cases WHERE is_open GROUP BY seller`)
	return out, err
}

// forEachChunk is how many cases ForEachCase reads at a time.
const forEachChunk = 256

func (t *tx) ForEachCase(fn func(*sfp.Case) bool) error {
	after := int64(-1)
	for {
		cs, err := t.readCases(`SELECT `+caseColumns+` FROM cases WHERE number > $1 ORDER BY number LIMIT $2`, after, forEachChunk)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if !fn(c) {
				return nil
			}
		}
		if len(cs) < forEachChunk {
			return nil
		}
		after = int64(cs[len(cs)-1].Number)
	}
}

// receivedChunk is how many summaries CasesReceived reads at a time.
const receivedChunk = 2048

func (t *tx) CasesReceived(seller string, from, to time.Time, fn func(sfp.Summary) bool) error {
	if !from.Before(to) {
		return nil
	}
	sellers := []string{seller}
	if seller == "" {
		// Every seller's range apart, as with one: the sellers come from
		// the index itself, each found by one step down it.
		sellers = nil
		err := t.rows(func(r pgx.Rows) error {
			var name string
			if err := r.Scan(&name); err != nil {
				return err
			}
			sellers = append(sellers, name)
			return nil
		}, `WITH RECURSIVE s (seller) AS (
				SELECT min(seller) FROM case_summaries
				UNION ALL
				SELECT (SELECT min(seller) FROM case_summaries WHERE seller > s.seller) FROM s WHERE s.seller IS NOT NULL)
			SELECT seller FROM s WHERE seller IS NOT NULL`)
		if err != nil {
			return err
		}
	}
	for _, name := range sellers {
		if more, err := t.sellerReceived(name, from, to, fn); err != nil || !more {
			return err
		}
	}
	return nil
}

// sellerReceived visits one seller's summaries in [from, to), a chunk at a
// time; false when fn asked to stop. fn runs once a chunk is read, so that
// it may use the transaction. The column keeps microseconds: the query's
// bounds take in the microseconds from and to fall in, and the summary's
// own time, to the nanosecond, decides.
func (t *tx) sellerReceived(seller string, from, to time.Time, fn func(sfp.Summary) bool) (bool, error) {
	afterAt, afterNum := from, int64(-1)
	chunk := make([]sfp.Summary, 0, 64)
	for {
		n := 0
		chunk = chunk[:0]
		err := t.rows(func(r pgx.Rows) error {
			var v []byte
			if err := r.Scan(&afterNum, &afterAt, &v); err != nil {
				return err
			}
			n++
			s, err := store.DecodeSummary(v)
			if err != nil {
				return fmt.Errorf("summary of case %d: %w", afterNum, err)
			}
			if !s.ReceivedAt.Before(from) && s.ReceivedAt.Before(to) {
				chunk = append(chunk, s)
			}
			return nil
		}, `SELECT number, received_at, summary FROM case_summaries
			WHERE seller = $1 AND (received_at, number) > ($2, $3) AND received_at <= $4
			ORDER BY received_at, number LIMIT $5`, seller, afterAt, afterNum, to, receivedChunk)
		if err != nil {
			return false, err
		}
		for _, s := range chunk {
			if !fn(s) {
				return false, nil
			}
		}
		if n < receivedChunk {
			return true, nil
		}
	}
}

// Sellers.

func (t *tx) Seller(name string) (*sfp.Seller, error) {
	var data string
	ok, err := t.one(`SELECT data::text FROM sellers WHERE name = $1`, []any{name}, &data)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, store.ErrNotFound
	}
	var s sfp.Seller
	return &s, json.Unmarshal([]byte(data), &s)
}

func (t *tx) PutSeller(s *sfp.Seller) error {
	if err := t.mustWrite("put seller"); err != nil {
		return err
	}
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return t.queue(`INSERT INTO sellers (name, data) VALUES ($1, $2::json) ON CONFLICT (name) DO UPDATE SET data = excluded.data`, s.Name, string(data))
}

func (t *tx) DeleteSeller(name string) error {
	if err := t.mustWrite("delete seller"); err != nil {
		return err
	}
	tag, err := t.exec(`DELETE FROM sellers WHERE name = $1`, name)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

func (t *tx) Sellers() ([]*sfp.Seller, error) {
	var out []*sfp.Seller
	err := t.rows(func(r pgx.Rows) error {
		var data string
		if err := r.Scan(&data); err != nil {
			return err
		}
		var s sfp.Seller
		if err := json.Unmarshal([]byte(data), &s); err != nil {
			return err
		}
		out = append(out, &s)
		return nil
	}, `SELECT data::text FROM sellers ORDER BY name`)
	return out, err
}

// Seen keys.

func (t *tx) Seen(space, key string) (string, bool, error) {
	var v []byte
	ok, err := t.one(`SELECT value FROM seen WHERE space = $1 AND key = $2`, []any{space, []byte(key)}, &v)
	return string(v), ok, err
}

func (t *tx) Remember(space, key, value string, at time.Time) error {
	if err := t.mustWrite("remember"); err != nil {
		return err
	}
	return t.queue(`INSERT INTO seen (space, key, value, at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (space, key) DO UPDATE SET value = excluded.value, at = excluded.at`, space, []byte(key), []byte(value), at)
}

func (t *tx) Forget(space string, before time.Time) (int, error) {
	if err := t.mustWrite("forget"); err != nil {
		return 0, err
	}
	tag, err := t.exec(`DELETE FROM seen WHERE space = $1 AND at < $2`, space, before)
	return int(tag.RowsAffected()), err
}

// Due index.

func (t *tx) PutDue(e store.DueEntry) error {
	if err := t.mustWrite("put due"); err != nil {
		return err
	}
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if t.created(e.CaseID) {
		t.dropNewDue(e)
		if t.newDue == nil {
			t.newDue = map[string][]store.DueEntry{}
		}
		t.newDue[e.CaseID] = append(t.newDue[e.CaseID], e)
	}
	return t.queue(`INSERT INTO due (at, case_id, kind, detail, entry) VALUES ($1, $2, $3, $4, $5::json)
		ON CONFLICT (at, case_id, kind, detail) DO UPDATE SET entry = excluded.entry`, e.At, e.CaseID, e.Kind, e.Detail, string(v))
}

func (t *tx) DeleteDue(e store.DueEntry) error {
	if err := t.mustWrite("delete due"); err != nil {
		return err
	}
	t.dropNewDue(e)
	return t.queue(`DELETE FROM due WHERE at = $1 AND case_id = $2 AND kind = $3 AND detail = $4`, e.At, e.CaseID, e.Kind, e.Detail)
}

func (t *tx) dueEntries(sql string, args ...any) ([]store.DueEntry, error) {
	var out []store.DueEntry
	err := t.rows(func(r pgx.Rows) error {
		var v string
		if err := r.Scan(&v); err != nil {
			return err
		}
		var e store.DueEntry
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			return err
		}
		out = append(out, e)
		return nil
	}, sql, args...)
	return out, err
}

func (t *tx) DueBefore(at time.Time, limit int) ([]store.DueEntry, error) {
	return t.dueEntries(`SELECT entry::text FROM due WHERE at <= $1 ORDER BY at, case_id, kind, detail LIMIT $2`, at, limit)
}

func (t *tx) NextDue() (time.Time, bool, error) {
	es, err := t.dueEntries(`SELECT entry::text FROM due ORDER BY at, case_id, kind, detail LIMIT 1`)
	if err != nil || len(es) == 0 {
		return time.Time{}, false, err
	}
	return es[0].At, true, nil
}

// dropNewDue forgets e from newDue: same key, as in the table.
func (t *tx) dropNewDue(e store.DueEntry) {
	es := t.newDue[e.CaseID]
	k := e.At.Truncate(time.Microsecond)
	for i, o := range es {
		if o.At.Truncate(time.Microsecond).Equal(k) && o.Kind == e.Kind && o.Detail == e.Detail {
			t.newDue[e.CaseID] = append(es[:i:i], es[i+1:]...)
			return
		}
	}
}

func (t *tx) DueForCase(caseID string) ([]store.DueEntry, error) {
	if t.writable && t.created(caseID) {
		out := slices.Clone(t.newDue[caseID])
		slices.SortFunc(out, func(a, b store.DueEntry) int {
			return cmp.Or(a.At.Compare(b.At), strings.Compare(a.Kind, b.Kind), strings.Compare(a.Detail, b.Detail))
		})
		return out, nil
	}
	return t.dueEntries(`SELECT entry::text FROM due WHERE case_id = $1 ORDER BY at, kind, detail`, caseID)
}

// Outbox. A message's row holds its JSON without the blocks, and the
// blocks as they will be sent, in a column of their own (json keeps them
// as written).

func (t *tx) Enqueue(m *store.OutboxMessage) (uint64, error) {
	if err := t.mustWrite("enqueue"); err != nil {
		return 0, err
	}
	if m.State == "" {
		m.State = store.OutboxPending
	}
	if m.Op == "" {
		m.Op = store.OpPost
	}
	if strings.TrimSpace(m.Channel) == "" {
		return 0, fmt.Errorf("enqueue: message needs a channel")
	}
	// The id comes from the sequence in the INSERT itself, one round trip:
	// the row's JSON holds no id, the column is the truth (see outbox).
	m.ID = 0
	data, blocks, err := encodeOutbox(m)
	if err != nil {
		return 0, err
	}
	var id int64
	if _, err := t.one(`INSERT INTO outbox (id, case_id, channel, state, data, blocks) VALUES (nextval('outbox_ids'), $1, $2, $3, $4::json, $5::json) RETURNING id`,
		[]any{m.CaseID, m.Channel, m.State, data, blocks}, &id); err != nil {
		return 0, err
	}
	m.ID = uint64(id)
	return m.ID, nil
}

// encodeOutbox is m's row: its JSON without the blocks, and the blocks.
func encodeOutbox(m *store.OutboxMessage) (string, any, error) {
	head := *m
	head.Blocks = nil
	data, err := json.Marshal(&head)
	if err != nil {
		return "", nil, err
	}
	var blocks any
	if len(m.Blocks) > 0 {
		blocks = string(m.Blocks)
	}
	return string(data), blocks, nil
}

func (t *tx) OutboxMessage(id uint64) (*store.OutboxMessage, error) {
	ms, err := t.outbox(`SELECT id, data::text, blocks::text FROM outbox WHERE id = $1`, int64(id))
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, store.ErrNotFound
	}
	return ms[0], nil
}

func (t *tx) outbox(sql string, args ...any) ([]*store.OutboxMessage, error) {
	var out []*store.OutboxMessage
	err := t.rows(func(r pgx.Rows) error {
		var id int64
		var data string
		var blocks *string
		if err := r.Scan(&id, &data, &blocks); err != nil {
			return err
		}
		var m store.OutboxMessage
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			return err
		}
		m.ID = uint64(id)
		if blocks != nil {
			m.Blocks = json.RawMessage(*blocks)
		}
		out = append(out, &m)
		return nil
	}, sql, args...)
	return out, err
}

func (t *tx) PutOutbox(m *store.OutboxMessage) error {
	if err := t.mustWrite("put outbox"); err != nil {
		return err
	}
	if m.ID == 0 || strings.TrimSpace(m.Channel) == "" {
		return fmt.Errorf("put outbox: message needs an id and a channel")
	}
	data, blocks, err := encodeOutbox(m)
	if err != nil {
		return err
	}
	return t.queue(`INSERT INTO outbox (id, case_id, channel, state, data, blocks) VALUES ($1, $2, $3, $4, $5::json, $6::json)
		ON CONFLICT (id) DO UPDATE SET case_id = excluded.case_id, channel = excluded.channel, state = excluded.state,
			data = excluded.data, blocks = excluded.blocks`,
		int64(m.ID), m.CaseID, m.Channel, m.State, data, blocks)
}

func (t *tx) PendingChannels() ([]string, error) {
	var out []string
	err := t.rows(func(r pgx.Rows) error {
		var ch string
		if err := r.Scan(&ch); err != nil {
			return err
		}
		out = append(out, ch)
		return nil
	}, `SELECT DISTINCT channel FROM outbox WHERE state = 'pending' ORDER BY channel`)
	return out, err
}

func (t *tx) Pending(channel string, limit int) ([]*store.OutboxMessage, error) {
	return t.outbox(`SELECT id, data::text, blocks::text FROM outbox WHERE state = 'pending' AND channel = $1 ORDER BY id LIMIT $2`, channel, limit)
}

func (t *tx) OutboxForCase(caseID string) ([]*store.OutboxMessage, error) {
	return t.outbox(`SELECT id, data::text, blocks::text FROM outbox WHERE case_id <> '' AND case_id = $1 ORDER BY id`, caseID)
}

// Callbacks.

func (t *tx) EnqueueCallback(cb *store.Callback) (uint64, error) {
	if err := t.mustWrite("enqueue callback"); err != nil {
		return 0, err
	}
	var id int64
	if _, err := t.one(`SELECT nextval('callback_ids')`, nil, &id); err != nil {
		return 0, err
	}
	cb.ID = uint64(id)
	if cb.State == "" {
		cb.State = store.CallbackPending
	}
	return cb.ID, t.PutCallback(cb)
}

func (t *tx) callbacks(sql string, args ...any) ([]*store.Callback, error) {
	var out []*store.Callback
	err := t.rows(func(r pgx.Rows) error {
		var data string
		if err := r.Scan(&data); err != nil {
			return err
		}
		var cb store.Callback
		if err := json.Unmarshal([]byte(data), &cb); err != nil {
			return err
		}
		out = append(out, &cb)
		return nil
	}, sql, args...)
	return out, err
}

func (t *tx) Callback(id uint64) (*store.Callback, error) {
	cbs, err := t.callbacks(`SELECT data::text FROM callbacks WHERE id = $1`, int64(id))
	if err != nil {
		return nil, err
	}
	if len(cbs) == 0 {
		return nil, store.ErrNotFound
	}
	return cbs[0], nil
}

func (t *tx) PutCallback(cb *store.Callback) error {
	if err := t.mustWrite("put callback"); err != nil {
		return err
	}
	if cb.ID == 0 || cb.CaseID == "" {
		return fmt.Errorf("put callback: a callback needs an id and a case")
	}
	data, err := json.Marshal(cb)
	if err != nil {
		return err
	}
	return t.queue(`INSERT INTO callbacks (id, case_id, state, not_before, data) VALUES ($1, $2, $3, $4, $5::json)
		ON CONFLICT (id) DO UPDATE SET case_id = excluded.case_id, state = excluded.state, not_before = excluded.not_before, data = excluded.data`,
		int64(cb.ID), cb.CaseID, cb.State, cb.NotBefore, string(data))
}

func (t *tx) DueCallbacks(at time.Time, limit int) ([]*store.Callback, error) {
	return t.callbacks(`SELECT data::text FROM callbacks WHERE state = 'pending' AND not_before <= $1 ORDER BY not_before, id LIMIT $2`, at, limit)
}

func (t *tx) NextCallback() (time.Time, bool, error) {
	cbs, err := t.callbacks(`SELECT data::text FROM callbacks WHERE state = 'pending' ORDER BY not_before, id LIMIT 1`)
	if err != nil || len(cbs) == 0 {
		return time.Time{}, false, err
	}
	return cbs[0].NotBefore, true, nil
}

func (t *tx) CaseCallbacks(caseID string) ([]*store.Callback, error) {
	return t.callbacks(`SELECT data::text FROM callbacks WHERE case_id = $1 ORDER BY id`, caseID)
}

// Claims.

func (t *tx) NextClaimNumber() (uint64, error) {
	if err := t.mustWrite("next claim number"); err != nil {
		return 0, err
	}
	var n int64
	_, err := t.one(`UPDATE counters SET value = value + 1 WHERE name = 'claim' RETURNING value - 1`, nil, &n)
	return uint64(n), err
}

func (t *tx) claims(sql string, args ...any) ([]*sfp.Claim, error) {
	var out []*sfp.Claim
	err := t.rows(func(r pgx.Rows) error {
		var data string
		if err := r.Scan(&data); err != nil {
			return err
		}
		var cl sfp.Claim
		if err := json.Unmarshal([]byte(data), &cl); err != nil {
			return err
		}
		out = append(out, &cl)
		return nil
	}, sql, args...)
	return out, err
}

func (t *tx) oneClaim(sql string, args ...any) (*sfp.Claim, error) {
	cls, err := t.claims(sql, args...)
	if err != nil {
		return nil, err
	}
	if len(cls) == 0 {
		return nil, store.ErrNotFound
	}
	return cls[0], nil
}

func (t *tx) Claim(id string) (*sfp.Claim, error) {
	_, n, ok := sfp.ParseClaimID(id)
	if !ok {
		return nil, store.ErrNotFound
	}
	return t.oneClaim(`SELECT data::text FROM claims WHERE number = $1`, int64(n))
}

func (t *tx) PutClaim(cl *sfp.Claim) error {
	if err := t.mustWrite("put claim"); err != nil {
		return err
	}
	if cl.Number == 0 {
		_, n, ok := sfp.ParseClaimID(cl.ID)
		if !ok {
			return fmt.Errorf("put claim: bad id %q", cl.ID)
		}
		cl.Number = n
	}
	if cl.OrderID == "" {
		return fmt.Errorf("put claim %s: a claim needs an order", cl.ID)
	}
	conflict := fmt.Errorf("put claim %s on order %s: %w", cl.ID, cl.OrderID, store.ErrConflict)
	// Looking first keeps the transaction usable after a refusal; the
	// constraint holds the rule against a concurrent writer.
	typ := claimType(cl)
	var other int64
	found, err := t.one(`SELECT number FROM claims WHERE order_id = $1 AND type = $2`, []any{cl.OrderID, typ}, &other)
	if err != nil {
		return err
	}
	if found && uint64(other) != cl.Number {
		return conflict
	}
	data, err := json.Marshal(cl)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO claims (number, order_id, type, seller, is_open, data) VALUES ($1, $2, $3, $4, $5, $6::json)
		ON CONFLICT (number) DO UPDATE SET order_id = excluded.order_id, type = excluded.type, seller = excluded.seller,
			is_open = excluded.is_open, data = excluded.data`,
		int64(cl.Number), cl.OrderID, typ, cl.Seller, cl.IsOpen(), string(data))
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "claims_one_per_order_and_type" {
		return conflict
	}
	return err
}

// claimType is the type column of cl: a claim stored without a type is a
// reimbursement claim.
func claimType(cl *sfp.Claim) string {
	if cl.Type == sfp.ClaimTypeCarrier {
		return sfp.ClaimTypeCarrier
	}
	return sfp.ClaimTypeReimbursement
}

func (t *tx) ClaimByOrder(orderID string) (*sfp.Claim, error) {
	return t.oneClaim(`SELECT data::text FROM claims WHERE order_id = $1 AND type = 'reimbursement'`, orderID)
}

func (t *tx) ClaimsByOrder(orderID string) ([]*sfp.Claim, error) {
	return t.claims(`SELECT data::text FROM claims WHERE order_id = $1 ORDER BY type = 'carrier', number`, orderID)
}

func (t *tx) OpenClaims(seller string) ([]*sfp.Claim, error) {
	if seller == "" {
		return t.claims(`SELECT data::text FROM claims WHERE is_open ORDER BY number`)
	}
	return t.claims(`SELECT data::text FROM claims WHERE is_open AND seller = $1 ORDER BY number`, seller)
}

// Replies by e-mail.

func (t *tx) EnqueueMail(m *store.MailOut) (uint64, error) {
	if err := t.mustWrite("enqueue mail reply"); err != nil {
		return 0, err
	}
	var id int64
	if _, err := t.one(`SELECT nextval('mail_out_ids')`, nil, &id); err != nil {
		return 0, err
	}
	m.ID = uint64(id)
	if m.State == "" {
		m.State = store.MailPending
	}
	return m.ID, t.PutMailOut(m)
}

func (t *tx) mailOut(sql string, args ...any) ([]*store.MailOut, error) {
	var out []*store.MailOut
	err := t.rows(func(r pgx.Rows) error {
		var data string
		if err := r.Scan(&data); err != nil {
			return err
		}
		var m store.MailOut
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			return err
		}
		out = append(out, &m)
		return nil
	}, sql, args...)
	return out, err
}

func (t *tx) MailOut(id uint64) (*store.MailOut, error) {
	ms, err := t.mailOut(`SELECT data::text FROM mail_out WHERE id = $1`, int64(id))
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, store.ErrNotFound
	}
	return ms[0], nil
}

func (t *tx) PutMailOut(m *store.MailOut) error {
	if err := t.mustWrite("put mail reply"); err != nil {
		return err
	}
	if m.ID == 0 || strings.TrimSpace(m.Seller) == "" {
		return fmt.Errorf("put mail reply: needs an id and a seller")
	}
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return t.queue(`INSERT INTO mail_out (id, seller, state, data) VALUES ($1, $2, $3, $4::json)
		ON CONFLICT (id) DO UPDATE SET seller = excluded.seller, state = excluded.state, data = excluded.data`,
		int64(m.ID), m.Seller, m.State, string(data))
}

func (t *tx) PendingMail(seller string, limit int) ([]*store.MailOut, error) {
	return t.mailOut(`SELECT data::text FROM mail_out WHERE state = 'pending' AND seller = $1 ORDER BY id LIMIT $2`, seller, limit)
}
