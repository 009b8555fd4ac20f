package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// submission is the view_submission Slack sends for a modal: values by
// block id (action ids are the same); selects for reason and status.
func submission(callback, meta, user string, values map[string]string) slack.InteractionCallback {
	state := map[string]map[string]slack.BlockAction{}
	for block, v := range values {
		act := slack.BlockAction{ActionID: block, Type: "plain_text_input", Value: v}
		if block == bot.FieldReason || block == bot.FieldStatus {
			act = slack.BlockAction{ActionID: block, Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: v}}
		}
		state[block] = map[string]slack.BlockAction{block: act}
	}
	return slack.InteractionCallback{
		Type: slack.InteractionTypeViewSubmission,
		User: slack.User{ID: user},
		View: slack.View{CallbackID: callback, PrivateMetadata: meta, State: &slack.ViewState{Values: state}},
	}
}

// submitErrors submits a modal through the App and returns the errors it
// answered with, by block id (nil when it accepted).
func (h *clocks) submitErrors(callback, meta, user string, values map[string]string) map[string]string {
	h.t.Helper()
	ack := h.app.Interaction(context.Background(), submission(callback, meta, user, values))
	if ack == nil {
		return nil
	}
	r, ok := ack.(*slack.ViewSubmissionResponse)
	if !ok {
		h.t.Fatalf("answer %T %+v", ack, ack)
	}
	return r.Errors
}

func goodClaim() map[string]string {
	return map[string]string{
		"reason": "late_delivery", "justification": "Handed to the carrier on time; delivered on the promised date.",
		"tracking": "1Z999AA10123456784", "carrier": "UPS", "delivery_scan_date": "2026-10-30",
		"photos": "https://photos.example/label.jpg\n\n https://photos.example/scan.jpg ", "amount": "39,90",
	}
}

func claimWith(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// Every problem of a claim form is named under its own field, so that
// Slack shows it there (response_action errors by block_id).
func TestClaimFormErrorsNameTheirField(t *testing.T) {
	h := newRefunds(t, monday10)
	c := h.refund(monday10, nil)
	tests := []struct {
		name   string
		typ    string
		values map[string]string
		want   map[string]string
	}{
		{"a complete claim", sfp.ClaimTypeReimbursement, goodClaim(), map[string]string{}},
		{"no amount", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "amount", ""), map[string]string{"amount": "This is needed."}},
		{"an amount with three decimals", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "amount", "39,999"), map[string]string{"amount": "Write an amount like 39,90 or 39.90."}},
		{"a currency sign", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "amount", "39,90 €"), map[string]string{"amount": "Write an amount like 39,90 or 39.90."}},
		{"nothing to claim", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "amount", "0,00"), map[string]string{"amount": "The amount must be more than 0."}},
		{"more than the refund", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "amount", "39.91"), map[string]string{"amount": "At most 39,90 €, the amount refunded."}},
		{"no justification", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "justification", "  "), map[string]string{"justification": "This is needed."}},
		{"a justification too long", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "justification", strings.Repeat("é", 2001)), map[string]string{"justification": "At most 2000 characters."}},
		{"a scan date written the French way", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "delivery_scan_date", "30/10/2026"), map[string]string{"delivery_scan_date": "Write the date as YYYY-MM-DD, e.g. 2026-11-02."}},
		{"a scan date that does not exist", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "delivery_scan_date", "2026-02-30"), map[string]string{"delivery_scan_date": "Write the date as YYYY-MM-DD, e.g. 2026-11-02."}},
		{"a scan date tomorrow", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "delivery_scan_date", "2026-11-03"), map[string]string{"delivery_scan_date": "The delivery scan cannot be in the future."}},
		{"a photo line that is no link", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "photos", "https://photos.example/1.jpg\nsee attachment"), map[string]string{"photos": "Line 2 is not a link starting with https:// or http://."}},
		{"a script for a photo", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "photos", "javascript:alert(1)"), map[string]string{"photos": "Line 1 is not a link starting with https:// or http://."}},
		{"a tracking number too long", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "tracking", strings.Repeat("1", 65)), map[string]string{"tracking": "At most 64 characters."}},
		{"a reason that is not one", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "reason", "changed_mind"), map[string]string{"reason": "Pick a reason"}},
		{"several problems at once", sfp.ClaimTypeReimbursement, claimWith(goodClaim(), "amount", "100", "delivery_scan_date", "soon", "photos", "ftp://x/y"),
			map[string]string{"amount": "At most 39,90 €, the amount refunded.", "delivery_scan_date": "Write the date as YYYY-MM-DD, e.g. 2026-11-02.", "photos": "Line 1 is not a link starting with https:// or http://."}},
		{"a carrier claim needs the carrier and the tracking", sfp.ClaimTypeCarrier, map[string]string{"amount": "59,00"},
			map[string]string{"carrier": "This is needed.", "tracking": "This is needed."}},
		{"a carrier claim's declared value may exceed the refund", sfp.ClaimTypeCarrier, map[string]string{"amount": "120,00", "carrier": "Colissimo", "tracking": "6A123"}, map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := submission(bot.ModalClaimFile, c.ID, "U0ADMIN", tc.values).View
			form, errs := readClaimForm(&v, c, tc.typ, h.clock.Now(), clockParis, "en")
			if diff := cmp.Diff(tc.want, errs); diff != "" {
				t.Errorf("errors by block (-want +got):\n%s", diff)
			}
			if len(errs) == 0 && tc.typ == sfp.ClaimTypeReimbursement {
				want := sfp.ClaimEvidence{
					Reason: "late_delivery", Justification: "Handed to the carrier on time; delivered on the promised date.",
					Tracking: "1Z999AA10123456784", Carrier: "UPS", DeliveryScan: "2026-10-30",
					Photos: []string{"https://photos.example/label.jpg", "https://photos.example/scan.jpg"},
				}
				if diff := cmp.Diff(want, form.evidence); diff != "" || form.amount != (sfp.Money{Minor: 3990, Currency: "EUR"}) {
					t.Errorf("form: amount %+v, evidence (-want +got):\n%s", form.amount, diff)
				}
			}
		})
	}
}

