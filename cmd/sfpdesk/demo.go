package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/store"
)

// The demo's cast: a workspace with a customer-service team and one
// seller's team.
const (
	demoLead     = "U0LEA"    // CS lead and sfpdesk admin
	demoAgent    = "U0KARIM"  // CS agent
	demoSeller   = "U0MARIE"  // seller staff at acme
	demoCS       = "C0CSTEAM" // the CS team's channel
	demoSellerCh = "C0ACME"   // the seller's channel
	demoTriage   = "C0TRIAGE"
	demoEscalate = "C0ESCAL"
)

// runDemo plays a scripted day of the real bot against the fake Slack, on a
// simulated clock, and prints what each channel saw.
func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("demo")
	verbose := fs.Bool("v", false, "also print the bot's log")
	if code, ok := parseFlags(fs, args, stdout, stderr, false); !ok {
		return code
	}
	dir, err := os.MkdirTemp("", "sfpdesk-demo-")
	if err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	var logw io.Writer
	if *verbose {
		logw = stderr
	}
	if err := playDemo(context.Background(), dir, stdout, logw); err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	return 0
}

// demoDay is the script; each scene prints what the people in it saw.
type demoDay struct {
	h   *harness
	out io.Writer
	tr  *transcript
}

func playDemo(ctx context.Context, dir string, out, logw io.Writer) error {
	paris, _ := time.LoadLocation("Europe/Paris")
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, paris) // a Monday
	h, err := startHarness(ctx, harnessOptions{
		Dir: dir, Start: start, Log: logw,
		Configure: func(c *Config) {
			c.Admins = []string{demoLead}
			c.TriageChannel, c.EscalationChannel = demoTriage, demoEscalate
			c.Location, c.Lang = paris, "en"
			// The buyer's question of the drafts scene comes from a
			// helpdesk on this machine, which receives the answer.
			c.IntakeToken, c.CallbackAllow = demoIntakeToken, []string{"127.0.0.1"}
		},
	})
	if err != nil {
		return err
	}
	defer h.Stop()
	f := h.Fake
	f.AddUser(demoLead, "lea", "Léa Martin", false)
	f.AddUser(demoAgent, "karim", "Karim B.", false)
	f.AddUser(demoSeller, "marie", "Marie Dupont", false)
	f.AddChannel(demoCS, "cs-team", false, demoLead, demoAgent, "U0BOT")
	f.AddChannel(demoSellerCh, "acme-support", false, demoSeller)
	f.AddChannel(demoTriage, "sfp-triage", false, demoLead, "U0BOT")
	f.AddChannel(demoEscalate, "sfp-escalations", false, demoLead, "U0BOT")
	d := &demoDay{h: h, out: out, tr: &transcript{
		users:    map[string]string{demoLead: "lea", demoAgent: "karim", demoSeller: "marie", "U0BOT": "sfpdesk"},
		channels: map[string]string{demoCS: "cs-team", demoSellerCh: "acme-support", demoTriage: "sfp-triage", demoEscalate: "sfp-escalations"},
		loc:      paris,
	}}
	fmt.Fprintf(out, "sfpdesk demo — a day of Seller Fulfilled Prime contacts, played against a built-in fake Slack.\nClock: %s (simulated).\n", start.Format("Monday 2 January 2006 15:04 MST"))

	d.scene("An admin routes the seller acme to its channel")
	if err := d.slash(ctx, demoLead, demoCS, "seller add acme <#C0ACME|acme-support> amazon.fr"); err != nil {
		return err
	}

	d.scene("A customer-service agent asks the seller a question")
	if err := d.slash(ctx, demoAgent, demoCS, "ask acme order 171-5550123-7654321 The buyer asks whether the charger supports USB-C Power Delivery at 65 W. Can you confirm?"); err != nil {
		return err
	}
	if err := h.Settle(ctx); err != nil {
		return err
	}
	card, ok := d.lastTopLevel(demoSellerCh)
	if !ok {
		return fmt.Errorf("the case card never reached #acme-support")
	}

	h.Clock.Advance(25 * time.Minute)
	d.scene("The seller takes the case, writes an internal note, then answers in the card's thread")
	if err := d.click(ctx, demoSellerCh, card, demoSeller, "case_take", "Take it"); err != nil {
		return err
	}
	d.reply(demoSellerCh, demoSeller, "// checking with the warehouse which batch we ship", card)
	h.Clock.Advance(15 * time.Minute)
	d.reply(demoSellerCh, demoSeller, "Yes: the charger supports USB-C Power Delivery up to 65 W, cable included.", card)
	if err := h.Settle(ctx); err != nil {
		return err
	}

	d.scene("The agent looks the case up")
	if err := d.slash(ctx, demoAgent, demoCS, "case SFP-1001"); err != nil {
		return err
	}

	d.scene("An agent asks about a seller nobody has routed yet: it waits in triage")
	if err := d.slash(ctx, demoAgent, demoCS, "ask globex Is the blue model back in stock before Christmas?"); err != nil {
		return err
	}
	if err := h.Settle(ctx); err != nil {
		return err
	}

	if err := d.refundScenes(ctx); err != nil {
		return err
	}
	if err := d.draftScene(ctx); err != nil {
		return err
	}

	fmt.Fprintf(out, "\n== What each channel saw ==\n\n")
	for _, ch := range []string{demoCS, demoSellerCh, demoTriage, demoEscalate} {
		fmt.Fprintln(out, d.tr.channel(f, ch))
	}
	fmt.Fprintf(out, "The note starting with // stayed in #acme-support; the answer reached @karim in his thread.\n")
	return nil
}

