package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

// The outbox's world: seller channels, the triage channel, two admins.
const (
	acme    = "C0ACME"
	globex  = "C0GLOBEX"
	initech = "C0INITECH"
	triage  = "C0TRIAGE"
	lea     = "U0LEA"
	tom     = "U0TOM"
)

var monday = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// desk is an outbox on a real bbolt file, talking over HTTP to the fake
// Slack, both on one simulated clock.
type desk struct {
	t       *testing.T
	clock   *sfp.FakeClock
	fake    *fakeslack.Server
	db      *bolt.DB
	api     *slack.Client
	out     *bot.Outbox
	metrics *bot.Metrics

	cancel context.CancelFunc
	done   chan struct{}
}

func newDesk(t *testing.T, configure func(o *bot.Outbox)) *desk {
	t.Helper()
	clock := sfp.NewFakeClock(monday)
	fake := fakeslack.New(fakeslack.WithClock(clock.Now))
	t.Cleanup(fake.Close)
	db, err := bolt.Open(filepath.Join(t.TempDir(), "sfpdesk.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, u := range []string{lea, tom} {
		fake.AddUser(u, strings.ToLower(u[3:]), u, false)
	}
	for _, ch := range []string{acme, globex, initech, triage} {
		fake.AddChannel(ch, strings.ToLower(ch[3:]), false, fake.BotUserID())
	}
	api := slack.New("xoxb-test", slack.OptionAPIURL(fake.APIURL()))
	d := &desk{t: t, clock: clock, fake: fake, db: db, api: api, metrics: bot.NewMetrics(db, clock)}
	d.out = &bot.Outbox{
		Store: db, API: api, Clock: clock, Metrics: d.metrics, Lang: bot.LangEN,
		TriageChannel: triage, Admins: []string{lea, tom},
	}
	if configure != nil {
		configure(d.out)
	}
	t.Cleanup(d.stop)
	return d
}

func (d *desk) start() {
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel, d.done = cancel, make(chan struct{})
	go func() {
		defer close(d.done)
		d.out.Run(ctx)
	}()
}

func (d *desk) stop() {
	if d.cancel != nil {
		d.cancel()
		<-d.done
		d.cancel = nil
	}
}

// enqueue commits messages as a handler would, and notifies.
func (d *desk) enqueue(ms ...*store.OutboxMessage) []uint64 {
	d.t.Helper()
	var ids []uint64
	err := d.db.Update(context.Background(), func(tx store.Tx) error {
		for _, m := range ms {
			if m.CreatedAt.IsZero() {
				m.CreatedAt = d.clock.Now()
			}
			id, err := tx.Enqueue(m)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		d.t.Fatal(err)
	}
	d.out.Notify()
	return ids
}

func (d *desk) put(fn func(tx store.Tx) error) {
	d.t.Helper()
	if err := d.db.Update(context.Background(), fn); err != nil {
		d.t.Fatal(err)
	}
}

func (d *desk) message(id uint64) *store.OutboxMessage {
	d.t.Helper()
	var m *store.OutboxMessage
	err := d.db.View(context.Background(), func(tx store.Tx) error {
		var err error
		m, err = tx.OutboxMessage(id)
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return m
}

func (d *desk) loadCase(id string) *sfp.Case {
	d.t.Helper()
	var c *sfp.Case
	err := d.db.View(context.Background(), func(tx store.Tx) error {
		var err error
		c, err = tx.Case(id)
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return c
}

// until waits for cond, moving the simulated clock whenever the outbox is
// asleep on it, so that rate limits and back-offs pass at once.
func (d *desk) until(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			d.t.Fatalf("timed out waiting for %s", what)
		}
		if at, ok := d.out.NextWake(); ok {
			d.clock.Set(at)
			continue
		}
		// The outbox is busy with the fake: wait for the fake to change.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
		d.fake.WaitFor(ctx, func() bool { return false })
		cancel()
	}
}

func (d *desk) settle() {
	d.t.Helper()
	d.until("the outbox to drain", func() bool { return d.out.Idle(context.Background()) })
}

// posts are the bot's messages in a channel, in posting order.
func (d *desk) posts(channel string) []fakeslack.Message {
	var out []fakeslack.Message
	for _, m := range d.fake.Messages(channel) {
		if m.BotID != "" {
			out = append(out, m)
		}
	}
	return out
}

func outboxID(m fakeslack.Message) string {
	if m.Metadata == nil {
		return ""
	}
	return fmt.Sprint(m.Metadata.EventPayload["outbox_id"])
}

func post(channel, text string) *store.OutboxMessage {
	return &store.OutboxMessage{Channel: channel, Text: text}
}

func TestPostsKeepToEachChannelsBudget(t *testing.T) {
	d := newDesk(t, nil)
	// Slack's limit, on the same clock: any excess would be a 429.
	d.fake.SetRateLimit(1, 3)
	var ms []*store.OutboxMessage
	for i := range 10 {
		ms = append(ms, post(acme, fmt.Sprintf("acme %d", i)), post(globex, fmt.Sprintf("globex %d", i)))
	}
	ids := d.enqueue(ms...)
	d.start()
	d.settle()
	if n := d.fake.Count429(); n != 0 {
		t.Errorf("%d 429s: the outbox discovered the limit instead of keeping it", n)
	}
	for c, channel := range []string{acme, globex} {
		got := d.posts(channel)
		if len(got) != 10 {
			t.Fatalf("%s has %d messages, want 10", channel, len(got))
		}
		for i, m := range got {
			// Three at once, then one a second, with the outbox's 3 %
			// of headroom.
			want := monday.Add(time.Duration(max(0, i-2)) * 1030 * time.Millisecond)
			if !m.Time.Equal(want) {
				t.Errorf("%s message %d posted at +%s, want +%s", channel, i, m.Time.Sub(monday), want.Sub(monday))
			}
			if id := outboxID(m); id != fmt.Sprint(ids[2*i+c]) {
				t.Errorf("%s message %d carries outbox id %s, want %d: out of order", channel, i, id, ids[2*i+c])
			}
		}
	}
	if got := counter(t, d.metrics, "sfpdesk_deliveries_total", "sent"); got != 20 {
		t.Errorf("deliveries_total{sent} = %v, want 20", got)
	}
}

func TestA429PausesOnlyWhatItLimits(t *testing.T) {
	t.Run("a 429 on chat.postMessage pauses that channel's posts", func(t *testing.T) {
		d := newDesk(t, nil)
		d.fake.FailNextHTTP("chat.postMessage", 429) // Retry-After: 1
		id := d.enqueue(post(acme, "first"))[0]
		d.start()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.fake.WaitFor(ctx, func() bool { return d.fake.Count429() == 1 }); err != nil {
			t.Fatal(err)
		}
		// The clock has not moved: another channel goes at once.
		d.enqueue(post(globex, "elsewhere"))
		if err := d.fake.WaitFor(ctx, func() bool { return len(d.posts(globex)) == 1 }); err != nil {
			t.Fatalf("another channel waited for acme's Retry-After: %v", err)
		}
		if n := len(d.posts(acme)); n != 0 {
			t.Fatalf("acme posted during its Retry-After")
		}
		d.settle()
		got := d.posts(acme)
		if len(got) != 1 || got[0].Time.Before(monday.Add(time.Second)) {
			t.Fatalf("acme after the 429: %+v", got)
		}
		if m := d.message(id); m.State != store.OutboxSent || m.InFlight {
			t.Errorf("message after the 429: %+v", m)
		}
		if got := counter(t, d.metrics, "sfpdesk_slack_ratelimited_total", "chat.postMessage"); got != 1 {
			t.Errorf("slack_ratelimited_total{chat.postMessage} = %v, want 1", got)
		}
	})
	t.Run("a 429 without Retry-After backs off, doubling", func(t *testing.T) {
		api := &refusing{statuses: []int{429, 429}}
		d := newDesk(t, func(o *bot.Outbox) { api.Client = o.API.(*slack.Client); o.API = api })
		d.enqueue(post(acme, "patient"))
		d.start()
		d.settle()
		got := d.posts(acme)
		if len(got) != 1 {
			t.Fatalf("%d messages, want 1", len(got))
		}
		if wait := got[0].Time.Sub(monday); wait < 3*time.Second {
			t.Errorf("posted after %s; two 429s without Retry-After should cost 1s + 2s", wait)
		}
	})
	t.Run("a 429 on chat.update pauses updates, not posts", func(t *testing.T) {
		d := newDesk(t, nil)
		_, card, err := d.api.PostMessage(globex, slack.MsgOptionText("card", false))
		if err != nil {
			t.Fatal(err)
		}
		d.fake.FailNextHTTP("chat.update", 429)
		d.enqueue(&store.OutboxMessage{Channel: globex, Op: store.OpUpdate, TargetTS: card, Text: "card, updated"})
		d.start()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := d.fake.WaitFor(ctx, func() bool { return d.fake.Count429() == 1 }); err != nil {
			t.Fatal(err)
		}
		d.enqueue(post(globex, "a post"), post(acme, "another post"))
		if err := d.fake.WaitFor(ctx, func() bool { return len(d.posts(acme)) == 1 && len(d.posts(globex)) == 2 }); err != nil {
			t.Fatalf("posts waited for the update budget's Retry-After: %v", err)
		}
		d.settle()
		ups := d.fake.Updates()
		if len(ups) != 1 || ups[0].Time.Before(monday.Add(time.Second)) {
			t.Fatalf("updates: %+v", ups)
		}
		if got := counter(t, d.metrics, "sfpdesk_slack_ratelimited_total", "chat.update"); got != 1 {
			t.Errorf("slack_ratelimited_total{chat.update} = %v, want 1", got)
		}
	})
}

// refusing is Slack answering HTTP statuses that slack-go cannot express
// through the fake: a 429 without Retry-After.
type refusing struct {
	*slack.Client
	mu       sync.Mutex
	statuses []int
}

func (r *refusing) PostMessageContext(ctx context.Context, channel string, opts ...slack.MsgOption) (string, string, error) {
	r.mu.Lock()
	if len(r.statuses) > 0 {
		code := r.statuses[0]
		r.statuses = r.statuses[1:]
		r.mu.Unlock()
		return "", "", slack.StatusCodeError{Code: code, Status: fmt.Sprint(code)}
	}
	r.mu.Unlock()
	return r.Client.PostMessageContext(ctx, channel, opts...)
}

func TestAnUnknownOutcomeIsLookedUpBeforeAnyResend(t *testing.T) {
	tests := []struct {
		name string
		// fail injects the failure into the first send.
		fail func(d *desk)
		// reply sends the message as a reply in a thread.
		reply bool
		// lookup is the method that must find (or not find) the message.
		lookup     string
		reconciled bool
	}{
		{"a 500 before Slack applied the post", func(d *desk) { d.fake.FailNextHTTP("chat.postMessage", 500) }, false, "conversations.history", false},
		{"a 503 after Slack applied the post", func(d *desk) { d.fake.FailNextAfterApply("chat.postMessage", 503) }, false, "conversations.history", true},
		{"a 500 after Slack applied a reply", func(d *desk) { d.fake.FailNextAfterApply("chat.postMessage", 500) }, true, "conversations.replies", true},
		{"a 502 before Slack applied a reply", func(d *desk) { d.fake.FailNextHTTP("chat.postMessage", 502) }, true, "conversations.replies", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDesk(t, nil)
			m := post(acme, "the answer")
			if tc.reply {
				_, parent, err := d.api.PostMessage(acme, slack.MsgOptionText("a card", false))
				if err != nil {
					t.Fatal(err)
				}
				m.ThreadTS = parent
			}
			tc.fail(d)
			id := d.enqueue(m)[0]
			d.start()
			d.settle()
			var got []fakeslack.Message
			for _, p := range d.posts(acme) {
				if outboxID(p) == fmt.Sprint(id) {
					got = append(got, p)
				}
			}
			if len(got) != 1 {
				t.Fatalf("the message is in the channel %d times, want once", len(got))
			}
			if n := d.fake.Calls(tc.lookup); n == 0 {
				t.Errorf("resent without a %s look-up", tc.lookup)
			}
			sends := 2
			if tc.reconciled {
				sends = 1
			}
			if n := d.fake.Calls("chat.postMessage") - btoi(tc.reply); n != sends {
				t.Errorf("%d chat.postMessage calls, want %d", n, sends)
			}
			if sm := d.message(id); sm.State != store.OutboxSent || sm.TS != got[0].TS || sm.InFlight {
				t.Errorf("stored message %+v; want sent at %s", sm, got[0].TS)
			}
			want := 0.0
			if tc.reconciled {
				want = 1
			}
			if got := counter(t, d.metrics, "sfpdesk_deliveries_total", "reconciled"); got != want {
				t.Errorf("deliveries_total{reconciled} = %v, want %v", got, want)
			}
		})
	}
	t.Run("a send that times out is looked up, then sent once", func(t *testing.T) {
		d := newDesk(t, func(o *bot.Outbox) { o.SendTimeout = 50 * time.Millisecond })
		d.fake.SetLatency(time.Second) // real time: the request leaves, the answer never comes in time
		id := d.enqueue(post(acme, "slow"))[0]
		d.start()
		d.until("the send to time out", func() bool { return d.message(id).LastError == "timeout" })
		d.fake.SetLatency(0)
		d.settle()
		if got := d.posts(acme); len(got) != 1 {
			t.Fatalf("%d messages, want 1", len(got))
		}
		if d.fake.Calls("conversations.history") == 0 {
			t.Errorf("resent without looking first")
		}
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestACrashLeavesNothingLostAndNothingTwice(t *testing.T) {
	tests := []struct {
		name string
		// before is what the crashed run did before dying, given the
		// message's id; it returns the ts Slack gave, if any.
		before func(d *desk, id uint64, thread string) string
		reply  bool
	}{
		{"it died after marking the card in flight, before the request left", func(d *desk, id uint64, thread string) string { return "" }, false},
		{"it died after Slack posted the card, before recording it", postedBehindOurBack, false},
		{"it died after Slack posted a reply, before recording it", postedBehindOurBack, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newDesk(t, nil)
			thread := ""
			if tc.reply {
				var err error
				if _, thread, err = d.api.PostMessage(acme, slack.MsgOptionText("a card", false)); err != nil {
					t.Fatal(err)
				}
			}
			d.put(func(tx store.Tx) error {
				return tx.PutCase(&sfp.Case{ID: "SFP-1001", Kind: sfp.KindCSContact, State: sfp.StateOpen, Seller: "acme", Channel: acme})
			})
			m := &store.OutboxMessage{CaseID: "SFP-1001", Channel: acme, Text: "the card", ThreadTS: thread}
			id := d.enqueue(m)[0]
			d.put(func(tx store.Tx) error {
				c, err := tx.Case("SFP-1001")
				if err != nil {
					return err
				}
				c.Card = sfp.MessageRef{Channel: acme, OutboxID: id}
				if err := tx.PutCase(c); err != nil {
					return err
				}
				m.InFlight, m.Attempts = true, 1
				return tx.PutOutbox(m)
			})
			ts := tc.before(d, id, thread)
			before := d.fake.Calls("chat.postMessage")

			d.start() // the restart
			d.settle()

			var got []fakeslack.Message
			for _, p := range d.posts(acme) {
				if outboxID(p) == fmt.Sprint(id) {
					got = append(got, p)
				}
			}
			if len(got) != 1 {
				t.Fatalf("the message is in the channel %d times, want once", len(got))
			}
			if ts != "" {
				if got[0].TS != ts {
					t.Errorf("found %s, want the message posted before the crash, %s", got[0].TS, ts)
				}
				if n := d.fake.Calls("chat.postMessage") - before; n != 0 {
					t.Errorf("%d posts after the restart, want none", n)
				}
			}
			if c := d.loadCase("SFP-1001"); c.Card.TS != got[0].TS {
				t.Errorf("the case's card is %+v, want ts %s", c.Card, got[0].TS)
			}
		})
	}
}

// postedBehindOurBack posts the message as the crashed run's request did,
// metadata and all, and returns its ts.
func postedBehindOurBack(d *desk, id uint64, thread string) string {
	d.t.Helper()
	opts := []slack.MsgOption{slack.MsgOptionText("the card", false), slack.MsgOptionMetadata(slack.SlackMetadata{
		EventType: bot.MetadataEventType, EventPayload: map[string]any{"case_id": "SFP-1001", "outbox_id": id},
	})}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	_, ts, err := d.api.PostMessage(acme, opts...)
	if err != nil {
		d.t.Fatal(err)
	}
	return ts
}

func TestSlackRefusingForGood(t *testing.T) {
	const gone = "C0GONE" // a channel deleted since it was routed
	route := func(channel string) func(d *desk) {
		return func(d *desk) {
			d.put(func(tx store.Tx) error {
				return tx.PutSeller(&sfp.Seller{Name: "acme", Routes: []sfp.Route{{Seller: "acme", Channel: channel}}})
			})
		}
	}
	removed := func(d *desk) {
		route(acme)(d)
		d.fake.SetBotMember(acme, false)
	}
	tests := []struct {
		name    string
		setup   func(d *desk)
		channel string
		text    string
		rescue  bool
		// code is what the case records; admins says whether the admins
		// hear of it.
		code   string
		triage bool
		admins bool
	}{
		{"the bot was removed from a seller's channel", removed, acme, "card", false, "not_in_channel", true, true},
		{"the seller's channel was deleted", route(gone), gone, "card", false, "channel_not_found", true, true},
		{"a channel that is nobody's route", func(d *desk) { d.fake.SetBotMember(acme, false) }, acme, "card", false, "not_in_channel", true, false},
		{"a message Slack will not take", route(acme), acme, strings.Repeat("long ", 9000), false, "msg_too_long", true, false},
		{"the rescue delivers it another way", removed, acme, "card", true, "", false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rescued []uint64
			d := newDesk(t, func(o *bot.Outbox) {
				o.Rescue = func(ctx context.Context, m *store.OutboxMessage, code string) bool {
					if tc.rescue {
						rescued = append(rescued, m.ID)
					}
					return tc.rescue
				}
			})
			tc.setup(d)
			d.put(func(tx store.Tx) error {
				for _, id := range []string{"SFP-1001", "SFP-1002"} {
					if err := tx.PutCase(&sfp.Case{ID: id, Kind: sfp.KindCSContact, State: sfp.StateOpen, Seller: "acme", Channel: tc.channel}); err != nil {
						return err
					}
				}
				return nil
			})
			ids := d.enqueue(
				&store.OutboxMessage{CaseID: "SFP-1001", Channel: tc.channel, Text: tc.text},
				&store.OutboxMessage{CaseID: "SFP-1002", Channel: tc.channel, Text: tc.text},
			)
			d.start()
			d.settle()
			for _, id := range ids {
				if m := d.message(id); m.State != store.OutboxFailed {
					t.Errorf("message %d is %s, want failed", id, m.State)
				}
			}
			for _, id := range []string{"SFP-1001", "SFP-1002"} {
				c := d.loadCase(id)
				recorded := false
				for _, e := range c.Events {
					if e.Type == sfp.EventDelivery && strings.Contains(e.Detail, tc.code) {
						recorded = true
					}
				}
				if want := tc.code != ""; recorded != want {
					t.Errorf("%s: delivery failure recorded %v, want %v: %+v", id, recorded, want, c.Events)
				}
			}
			reports := d.posts(triage)
			if want := btoi(tc.triage); len(reports) != want {
				t.Fatalf("%d reports in triage, want %d (once per channel and error)", len(reports), want)
			}
			if tc.triage {
				for _, w := range []string{"<#" + tc.channel + ">", tc.code, "/sfp case SFP-1001"} {
					if !strings.Contains(reports[0].Text, w) {
						t.Errorf("the report lacks %q: %s", w, reports[0].Text)
					}
				}
			}
			for _, admin := range []string{lea, tom} {
				dms := d.posts(d.fake.OpenDM(admin))
				if want := btoi(tc.admins); len(dms) != want {
					t.Errorf("%s got %d direct messages, want %d", admin, len(dms), want)
					continue
				}
				if tc.admins && (!strings.Contains(dms[0].Text, "acme") || !strings.Contains(dms[0].Text, "/invite")) {
					t.Errorf("the admin's message does not say what to do: %s", dms[0].Text)
				}
			}
			if tc.rescue && len(rescued) != 2 {
				t.Errorf("rescue offered %d messages, want 2", len(rescued))
			}
		})
	}
	t.Run("a report the triage channel refuses reports nothing", func(t *testing.T) {
		d := newDesk(t, nil)
		d.fake.SetBotMember(acme, false)
		d.fake.SetBotMember(triage, false)
		d.enqueue(post(acme, "card"))
		d.start()
		d.settle()
		if n := d.fake.Calls("chat.postMessage"); n != 2 {
			t.Errorf("%d posts, want the card and one report", n)
		}
	})
}

func TestUpdates(t *testing.T) {
	t.Run("queued updates of one card are merged and the latest wins", func(t *testing.T) {
		d := newDesk(t, nil)
		card := d.enqueue(post(acme, "card v1"))[0]
		var ups []*store.OutboxMessage
		for i := 2; i <= 4; i++ {
			ups = append(ups, &store.OutboxMessage{Channel: acme, Op: store.OpUpdate, Target: card, Text: fmt.Sprintf("card v%d", i)})
		}
		ids := d.enqueue(ups...)
		d.start()
		d.settle()
		got := d.fake.Updates()
		if len(got) != 1 || got[0].Text != "card v4" {
			t.Fatalf("updates sent: %+v, want one, the latest", got)
		}
		for _, id := range ids[:2] {
			if m := d.message(id); m.State != store.OutboxSent || m.LastError != "superseded" {
				t.Errorf("merged update %d: %+v", id, m)
			}
		}
		if got := counter(t, d.metrics, "sfpdesk_deliveries_total", "superseded"); got != 2 {
			t.Errorf("deliveries_total{superseded} = %v, want 2", got)
		}
	})
	t.Run("updates share one budget across the workspace", func(t *testing.T) {
		d := newDesk(t, func(o *bot.Outbox) { o.UpdateRate, o.UpdateBurst = 1, 1 })
		var ups []*store.OutboxMessage
		for _, ch := range []string{acme, globex, initech} {
			_, ts, err := d.api.PostMessage(ch, slack.MsgOptionText("card", false))
			if err != nil {
				t.Fatal(err)
			}
			ups = append(ups, &store.OutboxMessage{Channel: ch, Op: store.OpUpdate, TargetTS: ts, Text: "updated"})
		}
		d.enqueue(ups...)
		d.start()
		d.settle()
		got := d.fake.Updates()
		if len(got) != 3 {
			t.Fatalf("%d updates, want 3", len(got))
		}
		for i, u := range got {
			if want := monday.Add(time.Duration(i) * 1030 * time.Millisecond); !u.Time.Equal(want) {
				t.Errorf("update %d at +%s, want +%s", i, u.Time.Sub(monday), want.Sub(monday))
			}
		}
	})
	t.Run("posts do not wait for the update budget", func(t *testing.T) {
		d := newDesk(t, func(o *bot.Outbox) { o.UpdateRate, o.UpdateBurst = 1.0/60, 1 })
		var ups []*store.OutboxMessage
		for range 2 {
			_, ts, err := d.api.PostMessage(acme, slack.MsgOptionText("card", false))
			if err != nil {
				t.Fatal(err)
			}
			ups = append(ups, &store.OutboxMessage{Channel: acme, Op: store.OpUpdate, TargetTS: ts, Text: "updated"})
		}
		d.enqueue(append(ups, post(acme, "a reply that must not wait"))...)
		d.start()
		d.settle()
		var reply fakeslack.Message
		for _, m := range d.posts(acme) {
			if m.Text == "a reply that must not wait" {
				reply = m
			}
		}
		if !reply.Time.Equal(monday) {
			t.Errorf("the post went at +%s, behind an update waiting for its budget", reply.Time.Sub(monday))
		}
		if got := d.fake.Updates(); len(got) != 2 || got[1].Time.Sub(monday) < time.Minute {
			t.Errorf("updates: %+v; the second should wait a minute", got)
		}
	})
	t.Run("updates do not wait behind a post that backs off", func(t *testing.T) {
		d := newDesk(t, nil)
		_, ts, err := d.api.PostMessage(acme, slack.MsgOptionText("card", false))
		if err != nil {
			t.Fatal(err)
		}
		d.fake.FailNextHTTP("chat.postMessage", 500)
		d.enqueue(post(acme, "a post Slack fails"), &store.OutboxMessage{Channel: acme, Op: store.OpUpdate, TargetTS: ts, Text: "updated"})
		d.start()
		d.settle()
		got := d.fake.Updates()
		if len(got) != 1 || !got[0].Time.Equal(monday) {
			t.Errorf("updates: %+v; want one, at once", got)
		}
	})
}

func TestPendingMessagesAreMeasured(t *testing.T) {
	d := newDesk(t, nil)
	// globex is routed but has posted nothing and has no case: its series
	// are there from the start, at 0.
	if err := d.db.Update(context.Background(), func(tx store.Tx) error {
		for name, ch := range map[string]string{"acme": acme, "globex": globex} {
			if err := tx.PutSeller(&sfp.Seller{Name: name, Routes: []sfp.Route{{Channel: ch}}}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	zeros := func(body, when string, channels ...string) {
		t.Helper()
		want := []string{`sfpdesk_open_cases{seller="acme"} 0`, `sfpdesk_open_cases{seller="globex"} 0`}
		for _, ch := range channels {
			want = append(want, `sfpdesk_outbox_depth{channel="`+ch+`"} 0`, `sfpdesk_outbox_oldest_age_seconds{channel="`+ch+`"} 0`)
		}
		for _, w := range want {
			if !strings.Contains(body, w+"\n") {
				t.Errorf("%s, metrics lack %s:\n%s", when, w, body)
			}
		}
	}
	zeros(gather(t, d.metrics), "before any post", acme, globex)
	d.enqueue(post(acme, "one"), post(acme, "two"))
	d.clock.Advance(90 * time.Second)
	body := gather(t, d.metrics)
	for _, want := range []string{`sfpdesk_outbox_depth{channel="C0ACME"} 2`, `sfpdesk_outbox_oldest_age_seconds{channel="C0ACME"} 90`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s:\n%s", want, body)
		}
	}
	d.start()
	d.settle()
	zeros(gather(t, d.metrics), "once drained", acme, globex)
}

// gather renders the metrics as name{label="value",…} value lines.
func gather(t *testing.T, m *bot.Metrics) string {
	t.Helper()
	mfs, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		for _, mm := range mf.GetMetric() {
			var labels []string
			for _, l := range mm.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			v := mm.GetGauge().GetValue() + mm.GetCounter().GetValue()
			fmt.Fprintf(&b, "%s{%s} %s\n", mf.GetName(), strings.Join(labels, ","), strconv.FormatFloat(v, 'g', -1, 64))
		}
	}
	return b.String()
}

// counter reads one labelled series of a metric; 0 when absent.
func counter(t *testing.T, m *bot.Metrics, name, label string) float64 {
	t.Helper()
	for _, line := range strings.Split(gather(t, m), "\n") {
		if strings.HasPrefix(line, name+"{") && strings.Contains(line, fmt.Sprintf("=%q}", label)) {
			v, _ := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			return v
		}
	}
	return 0
}
