package bot

import (
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// ModalClaimStatus is the callback id of the claim_status button's modal,
// which moves a claim along the transitions its life allows.
const ModalClaimStatus = "claim_status"

// Block ids of the claim modals: each input's block id is its field name,
// so that response_action errors point at the field (DESIGN §4.7).
const (
	FieldReason        = "reason"
	FieldJustification = "justification"
	FieldTracking      = "tracking"
	FieldCarrier       = "carrier"
	FieldDeliveryScan  = "delivery_scan_date"
	FieldPhotos        = "photos"
	FieldAmount        = "amount"
	FieldStatus        = "status"
	// FieldInfoBy is the day by which the information a claim's "more
	// information requested" asks for is due.
	FieldInfoBy = "info_by"
)

// StatusLabel is a claim status in words.
func StatusLabel(lang, status string) string { return T(lang, "claim.status."+status) }

// ClaimModal is the form of a reimbursement claim under the SFP
// reimbursement policy: the evidence Amazon asks for and the amount, at
// most the refund. Its private metadata is the case id.
func ClaimModal(c *sfp.Case, lang string) slack.ModalViewRequest {
	l := lang
	r := c.Refund
	var opts []*slack.OptionBlockObject
	var initial *slack.OptionBlockObject
	for _, reason := range sfp.RefundReasons {
		o := Option(ReasonLabel(l, string(reason)), string(reason))
		opts = append(opts, o)
		if reason == reasonOf(r.Reason) {
			initial = o
		}
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(T(l, "claim.err.reason"), 150), FieldReason, opts...)
	sel.InitialOption = initial
	blocks := []slack.Block{
		contextLine(claimSummary(c, l)),
		slack.NewInputBlock(FieldReason, plain(T(l, "claim.field.reason"), 2000), nil, sel),
		textInput(FieldJustification, T(l, "claim.field.justification"), T(l, "claim.field.justification_hint"), "", true, false),
		textInput(FieldTracking, T(l, "claim.field.tracking"), "", "", false, true),
		textInput(FieldCarrier, T(l, "claim.field.carrier"), "", "", false, true),
		textInput(FieldDeliveryScan, T(l, "claim.field.delivery_scan_date"), "", "", false, true),
		textInput(FieldPhotos, T(l, "claim.field.photos"), "", "", true, true),
		textInput(FieldAmount, T(l, "claim.field.amount", r.Amount.Currency), T(l, "claim.field.amount_hint", r.Amount.Format(c.Marketplace)), AmountInput(r.Amount), false, false),
	}
	return claimView(ModalClaimFile, T(l, "claim.modal.title"), c.ID, l, blocks)
}

// CarrierClaimModal is the form of a claim with the carrier for a parcel
// lost or damaged in transit, which the SFP reimbursement policy leaves to
// the carrier: carrier, tracking and declared value.
func CarrierClaimModal(c *sfp.Case, lang string) slack.ModalViewRequest {
	l := lang
	r := c.Refund
	blocks := []slack.Block{
		contextLine(claimSummary(c, l)),
		textInput(FieldCarrier, T(l, "claim.field.carrier"), "", "", false, false),
		textInput(FieldTracking, T(l, "claim.field.tracking"), "", "", false, false),
		textInput(FieldAmount, T(l, "claim.field.declared_value", r.Amount.Currency), "", AmountInput(r.Amount), false, false),
		textInput(FieldJustification, T(l, "claim.field.what_happened"), "", "", true, true),
		textInput(FieldPhotos, T(l, "claim.field.photos"), "", "", true, true),
	}
	return claimView(ModalCarrierClaim, T(l, "claim.modal.carrier_title"), c.ID, l, blocks)
}

func claimView(callbackID, title, meta, l string, blocks []slack.Block) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      callbackID,
		Title:           plain(title, MaxModalTitle),
		Submit:          plain(T(l, "claim.modal.submit"), MaxModalTitle),
		Close:           plain(T(l, "modal.cancel"), MaxModalTitle),
		PrivateMetadata: meta,
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

func claimSummary(c *sfp.Case, l string) string {
	r := c.Refund
	if c.ClaimBy != nil && c.RefundStep(time.Time{}).Action == sfp.StepClaim {
		return T(l, "claim.modal.summary", Escape(c.OrderID), r.Amount.Format(c.Marketplace), ReasonLabel(l, r.Reason), DateTag(*c.ClaimBy, l))
	}
	return T(l, "claim.modal.summary_nodate", Escape(c.OrderID), r.Amount.Format(c.Marketplace), ReasonLabel(l, r.Reason))
}

func textInput(block, label, hint, initial string, multiline, optional bool) *slack.InputBlock {
	e := slack.NewPlainTextInputBlockElement(nil, block)
	e.Multiline = multiline
	e.InitialValue = Cut(initial, MaxInputInitial)
	var h *slack.TextBlockObject
	if hint != "" {
		h = plain(hint, 2000)
	}
	in := slack.NewInputBlock(block, plain(label, 2000), h, e)
	in.Optional = optional
	return in
}

// ClaimStatusModal asks for a claim's next status and, for "more
// information requested", by when (infoBy, YYYY-MM-DD, offered).
//
// ClaimStatusModal offers the statuses a claim may move to next.
func ClaimStatusModal(cl *sfp.Claim, lang, infoBy string) slack.ModalViewRequest {
	l := lang
	var opts []*slack.OptionBlockObject
	for _, s := range sfp.ClaimStatus(cl.Status).Next() {
		opts = append(opts, Option(StatusLabel(l, string(s)), string(s)))
	}
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(T(l, "claim.field.status"), 150), FieldStatus, opts...)
	if len(opts) == 1 {
		sel.InitialOption = opts[0]
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ModalClaimStatus,
		Title:           plain(T(l, "claim.status_modal.title"), MaxModalTitle),
		Submit:          plain(T(l, "claim.status_modal.submit"), MaxModalTitle),
		Close:           plain(T(l, "modal.cancel"), MaxModalTitle),
		PrivateMetadata: cl.ID,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			section(T(l, "claim.status_modal.text", cl.ID, T(l, "claim.type."+cl.Type), StatusLabel(l, cl.Status))),
			slack.NewInputBlock(FieldStatus, plain(T(l, "claim.field.status"), 2000), nil, sel),
			infoByInput(cl, l, infoBy),
		}},
	}
}

