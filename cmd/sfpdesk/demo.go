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

	"github.com/sfpdesk/sfpdesk/bot"

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
	lang := fs.String("lang", demoLang(os.LookupEnv), "the bot's language, `fr or en` (default SFPDESK_LANG, else fr)")
	if code, ok := parseFlags(fs, args, stdout, stderr, false); !ok {
		return code
	}
	if *lang = strings.ToLower(*lang); !bot.ValidLang(*lang) {
		fmt.Fprintf(stderr, "sfpdesk demo: --lang %q: the bot speaks fr and en\n", *lang)
		fs.Usage()
		return 2
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
	if err := playDemo(context.Background(), dir, *lang, stdout, logw); err != nil {
		fmt.Fprintf(stderr, "demo: %v\n", err)
		return 1
	}
	return 0
}

// demoLang is the demo's language when --lang is not given: the bot's
// default language, as serve would speak it.
func demoLang(getenv func(string) (string, bool)) string {
	if v, ok := getenv("SFPDESK_LANG"); ok && bot.ValidLang(strings.ToLower(strings.TrimSpace(v))) {
		return strings.ToLower(strings.TrimSpace(v))
	}
	s, _ := lookupSetting("SFPDESK_LANG")
	return s.def
}

// demoDay is the script; each scene prints what the people in it saw.
type demoDay struct {
	h    *harness
	out  io.Writer
	tr   *transcript
	lang string
	// words are what the people of the day type, in their language.
	words demoWords
}

// demoWords are the people's own words in the demo, per language: the
// bot's come from its catalogue.
type demoWords struct {
	question, note, answer, triage, justification string
}

var demoScript = map[string]demoWords{
	bot.LangEN: {
		question:      "The buyer asks whether the charger supports USB-C Power Delivery at 65 W. Can you confirm?",
		note:          "// checking with the warehouse which batch we ship",
		answer:        "Yes: the charger supports USB-C Power Delivery up to 65 W, cable included.",
		triage:        "Is the blue model back in stock before Christmas?",
		justification: "Handed to Colissimo on Friday as promised; the delivery scan shows the parcel delivered on the promised date.",
	},
	bot.LangFR: {
		question:      "L'acheteur demande si le chargeur gère l'USB-C Power Delivery à 65 W. Pouvez-vous confirmer ?",
		note:          "// je vérifie avec l'entrepôt quel lot nous expédions",
		answer:        "Oui : le chargeur gère l'USB-C Power Delivery jusqu'à 65 W, câble fourni.",
		triage:        "Le modèle bleu sera-t-il de nouveau en stock avant Noël ?",
		justification: "Remis à Colissimo vendredi comme promis ; le scan de livraison montre le colis livré à la date promise.",
	},
}

// say is a line of the demo's own narration, in its language.
func (d *demoDay) say(id string, args ...any) string { return bot.T(d.lang, "demo."+id, args...) }

