package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Buckets. Index buckets hold keys only (or a short value) and are kept in
// step by the methods that write the records they index.
var (
	bMeta        = []byte("meta")
	bCases       = []byte("cases")           // number(8) → case JSON, without its events
	bEvents      = []byte("events")          // number(8) seq(4) → event (events.go)
	bByOrder     = []byte("idx_order")       // order \x00 number(8) → ∅
	bByMessage   = []byte("idx_message")     // channel \x00 ts → number(8)
	bOpen        = []byte("idx_open")        // seller \x00 number(8) → ∅
	bSellers     = []byte("sellers")         // name → seller JSON
	bSeen        = []byte("seen")            // space → (key → at(8) value)
	bDue         = []byte("due")             // at(8) case \x00 kind \x00 detail → entry JSON
	bDueByCase   = []byte("idx_due_case")    // case \x00 dueKey → ∅
	bOutbox      = []byte("outbox")          // id(8) → message (encodeOutbox)
	bOutboxQueue = []byte("outbox_queue")    // channel \x00 id(8) → ∅ (pending only)
	bOutboxCase  = []byte("idx_outbox_case") // case \x00 id(8) → ∅
	bReceived    = []byte("idx_received")    // seller \x00 received(8) number(8) → summary

	kNextCase = []byte("next_case")
)

var allBuckets = [][]byte{bMeta, bCases, bEvents, bByOrder, bByMessage, bOpen, bSellers, bSeen, bDue, bDueByCase, bOutbox, bOutboxQueue, bOutboxCase, bCallbacks, bCallbackQueue, bCallbackByCase, bClaims, bClaimByOrder, bCarrierByOrder, bClaimOpen, bReceived}

// indexReceived builds the index by seller and received time over the
// cases of a file written before it existed.
func indexReceived(btx *bbolt.Tx) error {
	idx, events := btx.Bucket(bReceived), btx.Bucket(bEvents).Cursor()
	return btx.Bucket(bCases).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			return fmt.Errorf("case key %x: not a number", k)
		}
		n := binary.BigEndian.Uint64(k)
		c, _, err := decodeCase(n, v, events)
		if err != nil {
			return err
		}
		return idx.Put(receivedKey(c.Seller, c.ReceivedAt, n), store.EncodeSummary(sfp.SummaryOf(c)))
	})
}

func createBuckets(btx *bbolt.Tx) error {
	for _, b := range allBuckets {
		if _, err := btx.CreateBucketIfNotExists(b); err != nil {
			return err
		}
	}
	return nil
}

type tx struct {
	btx *bbolt.Tx
	db  *DB
	// stored holds, for cases read or written in this write transaction,
	// what their index entries follow as stored (nil: no such case).
	// PutCase needs the stored version's, and a case is nearly always read
	// just before it is written: decoding it a second time would cost as
	// much as the read.
	stored map[uint64]*indexed
}

// indexed is what of a case its index entries follow, and how many of its
// events are stored under its keys in bEvents.
type indexed struct {
	orderID, seller string
	refs            [2]sfp.MessageRef
	open            bool
	received        time.Time
	events          int
}

func indexedOf(c *sfp.Case, events int) *indexed {
	return &indexed{orderID: c.OrderID, seller: c.Seller, refs: [2]sfp.MessageRef{c.Card, c.CSThread}, open: c.State.IsOpen(), received: c.ReceivedAt, events: events}
}

func (t *tx) remember(n uint64, ix *indexed) {
	if !t.btx.Writable() {
		return
	}
	if t.stored == nil {
		t.stored = map[uint64]*indexed{}
	}
	t.stored[n] = ix
}

