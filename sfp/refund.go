package sfp

import (
	"strings"
	"time"
)

// RefundReason is the reason Amazon CS gives for a refund it granted. Under
// SFP, CS owns every after-sale decision and tells the seller the reason of
// each; the reason decides what the seller can do about the cost.
type RefundReason string

const (
	ReasonLateDelivery     RefundReason = "late_delivery"
	ReasonNoLongerNeeded   RefundReason = "no_longer_needed"
	ReasonNoTracking       RefundReason = "no_tracking"
	ReasonDefective        RefundReason = "defective"
	ReasonDamaged          RefundReason = "damaged"
	ReasonMissingParts     RefundReason = "missing_parts"
	ReasonWrongItem        RefundReason = "wrong_item"
	ReasonLostInTransit    RefundReason = "lost_in_transit"
	ReasonDamagedInTransit RefundReason = "damaged_in_transit"
	// ReasonDeliveredNotReceived: tracking shows the parcel delivered and
	// the buyer says it never came. The first case the SFP reimbursement
	// policy names: the carrier's scan says its part was done.
	ReasonDeliveredNotReceived RefundReason = "delivered_not_received"
	// ReasonNotReturned: the buyer was refunded and the return was never
	// scanned by the carrier.
	ReasonNotReturned          RefundReason = "not_returned"
	ReasonLateReturnAuthorised RefundReason = "late_return_authorised"
	ReasonOther                RefundReason = "other"
)

// RefundReasons lists every reason in the contract's order.
var RefundReasons = []RefundReason{
	ReasonLateDelivery, ReasonNoLongerNeeded, ReasonNoTracking,
	ReasonDefective, ReasonDamaged, ReasonMissingParts, ReasonWrongItem,
	ReasonLostInTransit, ReasonDamagedInTransit, ReasonDeliveredNotReceived,
	ReasonNotReturned, ReasonLateReturnAuthorised, ReasonOther,
}

// ParseRefundReason accepts one of the contract's reason tokens, which are
// English in every language.
func ParseRefundReason(s string) (RefundReason, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, r := range RefundReasons {
		if string(r) == s {
			return r, true
		}
	}
	return "", false
}

// RefundedBy is who issued a refund.
type RefundedBy string

const (
	// RefundedByAmazonCS is a refund Amazon customer service decided: the
	// only kind the SFP reimbursement policy considers. The default.
	RefundedByAmazonCS RefundedBy = "amazon_cs"
	// RefundedBySeller is a refund the seller issued themselves.
	RefundedBySeller RefundedBy = "seller"
	// RefundedByAmazon is a refund Amazon issued automatically.
	RefundedByAmazon RefundedBy = "amazon"
)

// RefundIssuers lists every RefundedBy value in the contract's order.
var RefundIssuers = []RefundedBy{RefundedByAmazonCS, RefundedBySeller, RefundedByAmazon}

// ParseRefundedBy accepts one of the contract's values; an empty string is
// the default, amazon_cs.
func ParseRefundedBy(s string) (RefundedBy, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return RefundedByAmazonCS, true
	}
	for _, r := range RefundIssuers {
		if string(r) == s {
			return r, true
		}
	}
	return "", false
}

// StepAction is what the seller can do about the cost of a refund.
type StepAction string

const (
	// StepNone: no claim can succeed; Step.NoClaim says why.
	StepNone StepAction = "none"
	// StepClaim: a reimbursement claim under the SFP reimbursement policy
	// (the card's claim_file button).
	StepClaim StepAction = "claim"
	// StepCarrierClaim: a claim with the carrier, outside Amazon (the
	// card's carrier_claim button).
	StepCarrierClaim StepAction = "carrier_claim"
)

// Claim types, as Claim.Type stores them.
const (
	ClaimTypeReimbursement = "reimbursement"
	ClaimTypeCarrier       = "carrier"
)

