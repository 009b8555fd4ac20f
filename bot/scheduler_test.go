package bot_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// firing is one entry as the fake FireFunc saw it.
type firing struct {
	Case, Kind string
	At         time.Time // the clock when it fired
	Late       bool
}

// recorder is a FireFunc that records each firing in the store, in the
// firing's transaction, as a real one records its effects: a firing that
// is rolled back leaves no trace, one that commits leaves exactly one.
type recorder struct {
	mu    sync.Mutex
	seen  []firing
	fail  map[string]int // case id → failures left
	fired chan firing
}

func newRecorder() *recorder {
	return &recorder{fail: map[string]int{}, fired: make(chan firing, 1000)}
}

func (r *recorder) fire(tx store.Tx, e store.DueEntry, now time.Time, late bool) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail[e.CaseID] > 0 {
		r.fail[e.CaseID]--
		return errors.New("slack card not found")
	}
	key := e.CaseID + "/" + e.Kind + "/" + e.Detail
	n := 0
	if v, ok, err := tx.Seen("fired", key); err != nil {
		return err
	} else if ok {
		n, _ = strconv.Atoi(v)
	}
	if err := tx.Remember("fired", key, strconv.Itoa(n+1), now); err != nil {
		return err
	}
	f := firing{Case: e.CaseID, Kind: e.Kind, At: now, Late: late}
	r.seen = append(r.seen, f)
	select {
	case r.fired <- f:
	default:
	}
	return nil
}

