package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/slack-go/slack"
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
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	verbose := fs.Bool("v", false, "also print the bot's log")
	if err := fs.Parse(args); err != nil {
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

	fmt.Fprintf(out, "\n== What each channel saw ==\n\n")
	for _, ch := range []string{demoCS, demoSellerCh, demoTriage} {
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