// storedIndexed is what the stored version of case n is indexed by.
func (t *tx) storedIndexed(n uint64) (*indexed, error) {
	if ix, ok := t.stored[n]; ok {
		return ix, nil
	}
	_, err := t.caseByNumber(n)
	if err == store.ErrNotFound {
		t.remember(n, nil)
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return t.stored[n], nil
}

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

func key(parts ...[]byte) []byte { return bytes.Join(parts, []byte{0}) }

func (t *tx) bucket(name []byte) *bbolt.Bucket {
	b := t.btx.Bucket(name)
	if b == nil {
		// Only a read-only handle on a file written by an older version
		// can miss a bucket; treat it as empty.
		return nil
	}
	if appendOnly[string(name)] {
		// New keys only ever come last: bbolt's default of splitting
		// pages half full would leave every page half empty, and every
		// commit would write twice the pages.
		b.FillPercent = 0.95
	}
	return b
}

// appendOnly are the buckets whose keys are sequence numbers.
var appendOnly = map[string]bool{string(bCases): true, string(bOutbox): true, string(bCallbacks): true}

// Cases.

// NextCaseNumber takes a number from the same counter as
// ReserveCaseNumber; PutCase records it.
func (t *tx) NextCaseNumber() (uint64, error) {
	if t.db == nil || !t.btx.Writable() {
		return 0, fmt.Errorf("next case number: not a write transaction")
	}
	return t.db.nums.take(), nil
}

// nextCaseNumber is the number after the highest case written.
func nextCaseNumber(btx *bbolt.Tx) uint64 {
	if b := btx.Bucket(bMeta); b != nil {
		if v := b.Get(kNextCase); len(v) == 8 {
			return max(binary.BigEndian.Uint64(v), sfp.FirstCaseNumber)
		}
	}
	return sfp.FirstCaseNumber
}

func (t *tx) caseByNumber(n uint64) (*sfp.Case, error) {
	b := t.bucket(bCases)
	if b == nil {
		return nil, store.ErrNotFound
	}
	v := b.Get(u64(n))
	if v == nil {
		return nil, store.ErrNotFound
	}
	c, stored, err := decodeCase(n, v, t.eventCursor())
	if err != nil {
		return nil, err
	}
	t.remember(n, indexedOf(c, stored))
	return c, nil
}

// decodeCase reads case n from its record and its events, and says how
// many of those are stored under its keys. A record written before events
// had keys of their own holds them itself; the next PutCase moves them out.
func decodeCase(n uint64, v []byte, events *bbolt.Cursor) (*sfp.Case, int, error) {
	var c sfp.Case
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, 0, fmt.Errorf("case %d: %w", n, err)
	}
	if c.Events != nil {
		return &c, 0, nil
	}
	var err error
	if c.Events, err = readEvents(events, n); err != nil {
		return nil, 0, err
	}
	return &c, len(c.Events), nil
}

func (t *tx) Case(id string) (*sfp.Case, error) {
	_, n, ok := sfp.ParseCaseID(id)
	if !ok {
		return nil, store.ErrNotFound
	}
	return t.caseByNumber(n)
}

func (t *tx) PutCase(c *sfp.Case) error {
	if c.Number == 0 {
		_, n, ok := sfp.ParseCaseID(c.ID)
		if !ok {
			return fmt.Errorf("put case: bad id %q", c.ID)
		}
		c.Number = n
	}
	old, err := t.storedIndexed(c.Number)
	if err != nil {
		return err
	}
	record := *c
	record.Events = nil
	v, err := json.Marshal(&record)
	if err != nil {
		return err
	}
	if err := t.bucket(bCases).Put(u64(c.Number), v); err != nil {
		return err
	}
	stored := 0
	if old != nil {
		stored = old.events
	}
	if err := t.putEvents(c.Number, c.Events, stored); err != nil {
		return err
	}
	num := u64(c.Number)
	if old == nil && c.Number >= nextCaseNumber(t.btx) {
		// A new case: numbers handed out before a crash but never written
		// are free again after it, this one and those below never are.
		if err := t.bucket(bMeta).Put(kNextCase, u64(c.Number+1)); err != nil {
			return err
		}
	}
	// Indexes: drop what the stored version had and this one has not, add
	// what it has and the stored one had not. An entry already there is
	// not written again: each write dirties a page the commit must write.
	now := indexedOf(c, len(c.Events))
	isNew := old == nil
	if isNew {
		old = &indexed{}
	}
	if old.orderID != now.orderID {
		if old.orderID != "" {
			if err := t.bucket(bByOrder).Delete(key([]byte(old.orderID), num)); err != nil {
				return err
			}
		}
		if now.orderID != "" {
			if err := t.bucket(bByOrder).Put(key([]byte(now.orderID), num), nil); err != nil {
				return err
			}
		}
	}
	for _, r := range old.refs {
		if r.Channel != "" && r.TS != "" && r != c.Card && r != c.CSThread {
			if err := t.bucket(bByMessage).Delete(key([]byte(r.Channel), []byte(r.TS))); err != nil {
				return err
			}
		}
	}
	for _, r := range now.refs {
		if r.Channel != "" && r.TS != "" && r != old.refs[0] && r != old.refs[1] {
			if err := t.bucket(bByMessage).Put(key([]byte(r.Channel), []byte(r.TS)), num); err != nil {
				return err
			}
		}
	}
	if old.open && (!now.open || old.seller != now.seller) {
		if err := t.bucket(bOpen).Delete(key([]byte(old.seller), num)); err != nil {
			return err
		}
	}
	if now.open && (!old.open || old.seller != now.seller) {
		if err := t.bucket(bOpen).Put(key([]byte(now.seller), num), nil); err != nil {
			return err
		}
	}
	// The summary changes with nearly every write; it is written only
	// when its bytes do.
	rk := receivedKey(now.seller, now.received, c.Number)
	if !isNew && (old.seller != now.seller || !old.received.Equal(now.received)) {
		if err := t.bucket(bReceived).Delete(receivedKey(old.seller, old.received, c.Number)); err != nil {
			return err
		}
	}
	sum := store.EncodeSummary(sfp.SummaryOf(c))
	if !bytes.Equal(t.bucket(bReceived).Get(rk), sum) {
		if err := t.bucket(bReceived).Put(rk, sum); err != nil {
			return err
		}
	}
	t.remember(c.Number, now)
	return nil
}

