package handlers

import (
	"time"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// openAToZ tells the order's refund notices, in the transaction that
// creates an A-to-z claim case, that the order is under A-to-z: the SFP
// reimbursement policy excludes it, so their reimbursement claim is no
// longer offered (and a notice with nothing else to do closes, as a new one
// would), while a carrier claim stays open. A notice created later learns
// it from the case on the order (markAToZ).
func (a *App) openAToZ(tx store.Tx, c *sfp.Case, now time.Time) error {
	if c.Kind != sfp.KindAToZClaim || c.OrderID == "" {
		return nil
	}
	cases, err := tx.CasesByOrder(c.OrderID)
	if err != nil {
		return err
	}
	for _, cs := range cases {
		if cs.Kind != sfp.KindRefundNotice || cs.Seller != c.Seller || cs.Refund == nil || cs.Refund.AToZClaim {
			continue
		}
		p := a.prefs(tx, cs.Seller)
		cs.Refund.AToZClaim = true
		cs.AddEvent(now, sfp.EventAToZ, "", c.ID)
		s := bot.T(p.lang, "refund.atoz_marked", cs.OrderID, c.ID)
		if err := enqueueReply(tx, cs, cs.Card, bot.Message{Text: s, Blocks: bot.Sections([]string{s})}, now); err != nil {
			return err
		}
		st := cs.RefundStep(now)
		if st.Action == sfp.StepNone && cs.State == sfp.StateOpen && cs.DueAt == nil && bot.OwnClaim(cs) == nil {
			cs.State, cs.ClosedAt = sfp.StateClosed, &now
			cs.AddEvent(now, sfp.EventClosed, "", "no claim: "+string(st.NoClaim))
		}
		if err := a.refreshCard(tx, cs); err != nil {
			return err
		}
		if err := tx.PutCase(cs); err != nil {
			return err
		}
		if err := a.scheduleWith(tx, cs, p); err != nil {
			return err
		}
	}
	return nil
}
