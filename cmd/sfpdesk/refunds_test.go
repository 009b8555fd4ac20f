package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/sfp"
)

// values builds a view submission: text inputs by block id, and the
// selects named in selects.
func values(fields map[string]string, selects ...string) map[string]map[string]slack.BlockAction {
	out := map[string]map[string]slack.BlockAction{}
	for block, v := range fields {
		act := slack.BlockAction{Type: "plain_text_input", Value: v}
		for _, s := range selects {
			if s == block {
				act = slack.BlockAction{Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: v}}
			}
		}
		out[block] = map[string]slack.BlockAction{block: act}
	}
	return out
}

func click(t *testing.T, h *harness, channel, ts, user, action string) {
	t.Helper()
	if _, err := h.Click(ctx, channel, ts, user, action); err != nil {
		t.Fatal(err)
	}
	settle(t, h)
}

// openView returns the one modal open for user, with the callback id
// wanted.
func openView(t *testing.T, h *harness, user, callback string) fakeslack.View {
	t.Helper()
	views := h.Fake.OpenViews(user)
	if len(views) != 1 || views[0].CallbackID != callback {
		t.Fatalf("open views of %s = %+v, want one %s", user, views, callback)
	}
	return views[0]
}

// submit submits a modal and returns the errors the bot answered with, by
// block id.
func submit(t *testing.T, h *harness, v fakeslack.View, user string, vals map[string]map[string]slack.BlockAction) map[string]string {
	t.Helper()
	ack, err := h.Submit(ctx, v.ID, user, vals)
	if err != nil {
		t.Fatal(err)
	}
	settle(t, h)
	var answer struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
	}
	if len(ack) > 0 && string(ack) != "null" {
		if err := json.Unmarshal(ack, &answer); err != nil {
			t.Fatalf("answer %s: %v", ack, err)
		}
	}
	return answer.Errors
}

// refusedPrivately reports whether user was told privately that the
// money side is the seller's.
func refusedPrivately(h *harness, user string) bool {
	return toldPrivately(h, user, "Only sfpdesk admins and members of")
}

// hiddenFrom reports whether user was told privately that there is no
// such case: what anyone who may not see a case hears, as from a look-up.
func hiddenFrom(h *harness, user string) bool {
	return toldPrivately(h, user, "that you can see.")
}

func toldPrivately(h *harness, user, text string) bool {
	for _, e := range h.Fake.Ephemerals() {
		if e.User == user && strings.Contains(e.Text, text) {
			return true
		}
	}
	return false
}

func threadWith(h *harness, channel, root, action string) (fakeslack.Message, bool) {
	for _, m := range h.Fake.Thread(channel, root) {
		if m.TS != root && hasAction(m, action) {
			return m, true
		}
	}
	return fakeslack.Message{}, false
}