// The seller's team is reminded SFPDESK_CLAIM_REMIND_BEFORE before the
// filing deadline, on the scheduler and its clock, until a claim is
// filed; unfiled, the window closes and so does the case.
func TestClaimRemindersOnTheFakeClock(t *testing.T) {
	deadline := time.Date(2026, 12, 2, 10, 0, 0, 0, clockParis)
	t.Run("nobody files: two reminders, then the window closes", func(t *testing.T) {
		h := newRefunds(t, monday10)
		c := h.refund(monday10, nil)
		h.sweepAt(deadline.AddDate(0, 0, -7))
		h.sweepAt(deadline.Add(-24 * time.Hour))
		h.sweepAt(deadline)
		if got := h.get(c.ID); got.State != sfp.StateOpen {
			t.Fatalf("still within the window at its last second, state %s", got.State)
		}
		h.sweepAt(deadline.Add(time.Second))
		thread := h.thread(c)
		want := []string{
			":alarm_clock: *SFP-1001*: file the reimbursement claim on order " + refundOrder + " by " + bot.DateTag(deadline, "en") + " (7 days left): 39,90 € at stake.",
			":alarm_clock: *SFP-1001*: file the reimbursement claim on order " + refundOrder + " by " + bot.DateTag(deadline, "en") + " (24 hours left): 39,90 € at stake.",
			":hourglass: The window to file a reimbursement claim on order " + refundOrder + " closed (" + bot.DateTag(deadline, "en") + "): the refund of 39,90 € stays at your cost. *SFP-1001* is closed.",
		}
		if diff := cmp.Diff(noFallbacks(want), noFallbacks(thread)); diff != "" {
			t.Errorf("card thread (-want +got):\n%s", diff)
		}
		for _, m := range h.outbox(sellerChannel) {
			if strings.HasPrefix(m.Text, ":alarm_clock:") && !strings.Contains(string(m.Blocks), `"action_id":"claim_file","value":"SFP-1001"`) {
				t.Errorf("a reminder without the button that files the claim: %s", m.Blocks)
			}
		}
		got := h.get(c.ID)
		if got.State != sfp.StateClosed || got.ClosedAt == nil || !claimLapsed(got) {
			t.Errorf("after the window: state %s, closed %v, events %+v", got.State, got.ClosedAt, got.Events)
		}
		if ups := h.cardUpdates(c); len(ups) == 0 || !strings.Contains(string(ups[len(ups)-1].Blocks), "No claim can succeed") {
			t.Errorf("the card was not redrawn with the closed window")
		}
		if e := h.claimEntries(c.ID); len(e) != 0 {
			t.Errorf("claim entries left: %v", e)
		}
	})
	t.Run("filed after the first reminder: no more reminders", func(t *testing.T) {
		h := newRefunds(t, monday10)
		c := h.refund(monday10, nil)
		h.sweepAt(deadline.AddDate(0, 0, -7))
		h.clock.Set(deadline.AddDate(0, 0, -3))
		if errs := h.submitErrors(bot.ModalClaimFile, c.ID, "U0ALICE", goodClaim()); errs != nil {
			t.Fatalf("claim refused: %v", errs)
		}
		if e := h.claimEntries(c.ID); len(e) != 0 {
			t.Errorf("claim entries left after filing: %v", e)
		}
		h.sweepAt(deadline.AddDate(0, 0, 1))
		var reminders int
		for _, s := range h.thread(c) {
			if strings.HasPrefix(s, ":alarm_clock:") || strings.HasPrefix(s, ":hourglass:") {
				reminders++
			}
		}
		if got := h.get(c.ID); reminders != 1 || got.State != sfp.StateOpen || got.Claim == nil || got.Claim.Status != "filed" {
			t.Errorf("%d reminders; state %s, claim %+v", reminders, got.State, got.Claim)
		}
	})
	t.Run("down past the deadline: the missed reminders give way to the window's closing", func(t *testing.T) {
		h := newRefunds(t, monday10)
		c := h.refund(monday10, nil)
		res := h.sweepAt(deadline.Add(time.Hour))
		if res.Fired != 1 || res.Skipped != 2 {
			t.Errorf("sweep %+v, want the closing fired and both reminders skipped", res)
		}
		if thread := h.thread(c); len(thread) != 1 || !strings.HasPrefix(thread[0], ":hourglass:") {
			t.Errorf("thread %q", thread)
		}
	})
}

