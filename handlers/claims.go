package handlers

import (
	"cmp"
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Kinds of the due entries of a claim still to be filed. They follow the
// refund notice's claim, not its answer clock: schedule keeps them apart
// (claimEntries), and they keep running whatever becomes of the case, as
// long as the claim can be filed.
const (
	// DueClaimRemind nudges the seller's team SFPDESK_CLAIM_REMIND_BEFORE
	// before the filing deadline. Its Detail is the offset ("7d").
	DueClaimRemind = "claim_remind"
	// DueClaimLapse closes the window just after the filing deadline: the
	// refund notice closes, as its claim can no longer be filed (§4.8).
	DueClaimLapse = "claim_lapse"
	// DueInfoRemind nudges the seller's team SFPDESK_CLAIM_REMIND_BEFORE
	// before the day by which a claim's requested information is due, and
	// DueInfoLapse says, at that moment, that it has passed.
	DueInfoRemind = "claim_info_remind"
	DueInfoLapse  = "claim_info_lapse"
)

// detailClaimLapsed marks the "closed" event of a refund notice whose
// filing window closed with no claim filed.
const detailClaimLapsed = "claim window closed"

// Limits of a claim's evidence: Slack's input limits are wider, but the
// claim's message must fit one section with the text to paste.
const (
	maxJustification = 2000
	maxTrackingField = 64
	maxPhotos        = 10
	maxPhotoURL      = 500
)

// mayAct reports whether user may file or move claims and mark refunds on
// c: an admin, or a member of the seller's channel. The money side is the
// seller's own: unlike look-ups, the agent who asked may not.
func (a *App) mayAct(ctx context.Context, user string, c *sfp.Case) bool {
	if a.isAdmin(user) {
		return true
	}
	if c.Channel == "" {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, lookupBudget)
	defer cancel()
	return a.isMember(ctx, c.Channel, user)
}

func forbiddenText(c *sfp.Case, lang string) string {
	return bot.T(lang, "claim.forbidden", bot.ChannelLink(c.Channel))
}

// refuse tells the person who clicked, privately, that the button is not
// theirs. It answers through the click's response_url, which reaches
// someone outside the channel, where chat.postEphemeral cannot.
func (a *App) refuse(ctx context.Context, cb slack.InteractionCallback, c *sfp.Case, lang string) {
	if cb.ResponseURL == "" {
		a.tellPrivately(ctx, cb, forbiddenText(c, lang))
		return
	}
	msg := ephemeral(forbiddenText(c, lang))
	a.background(ctx, func(ctx context.Context) { a.respondMsg(ctx, cb.ResponseURL, msg) })
}

// actionCase finds the case a button is about: its value is the case id,
// or the claim id on a claim_* button (DESIGN §4.7).
func actionCase(tx store.Tx, value string) (*sfp.Case, *sfp.Claim, error) {
	if id, _, ok := sfp.ParseClaimID(value); ok {
		cl, err := tx.Claim(id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil, sfp.Errorf(sfp.ENOTFOUND, "no claim %s", id)
		}
		if err != nil {
			return nil, nil, err
		}
		c, err := loadCase(tx, cl.CaseID)
		return c, cl, err
	}
	c, err := loadCase(tx, value)
	return c, nil, err
}

// modalError turns an error into the words shown under a modal's field,
// which are plain text.
func (a *App) modalError(lang string, err error) string {
	switch sfp.ErrorCode(err) {
	case sfp.EINVALID, sfp.ECONFLICT:
		return sfp.ErrorMessage(err)
	case sfp.ENOTFOUND:
		return bot.T(lang, "error.not_found")
	}
	a.Log.Error("modal submission failed", "err", err)
	return bot.T(lang, "error.internal")
}

// claimable checks that a claim of the kind the step offers can be filed
// on c's refund now: the card a person clicked may be older than the
// order's claim or the end of the filing window.
func claimable(c *sfp.Case, want sfp.StepAction, now time.Time, lang string) error {
	if c.Kind != sfp.KindRefundNotice || c.Refund == nil {
		return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "claim.cannot", ""))
	}
	st := c.RefundStep(now)
	switch {
	case st.NoClaim == sfp.NoClaimExists:
		return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, existsID(want), st.ClaimID, c.OrderID))
	case st.Action != want:
		why := ""
		if st.NoClaim == sfp.NoClaimWindowClosed {
			// Modal errors are plain text: a date, not a <!date> tag.
			why = bot.T(lang, "refund.noclaim.window_closed", bot.PlainDate(*c.ClaimBy, lang))
		} else if st.NoClaim != "" {
			why = bot.T(lang, "refund.noclaim."+string(st.NoClaim))
		}
		return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "claim.cannot", why))
	}
	return nil
}

