package handlers

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

var clockParis = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err)
	}
	return loc
}()

// monday10 is Monday 2 November 2026, 10:00 in Paris: a plain working day.
var monday10 = time.Date(2026, 11, 2, 10, 0, 0, 0, clockParis)

const (
	sellerChannel     = "C0ACME"
	escalationChannel = "C0ESCAL"
	agentChannel      = "C0AGENTS"
	onCallGroup       = "<!subteam^S0ONCALL|@acme-oncall>"
)

// clocks is a real App over a bbolt file in a temp dir, a fake Slack and a
// fake clock, with the scheduler's sweep driven by the test.
type clocks struct {
	t     *testing.T
	path  string
	clock *sfp.FakeClock
	fake  *fakeslack.Server
	db    *bolt.DB
	app   *App
	sched *bot.Scheduler
}

func newClocks(t *testing.T, start time.Time) *clocks {
	t.Helper()
	h := &clocks{t: t, path: filepath.Join(t.TempDir(), "sfpdesk.db"), clock: sfp.NewFakeClock(start)}
	h.fake = fakeslack.New(fakeslack.WithClock(h.clock.Now))
	t.Cleanup(h.fake.Close)
	bot := h.fake.BotUserID()
	h.fake.AddUser("U0ALICE", "alice", "Alice Martin", false)
	h.fake.AddUser("U0AGENT", "agent", "Agent Smith", false)
	h.fake.AddUser("U0ADMIN", "admin", "Ada Admin", false)
	h.fake.AddChannel(sellerChannel, "acme-support", false, bot, "U0ALICE")
	h.fake.AddChannel(escalationChannel, "sfp-escalations", false, bot)
	h.fake.AddChannel(agentChannel, "cs-agents", false, bot, "U0AGENT")
	h.open()
	t.Cleanup(func() { h.db.Close() })
	h.update(func(tx store.Tx) error {
		return tx.PutSeller(&sfp.Seller{Name: "acme", TimeZone: "Europe/Paris", Lang: "en",
			Routes: []sfp.Route{{Seller: "acme", Channel: sellerChannel}}})
	})
	return h
}

