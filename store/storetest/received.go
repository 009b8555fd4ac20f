package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// testCasesReceived checks the index by seller and received time: the
// period's bounds (from included, to excluded), the order (seller, then
// time, then number), every seller with "", and the index following a case
// whose seller or received time changes, in the transaction that changed it
// and after.
func testCasesReceived(t *testing.T, s store.Store) {
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }
	put := func(tx store.Tx, seller string, received time.Time) *sfp.Case {
		t.Helper()
		c := newCase(t, tx, seller)
		c.ReceivedAt = received
		if err := tx.PutCase(c); err != nil {
			t.Fatal(err)
		}
		return c
	}
	// names lists what CasesReceived visits as seller@hour#number-order.
	var ids map[string]string
	names := func(tx store.Tx, seller string, from, to time.Time, stopAfter int) string {
		t.Helper()
		var out []string
		err := tx.CasesReceived(seller, from, to, func(c sfp.Summary) bool {
			out = append(out, fmt.Sprintf("%s@%d%s", c.Seller, int(c.ReceivedAt.Sub(day).Hours()), ids[c.ID]))
			return stopAfter == 0 || len(out) < stopAfter
		})
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, " ")
	}
	var moved, later string
	err := s.Update(ctx, func(tx store.Tx) error {
		ids = map[string]string{}
		// Written out of time order, two at the same instant.
		for i, p := range []struct {
			seller string
			hour   int
		}{{"globex", 5}, {"acme", 9}, {"acme", 1}, {"acme", 5}, {"acme", 5}, {"acme-eu", 3}, {"acme", 24}, {"acme", 0}} {
			c := put(tx, p.seller, at(p.hour))
			ids[c.ID] = fmt.Sprintf("#%d", i)
		}
		c := put(tx, "initech", at(2))
		ids[c.ID], moved = "#m", c.ID
		c = put(tx, "acme", at(30))
		ids[c.ID], later = "#l", c.ID
		// Inside the writing transaction the index is already there.
		if got, want := names(tx, "acme", at(1), at(24), 0), "acme@1#2 acme@5#3 acme@5#4 acme@9#1"; got != want {
			t.Errorf("in the writing transaction: acme [1h, 24h) = %q, want %q", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(ctx, func(tx store.Tx) error {
		for _, tc := range []struct {
			name, seller string
			from, to     time.Time
			stopAfter    int
			want         string
		}{
			{"from is in, to is out", "acme", at(1), at(24), 0, "acme@1#2 acme@5#3 acme@5#4 acme@9#1"},
			{"a seller whose name another's starts with stays apart", "acme-eu", at(0), at(48), 0, "acme-eu@3#5"},
			{"every seller, by seller then time", "", at(1), at(6), 0, "acme@1#2 acme@5#3 acme@5#4 acme-eu@3#5 globex@5#0 initech@2#m"},
			{"fn returning false stops", "", at(0), at(48), 2, "acme@0#7 acme@1#2"},
			{"an empty period", "acme", at(5), at(5), 0, ""},
			{"an unknown seller", "umbrella", at(0), at(48), 0, ""},
		} {
			if got := names(tx, tc.seller, tc.from, tc.to, tc.stopAfter); got != tc.want {
				t.Errorf("%s: %s [%v, %v) = %q, want %q", tc.name, tc.seller, tc.from.Sub(day), tc.to.Sub(day), got, tc.want)
			}
		}
		return nil
	})
	// A follow-up moves the clock's start; a route moves the seller.
	err = s.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Case(later)
		if err != nil {
			return err
		}
		c.ReceivedAt = at(4)
		if err := tx.PutCase(c); err != nil {
			return err
		}
		c, err = tx.Case(moved)
		if err != nil {
			return err
		}
		c.Seller = "globex"
		return tx.PutCase(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(ctx, func(tx store.Tx) error {
		if got, want := names(tx, "acme", at(0), at(48), 0), "acme@0#7 acme@1#2 acme@4#l acme@5#3 acme@5#4 acme@9#1 acme@24#6"; got != want {
			t.Errorf("after the follow-up: acme = %q, want %q", got, want)
		}
		if got := names(tx, "initech", at(0), at(48), 0); got != "" {
			t.Errorf("initech still lists %q after its case moved", got)
		}
		if got, want := names(tx, "globex", at(0), at(48), 0), "globex@2#m globex@5#0"; got != want {
			t.Errorf("globex = %q, want %q", got, want)
		}
		var all []string
		tx.CasesReceived("", time.Time{}, at(1000), func(c sfp.Summary) bool { all = append(all, c.ID); return true })
		if len(all) != 10 || len(slices.Compact(slices.Sorted(slices.Values(all)))) != 10 {
			t.Errorf("every seller over all time visits %d cases (%v), want each of the 10 once", len(all), all)
		}
		return nil
	})

	// The summary follows the case: answered, a refund with its claim
	// filed then paid, "No response needed".
	filed, paid := at(50), at(60)
	err = s.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Case(later)
		if err != nil {
			return err
		}
		due, answered := at(28), at(29)
		c.State, c.DueAt, c.AnsweredAt = sfp.StateAnswered, &due, &answered
		c.Kind = sfp.KindRefundNotice
		c.Refund = &sfp.Refund{Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, AToZClaim: true}
		c.Claim = &sfp.Claim{ID: "CLM-1001", Status: string(sfp.ClaimPaid), Amount: sfp.Money{Minor: 2500, Currency: "EUR"},
			History: []sfp.ClaimChange{{At: filed, Status: string(sfp.ClaimFiled)}, {At: paid, Status: string(sfp.ClaimPaid)}}}
		if err := tx.PutCase(c); err != nil {
			return err
		}
		c, err = tx.Case(moved)
		if err != nil {
			return err
		}
		c.State = sfp.StateNoResponseNeeded
		c.AddEvent(at(3), sfp.EventNoResponse, "U1", "")
		return tx.PutCase(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	s.View(ctx, func(tx store.Tx) error {
		seen := 0
		err := tx.CasesReceived("", time.Time{}, at(1000), func(got sfp.Summary) bool {
			c, err := tx.Case(got.ID)
			if err != nil {
				t.Errorf("%s: %v", got.ID, err)
				return true
			}
			if want := sfp.SummaryOf(c); !sameSummary(got, want) {
				t.Errorf("summary of %s = %+v, want %+v", got.ID, got, want)
			}
			switch got.ID {
			case later:
				seen++
				if got.Claim.SettledAt.IsZero() || !got.Claim.FiledAt.Equal(filed) || got.Refund.Minor != 3990 || !got.AToZ {
					t.Errorf("refund's summary lost its claim or refund: %+v", got)
				}
			case moved:
				seen++
				if !got.NoResponseNeeded {
					t.Errorf("no-response case's summary: %+v", got)
				}
			}
			return true
		})
		if err != nil || seen != 2 {
			t.Errorf("visited %d of the changed cases: %v", seen, err)
		}
		return nil
	})
}

// sameSummary compares summaries with times as instants: a store need not
// keep a time's zone.
func sameSummary(a, b sfp.Summary) bool {
	times := func(s *sfp.Summary) []*time.Time {
		return []*time.Time{&s.ReceivedAt, &s.DueAt, &s.AnsweredAt, &s.Claim.FiledAt, &s.Claim.SettledAt}
	}
	ta, tb := times(&a), times(&b)
	for i := range ta {
		if !ta[i].Equal(*tb[i]) {
			return false
		}
		*ta[i], *tb[i] = time.Time{}, time.Time{}
	}
	return a == b
}
