package report

import (
	"slices"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Week's figures of one seller.
type Figures struct {
	Week Week
	// Response is the buyer messages received in the week, counted as
	// /sfp stats counts them: Amazon's Contact Response Time counts the
	// messages buyers wrote, not customer service's questions.
	Response sfp.Figures
	// Questions is every buyer message received in the week, "No response
	// needed" ones included; OnTime those answered by their deadline.
	Questions, OnTime int
	// AToZ counts the week's A-to-z claims.
	AToZ int
	// Refunds are the week's refund notices, per currency.
	Refunds Amounts
	// Filed and Paid are the claims filed and paid in the week; AtStake the
	// claims filed and not settled at the week's end.
	Filed, Paid, AtStake Amounts
}

// Amounts counts and sums money per currency.
type Amounts map[string]Amount

// Amount is a count and a total in one currency's minor units.
type Amount struct {
	N     int
	Minor int64
}

func (a Amounts) add(m sfp.Money) {
	x := a[m.Currency]
	x.N++
	x.Minor += m.Minor
	a[m.Currency] = x
}

// Currencies lists the currencies in a, sorted.
func (a Amounts) Currencies() []string {
	var out []string
	for c := range a {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// lookBack is how long before the first week a refund notice can have
// arrived and still have its claim filed, paid or at stake in the weeks
// counted: the claim window and Amazon's time to pay, generously.
const lookBack = 120 * 24 * time.Hour

// Weeks counts the figures of the n weeks ending with last, oldest first,
// in the seller's time zone. A question whose deadline is still ahead at
// now weighs neither way.
func Weeks(tx store.Tx, seller string, last Week, n int, loc *time.Location, now time.Time) ([]Figures, error) {
	out := make([]Figures, n)
	starts := make([]time.Time, n+1)
	buyer := sfp.NewSellerFigures(now, 0).Buyer.Kinds
	for i := range n {
		w := last.Add(i - n + 1)
		starts[i] = w.Start(loc)
		// The week holds the questions received in it (weekOf below);
		// whether one unanswered is late yet is a matter of now, as in
		// /sfp stats, however long ago its week was.
		out[i] = Figures{Week: w, Response: sfp.Figures{From: starts[i], To: now, Kinds: buyer},
			Refunds: Amounts{}, Filed: Amounts{}, Paid: Amounts{}, AtStake: Amounts{}}
	}
	starts[n] = last.End(loc)
	weekOf := func(t time.Time) int {
		if t.IsZero() || t.Before(starts[0]) || !t.Before(starts[n]) {
			return -1
		}
		i, found := slices.BinarySearchFunc(starts, t, func(s, t time.Time) int { return s.Compare(t) })
		if !found {
			i--
		}
		return i
	}
	// A claim is carried by every refund notice of its order.
	claims := map[string]bool{}
	err := tx.CasesReceived(seller, starts[0].Add(-lookBack), starts[n], func(s sfp.Summary) bool {
		if i := weekOf(s.ReceivedAt); i >= 0 {
			f := &out[i]
			f.Response.AddSummary(s)
			if s.Kind.IsBuyerMessage() {
				f.Questions++
				if !s.AnsweredAt.IsZero() && (s.DueAt.IsZero() || !s.AnsweredAt.After(s.DueAt)) {
					f.OnTime++
				}
			}
			if s.Kind == sfp.KindAToZClaim {
				f.AToZ++
			}
			if s.Kind == sfp.KindRefundNotice && s.Refund.Currency != "" {
				f.Refunds.add(s.Refund)
			}
		}
		cl := s.Claim
		if cl.FiledAt.IsZero() || claims[cl.ID] {
			return true
		}
		claims[cl.ID] = true
		if i := weekOf(cl.FiledAt); i >= 0 {
			out[i].Filed.add(cl.Amount)
		}
		if i := weekOf(cl.SettledAt); i >= 0 && cl.Status == string(sfp.ClaimPaid) {
			out[i].Paid.add(cl.Amount)
		}
		for i := range out {
			end := starts[i+1]
			if cl.FiledAt.Before(end) && (cl.SettledAt.IsZero() || !cl.SettledAt.Before(end)) {
				out[i].AtStake.add(cl.Amount)
			}
		}
		return true
	})
	return out, err
}
