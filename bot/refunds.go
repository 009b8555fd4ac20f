package bot

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// RefundCard renders the card of a refund notice. Under SFP, Amazon
// customer service owns every refund decision and tells the seller its
// reason; the card says what was refunded and why, what the reason means,
// that the decision is final, and what can still be done about the cost:
// the policy's next step (sfp.NextStep, through Case.RefundStep), or why
// no claim can succeed.
func RefundCard(c *sfp.Case, v CardView) Message {
	l := v.Lang
	r := c.Refund
	var fields []*slack.TextBlockObject
	field := func(label, value string) {
		if value != "" && len(fields) < 10 {
			fields = append(fields, mrkdwn(Cut("*"+label+"*\n"+value, MaxContextText)))
		}
	}
	amount := r.Amount.Format(c.Marketplace)
	field(T(l, "card.seller"), Escape(c.Seller)+" · "+string(c.Marketplace))
	field(T(l, "card.order"), Escape(c.OrderID))
	field(T(l, "refund.amount"), "*"+amount+"*")
	field(T(l, "refund.reason"), ReasonLabel(l, r.Reason))
	field(T(l, "refund.by"), refundedBy(c, l))
	field(T(l, "refund.return"), returnLine(r, l))
	if r.AToZClaim {
		field(T(l, "refund.atoz"), T(l, "refund.yes"))
	}
	field(T(l, "card.state"), stateLine(c, l))
	if c.DueAt != nil && c.State == sfp.StateOpen {
		// A buyer wrote about the refund (an intake follow-up): Amazon's
		// clock runs on that message like on any question.
		field(T(l, "card.deadline"), DateTag(*c.DueAt, l))
	}

	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(T(l, "card.title.refund_notice", c.ID), MaxHeaderText)),
		slack.NewSectionBlock(nil, fields, nil),
		section("*" + T(l, "refund.means_title") + "* " + T(l, "refund.means."+string(reasonOf(r.Reason)))),
	}
	if strings.TrimSpace(r.Note) != "" {
		blocks = append(blocks, section(T(l, "refund.note")+"\n"+Quote(v.mask(r.Note), 2000)))
	}
	if strings.TrimSpace(c.Body) != "" {
		blocks = append(blocks, section(Quote(v.mask(c.Body), QuestionMax)))
	}
	st := c.RefundStep(v.Now)
	blocks = append(blocks, section(T(l, "refund.final")+"\n"+stepText(c, st, l)))
	blocks = append(blocks, contextLine(replyHint(c, v)))
	if acts := refundActions(c, st, l); len(acts) > 0 {
		blocks = append(blocks, slack.NewActionBlock("refund_actions", acts...))
	}
	text := T(l, "refund.fallback", c.ID, amount, Escape(c.OrderID), ReasonLabel(l, r.Reason))
	return Message{Text: text, Blocks: blocks}
}

// reasonOf reads a stored reason, an unknown one as "other", as NextStep
// does.
func reasonOf(s string) sfp.RefundReason {
	if r, ok := sfp.ParseRefundReason(s); ok {
		return r
	}
	return sfp.ReasonOther
}

// ReasonLabel is a refund reason in words.
func ReasonLabel(lang, reason string) string {
	return T(lang, "refund.reason."+string(reasonOf(reason)))
}

func refundedBy(c *sfp.Case, l string) string {
	by, ok := sfp.ParseRefundedBy(c.Refund.RefundedBy)
	if !ok {
		by = sfp.RefundedByAmazonCS
	}
	s := T(l, "refund.by."+string(by))
	if c.Source == sfp.SourceSlack && len(c.Events) > 0 && c.Events[0].Type == sfp.EventCreated && c.Events[0].By != "" {
		s += " · " + T(l, "refund.posted_by", Mention(c.Events[0].By))
	}
	return s
}

func returnLine(r *sfp.Refund, l string) string {
	s := T(l, "refund.with_return")
	if r.Returnless {
		s = T(l, "refund.returnless")
	}
	if r.OutsideReturnWindow {
		s += " · " + T(l, "refund.outside_window")
	}
	return s
}