func infoByInput(cl *sfp.Claim, l, infoBy string) *slack.InputBlock {
	dp := slack.NewDatePickerBlockElement(FieldInfoBy)
	dp.InitialDate = infoBy
	in := slack.NewInputBlock(FieldInfoBy, plain(T(l, "claim.more_info.by"), 2000), plain(T(l, "claim.more_info.by_hint"), 2000), dp)
	in.Optional = true
	return in
}

// InfoReminder reminds, in the refund card's thread, that the information
// asked for on a claim is due; lapsed says that its day has passed.
func InfoReminder(c *sfp.Case, cl *sfp.Claim, who string, left time.Duration, lapsed bool, lang string) Message {
	s := T(lang, "claim.more_info.remind", who, cl.ID, c.OrderID, DateTag(*cl.InfoDue, lang), Days(left, lang))
	if lapsed {
		s = T(lang, "claim.more_info.lapsed", who, cl.ID, c.OrderID, DateTag(*cl.InfoDue, lang))
	}
	return Message{Text: s, Blocks: []slack.Block{
		section(s),
		slack.NewActionBlock("claim_info", button(ActionClaimStatus, T(lang, "btn.claim_status"), cl.ID, "")),
	}}
}

// ClaimMessage is a claim's message in the refund card's thread: where it
// stands, who moved it when, and the text to paste where it is filed —
// Seller Central has no API for claims, so a person files it there. The
// text is in the seller's language, lang; dates in loc, the seller's zone.
func ClaimMessage(cl *sfp.Claim, c *sfp.Case, lang string, loc *time.Location) Message {
	l := lang
	mp := cl.Marketplace
	head := T(l, "claim.message.title", cl.ID, T(l, "claim.type."+cl.Type), StatusLabel(l, cl.Status), cl.Amount.Format(mp))
	if cl.InfoDue != nil && cl.Status == string(sfp.ClaimMoreInfoRequested) {
		head += "\n" + T(l, "claim.more_info.due", DateTag(*cl.InfoDue, l))
	}
	blocks := []slack.Block{section(head)}
	paste := T(l, "claim.message.paste")
	if cl.Type == sfp.ClaimTypeCarrier {
		carrier := cl.Evidence.Carrier
		if carrier == "" {
			carrier = T(l, "claim.field.carrier")
		}
		paste = T(l, "claim.message.paste_carrier", EscapeCut(carrier, 64))
	}
	blocks = append(blocks, section(paste+"\n```"+Cut(ClaimPasteText(cl, c, l, loc), MaxSectionText-len([]rune(paste))-10)+"```"))
	var hist []string
	for _, h := range cl.History {
		hist = append(hist, T(l, "claim.message.history", StatusLabel(l, h.Status), Mention(h.By), DateTag(h.At, l)))
	}
	if cl.Deadline != nil {
		hist = append(hist, T(l, "claim.message.deadline", DateTag(*cl.Deadline, l)))
	}
	if len(hist) > 0 {
		blocks = append(blocks, contextLine(strings.Join(hist, " · ")))
	}
	if len(sfp.ClaimStatus(cl.Status).Next()) > 0 {
		blocks = append(blocks, slack.NewActionBlock("claim_actions", button(ActionClaimStatus, T(l, "btn.claim_status"), cl.ID, "")))
	}
	return Message{Text: Cut(head, MaxFallbackText), Blocks: blocks}
}

