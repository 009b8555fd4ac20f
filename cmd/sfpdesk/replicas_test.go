package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/store/postgres"
	"github.com/sfpdesk/sfpdesk/store/postgres/pgtest"
)

var replicaKills = flag.Int("replicas.kills", 3, "how many times the replica test kills the leader")

// takeoverLimit is how soon after the leader's death another replica must
// lead (DESIGN §4.10).
const takeoverLimit = 15 * time.Second

// replica is one serve process of the replica test.
type replica struct {
	env map[string]string
	c   *child
}

func (r *replica) leads() bool {
	resp, err := http.Get("http://" + r.env["SFPDESK_ADDR"] + "/readyz")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var ready struct {
		Leader bool `json:"leader"`
	}
	return json.NewDecoder(resp.Body).Decode(&ready) == nil && ready.Leader
}

// TestReplicasExactlyOnceAcrossLeaderKills runs two serve processes on
// one PostgreSQL database against the fake Slack, fires asks at both, and
// SIGKILLs whichever leads at random moments, starting it again as a
// follower. The other replica must lead within takeoverLimit; once the
// outbox has drained, every acknowledged ask is a committed case, and
// every case's card and confirmation are in Slack exactly once, each
// case's messages in order in each channel.
func TestReplicasExactlyOnceAcrossLeaderKills(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serve as two child processes several times")
	}
	url := pgtest.URL(t)
	seed, _, _ := crashSettings(t)
	kills := *replicaKills
	asks := 12 * (kills + 1)
	t.Logf("seed %d, %d kills, %d asks (replay: -crash.seed=%d)", seed, kills, asks, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5f9d))

	const admin, secret = "U0ADMIN", "test-secret"
	fake := fakeslack.New()
	defer fake.Close()
	fake.SetRateLimit(1, 3)
	var sellers, sellerChans, csChans []string
	for i := range 4 {
		sellers = append(sellers, fmt.Sprintf("seller%d", i))
		sellerChans = append(sellerChans, fmt.Sprintf("C0SELL%d", i))
		csChans = append(csChans, fmt.Sprintf("C0CS%d", i))
		fake.AddChannel(sellerChans[i], sellers[i], false, fake.BotUserID())
		fake.AddChannel(csChans[i], fmt.Sprintf("cs-%d", i), false, fake.BotUserID())
	}
	reps := make([]*replica, 2)
	var stderrs []string
	for i := range reps {
		env := serveEnv(t, fake, url)
		env["SFPDESK_ADMINS"] = admin
		reps[i] = &replica{env: env}
	}
	start := func(r *replica) {
		r.c = startChild(t, r.env, "serve")
		r.c.waitHealthy(t)
	}
	for _, r := range reps {
		start(r)
	}
	leader := func() *replica {
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			for _, r := range reps {
				if r.leads() {
					return r
				}
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatal("no replica leads")
		return nil
	}

	post := func(ctx context.Context, r *replica, user, channel, text string) (string, error) {
		req, err := fake.SlashCommandRequest(ctx, "http://"+r.env["SFPDESK_ADDR"]+"/slack/commands", secret,
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
		if out, err := post(ctx, reps[i%2], admin, csChans[0], fmt.Sprintf("seller add %s <#%s>", s, sellerChans[i])); err != nil || !strings.Contains(out, s) {
			t.Fatalf("seller add: %q, %v", out, err)
		}
	}
	fake.SetLatency(60 * time.Millisecond)

	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	ask := func(n int) {
		i, j := n%len(sellers), (n/len(sellers))%len(csChans)
		actx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		out, err := post(actx, reps[n%2], fmt.Sprintf("U0AGENT%d", j), csChans[j], fmt.Sprintf("ask %s question number %d", sellers[i], n))
		if id := caseIDRe.FindString(out); err == nil && id != "" {
			mu.Lock()
			acked[id] = true
			mu.Unlock()
		}
	}
	perPhase := asks / (kills + 1)
	next := 0
	var takeovers []time.Duration
	for k := 0; k <= kills; k++ {
		for range perPhase {
			n := next
			next++
			wg.Go(func() { ask(n) })
		}
		if k == kills {
			break
		}
		old := leader()
		if rng.IntN(3) > 0 {
			target := fake.Calls("chat.postMessage") + 1 + rng.IntN(6)
			if rng.IntN(2) == 0 {
				fake.FailNextAfterApply("chat.postMessage", 500)
			}
			wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			fake.WaitCalls(wctx, "chat.postMessage", target)
			cancel()
		}
		other := reps[0]
		if other == old {
			other = reps[1]
		}
		old.c.cmd.Process.Signal(syscall.SIGKILL)
		killed := time.Now()
		old.c.cmd.Wait()
		stderrs = append(stderrs, old.c.stderr.String())
		for !other.leads() {
			if time.Since(killed) > takeoverLimit {
				t.Fatalf("kill %d: the other replica did not lead within %s; its stderr:\n%s", k+1, takeoverLimit, other.c.stderr)
			}
			time.Sleep(10 * time.Millisecond)
		}
		takeovers = append(takeovers, time.Since(killed))
		start(old)
	}
	wg.Wait()
	fake.SetLatency(0)
	t.Logf("takeovers after each kill: %v", takeovers)
	lead := leader()
	waitDrained(t, "http://"+lead.env["SFPDESK_ADMIN_ADDR"]+"/metrics", lead.c, time.Minute+time.Duration(asks)*time.Second/3)
	for _, r := range reps {
		r.c.cmd.Process.Signal(syscall.SIGTERM)
		if code := r.c.exitCode(t); code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, r.c.stderr)
		}
		stderrs = append(stderrs, r.c.stderr.String())
	}
	reconciled := 0
	for _, s := range stderrs {
		reconciled += strings.Count(s, "message found posted")
	}
	t.Logf("%d of %d asks acknowledged; %d sends found posted after an unknown outcome", len(acked), asks, reconciled)
	st, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checkExactlyOnceOrdered(t, fake, st, append(sellerChans, csChans...), acked, true)
}