// stepText says what can still be done about the cost of the refund.
func stepText(c *sfp.Case, st sfp.Step, l string) string {
	var s string
	switch {
	case OwnClaim(c) != nil:
		cl := OwnClaim(c)
		s = T(l, "refund.step.own", cl.ID, T(l, "claim.type."+cl.Type), StatusLabel(l, cl.Status), cl.Amount.Format(c.Marketplace))
	case st.NoClaim == sfp.NoClaimExists:
		other := c.Claim
		if c.CarrierClaim != nil && c.CarrierClaim.ID == st.ClaimID {
			other = c.CarrierClaim
		}
		where := ChannelLink(other.Message.Channel)
		if where == "" {
			where = ChannelLink(c.Channel)
		}
		id := "refund.step.exists"
		if other.Type == sfp.ClaimTypeCarrier {
			id = "refund.step.exists_carrier"
		}
		s = T(l, id, st.ClaimID, other.CaseID, where, other.CaseID)
	case st.Action == sfp.StepClaim && c.ClaimBy != nil:
		s = T(l, "refund.step.claim", DateTag(*c.ClaimBy, l))
	case st.Action == sfp.StepClaim:
		s = T(l, "refund.step.claim_open")
	case st.Action == sfp.StepCarrierClaim:
		s = T(l, "refund.step.carrier") + " " + T(l, "refund.noclaim."+string(st.NoClaim))
	default:
		s = T(l, "refund.step.none") + " " + NoClaimText(c, st, l)
	}
	if st.Hint != "" && st.NoClaim != sfp.NoClaimExists {
		s += "\n_" + T(l, "refund.hint."+string(st.Hint)) + "_"
	}
	if OwnClaim(c) == nil && (st.Action == sfp.StepClaim || st.Action == sfp.StepCarrierClaim) {
		s += "\n*" + T(l, "refund.evidence_title") + "* " + T(l, "refund.evidence."+string(reasonOf(c.Refund.Reason)))
	}
	if c.Refund.AToZClaim && st.Action == sfp.StepCarrierClaim {
		s += "\n" + T(l, "refund.noclaim.a_to_z_claim")
	}
	return s
}

// OwnClaim returns the claim filed from the case itself, of either type,
// or nil.
func OwnClaim(c *sfp.Case) *sfp.Claim {
	for _, cl := range []*sfp.Claim{c.Claim, c.CarrierClaim} {
		if cl != nil && cl.CaseID == c.ID {
			return cl
		}
	}
	return nil
}

// NoClaimText explains, in lang, why no reimbursement claim can succeed on
// the case's refund.
func NoClaimText(c *sfp.Case, st sfp.Step, l string) string {
	switch st.NoClaim {
	case sfp.NoClaimWindowClosed:
		closed := ""
		if c.ClaimBy != nil {
			closed = DateTag(*c.ClaimBy, l)
		}
		return T(l, "refund.noclaim.window_closed", closed)
	case sfp.NoClaimExists:
		return T(l, "refund.noclaim.claim_exists")
	case "":
		return ""
	}
	return T(l, "refund.noclaim."+string(st.NoClaim))
}

func refundActions(c *sfp.Case, st sfp.Step, l string) []slack.BlockElement {
	var acts []slack.BlockElement
	switch {
	case OwnClaim(c) != nil:
		if own := OwnClaim(c); len(sfp.ClaimStatus(own.Status).Next()) > 0 {
			acts = append(acts, button(ActionClaimStatus, T(l, "btn.claim_status"), own.ID, ""))
		}
	case st.Action == sfp.StepClaim:
		acts = append(acts, button(ActionClaimFile, T(l, "btn.claim"), c.ID, slack.StylePrimary))
	case st.Action == sfp.StepCarrierClaim:
		acts = append(acts, button(ActionCarrierClaim, T(l, "btn.carrier"), c.ID, slack.StylePrimary))
	}
	if !c.Refund.Returnless && c.OrderID != "" && !c.Triage {
		acts = append(acts, button(ActionReturnReceived, T(l, "btn.return_received"), c.ID, ""))
	}
	if c.Triage {
		acts = append(acts, button(ActionRoute, T(l, "btn.route"), c.ID, ""))
	}
	return acts
}

