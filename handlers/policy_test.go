package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

func (h *clocks) click(user, action, value string) {
	h.t.Helper()
	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: user}}
	cb.Channel.ID = sellerChannel
	cb.ActionCallback.BlockActions = []*slack.BlockAction{{ActionID: action, Value: value}}
	h.app.Interaction(context.Background(), cb)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func carrierClaim() map[string]string {
	return map[string]string{
		"amount": "59,00", "tracking": "1Z999AA10123456784", "carrier": "UPS",
		"justification": "The parcel never reached the buyer.",
	}
}

// A parcel lost in transit that the seller refunded still gets its carrier
// claim, and that claim stands beside the order's reimbursement claim:
// neither type counts against the other.
func TestCarrierClaimBesideAReimbursementClaim(t *testing.T) {
	h := newRefunds(t, monday10)
	lost := h.refund(monday10, func(r *sfp.Refund) { r.Reason = "lost_in_transit"; r.RefundedBy = "seller" })
	if got := h.get(lost.ID); got.State != sfp.StateOpen || got.RefundStep(monday10).Action != sfp.StepCarrierClaim {
		t.Fatalf("a lost parcel the seller refunded: state %s, step %+v; want open with a carrier claim", got.State, got.RefundStep(monday10))
	}
	late := h.refund(monday10.Add(time.Hour), func(r *sfp.Refund) { r.Amount.Minor = 1000 })
	h.clock.Set(monday10.Add(2 * time.Hour))
	if errs := h.submitErrors(bot.ModalCarrierClaim, lost.ID, "U0ALICE", carrierClaim()); errs != nil {
		t.Fatalf("carrier claim refused: %v", errs)
	}
	if got := h.get(late.ID); got.RefundStep(h.clock.Now()).Action != sfp.StepClaim || got.CarrierClaim == nil {
		t.Fatalf("after the carrier claim the late delivery's reimbursement claim is gone: %+v, carrier %+v", got.RefundStep(h.clock.Now()), got.CarrierClaim)
	}
	if errs := h.submitErrors(bot.ModalClaimFile, late.ID, "U0ALICE", claimWith(goodClaim(), "amount", "10,00")); errs != nil {
		t.Fatalf("reimbursement claim beside the carrier claim refused: %v", errs)
	}
	for _, id := range []string{lost.ID, late.ID} {
		got := h.get(id)
		if got.Claim == nil || got.Claim.Type != sfp.ClaimTypeReimbursement || got.CarrierClaim == nil || got.CarrierClaim.Type != sfp.ClaimTypeCarrier {
			t.Errorf("%s carries claim %+v and carrier claim %+v, want one of each", id, got.Claim, got.CarrierClaim)
		}
	}
	// A second carrier claim on the same parcel is refused.
	again := h.refund(monday10.Add(3*time.Hour), func(r *sfp.Refund) { r.Reason = "damaged_in_transit" })
	if st := h.get(again.ID).RefundStep(h.clock.Now()); st.NoClaim != sfp.NoClaimExists || st.ClaimID != "CLM-1001" {
		t.Errorf("a second transit refund on the order: %+v, want the carrier claim CLM-1001 named", st)
	}
	if errs := h.submitErrors(bot.ModalCarrierClaim, again.ID, "U0ALICE", carrierClaim()); !strings.Contains(errs["amount"], "Carrier claim CLM-1001 is already on order") {
		t.Errorf("a second carrier claim on the order: %v", errs)
	}
	var open int
	h.db.View(context.Background(), func(tx store.Tx) error {
		cls, _ := tx.OpenClaims("acme")
		open = len(cls)
		return nil
	})
	if open != 2 {
		t.Errorf("%d open claims, want 2", open)
	}
}