// timesFired reads from the store how often an entry's effect committed.
func timesFired(t *testing.T, st store.Store, caseID, kind, detail string) int {
	t.Helper()
	n := 0
	err := st.View(context.Background(), func(tx store.Tx) error {
		v, ok, err := tx.Seen("fired", caseID+"/"+kind+"/"+detail)
		if ok {
			n, _ = strconv.Atoi(v)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func openDB(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func newDB(t *testing.T) *bolt.DB {
	t.Helper()
	db := openDB(t, filepath.Join(t.TempDir(), "sfpdesk.db"))
	t.Cleanup(func() { db.Close() })
	return db
}

func putDue(t *testing.T, st store.Store, entries ...store.DueEntry) {
	t.Helper()
	err := st.Update(context.Background(), func(tx store.Tx) error {
		for _, e := range entries {
			if err := tx.PutDue(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func dueCount(t *testing.T, st store.Store) int {
	t.Helper()
	var n int
	st.View(context.Background(), func(tx store.Tx) error {
		all, err := tx.DueBefore(t0.Add(1000*24*time.Hour), 1<<20)
		n = len(all)
		return err
	})
	return n
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newScheduler(st store.Store, clock sfp.Clock, r *recorder) *bot.Scheduler {
	return &bot.Scheduler{Store: st, Clock: clock, Fire: r.fire, Log: quietLog(), MaxSleep: 100 * 24 * time.Hour}
}

func remind(caseID string, at, deadline time.Time, detail string) store.DueEntry {
	return store.DueEntry{At: at, CaseID: caseID, Kind: "remind", Deadline: deadline, Detail: detail}
}

func escalate(caseID string, deadline time.Time) store.DueEntry {
	return store.DueEntry{At: deadline, CaseID: caseID, Kind: "escalate", Deadline: deadline}
}

func TestSchedulerFiresInOrderOfTime(t *testing.T) {
	db := newDB(t)
	clock := sfp.NewFakeClock(t0)
	r := newRecorder()
	s := newScheduler(db, clock, r)
	due := t0.Add(24 * time.Hour)
	putDue(t, db,
		escalate("SFP-1002", due.Add(time.Hour)),
		remind("SFP-1001", due.Add(-time.Hour), due, "1h"),
		escalate("SFP-1001", due),
		remind("SFP-1001", due.Add(-6*time.Hour), due, "6h"),
	)
	var order []string
	for _, step := range []time.Duration{18 * time.Hour, 5 * time.Hour, time.Hour, time.Hour} {
		clock.Advance(step)
		if _, err := s.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range r.seen {
		order = append(order, f.Case+" "+f.Kind+" at "+f.At.Sub(t0).String())
		if f.Late {
			t.Errorf("%s %s fired late although on time", f.Case, f.Kind)
		}
	}
	want := []string{"SFP-1001 remind at 18h0m0s", "SFP-1001 remind at 23h0m0s", "SFP-1001 escalate at 24h0m0s", "SFP-1002 escalate at 25h0m0s"}
	if d := cmp.Diff(want, order); d != "" {
		t.Errorf("firing order (-want +got):\n%s", d)
	}
	if n := dueCount(t, db); n != 0 {
		t.Errorf("%d entries left in the index", n)
	}
}

func TestSchedulerFiresInBatchesOfOneTransaction(t *testing.T) {
	db := newDB(t)
	clock := sfp.NewFakeClock(t0)
	r := newRecorder()
	s := newScheduler(db, clock, r)
	s.BatchSize = 100
	var batches []int
	s.Fired = func(n int) { batches = append(batches, n) }
	var entries []store.DueEntry
	for i := range 250 {
		entries = append(entries, escalate(sfp.CaseID(uint64(1001+i)), t0.Add(time.Duration(i)*time.Second)))
	}
	putDue(t, db, entries...)
	clock.Advance(time.Hour)
	res, err := s.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Fired != 250 || res.Batches != 3 {
		t.Errorf("sweep = %+v, want 250 fired in 3 batches", res)
	}
	if d := cmp.Diff([]int{100, 100, 50}, batches); d != "" {
		t.Errorf("Fired calls (-want +got):\n%s", d)
	}
}

// A wake-up with nothing due writes nothing: every case written wakes the
// scheduler, and an empty commit would still take the write lock and sync.
func TestSchedulerWithNothingDueWritesNothing(t *testing.T) {
	db := newDB(t)
	clock := sfp.NewFakeClock(t0)
	r := newRecorder()
	s := newScheduler(db, clock, r)
	putDue(t, db, escalate("SFP-1001", t0.Add(time.Hour)))
	writes := func() int64 { st := db.Stats(); return st.TxStats.GetWrite() }
	before := writes()
	for range 20 {
		if res, err := s.Sweep(context.Background()); err != nil || res.Fired != 0 {
			t.Fatalf("sweep = %+v, %v", res, err)
		}
	}
	if w := writes() - before; w != 0 {
		t.Errorf("20 sweeps with nothing due wrote %d pages", w)
	}
	clock.Advance(time.Hour)
	if res, err := s.Sweep(context.Background()); err != nil || res.Fired != 1 {
		t.Errorf("sweep once due = %+v, %v", res, err)
	}
}

// An entry fires once: its effects and its deletion commit together, so
// neither a restart nor a second sweep fires it again.
func TestSchedulerNeverFiresTwiceAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sfpdesk.db")
	clock := sfp.NewFakeClock(t0)
	due := t0.Add(24 * time.Hour)

	db := openDB(t, path)
	putDue(t, db, remind("SFP-1001", due.Add(-6*time.Hour), due, "6h"), remind("SFP-1001", due.Add(-time.Hour), due, "1h"), escalate("SFP-1001", due))
	clock.Advance(18 * time.Hour)
	r := newRecorder()
	if _, err := newScheduler(db, clock, r).Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	for restart := range 2 {
		db = openDB(t, path)
		res, err := newScheduler(db, clock, newRecorder()).Sweep(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if res.Fired != 0 {
			t.Errorf("restart %d fired %d entries again", restart, res.Fired)
		}
		db.Close()
	}

	db = openDB(t, path)
	defer db.Close()
	for _, at := range []time.Time{due.Add(-time.Hour), due} {
		clock.Set(at)
		if _, err := newScheduler(db, clock, newRecorder()).Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range []struct{ kind, detail string }{{"remind", "6h"}, {"remind", "1h"}, {"escalate", ""}} {
		if n := timesFired(t, db, "SFP-1001", e.kind, e.detail); n != 1 {
			t.Errorf("%s %s fired %d times, want once", e.kind, e.detail, n)
		}
	}
}

// failingOnce is a scheduler on a fresh store at t0 whose firing of
// caseID's entries fails the first time.
func failingOnce(t *testing.T, caseID string) (*bolt.DB, *sfp.FakeClock, *bot.Scheduler) {
	db := newDB(t)
	clock := sfp.NewFakeClock(t0)
	r := newRecorder()
	r.fail[caseID] = 1
	return db, clock, newScheduler(db, clock, r)
}

// A firing that fails rolls its batch back; the failing entry waits
// RetryAfter while the rest of the batch fires, each exactly once.
func TestSchedulerFailureLosesNothingAndBlocksNothing(t *testing.T) {
	db, clock, s := failingOnce(t, "SFP-1002")
	s.RetryAfter = 5 * time.Minute
	putDue(t, db, escalate("SFP-1001", t0.Add(time.Minute)), escalate("SFP-1002", t0.Add(2*time.Minute)), escalate("SFP-1003", t0.Add(3*time.Minute)))
	clock.Advance(time.Hour)
	res, err := s.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Fired != 2 || res.Retried != 1 {
		t.Errorf("first sweep = %+v, want 2 fired and 1 retried", res)
	}
	clock.Advance(5 * time.Minute)
	if res, _ := s.Sweep(context.Background()); res.Fired != 1 {
		t.Errorf("retry sweep = %+v, want the failed entry fired", res)
	}
	for _, id := range []string{"SFP-1001", "SFP-1002", "SFP-1003"} {
		if n := timesFired(t, db, id, "escalate", ""); n != 1 {
			t.Errorf("%s fired %d times, want once", id, n)
		}
	}
}

// Each entry is counted once, by what became of it, after the commit that
// settled it; the lateness of those that fired is observed.
func TestSchedulerCountsWhatBecameOfEachEntry(t *testing.T) {
	db, clock, s := failingOnce(t, "SFP-1004")
	s.Metrics = bot.NewMetrics(db, clock)
	putDue(t, db,
		escalate("SFP-1001", t0),
		remind("SFP-1002", t0.Add(-3*time.Hour), t0.Add(-time.Hour), "1h"),
		escalate("SFP-1003", t0.Add(-10*time.Minute)),
		escalate("SFP-1004", t0.Add(-5*time.Minute)),
	)
	if _, err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	body := gather(t, s.Metrics)
	for _, want := range []string{
		`sfpdesk_due_total{kind="escalate",result="on_time"} 1`,
		`sfpdesk_due_total{kind="escalate",result="late"} 1`,
		`sfpdesk_due_total{kind="escalate",result="retried"} 1`,
		`sfpdesk_due_total{kind="remind",result="skipped"} 1`,
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("missing %s in\n%s", want, body)
		}
	}
	mfs, _ := s.Metrics.Registry.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "sfpdesk_due_lateness_seconds" {
			h := mf.GetMetric()[0].GetHistogram()
			if h.GetSampleCount() != 2 || h.GetSampleSum() != 600 {
				t.Errorf("lateness: %d fired, %v s in all; want 2 and 600 s", h.GetSampleCount(), h.GetSampleSum())
			}
		}
	}
}

// After downtime only what still matters fires: the reminders of a
// deadline that passed meanwhile give way to its escalation, which says it
// is late; a reminder whose deadline is still ahead fires, late.
func TestSchedulerAfterDowntime(t *testing.T) {
	db := newDB(t)
	clock := sfp.NewFakeClock(t0)
	r := newRecorder()
	s := newScheduler(db, clock, r)
	passed := t0.Add(24 * time.Hour)
	ahead := t0.Add(26*time.Hour + 30*time.Minute)
	putDue(t, db,
		remind("SFP-1001", passed.Add(-6*time.Hour), passed, "6h"),
		remind("SFP-1001", passed.Add(-time.Hour), passed, "1h"),
		escalate("SFP-1001", passed),
		remind("SFP-1002", ahead.Add(-time.Hour), ahead, "1h"),
		escalate("SFP-1002", ahead),
	)
	// sfpdesk was down from t0+1h to t0+26h.
	clock.Set(t0.Add(26 * time.Hour))
	res, err := s.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 2 || res.Fired != 2 || res.Late != 2 {
		t.Errorf("sweep = %+v, want 2 reminders skipped, escalation and live reminder fired late", res)
	}
	var got []firing
	for _, f := range r.seen {
		got = append(got, firing{Case: f.Case, Kind: f.Kind, Late: f.Late})
	}
	want := []firing{{Case: "SFP-1001", Kind: "escalate", Late: true}, {Case: "SFP-1002", Kind: "remind", Late: true}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("fired (-want +got):\n%s", d)
	}
	if n := dueCount(t, db); n != 1 {
		t.Errorf("%d entries left, want SFP-1002's escalation", n)
	}
}

func TestSupersededEntries(t *testing.T) {
	due := t0.Add(24 * time.Hour)
	tests := []struct {
		name string
		e    store.DueEntry
		now  time.Time
		want bool
	}{
		{"reminder on time", remind("A", due.Add(-time.Hour), due, "1h"), due.Add(-time.Hour), false},
		{"reminder late, deadline ahead", remind("A", due.Add(-time.Hour), due, "1h"), due.Add(-time.Minute), false},
		{"reminder at its deadline", remind("A", due.Add(-time.Hour), due, "1h"), due, true},
		{"reminder after its deadline", remind("A", due.Add(-time.Hour), due, "1h"), due.Add(time.Hour), true},
		{"escalation is never superseded", escalate("A", due), due.Add(48 * time.Hour), false},
		{"an entry with no deadline", store.DueEntry{At: due, CaseID: "A", Kind: "close"}, due.Add(time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bot.Superseded(tt.e, tt.now); got != tt.want {
				t.Errorf("Superseded = %v, want %v", got, tt.want)
			}
		})
	}
}

// runScheduler starts Run and returns a stop function that waits for it.
func runScheduler(t *testing.T, s *bot.Scheduler) func() {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var runErr error
	go func() {
		defer close(done)
		runErr = s.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return func() {
		cancel()
		select {
		case <-done:
			if runErr != nil {
				t.Errorf("Run returned %v after cancel, want nil", runErr)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not stop after cancel")
		}
	}
}

func waitFired(t *testing.T, r *recorder) firing {
	t.Helper()
	select {
	case f := <-r.fired:
		return f
	case <-time.After(10 * time.Second):
		t.Fatal("nothing fired")
	}
	return firing{}
}

func waitSleeping(t *testing.T, clock *sfp.FakeClock) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := clock.WaitTimers(ctx, 1); err != nil {
		t.Fatal("the scheduler never went to sleep")
	}
}

// The loop sleeps on the clock until the earliest entry, not a tick
// sooner, and fires it when the clock gets there.
func TestSchedulerRunSleepsUntilTheEarliestEntry(t *testing.T) {
	db := newDB(t)
	clock := sfp.NewFakeClock(t0)
	r := newRecorder()
	due := t0.Add(24 * time.Hour)
	putDue(t, db, remind("SFP-1001", due.Add(-6*time.Hour), due, "6h"), escalate("SFP-1001", due))
	stop := runScheduler(t, newScheduler(db, clock, r))
	waitSleeping(t, clock)
	if next, _ := clock.Next(); !next.Equal(due.Add(-6 * time.Hour)) {
		t.Errorf("sleeps until %v, want the reminder's time %v", next, due.Add(-6*time.Hour))
	}
	clock.Set(due.Add(-6 * time.Hour))
	if f := waitFired(t, r); f.Kind != "remind" || !f.At.Equal(due.Add(-6*time.Hour)) {
		t.Errorf("fired %+v, want the reminder at its time", f)
	}
	waitSleeping(t, clock)
	clock.Set(due)
	if f := waitFired(t, r); f.Kind != "escalate" || f.Late {
		t.Errorf("fired %+v, want the escalation on time", f)
	}
	stop()
}

// An entry earlier than the one the loop sleeps until wakes it through
// Notify: a case due in an hour is not kept waiting behind one due
// tomorrow.
func TestSchedulerWokenEarlyByAnEarlierEntry(t *testing.T) {
	db := newDB(t)
	clock := sfp.NewFakeClock(t0)
	r := newRecorder()
	s := newScheduler(db, clock, r)
	putDue(t, db, escalate("SFP-1001", t0.Add(24*time.Hour)))
	stop := runScheduler(t, s)
	waitSleeping(t, clock)
	putDue(t, db, escalate("SFP-1002", t0.Add(time.Hour)))
	s.Notify()
	clock.Advance(time.Hour)
	f := waitFired(t, r)
	if f.Case != "SFP-1002" || !f.At.Equal(t0.Add(time.Hour)) {
		t.Errorf("fired %+v, want SFP-1002 at t0+1h", f)
	}
	stop()
	if n := dueCount(t, db); n != 1 {
		t.Errorf("%d entries left, want SFP-1001's", n)
	}
}