// ReturnCard renders the card of a returned item: the refund clock (2
// business days from the item reaching the warehouse, under SFP) and the
// button that stops it once the buyer is refunded.
func ReturnCard(c *sfp.Case, v CardView) Message {
	l := v.Lang
	title := T(l, "card.title.return_received", c.ID)
	overdue := c.Breached && c.State == sfp.StateOpen && (c.DueAt == nil || v.Now.IsZero() || !v.Now.Before(*c.DueAt))
	if overdue {
		title = T(l, "card.overdue") + " · " + title
	}
	var fields []*slack.TextBlockObject
	field := func(label, value string) {
		if value != "" && len(fields) < 10 {
			fields = append(fields, mrkdwn(Cut("*"+label+"*\n"+value, MaxContextText)))
		}
	}
	arrived := c.ReceivedAt
	var parcel []string
	if ret := c.Return; ret != nil {
		arrived = ret.ReceivedAt
		for _, s := range []string{ret.Carrier, ret.Tracking} {
			if s != "" {
				parcel = append(parcel, EscapeCut(s, 64))
			}
		}
	}
	field(T(l, "card.seller"), Escape(c.Seller)+" · "+string(c.Marketplace))
	field(T(l, "card.order"), Escape(c.OrderID))
	field(T(l, "return.arrived"), DateTag(arrived, l))
	field(T(l, "return.parcel"), strings.Join(parcel, " · "))
	due := ""
	if c.DueAt != nil {
		due = DateTag(*c.DueAt, l)
		if overdue || (c.Breached && c.State != sfp.StateOpen) {
			due = ":rotating_light: " + due
		}
		field(T(l, "return.refund_by"), due)
	}
	field(T(l, "card.state"), stateLine(c, l))
	if r := c.Refund; r != nil && r.RefundedAt != nil {
		field(T(l, "return.refunded"), T(l, "return.refunded_line", r.Amount.Format(c.Marketplace), Mention(c.AnsweredBy), DateTag(*r.RefundedAt, l)))
	}
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(title, MaxHeaderText)),
		slack.NewSectionBlock(nil, fields, nil),
		section(T(l, "return.explain")),
	}
	if strings.TrimSpace(c.Body) != "" {
		blocks = append(blocks, section(Quote(v.mask(c.Body), QuestionMax)))
	}
	blocks = append(blocks, contextLine(replyHint(c, v)))
	acts := cardActions(c, l)
	if c.State == sfp.StateOpen {
		acts = append([]slack.BlockElement{button(ActionRefundMark, T(l, "btn.refunded"), c.ID, slack.StylePrimary)}, acts...)
	}
	if len(acts) > 0 {
		blocks = append(blocks, slack.NewActionBlock("return_actions", acts...))
	}
	if due == "" {
		due = "—"
	}
	return Message{Text: T(l, "return.fallback", c.ID, Escape(c.OrderID), due), Blocks: blocks}
}

// ReturnButton is the return_received button that cards of cases on an
// order (an order question) carry: one click puts the order's returned
// item on the refund clock.
func ReturnButton(c *sfp.Case, l string) *slack.ButtonBlockElement {
	return button(ActionReturnReceived, T(l, "btn.return_received"), c.ID, "")
}

// AmountInput writes an amount as people of the currency type it, for an
// input's initial value: "39,90" for euros, "39.90" for pounds.
func AmountInput(m sfp.Money) string {
	switch m.Currency {
	case "GBP", "USD":
		return m.Decimal(".")
	}
	return m.Decimal(",")
}

// RefundMarkModal asks how much was refunded for a returned item;
// submitting it stops the refund clock. initial is the amount to offer
// (the refund notice's on the same order, when there is one).
func RefundMarkModal(c *sfp.Case, initial sfp.Money, lang string) slack.ModalViewRequest {
	l := lang
	arrived := c.ReceivedAt
	if c.Return != nil {
		arrived = c.Return.ReceivedAt
	}
	due := "—"
	if c.DueAt != nil {
		due = DateTag(*c.DueAt, l)
	}
	in := slack.NewPlainTextInputBlockElement(plain("39,90", 150), "amount")
	if initial.Minor > 0 {
		in.InitialValue = AmountInput(initial)
	}
	amount := slack.NewInputBlock("amount", plain(T(l, "refund_mark.amount", initial.Currency), 2000), plain(T(l, "refund_mark.hint"), 2000), in)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ModalRefundMark,
		Title:           plain(T(l, "refund_mark.title"), MaxModalTitle),
		Submit:          plain(T(l, "refund_mark.submit"), MaxModalTitle),
		Close:           plain(T(l, "modal.cancel"), MaxModalTitle),
		PrivateMetadata: c.ID,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			contextLine(T(l, "refund_mark.text", c.ID, Escape(c.OrderID), DateTag(arrived, l), due)),
			amount,
		}},
	}
}
