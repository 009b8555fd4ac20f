// Package storetest is the conformance suite of package store: every
// backend runs Run against a fresh, empty store and must pass all of it.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Opener returns a fresh, empty store; the suite closes it.
type Opener func(t *testing.T) store.Store

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Store)
	}{
		{"case numbers start at 1001 and are never reused", testCaseNumbers},
		{"a case round-trips with its indexes", testCaseRoundTrip},
		{"closing a case takes it out of the open list", testOpenIndex},
		{"a failed transaction leaves nothing behind", testRollback},
		{"seen keys are remembered and forgotten by age", testSeen},
		{"sellers and routes", testSellers},
		{"the due index is ordered by time", testDue},
		{"outbox queues per channel in order", testOutbox},
		{"callbacks queue by due time and by case", testCallbacks},
		{"claims: one per order, open ones by seller", testClaims},
		{"concurrent batches never share a case number", testConcurrentBatch},
		{"reserved case numbers are never handed out twice", testReservedNumbers},
		{"indexes follow a case changed several times in one transaction", testIndexesFollowChanges},
		{"a failing batch function fails alone", testBatchFailsAlone},
		{"a case's history grows across transactions and reads back whole", testHistory},
		{"cases by seller and received time follow the case", testCasesReceived},
		{"backup is a readable stream", testBackup},
		{"closed store refuses work", testClosed},
		{"a remembered value is replaced, and kept when its transaction fails", testSeenReplaced},
		{"replies by e-mail queue per seller in order", testMailOut},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			defer s.Close()
			tc.fn(t, s)
		})
	}
}

var ctx = context.Background()

func newCase(t *testing.T, tx store.Tx, seller string) *sfp.Case {
	t.Helper()
	n, err := tx.NextCaseNumber()
	if err != nil {
		t.Fatal(err)
	}
	c := &sfp.Case{
		ID: sfp.CaseID(n), Number: n, Kind: sfp.KindCSContact, State: sfp.StateOpen,
		Seller: seller, Marketplace: sfp.DefaultMarketplace, Channel: "C0SELLER",
		CreatedAt: time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC),
	}
	if err := tx.PutCase(c); err != nil {
		t.Fatal(err)
	}
	return c
}