// The policy allows one claim per order, and so does sfpdesk: the second
// refund notice of an order learns of the first one's claim, cannot file
// one of its own, and a later one arrives closed.
func TestOneClaimPerOrder(t *testing.T) {
	h := newRefunds(t, monday10)
	first := h.refund(monday10, nil)
	second := h.refund(monday10.Add(time.Hour), func(r *sfp.Refund) { r.Amount.Minor = 1500; r.Reason = "damaged" })
	h.clock.Set(monday10.Add(2 * time.Hour))
	if errs := h.submitErrors(bot.ModalClaimFile, first.ID, "U0ALICE", goodClaim()); errs != nil {
		t.Fatalf("first claim refused: %v", errs)
	}
	if got := h.get(second.ID); got.Claim == nil || got.Claim.ID != "CLM-1001" || got.Claim.CaseID != first.ID {
		t.Errorf("the second refund does not know the order's claim: %+v", got.Claim)
	}
	if ups := h.cardUpdates(second); len(ups) == 0 || !strings.Contains(ups[len(ups)-1].Text+string(ups[len(ups)-1].Blocks), "is already on this order") {
		t.Errorf("the second refund's card was not redrawn")
	}
	if e := h.claimEntries(second.ID); len(e) != 0 {
		t.Errorf("the second refund still has claim entries: %v", e)
	}
	errs := h.submitErrors(bot.ModalClaimFile, second.ID, "U0ALICE", claimWith(goodClaim(), "amount", "15,00"))
	if want := map[string]string{"amount": "Claim CLM-1001 is already on order " + refundOrder + ": the policy allows one claim per order."}; !cmp.Equal(want, errs) {
		t.Errorf("second claim on the order: %v", errs)
	}
	third := h.get(h.refund(monday10.Add(3*time.Hour), nil).ID)
	if third.State != sfp.StateClosed || third.Claim == nil || third.Claim.ID != "CLM-1001" {
		t.Errorf("a later refund of the order: state %s, claim %+v", third.State, third.Claim)
	}
	h.db.View(context.Background(), func(tx store.Tx) error {
		open, _ := tx.OpenClaims("")
		if len(open) != 1 || open[0].CaseID != first.ID || open[0].Amount.Minor != 3990 {
			t.Errorf("open claims %+v", open)
		}
		return nil
	})
	// A status change reaches every refund of the order.
	if errs := h.submitErrors(bot.ModalClaimStatus, "CLM-1001", "U0ALICE", map[string]string{"status": "approved"}); errs != nil {
		t.Fatalf("status refused: %v", errs)
	}
	for _, id := range []string{first.ID, second.ID, third.ID} {
		if got := h.get(id); got.Claim.Status != "approved" {
			t.Errorf("%s sees the claim %s", id, got.Claim.Status)
		}
	}
}