// receivedKey orders a seller's cases by the time their clock started,
// then by number; its value is the case's summary (summary.go).
func receivedKey(seller string, at time.Time, n uint64) []byte {
	k := make([]byte, 0, len(seller)+17)
	k = append(append(k, seller...), 0)
	k = append(k, u64(receivedNanos(at))...)
	return append(k, u64(n)...)
}

// receivedNanos clamps times outside what a key can order (before 1970,
// or the zero time) to 0.
func receivedNanos(at time.Time) uint64 {
	if at.IsZero() || at.UnixNano() < 0 {
		return 0
	}
	return uint64(at.UnixNano())
}

func (t *tx) CasesByOrder(orderID string) ([]*sfp.Case, error) {
	var out []*sfp.Case
	prefix := append([]byte(orderID), 0)
	c := t.bucket(bByOrder).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		cs, err := t.caseByNumber(binary.BigEndian.Uint64(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, cs)
	}
	return out, nil
}

func (t *tx) CaseByMessage(channel, ts string) (*sfp.Case, error) {
	v := t.bucket(bByMessage).Get(key([]byte(channel), []byte(ts)))
	if v == nil {
		return nil, store.ErrNotFound
	}
	return t.caseByNumber(binary.BigEndian.Uint64(v))
}

func (t *tx) OpenCases(seller string) ([]*sfp.Case, error) {
	var out []*sfp.Case
	c := t.bucket(bOpen).Cursor()
	var prefix []byte
	if seller != "" {
		prefix = append([]byte(seller), 0)
	}
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) < 8 {
			continue
		}
		cs, err := t.caseByNumber(binary.BigEndian.Uint64(k[len(k)-8:]))
		if err != nil {
			return nil, err
		}
		out = append(out, cs)
	}
	if seller == "" {
		sortCases(out)
	}
	return out, nil
}

func (t *tx) OpenCounts() (map[string]int, error) {
	out := map[string]int{}
	c := t.bucket(bOpen).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if i := bytes.IndexByte(k, 0); i >= 0 {
			out[string(k[:i])]++
		}
	}
	return out, nil
}

func (t *tx) CasesReceived(seller string, from, to time.Time, fn func(sfp.Summary) bool) error {
	b := t.bucket(bReceived)
	if b == nil {
		// A file from before the index, opened read-only: nothing built
		// it yet, so read every case.
		return t.ForEachCase(func(c *sfp.Case) bool {
			if (seller != "" && c.Seller != seller) || c.ReceivedAt.Before(from) || !c.ReceivedAt.Before(to) {
				return true
			}
			return fn(sfp.SummaryOf(c))
		})
	}
	if !from.Before(to) {
		return nil
	}
	lo, hi := receivedNanos(from), receivedNanos(to)
	c := b.Cursor()
	name := []byte(seller)
	for {
		// One seller's range at a time; with seller "" the first key at or
		// after name \x01 is the next seller's, and a seek jumps to it.
		k, v := c.Seek(append(append(bytes.Clone(name), 0), u64(lo)...))
		for ; k != nil; k, v = c.Next() {
			i := len(k) - 17
			if i < 0 || k[i] != 0 || !bytes.Equal(k[:i], name) || binary.BigEndian.Uint64(k[i+1:i+9]) >= hi {
				break
			}
			sum, err := store.DecodeSummary(v)
			if err != nil {
				return fmt.Errorf("case %d: %w", binary.BigEndian.Uint64(k[i+9:]), err)
			}
			if !fn(sum) {
				return nil
			}
		}
		if seller != "" {
			return nil
		}
		k, _ = c.Seek(append(bytes.Clone(name), 1))
		if k == nil {
			return nil
		}
		i := len(k) - 17
		if i < 0 || k[i] != 0 {
			return fmt.Errorf("received key %x: malformed", k)
		}
		name = bytes.Clone(k[:i])
	}
}

