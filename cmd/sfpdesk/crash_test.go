package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

// The crash test's knobs: a seed replays a run; more kills and asks make
// a soak. SFPDESK_CRASH_SEED and SFPDESK_CRASH_KILLS do the same from the
// environment, for CI scripts.
var (
	crashSeed  = flag.Uint64("crash.seed", 0, "seed of the crash test's kills and asks (0: a fresh one, logged)")
	crashKills = flag.Int("crash.kills", 5, "how many times the crash test kills serve")
	crashAsks  = flag.Int("crash.asks", 48, "how many /sfp ask the crash test fires")
)

func crashSettings(t *testing.T) (seed uint64, kills, asks int) {
	seed, kills, asks = *crashSeed, *crashKills, *crashAsks
	if v := os.Getenv("SFPDESK_CRASH_SEED"); v != "" && seed == 0 {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SFPDESK_CRASH_SEED: %v", err)
		}
		seed = n
	}
	if v := os.Getenv("SFPDESK_CRASH_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("SFPDESK_CRASH_KILLS: %v", err)
		}
		kills, asks = n, max(asks, n*10)
	}
	if seed == 0 {
		seed = rand.Uint64()
	}
	return seed, kills, asks
}

var caseIDRe = regexp.MustCompile(`SFP-\d+`)

// TestExactlyOnceAcrossCrashes runs serve as a child process against the
// fake Slack, slowed so that sends are in flight, fires asks at several
// sellers in several channels, and kills serve with SIGKILL at random
// moments, restarting it on the same database each time. Once the last
// run has drained, every committed case must have its card and its
// confirmation in Slack exactly once, each channel in commit order, and
// every acknowledged ask must be a committed case.
func TestExactlyOnceAcrossCrashes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serve as a child process several times")
	}
	seed, kills, asks := crashSettings(t)
	t.Logf("seed %d, %d kills, %d asks (replay: go test ./cmd/sfpdesk -run TestExactlyOnceAcrossCrashes -crash.seed=%d)", seed, kills, asks, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5f9d))

	const admin, secret = "U0ADMIN", "test-secret"
	fake := fakeslack.New()
	defer fake.Close()
	fake.SetRateLimit(1, 3) // Slack's, which a restart does not reset
	var sellers, sellerChans, csChans []string
	for i := range 6 {
		sellers = append(sellers, fmt.Sprintf("seller%d", i))
		sellerChans = append(sellerChans, fmt.Sprintf("C0SELL%d", i))
		csChans = append(csChans, fmt.Sprintf("C0CS%d", i))
		fake.AddChannel(sellerChans[i], sellers[i], false, fake.BotUserID())
		fake.AddChannel(csChans[i], fmt.Sprintf("cs-%d", i), false, fake.BotUserID())
	}
	db := filepath.Join(t.TempDir(), "sfpdesk.db")
	env := serveEnv(t, fake, db)
	env["SFPDESK_ADMINS"] = admin
	var stderrs []string
	start := func() *child {
		c := startChild(t, env, "serve")
		c.waitHealthy(t)
		return c
	}
	cur := start()

	post := func(ctx context.Context, user, channel, text string) (string, error) {
		req, err := fake.SlashCommandRequest(ctx, "http://"+env["SFPDESK_ADDR"]+"/slack/commands", secret,
			slack.SlashCommand{Command: "/sfp", Text: text, UserID: user, ChannelID: channel})
		if err != nil {
			return "", err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("%s", resp.Status)
		}
		return string(b), nil
	}
	ctx := context.Background()
	for i, s := range sellers {
		if out, err := post(ctx, admin, csChans[0], fmt.Sprintf("seller add %s <#%s>", s, sellerChans[i])); err != nil || !strings.Contains(out, s) {
			t.Fatalf("seller add: %q, %v", out, err)
		}
	}
	// Sends stay in flight long enough for kills to land during them.
	fake.SetLatency(60 * time.Millisecond)

	// The burst: agents ask from their channels while serve dies and
	// comes back. An ask refused because serve is down is lost to the
	// agent, as with Slack; an acknowledged one must be a committed case.
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	ask := func(n int) {
		i, j := n%len(sellers), (n/len(sellers))%len(csChans)
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		out, err := post(actx, fmt.Sprintf("U0AGENT%d", j), csChans[j], fmt.Sprintf("ask %s question number %d", sellers[i], n))
		if id := caseIDRe.FindString(out); err == nil && id != "" {
			mu.Lock()
			acked[id] = true
			mu.Unlock()
		}
	}
	perPhase := max(1, asks/(kills+1))
	next := 0
	for k := 0; k <= kills; k++ {
		// A share of the asks, racing the kill that ends this phase.
		for range perPhase {
			if next < asks {
				n := next
				next++
				wg.Go(func() { ask(n) })
			}
		}
		if k == kills {
			break
		}
		// A random moment: right after Slack answered the n-th post, when
		// serve may not have recorded it yet and other channels' posts
		// are on their way; or at once, while the asks are being
		// committed and answered.
		if rng.IntN(3) > 0 {
			target := fake.Calls("chat.postMessage") + 1 + rng.IntN(8)
			if rng.IntN(2) == 0 {
				// A post Slack applies but answers 500: the run that would
				// look it up before resending may be the next one.
				fake.FailNextAfterApply("chat.postMessage", 500)
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			fake.WaitCalls(wctx, "chat.postMessage", target)
			cancel()
		}
		cur.cmd.Process.Signal(syscall.SIGKILL)
		cur.cmd.Wait()
		stderrs = append(stderrs, cur.stderr.String())
		t.Logf("kill %d after %d chat.postMessage calls", k+1, fake.Calls("chat.postMessage"))
		cur = start()
	}
	wg.Wait()
	fake.SetLatency(0)
	// At a message a second per channel, plus room for a slow machine.
	waitDrained(t, "http://"+env["SFPDESK_ADMIN_ADDR"]+"/metrics", cur, time.Minute+time.Duration(asks)*time.Second/3)
	cur.cmd.Process.Signal(syscall.SIGTERM)
	if code := cur.exitCode(t); code != 0 {
		t.Fatalf("last run exit %d; stderr:\n%s", code, cur.stderr)
	}
	stderrs = append(stderrs, cur.stderr.String())
	reconciled := 0
	for _, s := range stderrs {
		reconciled += strings.Count(s, "message found posted")
	}
	t.Logf("%d of %d asks acknowledged; %d sends found posted after an unknown outcome", len(acked), asks, reconciled)

	d, err := bolt.Open(db, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Check(); err != nil {
		t.Errorf("database inconsistent after the kills: %v", err)
	}
	checkExactlyOnce(t, fake, d, append(sellerChans, csChans...), acked)
}

// waitDrained polls serve's metrics until no channel has a queue.
func waitDrained(t *testing.T, metricsURL string, c *child, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := http.Get(metricsURL)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && drained(string(b)) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbox never drained; stderr:\n%s", c.stderr)
		}
		<-tick.C
	}
}

