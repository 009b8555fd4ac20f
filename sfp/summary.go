package sfp

import "time"

// Summary is what the response figures and the weekly report count of a
// case: a few fixed-size facts, so that a store can keep them in its index
// by seller and received time and the figures of a period never decode
// whole cases. SummaryOf derives it; a store keeps the summary of every
// case as PutCase last wrote it.
type Summary struct {
	ID         string    `json:"id"`
	Seller     string    `json:"seller"`
	Kind       Kind      `json:"kind"`
	State      State     `json:"state"`
	ReceivedAt time.Time `json:"received_at"`
	// DueAt and AnsweredAt are zero when the case has none.
	DueAt      time.Time `json:"due_at"`
	AnsweredAt time.Time `json:"answered_at"`
	// NoResponseNeeded is set when "No response needed" last stopped the
	// clock: such a question leaves the figures.
	NoResponseNeeded bool `json:"no_response_needed,omitempty"`
	// Refund is a refund notice's amount, zero otherwise; AToZ marks a
	// refund under an A-to-z claim.
	Refund Money `json:"refund"`
	AToZ   bool  `json:"a_to_z,omitempty"`
	// Claim is the order's claim as the case carries it, zero without one.
	Claim ClaimSummary `json:"claim"`
}

// ClaimSummary is what the report counts of a claim.
type ClaimSummary struct {
	ID     string `json:"id,omitempty"`
	Status string `json:"status,omitempty"`
	Amount Money  `json:"amount"`
	// FiledAt is when it was first filed, SettledAt when it was paid or
	// denied; zero when it has not been.
	FiledAt   time.Time `json:"filed_at"`
	SettledAt time.Time `json:"settled_at"`
}

// SummaryOf is the summary of c as it stands.
func SummaryOf(c *Case) Summary {
	s := Summary{
		ID: c.ID, Seller: c.Seller, Kind: c.Kind, State: c.State, ReceivedAt: c.ReceivedAt,
		NoResponseNeeded: noResponseNeeded(c),
	}
	if c.DueAt != nil {
		s.DueAt = *c.DueAt
	}
	if c.AnsweredAt != nil {
		s.AnsweredAt = *c.AnsweredAt
	}
	if c.Refund != nil {
		s.Refund, s.AToZ = c.Refund.Amount, c.Refund.AToZClaim
	}
	if cl := c.Claim; cl != nil {
		s.Claim = ClaimSummary{ID: cl.ID, Status: cl.Status, Amount: cl.Amount}
		if f, ok := cl.Filed(); ok {
			s.Claim.FiledAt = f.At
		}
		if ClaimStatus(cl.Status).IsSettled() {
			for _, h := range cl.History {
				if h.Status == cl.Status {
					s.Claim.SettledAt = h.At
				}
			}
		}
	}
	return s
}