func (d *demoDay) scene(title string) {
	fmt.Fprintf(d.out, "\n— %s · %s\n", d.h.Clock.Now().In(d.tr.loc).Format("15:04"), title)
}

// slash runs a command and prints its private answer.
func (d *demoDay) slash(ctx context.Context, user, channel, text string) error {
	fmt.Fprintf(d.out, "  @%s in #%s: /sfp %s\n", d.tr.users[user], d.tr.channels[channel], d.tr.text(text))
	msg, err := d.h.Slash(ctx, user, channel, text)
	if err != nil {
		return err
	}
	if msg.Text != "" {
		fmt.Fprint(d.out, d.tr.ephemeral(user, msg.Text, blocksJSON(msg.Blocks)))
	}
	return nil
}

// click presses a button and says so.
func (d *demoDay) click(ctx context.Context, channel, ts, user, actionID, label string) error {
	fmt.Fprintf(d.out, "  @%s clicks [%s] on the card in #%s\n", d.tr.users[user], label, d.tr.channels[channel])
	_, err := d.h.Click(ctx, channel, ts, user, actionID)
	return err
}

// reply writes in a thread as a person and says so.
func (d *demoDay) reply(channel, user, text, thread string) {
	fmt.Fprintf(d.out, "  @%s in the thread: %s\n", d.tr.users[user], text)
	d.h.Fake.PostAsUser(channel, user, text, thread)
}

func (d *demoDay) lastTopLevel(channel string) (string, bool) {
	msgs := d.h.Fake.Messages(channel)
	for i := len(msgs) - 1; i >= 0; i-- {
		if !msgs[i].IsReply() {
			return msgs[i].TS, true
		}
	}
	return "", false
}

func blocksJSON(b slack.Blocks) []byte {
	if len(b.BlockSet) == 0 {
		return nil
	}
	raw, _ := b.MarshalJSON()
	if strings.TrimSpace(string(raw)) == "null" {
		return nil
	}
	return raw
}