// open (re)opens the database file with a fresh App and scheduler, as a
// restart of sfpdesk would.
func (h *clocks) open() {
	h.t.Helper()
	db, err := bolt.Open(h.path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h.app = &App{
		Store: db, Clock: h.clock, Log: log,
		Slack: slack.New("xoxb-test", slack.OptionAPIURL(h.fake.APIURL())),
		Settings: Settings{
			Admins: []string{"U0ADMIN"}, TriageChannel: "C0TRIAGE", EscalationChannel: escalationChannel,
			Lang: "en", Location: clockParis, SLA: sfp.DefaultSLA(),
			RemindBefore: []time.Duration{6 * time.Hour, time.Hour},
			QuietHours:   sfp.QuietHours{From: 22 * 60, To: 7 * 60},
			CloseAfter:   sfp.Duration{N: 7, Unit: sfp.Days},
		},
	}
	h.app.init()
	h.sched = &bot.Scheduler{Store: db, Clock: h.clock, Fire: h.app.FireDue, Log: log}
}

// restart closes the database and opens it again.
func (h *clocks) restart() {
	h.t.Helper()
	if err := h.db.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
}

func (h *clocks) update(fn func(tx store.Tx) error) {
	h.t.Helper()
	if err := h.db.Update(context.Background(), fn); err != nil {
		h.t.Fatal(err)
	}
}

// newCase creates a case as intake would, received at received.
func (h *clocks) newCase(kind sfp.Kind, received time.Time, edit ...func(*newCase)) *sfp.Case {
	h.t.Helper()
	in := newCase{Kind: kind, Seller: "acme", Source: sfp.SourceIntake, SourceID: "s-" + received.String(),
		Body: "Does it fit a 2019 model?", ReceivedAt: received, By: "intake"}
	if kind.NeedsOrder() {
		in.OrderID = "171-1234567-1234567"
	}
	for _, e := range edit {
		e(&in)
	}
	var c *sfp.Case
	h.update(func(tx store.Tx) error {
		var err error
		c, err = h.app.createCase(tx, in)
		return err
	})
	return c
}

// change applies fn to a stored case through updateCase, as a button does.
func (h *clocks) change(id string, fn func(tx store.Tx, c *sfp.Case) error) {
	h.t.Helper()
	err := h.app.updateCase(context.Background(), id, func(tx store.Tx, c *sfp.Case) (bool, error) {
		return true, fn(tx, c)
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

func (h *clocks) get(id string) *sfp.Case {
	h.t.Helper()
	var c *sfp.Case
	h.db.View(context.Background(), func(tx store.Tx) error {
		var err error
		c, err = tx.Case(id)
		return err
	})
	if c == nil {
		h.t.Fatalf("no case %s", id)
	}
	return c
}

// sweepAt moves the clock to at and fires what is due.
func (h *clocks) sweepAt(when time.Time) bot.SweepResult {
	h.t.Helper()
	h.clock.Set(when)
	res, err := h.sched.Sweep(context.Background())
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

// entries lists a case's due entries as "kind detail at", in Paris time.
func (h *clocks) entries(id string) []string {
	h.t.Helper()
	var out []string
	h.db.View(context.Background(), func(tx store.Tx) error {
		es, err := tx.DueForCase(id)
		for _, e := range es {
			out = append(out, entryLine(e))
		}
		return err
	})
	return out
}

func entryLine(e store.DueEntry) string {
	s := e.Kind
	if e.Detail != "" {
		s += " " + e.Detail
	}
	return s + " " + e.At.In(clockParis).Format("Mon 2 Jan 15:04:05")
}

// outbox lists the messages queued for channel, oldest first.
func (h *clocks) outbox(channel string) []*store.OutboxMessage {
	h.t.Helper()
	var out []*store.OutboxMessage
	h.db.View(context.Background(), func(tx store.Tx) error {
		var err error
		out, err = tx.Pending(channel, 1000)
		return err
	})
	return out
}

// thread lists the texts queued in the thread of the case's card.
func (h *clocks) thread(c *sfp.Case) []string {
	var out []string
	for _, m := range h.outbox(c.Card.Channel) {
		if m.ThreadOf == c.Card.OutboxID && m.Op == store.OpPost {
			out = append(out, m.Text+lateMark(m))
		}
	}
	return out
}

// cardUpdates lists the queued updates of the case's card.
func (h *clocks) cardUpdates(c *sfp.Case) []*store.OutboxMessage {
	var out []*store.OutboxMessage
	for _, m := range h.outbox(c.Card.Channel) {
		if m.Op == store.OpUpdate && m.Target == c.Card.OutboxID {
			out = append(out, m)
		}
	}
	return out
}

func lateMark(m *store.OutboxMessage) string {
	if strings.Contains(string(m.Blocks), "Sent late") {
		return " [sent late]"
	}
	return ""
}

func nov(day, hour, min int) time.Time {
	return time.Date(2026, 11, day, hour, min, 0, 0, clockParis)
}

// Each row brings a case to a state and lists the due entries it must
// have then (times in Paris).
func TestDueEntriesFollowTheCaseState(t *testing.T) {
	tests := []struct {
		name  string
		start time.Time
		build func(h *clocks) string
		want  []string
	}{
		{"question just in: reminders 6 h and 1 h before, escalation at the deadline", monday10,
			func(h *clocks) string { return h.newCase(sfp.KindProductQuestion, monday10).ID },
			[]string{"remind 6h Tue 3 Nov 04:00:00", "remind 1h Tue 3 Nov 09:00:00", "escalate Tue 3 Nov 10:00:00"}},
		{"question received 20 hours ago: the 6 h reminder is already past", monday10,
			func(h *clocks) string { return h.newCase(sfp.KindOrderQuestion, monday10.Add(-20*time.Hour)).ID },
			[]string{"remind 1h Mon 2 Nov 13:00:00", "escalate Mon 2 Nov 14:00:00"}},
		{"question received 30 hours ago: escalation at once, no reminder", monday10,
			func(h *clocks) string { return h.newCase(sfp.KindCSContact, monday10.Add(-30*time.Hour)).ID },
			[]string{"escalate Mon 2 Nov 04:00:00"}},
		{"refund notice: no deadline, nothing due", monday10,
			func(h *clocks) string { return h.newCase(sfp.KindRefundNotice, monday10).ID },
			nil},
		{"return received on Monday: 09:00 reminders on Tuesday and Wednesday, the last due today", monday10,
			func(h *clocks) string { return h.newCase(sfp.KindReturnReceived, monday10).ID },
			[]string{"remind morning Tue 3 Nov 09:00:00", "remind today Wed 4 Nov 09:00:00", "escalate Wed 4 Nov 23:59:59"}},
		{"answered: only the closing, 7 days after the answer", monday10,
			func(h *clocks) string {
				c := h.newCase(sfp.KindProductQuestion, monday10)
				h.clock.Set(monday10.Add(90 * time.Minute))
				if err := h.app.markAnswered(context.Background(), c.ID, "U0ALICE"); err != nil {
					h.t.Fatal(err)
				}
				return c.ID
			},
			[]string{"close Mon 9 Nov 11:30:00"}},
		{"answered by a reply in the card's thread: only the closing", monday10,
			func(h *clocks) string {
				c := h.newCase(sfp.KindProductQuestion, monday10)
				h.clock.Set(monday10.Add(2 * time.Hour))
				h.update(func(tx store.Tx) error {
					c, _ := tx.Case(c.ID)
					if err := h.app.answer(tx, c, "U0ALICE", "Yes, it fits.", nil); err != nil {
						return err
					}
					return tx.PutCase(c)
				})
				return c.ID
			},
			[]string{"close Mon 9 Nov 12:00:00"}},
		{"no response needed: the clock stops, the closing is 7 days on", monday10,
			func(h *clocks) string {
				c := h.newCase(sfp.KindPreOrderQuestion, monday10)
				h.clock.Set(monday10.Add(time.Hour))
				if err := h.app.markNoResponse(context.Background(), c.ID, "U0ALICE"); err != nil {
					h.t.Fatal(err)
				}
				return c.ID
			},
			[]string{"close Mon 9 Nov 11:00:00"}},
		{"closed: only the erasure of the buyer's data is due, a retention period later", monday10,
			func(h *clocks) string {
				c := h.newCase(sfp.KindProductQuestion, monday10)
				h.app.markAnswered(context.Background(), c.ID, "U0ALICE")
				h.sweepAt(monday10.Add(7 * 24 * time.Hour))
				return c.ID
			},
			[]string{"purge Wed 9 Dec 10:00:00"}},
		{"reopened after closing: a fresh 24 h clock from the reopening", monday10,
			func(h *clocks) string {
				c := h.newCase(sfp.KindProductQuestion, monday10)
				h.app.markAnswered(context.Background(), c.ID, "U0ALICE")
				h.sweepAt(monday10.Add(7 * 24 * time.Hour))
				h.clock.Set(nov(10, 8, 0))
				if err := h.app.reopen(context.Background(), c.ID, "U0ALICE"); err != nil {
					h.t.Fatal(err)
				}
				return c.ID
			},
			[]string{"remind 6h Wed 11 Nov 02:00:00", "remind 1h Wed 11 Nov 07:00:00", "escalate Wed 11 Nov 08:00:00"}},
		{"buyer follow-up on an answered case: a fresh clock, the closing gone", monday10,
			func(h *clocks) string {
				c := h.newCase(sfp.KindOrderQuestion, monday10)
				h.app.markAnswered(context.Background(), c.ID, "U0ALICE")
				h.clock.Set(nov(3, 12, 0))
				h.update(func(tx store.Tx) error {
					c, _ := tx.Case(c.ID)
					if err := h.app.restartClock(tx, c, "intake"); err != nil {
						return err
					}
					return tx.PutCase(c)
				})
				return c.ID
			},
			[]string{"remind 6h Wed 4 Nov 06:00:00", "remind 1h Wed 4 Nov 11:00:00", "escalate Wed 4 Nov 12:00:00"}},
		{"taken: the same entries, the escalation not doubled", monday10,
			func(h *clocks) string {
				c := h.newCase(sfp.KindProductQuestion, monday10)
				h.change(c.ID, func(tx store.Tx, c *sfp.Case) error { c.TakenBy = "U0ALICE"; return nil })
				return c.ID
			},
			[]string{"remind 6h Tue 3 Nov 04:00:00", "remind 1h Tue 3 Nov 09:00:00", "escalate Tue 3 Nov 10:00:00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newClocks(t, tt.start)
			id := tt.build(h)
			if d := cmp.Diff(tt.want, h.entries(id)); d != "" {
				t.Errorf("due entries (-want +got):\n%s", d)
			}
		})
	}
}

// Reminders name who has the case, else the seller's on-call group, else
// nobody; during the seller's quiet hours (22:00-07:00 here) nobody.
func TestReminderMentions(t *testing.T) {
	tests := []struct {
		name    string
		takenBy string
		onCall  string
		fireAt  time.Time // 04:00 is quiet, 09:00 is not
		want    string
	}{
		{"taken: the person who took it", "U0ALICE", onCallGroup, nov(3, 9, 0), "<@U0ALICE> :alarm_clock:"},
		{"not taken: the seller's on-call group", "", onCallGroup, nov(3, 9, 0), onCallGroup + " :alarm_clock:"},
		{"not taken, no on-call group: nobody", "", "", nov(3, 9, 0), ":alarm_clock:"},
		{"quiet hours: nobody, even when taken", "U0ALICE", onCallGroup, nov(3, 4, 0), ":alarm_clock:"},
		{"quiet hours: nobody, not the on-call group either", "", onCallGroup, nov(3, 4, 0), ":alarm_clock:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newClocks(t, monday10)
			h.update(func(tx store.Tx) error {
				s, _ := tx.Seller("acme")
				s.OnCall = tt.onCall
				return tx.PutSeller(s)
			})
			c := h.newCase(sfp.KindProductQuestion, monday10)
			if tt.takenBy != "" {
				h.change(c.ID, func(tx store.Tx, c *sfp.Case) error { c.TakenBy = tt.takenBy; return nil })
			}
			// The 6 h reminder fires at 04:00 (quiet), the 1 h one at 09:00.
			for _, step := range []time.Time{nov(3, 4, 0), nov(3, 9, 0)} {
				if step.After(tt.fireAt) {
					break
				}
				if res := h.sweepAt(step); res.Fired != 1 {
					t.Fatalf("sweep at %v = %+v, want one reminder", step, res)
				}
			}
			got := h.thread(c)
			last := got[len(got)-1]
			if !strings.HasPrefix(last, tt.want) {
				t.Errorf("reminder = %q, want it to start with %q", last, tt.want)
			}
			if tt.want == ":alarm_clock:" && (strings.Contains(last, "<@") || strings.Contains(last, "subteam")) {
				t.Errorf("reminder %q mentions someone", last)
			}
		})
	}
}

// The refund clock over Christmas on amazon.fr: a return reaching the
// warehouse on Thursday 24 December is due Tuesday 29 at 23:59:59
// (Christmas Day and the weekend are no business days); the reminders come
// at 09:00 on Monday and Tuesday, the last saying it is due today.
func TestRefundClockMorningRemindersOverChristmas(t *testing.T) {
	christmasEve := time.Date(2026, 12, 24, 10, 0, 0, 0, clockParis)
	h := newClocks(t, christmasEve)
	c := h.newCase(sfp.KindReturnReceived, christmasEve)
	want := []string{"remind morning Mon 28 Dec 09:00:00", "remind today Tue 29 Dec 09:00:00", "escalate Tue 29 Dec 23:59:59"}
	if d := cmp.Diff(want, h.entries(c.ID)); d != "" {
		t.Fatalf("due entries (-want +got):\n%s", d)
	}
	day := func(d, hour, min, sec int) time.Time { return time.Date(2026, 12, d, hour, min, sec, 0, clockParis) }
	steps := []struct {
		at   time.Time
		want string // what the thread gains, "" for nothing
	}{
		{day(25, 9, 0, 0), ""},
		{day(26, 9, 0, 0), ""},
		{day(27, 9, 0, 0), ""},
		{day(28, 9, 0, 0), ":alarm_clock: *" + c.ID + "*: refund the returned item of order 171-1234567-1234567 by"},
		{day(29, 9, 0, 0), ":alarm_clock: *" + c.ID + "* is due today: refund the returned item"},
		{day(29, 23, 59, 59), ":rotating_light: *" + c.ID + "* is overdue: the returned item of order 171-1234567-1234567 had to be refunded by"},
	}
	seen := 0
	for _, s := range steps {
		h.sweepAt(s.at)
		got := h.thread(c)
		if s.want == "" {
			if len(got) != seen {
				t.Errorf("%v: thread gained %q", s.at, got[seen:])
			}
			continue
		}
		if len(got) != seen+1 {
			t.Fatalf("%v: thread = %q, want one more message", s.at, got)
		}
		if !strings.Contains(got[seen], s.want) {
			t.Errorf("%v: got %q, want %q", s.at, got[seen], s.want)
		}
		seen++
	}
}

// At the deadline the case is marked late once: Breached, the overdue card,
// one word in the thread and one message in the escalation channel, which
// neither a later change of the case nor a restart repeats.
func TestEscalationOnceAtTheDeadline(t *testing.T) {
	h := newClocks(t, monday10)
	c := h.newCase(sfp.KindProductQuestion, monday10)
	due := *c.DueAt
	h.sweepAt(due.Add(-6 * time.Hour))
	h.sweepAt(due.Add(-time.Hour))
	res := h.sweepAt(due)
	if res.Fired != 1 {
		t.Fatalf("at the deadline fired %+v, want the escalation", res)
	}
	got := h.get(c.ID)
	if !got.Breached {
		t.Error("case not marked breached")
	}
	if ups := h.cardUpdates(got); len(ups) != 1 || !strings.Contains(string(ups[0].Blocks), "OVERDUE") {
		t.Errorf("card updates = %d, want one showing OVERDUE", len(ups))
	}
	esc := h.outbox(escalationChannel)
	if len(esc) != 1 {
		t.Fatalf("escalation channel got %d messages, want 1", len(esc))
	}
	for _, want := range []string{c.ID, "acme", "<#" + sellerChannel + ">", "/sfp case " + c.ID, "Nobody has taken it"} {
		if !strings.Contains(esc[0].Text, want) {
			t.Errorf("escalation %q lacks %q", esc[0].Text, want)
		}
	}

	// Taken after the deadline, then a restart: nothing fires again.
	h.change(c.ID, func(tx store.Tx, c *sfp.Case) error { c.TakenBy = "U0ALICE"; return nil })
	if e := h.entries(c.ID); len(e) != 0 {
		t.Errorf("after the escalation the case still has %q", e)
	}
	h.restart()
	h.sweepAt(due.Add(time.Hour))
	h.sweepAt(due.Add(48 * time.Hour))
	if n := len(h.outbox(escalationChannel)); n != 1 {
		t.Errorf("escalation channel got %d messages, want still 1", n)
	}
	if !h.get(c.ID).Breached {
		t.Error("Breached must stay true")
	}
}

// Answered and no-response-needed cases fire no reminder and no
// escalation: their entries went when the state changed.
func TestStoppedClocksFireNothing(t *testing.T) {
	for _, stop := range []string{"answered", "no response needed"} {
		t.Run(stop, func(t *testing.T) {
			h := newClocks(t, monday10)
			c := h.newCase(sfp.KindProductQuestion, monday10)
			h.clock.Set(monday10.Add(time.Hour))
			var err error
			if stop == "answered" {
				err = h.app.markAnswered(context.Background(), c.ID, "U0ALICE")
			} else {
				err = h.app.markNoResponse(context.Background(), c.ID, "U0ALICE")
			}
			if err != nil {
				t.Fatal(err)
			}
			before := len(h.thread(c))
			for _, step := range []time.Duration{18 * time.Hour, 23 * time.Hour, 24 * time.Hour, 25 * time.Hour} {
				h.sweepAt(monday10.Add(step))
			}
			if got := h.thread(c); len(got) != before {
				t.Errorf("thread gained %q", got[before:])
			}
			if n := len(h.outbox(escalationChannel)); n != 0 {
				t.Errorf("escalation channel got %d messages", n)
			}
			if h.get(c.ID).Breached {
				t.Error("case marked breached")
			}
		})
	}
}

// Even an entry whose deletion was missed does nothing once the case has
// stopped its clock: every kind checks the case when it fires.
func TestFireGuardsAgainstStaleEntries(t *testing.T) {
	h := newClocks(t, monday10)
	c := h.newCase(sfp.KindProductQuestion, monday10)
	stale := []store.DueEntry{
		{At: monday10.Add(23 * time.Hour), CaseID: c.ID, Kind: DueRemind, Deadline: *c.DueAt, Detail: "1h"},
		{At: *c.DueAt, CaseID: c.ID, Kind: DueEscalate, Deadline: *c.DueAt},
		{At: monday10.Add(25 * time.Hour), CaseID: c.ID, Kind: DueClose},
	}
	h.app.markAnswered(context.Background(), c.ID, "U0ALICE")
	h.update(func(tx store.Tx) error {
		for _, e := range stale {
			if err := tx.PutDue(e); err != nil {
				return err
			}
		}
		return nil
	})
	h.sweepAt(monday10.Add(26 * time.Hour))
	got := h.get(c.ID)
	if got.Breached || got.State != sfp.StateAnswered || len(h.outbox(escalationChannel)) != 0 || len(h.thread(c)) != 0 {
		t.Errorf("stale entries acted: state %s, breached %v, thread %q", got.State, got.Breached, h.thread(c))
	}
}

// sfpdesk down from an hour after the case came in until two hours after
// its deadline: the reminders are dropped, the escalation fires and says
// it is late.
func TestAfterDowntimeTheEscalationSaysItIsLate(t *testing.T) {
	h := newClocks(t, monday10)
	c := h.newCase(sfp.KindProductQuestion, monday10)
	h.clock.Set(monday10.Add(time.Hour))
	h.db.Close()
	h.clock.Set(c.DueAt.Add(2 * time.Hour))
	h.open()
	res := h.sweepAt(h.clock.Now())
	if res.Skipped != 2 || res.Fired != 1 || res.Late != 1 {
		t.Errorf("sweep = %+v, want both reminders skipped and the escalation fired late", res)
	}
	thread := h.thread(c)
	if len(thread) != 1 || !strings.Contains(thread[0], "is overdue") || !strings.HasSuffix(thread[0], "[sent late]") {
		t.Errorf("thread = %q, want only the overdue word, marked sent late", thread)
	}
	esc := h.outbox(escalationChannel)
	if len(esc) != 1 || !strings.Contains(string(esc[0].Blocks), "Sent late: sfpdesk was down") {
		t.Errorf("escalation channel = %d messages, want one marked sent late", len(esc))
	}
}

// A case that arrives already late escalates at once, and does not claim
// sfpdesk was down.
func TestArrivedLateEscalatesAtOnceWithoutBlame(t *testing.T) {
	h := newClocks(t, monday10)
	c := h.newCase(sfp.KindOrderQuestion, monday10.Add(-30*time.Hour))
	if !c.Breached {
		t.Error("a case arriving after its deadline is breached from the start")
	}
	res := h.sweepAt(monday10)
	if res.Fired != 1 {
		t.Fatalf("sweep = %+v, want the escalation", res)
	}
	for _, m := range h.outbox(escalationChannel) {
		if strings.Contains(string(m.Blocks), "Sent late") {
			t.Errorf("escalation %q blames downtime", m.Text)
		}
	}
}

// An answered case closes after SFPDESK_CLOSE_AFTER: closed, ClosedAt,
// the card refreshed with a Reopen button.
func TestAnsweredCaseClosesAfterCloseAfter(t *testing.T) {
	h := newClocks(t, monday10)
	c := h.newCase(sfp.KindProductQuestion, monday10)
	h.clock.Set(monday10.Add(3 * time.Hour))
	h.app.markAnswered(context.Background(), c.ID, "U0ALICE")
	updates := len(h.cardUpdates(c))
	h.sweepAt(monday10.Add(3*time.Hour + 7*24*time.Hour - time.Second))
	if got := h.get(c.ID); got.State != sfp.StateAnswered {
		t.Fatalf("closed too early: %s", got.State)
	}
	closeAt := monday10.Add(3*time.Hour + 7*24*time.Hour)
	h.sweepAt(closeAt)
	got := h.get(c.ID)
	if got.State != sfp.StateClosed || got.ClosedAt == nil || !got.ClosedAt.Equal(closeAt) {
		t.Errorf("state %s, closed at %v; want closed at %v", got.State, got.ClosedAt, closeAt)
	}
	ups := h.cardUpdates(c)
	if len(ups) != updates+1 || !strings.Contains(string(ups[len(ups)-1].Blocks), bot.ActionReopen) {
		t.Errorf("card not refreshed with a Reopen button")
	}
	if e := h.entries(c.ID); len(e) != 1 || !strings.HasPrefix(e[0], "purge ") {
		t.Errorf("closed case keeps %q; want only its retention purge", e)
	}
}

// The "No response needed" button: the clock stops, the case leaves the
// figures, the thread says to mark it in Seller Central too, and the agent
// hears no answer will come. A follow-up reopens it.
func TestNoResponseNeededButton(t *testing.T) {
	h := newClocks(t, monday10)
	c := h.newCase(sfp.KindCSContact, monday10, func(in *newCase) {
		in.Source, in.Asker = sfp.SourceSlack, &sfp.Asker{UserID: "U0AGENT", Channel: agentChannel}
	})
	h.update(func(tx store.Tx) error {
		c, _ := tx.Case(c.ID)
		c.CSThread = sfp.MessageRef{Channel: agentChannel, TS: "1700000000.000100"}
		return tx.PutCase(c)
	})
	card := bot.CaseCard(c, h.app.cardView(c, "en"))
	if !strings.Contains(string(card.BlocksJSON()), `"action_id":"`+bot.ActionNoResponse+`"`) {
		t.Fatal("question card has no No response needed button")
	}
	h.clock.Set(monday10.Add(2 * time.Hour))
	cb := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: "U0ALICE"}}
	cb.Channel.ID = sellerChannel
	cb.ActionCallback.BlockActions = []*slack.BlockAction{{ActionID: bot.ActionNoResponse, Value: c.ID}}
	h.app.Interaction(context.Background(), cb)

	got := h.get(c.ID)
	if got.State != sfp.StateNoResponseNeeded {
		t.Fatalf("state %s, want no_response_needed", got.State)
	}
	if d := cmp.Diff([]string{"close Mon 9 Nov 12:00:00"}, h.entries(c.ID)); d != "" {
		t.Errorf("due entries (-want +got):\n%s", d)
	}
	if th := h.thread(got); len(th) != 1 || !strings.Contains(th[0], "Seller Central") {
		t.Errorf("card thread = %q, want the confirmation naming Seller Central", th)
	}
	told := false
	for _, m := range h.outbox(agentChannel) {
		told = told || strings.Contains(m.Text, "will not answer")
	}
	if !told {
		t.Error("the agent was not told")
	}
	f := sfp.NewFigures(monday10.Add(30*time.Hour), 30*24*time.Hour)
	f.Add(got)
	if f.NoResponseNeeded != 1 || f.Counted != 0 {
		t.Errorf("figures %+v: the case must leave the late-response rate", f)
	}

	h.clock.Set(monday10.Add(5 * time.Hour))
	h.update(func(tx store.Tx) error {
		c, _ := tx.Case(c.ID)
		if err := h.app.restartClock(tx, c, "intake"); err != nil {
			return err
		}
		return tx.PutCase(c)
	})
	if got := h.get(c.ID); got.State != sfp.StateOpen || !got.DueAt.Equal(monday10.Add(29*time.Hour)) {
		t.Errorf("after a follow-up: state %s due %v, want open and due 24 h after it", got.State, got.DueAt)
	}
}

// End to end over the fake Slack: the real outbox posts the card, the
// reminder in its thread, and at the deadline the overdue card and the
// escalation; the scheduler's own loop runs on the fake clock.
func TestClockMessagesReachSlack(t *testing.T) {
	h := newClocks(t, monday10)
	api := slack.New("xoxb-test", slack.OptionAPIURL(h.fake.APIURL()))
	outbox := &bot.Outbox{Store: h.db, API: api, Clock: h.clock, Log: h.app.Log}
	h.app.Outbox = outbox
	h.app.Due = h.sched
	h.sched.Fired = func(int) { outbox.Notify() }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() { outbox.Run(ctx); done <- struct{}{} }()
	go func() { h.sched.Run(ctx); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()
	wait := func(what string, cond func() bool) {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
		defer wcancel()
		if err := h.fake.WaitFor(wctx, cond); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}

	reply := h.app.Command(ctx, slack.SlashCommand{Command: "/sfp", Text: "ask acme Can the buyer get a second charger?", UserID: "U0AGENT", ChannelID: agentChannel})
	if m, ok := reply.(*slack.Msg); !ok || !strings.Contains(m.Text, "SFP-1001") {
		t.Fatalf("ask answered %+v", reply)
	}
	var cardTS string
	wait("the card", func() bool {
		for _, m := range h.fake.Messages(sellerChannel) {
			if !m.IsReply() {
				cardTS = m.TS
				return true
			}
		}
		return false
	})
	c := h.get("SFP-1001")
	for i, before := range []time.Duration{6 * time.Hour, time.Hour} {
		h.clock.Set(c.DueAt.Add(-before))
		wait("a reminder", func() bool {
			th := h.fake.Thread(sellerChannel, cardTS)
			return len(th) == i+2 && strings.Contains(th[i+1].Text, "must be answered by")
		})
	}
	h.clock.Set(*c.DueAt)
	wait("the escalation and the overdue card", func() bool {
		esc := h.fake.Messages(escalationChannel)
		overdue := false
		for _, u := range h.fake.Updates() {
			overdue = overdue || (u.TS == cardTS && strings.Contains(string(u.Blocks), "OVERDUE"))
		}
		return len(esc) == 1 && strings.Contains(esc[0].Text, "SFP-1001") && overdue
	})
	th := h.fake.Thread(sellerChannel, cardTS)
	if len(th) != 4 {
		var texts []string
		for _, m := range th {
			texts = append(texts, m.Text)
		}
		t.Errorf("card thread = %q, want the card, two reminders and the overdue word", texts)
	}
}
