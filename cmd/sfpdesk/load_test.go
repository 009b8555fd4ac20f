package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"
	bbolt "go.etcd.io/bbolt"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

// The load programs behind docs/PERFORMANCE.md, "Delivery". They take
// minutes and the whole machine, so they run only when asked:
//
//	go test ./cmd/sfpdesk -run 'TestLoad' -load -v
var (
	loadOn       = flag.Bool("load", false, "run the load programs (figures for docs/PERFORMANCE.md)")
	loadDuration = flag.Duration("load.duration", 20*time.Second, "how long each load phase lasts")
	loadRate     = flag.Int("load.rate", 200, "requests a second in the acknowledgement load")
	loadClients  = flag.Int("load.clients", 64, "concurrent clients in the throughput load")
	loadNoSync   = flag.Bool("load.nosync", false, "commit without fsync: the bot's share of the figures, without the disk's (never in production)")
)

func needLoad(t testing.TB) {
	if !*loadOn {
		t.Skip("a load program: run with -load")
	}
}

// loadServer is the real bot on the wall clock, with fsync on, serving
// signed HTTP, against the fake Slack.
type loadServer struct {
	fake   *fakeslack.Server
	main   *Main
	client *http.Client
	cancel context.CancelFunc
	done   chan error
}

const loadSecret = "load-signing-secret"

func startLoadServer(t testing.TB, latency time.Duration) *loadServer {
	t.Helper()
	fake := fakeslack.New(fakeslack.WithLogLimit(1000))
	fake.SetLatency(latency)
	env := map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-load",
		"SLACK_SIGNING_SECRET": loadSecret,
		"SLACK_API_URL":        fake.APIURL(),
		"SFPDESK_DB":           filepath.Join(t.TempDir(), "sfpdesk.db"),
		"SFPDESK_ADDR":         "127.0.0.1:0",
		"SFPDESK_ADMIN_ADDR":   "127.0.0.1:0",
		"SFPDESK_ADMINS":       "U0ADMIN",
	}
	if *loadPostgres {
		env["SFPDESK_DB"] = loadPostgresURL(t)
	}
	cfg, problems := LoadConfig(func(k string) (string, bool) { v, ok := env[k]; return v, ok }, "")
	if p, bad := firstError(problems); bad {
		t.Fatal(p)
	}
	m := &Main{Config: cfg, Clock: sfp.RealClock{}, Log: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	if *loadNoSync {
		m.storeOptions = &bolt.Options{NoSync: true}
	}
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &loadServer{fake: fake, main: m, cancel: cancel, done: make(chan error, 1)}
	s.client = &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}}
	fake.SetEventsURL("http://"+m.PublicAddr()+"/slack/events", loadSecret)
	go func() { s.done <- m.Run(ctx) }()
	t.Cleanup(func() {
		fake.SetLatency(0)
		cancel()
		<-s.done
		m.Close()
		fake.Close()
	})
	return s
}

func (s *loadServer) url(path string) string { return "http://" + s.main.PublicAddr() + path }

// slash sends "/sfp text" signed and returns how long the acknowledgement
// took and its text.
func (s *loadServer) slash(ctx context.Context, user, channel, text string) (time.Duration, string, error) {
	// Signed as Slack signs it, without the fake's trigger and response_url
	// bookkeeping, whose cost would be the load generator's, not the bot's.
	form := url.Values{
		"token": {"load"}, "team_id": {s.fake.TeamID()}, "team_domain": {"load"},
		"channel_id": {channel}, "channel_name": {"load"}, "user_id": {user}, "user_name": {"agent"},
		"command": {"/sfp"}, "text": {text}, "api_app_id": {s.fake.AppID()},
		"response_url": {s.fake.URL() + "/response/load"}, "trigger_id": {"1.2.load"},
	}
	req, err := fakeslack.NewSignedRequest(ctx, s.url("/slack/commands"), loadSecret, "application/x-www-form-urlencoded", []byte(form.Encode()))
	if err != nil {
		return 0, "", err
	}
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("/slack/commands: %s", resp.Status)
	}
	var msg slack.Msg
	json.Unmarshal(b, &msg)
	return took, msg.Text, err
}