// refundScenes plays the money side of the day: a refund Amazon customer
// service granted for a late delivery and the reimbursement claim filed
// against it, a parcel lost in transit that only the carrier pays back,
// and a return refunded within its 2 business days.
func (d *demoDay) refundScenes(ctx context.Context) error {
	h := d.h
	const (
		lateOrder   = "171-5550123-7654321"
		lostOrder   = "171-5550124-1111111"
		returnOrder = "171-5550125-2222222"
	)
	h.Clock.Advance(20 * time.Minute)
	d.scene("Amazon customer service refunded a late delivery: the agent passes the decision on")
	if err := d.slash(ctx, demoAgent, demoCS, "refund acme "+lateOrder+" 39,90 late_delivery returnless"); err != nil {
		return err
	}
	if err := h.Settle(ctx); err != nil {
		return err
	}
	refund, ok := d.lastTopLevel(demoSellerCh)
	if !ok {
		return fmt.Errorf("the refund card never reached #acme-support")
	}

	h.Clock.Advance(10 * time.Minute)
	d.scene("The seller files the reimbursement claim from the card, before its 30-day window closes")
	if err := d.click(ctx, demoSellerCh, refund, demoSeller, "claim_file", "File reimbursement claim"); err != nil {
		return err
	}
	if err := d.submit(ctx, demoSeller, "claim_file", [][2]string{
		{"reason", "late_delivery"},
		{"justification", "Handed to Colissimo on Friday as promised; the delivery scan shows the parcel delivered on the promised date."},
		{"tracking", "6A12345678901"}, {"carrier", "Colissimo"}, {"delivery_scan_date", "2026-11-20"},
		{"photos", "https://photos.acme.example/6A12345678901-scan.jpg"}, {"amount", "39,90"},
	}, "reason"); err != nil {
		return err
	}

	h.Clock.Advance(15 * time.Minute)
	d.scene("A parcel lost in transit: the reimbursement policy excludes it, the card points to the carrier")
	if err := d.slash(ctx, demoAgent, demoCS, "refund acme "+lostOrder+" 59,00 lost_in_transit returnless"); err != nil {
		return err
	}
	if err := h.Settle(ctx); err != nil {
		return err
	}

	h.Clock.Advance(2 * time.Hour)
	d.scene("A returned item reaches the warehouse: the 2-business-day refund clock starts")
	if err := d.slash(ctx, demoSeller, demoSellerCh, "return acme "+returnOrder); err != nil {
		return err
	}
	if err := h.Settle(ctx); err != nil {
		return err
	}
	ret, ok := d.lastTopLevel(demoSellerCh)
	if !ok {
		return fmt.Errorf("the return card never reached #acme-support")
	}

	now := h.Clock.Now().In(d.tr.loc)
	if err := d.sleepUntil(ctx, time.Date(now.Year(), now.Month(), now.Day()+1, 9, 0, 0, 0, d.tr.loc)); err != nil {
		return err
	}
	d.scene("Next morning at 09:00, the refund clock reminds the seller")
	reminded := false
	for _, m := range h.Fake.Thread(demoSellerCh, ret) {
		if strings.Contains(m.Text, "refund the returned item") {
			fmt.Fprintf(d.out, "  sfpdesk in the return's thread: %s\n", d.tr.text(m.Text))
			reminded = true
		}
	}
	if !reminded {
		return fmt.Errorf("the refund clock's morning reminder never came")
	}

	if err := d.sleepUntil(ctx, h.Clock.Now().Add(90*time.Minute)); err != nil {
		return err
	}
	d.scene("The seller refunds the buyer in Seller Central and marks the return refunded, a day early")
	if err := d.click(ctx, demoSellerCh, ret, demoSeller, "refund_mark", "Mark refunded"); err != nil {
		return err
	}
	if err := d.submit(ctx, demoSeller, "refund_mark", [][2]string{{"amount", "24,90"}}); err != nil {
		return err
	}

	d.scene("The lead looks at what can still be claimed back")
	return d.slash(ctx, demoLead, demoCS, "claims")
}

// sleepUntil lets the simulated clock run to t as time passes: it stops at
// each due entry on the way and lets the scheduler fire it then, so that
// nothing fires in a burst at t claiming sfpdesk was down.
func (d *demoDay) sleepUntil(ctx context.Context, t time.Time) error {
	nextDue := func() (time.Time, bool) {
		var at time.Time
		var ok bool
		d.h.Main.DB.View(ctx, func(tx store.Tx) error {
			var err error
			at, ok, err = tx.NextDue()
			return err
		})
		return at, ok
	}
	for {
		at, ok := nextDue()
		if !ok || at.After(t) {
			break
		}
		if at.After(d.h.Clock.Now()) {
			d.h.Clock.Set(at)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			if next, ok := nextDue(); !ok || next.After(at) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the scheduler did not fire what was due at %s", at.Format(time.RFC3339))
			}
			time.Sleep(2 * time.Millisecond)
		}
		if err := d.h.Settle(ctx); err != nil {
			return err
		}
	}
	d.h.Clock.Set(t)
	return d.h.Settle(ctx)
}

