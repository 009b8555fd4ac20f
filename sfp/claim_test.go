package sfp_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfpdesk/sfpdesk/sfp"
)

func TestParseClaimID(t *testing.T) {
	tests := []struct {
		in   string
		want string
		n    uint64
		ok   bool
	}{
		{"CLM-1001", "CLM-1001", 1001, true},
		{" clm-42 ", "CLM-42", 42, true},
		{"SFP-1001", "", 0, false},
		{"CLM-", "", 0, false},
		{"CLM-1001x", "", 0, false},
	}
	for _, tc := range tests {
		id, n, ok := sfp.ParseClaimID(tc.in)
		if id != tc.want || n != tc.n || ok != tc.ok {
			t.Errorf("ParseClaimID(%q) = %q, %d, %v", tc.in, id, n, ok)
		}
	}
}

func TestClaimMoveKeepsWhoAndWhen(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	cl := &sfp.Claim{ID: "CLM-1001", Status: string(sfp.ClaimFiled)}
	if err := cl.Move(sfp.ClaimPaid, "U1", t0); sfp.ErrorCode(err) != sfp.ECONFLICT || cl.Status != "filed" || len(cl.History) != 0 {
		t.Errorf("filed → paid: %v, now %s", err, cl.Status)
	}
	for i, to := range []sfp.ClaimStatus{sfp.ClaimDenied, sfp.ClaimFiled, sfp.ClaimApproved, sfp.ClaimPaid} {
		if err := cl.Move(to, "U1", t0.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatalf("→ %s: %v", to, err)
		}
	}
	if cl.IsOpen() || len(cl.History) != 4 || cl.History[3] != (sfp.ClaimChange{At: t0.Add(3 * time.Hour), Status: "paid", By: "U1"}) {
		t.Errorf("claim %+v", cl)
	}
	c := cl.Clone()
	c.History[0].By = "U2"
	if cl.History[0].By != "U1" {
		t.Error("a clone shares its history")
	}
}

func TestRefundStepOfACase(t *testing.T) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	by := t0.Add(30 * 24 * time.Hour)
	refund := func() *sfp.Case {
		return &sfp.Case{ID: "SFP-1001", Kind: sfp.KindRefundNotice, ClaimBy: &by,
			Refund: &sfp.Refund{Reason: "late_delivery", RefundedBy: "amazon_cs"}}
	}
	tests := []struct {
		name   string
		c      func() *sfp.Case
		now    time.Time
		want   sfp.Step
		toFile bool
	}{
		{"within the window", refund, t0, sfp.Step{Action: sfp.StepClaim}, true},
		{"at the deadline's last second", refund, by, sfp.Step{Action: sfp.StepClaim}, true},
		{"past the window", refund, by.Add(time.Second), sfp.Step{Action: sfp.StepNone, NoClaim: sfp.NoClaimWindowClosed}, true},
		{"its own claim on file", func() *sfp.Case {
			c := refund()
			c.Claim = &sfp.Claim{ID: "CLM-1001", CaseID: c.ID}
			return c
		}, t0, sfp.Step{Action: sfp.StepNone, NoClaim: sfp.NoClaimExists, ClaimID: "CLM-1001"}, false},
		{"no deadline known", func() *sfp.Case {
			c := refund()
			c.ClaimBy = nil
			return c
		}, by.Add(time.Hour), sfp.Step{Action: sfp.StepClaim}, false},
		{"not a refund", func() *sfp.Case { return &sfp.Case{Kind: sfp.KindOrderQuestion} }, t0, sfp.Step{Action: sfp.StepNone}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c()
			if diff := cmp.Diff(tc.want, c.RefundStep(tc.now)); diff != "" {
				t.Errorf("RefundStep (-want +got):\n%s", diff)
			}
			if got := c.ClaimToFile(); got != tc.toFile {
				t.Errorf("ClaimToFile = %v, want %v", got, tc.toFile)
			}
		})
	}
}