// ClaimType returns the type of the claim the step files, or "" for none.
func (a StepAction) ClaimType() string {
	switch a {
	case StepClaim:
		return ClaimTypeReimbursement
	case StepCarrierClaim:
		return ClaimTypeCarrier
	}
	return ""
}

// NoClaimReason says why a reimbursement claim cannot succeed. The bot's
// string catalogue turns it into words.
type NoClaimReason string

const (
	// NoClaimExists: the order already has a claim of the kind the step
	// would file: the reimbursement policy allows one reimbursement claim
	// per order, and a parcel is claimed from its carrier once.
	NoClaimExists NoClaimReason = "claim_exists"
	// NoClaimSellerRefund: only refunds issued by Amazon CS qualify; the
	// seller refunded this one.
	NoClaimSellerRefund NoClaimReason = "seller_refund"
	// NoClaimAutomaticRefund: only refunds issued by Amazon CS qualify;
	// Amazon refunded this one automatically.
	NoClaimAutomaticRefund NoClaimReason = "automatic_refund"
	// NoClaimAToZ: the policy excludes orders with an A-to-z Guarantee claim.
	NoClaimAToZ NoClaimReason = "a_to_z_claim"
	// NoClaimNoTracking: valid tracking is the seller's duty under SFP, so a
	// refund for its absence stays at the seller's cost.
	NoClaimNoTracking NoClaimReason = "no_tracking"
	// NoClaimCarrierLoss: the policy excludes losses and damage in transit;
	// the carrier answers for them.
	NoClaimCarrierLoss NoClaimReason = "carrier_loss"
	// NoClaimReturnless: a refund without return asked nothing back, so a
	// return that never came is no loss the policy covers.
	NoClaimReturnless NoClaimReason = "returnless"
	// NoClaimWindowClosed: the filing window after the refund is over.
	NoClaimWindowClosed NoClaimReason = "window_closed"
)

// Hint is advice that goes with a step. The bot's string catalogue turns it
// into words.
type Hint string

const (
	// HintItemCondition: for a defective, damaged, incomplete or wrong
	// item, a claim can succeed only if the returned item came back
	// damaged, swapped or incomplete.
	HintItemCondition Hint = "item_condition"
	// HintReturnShipping: for a buyer who no longer needs the item, the
	// claim is about the return shipping the seller was charged.
	HintReturnShipping Hint = "return_shipping"
	// HintContactCarrier: claim the loss or damage from the carrier
	// directly, under the carrier's own terms and time limits.
	HintContactCarrier Hint = "contact_carrier"
	// HintProofOfDelivery: the claim rests on the carrier's delivery scan
	// (date, place, and a signature or photo where the carrier has one).
	HintProofOfDelivery Hint = "proof_of_delivery"
	// HintReturnNotScanned: the claim rests on the return label's tracking
	// showing no carrier scan since the refund.
	HintReturnNotScanned Hint = "return_not_scanned"
)

// Step is the next step on a refund: what to do, why no reimbursement claim
// can succeed (when it cannot) and a hint. It holds codes, not words.
type Step struct {
	Action  StepAction
	NoClaim NoClaimReason
	Hint    Hint
	// ClaimID is the order's existing claim, with NoClaimExists.
	ClaimID string
}

// OrderClaims are the claims already on an order, by type: one
// reimbursement claim (the policy's one claim per order) and one carrier
// claim can stand side by side.
type OrderClaims struct {
	Reimbursement string
	Carrier       string
}

