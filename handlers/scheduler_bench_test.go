package handlers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

// The clocks' benchmarks run against a bbolt file of open cases, each with
// its two reminders and its escalation in the due index, as a busy
// deployment would hold them. See docs/PERFORMANCE.md, "Clocks", for the
// figures and the command lines.
//
//	go test ./handlers/ -run '^$' -bench Clocks -benchmem
//	SFPDESK_BENCH_MILLION=1 go test ./handlers/ -run '^$' -bench Clocks -benchmem -timeout 60m

const benchSellers = 20

// benchApp is an App over the benchmark's file, on clock.
func benchApp(db store.Store, clock sfp.Clock) (*App, *bot.Scheduler) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := &App{Store: db, Clock: clock, Log: log, Settings: Settings{
		Admins: []string{"U0ADMIN"}, EscalationChannel: "C0ESCAL", Lang: "en", Location: clockParis,
		SLA: sfp.DefaultSLA(), RemindBefore: []time.Duration{6 * time.Hour, time.Hour},
		CloseAfter: sfp.Duration{N: 7, Unit: sfp.Days},
	}}
	a.init()
	return a, &bot.Scheduler{Store: db, Clock: clock, Fire: a.FireDue, Log: log}
}

// buildBenchDB writes n open cases whose deadlines are spread over the 24
// hours starting 7 hours after t0, so that nothing is due at t0 and none
// of their entries is due within the next hour. It writes with NoSync and
// 10,000 cases per transaction; the benchmarks reopen the file with the
// production options (fsync on every commit).
func buildBenchDB(b *testing.B, path string, n int, t0 time.Time) {
	b.Helper()
	start := time.Now()
	db, err := bolt.Open(path, &bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	a, _ := benchApp(db, sfp.NewFakeClock(t0))
	ctx := context.Background()
	err = db.Update(ctx, func(tx store.Tx) error {
		for s := range benchSellers {
			name := "seller" + strconv.Itoa(s)
			if err := tx.PutSeller(&sfp.Seller{Name: name, TimeZone: "Europe/Paris", Lang: "en",
				Routes: []sfp.Route{{Seller: name, Channel: fmt.Sprintf("C0SELLER%02d", s)}}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat("Bonjour, le chargeur est-il compatible avec la version 2019 ? ", 4)
	const perTx = 10_000
	for done := 0; done < n; done += perTx {
		err := db.Update(ctx, func(tx store.Tx) error {
			for i := done; i < min(done+perTx, n); i++ {
				num, err := tx.NextCaseNumber()
				if err != nil {
					return err
				}
				received := t0.Add(-17*time.Hour + time.Duration(i)*(24*time.Hour/time.Duration(n)))
				due := received.Add(24 * time.Hour).In(clockParis)
				seller := "seller" + strconv.Itoa(i%benchSellers)
				ch := fmt.Sprintf("C0SELLER%02d", i%benchSellers)
				c := &sfp.Case{
					ID: sfp.CaseID(num), Number: num, Kind: sfp.KindProductQuestion, State: sfp.StateOpen,
					Seller: seller, Marketplace: sfp.DefaultMarketplace, Channel: ch, Source: sfp.SourceIntake,
					SourceID: "bench-" + strconv.Itoa(i), Customer: sfp.Customer{Name: "Marie", Language: "fr"},
					Subject: "Compatibilité", Body: body, ASIN: "B0BENCH001",
					ReceivedAt: received, CreatedAt: received, DueAt: &due,
					Card: sfp.MessageRef{Channel: ch, TS: fmt.Sprintf("%d.%06d", received.Unix(), i%1_000_000), OutboxID: num},
				}
				c.AddEvent(received, sfp.EventCreated, "intake", "intake")
				c.AddEvent(received, sfp.EventPosted, "", "")
				if err := tx.PutCase(c); err != nil {
					return err
				}
				for _, e := range a.dueEntries(c, sellerPrefs{loc: clockParis}) {
					if err := tx.PutDue(e); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(path)
	b.Logf("built %d open cases (%d due entries) in %v: %.0f MB", n, 3*n, time.Since(start).Round(time.Second), float64(fi.Size())/1e6)
}

// benchCases lists the ids and deadlines of cases to put due entries on.
func benchCases(b *testing.B, db store.Store, n int) []store.DueEntry {
	b.Helper()
	var out []store.DueEntry
	err := db.View(context.Background(), func(tx store.Tx) error {
		return tx.ForEachCase(func(c *sfp.Case) bool {
			if c.State == sfp.StateOpen && c.DueAt != nil {
				out = append(out, store.DueEntry{CaseID: c.ID, Kind: DueRemind, Deadline: *c.DueAt, Detail: "1h"})
			}
			return len(out) < n
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

func putEntries(b *testing.B, db store.Store, entries []store.DueEntry) {
	b.Helper()
	err := db.Update(context.Background(), func(tx store.Tx) error {
		for _, e := range entries {
			if err := tx.PutDue(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

func BenchmarkClocks(b *testing.B) {
	sizes := []int{100_000}
	if os.Getenv("SFPDESK_BENCH_MILLION") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("open=%d", n), func(b *testing.B) {
			t0 := time.Now().Truncate(time.Minute)
			path := filepath.Join(b.TempDir(), "bench.db")
			buildBenchDB(b, path, n, t0)
			for _, due := range []int{1, 100} {
				b.Run(fmt.Sprintf("wakeup/due=%d", due), func(b *testing.B) { benchWakeUp(b, path, t0, due) })
			}
			b.Run("startup-to-first-reminder", func(b *testing.B) { benchStartup(b, path, t0) })
			b.Run("memory", func(b *testing.B) { benchMemory(b, path, t0) })
			b.Run("lateness/10000-due-at-once", func(b *testing.B) { benchLateness(b, path, 10_000, 0) })
			if os.Getenv("SFPDESK_BENCH_SPREAD") == "1" {
				b.Run("lateness/10000-over-one-minute", func(b *testing.B) { benchLateness(b, path, 10_000, time.Minute) })
			}
			b.Run("stats/30d", func(b *testing.B) { benchStats(b, path, t0) })
		})
	}
}

func openBench(b *testing.B, path string) *bolt.DB {
	b.Helper()
	db, err := bolt.Open(path, nil)
	if err != nil {
		b.Fatal(err)
	}
	return db
}

// benchWakeUp is one wake-up of the scheduler with `due` reminders due:
// read them from the index, fire them (case, event, outbox message) and
// delete them, in one transaction with its fsync.
func benchWakeUp(b *testing.B, path string, t0 time.Time, due int) {
	db := openBench(b, path)
	defer db.Close()
	clock := sfp.NewFakeClock(t0)
	_, sched := benchApp(db, clock)
	pool := benchCases(b, db, 5000)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		now := t0.Add(time.Duration(i+1) * time.Millisecond)
		clock.Set(now)
		batch := make([]store.DueEntry, due)
		for j := range batch {
			batch[j] = pool[(i*due+j)%len(pool)]
			batch[j].At = now
		}
		putEntries(b, db, batch)
		b.StartTimer()
		res, err := sched.Sweep(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if res.Fired != due {
			b.Fatalf("fired %+v, want %d", res, due)
		}
	}
}

// benchStartup is a restart: open the file, and fire the first reminder
// that came due while sfpdesk was down.
func benchStartup(b *testing.B, path string, t0 time.Time) {
	pool := func() []store.DueEntry {
		db := openBench(b, path)
		defer db.Close()
		return benchCases(b, db, 1000)
	}()
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		now := t0.Add(time.Duration(i+1) * time.Millisecond)
		db := openBench(b, path)
		e := pool[i%len(pool)]
		e.At = now
		putEntries(b, db, []store.DueEntry{e})
		db.Close()
		b.StartTimer()
		db = openBench(b, path)
		_, sched := benchApp(db, sfp.NewFakeClock(now))
		res, err := sched.Sweep(ctx)
		if err != nil || res.Fired != 1 {
			b.Fatalf("first sweep %+v, %v", res, err)
		}
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}

// benchMemory reports the Go heap and the process's resident memory after
// opening the file and firing 100 wake-ups of 100 reminders. bbolt maps
// the file into memory: pages it reads count in RSS as file-backed pages
// the kernel may drop at will, not in the Go heap.
func benchMemory(b *testing.B, path string, t0 time.Time) {
	runtime.GC()
	debug.FreeOSMemory()
	before := procStatus()
	var ms runtime.MemStats
	var after map[string]float64
	for n := range b.N {
		db := openBench(b, path)
		opened := procStatus()
		clock := sfp.NewFakeClock(t0)
		_, sched := benchApp(db, clock)
		pool := benchCases(b, db, 10_000)
		read := procStatus()
		for i := range 100 {
			now := t0.Add(time.Duration(n*100+i+1) * time.Millisecond)
			clock.Set(now)
			batch := make([]store.DueEntry, 100)
			for j := range batch {
				batch[j] = pool[(i*100+j)%len(pool)]
				batch[j].At = now
			}
			putEntries(b, db, batch)
			if _, err := sched.Sweep(context.Background()); err != nil {
				b.Fatal(err)
			}
			if i == 0 {
				first := procStatus()
				b.Logf("file-backed RSS: %.0f MB after Open, %.0f MB after reading 10,000 cases, %.0f MB after the first wake-up",
					(opened["RssFile"]-before["RssFile"])/1e3, (read["RssFile"]-before["RssFile"])/1e3, (first["RssFile"]-before["RssFile"])/1e3)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&ms)
		after = procStatus()
		db.Close()
	}
	fi, _ := os.Stat(path)
	b.ReportMetric(float64(ms.HeapAlloc)/1e6, "heap-MB")
	b.ReportMetric(float64(ms.Sys)/1e6, "go-sys-MB")
	b.ReportMetric(after["VmRSS"]/1e3, "rss-MB")
	b.ReportMetric(after["RssAnon"]/1e3, "rss-anon-MB")
	b.ReportMetric(after["RssFile"]/1e3, "rss-file-MB")
	b.ReportMetric(float64(fi.Size())/1e6, "db-MB")
	b.Logf("before opening: VmRSS %.0f MB (anon %.0f, file %.0f)", before["VmRSS"]/1e3, before["RssAnon"]/1e3, before["RssFile"]/1e3)
}

// procStatus reads the memory lines of /proc/self/status, in kB.
func procStatus() map[string]float64 {
	out := map[string]float64{}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return out
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 2 && fields[1] == "kB" {
			n, _ := strconv.ParseFloat(fields[0], 64)
			out[k] = n
		}
	}
	return out
}

// benchLateness runs the real scheduler loop on the wall clock with
// `count` reminders due within `spread` (0: all at the same instant, the
// worst case of a minute's worth), and reports how late each one's
// transaction committed after its time: the moment the outbox can post it.
func benchLateness(b *testing.B, path string, count int, spread time.Duration) {
	db := openBench(b, path)
	defer db.Close()
	a, sched := benchApp(db, sfp.RealClock{})
	if n, _ := strconv.Atoi(os.Getenv("SFPDESK_BENCH_BATCH")); n > 0 {
		sched.BatchSize = n
	}
	pool := benchCases(b, db, count)
	var all []time.Duration
	for range b.N {
		var mu sync.Mutex
		var pending []time.Time
		var lateness []time.Duration
		done := make(chan struct{})
		sched.Fire = func(tx store.Tx, e store.DueEntry, now time.Time, late bool) error {
			mu.Lock()
			pending = append(pending, e.At)
			mu.Unlock()
			return a.FireDue(tx, e, now, late)
		}
		sched.Fired = func(int) {
			now := time.Now()
			mu.Lock()
			for _, at := range pending {
				lateness = append(lateness, now.Sub(at))
			}
			pending = pending[:0]
			if len(lateness) >= count {
				select {
				case <-done:
				default:
					close(done)
				}
			}
			mu.Unlock()
		}
		start := time.Now().Add(time.Second)
		batch := make([]store.DueEntry, count)
		for j := range batch {
			batch[j] = pool[j%len(pool)]
			batch[j].At = start
			if spread > 0 {
				batch[j].At = start.Add(time.Duration(j) * spread / time.Duration(count))
			}
		}
		putEntries(b, db, batch)
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() { sched.Run(ctx); close(stopped) }()
		select {
		case <-done:
		case <-time.After(spread + 5*time.Minute):
			b.Fatal("reminders did not all fire")
		}
		cancel()
		<-stopped
		all = append(all, lateness...)
	}
	slices.Sort(all)
	q := func(p float64) float64 { return all[int(p*float64(len(all)-1))].Seconds() }
	b.ReportMetric(q(0.5), "p50-s")
	b.ReportMetric(q(0.99), "p99-s")
	b.ReportMetric(all[len(all)-1].Seconds(), "max-s")
}

// benchStats is /sfp stats over every seller for 30 days: a scan of every
// case.
func benchStats(b *testing.B, path string, t0 time.Time) {
	db := openBench(b, path)
	defer db.Close()
	a, _ := benchApp(db, sfp.NewFakeClock(t0))
	b.ResetTimer()
	for range b.N {
		reply := a.Command(context.Background(), slack.SlashCommand{Command: "/sfp", Text: "stats", UserID: "U0ADMIN"})
		if m, ok := reply.(*slack.Msg); !ok || !strings.Contains(m.Text, "seller0") {
			b.Fatalf("stats answered %+v", reply)
		}
	}
}