func testCaseNumbers(t *testing.T, s store.Store) {
	var ids []string
	for range 3 {
		err := s.Update(ctx, func(tx store.Tx) error {
			ids = append(ids, newCase(t, tx, "acme").ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"SFP-1001", "SFP-1002", "SFP-1003"}
	if fmt.Sprint(ids) != fmt.Sprint(want) {
		t.Fatalf("ids = %v, want %v", ids, want)
	}
}

func testCaseRoundTrip(t *testing.T, s store.Store) {
	due := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	err := s.Update(ctx, func(tx store.Tx) error {
		c := newCase(t, tx, "acme")
		c.OrderID = "171-1234567-1234567"
		c.DueAt = &due
		c.Customer = sfp.Customer{Name: "Marie", Language: "fr"}
		c.Card = sfp.MessageRef{Channel: "C0SELLER", TS: "1700000000.000100", OutboxID: 1}
		c.CSThread = sfp.MessageRef{Channel: "C0AGENT", TS: "1700000000.000200"}
		c.Refund = &sfp.Refund{Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, Reason: "late_delivery", RefundedBy: "amazon_cs"}
		c.AddEvent(c.CreatedAt, sfp.EventCreated, "U1", "")
		return tx.PutCase(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx store.Tx) error {
		c, err := tx.Case("sfp-1001")
		if err != nil {
			return err
		}
		if c.Customer.Name != "Marie" || c.Refund == nil || c.Refund.Amount.Minor != 3990 || len(c.Events) != 1 || !c.DueAt.Equal(due) {
			t.Errorf("case did not round-trip: %+v", c)
		}
		byOrder, err := tx.CasesByOrder("171-1234567-1234567")
		if err != nil || len(byOrder) != 1 || byOrder[0].ID != "SFP-1001" {
			t.Errorf("CasesByOrder = %v, %v", byOrder, err)
		}
		for _, ref := range []sfp.MessageRef{c.Card, c.CSThread} {
			got, err := tx.CaseByMessage(ref.Channel, ref.TS)
			if err != nil || got.ID != "SFP-1001" {
				t.Errorf("CaseByMessage(%s, %s) = %v, %v", ref.Channel, ref.TS, got, err)
			}
		}
		if _, err := tx.Case("SFP-9999"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown case: err = %v, want ErrNotFound", err)
		}
		if _, err := tx.Case("nonsense"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("malformed id: err = %v, want ErrNotFound", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Moving the card re-points the message index.
	err = s.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Case("SFP-1001")
		if err != nil {
			return err
		}
		c.Card = sfp.MessageRef{Channel: "C0OTHER", TS: "1700000001.000100"}
		return tx.PutCase(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(ctx, func(tx store.Tx) error {
		if _, err := tx.CaseByMessage("C0SELLER", "1700000000.000100"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("old card still indexed: %v", err)
		}
		if c, err := tx.CaseByMessage("C0OTHER", "1700000001.000100"); err != nil || c.ID != "SFP-1001" {
			t.Errorf("new card not indexed: %v", err)
		}
		return nil
	})
}

func testOpenIndex(t *testing.T, s store.Store) {
	s.Update(ctx, func(tx store.Tx) error {
		newCase(t, tx, "acme")
		newCase(t, tx, "bolt")
		newCase(t, tx, "acme")
		return nil
	})
	open := func(seller string) []string {
		var ids []string
		s.View(ctx, func(tx store.Tx) error {
			cs, err := tx.OpenCases(seller)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			return nil
		})
		return ids
	}
	if got := fmt.Sprint(open("")); got != "[SFP-1001 SFP-1002 SFP-1003]" {
		t.Errorf("open all = %s", got)
	}
	if got := fmt.Sprint(open("acme")); got != "[SFP-1001 SFP-1003]" {
		t.Errorf("open acme = %s", got)
	}
	s.Update(ctx, func(tx store.Tx) error {
		c, _ := tx.Case("SFP-1001")
		c.State = sfp.StateAnswered
		return tx.PutCase(c)
	})
	if got := fmt.Sprint(open("acme")); got != "[SFP-1003]" {
		t.Errorf("open acme after answer = %s", got)
	}
	s.View(ctx, func(tx store.Tx) error {
		counts, err := tx.OpenCounts()
		if err != nil || fmt.Sprint(counts) != "map[acme:1 bolt:1]" {
			t.Errorf("OpenCounts = %v, %v", counts, err)
		}
		return nil
	})
	s.Update(ctx, func(tx store.Tx) error {
		c, _ := tx.Case("SFP-1001")
		c.State = sfp.StateOpen
		return tx.PutCase(c)
	})
	if got := fmt.Sprint(open("acme")); got != "[SFP-1001 SFP-1003]" {
		t.Errorf("open acme after reopen = %s", got)
	}
}

func testRollback(t *testing.T, s store.Store) {
	boom := errors.New("boom")
	err := s.Update(ctx, func(tx store.Tx) error {
		c := newCase(t, tx, "acme")
		tx.PutDue(store.DueEntry{At: c.CreatedAt, CaseID: c.ID, Kind: "remind"})
		tx.Enqueue(&store.OutboxMessage{Channel: "C0SELLER", CaseID: c.ID, Text: "card"})
		tx.Remember(store.SeenEvent, "Ev1", c.ID, c.CreatedAt)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	s.View(ctx, func(tx store.Tx) error {
		if _, err := tx.Case("SFP-1001"); !errors.Is(err, store.ErrNotFound) {
			t.Error("case survived a rollback")
		}
		if d, _ := tx.DueBefore(time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC), 10); len(d) != 0 {
			t.Error("due entry survived a rollback")
		}
		if ch, _ := tx.PendingChannels(); len(ch) != 0 {
			t.Error("outbox message survived a rollback")
		}
		if _, ok, _ := tx.Seen(store.SeenEvent, "Ev1"); ok {
			t.Error("seen key survived a rollback")
		}
		return nil
	})
}

func testSeen(t *testing.T, s store.Store) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	s.Update(ctx, func(tx store.Tx) error {
		tx.Remember(store.SeenEvent, "Ev-old", "", t0)
		tx.Remember(store.SeenEvent, "Ev-new", "x", t0.Add(48*time.Hour))
		tx.Remember(store.SeenSourceID, "Ev-old", "SFP-1001", t0)
		return nil
	})
	s.Update(ctx, func(tx store.Tx) error {
		n, err := tx.Forget(store.SeenEvent, t0.Add(24*time.Hour))
		if err != nil || n != 1 {
			t.Errorf("Forget = %d, %v; want 1", n, err)
		}
		return nil
	})
	s.View(ctx, func(tx store.Tx) error {
		if _, ok, _ := tx.Seen(store.SeenEvent, "Ev-old"); ok {
			t.Error("old event still seen")
		}
		if v, ok, _ := tx.Seen(store.SeenEvent, "Ev-new"); !ok || v != "x" {
			t.Errorf("new event = %q, %v", v, ok)
		}
		if v, ok, _ := tx.Seen(store.SeenSourceID, "Ev-old"); !ok || v != "SFP-1001" {
			t.Errorf("spaces are not separate: %q, %v", v, ok)
		}
		if _, ok, err := tx.Seen("never-used", "k"); ok || err != nil {
			t.Errorf("unknown space: %v, %v", ok, err)
		}
		return nil
	})
}

func testSellers(t *testing.T, s store.Store) {
	s.Update(ctx, func(tx store.Tx) error {
		tx.PutSeller(&sfp.Seller{Name: "acme", Lang: "en", Routes: []sfp.Route{{Seller: "acme", Channel: "C0ACME"}, {Seller: "acme", Marketplace: "amazon.de", Channel: "C0ACMEDE"}}})
		tx.PutSeller(&sfp.Seller{Name: "bolt"})
		return nil
	})
	s.View(ctx, func(tx store.Tx) error {
		sel, err := tx.Seller("acme")
		if err != nil {
			t.Fatal(err)
		}
		if ch, _ := sel.RouteFor("amazon.de"); ch != "C0ACMEDE" {
			t.Errorf("de route = %s", ch)
		}
		if ch, _ := sel.RouteFor("amazon.fr"); ch != "C0ACME" {
			t.Errorf("fallback route = %s", ch)
		}
		all, _ := tx.Sellers()
		if len(all) != 2 {
			t.Errorf("sellers = %d", len(all))
		}
		return nil
	})
	s.Update(ctx, func(tx store.Tx) error {
		if err := tx.DeleteSeller("bolt"); err != nil {
			t.Error(err)
		}
		if err := tx.DeleteSeller("bolt"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: %v", err)
		}
		return nil
	})
}

func testDue(t *testing.T, s store.Store) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	entries := []store.DueEntry{
		{At: t0.Add(3 * time.Hour), CaseID: "SFP-1002", Kind: "escalate"},
		{At: t0.Add(1 * time.Hour), CaseID: "SFP-1001", Kind: "remind", Detail: "6h"},
		{At: t0.Add(2 * time.Hour), CaseID: "SFP-1001", Kind: "escalate"},
		{At: t0.Add(1 * time.Hour), CaseID: "SFP-1003", Kind: "remind"},
	}
	s.Update(ctx, func(tx store.Tx) error {
		for _, e := range entries {
			if err := tx.PutDue(e); err != nil {
				t.Fatal(err)
			}
		}
		return nil
	})
	s.View(ctx, func(tx store.Tx) error {
		next, ok, _ := tx.NextDue()
		if !ok || !next.Equal(t0.Add(time.Hour)) {
			t.Errorf("NextDue = %v, %v", next, ok)
		}
		got, _ := tx.DueBefore(t0.Add(2*time.Hour), 10)
		if len(got) != 3 || got[2].CaseID != "SFP-1001" || got[2].Kind != "escalate" {
			t.Errorf("DueBefore = %+v", got)
		}
		got, _ = tx.DueBefore(t0.Add(10*time.Hour), 2)
		if len(got) != 2 {
			t.Errorf("limit not honoured: %d", len(got))
		}
		mine, _ := tx.DueForCase("SFP-1001")
		if len(mine) != 2 {
			t.Errorf("DueForCase = %+v", mine)
		}
		return nil
	})
	s.Update(ctx, func(tx store.Tx) error { return tx.DeleteDue(entries[1]) })
	s.View(ctx, func(tx store.Tx) error {
		mine, _ := tx.DueForCase("SFP-1001")
		if len(mine) != 1 || mine[0].Kind != "escalate" {
			t.Errorf("after delete DueForCase = %+v", mine)
		}
		return nil
	})
}

func testOutbox(t *testing.T, s store.Store) {
	var ids []uint64
	s.Update(ctx, func(tx store.Tx) error {
		for i, ch := range []string{"C0B", "C0A", "C0B", "C0A"} {
			id, err := tx.Enqueue(&store.OutboxMessage{Channel: ch, CaseID: []string{"SFP-1", "SFP-2"}[i%2], Text: fmt.Sprint(i)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return nil
	})
	if ids[0] == 0 || ids[1] <= ids[0] || ids[3] <= ids[2] {
		t.Fatalf("ids not increasing: %v", ids)
	}
	s.View(ctx, func(tx store.Tx) error {
		chs, _ := tx.PendingChannels()
		if fmt.Sprint(chs) != "[C0A C0B]" {
			t.Errorf("PendingChannels = %v", chs)
		}
		byCase, err := tx.OutboxForCase("SFP-1")
		if err != nil || len(byCase) != 2 || byCase[0].ID != ids[0] || byCase[1].ID != ids[2] {
			t.Errorf("OutboxForCase = %+v, %v", byCase, err)
		}
		b, _ := tx.Pending("C0B", 10)
		if len(b) != 2 || b[0].Text != "0" || b[1].Text != "2" || b[0].State != store.OutboxPending || b[0].Op != store.OpPost {
			t.Errorf("Pending(C0B) = %+v", b)
		}
		return nil
	})
	s.Update(ctx, func(tx store.Tx) error {
		m, err := tx.OutboxMessage(ids[0])
		if err != nil {
			t.Fatal(err)
		}
		m.State, m.TS = store.OutboxSent, "1700000000.000100"
		return tx.PutOutbox(m)
	})
	s.View(ctx, func(tx store.Tx) error {
		b, _ := tx.Pending("C0B", 10)
		if len(b) != 1 || b[0].Text != "2" {
			t.Errorf("after send Pending(C0B) = %+v", b)
		}
		m, _ := tx.OutboxMessage(ids[0])
		if m.TS != "1700000000.000100" {
			t.Errorf("ts not kept: %+v", m)
		}
		return nil
	})
}

func testConcurrentBatch(t *testing.T, s store.Store) {
	const n = 50
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var id string
			err := s.Batch(ctx, func(tx store.Tx) error {
				id = newCase(t, tx, "acme").ID
				return nil
			})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			if seen[id] {
				t.Errorf("case id %s given twice", id)
			}
			seen[id] = true
		}()
	}
	wg.Wait()
	s.View(ctx, func(tx store.Tx) error {
		open, _ := tx.OpenCases("acme")
		if len(open) != n {
			t.Errorf("open = %d, want %d", len(open), n)
		}
		return nil
	})
}

func testReservedNumbers(t *testing.T, s store.Store) {
	a, err := s.ReserveCaseNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.ReserveCaseNumber(ctx)
	if a != sfp.FirstCaseNumber || b != a+1 {
		t.Fatalf("reserved %d, %d; want %d, %d", a, b, sfp.FirstCaseNumber, sfp.FirstCaseNumber+1)
	}
	// The last one handed out comes back when released; one with others
	// after it cannot, or two cases could get it.
	s.ReleaseCaseNumber(b)
	if again, _ := s.ReserveCaseNumber(ctx); again != b {
		t.Errorf("after releasing %d the next is %d", b, again)
	}
	s.ReleaseCaseNumber(a)
	var inTx uint64
	err = s.Update(ctx, func(tx store.Tx) error {
		c := newCase(t, tx, "acme")
		inTx = c.Number
		// A case written with a reserved number takes it for good.
		return tx.PutCase(&sfp.Case{ID: sfp.CaseID(a), Number: a, Kind: sfp.KindCSContact, State: sfp.StateOpen, Seller: "acme"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if inTx != b+1 {
		t.Errorf("number taken in a transaction = %d, want %d", inTx, b+1)
	}
	s.View(ctx, func(tx store.Tx) error {
		for _, n := range []uint64{a, inTx} {
			if _, err := tx.Case(sfp.CaseID(n)); err != nil {
				t.Errorf("case %d: %v", n, err)
			}
		}
		return nil
	})
}

func testIndexesFollowChanges(t *testing.T, s store.Store) {
	var id string
	s.Update(ctx, func(tx store.Tx) error {
		c := newCase(t, tx, "acme")
		id = c.ID
		c.OrderID = "111-1111111-1111111"
		c.Card = sfp.MessageRef{Channel: "C1", TS: "1.1"}
		return tx.PutCase(c)
	})
	err := s.Update(ctx, func(tx store.Tx) error {
		for _, change := range []func(*sfp.Case){
			func(c *sfp.Case) { c.OrderID = "222-2222222-2222222" },
			func(c *sfp.Case) { c.Card.TS = "1.2"; c.CSThread = sfp.MessageRef{Channel: "C2", TS: "2.1"} },
			func(c *sfp.Case) { c.Seller = "globex" },
			func(c *sfp.Case) { c.State = sfp.StateClosed },
			func(c *sfp.Case) { c.State = sfp.StateOpen; c.Seller = "acme" },
		} {
			c, err := tx.Case(id)
			if err != nil {
				return err
			}
			change(c)
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(ctx, func(tx store.Tx) error {
		found := func(cs []*sfp.Case, err error) bool { return err == nil && len(cs) == 1 && cs[0].ID == id }
		if cs, err := tx.CasesByOrder("111-1111111-1111111"); err != nil || len(cs) != 0 {
			t.Errorf("old order still finds %d cases (%v)", len(cs), err)
		}
		if !found(tx.CasesByOrder("222-2222222-2222222")) {
			t.Error("new order does not find the case")
		}
		if _, err := tx.CaseByMessage("C1", "1.1"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("old card ts still finds the case: %v", err)
		}
		for _, ref := range [][2]string{{"C1", "1.2"}, {"C2", "2.1"}} {
			if c, err := tx.CaseByMessage(ref[0], ref[1]); err != nil || c.ID != id {
				t.Errorf("message %v: %v", ref, err)
			}
		}
		if !found(tx.OpenCases("acme")) {
			t.Error("reopened case not in acme's open cases")
		}
		if cs, _ := tx.OpenCases("globex"); len(cs) != 0 {
			t.Errorf("globex still has %d open cases", len(cs))
		}
		return nil
	})
}

func testBatchFailsAlone(t *testing.T, s store.Store) {
	boom := errors.New("boom")
	const n = 20
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			errs[i] = s.Batch(ctx, func(tx store.Tx) error {
				if i == 7 {
					return boom
				}
				newCase(t, tx, "acme")
				return nil
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if (i == 7) != errors.Is(err, boom) {
			t.Errorf("batch %d: err = %v", i, err)
		}
	}
	s.View(ctx, func(tx store.Tx) error {
		open, _ := tx.OpenCases("acme")
		if len(open) != n-1 {
			t.Errorf("open = %d, want %d", len(open), n-1)
		}
		return nil
	})
}

type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func testBackup(t *testing.T, s store.Store) {
	s.Update(ctx, func(tx store.Tx) error { newCase(t, tx, "acme"); return nil })
	var w countWriter
	n, err := s.Backup(ctx, &w)
	if err != nil || n == 0 || n != w.n {
		t.Fatalf("Backup = %d, %v (wrote %d)", n, err, w.n)
	}
}

func testClosed(t *testing.T, s store.Store) {
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.View(ctx, func(store.Tx) error { return nil }); !errors.Is(err, store.ErrClosed) {
		t.Errorf("View after Close: %v", err)
	}
}

func testHistory(t *testing.T, s store.Store) {
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	paris := time.FixedZone("CET", 3600)
	var want []sfp.Event
	var ids []string
	s.Update(ctx, func(tx store.Tx) error {
		for _, seller := range []string{"acme", "bolt", "acme"} {
			ids = append(ids, newCase(t, tx, seller).ID)
		}
		return nil
	})
	// Replies to two cases, interleaved, several to a transaction, some
	// read and written twice in one: each keeps its own history, in order.
	for round := range 4 {
		err := s.Update(ctx, func(tx store.Tx) error {
			for i, id := range []string{ids[0], ids[2], ids[0]} {
				c, err := tx.Case(id)
				if err != nil {
					return err
				}
				e := sfp.Event{At: at.Add(time.Duration(round*10+i) * time.Minute).In(paris), Type: sfp.EventReply, By: "U1", Detail: fmt.Sprintf("%d.%d ünïcode \x00 %q", round, i, id)}
				c.Events = append(c.Events, e)
				if id == ids[0] {
					want = append(want, e)
				}
				if err := tx.PutCase(c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	same := func(what string, got []sfp.Event, want []sfp.Event) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
		}
		for i := range got {
			g, w := got[i], want[i]
			if !g.At.Equal(w.At) || g.Type != w.Type || g.By != w.By || g.Detail != w.Detail {
				t.Fatalf("%s: event %d = %+v, want %+v", what, i, g, w)
			}
			if _, off := g.At.Zone(); off != 3600 {
				t.Errorf("%s: event %d lost its offset: %v", what, i, g.At)
			}
		}
	}
	s.View(ctx, func(tx store.Tx) error {
		c, err := tx.Case(ids[0])
		if err != nil {
			t.Fatal(err)
		}
		same("Case", c.Events, want)
		if c, _ := tx.Case(ids[1]); len(c.Events) != 0 {
			t.Errorf("a case without replies has %d events", len(c.Events))
		}
		if c, _ := tx.Case(ids[2]); len(c.Events) != 4 {
			t.Errorf("the other case has %d events, want 4", len(c.Events))
		}
		seen := 0
		tx.ForEachCase(func(c *sfp.Case) bool {
			seen++
			if c.ID == ids[0] {
				same("ForEachCase", c.Events, want)
			}
			return true
		})
		if seen != 3 {
			t.Errorf("ForEachCase saw %d cases, want 3", seen)
		}
		return nil
	})
	// What PutCase is given is what is stored, a shorter history included.
	s.Update(ctx, func(tx store.Tx) error {
		c, _ := tx.Case(ids[0])
		c.Events = c.Events[:3]
		return tx.PutCase(c)
	})
	s.View(ctx, func(tx store.Tx) error {
		c, _ := tx.Case(ids[0])
		same("after cutting", c.Events, want[:3])
		return nil
	})
}

// A mailbox cursor is one seen key rewritten with every message: the last
// committed value must win, and a failed case must leave the old one.
func testSeenReplaced(t *testing.T, s store.Store) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	for i, v := range []string{"7/10", "7/11"} {
		if err := s.Update(ctx, func(tx store.Tx) error {
			return tx.Remember(store.SeenMailCursor, "shop/INBOX", v, t0.Add(time.Duration(i)*time.Minute))
		}); err != nil {
			t.Fatal(err)
		}
	}
	boom := errors.New("case not written")
	if err := s.Update(ctx, func(tx store.Tx) error {
		if err := tx.Remember(store.SeenMailCursor, "shop/INBOX", "7/12", t0.Add(time.Hour)); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want %v", err, boom)
	}
	s.View(ctx, func(tx store.Tx) error {
		if v, ok, err := tx.Seen(store.SeenMailCursor, "shop/INBOX"); !ok || err != nil || v != "7/11" {
			t.Errorf("cursor = %q, %v, %v; want 7/11", v, ok, err)
		}
		return nil
	})
}