func sortCases(cs []*sfp.Case) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].Number < cs[j].Number })
}

func (t *tx) ForEachCase(fn func(*sfp.Case) bool) error {
	c, events := t.bucket(bCases).Cursor(), t.eventCursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return fmt.Errorf("case key %x: not a number", k)
		}
		cs, _, err := decodeCase(binary.BigEndian.Uint64(k), v, events)
		if err != nil {
			return err
		}
		if !fn(cs) {
			return nil
		}
	}
	return nil
}

// Sellers.

func (t *tx) Seller(name string) (*sfp.Seller, error) {
	v := t.bucket(bSellers).Get([]byte(name))
	if v == nil {
		return nil, store.ErrNotFound
	}
	var s sfp.Seller
	return &s, json.Unmarshal(v, &s)
}

func (t *tx) PutSeller(s *sfp.Seller) error {
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return t.bucket(bSellers).Put([]byte(s.Name), v)
}

func (t *tx) DeleteSeller(name string) error {
	b := t.bucket(bSellers)
	if b.Get([]byte(name)) == nil {
		return store.ErrNotFound
	}
	return b.Delete([]byte(name))
}

func (t *tx) Sellers() ([]*sfp.Seller, error) {
	var out []*sfp.Seller
	err := t.bucket(bSellers).ForEach(func(k, v []byte) error {
		var s sfp.Seller
		if err := json.Unmarshal(v, &s); err != nil {
			return err
		}
		out = append(out, &s)
		return nil
	})
	return out, err
}

// Seen keys.

func (t *tx) seenBucket(space string, create bool) (*bbolt.Bucket, error) {
	root := t.bucket(bSeen)
	if b := root.Bucket([]byte(space)); b != nil || !create {
		return b, nil
	}
	return root.CreateBucket([]byte(space))
}

func (t *tx) Seen(space, k string) (string, bool, error) {
	b, err := t.seenBucket(space, false)
	if err != nil || b == nil {
		return "", false, err
	}
	v := b.Get([]byte(k))
	if v == nil || len(v) < 8 {
		return "", false, nil
	}
	return string(v[8:]), true, nil
}

func (t *tx) Remember(space, k, value string, at time.Time) error {
	if !t.btx.Writable() {
		return fmt.Errorf("remember: read-only transaction")
	}
	b, err := t.seenBucket(space, true)
	if err != nil {
		return err
	}
	return b.Put([]byte(k), append(u64(uint64(at.UnixNano())), value...))
}