// refundPolicy is the policy table: the step for each reason when nothing
// else stands in the way (a refund issued by Amazon CS, no A-to-z claim, no
// claim on the order yet).
var refundPolicy = map[RefundReason]Step{
	// CS refunded a late order: the seller may ask Amazon to bear it.
	ReasonLateDelivery: {Action: StepClaim},
	// The buyer no longer needs the item: the cost at stake is the return
	// shipping.
	ReasonNoLongerNeeded: {Action: StepClaim, Hint: HintReturnShipping},
	// Uploading valid tracking is the seller's duty under SFP.
	ReasonNoTracking: {Action: StepNone, NoClaim: NoClaimNoTracking},
	// Item-condition refunds: only a returned item that came back damaged,
	// swapped or incomplete gives the claim something to rest on.
	ReasonDefective:    {Action: StepClaim, Hint: HintItemCondition},
	ReasonDamaged:      {Action: StepClaim, Hint: HintItemCondition},
	ReasonMissingParts: {Action: StepClaim, Hint: HintItemCondition},
	ReasonWrongItem:    {Action: StepClaim, Hint: HintItemCondition},
	// The SFP reimbursement policy excludes carrier losses: the seller
	// claims from the carrier directly.
	ReasonLostInTransit:    {Action: StepCarrierClaim, NoClaim: NoClaimCarrierLoss, Hint: HintContactCarrier},
	ReasonDamagedInTransit: {Action: StepCarrierClaim, NoClaim: NoClaimCarrierLoss, Hint: HintContactCarrier},
	// Tracking shows it delivered: the carrier did its part, and this is
	// the policy's first eligible case.
	ReasonDeliveredNotReceived: {Action: StepClaim, Hint: HintProofOfDelivery},
	// Refunded before the return, which never came back.
	ReasonNotReturned: {Action: StepClaim, Hint: HintReturnNotScanned},
	// The seller had to accept a late return CS authorised and refund it
	// in full.
	ReasonLateReturnAuthorised: {Action: StepClaim},
	ReasonOther:                {Action: StepClaim},
}

// NextStep decides the next step on a refund, given the claims already on
// its order.
//
// A parcel lost or damaged in transit is claimed from the carrier, who
// answers for it whoever refunded the buyer and whatever Amazon does with
// the order: that step depends only on there being no carrier claim on the
// order yet.
//
// Every other reason is a matter for the SFP reimbursement policy, and the
// order of its checks is the order of the answer the seller gets:
//
//  1. A reimbursement claim already on the order: nothing more to file
//     (one claim per order; a carrier claim does not count).
//  2. Only refunds issued by Amazon CS qualify; a refund the seller or
//     Amazon's automation made offers no reimbursement claim.
//  3. No reimbursement claim on an order with an A-to-z claim: Amazon
//     handles the order through the guarantee instead.
//  4. A return that never came back, on a refund that asked for none.
//  5. The reason's row of the policy table.
//
// An unknown reason is read as "other" and an unknown issuer as the
// default, amazon_cs, so that a bad stored value still gets a step. The
// filing window is checked apart, with Step.CheckWindow, because it depends
// on the time.
func NextStep(r Refund, earlier OrderClaims) Step {
	reason, ok := ParseRefundReason(r.Reason)
	if !ok {
		reason = ReasonOther
	}
	row := refundPolicy[reason]
	if row.Action == StepCarrierClaim {
		if earlier.Carrier != "" {
			return Step{Action: StepNone, NoClaim: NoClaimExists, ClaimID: earlier.Carrier}
		}
		return row
	}
	if earlier.Reimbursement != "" {
		return Step{Action: StepNone, NoClaim: NoClaimExists, ClaimID: earlier.Reimbursement}
	}
	by, ok := ParseRefundedBy(r.RefundedBy)
	if !ok {
		by = RefundedByAmazonCS
	}
	switch {
	case by == RefundedBySeller:
		return Step{Action: StepNone, NoClaim: NoClaimSellerRefund}
	case by == RefundedByAmazon:
		return Step{Action: StepNone, NoClaim: NoClaimAutomaticRefund}
	case r.AToZClaim:
		return Step{Action: StepNone, NoClaim: NoClaimAToZ}
	case reason == ReasonNotReturned && r.Returnless:
		return Step{Action: StepNone, NoClaim: NoClaimReturnless}
	}
	return row
}

