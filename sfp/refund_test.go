package sfp_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfpdesk/sfpdesk/sfp"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// The policy table, for a refund issued by Amazon CS on an order with no
// A-to-z claim and no claim yet.
func TestNextStepByReason(t *testing.T) {
	tests := []struct {
		reason sfp.RefundReason
		want   sfp.Step
	}{
		{sfp.ReasonLateDelivery, sfp.Step{Action: sfp.StepClaim}},
		{sfp.ReasonNoLongerNeeded, sfp.Step{Action: sfp.StepClaim, Hint: sfp.HintReturnShipping}},
		{sfp.ReasonNoTracking, sfp.Step{Action: sfp.StepNone, NoClaim: sfp.NoClaimNoTracking}},
		{sfp.ReasonDefective, sfp.Step{Action: sfp.StepClaim, Hint: sfp.HintItemCondition}},
		{sfp.ReasonDamaged, sfp.Step{Action: sfp.StepClaim, Hint: sfp.HintItemCondition}},
		{sfp.ReasonMissingParts, sfp.Step{Action: sfp.StepClaim, Hint: sfp.HintItemCondition}},
		{sfp.ReasonWrongItem, sfp.Step{Action: sfp.StepClaim, Hint: sfp.HintItemCondition}},
		{sfp.ReasonLostInTransit, sfp.Step{Action: sfp.StepCarrierClaim, NoClaim: sfp.NoClaimCarrierLoss, Hint: sfp.HintContactCarrier}},
		{sfp.ReasonDamagedInTransit, sfp.Step{Action: sfp.StepCarrierClaim, NoClaim: sfp.NoClaimCarrierLoss, Hint: sfp.HintContactCarrier}},
		{sfp.ReasonDeliveredNotReceived, sfp.Step{Action: sfp.StepClaim, Hint: sfp.HintProofOfDelivery}},
		{sfp.ReasonNotReturned, sfp.Step{Action: sfp.StepClaim, Hint: sfp.HintReturnNotScanned}},
		{sfp.ReasonLateReturnAuthorised, sfp.Step{Action: sfp.StepClaim}},
		{sfp.ReasonOther, sfp.Step{Action: sfp.StepClaim}},
	}
	if len(tests) != len(sfp.RefundReasons) {
		t.Fatalf("%d rows for %d reasons", len(tests), len(sfp.RefundReasons))
	}
	for _, tt := range tests {
		t.Run(string(tt.reason), func(t *testing.T) {
			got := sfp.NextStep(sfp.Refund{Reason: string(tt.reason), RefundedBy: "amazon_cs"}, sfp.OrderClaims{})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NextStep (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNextStepSituations(t *testing.T) {
	none := sfp.OrderClaims{}
	reimb := sfp.OrderClaims{Reimbursement: "CLM-7"}
	carrier := sfp.OrderClaims{Carrier: "CLM-9"}
	carrierStep := sfp.Step{Action: sfp.StepCarrierClaim, NoClaim: sfp.NoClaimCarrierLoss, Hint: sfp.HintContactCarrier}
	tests := []struct {
		name    string
		refund  sfp.Refund
		earlier sfp.OrderClaims
		want    sfp.Step
	}{
		{"a defective item the seller refunded themselves",
			sfp.Refund{Reason: "defective", RefundedBy: "seller"}, none,
			sfp.Step{Action: sfp.StepNone, NoClaim: sfp.NoClaimSellerRefund}},
		{"a late delivery Amazon refunded automatically",
			sfp.Refund{Reason: "late_delivery", RefundedBy: "amazon"}, none,
			sfp.Step{Action: sfp.StepNone, NoClaim: sfp.NoClaimAutomaticRefund}},
		{"a wrong item on an order with an A-to-z claim",
			sfp.Refund{Reason: "wrong_item", RefundedBy: "amazon_cs", AToZClaim: true}, none,
			sfp.Step{Action: sfp.StepNone, NoClaim: sfp.NoClaimAToZ}},
		{"a second refund on an order that already has a reimbursement claim",
			sfp.Refund{Reason: "late_delivery", RefundedBy: "amazon_cs"}, reimb,
			sfp.Step{Action: sfp.StepNone, NoClaim: sfp.NoClaimExists, ClaimID: "CLM-7"}},
		{"a carrier claim on the order leaves the reimbursement claim open",
			sfp.Refund{Reason: "late_delivery", RefundedBy: "amazon_cs"}, carrier,
			sfp.Step{Action: sfp.StepClaim}},
		{"a reimbursement claim on the order leaves the carrier claim open",
			sfp.Refund{Reason: "lost_in_transit", RefundedBy: "amazon_cs"}, reimb, carrierStep},
		{"a parcel already claimed from the carrier is not claimed twice",
			sfp.Refund{Reason: "damaged_in_transit", RefundedBy: "seller"}, carrier,
			sfp.Step{Action: sfp.StepNone, NoClaim: sfp.NoClaimExists, ClaimID: "CLM-9"}},
		{"who refunded is named before the A-to-z claim",
			sfp.Refund{Reason: "damaged", RefundedBy: "seller", AToZClaim: true}, none,
			sfp.Step{Action: sfp.StepNone, NoClaim: sfp.NoClaimSellerRefund}},
		{"no tracking refunded by the seller: who refunded is named first",
			sfp.Refund{Reason: "no_tracking", RefundedBy: "seller"}, none,
			sfp.Step{Action: sfp.StepNone, NoClaim: sfp.NoClaimSellerRefund}},
		{"a parcel lost in transit that the seller refunded still goes to the carrier",
			sfp.Refund{Reason: "lost_in_transit", RefundedBy: "seller"}, none, carrierStep},
		{"a parcel lost in transit that Amazon refunded automatically still goes to the carrier",
			sfp.Refund{Reason: "lost_in_transit", RefundedBy: "amazon"}, none, carrierStep},
		{"damage in transit on an order with an A-to-z claim still goes to the carrier",
			sfp.Refund{Reason: "damaged_in_transit", RefundedBy: "amazon_cs", AToZClaim: true}, none, carrierStep},
		{"a parcel lost in transit refunded by Amazon CS goes to the carrier",
			sfp.Refund{Reason: "lost_in_transit", RefundedBy: "amazon_cs"}, none, carrierStep},
		{"delivered but not received, refunded by Amazon CS: the policy's first case",
			sfp.Refund{Reason: "delivered_not_received"}, none,
			sfp.Step{Action: sfp.StepClaim, Hint: sfp.HintProofOfDelivery}},
		{"delivered but not received under an A-to-z claim: the guarantee settles it",
			sfp.Refund{Reason: "delivered_not_received", AToZClaim: true}, none,
			sfp.Step{Action: sfp.StepNone, NoClaim: sfp.NoClaimAToZ}},
		{"refunded, and the return never scanned",
			sfp.Refund{Reason: "not_returned"}, none,
			sfp.Step{Action: sfp.StepClaim, Hint: sfp.HintReturnNotScanned}},
		{"a returnless refund asked for no return that could go missing",
			sfp.Refund{Reason: "not_returned", Returnless: true}, none,
			sfp.Step{Action: sfp.StepNone, NoClaim: sfp.NoClaimReturnless}},
		{"no refunded_by means Amazon CS",
			sfp.Refund{Reason: "late_return_authorised"}, none,
			sfp.Step{Action: sfp.StepClaim}},
		{"a returnless refund for a buyer who no longer needs the item",
			sfp.Refund{Reason: "no_longer_needed", Returnless: true}, none,
			sfp.Step{Action: sfp.StepClaim, Hint: sfp.HintReturnShipping}},
		{"an unknown stored reason reads as other",
			sfp.Refund{Reason: "changed_mind", RefundedBy: "amazon_cs"}, none,
			sfp.Step{Action: sfp.StepClaim}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sfp.NextStep(tt.refund, tt.earlier)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NextStep (-want +got):\n%s", diff)
			}
		})
	}
}

// policyAsWritten is the policy in the words of the SFP reimbursement
// policy and the SFP after-sales FAQ, written apart from the code so that
// the combination test below checks one against the other:
//
//   - "when the refund is due to a delivery problem, generally lost or
//     damaged items, you must contact the carrier directly": whoever
//     refunded, once per parcel;
//   - otherwise a reimbursement claim: one per order, only on refunds
//     Amazon CS issued, never on an order with an A-to-z claim, and for a
//     return that never came back only if a return was asked for;
//   - missing tracking is the seller's own failing.
func policyAsWritten(reason sfp.RefundReason, by sfp.RefundedBy, atoz, returnless bool, earlier sfp.OrderClaims) string {
	switch reason {
	case sfp.ReasonLostInTransit, sfp.ReasonDamagedInTransit:
		if earlier.Carrier != "" {
			return "none: claim_exists"
		}
		return "carrier_claim"
	}
	switch {
	case earlier.Reimbursement != "":
		return "none: claim_exists"
	case by == sfp.RefundedBySeller:
		return "none: seller_refund"
	case by == sfp.RefundedByAmazon:
		return "none: automatic_refund"
	case atoz:
		return "none: a_to_z_claim"
	case reason == sfp.ReasonNotReturned && returnless:
		return "none: returnless"
	case reason == sfp.ReasonNoTracking:
		return "none: no_tracking"
	}
	return "claim"
}

// Every reason × refunded_by × A-to-z × returnless × earlier claim, each
// a subtest named after its situation, against the policy as written.
func TestNextStepEverySituation(t *testing.T) {
	earlierClaims := []struct {
		name string
		oc   sfp.OrderClaims
	}{
		{"no claim yet", sfp.OrderClaims{}},
		{"after a reimbursement claim", sfp.OrderClaims{Reimbursement: "CLM-1"}},
		{"after a carrier claim", sfp.OrderClaims{Carrier: "CLM-2"}},
		{"after both", sfp.OrderClaims{Reimbursement: "CLM-1", Carrier: "CLM-2"}},
	}
	n := 0
	for _, reason := range sfp.RefundReasons {
		for _, by := range sfp.RefundIssuers {
			for _, atoz := range []bool{false, true} {
				for _, returnless := range []bool{false, true} {
					for _, e := range earlierClaims {
						name := fmt.Sprintf("%s refunded by %s", reason, by)
						if atoz {
							name += " under A-to-z"
						}
						if returnless {
							name += " returnless"
						}
						name += " " + e.name
						want := policyAsWritten(reason, by, atoz, returnless, e.oc)
						n++
						t.Run(name, func(t *testing.T) {
							s := sfp.NextStep(sfp.Refund{Reason: string(reason), RefundedBy: string(by), AToZClaim: atoz, Returnless: returnless}, e.oc)
							got := string(s.Action)
							if s.Action == sfp.StepNone {
								got += ": " + string(s.NoClaim)
							}
							if got != want {
								t.Errorf("next step %q, want %q", got, want)
							}
							if s.NoClaim == sfp.NoClaimExists {
								wantID := e.oc.Reimbursement
								if s.Action == sfp.StepNone && (reason == sfp.ReasonLostInTransit || reason == sfp.ReasonDamagedInTransit) {
									wantID = e.oc.Carrier
								}
								if s.ClaimID != wantID {
									t.Errorf("ClaimID %q, want %q", s.ClaimID, wantID)
								}
							}
						})
					}
				}
			}
		}
	}
	if want := len(sfp.RefundReasons) * len(sfp.RefundIssuers) * 2 * 2 * len(earlierClaims); n != want {
		t.Fatalf("%d situations, want %d", n, want)
	}
}

// Every reason × refunded_by × a_to_z_claim × returnless × claims on the order, one line
// each, in testdata/next_step.golden: the whole policy on one page, so a
// change to it shows up in review as a diff of that page. Run with -update
// to rewrite it.
func TestNextStepEveryCombination(t *testing.T) {
	var b strings.Builder
	fmt.Fprintf(&b, "# %-24s %-11s %-6s %-10s %-8s -> %-13s %-16s %s\n", "reason", "refunded_by", "a_to_z", "returnless", "earlier", "action", "no_claim", "hint")
	for _, reason := range sfp.RefundReasons {
		for _, by := range sfp.RefundIssuers {
			for _, atoz := range []bool{false, true} {
				for _, returnless := range []bool{false, true} {
					for _, earlier := range []sfp.OrderClaims{{}, {Reimbursement: "CLM-1"}, {Carrier: "CLM-2"}} {
						s := sfp.NextStep(sfp.Refund{Reason: string(reason), RefundedBy: string(by), AToZClaim: atoz, Returnless: returnless}, earlier)
						e := "-"
						switch {
						case earlier.Reimbursement != "":
							e = "reimb"
						case earlier.Carrier != "":
							e = "carrier"
						}
						fmt.Fprintf(&b, "%-26s %-11s %-6t %-10t %-8s -> %-13s %-16s %s\n",
							reason, by, atoz, returnless, e, s.Action, dash(string(s.NoClaim)), dash(string(s.Hint)))
					}
				}
			}
		}
	}
	golden := filepath.Join("testdata", "next_step.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -run TestNextStepEveryCombination -update)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("policy changed (-golden +got):\n%s", diff)
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func TestCheckWindow(t *testing.T) {
	deadline := mustTime(t, "2027-01-23T10:00:00+01:00")
	before := mustTime(t, "2027-01-23T09:59:59+01:00")
	after := mustTime(t, "2027-01-23T10:00:01+01:00")
	claim := sfp.Step{Action: sfp.StepClaim, Hint: sfp.HintItemCondition}
	carrier := sfp.Step{Action: sfp.StepCarrierClaim, NoClaim: sfp.NoClaimCarrierLoss, Hint: sfp.HintContactCarrier}
	tests := []struct {
		name string
		step sfp.Step
		now  time.Time
		want sfp.Step
	}{
		{"a claim within the window stays", claim, before, claim},
		{"at the deadline itself it is still open", claim, deadline, claim},
		{"after the window no claim can succeed", claim, after, sfp.Step{Action: sfp.StepNone, NoClaim: sfp.NoClaimWindowClosed}},
		{"a carrier claim keeps the carrier's own limits", carrier, after, carrier},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, tt.step.CheckWindow(deadline, tt.now)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestClaimDeadline(t *testing.T) {
	tests := []struct {
		name     string
		refunded string
		window   sfp.Duration
		m        sfp.Marketplace
		want     string
	}{
		{"the default 30 days", "2026-12-24T10:00:00+01:00", sfp.DefaultClaimWindow, "amazon.fr", "2027-01-23T10:00:00+01:00"},
		{"30 days are 720 hours, across summer time too", "2026-03-20T10:00:00+01:00", sfp.DefaultClaimWindow, "amazon.fr", "2026-04-19T11:00:00+02:00"},
		{"a window in business days ends at 23:59:59", "2026-12-24T10:00:00Z", sfp.Duration{N: 2, Unit: sfp.BusinessDays}, "amazon.co.uk", "2026-12-30T23:59:59Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sfp.ClaimDeadline(mustTime(t, tt.refunded), tt.window, tt.m, nil).Format(time.RFC3339)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseClaimWindow(t *testing.T) {
	for in, want := range map[string]sfp.Duration{
		"30":  {N: 30, Unit: sfp.Days},
		"30d": {N: 30, Unit: sfp.Days},
		"45d": {N: 45, Unit: sfp.Days},
		"2bd": {N: 2, Unit: sfp.BusinessDays},
	} {
		got, err := sfp.ParseClaimWindow(in)
		if err != nil {
			t.Errorf("ParseClaimWindow(%q): %v", in, err)
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParseClaimWindow(%q) (-want +got):\n%s", in, diff)
		}
	}
	for _, bad := range []string{"0", "0d", "thirty", "30x"} {
		if _, err := sfp.ParseClaimWindow(bad); sfp.ErrorCode(err) != sfp.EINVALID {
			t.Errorf("ParseClaimWindow(%q) error = %v, want an EINVALID error", bad, err)
		}
	}
}

func TestParseRefundFields(t *testing.T) {
	for _, r := range sfp.RefundReasons {
		if got, ok := sfp.ParseRefundReason(" " + strings.ToUpper(string(r)) + " "); !ok || got != r {
			t.Errorf("ParseRefundReason(%q) = %q, %v", r, got, ok)
		}
	}
	if _, ok := sfp.ParseRefundReason("lost"); ok {
		t.Error(`ParseRefundReason("lost") succeeded`)
	}
	type result struct {
		By sfp.RefundedBy
		OK bool
	}
	var got []result
	for _, s := range []string{"", "amazon_cs", "seller", "amazon", "buyer"} {
		by, ok := sfp.ParseRefundedBy(s)
		got = append(got, result{by, ok})
	}
	want := []result{
		{sfp.RefundedByAmazonCS, true}, {sfp.RefundedByAmazonCS, true},
		{sfp.RefundedBySeller, true}, {sfp.RefundedByAmazon, true}, {"", false},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseRefundedBy (-want +got):\n%s", diff)
	}
}

func TestStepClaimType(t *testing.T) {
	got := []string{sfp.StepClaim.ClaimType(), sfp.StepCarrierClaim.ClaimType(), sfp.StepNone.ClaimType()}
	if diff := cmp.Diff([]string{"reimbursement", "carrier", ""}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestClaimStatusTransitions(t *testing.T) {
	want := map[sfp.ClaimStatus][]sfp.ClaimStatus{
		sfp.ClaimDraft:             {sfp.ClaimFiled},
		sfp.ClaimFiled:             {sfp.ClaimMoreInfoRequested, sfp.ClaimApproved, sfp.ClaimDenied},
		sfp.ClaimMoreInfoRequested: {sfp.ClaimFiled, sfp.ClaimApproved, sfp.ClaimDenied},
		sfp.ClaimApproved:          {sfp.ClaimPaid},
		sfp.ClaimDenied:            {sfp.ClaimFiled},
		sfp.ClaimPaid:              nil,
	}
	got := map[sfp.ClaimStatus][]sfp.ClaimStatus{}
	for _, from := range sfp.ClaimStatuses {
		var next []sfp.ClaimStatus
		for _, to := range sfp.ClaimStatuses {
			if from.CanBecome(to) {
				next = append(next, to)
			}
		}
		got[from] = next
		if diff := cmp.Diff(next, from.Next()); diff != "" {
			t.Errorf("%s: Next() disagrees with CanBecome (-CanBecome +Next):\n%s", from, diff)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}

	var settled []sfp.ClaimStatus
	for _, s := range sfp.ClaimStatuses {
		if s.IsSettled() {
			settled = append(settled, s)
		}
	}
	if diff := cmp.Diff([]sfp.ClaimStatus{sfp.ClaimDenied, sfp.ClaimPaid}, settled); diff != "" {
		t.Errorf("settled (-want +got):\n%s", diff)
	}
	if s, ok := sfp.ParseClaimStatus("More_Info_Requested"); !ok || s != sfp.ClaimMoreInfoRequested {
		t.Errorf("ParseClaimStatus = %q, %v", s, ok)
	}
}