// existsID is the catalogue id that says a claim of the step's type is
// already on the order: the reimbursement policy's one claim per order,
// or the parcel's one carrier claim.
func existsID(want sfp.StepAction) string {
	if want == sfp.StepCarrierClaim {
		return "claim.exists_carrier"
	}
	return "claim.exists"
}

// openClaim opens the claim_file or carrier_claim modal, on the
// acknowledgement's path: a trigger_id lives 3 seconds.
func (a *App) openClaim(ctx context.Context, cb slack.InteractionCallback, value string, want sfp.StepAction) error {
	var c *sfp.Case
	var lang string
	err := a.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if c, _, err = actionCase(tx, value); err != nil {
			return err
		}
		lang = a.prefs(tx, c.Seller).lang
		return nil
	})
	if err != nil {
		return err
	}
	if !a.mayAct(ctx, cb.User.ID, c) {
		a.refuse(ctx, cb, c, lang)
		return nil
	}
	if err := claimable(c, want, a.Clock.Now(), lang); err != nil {
		return err
	}
	view := bot.ClaimModal(c, lang)
	if want == sfp.StepCarrierClaim {
		view = bot.CarrierClaimModal(c, lang)
	}
	_, err = a.openView(ctx, cb.TriggerID, view)
	return err
}

// claimForm is a claim modal's submission, checked.
type claimForm struct {
	amount   sfp.Money
	evidence sfp.ClaimEvidence
}

