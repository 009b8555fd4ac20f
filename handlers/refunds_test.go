package handlers

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

const refundOrder = "171-1234567-1234567"

// newRefunds is the clocks fixture with the claim settings of the
// contract's defaults: a 30-day window, reminders 7 days and 1 day ahead.
func newRefunds(t *testing.T, start time.Time) *clocks {
	t.Helper()
	h := newClocks(t, start)
	h.app.Settings.ClaimWindow = sfp.Duration{N: 30, Unit: sfp.Days}
	h.app.Settings.ClaimRemindBefore = []time.Duration{7 * 24 * time.Hour, 24 * time.Hour}
	return h
}

// refund creates a refund notice as intake would: 39,90 € refunded by
// Amazon CS for a late delivery, unless edit says otherwise.
func (h *clocks) refund(received time.Time, edit func(r *sfp.Refund)) *sfp.Case {
	h.t.Helper()
	return h.refundOn(refundOrder, received, edit)
}

// refundOn is refund on another order.
func (h *clocks) refundOn(order string, received time.Time, edit func(r *sfp.Refund)) *sfp.Case {
	h.t.Helper()
	r := &sfp.Refund{Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, Reason: "late_delivery", RefundedBy: "amazon_cs"}
	if edit != nil {
		edit(r)
	}
	return h.newCase(sfp.KindRefundNotice, received, func(in *newCase) {
		in.Refund, in.Body, in.OrderID = r, "Refund issued by Amazon customer service.", order
	})
}

// dateTagFallbackRe matches the fallback of a <!date> tag, which names the
// zone as the stored time knows it ("CET" or "+0100"): tests compare the
// instant, not that name.
var dateTagFallbackRe = regexp.MustCompile(`(<!date\^\d+\^[^|>]*)\|[^>]*>`)

func noFallback(s string) string { return dateTagFallbackRe.ReplaceAllString(s, "$1>") }

func noFallbacks(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = noFallback(s)
	}
	return out
}

// claimEntries lists a case's claim entries as entries does: other
// clocks' entries (answer, retention) are not the claim's business.
func (h *clocks) claimEntries(id string) []string {
	var out []string
	for _, e := range h.entries(id) {
		if k, _, _ := strings.Cut(e, " "); claimKind(k) {
			out = append(out, e)
		}
	}
	return out
}

func (h *clocks) caseCount() int {
	n := 0
	h.db.View(context.Background(), func(tx store.Tx) error {
		return tx.ForEachCase(func(*sfp.Case) bool { n++; return true })
	})
	return n
}

