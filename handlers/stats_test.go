package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

const boltChannel = "C0BOLTSHOP"

// statsWorld has two sellers: acme, whose channel Alice is in, and
// boltshop, whose channel she is not in.
func statsWorld(t *testing.T) *clocks {
	h := newClocks(t, monday10)
	h.fake.AddUser("U0BOB", "bob", "Bob Nobody", false)
	h.fake.AddChannel(boltChannel, "boltshop-support", false, h.fake.BotUserID())
	h.update(func(tx store.Tx) error {
		return tx.PutSeller(&sfp.Seller{Name: "boltshop", Routes: []sfp.Route{{Seller: "boltshop", Channel: boltChannel}}})
	})
	now := monday10
	answered := func(c *sfp.Case, after time.Duration) {
		h.update(func(tx store.Tx) error {
			c, _ := tx.Case(c.ID)
			at := c.ReceivedAt.Add(after)
			c.State, c.AnsweredAt = sfp.StateAnswered, &at
			return tx.PutCase(c)
		})
	}
	answered(h.newCase(sfp.KindProductQuestion, now.Add(-48*time.Hour)), 30*time.Hour) // late
	answered(h.newCase(sfp.KindOrderQuestion, now.Add(-10*time.Hour)), 2*time.Hour)
	h.newCase(sfp.KindPreOrderQuestion, now.Add(-40*time.Hour)) // unanswered, late
	nrn := h.newCase(sfp.KindProductQuestion, now.Add(-20*time.Hour))
	h.update(func(tx store.Tx) error {
		c, _ := tx.Case(nrn.ID)
		c.State = sfp.StateNoResponseNeeded
		c.AddEvent(now, sfp.EventNoResponse, "U0ALICE", "")
		return tx.PutCase(c)
	})
	answered(h.newCase(sfp.KindProductQuestion, now.Add(-20*24*time.Hour)), time.Hour) // in 30d, not in 7d
	h.newCase(sfp.KindProductQuestion, now.Add(-5*time.Hour), func(in *newCase) { in.Seller = "boltshop" })
	return h
}

func (h *clocks) command(user, text string) string {
	h.t.Helper()
	reply := h.app.Command(context.Background(), slack.SlashCommand{Command: "/sfp", Text: text, UserID: user, ChannelID: sellerChannel})
	m, ok := reply.(*slack.Msg)
	if !ok {
		h.t.Fatalf("/sfp %s answered %T", text, reply)
	}
	return m.Text
}

func TestStatsCommand(t *testing.T) {
	h := statsWorld(t)
	tests := []struct {
		name, user, text string
		want, notWant    []string
	}{
		{"admin, all sellers, 30 days by default", "U0ADMIN", "stats",
			[]string{"last 30 days", "*acme* · late responses 50.0% (2 of 4) · average response time 11 hours · 3 answered · 1 no response needed",
				"*boltshop* · late responses n/a · average response time n/a · 0 answered · 0 no response needed"}, nil},
		{"one seller over 7 days", "U0ADMIN", "stats acme 7d",
			[]string{"last 7 days", "*acme* · late responses 66.7% (2 of 3) · average response time 16 hours · 2 answered · 1 no response needed"},
			[]string{"boltshop"}},
		{"a period without a seller", "U0ADMIN", "stats 90d",
			[]string{"last 90 days", "*acme*", "*boltshop*"}, nil},
		{"a member of acme's channel sees acme only", "U0ALICE", "stats",
			[]string{"*acme*"}, []string{"boltshop"}},
		{"a member asking for a seller she cannot see", "U0ALICE", "stats boltshop",
			[]string{"No seller `boltshop` that you can see."}, []string{"late responses"}},
		{"someone in no seller's channel", "U0BOB", "stats",
			[]string{"No seller you can see has figures yet."}, nil},
		{"a wrong period", "U0ADMIN", "stats acme 14d",
			[]string{"`14d` is not a period"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := h.command(tt.user, tt.text)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("/sfp %s =\n%s\nwant it to contain %q", tt.text, got, w)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("/sfp %s =\n%s\nmust not contain %q", tt.text, got, w)
				}
			}
		})
	}
}