// readClaimForm checks a claim modal's inputs against the refund: each
// problem is named under its field (its block id), in the seller's
// language. A reimbursement claim asks at most the refund; a carrier
// claim's amount is the declared value, which the refund does not bound.
func readClaimForm(v *slack.View, c *sfp.Case, typ string, now time.Time, loc *time.Location, lang string) (claimForm, map[string]string) {
	var f claimForm
	errs := map[string]string{}
	r := c.Refund
	carrier := typ == sfp.ClaimTypeCarrier
	tooLong := func(field, s string, max int) bool {
		if utf8.RuneCountInString(s) > max {
			errs[field] = bot.T(lang, "claim.err.too_long", max)
			return true
		}
		return false
	}

	raw := selected(v, bot.FieldAmount)
	minor, ok := sfp.ParseAmount(raw)
	switch {
	case raw == "":
		errs[bot.FieldAmount] = bot.T(lang, "claim.err.required")
	case !ok:
		errs[bot.FieldAmount] = bot.T(lang, "claim.err.amount")
	case minor <= 0:
		errs[bot.FieldAmount] = bot.T(lang, "claim.err.amount_zero")
	case !carrier && minor > r.Amount.Minor:
		errs[bot.FieldAmount] = bot.T(lang, "claim.err.amount_over", r.Amount.Format(c.Marketplace))
	default:
		f.amount = sfp.Money{Minor: minor, Currency: r.Amount.Currency}
	}

	if !carrier {
		reason := selected(v, bot.FieldReason)
		if reason == "" {
			reason = r.Reason
		}
		if rr, ok := sfp.ParseRefundReason(reason); ok {
			f.evidence.Reason = string(rr)
		} else {
			errs[bot.FieldReason] = bot.T(lang, "claim.err.reason")
		}
	}

	f.evidence.Justification = selected(v, bot.FieldJustification)
	if f.evidence.Justification == "" && !carrier {
		errs[bot.FieldJustification] = bot.T(lang, "claim.err.required")
	} else {
		tooLong(bot.FieldJustification, f.evidence.Justification, maxJustification)
	}
	for _, fld := range []struct {
		block string
		dst   *string
	}{{bot.FieldTracking, &f.evidence.Tracking}, {bot.FieldCarrier, &f.evidence.Carrier}} {
		*fld.dst = selected(v, fld.block)
		if *fld.dst == "" && carrier {
			errs[fld.block] = bot.T(lang, "claim.err.required")
		} else {
			tooLong(fld.block, *fld.dst, maxTrackingField)
		}
	}

	if scan := selected(v, bot.FieldDeliveryScan); scan != "" && !carrier {
		day, err := time.ParseInLocation("2006-01-02", scan, loc)
		switch {
		case err != nil:
			errs[bot.FieldDeliveryScan] = bot.T(lang, "claim.err.date")
		case day.After(now):
			errs[bot.FieldDeliveryScan] = bot.T(lang, "claim.err.date_future")
		default:
			f.evidence.DeliveryScan = scan
		}
	}

	lines := strings.Split(selected(v, bot.FieldPhotos), "\n")
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if len(f.evidence.Photos) == maxPhotos {
			errs[bot.FieldPhotos] = bot.T(lang, "claim.err.photos_many", maxPhotos)
			break
		}
		u, err := url.Parse(line)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(line) > maxPhotoURL {
			errs[bot.FieldPhotos] = bot.T(lang, "claim.err.photo", i+1)
			break
		}
		f.evidence.Photos = append(f.evidence.Photos, line)
	}
	return f, errs
}

// submitClaim files a claim from its modal: the claim, its message in the
// refund card's thread with the text to paste, the case's event and every
// card of the order, in one transaction.
func (a *App) submitClaim(ctx context.Context, cb slack.InteractionCallback, typ string) any {
	user := cb.User.ID
	var c *sfp.Case
	var p sellerPrefs
	err := a.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if c, err = loadCase(tx, cb.View.PrivateMetadata); err != nil {
			return err
		}
		p = a.prefs(tx, c.Seller)
		return nil
	})
	if err != nil {
		return fieldErrors(map[string]string{bot.FieldAmount: a.modalError(a.Settings.Lang, err)})
	}
	if c.Kind != sfp.KindRefundNotice || c.Refund == nil {
		return fieldErrors(map[string]string{bot.FieldAmount: bot.T(p.lang, "claim.cannot", "")})
	}
	if !a.mayAct(ctx, user, c) {
		return fieldErrors(map[string]string{bot.FieldAmount: bot.T(p.lang, "claim.forbidden_plain")})
	}
	form, errs := readClaimForm(&cb.View, c, typ, a.Clock.Now(), p.loc, p.lang)
	if len(errs) > 0 {
		return fieldErrors(errs)
	}
	err = a.Store.Update(ctx, func(tx store.Tx) error { return a.fileClaim(tx, c.ID, typ, form, user) })
	if err != nil {
		return fieldErrors(map[string]string{bot.FieldAmount: a.modalError(p.lang, err)})
	}
	a.notify()
	return nil
}