func playDemo(ctx context.Context, dir, lang string, out, logw io.Writer) error {
	paris, _ := time.LoadLocation("Europe/Paris")
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, paris) // a Monday
	mailboxes, err := startDemoMail()
	if err != nil {
		return err
	}
	defer mailboxes.Close()
	h, err := startHarness(ctx, harnessOptions{
		Dir: dir, Start: start, Log: logw,
		Configure: func(c *Config) {
			c.Admins = []string{demoLead}
			c.TriageChannel, c.EscalationChannel = demoTriage, demoEscalate
			c.Location, c.Lang = paris, lang
			// The buyer's question of the drafts scene comes from a
			// helpdesk on this machine, which receives the answer.
			c.IntakeToken, c.CallbackAllow = demoIntakeToken, []string{"127.0.0.1"}
			mailboxes.configure(c)
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
	d := &demoDay{h: h, out: out, lang: lang, words: demoScript[lang], tr: &transcript{
		users:    map[string]string{demoLead: "lea", demoAgent: "karim", demoSeller: "marie", "U0BOT": "sfpdesk"},
		channels: map[string]string{demoCS: "cs-team", demoSellerCh: "acme-support", demoTriage: "sfp-triage", demoEscalate: "sfp-escalations"},
		loc:      paris,
		lang:     lang,
	}}
	fmt.Fprintln(out, d.say("title", bot.DayTime(start, lang)))

	d.scene("route")
	if err := d.slash(ctx, demoLead, demoCS, "seller add acme <#C0ACME|acme-support> amazon.fr"); err != nil {
		return err
	}

	d.scene("ask")
	if err := d.slash(ctx, demoAgent, demoCS, "ask acme order 171-5550123-7654321 "+d.words.question); err != nil {
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
	d.scene("answer")
	if err := d.click(ctx, demoSellerCh, card, demoSeller, "case_take", "btn.take"); err != nil {
		return err
	}
	d.reply(demoSellerCh, demoSeller, d.words.note, card)
	h.Clock.Advance(15 * time.Minute)
	d.reply(demoSellerCh, demoSeller, d.words.answer, card)
	if err := h.Settle(ctx); err != nil {
		return err
	}

	d.scene("lookup")
	if err := d.slash(ctx, demoAgent, demoCS, "case SFP-1001"); err != nil {
		return err
	}

	d.scene("triage")
	if err := d.slash(ctx, demoAgent, demoCS, "ask globex "+d.words.triage); err != nil {
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
	if err := d.mailScenes(ctx, mailboxes); err != nil {
		return err
	}

	fmt.Fprintf(out, "\n%s\n\n", d.say("channels"))
	for _, ch := range []string{demoCS, demoSellerCh, demoTriage, demoEscalate} {
		fmt.Fprintln(out, d.tr.channel(f, ch))
	}
	fmt.Fprintln(out, d.say("end"))
	return nil
}

// scene starts a scene under its time, with the day where the day changed
// since the last one.
func (d *demoDay) scene(id string) {
	fmt.Fprintf(d.out, "\n— %s · %s\n", d.tr.when(d.h.Clock.Now(), &d.tr.sceneDay), d.say("scene."+id))
}

// slash runs a command and prints its private answer.
func (d *demoDay) slash(ctx context.Context, user, channel, text string) error {
	fmt.Fprintf(d.out, "  %s\n", d.say("says", d.tr.users[user], d.tr.channels[channel], "/sfp "+d.tr.text(text)))
	msg, err := d.h.Slash(ctx, user, channel, text)
	if err != nil {
		return err
	}
	if msg.Text != "" {
		fmt.Fprint(d.out, d.tr.ephemeral(user, msg.Text, blocksJSON(msg.Blocks)))
	}
	return nil
}

// click presses a button and says so, with the label (a catalogue id) the
// person read on it.
func (d *demoDay) click(ctx context.Context, channel, ts, user, actionID, label string) error {
	fmt.Fprintf(d.out, "  %s\n", d.say("clicks", d.tr.users[user], bot.T(d.lang, label), d.tr.channels[channel]))
	_, err := d.h.Click(ctx, channel, ts, user, actionID)
	return err
}

// reply writes in a thread as a person and says so.
func (d *demoDay) reply(channel, user, text, thread string) {
	fmt.Fprintf(d.out, "  %s\n", d.say("in_thread", d.tr.users[user], text))
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
	d.scene("refund")
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
	d.scene("claim")
	if err := d.click(ctx, demoSellerCh, refund, demoSeller, "claim_file", "btn.claim"); err != nil {
		return err
	}
	if err := d.submit(ctx, demoSeller, "claim_file", [][2]string{
		{"reason", "late_delivery"},
		{"justification", d.words.justification},
		{"tracking", "6A12345678901"}, {"carrier", "Colissimo"}, {"delivery_scan_date", "2026-11-20"},
		{"photos", "https://photos.acme.example/6A12345678901-scan.jpg"}, {"amount", "39,90"},
	}, "reason"); err != nil {
		return err
	}

	h.Clock.Advance(15 * time.Minute)
	d.scene("lost")
	if err := d.slash(ctx, demoAgent, demoCS, "refund acme "+lostOrder+" 59,00 lost_in_transit returnless"); err != nil {
		return err
	}
	if err := h.Settle(ctx); err != nil {
		return err
	}

	h.Clock.Advance(2 * time.Hour)
	d.scene("return")
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
	morning := time.Date(now.Year(), now.Month(), now.Day()+1, 9, 0, 0, 0, d.tr.loc)
	if err := d.sleepUntil(ctx, morning); err != nil {
		return err
	}
	d.scene("morning")
	// The reminder is the bot's message in the return's thread posted this
	// morning, in whatever language the bot speaks.
	reminded := false
	for _, m := range h.Fake.Thread(demoSellerCh, ret) {
		if m.TS != ret && m.BotID != "" && !m.Time.Before(morning) {
			fmt.Fprintf(d.out, "  %s\n", d.say("reminder", d.tr.text(m.Text)))
			reminded = true
		}
	}
	if !reminded {
		return fmt.Errorf("the refund clock's morning reminder never came")
	}

	if err := d.sleepUntil(ctx, h.Clock.Now().Add(90*time.Minute)); err != nil {
		return err
	}
	d.scene("refunded")
	if err := d.click(ctx, demoSellerCh, ret, demoSeller, "refund_mark", "btn.refunded"); err != nil {
		return err
	}
	if err := d.submit(ctx, demoSeller, "refund_mark", [][2]string{{"amount", "24,90"}}); err != nil {
		return err
	}

	d.scene("claims")
	return d.slash(ctx, demoLead, demoCS, "claims")
}

// sleepUntil lets the simulated clock run to t as time passes: it stops at
// each due entry on the way and lets the scheduler fire it then, so that
// nothing fires in a burst at t claiming sfpdesk was down.
func (d *demoDay) sleepUntil(ctx context.Context, t time.Time) error {
	nextDue := func() (time.Time, bool) {
		var at time.Time
		var ok bool
		d.h.Main.Store.View(ctx, func(tx store.Tx) error {
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
	fmt.Fprintf(d.out, "  %s\n      %s\n", d.say("fills", d.tr.users[user]), strings.Join(typed, "\n      "))
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
	d.scene("intake")
	body, _ := json.Marshal(map[string]any{
		"source_id": "helpdesk-4711", "kind": "product_question", "seller": "acme", "asin": "B0ARIA0001",
		"customer": map[string]any{"name": "Claire Rousseau", "language": "fr"},
		"body":     "Bonjour, est-ce que cette lampe accepte une ampoule E27 ? Merci d'avance.", "callback_url": hd.URL + "/sfpdesk", "source_name": "Helpdesk",
	})
	fmt.Fprintf(d.out, "  %s\n", d.say("intake"))
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
	if err := d.click(ctx, demoSellerCh, card, demoSeller, "draft_request", "btn.draft"); err != nil {
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
	d.scene("send")
	fmt.Fprintf(d.out, "  %s\n", d.say("clicks_draft", d.tr.users[demoSeller], bot.T(d.lang, "btn.draft_edit")))
	if _, err := d.h.Click(ctx, demoSellerCh, draft, demoSeller, "draft_edit"); err != nil {
		return err
	}
	reply := "Bonjour Claire, merci pour votre question. Non : la lampe Aria a une LED intégrée de 8 W, elle ne prend pas d'ampoule E27. Cordialement"
	if err := d.submit(ctx, demoSeller, "draft_edit", [][2]string{{"draft", reply}}); err != nil {
		return err
	}
	select {
	case a := <-answers:
		fmt.Fprintf(d.out, "  %s\n", d.say("received", a))
	case <-time.After(5 * time.Second):
		return fmt.Errorf("the helpdesk never received the answer")
	}
	return nil
}