// submit fills the modal open for user, says what was typed, and checks
// that the bot took it.
func (d *demoDay) submit(ctx context.Context, user, callbackID string, fields [][2]string, selects ...string) error {
	var viewID string
	for _, v := range d.h.Fake.OpenViews(user) {
		if v.CallbackID == callbackID {
			viewID = v.ID
		}
	}
	if viewID == "" {
		return fmt.Errorf("no %s form open for %s", callbackID, d.tr.users[user])
	}
	vals := map[string]map[string]slack.BlockAction{}
	var typed []string
	for _, f := range fields {
		act := slack.BlockAction{Type: "plain_text_input", Value: f[1]}
		if slices.Contains(selects, f[0]) {
			act = slack.BlockAction{Type: "static_select", SelectedOption: slack.OptionBlockObject{Value: f[1]}}
		}
		vals[f[0]] = map[string]slack.BlockAction{f[0]: act}
		typed = append(typed, f[0]+": "+f[1])
	}
	fmt.Fprintf(d.out, "  @%s fills the form and submits it:\n      %s\n", d.tr.users[user], strings.Join(typed, "\n      "))
	ack, err := d.h.Submit(ctx, viewID, user, vals)
	if err != nil {
		return err
	}
	if strings.Contains(string(ack), `"errors"`) {
		return fmt.Errorf("the %s form was refused: %s", callbackID, ack)
	}
	return d.h.Settle(ctx)
}

// demoIntakeToken is the demo helpdesk's key to the intake API.
const demoIntakeToken = "demo-intake-token"

// draftScene plays a buyer's question from a helpdesk: the seller asks for
// a draft (from the templates: the demo has no model), fills in the gap the
// template leaves and sends it; the helpdesk receives the answer.
func (d *demoDay) draftScene(ctx context.Context) error {
	answers := make(chan string, 4)
	hd := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v struct {
			Answer string `json:"answer"`
		}
		json.NewDecoder(r.Body).Decode(&v)
		select {
		case answers <- v.Answer:
		default:
		}
	}))
	defer hd.Close()

	d.h.Clock.Advance(30 * time.Minute)
	d.scene("A buyer's question arrives from the helpdesk; the seller asks for a draft")
	body, _ := json.Marshal(map[string]any{
		"source_id": "helpdesk-4711", "kind": "product_question", "seller": "acme", "asin": "B0ARIA0001",
		"customer": map[string]any{"name": "Claire Rousseau", "language": "fr"},
		"body":     "Bonjour, est-ce que cette lampe accepte une ampoule E27 ? Merci d'avance.", "callback_url": hd.URL + "/sfpdesk", "source_name": "the helpdesk",
	})
	fmt.Fprintf(d.out, "  helpdesk: POST /api/v1/contacts — a product question from Claire R., in French\n")
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, d.h.URL("/api/v1/contacts"), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+demoIntakeToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		return fmt.Errorf("intake answered %s", resp.Status)
	}
	if err := d.h.Settle(ctx); err != nil {
		return err
	}
	card, ok := d.lastTopLevel(demoSellerCh)
	if !ok {
		return fmt.Errorf("the buyer's question never reached #acme-support")
	}
	if err := d.click(ctx, demoSellerCh, card, demoSeller, "draft_request", "Draft reply"); err != nil {
		return err
	}
	if err := d.h.Settle(ctx); err != nil {
		return err
	}
	var draft string
	for _, m := range d.h.Fake.Thread(demoSellerCh, card) {
		if strings.Contains(string(m.Blocks), `"action_id":"draft_edit"`) {
			draft = m.TS
			var b strings.Builder
			d.tr.message(&b, m, "  ↳ ")
			fmt.Fprint(d.out, b.String())
		}
	}
	if draft == "" {
		return fmt.Errorf("no draft in the card's thread")
	}

	d.h.Clock.Advance(5 * time.Minute)
	d.scene("The seller fills in the gap the template left and sends the reply")
	fmt.Fprintf(d.out, "  @%s clicks [Edit and send] on the draft\n", d.tr.users[demoSeller])
	if _, err := d.h.Click(ctx, demoSellerCh, draft, demoSeller, "draft_edit"); err != nil {
		return err
	}
	reply := "Bonjour Claire Rousseau, merci pour votre question. Non : la lampe Aria a une LED intégrée de 8 W, elle ne prend pas d'ampoule E27. Cordialement"
	if err := d.submit(ctx, demoSeller, "draft_edit", [][2]string{{"draft", reply}}); err != nil {
		return err
	}
	select {
	case a := <-answers:
		fmt.Fprintf(d.out, "  helpdesk received the answer for the buyer: %q\n", a)
	case <-time.After(5 * time.Second):
		return fmt.Errorf("the helpdesk never received the answer")
	}
	return nil
}