// A refund notice stays open while something can be done about its cost
// and closes at once when nothing can (DESIGN §4.8); while a
// reimbursement claim can be filed, its reminders and the closing of its
// window are due.
func TestRefundNoticeStepDecidesItsState(t *testing.T) {
	tests := []struct {
		name     string
		received time.Time
		edit     func(r *sfp.Refund)
		state    sfp.State
		closed   string
		entries  []string
	}{
		{"a late delivery refunded by Amazon CS: a claim to file within 30 days", monday10, nil,
			sfp.StateOpen, "", []string{
				"claim_remind 7d Wed 25 Nov 10:00:00",
				"claim_remind 1d Tue 1 Dec 10:00:00",
				"claim_lapse Wed 2 Dec 10:00:01",
			}},
		{"refunded by the seller", monday10, func(r *sfp.Refund) { r.RefundedBy = "seller" },
			sfp.StateClosed, "no claim: seller_refund", nil},
		{"refunded by Amazon automatically", monday10, func(r *sfp.Refund) { r.RefundedBy = "amazon" },
			sfp.StateClosed, "no claim: automatic_refund", nil},
		{"an order with an A-to-z claim", monday10, func(r *sfp.Refund) { r.AToZClaim = true },
			sfp.StateClosed, "no claim: a_to_z_claim", nil},
		{"no tracking", monday10, func(r *sfp.Refund) { r.Reason = "no_tracking" },
			sfp.StateClosed, "no claim: no_tracking", nil},
		{"lost in transit: open for a claim with the carrier, on the carrier's own time limits", monday10,
			func(r *sfp.Refund) { r.Reason = "lost_in_transit" }, sfp.StateOpen, "", nil},
		{"reported 40 days after the refund: the window has closed", monday10.AddDate(0, 0, -40), nil,
			sfp.StateClosed, "claim window closed", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newRefunds(t, monday10)
			c := h.get(h.refund(tc.received, tc.edit).ID)
			if c.State != tc.state {
				t.Errorf("state %s, want %s", c.State, tc.state)
			}
			closed := ""
			for _, e := range c.Events {
				if e.Type == sfp.EventClosed {
					closed = e.Detail
				}
			}
			if closed != tc.closed {
				t.Errorf("closed %q, want %q", closed, tc.closed)
			}
			if want := tc.received.AddDate(0, 0, 30); c.ClaimBy == nil || !c.ClaimBy.Equal(want) {
				t.Errorf("claim by %v, want %v", c.ClaimBy, want)
			}
			if c.DueAt != nil || c.Claim != nil {
				t.Errorf("a refund notice has no deadline and no claim yet: due %v, claim %+v", c.DueAt, c.Claim)
			}
			if diff := cmp.Diff(tc.entries, h.claimEntries(c.ID)); diff != "" {
				t.Errorf("due entries (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRefundCommand(t *testing.T) {
	h := newRefunds(t, monday10)
	h.update(func(tx store.Tx) error {
		return tx.PutSeller(&sfp.Seller{Name: "brit", Routes: []sfp.Route{{Seller: "brit", Marketplace: "amazon.co.uk", Channel: sellerChannel}}})
	})
	now := monday10
	oct20 := time.Date(2026, 10, 20, 0, 0, 0, 0, clockParis)
	sep1 := time.Date(2026, 9, 1, 0, 0, 0, 0, clockParis)
	tests := []struct {
		name, text string
		answer     string
		want       *sfp.Refund
		mp         sfp.Marketplace
		claimBy    time.Time
	}{
		{"a late delivery in euros", "refund acme 171-1234567-1234567 39,90 late_delivery",
			"SFP-1001: the refund of 39,90 € on order 171-1234567-1234567 is posted to *acme*",
			&sfp.Refund{Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, Reason: "late_delivery", RefundedBy: "amazon_cs", RefundedAt: &now}, "amazon.fr",
			now.AddDate(0, 0, 30)},
		{"returnless, in the seller's marketplace's currency", "refund BRIT 171-1234567-7654321 12.5 Damaged returnless",
			"the refund of £12.50 on order 171-1234567-7654321 is posted to *brit*",
			&sfp.Refund{Amount: sfp.Money{Minor: 1250, Currency: "GBP"}, Reason: "damaged", RefundedBy: "amazon_cs", Returnless: true, RefundedAt: &now}, "amazon.co.uk",
			now.AddDate(0, 0, 30)},
		{"refunded two weeks ago: the window counts from that day", "refund acme 171-1234567-1234568 39,90 delivered_not_received 2026-10-20",
			"the refund of 39,90 € on order 171-1234567-1234568 is posted to *acme*",
			&sfp.Refund{Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, Reason: "delivered_not_received", RefundedBy: "amazon_cs", RefundedAt: &oct20}, "amazon.fr",
			oct20.Add(30 * 24 * time.Hour)},
		{"returnless and dated", "refund acme 171-1234567-1234569 20 not_returned returnless 2026-10-20",
			"the refund of 20,00 € on order 171-1234567-1234569 is posted to *acme*",
			&sfp.Refund{Amount: sfp.Money{Minor: 2000, Currency: "EUR"}, Reason: "not_returned", RefundedBy: "amazon_cs", Returnless: true, RefundedAt: &oct20}, "amazon.fr",
			oct20.Add(30 * 24 * time.Hour)},
		{"refunded long ago: taken, and the window is said closed", "refund acme 171-1234567-1234570 39,90 late_delivery 2026-09-01",
			"This refund reached sfpdesk after its claim window had closed",
			&sfp.Refund{Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, Reason: "late_delivery", RefundedBy: "amazon_cs", RefundedAt: &sep1}, "amazon.fr",
			sep1.Add(30 * 24 * time.Hour)},
		{"refunded tomorrow", "refund acme 171-1234567-1234567 39,90 late_delivery 2026-11-03", "`2026-11-03` is in the future", nil, "", time.Time{}},
		{"a date that is no date", "refund acme 171-1234567-1234567 39,90 late_delivery 2026-13-01", "`2026-13-01` is not a date", nil, "", time.Time{}},
		{"an amount with three decimals", "refund acme 171-1234567-1234567 39,999 late_delivery", "`39,999` is not an amount", nil, "", time.Time{}},
		{"a made-up reason", "refund acme 171-1234567-1234567 39,90 changed_mind", "`changed_mind` is not a refund reason. Use one of: late_delivery, no_longer_needed", nil, "", time.Time{}},
		{"a word after the reason", "refund acme 171-1234567-1234567 39,90 late_delivery please", "I did not expect `please` here", nil, "", time.Time{}},
		{"not an order id", "refund acme 123-45-6 39,90 late_delivery", "`123-45-6` is not an Amazon order id", nil, "", time.Time{}},
		{"no reason", "refund acme 171-1234567-1234567 39,90", "`reason` is missing", nil, "", time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.caseCount()
			got := h.command("U0AGENT", tc.text)
			if !strings.Contains(got, tc.answer) {
				t.Errorf("answer %q, want it to contain %q", got, tc.answer)
			}
			if tc.want == nil {
				if !strings.Contains(got, "Usage: `/sfp refund <seller> <order-id> <amount> <reason> [returnless] [<YYYY-MM-DD>]`") || h.caseCount() != before {
					t.Errorf("a wrong command must say the right form and create nothing: %q", got)
				}
				return
			}
			var c *sfp.Case
			h.db.View(context.Background(), func(tx store.Tx) error {
				c, _ = tx.Case(sfp.CaseID(uint64(sfp.FirstCaseNumber + before)))
				return nil
			})
			if c == nil || c.Kind != sfp.KindRefundNotice || c.Marketplace != tc.mp || c.Source != sfp.SourceSlack {
				t.Fatalf("case = %+v", c)
			}
			if diff := cmp.Diff(tc.want, c.Refund); diff != "" {
				t.Errorf("refund (-want +got):\n%s", diff)
			}
			if c.ClaimBy == nil || !c.ClaimBy.Equal(tc.claimBy) {
				t.Errorf("claim by %v, want %v", c.ClaimBy, tc.claimBy)
			}
			if c.Events[0].By != "U0AGENT" {
				t.Errorf("created by %q", c.Events[0].By)
			}
		})
	}
}

func TestSellerMarketplace(t *testing.T) {
	h := newRefunds(t, monday10)
	tests := []struct {
		name   string
		routes []sfp.Route
		want   sfp.Marketplace
	}{
		{"no route", nil, "amazon.fr"},
		{"a catch-all route", []sfp.Route{{Channel: "C1"}}, "amazon.fr"},
		{"one marketplace", []sfp.Route{{Marketplace: "amazon.de", Channel: "C1"}, {Channel: "C2"}}, "amazon.de"},
		{"two marketplaces: no way to tell", []sfp.Route{{Marketplace: "amazon.de", Channel: "C1"}, {Marketplace: "amazon.it", Channel: "C2"}}, "amazon.fr"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got sfp.Marketplace
			h.update(func(tx store.Tx) error {
				if err := tx.PutSeller(&sfp.Seller{Name: "zed", Routes: tc.routes}); err != nil {
					return err
				}
				got = h.app.sellerMarketplace(tx, "zed")
				return nil
			})
			if got != tc.want {
				t.Errorf("marketplace %s, want %s", got, tc.want)
			}
		})
	}
}

// A reply in a card's thread answers a question; a returned item waits for
// its refund and a refund notice for its claim, whatever is said.
func TestAReplyAnswersOnlyWhatWaitsForWords(t *testing.T) {
	h := newRefunds(t, monday10)
	for _, tc := range []struct {
		c    *sfp.Case
		want sfp.State
	}{
		{h.newCase(sfp.KindOrderQuestion, monday10), sfp.StateAnswered},
		{h.newCase(sfp.KindReturnReceived, monday10), sfp.StateOpen},
		{h.refund(monday10, nil), sfp.StateOpen},
	} {
		h.update(func(tx store.Tx) error {
			c, err := tx.Case(tc.c.ID)
			if err != nil {
				return err
			}
			if err := h.app.answer(tx, c, "U0ALICE", "We are on it.", nil); err != nil {
				return err
			}
			return tx.PutCase(c)
		})
		if got := h.get(tc.c.ID).State; got != tc.want {
			t.Errorf("%s after a reply: %s, want %s", tc.c.Kind, got, tc.want)
		}
	}
}