// fileClaim writes a new claim on a refund notice, filed by user now.
func (a *App) fileClaim(tx store.Tx, caseID, typ string, form claimForm, user string) error {
	c, err := loadCase(tx, caseID)
	if err != nil {
		return err
	}
	now := a.Clock.Now()
	p := a.prefs(tx, c.Seller)
	if err := loadOrderClaims(tx, c); err != nil {
		return err
	}
	want := sfp.StepClaim
	if typ == sfp.ClaimTypeCarrier {
		want = sfp.StepCarrierClaim
	}
	if err := claimable(c, want, now, p.lang); err != nil {
		return err
	}
	n, err := tx.NextClaimNumber()
	if err != nil {
		return err
	}
	cl := &sfp.Claim{
		ID: sfp.ClaimID(n), Number: n, CaseID: c.ID, Seller: c.Seller, Marketplace: c.Marketplace,
		OrderID: c.OrderID, Type: typ, Status: string(sfp.ClaimFiled), Amount: form.amount,
		Evidence: form.evidence,
		History:  []sfp.ClaimChange{{At: now, Status: string(sfp.ClaimFiled), By: user}},
	}
	if typ == sfp.ClaimTypeReimbursement && c.ClaimBy != nil {
		d := *c.ClaimBy
		cl.Deadline = &d
	}
	id, err := enqueueInThread(tx, c, c.Card, render(bot.ClaimMessage(cl, c, p.lang, p.loc)), now)
	if err != nil {
		return err
	}
	if id != 0 {
		cl.Message = sfp.MessageRef{Channel: c.Card.Channel, OutboxID: id}
	}
	c.AddEvent(now, sfp.EventClaimFiled, user, cl.ID)
	return a.saveClaim(tx, cl, c)
}

// enqueueInThread is enqueueReply that returns the message's outbox id, for
// a message that will be updated later.
func enqueueInThread(tx store.Tx, c *sfp.Case, ref sfp.MessageRef, m outMsg, now time.Time) (uint64, error) {
	if ref.Channel == "" {
		return 0, nil
	}
	return tx.Enqueue(&store.OutboxMessage{
		CaseID: c.ID, Channel: ref.Channel, ThreadTS: ref.TS, ThreadOf: ref.OutboxID,
		Text: m.text, Blocks: m.blocks, CreatedAt: now,
	})
}

// saveClaim stores cl and gives every refund notice of its order the claim
// as it now stands — the order's one claim — with its card redrawn and
// its claim reminders dropped. owner, the case the change was made on, is
// written with its own changes.
func (a *App) saveClaim(tx store.Tx, cl *sfp.Claim, owner *sfp.Case) error {
	if err := tx.PutClaim(cl); err != nil {
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		other := ""
		if claims, err := tx.ClaimsByOrder(cl.OrderID); err == nil {
			for _, o := range claims {
				if o.Type == cl.Type {
					other = o.ID
				}
			}
		}
		want := sfp.StepClaim
		if cl.Type == sfp.ClaimTypeCarrier {
			want = sfp.StepCarrierClaim
		}
		return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(a.prefs(tx, owner.Seller).lang, existsID(want), other, cl.OrderID))
	}
	cases, err := tx.CasesByOrder(cl.OrderID)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(cases, func(cs *sfp.Case) bool { return cs.ID == owner.ID }) {
		cases = append(cases, owner)
	}
	for _, cs := range cases {
		if cs.ID == owner.ID {
			cs = owner
		}
		if cs.Kind != sfp.KindRefundNotice || cs.Seller != cl.Seller {
			continue
		}
		cs.SetClaim(cl.Clone())
		if err := a.refreshCard(tx, cs); err != nil {
			return err
		}
		if err := a.schedule(tx, cs); err != nil {
			return err
		}
		if err := tx.PutCase(cs); err != nil {
			return err
		}
	}
	return nil
}