// event sends an Events API event signed and returns how long the
// acknowledgement took.
func (s *loadServer) event(ctx context.Context, ev map[string]any) (time.Duration, error) {
	req, err := s.fake.EventRequest(ctx, s.url("/slack/events"), loadSecret, ev)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		return took, fmt.Errorf("/slack/events: %s", resp.Status)
	}
	return took, nil
}

// openLoop starts fn rate times a second for d, on schedule whatever the
// answers take (as Slack sends, not waiting for the bot), and waits for
// all of them.
func openLoop(rate int, d time.Duration, fn func(i int)) {
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		wg.Go(func() { fn(i) })
	}
	wg.Wait()
}

type latencies struct {
	mu   sync.Mutex
	ds   []time.Duration
	errs int
}

func (l *latencies) add(d time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		l.errs++
		return
	}
	l.ds = append(l.ds, d)
}

func (l *latencies) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	ds := slices.Clone(l.ds)
	slices.Sort(ds)
	if len(ds) == 0 {
		return fmt.Sprintf("no answers, %d errors", l.errs)
	}
	q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/1e6) }
	return fmt.Sprintf("n=%d p50 %s p99 %s max %s errors %d", len(ds), ms(q(0.50)), ms(q(0.99)), ms(ds[len(ds)-1]), l.errs)
}

// seed routes sellers to channels and returns them.
func (s *loadServer) seed(t testing.TB, n int) (sellers, channels []string) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		seller, ch := fmt.Sprintf("seller%d", i), fmt.Sprintf("C0SELL%03d", i)
		s.fake.AddChannel(ch, seller, false, s.fake.BotUserID(), "U0SELLER")
		if _, text, err := s.slash(ctx, "U0ADMIN", "C0CS", fmt.Sprintf("seller add %s <#%s>", seller, ch)); err != nil || !strings.Contains(text, seller) {
			t.Fatalf("seller add: %q %v", text, err)
		}
		sellers, channels = append(sellers, seller), append(channels, ch)
	}
	return sellers, channels
}

// TestLoadAckLatency: acknowledgements of /slack/commands (asks, each a
// case committed with fsync) and /slack/events (replies in case threads,
// each a relay committed with fsync) at -load.rate a second, while every
// Web API call takes 300 ms.
func TestLoadAckLatency(t *testing.T) {
	needLoad(t)
	s := startLoadServer(t, 0)
	sellers, cards := s.cards(t, 10)
	ctx := context.Background()
	s.fake.SetLatency(300 * time.Millisecond)
	t.Logf("GOMAXPROCS %d, %s for each phase at %d requests/s, Slack answering in 300 ms", runtime.GOMAXPROCS(0), *loadDuration, *loadRate)

	var cmds latencies
	srv := s.ackHistogram("commands")
	openLoop(*loadRate, *loadDuration, func(i int) {
		d, _, err := s.slash(ctx, "U0AGENT", "C0CS", fmt.Sprintf("ask %s load question %d", sellers[i%len(sellers)], i))
		cmds.add(d, err)
	})
	t.Logf("/slack/commands (ask): %s", &cmds)
	if pg, ok := s.main.Store.(interface{ Retries() int64 }); ok {
		t.Logf("  transactions run again after a conflict: %d", pg.Retries())
	}
	t.Logf("  as the bot measures it: %s", srv.since(s.ackHistogram("commands")))

	var evs latencies
	srv = s.ackHistogram("events")
	openLoop(*loadRate, *loadDuration, func(i int) {
		card := cards[i%len(cards)]
		evs.add(s.reply(ctx, card, i))
	})
	t.Logf("/slack/events (thread reply): %s", &evs)
	if pg, ok := s.main.Store.(interface{ Retries() int64 }); ok {
		t.Logf("  transactions run again after a conflict, both phases: %d", pg.Retries())
	}
	t.Logf("  as the bot measures it: %s", srv.since(s.ackHistogram("events")))
}

// ackHistogram is the bot's own sfpdesk_ack_latency_seconds for entry:
// from receiving a request to answering it, without the client's side of
// the connection.
func (s *loadServer) ackHistogram(entry string) ackBuckets {
	var out ackBuckets
	mfs, _ := s.main.Metrics.Registry.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "sfpdesk_ack_latency_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "entry" && l.GetValue() == entry {
					for _, b := range m.GetHistogram().GetBucket() {
						out = append(out, ackBucket{le: b.GetUpperBound(), n: b.GetCumulativeCount()})
					}
				}
			}
		}
	}
	return out
}

