package handlers

import (
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// caseJSON is a case as GET /api/v1/cases/{id} shows it (DESIGN §4.5).
// Every key is always present, null when unknown, and times are RFC 3339
// with seconds in the seller's UTC offset. It is a type of its own, not
// sfp.Case: the stored shape may change without breaking integrations, and
// what is personal (the buyer's name and words, the agent's thread) or
// internal (outbox ids) stays out.
type caseJSON struct {
	ID          *string       `json:"id"`
	Kind        *string       `json:"kind"`
	State       *string       `json:"state"`
	Seller      *string       `json:"seller"`
	Marketplace *string       `json:"marketplace"`
	Channel     *string       `json:"channel"`
	OrderID     *string       `json:"order_id"`
	SourceID    *string       `json:"source_id"`
	CreatedAt   *string       `json:"created_at"`
	DueAt       *string       `json:"due_at"`
	AnsweredAt  *string       `json:"answered_at"`
	ClosedAt    *string       `json:"closed_at"`
	Breached    bool          `json:"breached"`
	Refund      *refundJSON   `json:"refund"`
	Return      *returnJSON   `json:"return"`
	Claim       *claimJSON    `json:"claim"`
	Events      []caseEventJS `json:"events"`
}

type refundJSON struct {
	// Amount is a decimal string with a point, as the intake API takes it.
	Amount              *string `json:"amount"`
	Currency            *string `json:"currency"`
	Reason              *string `json:"reason"`
	RefundedBy          *string `json:"refunded_by"`
	Returnless          bool    `json:"returnless"`
	OutsideReturnWindow bool    `json:"outside_return_window"`
	AToZClaim           bool    `json:"a_to_z_claim"`
	Note                *string `json:"note"`
	RefundedAt          *string `json:"refunded_at"`
}

type returnJSON struct {
	ReceivedAt *string `json:"received_at"`
	Tracking   *string `json:"tracking"`
	Carrier    *string `json:"carrier"`
}

type claimJSON struct {
	ID       *string `json:"id"`
	Type     *string `json:"type"`
	Status   *string `json:"status"`
	Amount   *string `json:"amount"`
	Currency *string `json:"currency"`
	Deadline *string `json:"deadline"`
}

type caseEventJS struct {
	At     *string `json:"at"`
	Type   string  `json:"type"`
	By     *string `json:"by"`
	Detail *string `json:"detail"`
}

// newCaseJSON renders c with times in loc, the seller's zone. A case counts
// as breached once its deadline has passed unanswered, even before the
// scheduler has recorded it: Amazon counts the reply late from that second.
func newCaseJSON(c *sfp.Case, loc *time.Location, now time.Time) caseJSON {
	at := func(t time.Time) *string {
		if t.IsZero() {
			return nil
		}
		s := t.In(loc).Format(time.RFC3339)
		return &s
	}
	atp := func(t *time.Time) *string {
		if t == nil {
			return nil
		}
		return at(*t)
	}
	money := func(m sfp.Money) (*string, *string) {
		if m.Currency == "" && m.Minor == 0 {
			return nil, nil
		}
		return nullStr(m.Decimal(".")), nullStr(m.Currency)
	}
	v := caseJSON{
		ID: nullStr(c.ID), Kind: nullStr(string(c.Kind)), State: nullStr(string(c.State)),
		Seller: nullStr(c.Seller), Marketplace: nullStr(string(c.Marketplace)), Channel: nullStr(c.Channel),
		OrderID: nullStr(c.OrderID), SourceID: nullStr(c.SourceID),
		CreatedAt: at(c.CreatedAt), DueAt: atp(c.DueAt), AnsweredAt: atp(c.AnsweredAt), ClosedAt: atp(c.ClosedAt),
		Breached: c.Breached || (c.State == sfp.StateOpen && c.DueAt != nil && now.After(*c.DueAt)),
		Events:   make([]caseEventJS, 0, len(c.Events)),
	}
	if r := c.Refund; r != nil {
		rj := &refundJSON{
			Reason: nullStr(r.Reason), RefundedBy: nullStr(r.RefundedBy),
			Returnless: r.Returnless, OutsideReturnWindow: r.OutsideReturnWindow, AToZClaim: r.AToZClaim,
			Note: nullStr(r.Note), RefundedAt: atp(r.RefundedAt),
		}
		rj.Amount, rj.Currency = money(r.Amount)
		v.Refund = rj
	}
	if r := c.Return; r != nil {
		v.Return = &returnJSON{ReceivedAt: at(r.ReceivedAt), Tracking: nullStr(r.Tracking), Carrier: nullStr(r.Carrier)}
	}
	// The case's own claim, else the order's reimbursement claim, else its
	// carrier claim.
	cl := c.Claim
	if cl == nil || (c.CarrierClaim != nil && c.CarrierClaim.CaseID == c.ID && cl.CaseID != c.ID) {
		cl = c.CarrierClaim
	}
	if cl != nil {
		cj := &claimJSON{ID: nullStr(cl.ID), Type: nullStr(cl.Type), Status: nullStr(cl.Status), Deadline: atp(cl.Deadline)}
		cj.Amount, cj.Currency = money(cl.Amount)
		v.Claim = cj
	}
	for _, e := range c.Events {
		v.Events = append(v.Events, caseEventJS{At: at(e.At), Type: e.Type, By: nullStr(e.By), Detail: nullStr(e.Detail)})
	}
	return v
}

// nullStr is s, or null when s is empty.
func nullStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