// A late delivery refunded by Amazon customer service: the card explains
// it, only the seller's team may claim, the modal names each mistake under
// its field, and the claim goes from filed to paid, which closes the case.
func TestRefundNoticeClaimFiledThroughTheModal(t *testing.T) {
	h := newDesk(t, false)
	msg := slash(t, h, karim, csChan, "refund acme "+order+" 39,90 late_delivery")
	if want := "SFP-1001: the refund of 39,90 € on order " + order + " is posted to *acme*"; !strings.Contains(msg.Text, want) {
		t.Fatalf("answer %q, want %q", msg.Text, want)
	}
	card := lastCard(t, h, acmeChan)
	for _, want := range []string{"SFP-1001 · Refund by Amazon", "39,90 €", "Late delivery", "posted by @karim",
		"Amazon's decision is final", "File a reimbursement claim under the SFP reimbursement policy by"} {
		if !strings.Contains(rendered(h, card), want) {
			t.Errorf("card lacks %q:\n%s", want, rendered(h, card))
		}
	}
	if !hasAction(card, "claim_file") || !hasAction(card, "return_received") {
		t.Fatalf("card buttons: %s", card.Blocks)
	}

	// Outside the seller's channel, even the agent who posted the refund,
	// nobody may claim: a private refusal, no modal. A refund notice has no
	// asker to answer, so whoever is outside the channel may not see it
	// and is told there is no such case.
	for _, who := range []string{sam, karim} {
		click(t, h, acmeChan, card.TS, who, "claim_file")
		if !hiddenFrom(h, who) || len(h.Fake.OpenViews(who)) != 0 {
			t.Errorf("%s was not refused privately", who)
		}
	}

	click(t, h, acmeChan, card.TS, marie, "claim_file")
	v := openView(t, h, marie, "claim_file")
	errs := submit(t, h, v, marie, values(map[string]string{
		"reason": "late_delivery", "justification": "Handed over on time.", "amount": "45,00",
		"delivery_scan_date": "yesterday", "photos": "ftp://photos.example/1.jpg",
	}, "reason"))
	if errs["amount"] != "At most 39,90 €, the amount refunded." || errs["delivery_scan_date"] == "" || errs["photos"] == "" || len(errs) != 3 {
		t.Errorf("errors %v, want amount, delivery_scan_date and photos", errs)
	}
	if len(h.Fake.OpenViews(marie)) != 1 || loadCase(t, h, "SFP-1001").Claim != nil {
		t.Fatalf("a refused form closed the modal or filed a claim")
	}
	errs = submit(t, h, v, marie, values(map[string]string{
		"reason": "late_delivery", "justification": "Handed to UPS on time; the delivery scan shows the promised date.",
		"tracking": "1Z999AA10123456784", "carrier": "UPS", "delivery_scan_date": "2026-11-20",
		"photos": "https://photos.example/scan.jpg", "amount": "39,90",
	}, "reason"))
	if errs != nil {
		t.Fatalf("valid claim refused: %v", errs)
	}
	c := loadCase(t, h, "SFP-1001")
	if c.Claim == nil || c.Claim.ID != "CLM-1001" || c.Claim.Status != "filed" || c.Claim.Amount != (sfp.Money{Minor: 3990, Currency: "EUR"}) {
		t.Fatalf("claim %+v", c.Claim)
	}
	claimMsg, ok := threadWith(h, acmeChan, card.TS, "claim_status")
	if !ok {
		t.Fatalf("no claim message in the card's thread: %q", replies(h, acmeChan, card.TS))
	}
	for _, want := range []string{"CLM-1001 · reimbursement claim · Filed · 39,90 €", "SFP reimbursement request",
		"Order ID: " + order, "Amount requested: 39,90 €", "Tracking number: 1Z999AA10123456784", "Filed by @marie"} {
		if !strings.Contains(rendered(h, claimMsg), want) {
			t.Errorf("claim message lacks %q:\n%s", want, rendered(h, claimMsg))
		}
	}
	if now, _ := h.Fake.Message(acmeChan, card.TS); hasAction(now, "claim_file") || !strings.Contains(rendered(h, now), "Claim CLM-1001 (reimbursement claim) is Filed") {
		t.Errorf("card not redrawn:\n%s", rendered(h, now))
	}

	claims := slash(t, h, lea, csChan, "claims")
	if !strings.Contains(claims.Text, "1 claim open or to file") || !strings.Contains(claims.Text, "at stake: 39,90 €") {
		t.Errorf("/sfp claims: %q", claims.Text)
	}

	for _, to := range []string{"approved", "paid"} {
		click(t, h, acmeChan, claimMsg.TS, marie, "claim_status")
		v := openView(t, h, marie, "claim_status")
		if errs := submit(t, h, v, marie, values(map[string]string{"status": to}, "status")); errs != nil {
			t.Fatalf("→ %s: %v", to, errs)
		}
	}
	c = loadCase(t, h, "SFP-1001")
	if c.Claim.Status != "paid" || c.State != sfp.StateClosed {
		t.Errorf("after payment: claim %s, case %s", c.Claim.Status, c.State)
	}
	if now, _ := h.Fake.Message(acmeChan, claimMsg.TS); hasAction(now, "claim_status") || !strings.Contains(rendered(h, now), "Paid") {
		t.Errorf("claim message not redrawn:\n%s", rendered(h, now))
	}
	if claims := slash(t, h, lea, csChan, "claims"); !strings.Contains(claims.Text, "No open claim") {
		t.Errorf("/sfp claims after payment: %q", claims.Text)
	}
}

// A parcel lost in transit: the reimbursement policy leaves it to the
// carrier, and the card's carrier claim keeps carrier, tracking and
// declared value.
func TestLostParcelGoesToTheCarrier(t *testing.T) {
	h := newDesk(t, true)
	slash(t, h, karim, csChan, "refund acme "+order+" 59,00 lost_in_transit returnless")
	card := lastCard(t, h, acmeChan)
	if !hasAction(card, "carrier_claim") || hasAction(card, "claim_file") || hasAction(card, "return_received") {
		t.Fatalf("card buttons: %s", card.Blocks)
	}
	if !strings.Contains(rendered(h, card), "The SFP reimbursement policy excludes losses and damage in transit") {
		t.Errorf("card:\n%s", rendered(h, card))
	}
	click(t, h, acmeChan, card.TS, otto, "carrier_claim")
	v := openView(t, h, otto, "carrier_claim")
	if errs := submit(t, h, v, otto, values(map[string]string{"amount": "59,00"})); errs["carrier"] == "" || errs["tracking"] == "" {
		t.Errorf("errors %v, want carrier and tracking", errs)
	}
	errs := submit(t, h, v, otto, values(map[string]string{
		"carrier": "Colissimo", "tracking": "6A12345678901", "amount": "75,00",
		"justification": "Never scanned after the depot on 20 November.",
	}))
	if errs != nil {
		t.Fatalf("carrier claim refused: %v", errs)
	}
	c := loadCase(t, h, "SFP-1001")
	if cl := c.CarrierClaim; cl == nil || c.Claim != nil || cl.Type != sfp.ClaimTypeCarrier || cl.Deadline != nil || cl.Amount.Minor != 7500 || cl.Evidence.Carrier != "Colissimo" {
		t.Fatalf("carrier claim %+v, reimbursement claim %+v", c.CarrierClaim, c.Claim)
	}
	msg, ok := threadWith(h, acmeChan, card.TS, "claim_status")
	if !ok || !strings.Contains(rendered(h, msg), "Send this to Colissimo with your claim.") || !strings.Contains(rendered(h, msg), "Declared value: 75,00 €") {
		t.Errorf("carrier claim message: %q", replies(h, acmeChan, card.TS))
	}
}

