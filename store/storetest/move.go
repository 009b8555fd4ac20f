package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Move fills a store opened by from with one of everything, moves it to a
// store opened by to, and from there to a second store opened by from:
// all three must hold the same records, and the stores moved to go on
// numbering where the first left off.
func Move(t *testing.T, from, to Opener) {
	src := from(t)
	defer src.Close()
	Fill(t, src)
	dst := to(t)
	defer dst.Close()
	if err := dst.(store.Importer).Import(ctx, src.(store.Exporter)); err != nil {
		t.Fatalf("import: %v", err)
	}
	back := from(t)
	defer back.Close()
	if err := back.(store.Importer).Import(ctx, dst.(store.Exporter)); err != nil {
		t.Fatalf("import back: %v", err)
	}
	want := Records(t, src)
	if got := Records(t, dst); got != want {
		t.Errorf("moved store differs:\n%s", diffLines(want, got))
	}
	if got := Records(t, back); got != want {
		t.Errorf("store moved back differs:\n%s", diffLines(want, got))
	}
	if err := dst.(store.Importer).Import(ctx, src.(store.Exporter)); !errors.Is(err, store.ErrNotEmpty) {
		t.Errorf("import into a store with data: %v, want ErrNotEmpty", err)
	}
	for _, s := range []store.Store{dst, back} {
		err := s.Update(ctx, func(tx store.Tx) error {
			n, err := tx.NextCaseNumber()
			if err != nil || n != 1004 {
				t.Errorf("next case number after a move = %d, %v; want 1004", n, err)
			}
			id, err := tx.Enqueue(&store.OutboxMessage{Channel: "C0SELLER", Text: "next"})
			if err != nil || id <= 3 {
				t.Errorf("next outbox id after a move = %d, %v; want more than 3", id, err)
			}
			cb, err := tx.EnqueueCallback(&store.Callback{CaseID: "SFP-1001", URL: "https://x.example"})
			if err != nil || cb <= 1 {
				t.Errorf("next callback id after a move = %d, %v; want more than 1", cb, err)
			}
			if n, err := tx.NextClaimNumber(); err != nil || n != 1003 {
				t.Errorf("next claim number after a move = %d, %v; want 1003", n, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Fill writes one of everything a store keeps: cases with histories and
// every index (the summaries by received time among them), sellers with a
// region, seen keys, due entries, outbox messages pending and sent, a
// callback, and an order's reimbursement claim with its carrier claim.
func Fill(t *testing.T, s store.Store) {
	t.Helper()
	at := time.Date(2026, 11, 2, 10, 0, 0, 123456789, time.FixedZone("CET", 3600))
	err := s.Update(ctx, func(tx store.Tx) error {
		tx.PutSeller(&sfp.Seller{Name: "acme", Lang: "en", Region: "DE-BY", Routes: []sfp.Route{{Seller: "acme", Channel: "C0ACME"}}})
		for i, seller := range []string{"acme", "bolt", "acme"} {
			c := newCase(t, tx, seller)
			c.OrderID = fmt.Sprintf("171-0000000-000000%d", i)
			c.Customer = sfp.Customer{Name: "Zéphyrine \x00", Language: "fr"}
			c.Body = "Où est mon colis ?"
			c.ReceivedAt = at
			c.Card = sfp.MessageRef{Channel: "C0ACME", TS: fmt.Sprintf("1700000000.00010%d", i), OutboxID: uint64(i + 1)}
			c.AddEvent(at, sfp.EventCreated, "U1", "")
			c.AddEvent(at.Add(time.Minute), sfp.EventReply, "U2", "détail \x00")
			switch i {
			case 0:
				// A refund with its claim filed: the summary carries both.
				c.Kind = sfp.KindRefundNotice
				c.Refund = &sfp.Refund{Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, AToZClaim: true}
				c.Claim = &sfp.Claim{ID: "CLM-1001", Status: string(sfp.ClaimFiled), Amount: sfp.Money{Minor: 3990, Currency: "EUR"},
					History: []sfp.ClaimChange{{At: at.Add(time.Hour), Status: string(sfp.ClaimFiled)}}}
			case 1:
				c.State = sfp.StateClosed
				c.CSThread = sfp.MessageRef{Channel: "C0AGENT", TS: "1700000000.000900"}
			case 2:
				due, answered := at.Add(24*time.Hour), at.Add(time.Minute)
				c.State, c.DueAt, c.AnsweredAt = sfp.StateAnswered, &due, &answered
			}
			if err := tx.PutCase(c); err != nil {
				return err
			}
			tx.PutDue(store.DueEntry{At: at.Add(time.Duration(i) * time.Hour), CaseID: c.ID, Kind: "remind", Deadline: at.Add(24 * time.Hour), Detail: "6h"})
			m := &store.OutboxMessage{Channel: "C0ACME", CaseID: c.ID, Text: "card", Blocks: json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"x"}}]`), CreatedAt: at}
			if _, err := tx.Enqueue(m); err != nil {
				return err
			}
			if i == 0 {
				m.State, m.TS, m.SentAt = store.OutboxSent, "1700000000.000100", at
				tx.PutOutbox(m)
			}
		}
		tx.Remember(store.SeenEvent, "Ev1", "", at)
		tx.Remember(store.SeenSourceID, "tok/src-1", "SFP-1001", at)
		tx.EnqueueCallback(&store.Callback{DeliveryID: "dlv_1", CaseID: "SFP-1001", URL: "https://helpdesk.example/cb", Type: "answer", Answer: "Bonjour", ByID: "U1", AnsweredAt: at, CreatedAt: at, NotBefore: at})
		// The carrier claim first, so that it has the lower number: a
		// store that keeps one claim per order, or lists an order's claims
		// by number, shows it.
		for _, typ := range []string{sfp.ClaimTypeCarrier, sfp.ClaimTypeReimbursement} {
			n, err := tx.NextClaimNumber()
			if err != nil {
				return err
			}
			err = tx.PutClaim(&sfp.Claim{ID: sfp.ClaimID(n), Number: n, CaseID: "SFP-1001", Seller: "acme", OrderID: "171-0000000-0000000",
				Type: typ, Status: string(sfp.ClaimFiled), Amount: sfp.Money{Minor: 3990, Currency: "EUR"}})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Records is everything s holds, a JSON line a record, for comparing two
// stores, then what its indexes derived from the records say: each
// order's claims, and the summaries by received time. Seen keys' times
// are kept to the microsecond.
func Records(t *testing.T, s store.Store) string {
	t.Helper()
	var b strings.Builder
	var orders []string
	err := s.(store.Exporter).Export(ctx, func(r store.Record) error {
		if r.Claim != nil && !slices.Contains(orders, r.Claim.OrderID) {
			orders = append(orders, r.Claim.OrderID)
		}
		if r.Seen != nil {
			k := *r.Seen
			k.At = k.At.UTC().Truncate(time.Microsecond)
			r.Seen = &k
		}
		v, err := json.Marshal(r)
		b.Write(v)
		b.WriteByte('\n')
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(tx store.Tx) error {
		for _, o := range orders {
			cls, err := tx.ClaimsByOrder(o)
			if err != nil {
				return err
			}
			reimbursement, err := tx.ClaimByOrder(o)
			if err != nil {
				return err
			}
			fmt.Fprintf(&b, "claims of order %s: %s, the reimbursement claim %s\n", o, claimIDs(cls, nil), reimbursement.ID)
		}
		return tx.CasesReceived("", time.Time{}, time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), func(sum sfp.Summary) bool {
			for _, at := range []*time.Time{&sum.ReceivedAt, &sum.DueAt, &sum.AnsweredAt, &sum.Claim.FiledAt, &sum.Claim.SettledAt} {
				*at = at.UTC()
			}
			v, err := json.Marshal(sum)
			if err != nil {
				t.Error(err)
			}
			fmt.Fprintf(&b, "summary %s\n", v)
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func diffLines(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var out []string
	for i := 0; i < max(len(w), len(g)); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			out = append(out, "- "+a, "+ "+b)
		}
	}
	return strings.Join(out, "\n")
}
