package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// /sfp return puts a returned item on the refund clock from the day it
// arrived: 2 business days, a reminder each business morning at 09:00, the
// escalation at the deadline.
func TestReturnCommand(t *testing.T) {
	tests := []struct {
		name, text string
		answer     string
		arrived    time.Time
		entries    []string
	}{
		{"arrived today", "return acme 171-1234567-1234567",
			":package: SFP-1001: the return of order 171-1234567-1234567", monday10, []string{
				"remind morning Tue 3 Nov 09:00:00",
				"remind today Wed 4 Nov 09:00:00",
				"escalate Wed 4 Nov 23:59:59",
			}},
		{"arrived last Friday: the clock ran over the weekend's business days only", "return acme 171-1234567-1234567 2026-10-30",
			":package: SFP-1001: the return of order 171-1234567-1234567", time.Date(2026, 10, 30, 0, 0, 0, 0, clockParis), []string{
				"remind today Tue 3 Nov 09:00:00",
				"escalate Tue 3 Nov 23:59:59",
			}},
		{"tomorrow", "return acme 171-1234567-1234567 2026-11-03", "`2026-11-03` is in the future", time.Time{}, nil},
		{"a day that does not exist", "return acme 171-1234567-1234567 2026-02-30", "`2026-02-30` is not a date", time.Time{}, nil},
		{"a date written the French way", "return acme 171-1234567-1234567 30/10/2026", "`30/10/2026` is not a date", time.Time{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newRefunds(t, monday10)
			got := h.command("U0AGENT", tc.text)
			if !strings.Contains(got, tc.answer) {
				t.Errorf("answer %q, want %q", got, tc.answer)
			}
			if tc.arrived.IsZero() {
				if h.caseCount() != 0 || !strings.Contains(got, "Usage: `/sfp return <seller> <order-id> [<YYYY-MM-DD>]`") {
					t.Errorf("a wrong date created a case or gave no usage: %q", got)
				}
				return
			}
			c := h.get("SFP-1001")
			if c.Kind != sfp.KindReturnReceived || !c.ReceivedAt.Equal(tc.arrived) || c.Return == nil || !c.Return.ReceivedAt.Equal(tc.arrived) {
				t.Errorf("case %s received %v, return %+v; want arrival %v", c.Kind, c.ReceivedAt, c.Return, tc.arrived)
			}
			if diff := cmp.Diff(tc.entries, h.entries(c.ID)); diff != "" {
				t.Errorf("due entries (-want +got):\n%s", diff)
			}
			// The same parcel twice: one clock.
			if again := h.command("U0AGENT", tc.text); !strings.Contains(again, "A return on order 171-1234567-1234567 is already waiting for its refund: *SFP-1001*") || h.caseCount() != 1 {
				t.Errorf("second return: %q", again)
			}
		})
	}
}

// "Mark refunded" stops the refund clock: the case is answered with the
// refund recorded, in time or late, and closes like any answered case.
func TestRefundMarkStopsTheRefundClock(t *testing.T) {
	due := time.Date(2026, 11, 4, 23, 59, 59, 0, clockParis)
	tests := []struct {
		name     string
		at       time.Time
		user     string
		amount   string
		err      string
		state    sfp.State
		breached bool
		word     string
		entries  []string
	}{
		{"refunded the next morning", nov(3, 11, 0), "U0ALICE", "39,90", "", sfp.StateAnswered, false,
			":white_check_mark: <@U0ALICE> refunded 39,90 € on order 171-1234567-1234567 in time: the refund clock of *SFP-1001* has stopped.",
			[]string{"close Tue 10 Nov 11:00:00"}},
		{"refunded after the deadline", nov(5, 10, 0), "U0ADMIN", "39.9", "", sfp.StateAnswered, true,
			"<@U0ADMIN> refunded 39,90 € on order 171-1234567-1234567 after the deadline (" + bot.DateTag(due, "en") + ")",
			[]string{"close Thu 12 Nov 10:00:00"}},
		{"by an agent outside the seller's channel", nov(3, 11, 0), "U0AGENT", "39,90", "No case SFP-1001 that you can see.", sfp.StateOpen, false, "", nil},
		{"an amount that is not one", nov(3, 11, 0), "U0ALICE", "39 euros", "Write an amount like 39,90 or 39.90.", sfp.StateOpen, false, "", nil},
		{"nothing refunded", nov(3, 11, 0), "U0ALICE", "0", "The amount must be more than 0.", sfp.StateOpen, false, "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newRefunds(t, monday10)
			c := h.newCase(sfp.KindReturnReceived, monday10, func(in *newCase) { in.Return = &sfp.Return{ReceivedAt: monday10} })
			h.sweepAt(tc.at)
			errs := h.submitErrors(bot.ModalRefundMark, c.ID, tc.user, map[string]string{"amount": tc.amount})
			if tc.err != "" {
				if !strings.HasPrefix(errs["amount"], tc.err) {
					t.Errorf("errors %v, want %q under amount", errs, tc.err)
				}
			} else if errs != nil {
				t.Fatalf("refused: %v", errs)
			}
			got := h.get(c.ID)
			if got.State != tc.state || got.Breached != tc.breached {
				t.Errorf("state %s, breached %v; want %s, %v", got.State, got.Breached, tc.state, tc.breached)
			}
			if tc.err != "" {
				if got.Refund != nil {
					t.Errorf("a refused refund was recorded: %+v", got.Refund)
				}
				return
			}
			want := &sfp.Refund{Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, RefundedBy: "seller", RefundedAt: &tc.at}
			if diff := cmp.Diff(want, got.Refund); diff != "" || got.AnsweredBy != tc.user || !got.AnsweredAt.Equal(tc.at) {
				t.Errorf("refund (-want +got):\n%s\nanswered by %s at %v", diff, got.AnsweredBy, got.AnsweredAt)
			}
			thread := noFallbacks(h.thread(c))
			if len(thread) == 0 || !strings.Contains(thread[len(thread)-1], noFallback(tc.word)) {
				t.Errorf("thread %q, want %q last", thread, tc.word)
			}
			if diff := cmp.Diff(tc.entries, h.entries(c.ID)); diff != "" {
				t.Errorf("due entries (-want +got):\n%s", diff)
			}
			// Twice: the refund is recorded once.
			if errs := h.submitErrors(bot.ModalRefundMark, c.ID, tc.user, map[string]string{"amount": "10"}); errs["amount"] != "This return is already marked refunded." {
				t.Errorf("second refund: %v", errs)
			}
		})
	}
}

// The amount a refund_mark modal offers is the refund Amazon reported on
// the same order, when there is one.
func TestRefundOffer(t *testing.T) {
	h := newRefunds(t, monday10)
	ret := h.newCase(sfp.KindReturnReceived, monday10)
	h.db.View(context.Background(), func(tx store.Tx) error {
		if got, _ := refundOffer(tx, ret); got != (sfp.Money{Currency: "EUR"}) {
			t.Errorf("with no refund on the order: %+v", got)
		}
		return nil
	})
	h.refund(monday10, func(r *sfp.Refund) { r.Amount.Minor = 2450 })
	h.db.View(context.Background(), func(tx store.Tx) error {
		if got, _ := refundOffer(tx, ret); got != (sfp.Money{Minor: 2450, Currency: "EUR"}) {
			t.Errorf("with a refund notice on the order: %+v", got)
		}
		return nil
	})
}