// A claim moves only along the transitions of its life, and only by an
// admin or a member of the seller's channel; each move says who and when,
// and a settled claim closes its case, which an appeal opens again.
func TestClaimStatusMoves(t *testing.T) {
	h := newRefunds(t, monday10)
	c := h.refund(monday10, nil)
	if errs := h.submitErrors(bot.ModalClaimFile, c.ID, "U0ALICE", goodClaim()); errs != nil {
		t.Fatalf("claim refused: %v", errs)
	}
	steps := []struct {
		name, user, to string
		err            string
		status         sfp.ClaimStatus
		state          sfp.State
	}{
		{"an agent outside the seller's channel", "U0AGENT", "approved", "No case CLM-1001 that you can see.", sfp.ClaimFiled, sfp.StateOpen},
		{"paid before it is approved", "U0ALICE", "paid", "The claim is now Filed: it cannot become Paid.", sfp.ClaimFiled, sfp.StateOpen},
		{"Amazon asks for more", "U0ALICE", "more_info_requested", "", sfp.ClaimMoreInfoRequested, sfp.StateOpen},
		{"sent again by an admin", "U0ADMIN", "filed", "", sfp.ClaimFiled, sfp.StateOpen},
		{"denied: the case closes", "U0ALICE", "denied", "", sfp.ClaimDenied, sfp.StateClosed},
		{"appealed: the case opens again", "U0ALICE", "filed", "", sfp.ClaimFiled, sfp.StateOpen},
		{"approved", "U0ALICE", "approved", "", sfp.ClaimApproved, sfp.StateOpen},
		{"no status picked", "U0ALICE", "", "This is needed.", sfp.ClaimApproved, sfp.StateOpen},
		{"paid: the case closes", "U0ADMIN", "paid", "", sfp.ClaimPaid, sfp.StateClosed},
		{"nothing after paid", "U0ADMIN", "filed", "The claim is now Paid: it cannot become Filed.", sfp.ClaimPaid, sfp.StateClosed},
	}
	for i, st := range steps {
		h.clock.Set(monday10.Add(time.Duration(i+1) * 24 * time.Hour))
		errs := h.submitErrors(bot.ModalClaimStatus, "CLM-1001", st.user, map[string]string{"status": st.to})
		switch {
		case st.err == "" && errs != nil:
			t.Errorf("%s: refused %v", st.name, errs)
		case st.err != "" && !strings.Contains(errs["status"], st.err):
			t.Errorf("%s: errors %v, want %q under status", st.name, errs, st.err)
		}
		got := h.get(c.ID)
		if got.Claim.Status != string(st.status) || got.State != st.state {
			t.Errorf("%s: claim %s, case %s; want %s, %s", st.name, got.Claim.Status, got.State, st.status, st.state)
		}
	}
	var cl *sfp.Claim
	h.db.View(context.Background(), func(tx store.Tx) error { cl, _ = tx.Claim("CLM-1001"); return nil })
	var hist []string
	for _, ch := range cl.History {
		hist = append(hist, ch.Status+" "+ch.By+" "+ch.At.In(clockParis).Format("2 Jan"))
	}
	want := []string{"filed U0ALICE 2 Nov", "more_info_requested U0ALICE 5 Nov", "filed U0ADMIN 6 Nov", "denied U0ALICE 7 Nov",
		"filed U0ALICE 8 Nov", "approved U0ALICE 9 Nov", "paid U0ADMIN 11 Nov"}
	if diff := cmp.Diff(want, hist); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	var moved, updates int
	for _, m := range h.outbox(sellerChannel) {
		if strings.Contains(m.Text, "moved claim *CLM-1001*") {
			moved++
		}
		if m.Op == store.OpUpdate && m.Target == cl.Message.OutboxID {
			updates++
		}
	}
	if moved != 6 || updates != 6 {
		t.Errorf("%d status messages and %d updates of the claim's message, want 6 each", moved, updates)
	}
}

