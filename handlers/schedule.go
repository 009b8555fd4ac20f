package handlers

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Kinds of due entries. The scheduler fires them through FireDue.
const (
	// DueRemind nudges the seller's team before a deadline. Its Detail is
	// the configured offset ("6h") before a calendar-time deadline, or
	// "morning" / "today" for the 09:00 reminders of the refund clock.
	DueRemind = "remind"
	// DueEscalate marks the case late at its deadline and tells the
	// escalation channel.
	DueEscalate = "escalate"
	// DueClose closes an answered or no-response-needed case once
	// SFPDESK_CLOSE_AFTER has passed with no follow-up.
	DueClose = "close"
)

// Details of the refund clock's morning reminders.
const (
	detailMorning = "morning"
	detailToday   = "today"
)

// schedule brings a case's due entries in step with its state, in the
// transaction that changed the state, so that a clock never runs on a case
// that has stopped it and a new deadline is never missed:
//
//   - open with a calendar-time deadline (Amazon's 24 h): a reminder
//     SFPDESK_REMIND_BEFORE before it, and the escalation at it;
//   - open with a business-day deadline (a return's refund): a reminder at
//     09:00 local each business morning of the window, the last one saying
//     it is due today, and the escalation at the deadline;
//   - answered or no response needed: closing, SFPDESK_CLOSE_AFTER after;
//   - closed, or open without a deadline (a refund notice): nothing.
//
// Entries of the case's current clock that are already due but not yet
// fired are kept (the scheduler is about to fire them); those of a clock
// the case no longer runs are deleted. New entries whose time has passed
// are not added: a reminder nobody could have sent in time is not sent
// now, but an escalation or a closing still is. A claim's entries follow
// the claim, not the case's state (claimEntries, claims.go).
func (a *App) schedule(tx store.Tx, c *sfp.Case) error {
	return a.scheduleWith(tx, c, a.prefs(tx, c.Seller))
}

// scheduleWith is schedule with the seller's preferences already read.
func (a *App) scheduleWith(tx store.Tx, c *sfp.Case, p sellerPrefs) error {
	// Read once for both clocks: their kinds do not overlap, so what the
	// first writes cannot change what the second owns.
	have, err := tx.DueForCase(c.ID)
	if err != nil {
		return err
	}
	if err := a.syncDue(tx, have, a.dueEntries(c, p), clockKind, DueRemind); err != nil {
		return err
	}
	return a.syncDue(tx, have, a.claimEntries(c), claimKind, DueClaimRemind, DueInfoRemind)
}

// syncDue makes a case's due entries of the kinds owns covers (have holds
// them as stored) exactly want: stale ones are deleted, missing ones
// written. Entries already in the index are kept even when due (the
// scheduler is about to fire them); a new entry of kind skipPast whose
// time has passed is not written, as a reminder nobody could have sent in
// time is not sent now.
func (a *App) syncDue(tx store.Tx, have, want []store.DueEntry, owns func(kind string) bool, skipPast ...string) error {
	wanted := map[string]bool{}
	for _, e := range want {
		wanted[dueID(e)] = true
	}
	existing := map[string]bool{}
	for _, e := range have {
		if !owns(e.Kind) {
			continue
		}
		if wanted[dueID(e)] {
			existing[dueID(e)] = true
			continue
		}
		if err := tx.DeleteDue(e); err != nil {
			return err
		}
	}
	now := a.Clock.Now()
	for _, e := range want {
		if existing[dueID(e)] || (slices.Contains(skipPast, e.Kind) && !e.At.After(now)) {
			continue
		}
		if err := tx.PutDue(e); err != nil {
			return err
		}
	}
	return nil
}

// clockKind reports whether schedule owns entries of kind k.
func clockKind(k string) bool {
	return k == DueRemind || k == DueEscalate || k == DueClose || k == DuePurge
}

// dueID identifies an entry as the due index keys it.
func dueID(e store.DueEntry) string {
	return strconv.FormatInt(e.At.UnixNano(), 10) + "\x00" + e.Kind + "\x00" + e.Detail
}

// dueEntries is every entry a case's state calls for, whatever the time:
// schedule decides which of them still have to be written. p are the
// seller's preferences: its time zone, and its region's holidays.
func (a *App) dueEntries(c *sfp.Case, p sellerPrefs) []store.DueEntry {
	loc := p.loc
	var out []store.DueEntry
	switch c.State {
	case sfp.StateOpen:
		if c.DueAt == nil {
			return nil
		}
		due := *c.DueAt
		d, _ := a.Settings.SLA.For(c.Kind)
		if d.IsBusiness() {
			for _, r := range p.calendar(c.Marketplace).MorningReminders(c.ReceivedAt, due, loc, time.Time{}) {
				detail := detailMorning
				if r.DueToday {
					detail = detailToday
				}
				out = append(out, store.DueEntry{At: r.At, CaseID: c.ID, Kind: DueRemind, Deadline: due, Detail: detail})
			}
		} else {
			for _, r := range sfp.RemindersBefore(due, a.Settings.RemindBefore, time.Time{}) {
				out = append(out, store.DueEntry{At: r.At, CaseID: c.ID, Kind: DueRemind, Deadline: due, Detail: shortDuration(r.Before)})
			}
		}
		// One escalation per deadline: once it has fired, a later change
		// of the case (taken, a note) must not bring it back.
		if !escalated(c, due) {
			out = append(out, store.DueEntry{At: due, CaseID: c.ID, Kind: DueEscalate, Deadline: due})
		}
	case sfp.StateAnswered, sfp.StateNoResponseNeeded:
		out = append(out, store.DueEntry{At: a.closeAt(c, loc), CaseID: c.ID, Kind: DueClose})
	case sfp.StateClosed:
		if at, ok := a.purgeAt(c, loc); ok {
			out = append(out, store.DueEntry{At: at, CaseID: c.ID, Kind: DuePurge})
		}
	}
	return out
}

