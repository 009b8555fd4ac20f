package handlers

import (
	"context"
	"strconv"
	"time"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// refundSpec is the grammar of "refund": a refund decision an agent of
// Amazon customer service passes on to the seller.
var refundSpec = []arg{
	{name: "seller", kind: argSeller},
	{name: "order-id", kind: argOrder},
	{name: "amount", kind: argAmount},
	{name: "reason", kind: argReason},
	{name: "returnless", kind: argFlag, optional: true},
	{name: argRefunded, kind: argDate, optional: true},
}

// argRefunded names the optional day of "refund" on which customer
// service refunded the buyer (today by default): the claim window counts
// from it.
const argRefunded = "YYYY-MM-DD"

// cmdRefund posts a refund notice from a customer-service agent: the
// currency is the seller's marketplace's, and the refund is Amazon CS's,
// the only kind the SFP reimbursement policy considers.
func (a *App) cmdRefund(ctx context.Context, c *call) any {
	minor, err := strconv.ParseInt(c.args["amount"], 10, 64)
	if err != nil {
		return a.errorReply(c.lang, c.cmd, err)
	}
	var cs *sfp.Case
	err = a.Store.Batch(ctx, func(tx store.Tx) error {
		cs = nil
		if c.guard != nil {
			if first, err := c.guard(tx); err != nil || !first {
				return err
			}
		}
		seller := c.args["seller"]
		mp := a.sellerMarketplace(tx, seller)
		refunded, err := a.refundDay(tx, seller, c)
		if err != nil {
			return err
		}
		cs, err = a.createCase(tx, newCase{
			Kind: sfp.KindRefundNotice, Seller: seller, Marketplace: mp, OrderID: c.args["order-id"],
			Source: sfp.SourceSlack, By: c.user,
			Refund: &sfp.Refund{
				Amount:     sfp.Money{Minor: minor, Currency: mp.Info().Currency},
				Reason:     c.args["reason"],
				RefundedBy: string(sfp.RefundedByAmazonCS),
				Returnless: c.args["returnless"] == "true",
				RefundedAt: &refunded,
			},
		})
		return err
	})
	if err != nil {
		return a.errorReply(c.lang, c.cmd, err)
	}
	if cs == nil {
		return nil
	}
	a.notify()
	c.caseID = cs.ID
	if cs.Triage {
		return ephemeral(bot.T(c.lang, "refund.posted.triage", cs.ID, bot.Escape(cs.Seller)))
	}
	msg := bot.T(c.lang, "refund.posted", cs.ID, cs.Refund.Amount.Format(cs.Marketplace), cs.OrderID, bot.Escape(cs.Seller))
	if st := cs.RefundStep(a.Clock.Now()); st.NoClaim == sfp.NoClaimWindowClosed {
		msg += "\n" + bot.T(c.lang, "refund.window_closed_at_intake", bot.DateTag(*cs.ClaimBy, c.lang))
	}
	return ephemeral(msg)
}

// refundDay is when the refund of "refund" was made: now for today (or
// no date), else the start of the given day in the seller's time zone, so
// that the claim window it starts never ends later than Amazon's.
func (a *App) refundDay(tx store.Tx, seller string, c *call) (time.Time, error) {
	now := a.Clock.Now()
	d := c.args[argRefunded]
	if d == "" {
		return now, nil
	}
	loc := a.prefs(tx, seller).loc
	day, err := time.ParseInLocation("2006-01-02", d, loc)
	switch {
	case err != nil:
		return time.Time{}, sfp.Invalid(argRefunded, "%s", bot.T(c.lang, "arg.date", d))
	case day.After(now):
		return time.Time{}, sfp.Invalid(argRefunded, "%s", bot.T(c.lang, "arg.refund_date_future", d))
	case day.Format("2006-01-02") == now.In(loc).Format("2006-01-02"):
		return now, nil
	}
	return day, nil
}

// sellerMarketplace is the marketplace a command that names none is about:
// the seller's, when all its routes name the same one, else amazon.fr.
func (a *App) sellerMarketplace(tx store.Tx, seller string) sfp.Marketplace {
	s, err := tx.Seller(seller)
	if err != nil {
		return sfp.DefaultMarketplace
	}
	var mp sfp.Marketplace
	for _, r := range s.Routes {
		switch {
		case r.Marketplace == "":
		case mp == "":
			mp = r.Marketplace
		case mp != r.Marketplace:
			return sfp.DefaultMarketplace
		}
	}
	if mp == "" {
		return sfp.DefaultMarketplace
	}
	return mp
}

func (a *App) claimWindow() sfp.Duration {
	if a.Settings.ClaimWindow.IsZero() {
		return sfp.DefaultClaimWindow
	}
	return a.Settings.ClaimWindow
}

// openRefund readies a new refund notice before its card is drawn, in the
// transaction that creates it: the filing deadline of a reimbursement
// claim (SFPDESK_CLAIM_WINDOW after the refund, fixed now), the order's
// claim if it already has one, and, when no claim can be filed at all,
// the case closed at once (DESIGN §4.8): the card still says why.
func (a *App) openRefund(tx store.Tx, c *sfp.Case, loc *time.Location, now time.Time) error {
	if c.Kind != sfp.KindRefundNotice || c.Refund == nil {
		return nil
	}
	r := c.Refund
	if r.RefundedBy == "" {
		r.RefundedBy = string(sfp.RefundedByAmazonCS)
	}
	if r.Amount.Currency == "" {
		r.Amount.Currency = c.Marketplace.Info().Currency
	}
	at := c.ReceivedAt
	if r.RefundedAt != nil {
		at = *r.RefundedAt
	}
	by := sfp.ClaimDeadline(at, a.claimWindow(), c.Marketplace, loc)
	c.ClaimBy = &by
	if err := loadOrderClaims(tx, c); err != nil {
		return err
	}
	if err := markAToZ(tx, c); err != nil {
		return err
	}
	if st := c.RefundStep(now); st.Action == sfp.StepNone {
		c.State, c.ClosedAt = sfp.StateClosed, &now
		why := "no claim: " + string(st.NoClaim)
		if st.NoClaim == sfp.NoClaimWindowClosed {
			// Reported after its window: as if the window had just closed.
			why = detailClaimLapsed
		}
		c.AddEvent(now, sfp.EventClosed, "", why)
	}
	return nil
}

// loadOrderClaims gives a refund notice the claims already on its order,
// each in the slot of its type.
func loadOrderClaims(tx store.Tx, c *sfp.Case) error {
	if c.OrderID == "" {
		return nil
	}
	claims, err := tx.ClaimsByOrder(c.OrderID)
	if err != nil {
		return err
	}
	for _, cl := range claims {
		if cl.Seller == c.Seller {
			c.SetClaim(cl)
		}
	}
	return nil
}

// markAToZ marks a new refund notice as under A-to-z when its order has an
// A-to-z claim case: the reimbursement policy excludes such orders, and
// Seller Central's notices of the two come apart.
func markAToZ(tx store.Tx, c *sfp.Case) error {
	if c.OrderID == "" || c.Refund == nil || c.Refund.AToZClaim {
		return nil
	}
	cases, err := tx.CasesByOrder(c.OrderID)
	if err != nil {
		return err
	}
	for _, cs := range cases {
		if cs.Kind == sfp.KindAToZClaim && cs.Seller == c.Seller {
			c.Refund.AToZClaim = true
			c.AddEvent(c.CreatedAt, sfp.EventAToZ, "", cs.ID)
			return nil
		}
	}
	return nil
}

// answeredByReply reports whether a reply in the card's thread answers the
// case. A question waits for words, and so does a refund notice a buyer
// wrote about (it then runs Amazon's clock); a returned item waits for its
// refund, which only "Mark refunded" records, and a refund notice for its
// claim.
func answeredByReply(c *sfp.Case) bool {
	switch c.Kind {
	case sfp.KindReturnReceived:
		return false
	case sfp.KindRefundNotice:
		return c.DueAt != nil
	}
	return true
}