// openClaimStatus opens the modal that moves a claim along.
func (a *App) openClaimStatus(ctx context.Context, cb slack.InteractionCallback, value string) error {
	var c *sfp.Case
	var cl *sfp.Claim
	var lang string
	var loc *time.Location
	err := a.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if c, cl, err = actionCase(tx, value); err != nil {
			return err
		}
		p := a.prefs(tx, c.Seller)
		lang, loc = p.lang, p.loc
		if own := bot.OwnClaim(c); cl == nil && own != nil {
			cl, err = tx.Claim(own.ID)
		}
		return err
	})
	if err != nil {
		return err
	}
	if cl == nil {
		return sfp.Errorf(sfp.ENOTFOUND, "no claim on %s", c.ID)
	}
	if !a.mayAct(ctx, cb.User.ID, c) {
		a.refuse(ctx, cb, c, lang)
		return nil
	}
	if len(sfp.ClaimStatus(cl.Status).Next()) == 0 {
		return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "claim.settled", cl.ID, bot.StatusLabel(lang, cl.Status)))
	}
	infoBy := a.Clock.Now().In(loc).Add(sfp.DefaultInfoWindow).Format("2006-01-02")
	_, err = a.openView(ctx, cb.TriggerID, bot.ClaimStatusModal(cl, lang, infoBy))
	return err
}

// submitClaimStatus records a claim's new status: who and when on the
// claim, its message redrawn, a word in the card's thread, and the case
// closed once the claim is settled (§4.8) — or open again on an appeal.
func (a *App) submitClaimStatus(ctx context.Context, cb slack.InteractionCallback) any {
	user := cb.User.ID
	var c *sfp.Case
	var lang string
	var loc *time.Location
	err := a.Store.View(ctx, func(tx store.Tx) error {
		var err error
		if c, _, err = actionCase(tx, cb.View.PrivateMetadata); err != nil {
			return err
		}
		p := a.prefs(tx, c.Seller)
		lang, loc = p.lang, p.loc
		return nil
	})
	if err != nil {
		return fieldErrors(map[string]string{bot.FieldStatus: a.modalError(a.Settings.Lang, err)})
	}
	if !a.mayAct(ctx, user, c) {
		return fieldErrors(map[string]string{bot.FieldStatus: bot.T(lang, "claim.forbidden_plain")})
	}
	to, ok := sfp.ParseClaimStatus(selected(&cb.View, bot.FieldStatus))
	if !ok {
		return fieldErrors(map[string]string{bot.FieldStatus: bot.T(lang, "claim.err.required")})
	}
	var infoDue *time.Time
	if to == sfp.ClaimMoreInfoRequested {
		due, msg := readInfoBy(selected(&cb.View, bot.FieldInfoBy), a.Clock.Now().In(loc), lang)
		if msg != "" {
			return fieldErrors(map[string]string{bot.FieldInfoBy: msg})
		}
		infoDue = &due
	}
	err = a.Store.Update(ctx, func(tx store.Tx) error {
		c, cl, err := actionCase(tx, cb.View.PrivateMetadata)
		if err != nil {
			return err
		}
		if cl == nil {
			return sfp.Errorf(sfp.ENOTFOUND, "no claim %s", cb.View.PrivateMetadata)
		}
		p := a.prefs(tx, c.Seller)
		now := a.Clock.Now()
		from := cl.Status
		if err := cl.Move(to, user, now); err != nil {
			return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(p.lang, "claim.err.transition", bot.StatusLabel(p.lang, from), bot.StatusLabel(p.lang, string(to))))
		}
		cl.InfoDue = infoDue
		c.AddEvent(now, sfp.EventClaimStatus, user, cl.ID+" "+from+" → "+cl.Status)
		note := followClaim(c, cl, user, now)
		if cl.Message.Channel != "" {
			msg := bot.ClaimMessage(cl, c, p.lang, p.loc)
			if _, err := tx.Enqueue(&store.OutboxMessage{
				CaseID: c.ID, Channel: cl.Message.Channel, Op: store.OpUpdate,
				Target: cl.Message.OutboxID, TargetTS: cl.Message.TS,
				Text: msg.FallbackText(), Blocks: msg.BlocksJSON(), CreatedAt: now,
			}); err != nil {
				return err
			}
		}
		if err := enqueueReply(tx, c, c.Card, bot.ClaimMoved(cl, from, user, note, p.lang), now); err != nil {
			return err
		}
		return a.saveClaim(tx, cl, c)
	})
	if err != nil {
		return fieldErrors(map[string]string{bot.FieldStatus: a.modalError(lang, err)})
	}
	a.notify()
	return nil
}