// The claim window counts from refund.refunded_at: a notice relayed four
// days late keeps Amazon's deadline; one from the future is refused naming
// the field; one past its window is taken, closed, and says so.
func TestIntakeRefundedAt(t *testing.T) {
	e := newIntakeEnv(t)
	e.app.Settings.ClaimWindow = sfp.DefaultClaimWindow
	refund := func(src, at string) map[string]any {
		b := with(contactBody(sfp.KindRefundNotice), "source_id", src)
		if at != "" {
			b = with(b, "refund.refunded_at", at)
		}
		return with(b, "received_at", absent)
	}

	id := e.accept(refund("late-relay", "2026-10-29T10:00:00Z"), http.StatusAccepted)
	c := e.caseOf(id)
	if want := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC); c.ClaimBy == nil || !c.ClaimBy.Equal(want) {
		t.Errorf("claim by %v, want %v: 30 days from the refund, not from the notice", c.ClaimBy, want)
	}
	if c.State != sfp.StateOpen || c.Refund.RefundedAt == nil {
		t.Errorf("state %s, refunded at %v", c.State, c.Refund.RefundedAt)
	}

	id = e.accept(refund("no-date", ""), http.StatusAccepted)
	if c := e.caseOf(id); !c.ClaimBy.Equal(intakeT0.Add(30 * 24 * time.Hour)) {
		t.Errorf("without refunded_at the window counts from received_at: %v", c.ClaimBy)
	}

	w := e.post(refund("future", intakeT0.Add(6*time.Minute).Format(time.RFC3339)))
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"field":"refund.refunded_at"`) {
		t.Errorf("a refund from the future: %d %s", w.Code, w.Body)
	}
	w = e.post(refund("not-a-time", "yesterday"))
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"field":"refund.refunded_at"`) {
		t.Errorf("a refunded_at that is no time: %d %s", w.Code, w.Body)
	}

	id = e.accept(refund("too-old", "2026-09-01T10:00:00Z"), http.StatusAccepted)
	c = e.caseOf(id)
	if c.State != sfp.StateClosed || c.RefundStep(intakeT0).NoClaim != sfp.NoClaimWindowClosed {
		t.Errorf("a refund past its window: state %s, step %+v", c.State, c.RefundStep(intakeT0))
	}
	card := e.pending(acmeChannel)
	text := blockText(card[len(card)-1].Blocks)
	if !strings.Contains(text, "window to file a reimbursement claim closed") || strings.Contains(text, bot.ActionClaimFile) {
		t.Errorf("the card of a refund past its window:\n%s", text)
	}
}

// An A-to-z claim runs 72 hours of calendar time with reminders and its
// escalation, says what Amazon expects and that silence costs the seller,
// and tells the order's refund notices: no reimbursement claim on them, the
// carrier claim still.
func TestAToZClaim(t *testing.T) {
	h := newRefunds(t, monday10)
	h.app.Settings.RemindBefore = []time.Duration{6 * time.Hour, time.Hour}
	late := h.refund(monday10, nil)
	lost := h.refundOn(refundOrder, monday10, func(r *sfp.Refund) { r.Reason = "lost_in_transit" })
	h.clock.Set(monday10.Add(time.Hour))
	atoz := h.newCase(sfp.KindAToZClaim, monday10.Add(time.Hour), func(in *newCase) { in.Body = "The buyer says the parcel never came." })
	if atoz.DueAt == nil || !atoz.DueAt.Equal(monday10.Add(73*time.Hour)) {
		t.Fatalf("A-to-z claim due %v, want 72 hours after it was received", atoz.DueAt)
	}
	want := []string{"remind 6h Thu 5 Nov 05:00:00", "remind 1h Thu 5 Nov 10:00:00", "escalate Thu 5 Nov 11:00:00"}
	if d := cmp.Diff(want, h.entries(atoz.ID)); d != "" {
		t.Errorf("A-to-z due entries (-want +got):\n%s", d)
	}
	card := bot.CaseCard(atoz, h.app.cardView(atoz, "en"))
	text := string(card.BlocksJSON())
	for _, w := range []string{"Answer Amazon within 72 hours", "granted at your cost", "Amazon expects", bot.ActionAnswered, bot.ActionTake} {
		if !strings.Contains(text, w) {
			t.Errorf("A-to-z card lacks %q", w)
		}
	}
	if strings.Contains(text, bot.ActionNoResponse) {
		t.Error("an A-to-z claim offers No response needed")
	}

	got := h.get(late.ID)
	if !got.Refund.AToZClaim || got.State != sfp.StateClosed || len(h.claimEntries(late.ID)) != 0 {
		t.Errorf("the late delivery's notice: a_to_z %v, state %s, claim entries %v; want under A-to-z, closed, no reminders",
			got.Refund.AToZClaim, got.State, h.claimEntries(late.ID))
	}
	if th := strings.Join(h.thread(got), "\n"); !strings.Contains(th, "A-to-z Guarantee claim arrived on order") {
		t.Errorf("the notice's thread was not told: %q", th)
	}
	got = h.get(lost.ID)
	if st := got.RefundStep(h.clock.Now()); !got.Refund.AToZClaim || got.State != sfp.StateOpen || st.Action != sfp.StepCarrierClaim {
		t.Errorf("the lost parcel's notice: a_to_z %v, state %s, step %+v; want the carrier claim still open", got.Refund.AToZClaim, got.State, st)
	}
	// A refund notice that arrives after the A-to-z claim knows it too.
	after := h.get(h.refund(monday10.Add(2*time.Hour), func(r *sfp.Refund) { r.Reason = "delivered_not_received" }).ID)
	if !after.Refund.AToZClaim || after.RefundStep(h.clock.Now()).NoClaim != sfp.NoClaimAToZ {
		t.Errorf("a later notice on the order: %+v, step %+v", after.Refund, after.RefundStep(h.clock.Now()))
	}
	// Unanswered at 72 hours: escalated like a question.
	h.sweepAt(monday10.Add(73 * time.Hour))
	if got := h.get(atoz.ID); !got.Breached {
		t.Error("an unanswered A-to-z claim was not escalated at 72 hours")
	}
}

