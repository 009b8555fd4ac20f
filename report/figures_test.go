package report_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfpdesk/sfpdesk/report"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

// Two weeks of a seller in Paris: questions answered on time and late, a
// refund whose claim is filed one week and paid the next, carried by two
// refund notices of the same order, and an A-to-z claim.
func TestWeeksCountsTheirWeek(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	w48 := report.Week{Year: 2026, Number: 48} // Monday 23 November
	day := func(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, paris) }
	ptr := func(t time.Time) *time.Time { return &t }
	claim := &sfp.Claim{ID: "CLM-1001", Status: string(sfp.ClaimPaid), Amount: sfp.Money{Minor: 3990, Currency: "EUR"},
		History: []sfp.ClaimChange{{At: day(25, 10), Status: string(sfp.ClaimFiled)}, {At: day(30, 10), Status: string(sfp.ClaimPaid)}}}
	cases := []*sfp.Case{
		// Week 48: answered in 2 h, answered a day late, still open and
		// late; and customer service's question, which Amazon's Contact
		// Response Time leaves out.
		{Kind: sfp.KindOrderQuestion, State: sfp.StateAnswered, ReceivedAt: day(23, 9), DueAt: ptr(day(24, 9)), AnsweredAt: ptr(day(23, 11))},
		{Kind: sfp.KindProductQuestion, State: sfp.StateAnswered, ReceivedAt: day(24, 9), DueAt: ptr(day(25, 9)), AnsweredAt: ptr(day(26, 9))},
		{Kind: sfp.KindOrderQuestion, State: sfp.StateOpen, ReceivedAt: day(29, 23), DueAt: ptr(day(30, 23))},
		{Kind: sfp.KindCSContact, State: sfp.StateOpen, ReceivedAt: day(27, 9), DueAt: ptr(day(28, 9))},
		{Kind: sfp.KindAToZClaim, State: sfp.StateOpen, ReceivedAt: day(26, 9), DueAt: ptr(day(29, 9)), OrderID: "402-1234567-1234567"},
		{Kind: sfp.KindRefundNotice, State: sfp.StateOpen, ReceivedAt: day(24, 12), OrderID: "402-1234567-1234567",
			Refund: &sfp.Refund{Amount: sfp.Money{Minor: 3990, Currency: "EUR"}}, Claim: claim},
		{Kind: sfp.KindRefundNotice, State: sfp.StateOpen, ReceivedAt: day(24, 13), OrderID: "402-1234567-1234567",
			Refund: &sfp.Refund{Amount: sfp.Money{Minor: 500, Currency: "EUR"}, AToZClaim: true}, Claim: claim.Clone()},
		// Week 49 (30 November): a question, and another seller's.
		{Kind: sfp.KindPreOrderQuestion, State: sfp.StateOpen, ReceivedAt: day(30, 8), DueAt: ptr(day(31, 8))},
		{Kind: sfp.KindPreOrderQuestion, State: sfp.StateOpen, ReceivedAt: day(30, 8), Seller: "globex"},
	}
	db, err := bolt.Open(filepath.Join(t.TempDir(), "r.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	err = db.Update(ctx, func(tx store.Tx) error {
		for _, c := range cases {
			n, err := tx.NextCaseNumber()
			if err != nil {
				return err
			}
			c.ID, c.Number = sfp.CaseID(n), n
			if c.Seller == "" {
				c.Seller = "acme"
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
	now := day(30, 12) // Monday of week 49, noon
	var weeks []report.Figures
	err = db.View(ctx, func(tx store.Tx) error {
		var err error
		weeks, err = report.Weeks(tx, "acme", w48.Add(1), 2, paris, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Week                      string
		Questions, OnTime         int
		Counted, Late, Answered   int
		AToZ                      int
		Refunds, Filed, Paid, Bet report.Amounts
	}
	view := func(f report.Figures) got {
		return got{f.Week.String(), f.Questions, f.OnTime, f.Response.Counted, f.Response.Late, f.Response.Answered,
			f.AToZ, f.Refunds, f.Filed, f.Paid, f.AtStake}
	}
	eur := func(n int, minor int64) report.Amounts { return report.Amounts{"EUR": {N: n, Minor: minor}} }
	want := []got{
		// The question of Sunday night is still within its 24 hours.
		{"2026-W48", 3, 1, 2, 1, 2, 1, eur(2, 4490), eur(1, 3990), report.Amounts{}, eur(1, 3990)},
		{"2026-W49", 1, 0, 0, 0, 0, 0, report.Amounts{}, report.Amounts{}, eur(1, 3990), report.Amounts{}},
	}
	if diff := cmp.Diff(want, []got{view(weeks[0]), view(weeks[1])}); diff != "" {
		t.Errorf("weeks (-want +got):\n%s", diff)
	}
	if d, ok := weeks[0].Response.AverageResponse(); !ok || d != 25*time.Hour {
		t.Errorf("average response %v, want 25h (2 h and 48 h)", d)
	}
	// Two days later it is late, and week 48 counts it so.
	db.View(ctx, func(tx store.Tx) error {
		weeks, err = report.Weeks(tx, "acme", w48, 1, paris, day(32, 12))
		return err
	})
	if err != nil || weeks[0].Response.Counted != 3 || weeks[0].Response.Late != 2 {
		t.Errorf("week 48 seen on 2 December: %+v (%v), want 2 late of 3", weeks[0].Response, err)
	}
}