// A returned item reaches the warehouse on Monday: the refund clock gives
// until Wednesday night, reminds on Tuesday morning, and stops when the
// seller marks it refunded on Tuesday.
func TestReturnRefundedWithinTwoBusinessDays(t *testing.T) {
	h := newDesk(t, false)
	paris := h.Main.Config.Location
	slash(t, h, karim, csChan, "refund acme "+order+" 39,90 defective")
	refundCard := lastCard(t, h, acmeChan)
	click(t, h, acmeChan, refundCard.TS, sam, "return_received")
	if !hiddenFrom(h, sam) || len(openCases(t, h)) != 1 {
		t.Fatalf("someone outside the seller's channel recorded a return")
	}
	click(t, h, acmeChan, refundCard.TS, marie, "return_received")
	click(t, h, acmeChan, refundCard.TS, otto, "return_received") // the same parcel: one clock
	ret := loadCase(t, h, "SFP-1002")
	wantDue := time.Date(2026, 11, 25, 23, 59, 59, 0, paris)
	if ret.Kind != sfp.KindReturnReceived || ret.DueAt == nil || !ret.DueAt.Equal(wantDue) {
		t.Fatalf("return %s due %v, want %v", ret.Kind, ret.DueAt, wantDue)
	}
	if n := len(openCases(t, h)); n != 2 {
		t.Errorf("%d open cases, want the refund and one return", n)
	}
	if th := strings.Join(replies(h, acmeChan, refundCard.TS), "\n"); !strings.Contains(th, "@marie recorded the return of order "+order+": SFP-1002 is on the refund clock") {
		t.Errorf("refund card thread: %s", th)
	}
	retCard := lastCard(t, h, acmeChan)
	if !hasAction(retCard, "refund_mark") || !strings.Contains(rendered(h, retCard), "within 2 business days") {
		t.Fatalf("return card:\n%s", rendered(h, retCard))
	}

	h.Clock.Set(time.Date(2026, 11, 24, 9, 0, 0, 0, paris))
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := h.Fake.WaitFor(wctx, func() bool {
		return strings.Contains(strings.Join(replies(h, acmeChan, retCard.TS), "\n"), "refund the returned item of order "+order)
	}); err != nil {
		t.Fatalf("no morning reminder: %q", replies(h, acmeChan, retCard.TS))
	}

	h.Clock.Set(time.Date(2026, 11, 24, 14, 30, 0, 0, paris))
	click(t, h, acmeChan, retCard.TS, sam, "refund_mark")
	if len(h.Fake.OpenViews(sam)) != 0 {
		t.Errorf("refund_mark opened for someone outside the seller's channel")
	}
	click(t, h, acmeChan, retCard.TS, marie, "refund_mark")
	v := openView(t, h, marie, "refund_mark")
	if !strings.Contains(string(v.JSON), `"initial_value":"39,90"`) {
		t.Errorf("the modal does not offer the refund on the order: %s", v.JSON)
	}
	if errs := submit(t, h, v, marie, values(map[string]string{"amount": "39,90"})); errs != nil {
		t.Fatalf("refund refused: %v", errs)
	}
	ret = loadCase(t, h, "SFP-1002")
	if ret.State != sfp.StateAnswered || ret.Breached || ret.Refund == nil || ret.Refund.Amount.Minor != 3990 || ret.AnsweredBy != marie {
		t.Errorf("return after the refund: state %s, breached %v, refund %+v", ret.State, ret.Breached, ret.Refund)
	}
	now, _ := h.Fake.Message(acmeChan, retCard.TS)
	if hasAction(now, "refund_mark") || !strings.Contains(rendered(h, now), "39,90 € by @marie") {
		t.Errorf("return card not redrawn:\n%s", rendered(h, now))
	}
	if th := strings.Join(replies(h, acmeChan, retCard.TS), "\n"); !strings.Contains(th, "@marie refunded 39,90 € on order "+order+" in time") {
		t.Errorf("return thread: %s", th)
	}
}