// /sfp claims lists what can still be recovered, soonest filing deadline
// first, with the total at stake in each currency, and only what the
// person may see.
func TestClaimsCommandTotals(t *testing.T) {
	h := newRefunds(t, monday10)
	h.update(func(tx store.Tx) error {
		return tx.PutSeller(&sfp.Seller{Name: "brit", Routes: []sfp.Route{{Seller: "brit", Marketplace: "amazon.co.uk", Channel: "C0BRIT"}}})
	})
	h.fake.AddChannel("C0BRIT", "brit-support", false, h.fake.BotUserID())
	h.refund(monday10.Add(-24*time.Hour), nil) // SFP-1001: to file by 1 Dec
	defective := h.refundOn("171-7654321-7654321", monday10.Add(-48*time.Hour), func(r *sfp.Refund) { r.Reason = "defective"; r.Amount.Minor = 2490 })
	h.newCase(sfp.KindRefundNotice, monday10, func(in *newCase) {
		in.Seller, in.Marketplace, in.OrderID = "brit", "amazon.co.uk", "202-1234567-1234567"
		in.Refund = &sfp.Refund{Amount: sfp.Money{Minor: 1250, Currency: "GBP"}, Reason: "no_longer_needed", RefundedBy: "amazon_cs"}
	})
	h.refundOn("171-0000000-0000009", monday10, func(r *sfp.Refund) { r.RefundedBy = "seller" }) // nothing to recover
	if errs := h.submitErrors(bot.ModalClaimFile, defective.ID, "U0ADMIN", claimWith(goodClaim(), "amount", "20", "reason", "defective")); errs != nil {
		t.Fatalf("claim refused: %v", errs)
	}
	due := func(d time.Time) string { return bot.DateTag(d, "en") }
	tests := []struct {
		name, user, text string
		want             []string
	}{
		{"everything, for an admin", "U0ADMIN", "claims", []string{
			"*3 claims open or to file, soonest deadline first · at stake: 59,90 € + £12.50*",
			"`SFP-1001` *acme* · order " + refundOrder + " · 39,90 € · Late delivery · to file by " + due(monday10.Add(29*24*time.Hour)),
			"`SFP-1003` *brit* · order 202-1234567-1234567 · £12.50 · No longer needed · to file by " + due(monday10.Add(30*24*time.Hour)),
			"`CLM-1001` *acme* · order 171-7654321-7654321 · 20,00 € · reimbursement claim · *Filed*",
			"_To file_: refunds a reimbursement claim can still recover. `/sfp case <id>` shows one.",
		}},
		{"one seller", "U0ADMIN", "claims brit", []string{
			"*1 claim open or to file · at stake: £12.50*",
			"`SFP-1003` *brit* · order 202-1234567-1234567 · £12.50 · No longer needed · to file by " + due(monday10.Add(30*24*time.Hour)),
			"_To file_: refunds a reimbursement claim can still recover. `/sfp case <id>` shows one.",
		}},
		{"a member of acme's channel sees acme's only", "U0ALICE", "claims", []string{
			"*2 claims open or to file, soonest deadline first · at stake: 59,90 €*",
			"`SFP-1001` *acme* · order " + refundOrder + " · 39,90 € · Late delivery · to file by " + due(monday10.Add(29*24*time.Hour)),
			"`CLM-1001` *acme* · order 171-7654321-7654321 · 20,00 € · reimbursement claim · *Filed*",
			"_To file_: refunds a reimbursement claim can still recover. `/sfp case <id>` shows one.",
		}},
		{"someone who sees no seller", "U0AGENT", "claims", []string{":white_check_mark: No open claim, and no refund waiting for one."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := strings.Split(h.command(tc.user, tc.text), "\n")
			if diff := cmp.Diff(noFallbacks(tc.want), noFallbacks(got)); diff != "" {
				t.Errorf("/sfp %s (-want +got):\n%s", tc.text, diff)
			}
		})
	}
}

// Nobody outside the seller's channel (and not an admin) files a claim,
// even with the modal in hand; nothing is written, and the answer is the
// look-ups': no such case.
func TestClaimRefusedOutsideTheSellersChannel(t *testing.T) {
	h := newRefunds(t, monday10)
	c := h.refund(monday10, nil)
	errs := h.submitErrors(bot.ModalClaimFile, c.ID, "U0AGENT", goodClaim())
	if errs["amount"] != "No case SFP-1001 that you can see." {
		t.Errorf("errors %v", errs)
	}
	if got := h.get(c.ID); got.Claim != nil || len(h.thread(c)) != 0 {
		t.Errorf("a refused claim left %+v", got.Claim)
	}
}