func TestStatsInFrenchUseADecimalComma(t *testing.T) {
	h := statsWorld(t)
	h.app.Settings.Lang = "fr"
	if got := h.command("U0ADMIN", "stats acme 7d"); !strings.Contains(got, "66,7\u00a0% (2 sur 3)") {
		t.Errorf("got %q", got)
	}
}

func TestBreachesCommand(t *testing.T) {
	h := newClocks(t, monday10)
	late := h.newCase(sfp.KindOrderQuestion, monday10.Add(-30*time.Hour))
	soon := h.newCase(sfp.KindProductQuestion, monday10.Add(-23*time.Hour-30*time.Minute))
	later := h.newCase(sfp.KindProductQuestion, monday10.Add(-22*time.Hour))
	answeredLate := h.newCase(sfp.KindProductQuestion, monday10.Add(-30*time.Hour))
	h.app.markAnswered(context.Background(), answeredLate.ID, "U0ALICE")
	got := h.command("U0ALICE", "breaches")
	if !strings.Contains(got, "2 open cases late or due within the hour") {
		t.Errorf("title missing in\n%s", got)
	}
	if i, j := strings.Index(got, late.ID), strings.Index(got, soon.ID); i < 0 || j < 0 || i > j {
		t.Errorf("want %s then %s in\n%s", late.ID, soon.ID, got)
	}
	for _, c := range []*sfp.Case{later, answeredLate} {
		if strings.Contains(got, c.ID) {
			t.Errorf("%s listed in\n%s", c.ID, got)
		}
	}
	if got := h.command("U0BOB", "breaches"); !strings.Contains(got, "No open case is late") {
		t.Errorf("someone in no seller's channel sees\n%s", got)
	}
}

// From Slack, with a response_url, the figures (a scan of every case) come
// after the acknowledgement: the ack is empty and the answer follows.
func TestStatsAnswerThroughResponseURL(t *testing.T) {
	h := statsWorld(t)
	cmd := h.fake.PrepareSlashCommand(slack.SlashCommand{Command: "/sfp", Text: "stats acme 7d", UserID: "U0ALICE", ChannelID: sellerChannel})
	if reply := h.app.Command(context.Background(), cmd); reply != nil {
		if m, ok := reply.(*slack.Msg); ok && m != nil {
			t.Errorf("the acknowledgement carries %q; want the answer later", m.Text)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := h.fake.WaitFor(ctx, func() bool {
		for _, r := range h.fake.Responses() {
			if strings.Contains(r.Text, "*acme* · late responses 66.7% (2 of 3)") {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Errorf("no stats through response_url: %v", err)
	}
	h.app.Close()
}

// Amazon's Contact Response Time counts buyer messages only: a question
// customer service brought, however late, leaves the headline alone and
// gets a line of its own, as do A-to-z answers; buyer messages are split
// pre-order / post-order as in Seller Central.
func TestStatsCountBuyerMessagesAsSellerCentral(t *testing.T) {
	h := statsWorld(t)
	h.newCase(sfp.KindCSContact, monday10.Add(-50*time.Hour)) // unanswered, late
	atoz := h.newCase(sfp.KindAToZClaim, monday10.Add(-10*time.Hour))
	h.update(func(tx store.Tx) error {
		c, _ := tx.Case(atoz.ID)
		at := c.ReceivedAt.Add(5 * time.Hour)
		c.State, c.AnsweredAt = sfp.StateAnswered, &at
		return tx.PutCase(c)
	})
	got := h.command("U0ADMIN", "stats acme")
	for _, w := range []string{
		"*acme* · late responses 50.0% (2 of 4) · average response time 11 hours · 3 answered · 1 no response needed",
		"buyer messages 5 · pre-order 4, late 66.7% (2 of 3), average 15 h 30 min · post-order 1, late 0.0% (0 of 1), average 2 hours",
		"customer service questions 1 · late 100.0% (1 of 1) · average n/a",
		"A-to-z answers 1 · late 0.0% (0 of 1) · average 5 hours",
	} {
		if !strings.Contains(got, w) {
			t.Errorf("/sfp stats acme =\n%s\nwant it to contain %q", got, w)
		}
	}
}