// A return request has no deadline; its Return received button starts the
// 2-business-day refund clock and settles the request.
func TestReturnRequested(t *testing.T) {
	h := newRefunds(t, monday10)
	req := h.newCase(sfp.KindReturnRequested, monday10, func(in *newCase) { in.Body = "I would like to return it." })
	if req.DueAt != nil || len(h.entries(req.ID)) != 0 {
		t.Fatalf("a return request has deadline %v and entries %v", req.DueAt, h.entries(req.ID))
	}
	text := string(bot.CaseCard(req, h.app.cardView(req, "en")).BlocksJSON())
	if !strings.Contains(text, `"action_id":"`+bot.ActionReturnReceived+`"`) || !strings.Contains(text, "Nothing is due yet") {
		t.Fatalf("return request card:\n%s", text)
	}
	h.clock.Set(time.Date(2026, 11, 5, 15, 0, 0, 0, clockParis)) // Thursday
	h.click("U0ALICE", bot.ActionReturnReceived, req.ID)
	ret := h.get("SFP-1002")
	if ret.Kind != sfp.KindReturnReceived || ret.DueAt == nil || !ret.DueAt.Equal(time.Date(2026, 11, 9, 23, 59, 59, 0, clockParis)) {
		t.Fatalf("the return: kind %s due %v; want the refund clock to Monday 9 Nov", ret.Kind, ret.DueAt)
	}
	if got := h.get(req.ID); got.State != sfp.StateAnswered || got.AnsweredBy != "U0ALICE" {
		t.Errorf("the request after its return: state %s by %q", got.State, got.AnsweredBy)
	}
}

// A seller's region adds its public holidays to the refund clock; "none"
// goes back to the national list.
func TestSellerRegionOnTheRefundClock(t *testing.T) {
	tue := time.Date(2027, 1, 5, 10, 0, 0, 0, clockParis)
	h := newRefunds(t, tue)
	if got := h.command("U0ADMIN", "seller set acme region XX-YY"); !strings.Contains(got, "`XX-YY` is not a region") || !strings.Contains(got, "DE-BY") {
		t.Errorf("a bad region: %q", got)
	}
	if got := h.command("U0ALICE", "seller set acme region de-by"); strings.Contains(got, "Bavaria") || strings.Contains(got, "now also skips") {
		t.Errorf("a non-admin set the region: %q", got)
	}
	national := h.newCase(sfp.KindReturnReceived, tue, func(in *newCase) { in.OrderID = "171-1234567-0000001" })
	if got := h.command("U0ADMIN", "seller set acme region de-by"); !strings.Contains(got, "DE-BY") {
		t.Fatalf("setting the region: %q", got)
	}
	regional := h.newCase(sfp.KindReturnReceived, tue, func(in *newCase) { in.OrderID = "171-1234567-0000002" })
	if want := time.Date(2027, 1, 7, 23, 59, 59, 0, clockParis); !national.DueAt.Equal(want) {
		t.Errorf("without a region the return is due %v, want %v", national.DueAt, want)
	}
	// Epiphany, Wednesday 6 January, is a holiday in Bavaria.
	if want := time.Date(2027, 1, 8, 23, 59, 59, 0, clockParis); !regional.DueAt.Equal(want) {
		t.Errorf("with DE-BY the return is due %v, want %v", regional.DueAt, want)
	}
	if d := cmp.Diff([]string{"remind morning Thu 7 Jan 09:00:00", "remind today Fri 8 Jan 09:00:00", "escalate Fri 8 Jan 23:59:59"}, h.entries(regional.ID)); d != "" {
		t.Errorf("regional reminders (-want +got):\n%s", d)
	}
	if got := h.command("U0ADMIN", "seller set acme region none"); !strings.Contains(got, "national holidays only") {
		t.Errorf("clearing the region: %q", got)
	}
	again := h.newCase(sfp.KindReturnReceived, tue, func(in *newCase) { in.OrderID = "171-1234567-0000003" })
	if !again.DueAt.Equal(*national.DueAt) {
		t.Errorf("after clearing the region: due %v", again.DueAt)
	}
}