// escalated reports whether the deadline due has already been escalated:
// the escalation leaves a "breached" event naming its deadline.
func escalated(c *sfp.Case, due time.Time) bool {
	key := deadlineKey(due)
	for i := len(c.Events) - 1; i >= 0; i-- {
		if e := c.Events[i]; e.Type == sfp.EventBreached && e.Detail == key {
			return true
		}
	}
	return false
}

func deadlineKey(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// closeAt is when an answered or no-response-needed case closes: §4.8's
// SFPDESK_CLOSE_AFTER after the answer, or after it was marked as needing
// no response.
func (a *App) closeAt(c *sfp.Case, loc *time.Location) time.Time {
	from := c.CreatedAt
	switch {
	case c.State == sfp.StateAnswered && c.AnsweredAt != nil:
		from = *c.AnsweredAt
	case c.State == sfp.StateNoResponseNeeded:
		if at, ok := lastEvent(c, sfp.EventNoResponse); ok {
			from = at
		}
	}
	return sfp.DueAfter(from, a.Settings.CloseAfter, c.Marketplace, loc)
}

func lastEvent(c *sfp.Case, typ string) (time.Time, bool) {
	for i := len(c.Events) - 1; i >= 0; i-- {
		if c.Events[i].Type == typ {
			return c.Events[i].At, true
		}
	}
	return time.Time{}, false
}

// shortDuration writes a reminder offset as it is configured: "6h", "90m",
// "2d".
func shortDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
}

// restartClock reopens an answered, no-response-needed or closed case with
// a fresh deadline from now: a buyer's follow-up does this (DESIGN §4.8),
// and so does "Reopen". The case keeps Breached, which Amazon never
// forgets. The caller stores the case; its due entries are rescheduled
// here, in the caller's transaction.
func (a *App) restartClock(tx store.Tx, c *sfp.Case, by string) error {
	now := a.Clock.Now()
	p := a.prefs(tx, c.Seller)
	c.State, c.ClosedAt = sfp.StateOpen, nil
	c.AnsweredAt, c.AnsweredBy = nil, ""
	c.ReceivedAt = now.In(p.loc)
	c.DueAt = nil
	if due, ok := a.Settings.SLA.DueOn(c.Kind, c.ReceivedAt, p.calendar(c.Marketplace), p.loc); ok {
		c.DueAt = &due
	}
	c.AddEvent(now, sfp.EventReopened, by, "")
	return a.schedule(tx, c)
}

// markNoResponse stops a question's clock without an answer, as "No
// response needed" does in Seller Central: the case leaves the response
// figures. Seller Central has no API for it, so the confirmation in the
// card's thread asks the seller to mark the message there too; the agent
// who asked is told that no answer will come.
func (a *App) markNoResponse(ctx context.Context, id, user string) error {
	return a.updateCase(ctx, id, func(tx store.Tx, c *sfp.Case) (bool, error) {
		if c.State != sfp.StateOpen || !c.Kind.IsQuestion() {
			return false, nil
		}
		now := a.Clock.Now()
		p := a.prefs(tx, c.Seller)
		c.State = sfp.StateNoResponseNeeded
		c.AddEvent(now, sfp.EventNoResponse, user, "")
		done := bot.T(p.lang, "noresp.done", bot.Mention(user), c.ID)
		if err := enqueueReply(tx, c, c.Card, bot.Message{Text: done, Blocks: bot.Sections([]string{done})}, now); err != nil {
			return false, err
		}
		if c.Asker != nil && c.CSThread.Channel != "" {
			told := bot.T(a.Settings.Lang, "noresp.agent", bot.Mention(c.Asker.UserID), bot.Escape(c.Seller), c.ID, bot.Mention(user))
			if err := enqueueReply(tx, c, c.CSThread, bot.Message{Text: told, Blocks: bot.Sections([]string{told})}, now); err != nil {
				return false, err
			}
		}
		return true, nil
	})
}

// zones caches time zones by name: prefs runs for every reminder the
// scheduler fires, and time.LoadLocation reads the zone file each time.
var zones sync.Map

func loadLocation(name string) (*time.Location, error) {
	if loc, ok := zones.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err == nil {
		zones.Store(name, loc)
	}
	return loc, err
}