type ackBucket struct {
	le float64
	n  uint64
}

type ackBuckets []ackBucket

// since is the share of the acknowledgements between b and later within
// each bucket's bound.
func (b ackBuckets) since(later ackBuckets) string {
	if len(later) == 0 {
		return "no figures"
	}
	total := later[len(later)-1].n
	if len(b) == len(later) {
		total -= b[len(b)-1].n
	}
	var parts []string
	for i, l := range later {
		n := l.n
		if len(b) == len(later) {
			n -= b[i].n
		}
		if l.le >= 0.005 && l.le <= 0.025 {
			parts = append(parts, fmt.Sprintf("%.2f %% within %g ms", 100*float64(n)/float64(max(1, total)), l.le*1000))
		}
	}
	return strings.Join(parts, ", ")
}

// cards seeds n sellers, asks each a question, and waits for the cards:
// threads for the sellers' replies, posted before Slack slows down.
func (s *loadServer) cards(tb testing.TB, n int) ([]string, []sfp.MessageRef) {
	tb.Helper()
	ctx := context.Background()
	s.fake.AddChannel("C0CS", "cs", false, s.fake.BotUserID(), "U0AGENT")
	sellers, _ := s.seed(tb, n)
	for i := range sellers {
		if _, _, err := s.slash(ctx, "U0AGENT", "C0CS", "ask "+sellers[i]+" warm-up question"); err != nil {
			tb.Fatal(err)
		}
	}
	var cards []sfp.MessageRef
	deadline := time.Now().Add(30 * time.Second)
	for len(cards) < len(sellers) && time.Now().Before(deadline) {
		cards = cards[:0]
		s.main.Store.View(ctx, func(tx store.Tx) error {
			cs, _ := tx.OpenCases("")
			for _, c := range cs {
				if c.Card.TS != "" {
					cards = append(cards, c.Card)
				}
			}
			return nil
		})
		time.Sleep(50 * time.Millisecond)
	}
	if len(cards) < len(sellers) {
		tb.Fatalf("only %d cards posted", len(cards))
	}
	return sellers, cards
}

// reply is the seller's i-th reply in a card's thread, as Slack sends it.
func (s *loadServer) reply(ctx context.Context, card sfp.MessageRef, i int) (time.Duration, error) {
	return s.event(ctx, map[string]any{
		"type": "message", "user": "U0SELLER", "channel": card.Channel, "thread_ts": card.TS,
		"text": fmt.Sprintf("reply %d", i), "ts": fmt.Sprintf("1790000000.%06d", i),
	})
}