// "More information requested" asks by when — 7 days unless told — and
// reminds before the day, then says when it has passed; answering (filed
// again) stops that clock.
func TestMoreInfoRequestedHasAClock(t *testing.T) {
	h := newRefunds(t, monday10)
	c := h.refund(monday10, nil)
	if errs := h.submitErrors(bot.ModalClaimFile, c.ID, "U0ALICE", goodClaim()); errs != nil {
		t.Fatalf("claim refused: %v", errs)
	}
	h.clock.Set(monday10.Add(24 * time.Hour))
	// The modal offers 7 days from today.
	view := bot.ClaimStatusModal(h.get(c.ID).Claim, "en", h.clock.Now().Add(sfp.DefaultInfoWindow).Format("2006-01-02"))
	if !strings.Contains(string(mustJSON(t, view)), `"initial_date":"2026-11-10"`) {
		t.Errorf("the status modal does not offer 10 Nov:\n%s", mustJSON(t, view))
	}
	errs := h.submitErrors(bot.ModalClaimStatus, "CLM-1001", "U0ALICE", map[string]string{"status": "more_info_requested", "info_by": "2026-11-03"})
	if !strings.Contains(errs["info_by"], "after today") {
		t.Errorf("a day that is today: %v", errs)
	}
	if errs := h.submitErrors(bot.ModalClaimStatus, "CLM-1001", "U0ALICE", map[string]string{"status": "more_info_requested"}); errs != nil {
		t.Fatalf("more info refused: %v", errs)
	}
	cl := h.get(c.ID).Claim
	if want := monday10.Add(24*time.Hour + sfp.DefaultInfoWindow); cl.InfoDue == nil || !cl.InfoDue.Equal(want) {
		t.Fatalf("information due %v, want 7 days on, %v", cl.InfoDue, want)
	}
	want := []string{"claim_info_remind CLM-1001 1d Mon 9 Nov 10:00:00", "claim_info_lapse CLM-1001 Tue 10 Nov 10:00:00"}
	if d := cmp.Diff(want, h.claimEntries(c.ID)); d != "" {
		t.Errorf("information entries (-want +got):\n%s", d)
	}
	h.sweepAt(time.Date(2026, 11, 9, 10, 0, 0, 0, clockParis))
	if th := strings.Join(h.thread(h.get(c.ID)), "\n"); !strings.Contains(th, "asked for more information on the claim for order") {
		t.Errorf("no reminder in the thread:\n%s", th)
	}
	// Sent again, with a day of its own, then filed: the clock stops.
	h.clock.Set(time.Date(2026, 11, 9, 11, 0, 0, 0, clockParis))
	if errs := h.submitErrors(bot.ModalClaimStatus, "CLM-1001", "U0ALICE", map[string]string{"status": "filed"}); errs != nil {
		t.Fatalf("filed refused: %v", errs)
	}
	if e := h.claimEntries(c.ID); len(e) != 0 || h.get(c.ID).Claim.InfoDue != nil {
		t.Errorf("after the information was sent: entries %v, due %v", e, h.get(c.ID).Claim.InfoDue)
	}
	if errs := h.submitErrors(bot.ModalClaimStatus, "CLM-1001", "U0ALICE", map[string]string{"status": "more_info_requested", "info_by": "2026-11-20"}); errs != nil {
		t.Fatalf("more info with a day refused: %v", errs)
	}
	if got := h.get(c.ID).Claim.InfoDue; got == nil || !got.Equal(time.Date(2026, 11, 20, 23, 59, 59, 0, clockParis)) {
		t.Errorf("information due %v, want the end of 20 Nov", got)
	}
}