func (t *tx) Forget(space string, before time.Time) (int, error) {
	b, err := t.seenBucket(space, false)
	if err != nil || b == nil {
		return 0, err
	}
	var drop [][]byte
	cut := uint64(before.UnixNano())
	err = b.ForEach(func(k, v []byte) error {
		if len(v) >= 8 && binary.BigEndian.Uint64(v[:8]) < cut {
			drop = append(drop, append([]byte(nil), k...))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range drop {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(drop), nil
}

// Due index.

func dueKey(e store.DueEntry) []byte {
	// Times before 1970 cannot be due; clamp so the key stays ordered.
	ns := e.At.UnixNano()
	if ns < 0 {
		ns = 0
	}
	return key(u64(uint64(ns)), []byte(e.CaseID), []byte(e.Kind), []byte(e.Detail))
}

func (t *tx) PutDue(e store.DueEntry) error {
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	k := dueKey(e)
	if err := t.bucket(bDue).Put(k, v); err != nil {
		return err
	}
	return t.bucket(bDueByCase).Put(key([]byte(e.CaseID), k), nil)
}

func (t *tx) DeleteDue(e store.DueEntry) error {
	k := dueKey(e)
	if err := t.bucket(bDue).Delete(k); err != nil {
		return err
	}
	return t.bucket(bDueByCase).Delete(key([]byte(e.CaseID), k))
}

func (t *tx) DueBefore(at time.Time, limit int) ([]store.DueEntry, error) {
	var out []store.DueEntry
	cut := uint64(at.UnixNano())
	c := t.bucket(bDue).Cursor()
	for k, v := c.First(); k != nil && len(out) < limit; k, v = c.Next() {
		if binary.BigEndian.Uint64(k[:8]) > cut {
			break
		}
		var e store.DueEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func (t *tx) NextDue() (time.Time, bool, error) {
	k, v := t.bucket(bDue).Cursor().First()
	if k == nil {
		return time.Time{}, false, nil
	}
	var e store.DueEntry
	if err := json.Unmarshal(v, &e); err != nil {
		return time.Time{}, false, err
	}
	return e.At, true, nil
}

func (t *tx) DueForCase(caseID string) ([]store.DueEntry, error) {
	var out []store.DueEntry
	prefix := append([]byte(caseID), 0)
	c := t.bucket(bDueByCase).Cursor()
	due := t.bucket(bDue)
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		v := due.Get(k[len(prefix):])
		if v == nil {
			continue
		}
		var e store.DueEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// Outbox.

func (t *tx) Enqueue(m *store.OutboxMessage) (uint64, error) {
	b := t.bucket(bOutbox)
	id, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	m.ID = id
	if m.State == "" {
		m.State = store.OutboxPending
	}
	if m.Op == "" {
		m.Op = store.OpPost
	}
	return id, t.PutOutbox(m)
}

func (t *tx) OutboxMessage(id uint64) (*store.OutboxMessage, error) {
	v := t.bucket(bOutbox).Get(u64(id))
	if v == nil {
		return nil, store.ErrNotFound
	}
	return decodeOutbox(v)
}

// An outbox value is the message's JSON without its blocks, then a
// newline and the blocks as they will be sent. Blocks are most of a
// message and already valid JSON: inside the message's JSON,
// encoding/json would check and compact them on every write and read.
// json.Marshal never writes a raw newline, so the first one ends the
// head, and a value without one is a message without blocks.
func encodeOutbox(m *store.OutboxMessage) ([]byte, error) {
	head := *m
	head.Blocks = nil
	v, err := json.Marshal(&head)
	if err != nil || len(m.Blocks) == 0 {
		return v, err
	}
	v = append(v, '\n')
	return append(v, m.Blocks...), nil
}

func decodeOutbox(v []byte) (*store.OutboxMessage, error) {
	head, blocks, framed := bytes.Cut(v, []byte{'\n'})
	var m store.OutboxMessage
	if err := json.Unmarshal(head, &m); err != nil {
		return nil, err
	}
	if framed {
		// v is bbolt's memory, valid only in this transaction.
		m.Blocks = bytes.Clone(blocks)
	}
	return &m, nil
}

func (t *tx) PutOutbox(m *store.OutboxMessage) error {
	if m.ID == 0 || strings.TrimSpace(m.Channel) == "" {
		return fmt.Errorf("put outbox: message needs an id and a channel")
	}
	v, err := encodeOutbox(m)
	if err != nil {
		return err
	}
	if err := t.bucket(bOutbox).Put(u64(m.ID), v); err != nil {
		return err
	}
	if m.CaseID != "" {
		if err := t.bucket(bOutboxCase).Put(key([]byte(m.CaseID), u64(m.ID)), nil); err != nil {
			return err
		}
	}
	qk := key([]byte(m.Channel), u64(m.ID))
	if m.State == store.OutboxPending {
		return t.bucket(bOutboxQueue).Put(qk, nil)
	}
	return t.bucket(bOutboxQueue).Delete(qk)
}

func (t *tx) PendingChannels() ([]string, error) {
	var out []string
	c := t.bucket(bOutboxQueue).Cursor()
	for k, _ := c.First(); k != nil; {
		i := bytes.IndexByte(k, 0)
		if i < 0 {
			k, _ = c.Next()
			continue
		}
		ch := string(k[:i])
		out = append(out, ch)
		// Skip the rest of this channel's queue in one seek.
		k, _ = c.Seek(append([]byte(ch), 1))
	}
	return out, nil
}

func (t *tx) Pending(channel string, limit int) ([]*store.OutboxMessage, error) {
	var out []*store.OutboxMessage
	prefix := append([]byte(channel), 0)
	c := t.bucket(bOutboxQueue).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.Next() {
		m, err := t.OutboxMessage(binary.BigEndian.Uint64(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func (t *tx) OutboxForCase(caseID string) ([]*store.OutboxMessage, error) {
	var out []*store.OutboxMessage
	prefix := append([]byte(caseID), 0)
	c := t.bucket(bOutboxCase).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		m, err := t.OutboxMessage(binary.BigEndian.Uint64(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