// readInfoBy reads the day by which the information a claim's "more
// information requested" asks for is due: the end of that day in the
// seller's zone, after today; no day gives DefaultInfoWindow from now.
func readInfoBy(raw string, now time.Time, lang string) (time.Time, string) {
	loc := now.Location()
	if raw == "" {
		return now.Add(sfp.DefaultInfoWindow), ""
	}
	day, err := time.ParseInLocation("2006-01-02", raw, loc)
	if err != nil {
		return time.Time{}, bot.T(lang, "claim.err.date")
	}
	if day.Format("2006-01-02") <= now.Format("2006-01-02") {
		return time.Time{}, bot.T(lang, "claim.more_info.by_past")
	}
	return time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 59, 0, loc), ""
}

// followClaim brings the refund notice's state in step with its claim: a
// settled claim (paid or denied) closes it, an appeal of a denial opens it
// again. It returns the catalogue id of what it did, or "".
func followClaim(c *sfp.Case, cl *sfp.Claim, by string, now time.Time) string {
	settled := !cl.IsOpen()
	switch {
	case settled && c.State != sfp.StateClosed:
		c.State, c.ClosedAt = sfp.StateClosed, &now
		c.AddEvent(now, sfp.EventClosed, by, "claim "+cl.Status)
		return "claim.moved.closed"
	case !settled && c.State == sfp.StateClosed:
		c.State, c.ClosedAt = sfp.StateOpen, nil
		c.AddEvent(now, sfp.EventReopened, by, "claim "+cl.Status)
		return "claim.moved.reopened"
	}
	return ""
}

// claimKind reports whether claimEntries owns entries of kind k. They
// follow a refund notice's claim as the answer clock follows the case:
// while a reimbursement claim can be filed, a reminder
// SFPDESK_CLAIM_REMIND_BEFORE before the filing deadline, and the closing
// of the window just after it; nothing once a claim is on the order, or
// no claim can be filed. Reminders whose time has passed are not added;
// the closing of the window still is.
func claimKind(k string) bool {
	return k == DueClaimRemind || k == DueClaimLapse || k == DueInfoRemind || k == DueInfoLapse
}

func (a *App) claimEntries(c *sfp.Case) []store.DueEntry {
	out := a.infoEntries(c)
	if !c.ClaimToFile() || claimLapsed(c) {
		return out
	}
	deadline := *c.ClaimBy
	for _, r := range sfp.RemindersBefore(deadline, a.Settings.ClaimRemindBefore, time.Time{}) {
		out = append(out, store.DueEntry{At: r.At, CaseID: c.ID, Kind: DueClaimRemind, Deadline: deadline, Detail: shortDuration(r.Before)})
	}
	// The window is open up to and including the deadline
	// (Step.CheckWindow): it has closed one second after.
	out = append(out, store.DueEntry{At: deadline.Add(time.Second), CaseID: c.ID, Kind: DueClaimLapse, Deadline: deadline})
	return out
}

// infoEntries follow a claim that waits for more information, on the case
// it was filed from: a reminder SFPDESK_CLAIM_REMIND_BEFORE before the day
// it is due, and a last word when the day has passed.
func (a *App) infoEntries(c *sfp.Case) []store.DueEntry {
	cl := bot.OwnClaim(c)
	if cl == nil || cl.Status != string(sfp.ClaimMoreInfoRequested) || cl.InfoDue == nil {
		return nil
	}
	due := *cl.InfoDue
	var out []store.DueEntry
	for _, r := range sfp.RemindersBefore(due, a.Settings.ClaimRemindBefore, time.Time{}) {
		out = append(out, store.DueEntry{At: r.At, CaseID: c.ID, Kind: DueInfoRemind, Deadline: due, Detail: cl.ID + " " + shortDuration(r.Before)})
	}
	return append(out, store.DueEntry{At: due, CaseID: c.ID, Kind: DueInfoLapse, Deadline: due, Detail: cl.ID})
}