// ClaimPasteText is the claim as it is written where it is filed: the
// order, the refund, the amount asked for and the evidence. The seller's
// own words are escaped for mrkdwn, once, here.
func ClaimPasteText(cl *sfp.Claim, c *sfp.Case, lang string, loc *time.Location) string {
	l := lang
	mp := cl.Marketplace
	ev := cl.Evidence
	day := func(t time.Time) string {
		if loc != nil {
			t = t.In(loc)
		}
		return Date(t, l)
	}
	var lines []string
	add := func(id string, args ...any) { lines = append(lines, T(l, id, args...)) }
	if cl.Type == sfp.ClaimTypeCarrier {
		add("claim.paste.carrier_title")
	} else {
		add("claim.paste.title")
	}
	add("claim.paste.order", Escape(cl.OrderID))
	if c != nil && c.Refund != nil {
		at := c.ReceivedAt
		if c.Refund.RefundedAt != nil {
			at = *c.Refund.RefundedAt
		}
		add("claim.paste.refund", day(at), c.Refund.Amount.Format(mp), ReasonLabel(l, c.Refund.Reason))
	}
	if cl.Type == sfp.ClaimTypeCarrier {
		add("claim.paste.declared", cl.Amount.Format(mp))
	} else {
		add("claim.paste.amount", cl.Amount.Format(mp))
	}
	if ev.Reason != "" {
		add("claim.paste.reason", ReasonLabel(l, ev.Reason))
	}
	if ev.Carrier != "" {
		add("claim.paste.carrier", Escape(ev.Carrier))
	}
	if ev.Tracking != "" {
		add("claim.paste.tracking", Escape(ev.Tracking))
	}
	if ev.DeliveryScan != "" {
		// Typed as YYYY-MM-DD in the form; pasted as the language writes dates.
		scan := ev.DeliveryScan
		if d, err := time.Parse("2006-01-02", scan); err == nil {
			scan = Date(d, l)
		}
		add("claim.paste.scan", Escape(scan))
	}
	if ev.Justification != "" {
		add("claim.paste.justification", Escape(ev.Justification))
	}
	if len(ev.Photos) > 0 {
		add("claim.paste.photos", Escape(strings.Join(ev.Photos, "\n")))
	}
	return strings.Join(lines, "\n")
}

// ClaimMoved tells the refund card's thread that a claim changed status,
// and what became of the case.
func ClaimMoved(cl *sfp.Claim, from, by, caseNote, lang string) Message {
	s := T(lang, "claim.moved", Mention(by), cl.ID, StatusLabel(lang, from), StatusLabel(lang, cl.Status))
	if caseNote != "" {
		s += " " + T(lang, caseNote)
	}
	return Message{Text: s, Blocks: []slack.Block{section(s)}}
}

// ClaimReminder nudges the seller's team to file a reimbursement claim
// before its window closes, with the button that opens the form.
func ClaimReminder(c *sfp.Case, who string, left time.Duration, lang string) Message {
	l := lang
	r := c.Refund
	s := T(l, "claim.remind", who, c.ID, Escape(c.OrderID), DateTag(*c.ClaimBy, l), Days(left, l), r.Amount.Format(c.Marketplace))
	return Message{Text: s, Blocks: []slack.Block{
		section(s),
		slack.NewActionBlock("claim_remind", button(ActionClaimFile, T(l, "btn.claim"), c.ID, slack.StylePrimary)),
	}}
}

// ClaimLapsed says that the window to file a reimbursement claim closed.
func ClaimLapsed(c *sfp.Case, lang string) Message {
	l := lang
	r := c.Refund
	s := T(l, "claim.lapsed", Escape(c.OrderID), DateTag(*c.ClaimBy, l), r.Amount.Format(c.Marketplace), c.ID)
	return Message{Text: s, Blocks: []slack.Block{section(s)}}
}

// Days writes a time left in days once it is two days or more, else in
// hours and minutes.
func Days(d time.Duration, lang string) string {
	if d >= 48*time.Hour {
		return Tn(lang, "claim.days", int(d/(24*time.Hour)), int(d/(24*time.Hour)))
	}
	return Duration(d, lang)
}

// ClaimLine is one claim in the /sfp claims list.
func ClaimLine(cl *sfp.Claim, lang string) string {
	l := lang
	return T(l, "claims.line", cl.ID, Escape(cl.Seller), Escape(cl.OrderID), cl.Amount.Format(cl.Marketplace),
		T(l, "claim.type."+cl.Type), StatusLabel(l, cl.Status))
}

// ToFileLine is a refund whose reimbursement claim is still to be filed,
// in the /sfp claims list.
func ToFileLine(c *sfp.Case, lang string, now time.Time) string {
	l := lang
	r := c.Refund
	s := T(l, "claims.to_file", c.ID, Escape(c.Seller), Escape(c.OrderID), r.Amount.Format(c.Marketplace),
		ReasonLabel(l, r.Reason), DateTag(*c.ClaimBy, l))
	if c.ClaimBy.Sub(now) < 7*24*time.Hour {
		s = ":alarm_clock: " + s
	}
	return s
}

// Total writes sums of money in several currencies: "39,90 € + £12.00".
// mps gives the marketplace whose way of writing each currency is used.
func Total(sums map[string]int64, mps map[string]sfp.Marketplace, order []string) string {
	var parts []string
	for _, cur := range order {
		parts = append(parts, sfp.Money{Minor: sums[cur], Currency: cur}.Format(mps[cur]))
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, " + ")
}