// CheckWindow turns a reimbursement step into "no claim" once now is past
// the filing deadline (ClaimDeadline). A carrier claim runs on the
// carrier's own time limits, which sfpdesk does not know, so it is left
// as is.
func (s Step) CheckWindow(deadline, now time.Time) Step {
	if s.Action == StepClaim && now.After(deadline) {
		return Step{Action: StepNone, NoClaim: NoClaimWindowClosed}
	}
	return s
}

// DefaultClaimWindow is SFPDESK_CLAIM_WINDOW's default: the time to file a
// reimbursement claim after the refund.
var DefaultClaimWindow = Duration{N: 30, Unit: Days}

// ParseClaimWindow reads SFPDESK_CLAIM_WINDOW, where a bare number means
// days.
func ParseClaimWindow(s string) (Duration, error) {
	d, err := ParseDuration(s, Days)
	if err != nil {
		return Duration{}, err
	}
	if d.IsZero() {
		return Duration{}, Errorf(EINVALID, "%q: the claim window must be more than zero", s)
	}
	return d, nil
}

// ClaimDeadline returns the last moment to file a reimbursement claim on a
// refund made at refundedAt, for a seller on marketplace m in time zone loc
// (nil: the marketplace's). The window counts like any deadline (DueAfter):
// "30d" is 30 × 24 hours of calendar time, "10bd" ends at 23:59:59 on the
// tenth business day.
func ClaimDeadline(refundedAt time.Time, window Duration, m Marketplace, loc *time.Location) time.Time {
	return DueAfter(refundedAt, window, m, loc)
}

// ClaimStatus is where a claim is in its life.
type ClaimStatus string

const (
	ClaimDraft             ClaimStatus = "draft"
	ClaimFiled             ClaimStatus = "filed"
	ClaimMoreInfoRequested ClaimStatus = "more_info_requested"
	ClaimApproved          ClaimStatus = "approved"
	ClaimDenied            ClaimStatus = "denied"
	ClaimPaid              ClaimStatus = "paid"
)

// ClaimStatuses lists every status in the order a claim goes through them.
var ClaimStatuses = []ClaimStatus{
	ClaimDraft, ClaimFiled, ClaimMoreInfoRequested, ClaimApproved, ClaimDenied, ClaimPaid,
}

// claimTransitions is every status change a person may record. Amazon (or
// the carrier) may ask for more information any number of times before
// deciding; an approved claim is paid later; a denial can be appealed,
// which files the claim again.
var claimTransitions = map[ClaimStatus][]ClaimStatus{
	ClaimDraft:             {ClaimFiled},
	ClaimFiled:             {ClaimMoreInfoRequested, ClaimApproved, ClaimDenied},
	ClaimMoreInfoRequested: {ClaimFiled, ClaimApproved, ClaimDenied},
	ClaimApproved:          {ClaimPaid},
	ClaimDenied:            {ClaimFiled},
	ClaimPaid:              nil,
}

// ParseClaimStatus accepts one of the status names.
func ParseClaimStatus(s string) (ClaimStatus, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	for _, c := range ClaimStatuses {
		if string(c) == s {
			return c, true
		}
	}
	return "", false
}

// Next lists the statuses the claim may move to, for the claim_status
// choices.
func (s ClaimStatus) Next() []ClaimStatus {
	return append([]ClaimStatus(nil), claimTransitions[s]...)
}

// CanBecome reports whether a claim in status s may move to next.
func (s ClaimStatus) CanBecome(next ClaimStatus) bool {
	for _, n := range claimTransitions[s] {
		if n == next {
			return true
		}
	}
	return false
}

// IsSettled reports whether the claim has its outcome: paid, or denied.
// A refund notice's case closes once its claim is settled (DESIGN §4.8).
func (s ClaimStatus) IsSettled() bool { return s == ClaimPaid || s == ClaimDenied }