// fireInfo reminds of, or says the lapse of, the information a claim
// waits for, if the claim still waits for it by the same day.
func (a *App) fireInfo(tx store.Tx, c *sfp.Case, e store.DueEntry, now time.Time, late bool) error {
	cl := bot.OwnClaim(c)
	if cl == nil || cl.Status != string(sfp.ClaimMoreInfoRequested) || cl.InfoDue == nil || !cl.InfoDue.Equal(e.Deadline) || c.Card.Channel == "" {
		return nil
	}
	p := a.prefs(tx, c.Seller)
	msg := bot.InfoReminder(c, cl, a.whoToCall(c, p, now), e.Deadline.Sub(now), e.Kind == DueInfoLapse, p.lang)
	if late {
		msg.Blocks = append(msg.Blocks, bot.Sections([]string{bot.T(p.lang, "due.sent_late", bot.DateTag(e.At, p.lang))})...)
	}
	if err := enqueueReply(tx, c, c.Card, msg, now); err != nil {
		return err
	}
	c.AddEvent(now, sfp.EventReminded, "", "claim info "+e.Detail)
	return tx.PutCase(c)
}

func claimLapsed(c *sfp.Case) bool {
	return slices.ContainsFunc(c.Events, func(e sfp.Event) bool {
		return e.Type == sfp.EventClosed && e.Detail == detailClaimLapsed
	})
}

// stillToFile reports whether a claim entry still serves the case: no
// claim filed since, the window not yet closed, the same deadline.
func stillToFile(c *sfp.Case, e store.DueEntry) bool {
	return c.ClaimToFile() && !claimLapsed(c) && c.ClaimBy.Equal(e.Deadline)
}

// fireClaimReminder asks, in the refund card's thread, for the claim to
// be filed before its window closes, with the button that opens the form.
func (a *App) fireClaimReminder(tx store.Tx, c *sfp.Case, e store.DueEntry, now time.Time, late bool) error {
	if !stillToFile(c, e) || c.Card.Channel == "" {
		return nil
	}
	p := a.prefs(tx, c.Seller)
	msg := bot.ClaimReminder(c, a.whoToCall(c, p, now), e.Deadline.Sub(now), p.lang)
	if late {
		msg.Blocks = append(msg.Blocks, bot.Sections([]string{bot.T(p.lang, "due.sent_late", bot.DateTag(e.At, p.lang))})...)
	}
	if err := enqueueReply(tx, c, c.Card, msg, now); err != nil {
		return err
	}
	c.AddEvent(now, sfp.EventReminded, "", "claim "+e.Detail)
	return tx.PutCase(c)
}

// fireClaimLapse closes the filing window of a claim nobody filed: the
// refund stays at the seller's cost and the case closes (§4.8), unless a
// buyer's message keeps it open on Amazon's clock.
func (a *App) fireClaimLapse(tx store.Tx, c *sfp.Case, e store.DueEntry, now time.Time) error {
	if !stillToFile(c, e) {
		return nil
	}
	p := a.prefs(tx, c.Seller)
	c.AddEvent(now, sfp.EventClosed, "", detailClaimLapsed)
	if c.State != sfp.StateClosed && (c.State != sfp.StateOpen || c.DueAt == nil) {
		at := now
		c.State, c.ClosedAt = sfp.StateClosed, &at
	}
	if err := a.refreshCard(tx, c); err != nil {
		return err
	}
	if err := enqueueReply(tx, c, c.Card, bot.ClaimLapsed(c, p.lang), now); err != nil {
		return err
	}
	if err := tx.PutCase(c); err != nil {
		return err
	}
	return a.schedule(tx, c)
}

var claimsSpec = []arg{{name: "seller", kind: argSeller, optional: true}}