// TestLoadCaseThroughput: cases created a second through /slack/commands
// by -load.clients clients, each sending its next ask as soon as the last
// is acknowledged; then, in the same run, raw bbolt Batch writes of the
// same bytes by as many goroutines.
func TestLoadCaseThroughput(t *testing.T) {
	needLoad(t)
	// bbolt alone first, on the same quiet machine, each Batch writing the
	// bytes one ask writes (a case and its two messages: 2,950 bytes on
	// average, checked below).
	const askBytes = 2950
	raw := rawBatch(t, *loadClients, *loadDuration, askBytes, time.Millisecond)
	rawDefault := rawBatch(t, *loadClients, *loadDuration, askBytes, bboltDefaultBatchDelay)
	s := startLoadServer(t, 300*time.Millisecond)
	s.fake.SetLatency(0)
	s.fake.AddChannel("C0CS", "cs", false, s.fake.BotUserID(), "U0AGENT")
	sellers, _ := s.seed(t, 10)
	s.fake.SetLatency(300 * time.Millisecond)
	ctx := context.Background()
	var n, errs atomic.Int64
	stop := time.Now().Add(*loadDuration)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range *loadClients {
		wg.Go(func() {
			for i := 0; time.Now().Before(stop); i++ {
				_, text, err := s.slash(ctx, "U0AGENT", "C0CS", fmt.Sprintf("ask %s question %d from %d", sellers[(c+i)%len(sellers)], i, c))
				if err != nil || !strings.Contains(text, "SFP-") {
					errs.Add(1)
					continue
				}
				n.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	handlers := float64(n.Load()) / elapsed.Seconds()

	// What one ask wrote: the case and its two messages.
	var bytes, cases int
	s.main.Store.View(ctx, func(tx store.Tx) error {
		return tx.ForEachCase(func(c *sfp.Case) bool {
			b, _ := json.Marshal(c)
			bytes += len(b)
			for _, id := range []uint64{c.Card.OutboxID, c.CSThread.OutboxID} {
				if m, err := tx.OutboxMessage(id); err == nil {
					b, _ := json.Marshal(m)
					bytes += len(b)
				}
			}
			cases++
			return true
		})
	})
	size := bytes / max(cases, 1)

	t.Logf("GOMAXPROCS %d, %d clients, %s each, fsync on", runtime.GOMAXPROCS(0), *loadClients, *loadDuration)
	t.Logf("through the HTTP handlers: %d cases (%d errors), %.0f cases/s; %d bytes written per case", n.Load(), errs.Load(), handlers, size)
	t.Logf("raw bbolt Batch of %d bytes, bbolt's default batch delay %s: %.0f writes/s; handlers reach %.0f%%", askBytes, bboltDefaultBatchDelay, rawDefault, 100*handlers/rawDefault)
	t.Logf("raw bbolt Batch of %d bytes, batch delay cut to %s: %.0f writes/s; handlers reach %.0f%%", askBytes, time.Millisecond, raw, 100*handlers/raw)
}

// bboltDefaultBatchDelay is bbolt's own MaxBatchDelay.
const bboltDefaultBatchDelay = 10 * time.Millisecond

// rawBatch is bbolt alone: goroutines each writing the bytes of one case
// in one Batch call, as fast as commits allow, on a file with the store's
// options.
func rawBatch(t testing.TB, goroutines int, d time.Duration, size int, delay time.Duration) float64 {
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "raw.db"), 0o600, &bbolt.Options{FreelistType: bbolt.FreelistMapType})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.MaxBatchDelay = delay
	db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucketIfNotExists([]byte("b")); return err })
	val := []byte(strings.Repeat("x", size))
	var seq, n atomic.Int64
	stop := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for range goroutines {
		wg.Go(func() {
			for time.Now().Before(stop) {
				k := seq.Add(1)
				err := db.Batch(func(tx *bbolt.Tx) error {
					return tx.Bucket([]byte("b")).Put(fmt.Appendf(nil, "%016d", k), val)
				})
				if err == nil {
					n.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds()
}

// burst is one delivery scenario: asks for sellers, each seller with its
// own channel, from agents spread so that only the seller channels are
// held by the rate limit.
type burst struct {
	name    string
	sellers int
	perCase int // cases per seller
}

var bursts = []burst{
	{"30 cases into one channel", 1, 30},
	{"300 cases over 10 channels", 10, 30},
}

// runBurst fires the asks of b at serve, lets the outbox drain against a
// fake Slack that allows one message a second per channel with bursts of
// 3, and reports delivery time over the limit's minimum and the 429s.
// now is the clock the fake and the bot share; drain waits for the outbox.
func runBurst(t *testing.T, b burst, fake *fakeslack.Server, st store.Store, now func() time.Time,
	slash func(user, channel, text string) error, drain func(), ready func()) (ratio float64, r429 float64, msgs int) {
	t.Helper()
	var channels, csChans []string
	for i := range b.sellers {
		seller, ch := fmt.Sprintf("burst%d", i), fmt.Sprintf("C0BURST%02d", i)
		fake.AddChannel(ch, seller, false, fake.BotUserID())
		if err := slash("U0ADMIN", "C0CSADMIN", fmt.Sprintf("seller add %s <#%s>", seller, ch)); err != nil {
			t.Fatal(err)
		}
		channels = append(channels, ch)
	}
	drain()
	fake.SetRateLimit(1, 3)
	before429 := fake.Count429()
	// Confirmations go to the agents' channels, three each: within the
	// burst Slack allows, so the seller channels alone set the minimum.
	agents := b.sellers * b.perCase / 3
	for j := range agents {
		csChans = append(csChans, fmt.Sprintf("C0AGENT%03d", j))
		fake.AddChannel(csChans[j], fmt.Sprintf("agent-%d", j), false, fake.BotUserID())
	}
	if ready != nil {
		ready()
	}
	start := now()
	var wg sync.WaitGroup
	var n atomic.Int64
	for i := range b.sellers * b.perCase {
		wg.Go(func() {
			j := i % agents
			if err := slash(fmt.Sprintf("U0AG%03d", j), csChans[j], fmt.Sprintf("ask burst%d question %d", i%b.sellers, i)); err != nil {
				t.Error(err)
				return
			}
			n.Add(1)
		})
	}
	wg.Wait()
	drain()
	var last time.Time
	for _, ch := range append(slices.Clone(channels), csChans...) {
		for _, m := range fake.Messages(ch) {
			if m.Time.After(last) {
				last = m.Time
			}
		}
	}
	minimum := time.Duration(b.perCase-3) * time.Second
	checkExactlyOnce(t, fake, st, append(channels, csChans...), nil)
	msgs = 2 * int(n.Load())
	return float64(last.Sub(start)) / float64(minimum), 100 * float64(fake.Count429()-before429) / float64(msgs), msgs
}

// TestBurstDeliveryKeepsSlacksLimit is the delivery figure at a simulated
// rate: the bot and the fake Slack share a simulated clock, so a burst that
// takes half a minute of Slack's time takes a moment of the test's, and the
// measure is exact.
func TestBurstDeliveryKeepsSlacksLimit(t *testing.T) {
	for _, b := range bursts {
		t.Run(b.name, func(t *testing.T) {
			h := newHarness(t, false, func(c *Config) { c.Admins = []string{"U0ADMIN"} })
			h.Fake.AddChannel("C0CSADMIN", "admins", false, h.Fake.BotUserID())
			// Other work holds every CPU throughout, as other test suites
			// on the same machine do: slowness may cost an ask its answer's
			// speed (the answer then says the question is on its way), never
			// the contact. Every ask must make its case, delivered once.
			stop := busy()
			defer stop()
			var pending atomic.Int64
			slash := func(user, channel, text string) error {
				msg, err := h.Slash(ctx, user, channel, text)
				switch {
				case err != nil || !strings.HasPrefix(text, "ask"):
				case strings.HasPrefix(msg.Text, ":hourglass_flowing_sand:"):
					pending.Add(1)
				case !strings.Contains(msg.Text, "SFP-"):
					err = fmt.Errorf("ask answered %q", msg.Text)
				}
				return err
			}
			drain := func() {
				if err := h.Settle(ctx); err != nil {
					t.Fatal(err)
				}
			}
			ratio, r429, msgs := runBurst(t, b, h.Fake, h.Main.DB, h.Clock.Now, slash, drain, nil)
			t.Logf("%d messages: delivery time %.3f × the minimum, %.2f 429s per 100 messages; %d asks answered before their commit", msgs, ratio, r429, pending.Load())
			cases := 0
			h.Main.DB.View(ctx, func(tx store.Tx) error {
				return tx.ForEachCase(func(c *sfp.Case) bool {
					if c.Kind == sfp.KindCSContact {
						cases++
					}
					return true
				})
			})
			if want := b.sellers * b.perCase; cases != want || msgs != 2*want {
				t.Errorf("%d asks made %d cases and %d messages, want %d and %d", want, cases, msgs, want, 2*want)
			}
			if ratio > 1.10 {
				t.Errorf("delivery took %.3f × the rate limit's minimum, want ≤ 1.10", ratio)
			}
			if r429 > 1 {
				t.Errorf("%.2f 429s per 100 messages, want ≤ 1", r429)
			}
		})
	}
}

// TestLoadBurstDelivery is the same at Slack's real rate on the wall
// clock, with every Web API call taking 300 ms: half a minute a burst.
func TestLoadBurstDelivery(t *testing.T) {
	needLoad(t)
	for _, b := range bursts {
		t.Run(b.name, func(t *testing.T) {
			s := startLoadServer(t, 0)
			s.fake.AddChannel("C0CSADMIN", "admins", false, s.fake.BotUserID())
			slash := func(user, channel, text string) error {
				_, msg, err := s.slash(ctx, user, channel, text)
				if err == nil && strings.HasPrefix(text, "ask") && !strings.Contains(msg, "SFP-") {
					err = fmt.Errorf("ask answered %q", msg)
				}
				return err
			}
			drain := func() {
				deadline := time.Now().Add(5 * time.Minute)
				for !s.main.Outbox.Idle(ctx) {
					if time.Now().After(deadline) {
						t.Fatal("the outbox did not drain")
					}
					time.Sleep(5 * time.Millisecond)
				}
			}
			ratio, r429, msgs := runBurst(t, b, s.fake, s.main.DB, time.Now, slash, drain, func() {
				s.fake.SetLatency(300 * time.Millisecond)
			})
			t.Logf("%d messages: delivery time %.3f × the minimum, %.2f 429s per 100 messages", msgs, ratio, r429)
		})
	}
}

// BenchmarkAskAck is one /sfp ask through signed HTTP, acknowledged after
// its case is committed with fsync, while Slack takes 300 ms a call: the
// time per op is the acknowledgement's with nothing else going on.
func BenchmarkAskAck(b *testing.B) {
	s := startLoadServer(b, 0)
	s.fake.AddChannel("C0CS", "cs", false, s.fake.BotUserID(), "U0AGENT")
	sellers, _ := s.seed(b, 10)
	s.fake.SetLatency(300 * time.Millisecond)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, text, err := s.slash(context.Background(), "U0AGENT", "C0CS", fmt.Sprintf("ask %s question %d", sellers[i%len(sellers)], i)); err != nil || !strings.Contains(text, "SFP-") {
			b.Fatalf("%q %v", text, err)
		}
	}
}

// BenchmarkReplyAck is a seller's reply in a case thread through signed
// HTTP, acknowledged after its relay is committed with fsync, one at a
// time into ten cases: every case holds b.N/10 replies by the end, so the
// time per op shows what a long thread costs.
func BenchmarkReplyAck(b *testing.B) {
	s := startLoadServer(b, 0)
	_, cards := s.cards(b, 10)
	s.fake.SetLatency(300 * time.Millisecond)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := s.reply(context.Background(), cards[i%len(cards)], i); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAskThroughput is -load.clients clients asking at once: cases a
// second committed through the handlers.
func BenchmarkAskThroughput(b *testing.B) {
	s := startLoadServer(b, 0)
	s.fake.AddChannel("C0CS", "cs", false, s.fake.BotUserID(), "U0AGENT")
	sellers, _ := s.seed(b, 10)
	s.fake.SetLatency(300 * time.Millisecond)
	var n atomic.Int64
	b.SetParallelism(max(1, *loadClients/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	st0 := s.main.DB.Stats()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, text, err := s.slash(context.Background(), "U0AGENT", "C0CS", fmt.Sprintf("ask %s question %d", sellers[i%int64(len(sellers))], i)); err != nil || !strings.Contains(text, "SFP-") {
				b.Errorf("%q %v", text, err)
				return
			}
		}
	})
	b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "cases/s")
	st1 := s.main.DB.Stats()
	st := st1.Sub(&st0)
	// Pages written per case: what each commit costs the disk, shared out.
	b.ReportMetric(float64(st.TxStats.GetPageCount())/float64(max(1, n.Load())), "pages/case")
}

// BenchmarkRawBoltBatch is bbolt alone, as many writers, each Batch
// writing the bytes of one case and its two messages.
func BenchmarkRawBoltBatch(b *testing.B) {
	db, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, &bbolt.Options{FreelistType: bbolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	// bbolt as shipped: its default batch delay and size.
	db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucketIfNotExists([]byte("b")); return err })
	val := []byte(strings.Repeat("x", 2950))
	var seq atomic.Int64
	b.SetParallelism(max(1, *loadClients/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := seq.Add(1)
			if err := db.Batch(func(tx *bbolt.Tx) error {
				return tx.Bucket([]byte("b")).Put(fmt.Appendf(nil, "%016d", k), val)
			}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(seq.Load())/time.Since(start).Seconds(), "writes/s")
}
