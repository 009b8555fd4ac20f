package handlers

import (
	"context"
	"errors"
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
}

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
		var err error
		cs, err = a.createCase(tx, newCase{
			Kind: sfp.KindRefundNotice, Seller: seller, Marketplace: mp, OrderID: c.args["order-id"],
			Source: sfp.SourceSlack, By: c.user,
			Refund: &sfp.Refund{
				Amount:     sfp.Money{Minor: minor, Currency: mp.Info().Currency},
				Reason:     c.args["reason"],
				RefundedBy: string(sfp.RefundedByAmazonCS),
				Returnless: c.args["returnless"] == "true",
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
	return ephemeral(bot.T(c.lang, "refund.posted", cs.ID, cs.Refund.Amount.Format(cs.Marketplace), cs.OrderID, bot.Escape(cs.Seller)))
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
	if c.OrderID != "" {
		cl, err := tx.ClaimByOrder(c.OrderID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		case cl.Seller == c.Seller:
			c.Claim = cl
		}
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