// drained reports whether every outbox depth series of a scrape is 0.
func drained(body string) bool {
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "sfpdesk_outbox_depth{") && !strings.HasSuffix(l, "} 0") {
			return false
		}
	}
	return true
}

// checkExactlyOnce compares what the fake Slack holds with what the
// database committed.
func checkExactlyOnce(t *testing.T, fake *fakeslack.Server, st store.Store, channels []string, acked map[string]bool) {
	t.Helper()
	checkExactlyOnceOrdered(t, fake, st, channels, acked, false)
}

// checkExactlyOnceOrdered is checkExactlyOnce; byCase checks the order of
// each case's messages in a channel only. Replicas on PostgreSQL take
// outbox ids from a sequence before their transactions commit, so two
// cases committed at the same moment may reach a channel in the order of
// their commits rather than of their ids; one case's messages never do.
func checkExactlyOnceOrdered(t *testing.T, fake *fakeslack.Server, st store.Store, channels []string, acked map[string]bool, byCase bool) {
	t.Helper()
	// The fake's record: every message of ours, by outbox id.
	type seen struct {
		channel, ts string
	}
	inSlack := map[uint64][]seen{}
	for _, ch := range channels {
		lasts := map[string]uint64{}
		lastTSs := map[string]string{}
		for _, m := range fake.Messages(ch) {
			if m.Metadata == nil || m.Metadata.EventType != "sfpdesk_case" {
				continue
			}
			id := metadataOutboxID(m.Metadata.EventPayload)
			if id == 0 {
				t.Errorf("%s %s: metadata without an outbox id: %v", ch, m.TS, m.Metadata.EventPayload)
				continue
			}
			inSlack[id] = append(inSlack[id], seen{ch, m.TS})
			key := ""
			if byCase {
				key, _ = m.Metadata.EventPayload["case_id"].(string)
			}
			if last := lasts[key]; id <= last {
				t.Errorf("%s: outbox %d (ts %s) after outbox %d (ts %s): out of commit order", ch, id, m.TS, last, lastTSs[key])
			}
			lasts[key], lastTSs[key] = id, m.TS
		}
	}
	for id, where := range inSlack {
		if len(where) > 1 {
			t.Errorf("outbox %d posted %d times: %v", id, len(where), where)
		}
	}

	cases := 0
	err := st.View(context.Background(), func(tx store.Tx) error {
		if chans, err := tx.PendingChannels(); err != nil || len(chans) > 0 {
			t.Errorf("messages still pending in %v (%v)", chans, err)
		}
		for id := range acked {
			if _, err := tx.Case(id); err != nil {
				t.Errorf("%s was acknowledged but is not in the database: %v", id, err)
			}
		}
		return tx.ForEachCase(func(c *sfp.Case) bool {
			cases++
			for what, ref := range map[string]sfp.MessageRef{"card": c.Card, "confirmation": c.CSThread} {
				m, err := tx.OutboxMessage(ref.OutboxID)
				if err != nil {
					t.Errorf("%s: %s outbox %d: %v", c.ID, what, ref.OutboxID, err)
					continue
				}
				where := inSlack[m.ID]
				switch {
				case m.State != store.OutboxSent || m.TS == "":
					t.Errorf("%s: %s is %s (%s), want sent", c.ID, what, m.State, m.LastError)
				case len(where) != 1:
					t.Errorf("%s: %s (outbox %d) is in Slack %d times", c.ID, what, m.ID, len(where))
				case where[0].ts != m.TS || where[0].ts != ref.TS || where[0].channel != ref.Channel:
					t.Errorf("%s: %s recorded at %s/%s, Slack has it at %v", c.ID, what, ref.Channel, ref.TS, where[0])
				}
			}
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if cases == 0 {
		t.Fatal("no case was committed: the test proved nothing")
	}
	t.Logf("%d cases committed, %d messages in Slack", cases, len(inSlack))
}

func metadataOutboxID(p map[string]any) uint64 {
	switch v := p["outbox_id"].(type) {
	case float64:
		return uint64(v)
	case string:
		n, _ := strconv.ParseUint(v, 10, 64)
		return n
	}
	return 0
}