// claimItem is one line of /sfp claims: a claim waiting for its outcome,
// or a refund whose reimbursement claim is still to be filed.
type claimItem struct {
	owner    *sfp.Case
	claim    *sfp.Claim
	deadline *time.Time // the filing deadline, while there is one to meet
	amount   sfp.Money
}

// cmdClaims lists what can still be recovered: claims waiting for their
// outcome and refunds whose claim is still to be filed, soonest filing
// deadline first, with the total at stake per currency.
func (a *App) cmdClaims(ctx context.Context, c *call) any {
	seller := c.args["seller"]
	now := a.Clock.Now()
	var items []claimItem
	err := a.Store.View(ctx, func(tx store.Tx) error {
		items = nil
		claims, err := tx.OpenClaims(seller)
		if err != nil {
			return err
		}
		for _, cl := range claims {
			owner, err := tx.Case(cl.CaseID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			it := claimItem{owner: owner, claim: cl, amount: cl.Amount}
			if cl.Status == string(sfp.ClaimDraft) {
				it.deadline = cl.Deadline
			}
			items = append(items, it)
		}
		open, err := tx.OpenCases(seller)
		if err != nil {
			return err
		}
		for _, cs := range open {
			if claimToFile(cs, now) {
				items = append(items, claimItem{owner: cs, deadline: cs.ClaimBy, amount: cs.Refund.Amount})
			}
		}
		return nil
	})
	if err != nil {
		return a.errorReply(c.lang, c.cmd, err)
	}
	owners := make([]*sfp.Case, 0, len(items))
	for _, it := range items {
		owners = append(owners, it.owner)
	}
	if !c.deferred && c.responseURL != "" && !a.prefetch(ctx, c.user, owners, false) {
		a.later(ctx, c, (*App).cmdClaims)
		return nil
	}
	items = slices.DeleteFunc(items, func(it claimItem) bool { return !a.canSee(ctx, c.user, it.owner) })
	if len(items) == 0 {
		return ephemeral(bot.T(c.lang, "claims.none"))
	}
	slices.SortStableFunc(items, func(x, y claimItem) int {
		switch {
		case x.deadline != nil && y.deadline != nil:
			return x.deadline.Compare(*y.deadline)
		case x.deadline != nil:
			return -1
		case y.deadline != nil:
			return 1
		}
		return cmp.Compare(x.owner.Number, y.owner.Number)
	})
	sums := map[string]int64{}
	mps := map[string]sfp.Marketplace{}
	var currencies []string
	for _, it := range items {
		cur := it.amount.Currency
		if _, ok := sums[cur]; !ok {
			currencies = append(currencies, cur)
			mps[cur] = it.owner.Marketplace
		}
		sums[cur] += it.amount.Minor
	}
	lines := []string{"*" + bot.Tn(c.lang, "claims.title", len(items), len(items), bot.Total(sums, mps, currencies)) + "*"}
	for i, it := range items {
		if i == maxListed {
			lines = append(lines, bot.T(c.lang, "lookup.more", len(items)-maxListed))
			break
		}
		if it.claim != nil {
			lines = append(lines, bot.ClaimLine(it.claim, c.lang))
		} else {
			lines = append(lines, bot.ToFileLine(it.owner, c.lang, now))
		}
	}
	if slices.ContainsFunc(items, func(it claimItem) bool { return it.claim == nil }) {
		lines = append(lines, bot.T(c.lang, "claims.footer"))
	}
	return ephemeral(strings.Join(lines, "\n"), bot.Sections(lines)...)
}

// claimToFile reports whether the open case is a refund notice whose
// reimbursement claim can still be filed, and is not yet: /sfp claims and
// the App Home list it with its refund at stake.
func claimToFile(cs *sfp.Case, now time.Time) bool {
	return cs.Kind == sfp.KindRefundNotice && cs.Refund != nil && cs.ClaimBy != nil && cs.RefundStep(now).Action == sfp.StepClaim
}
