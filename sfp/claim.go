package sfp

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Claim is a reimbursement claim under the SFP reimbursement policy, or a
// claim with the carrier, on the refund of one order. The policy allows one
// reimbursement claim per order; a carrier claim is outside it, and an
// order may have one of each. Every refund notice of the order carries the
// order's claims (Case.Claim, Case.CarrierClaim).
type Claim struct {
	ID     string `json:"id"`
	Number uint64 `json:"number"`
	// CaseID is the refund notice the claim was filed from.
	CaseID      string      `json:"case_id"`
	Seller      string      `json:"seller"`
	Marketplace Marketplace `json:"marketplace"`
	OrderID     string      `json:"order_id"`
	Type        string      `json:"type"` // ClaimTypeReimbursement or ClaimTypeCarrier
	Status      string      `json:"status"`
	// Amount is what the claim asks for: at most the refund for a
	// reimbursement claim, the declared value for a carrier claim.
	Amount Money `json:"amount"`
	// Deadline is the last moment to file a reimbursement claim. A carrier
	// claim runs on the carrier's own time limits, which sfpdesk does not
	// know: nil.
	Deadline *time.Time    `json:"deadline,omitempty"`
	Evidence ClaimEvidence `json:"evidence"`
	// History is every status the claim went through, who set it and
	// when, oldest first.
	History []ClaimChange `json:"history,omitempty"`
	// InfoDue is, while Amazon (or the carrier) waits for more
	// information, the last moment to send it.
	InfoDue *time.Time `json:"info_due,omitempty"`
	// Message is the claim's message in the refund card's thread: its
	// status and the text to paste where the claim is filed.
	Message MessageRef `json:"message"`
}

// ClaimEvidence is what a claim rests on, as the seller gave it.
type ClaimEvidence struct {
	// Reason is the refund reason the claim argues (a RefundReason).
	Reason        string `json:"reason,omitempty"`
	Justification string `json:"justification,omitempty"`
	Tracking      string `json:"tracking,omitempty"`
	Carrier       string `json:"carrier,omitempty"`
	// DeliveryScan is the carrier's delivery scan date, YYYY-MM-DD as
	// the tracking page shows it: a date, not an instant.
	DeliveryScan string   `json:"delivery_scan_date,omitempty"`
	Photos       []string `json:"photos,omitempty"`
}

// ClaimChange is one status a claim took.
type ClaimChange struct {
	At     time.Time `json:"at"`
	Status string    `json:"status"`
	By     string    `json:"by,omitempty"`
}

// DefaultInfoWindow is how long a claim's "more information requested"
// gives when the person recording it names no day.
const DefaultInfoWindow = 7 * 24 * time.Hour

// FirstClaimNumber is the number of the first claim ever filed.
const FirstClaimNumber = 1001

var claimRe = regexp.MustCompile(`^(?i)CLM-(\d{1,12})$`)

// ClaimID formats a claim number as the id people see.
func ClaimID(n uint64) string { return "CLM-" + strconv.FormatUint(n, 10) }

// ParseClaimID accepts "CLM-1001" in any case and returns its canonical
// form and number.
func ParseClaimID(s string) (string, uint64, bool) {
	m := claimRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return "", 0, false
	}
	n, err := strconv.ParseUint(m[1], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return ClaimID(n), n, true
}

// IsOpen reports whether the claim still waits for its outcome.
func (cl *Claim) IsOpen() bool { return !ClaimStatus(cl.Status).IsSettled() }

// Move records a status change by a person: only the transitions the
// claim's life allows (ClaimStatus.CanBecome), with who and when.
func (cl *Claim) Move(to ClaimStatus, by string, at time.Time) error {
	if !ClaimStatus(cl.Status).CanBecome(to) {
		return Errorf(ECONFLICT, "claim %s is %s and cannot become %s", cl.ID, cl.Status, to)
	}
	cl.Status = string(to)
	cl.History = append(cl.History, ClaimChange{At: at, Status: string(to), By: by})
	return nil
}

// Filed returns the first time the claim was filed.
func (cl *Claim) Filed() (ClaimChange, bool) {
	for _, h := range cl.History {
		if h.Status == string(ClaimFiled) {
			return h, true
		}
	}
	return ClaimChange{}, false
}

// Clone returns a copy that shares nothing with cl, for the copies each
// refund notice of the order keeps.
func (cl *Claim) Clone() *Claim {
	c := *cl
	c.History = slices.Clone(cl.History)
	c.Evidence.Photos = slices.Clone(cl.Evidence.Photos)
	if cl.Deadline != nil {
		d := *cl.Deadline
		c.Deadline = &d
	}
	if cl.InfoDue != nil {
		d := *cl.InfoDue
		c.InfoDue = &d
	}
	return &c
}

// RefundStep is the next step on a refund notice's refund at now: the
// reason's row of the policy (NextStep) given the claim already on the
// order, then the filing window. A case whose own claim is on file gets
// NoClaimExists with that claim's id, like any other case of the order.
func (c *Case) RefundStep(now time.Time) Step {
	st := c.refundStep()
	if c.ClaimBy != nil {
		st = st.CheckWindow(*c.ClaimBy, now)
	}
	return st
}

// ClaimToFile reports whether a reimbursement claim on the case's refund
// is still to be filed, whatever the time: its reminders and the closing
// of its window depend on it.
func (c *Case) ClaimToFile() bool {
	return c.Kind == KindRefundNotice && c.ClaimBy != nil &&
		c.refundStep().Action == StepClaim
}

func (c *Case) refundStep() Step {
	if c.Refund == nil {
		return Step{Action: StepNone}
	}
	return NextStep(*c.Refund, c.OrderClaims())
}

// OrderClaims returns the ids of the order's claims the case carries.
func (c *Case) OrderClaims() OrderClaims {
	var oc OrderClaims
	for _, cl := range []*Claim{c.Claim, c.CarrierClaim} {
		if cl == nil {
			continue
		}
		if cl.Type == ClaimTypeCarrier {
			oc.Carrier = cl.ID
		} else {
			oc.Reimbursement = cl.ID
		}
	}
	return oc
}

// ClaimOfType returns the order's claim of type typ the case carries, or
// nil.
func (c *Case) ClaimOfType(typ string) *Claim {
	for _, cl := range []*Claim{c.Claim, c.CarrierClaim} {
		if cl != nil && (cl.Type == typ || (typ == ClaimTypeReimbursement && cl.Type == "")) {
			return cl
		}
	}
	return nil
}

// SetClaim gives the case the order's claim cl, in the slot of its type:
// Claim for a reimbursement claim, CarrierClaim for a carrier claim.
func (c *Case) SetClaim(cl *Claim) {
	if cl.Type == ClaimTypeCarrier {
		c.CarrierClaim = cl
		if c.Claim != nil && c.Claim.ID == cl.ID {
			c.Claim = nil
		}
		return
	}
	c.Claim = cl
}
