package sfp_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// question builds a question received at `received` hours before now,
// answered `answered` hours after it was received (negative: not
// answered), on Amazon's 24-hour clock.
func question(now time.Time, received, answered float64, state sfp.State, events ...string) *sfp.Case {
	rec := now.Add(-time.Duration(received * float64(time.Hour)))
	due := rec.Add(24 * time.Hour)
	c := &sfp.Case{Kind: sfp.KindProductQuestion, State: state, ReceivedAt: rec, CreatedAt: rec, DueAt: &due}
	if answered >= 0 {
		at := rec.Add(time.Duration(answered * float64(time.Hour)))
		c.AnsweredAt = &at
	}
	for _, e := range events {
		c.AddEvent(rec.Add(time.Hour), e, "U1", "")
	}
	return c
}

// Each row is one case and what it adds to the 30-day figures.
func TestFiguresCountOneCase(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		c    *sfp.Case
		want sfp.Figures
	}{
		{"answered in 3 hours", question(now, 48, 3, sfp.StateAnswered),
			sfp.Figures{Received: 1, Counted: 1, Answered: 1, ResponseTotal: 3 * time.Hour}},
		{"answered after 30 hours: late, and still in the average", question(now, 48, 30, sfp.StateAnswered),
			sfp.Figures{Received: 1, Counted: 1, Late: 1, Answered: 1, ResponseTotal: 30 * time.Hour}},
		{"answered at the deadline exactly: on time", question(now, 48, 24, sfp.StateAnswered),
			sfp.Figures{Received: 1, Counted: 1, Answered: 1, ResponseTotal: 24 * time.Hour}},
		{"unanswered, deadline gone: late", question(now, 30, -1, sfp.StateOpen),
			sfp.Figures{Received: 1, Counted: 1, Late: 1}},
		{"unanswered, still within its 24 hours: counts neither way", question(now, 5, -1, sfp.StateOpen),
			sfp.Figures{Received: 1}},
		{"marked no response needed: left out of the rate", question(now, 30, -1, sfp.StateNoResponseNeeded, sfp.EventNoResponse),
			sfp.Figures{Received: 1, NoResponseNeeded: 1}},
		{"closed after no response needed: still left out", question(now, 300, -1, sfp.StateClosed, sfp.EventNoResponse, sfp.EventClosed),
			sfp.Figures{Received: 1, NoResponseNeeded: 1}},
		{"answered then closed: counted as answered", question(now, 300, 2, sfp.StateClosed, sfp.EventAnswered, sfp.EventClosed),
			sfp.Figures{Received: 1, Counted: 1, Answered: 1, ResponseTotal: 2 * time.Hour}},
		{"received 31 days ago: outside the period", question(now, 31*24, 1, sfp.StateAnswered),
			sfp.Figures{}},
		{"a refund notice is no question", &sfp.Case{Kind: sfp.KindRefundNotice, State: sfp.StateOpen, ReceivedAt: now.Add(-time.Hour)},
			sfp.Figures{}},
		{"a return is on the refund clock, not the response clock", func() *sfp.Case {
			c := question(now, 72, -1, sfp.StateOpen)
			c.Kind = sfp.KindReturnReceived
			return c
		}(), sfp.Figures{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := sfp.NewFigures(now, 30*24*time.Hour)
			f.Add(tt.c)
			tt.want.From, tt.want.To = f.From, f.To
			if d := cmp.Diff(tt.want, f); d != "" {
				t.Errorf("figures (-want +got):\n%s", d)
			}
		})
	}
}

func TestFiguresRateAndAverage(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	cases := []*sfp.Case{
		question(now, 48, 2, sfp.StateAnswered),
		question(now, 72, 4, sfp.StateAnswered),
		question(now, 96, 30, sfp.StateAnswered), // late
		question(now, 40, -1, sfp.StateOpen),     // late, unanswered
		question(now, 3, -1, sfp.StateOpen),      // not yet due
		question(now, 50, -1, sfp.StateNoResponseNeeded, sfp.EventNoResponse),
		question(now, 10*24, 1, sfp.StateAnswered), // in 30d, not in 7d
	}
	tests := []struct {
		name     string
		period   time.Duration
		rate     float64
		avg      time.Duration
		answered int
		noResp   int
	}{
		{"last 7 days", 7 * 24 * time.Hour, 2.0 / 4, 12 * time.Hour, 3, 1},
		{"last 30 days", 30 * 24 * time.Hour, 2.0 / 5, (2 + 4 + 30 + 1) * time.Hour / 4, 4, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := sfp.NewFigures(now, tt.period)
			for _, c := range cases {
				f.Add(c)
			}
			rate, ok := f.LateRate()
			if !ok || rate != tt.rate {
				t.Errorf("late rate = %v, %v; want %v", rate, ok, tt.rate)
			}
			avg, ok := f.AverageResponse()
			if !ok || avg != tt.avg {
				t.Errorf("average = %v, %v; want %v", avg, ok, tt.avg)
			}
			if f.Answered != tt.answered || f.NoResponseNeeded != tt.noResp {
				t.Errorf("answered %d, no response %d; want %d, %d", f.Answered, f.NoResponseNeeded, tt.answered, tt.noResp)
			}
		})
	}
}

func TestFiguresWithNothingToCount(t *testing.T) {
	f := sfp.NewFigures(time.Now(), 7*24*time.Hour)
	if _, ok := f.LateRate(); ok {
		t.Error("a rate over no question")
	}
	if _, ok := f.AverageResponse(); ok {
		t.Error("an average over no answer")
	}
}

// Seller Central's buyer-message figures leave customer service's
// questions out, split pre-order from post-order, and A-to-z answers run
// on their own line.
func TestSellerFiguresSplitAsSellerCentral(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	of := func(k sfp.Kind, hoursAgo, answeredAfter float64) *sfp.Case {
		c := question(now, hoursAgo, answeredAfter, sfp.StateAnswered)
		c.Kind = k
		return c
	}
	atoz := of(sfp.KindAToZClaim, 100, 80) // answered after its 72 hours: late
	due := atoz.ReceivedAt.Add(72 * time.Hour)
	atoz.DueAt = &due
	sf := sfp.NewSellerFigures(now, 30*24*time.Hour)
	for _, c := range []*sfp.Case{
		of(sfp.KindPreOrderQuestion, 48, 2), of(sfp.KindProductQuestion, 48, 30),
		of(sfp.KindOrderQuestion, 48, 4), of(sfp.KindCSContact, 48, 1), of(sfp.KindCSContact, 48, 26),
		atoz, of(sfp.KindRefundNotice, 48, 1),
	} {
		sf.Add(c)
	}
	type line struct{ Received, Late, Answered int }
	got := map[string]line{}
	for name, f := range map[string]sfp.Figures{"buyer": sf.Buyer, "pre": sf.PreOrder, "post": sf.PostOrder, "cs": sf.CS, "atoz": sf.AToZ} {
		got[name] = line{f.Received, f.Late, f.Answered}
	}
	want := map[string]line{
		"buyer": {3, 1, 3}, "pre": {2, 1, 2}, "post": {1, 0, 1}, "cs": {2, 1, 2}, "atoz": {1, 1, 1},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}
