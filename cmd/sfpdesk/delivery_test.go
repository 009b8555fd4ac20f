package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
)

// slackCalls records when each of the bot's Web API calls started and
// ended on one sequence shared with the test's own marks, so a test can
// tell whether an acknowledgement waited for a call without timing either.
type slackCalls struct {
	base  http.RoundTripper
	mu    sync.Mutex
	seq   int
	spans []span
}

type span struct {
	method     string
	start, end int // end 0 while the call runs
}

func (c *slackCalls) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	return c.seq
}

func (c *slackCalls) RoundTrip(r *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.seq++
	i := len(c.spans)
	c.spans = append(c.spans, span{method: strings.TrimPrefix(r.URL.Path, "/api/"), start: c.seq})
	c.mu.Unlock()
	resp, err := c.base.RoundTrip(r)
	c.mu.Lock()
	c.seq++
	c.spans[i].end = c.seq
	c.mu.Unlock()
	return resp, err
}

// awaited lists the calls that started after from and ended before to:
// those the code between the two marks waited for.
func (c *slackCalls) awaited(from, to int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, s := range c.spans {
		if s.start > from && s.end != 0 && s.end < to {
			out = append(out, s.method)
		}
	}
	return out
}

// startDesk is newDesk with options: the asking tests' cast and routes.
func startDesk(t *testing.T, o harnessOptions) *harness {
	t.Helper()
	o.Dir, o.Start = t.TempDir(), monday
	configure := o.Configure
	o.Configure = func(c *Config) {
		c.Admins = []string{lea}
		c.TriageChannel, c.EscalationChannel = triage, escal
		c.Lang = "en"
		if configure != nil {
			configure(c)
		}
	}
	h, err := startHarness(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Stop() })
	f := h.Fake
	f.AddUser(lea, "lea", "Léa Martin", false)
	f.AddUser(karim, "karim", "Karim B.", false)
	f.AddUser(marie, "marie", "Marie Dupont", false)
	f.AddUser(otto, "otto", "Otto K.", false)
	f.AddUser(sam, "sam", "Sam", false)
	f.AddChannel(csChan, "cs-team", false, lea, karim, sam, f.BotUserID())
	f.AddChannel(acmeChan, "acme-support", false, marie, otto)
	f.AddChannel(triage, "sfp-triage", false, lea, f.BotUserID())
	f.AddChannel(escal, "sfp-escalations", false, lea, f.BotUserID())
	slash(t, h, lea, csChan, "seller add acme <#C0ACME|acme-support>")
	return h
}

// TestEveryEntryPointAnswersBeforeSlowSlack holds every Web API call for
// five seconds, longer than Slack waits for an acknowledgement, and checks
// that the acknowledgement of a command, a button and an event came while
// the calls they caused were still under way: none of them was awaited.
func TestEveryEntryPointAnswersBeforeSlowSlack(t *testing.T) {
	for _, socket := range []bool{false, true} {
		name := "over signed HTTP"
		if socket {
			name = "over Socket Mode"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			calls := &slackCalls{base: http.DefaultTransport.(*http.Transport).Clone()}
			h := startDesk(t, harnessOptions{Socket: socket, HTTPClient: &http.Client{Transport: calls}})
			slash(t, h, karim, csChan, "ask acme Is the charger USB-C?")
			card := lastCard(t, h, acmeChan).TS
			if _, err := h.Click(ctx, acmeChan, card, marie, "case_take"); err != nil {
				t.Fatal(err)
			}
			root := h.Fake.PostAsUser(csChan, sam, "Does the blue one float?", "")
			settle(t, h)

			h.Fake.SetLatency(5 * time.Second)
			probes := []struct {
				name string
				do   func() error
			}{
				{"/sfp ask", func() error {
					msg, err := h.Slash(ctx, karim, csChan, "ask acme Is it waterproof?")
					if err == nil && !strings.Contains(msg.Text, "SFP-1002") {
						err = fmt.Errorf("answer %q does not name the case", msg.Text)
					}
					return err
				}},
				{"a button whose answer needs chat.postEphemeral", func() error {
					ic, err := h.Fake.ButtonClick(acmeChan, card, otto, "case_take")
					if err != nil {
						return err
					}
					ic.Message.Blocks = slack.Blocks{} // a card from before marie took it: otto is asked first
					_, err = h.interact(ctx, ic)
					return err
				}},
				{"a mention whose question is the thread's first message", func() error {
					return h.Event(ctx, map[string]any{
						"type": "app_mention", "user": karim, "channel": csChan,
						"text": "<@" + h.Fake.BotUserID() + "> ask acme", "ts": "1795424400.000900", "thread_ts": root,
					})
				}},
			}
			for _, p := range probes {
				from := calls.mark()
				if err := p.do(); err != nil {
					t.Fatalf("%s: %v", p.name, err)
				}
				to := calls.mark()
				if waited := calls.awaited(from, to); len(waited) > 0 {
					t.Errorf("%s was acknowledged only after %v answered", p.name, waited)
				}
			}

			// The work the acknowledgements promised is done once Slack answers.
			h.Fake.SetLatency(0)
			settle(t, h)
			if c := loadCase(t, h, "SFP-1002"); c.Card.TS == "" {
				t.Errorf("the asked case's card was never posted")
			}
			asked := false
			for _, e := range h.Fake.Ephemerals() {
				if e.User == otto && strings.Contains(string(e.Blocks), "take_over") {
					asked = true
				}
			}
			if !asked {
				t.Errorf("otto was never asked about the take-over")
			}
			if c := loadCase(t, h, "SFP-1003"); !strings.Contains(c.Body, "Does the blue one float?") {
				t.Errorf("the mention's case = %q, want the thread's first message", c.Body)
			}
		})
	}
}

// TestLogsNeverCarryBuyerData plays the paths that log — asks, intake,
// relays, failures and retries — with a marker in every buyer-written
// field and name, then reads the whole log for it.
func TestLogsNeverCarryBuyerData(t *testing.T) {
	const marker = "QXZEPHYRIN"
	var logs syncBuffer
	h := startDesk(t, harnessOptions{Log: &logs, Configure: func(c *Config) { c.IntakeToken = "intake-secret" }})

	h.Fake.FailNextHTTP("chat.postMessage", 503) // a retry, logged with its case
	slash(t, h, karim, csChan, "ask acme order "+order+" The buyer "+marker+" Dupont asks: is it "+marker+"-proof?")
	body := fmt.Sprintf(`{"source_id":"mail-1","kind":"product_question","seller":"acme","customer":{"name":"%s Martin"},"subject":"About %s","body":"Hello, I am %s, my address is 1 rue %s."}`, marker, marker, marker, marker)
	req, _ := http.NewRequest(http.MethodPost, h.URL("/api/v1/contacts"), strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer intake-secret")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("intake: %s", resp.Status)
	}
	settle(t, h)
	h.Fake.FailNext("chat.postEphemeral", "user_not_in_channel") // a failed private answer, logged
	h.Fake.PostAsUser(acmeChan, marie, "Dear "+marker+", yes it is.", topLevel(h, acmeChan)[0].TS)
	h.Fake.PostAsUser(csChan, karim, "<@"+h.Fake.BotUserID()+"> case SFP-1001", "")
	h.Fake.SetBotMember(acmeChan, false) // a card that cannot be delivered, logged
	slash(t, h, karim, csChan, "ask acme "+marker+" wants to know if it floats")
	settle(t, h)

	out := logs.String()
	if strings.Contains(strings.ToUpper(out), marker) {
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(strings.ToUpper(line), marker) {
				t.Errorf("buyer data in the log: %s", line)
			}
		}
	}
	for _, want := range []string{`"case_id":"SFP-1001"`, `"case_id":"SFP-1003"`} {
		if !strings.Contains(out, want) {
			t.Errorf("the log never names %s: it should say which case a problem is about\n%s", want, out)
		}
	}
}

// syncBuffer is a log destination read after the bot has stopped.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestReadinessFollowsSocketMode: /readyz is 503 while Slack does not
// greet the connection, and 200 again once it does.
func TestReadinessFollowsSocketMode(t *testing.T) {
	h := newHarness(t, true, nil)
	if code, body := getJSON(t, h.URL("/readyz")); code != http.StatusOK {
		t.Fatalf("readyz: %d %v", code, body)
	}
	h.Fake.SetSilent(true)
	h.Fake.KillConnections()
	waitReadyz(t, h, http.StatusServiceUnavailable, func(checks map[string]any) bool {
		return checks["socket_mode"] != "ok" && checks["store"] == "ok"
	})
	h.Fake.SetSilent(false)
	waitReadyz(t, h, http.StatusOK, func(checks map[string]any) bool { return checks["socket_mode"] == "ok" })
}

func waitReadyz(t *testing.T, h *harness, status int, ok func(checks map[string]any) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		code, body := getJSON(t, h.URL("/readyz"))
		checks, _ := body["checks"].(map[string]any)
		if code == status && ok(checks) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz stayed %d %v, want %d", code, body, status)
		}
		<-tick.C
	}
}

// TestServeExitsOnceTheAppTokenIsRevoked: a token revoked while serving
// ends serve with exit 1 and one plain line saying what to fix; the rest
// of standard error is the JSON log.
func TestServeExitsOnceTheAppTokenIsRevoked(t *testing.T) {
	fake := fakeslack.New()
	defer fake.Close()
	env := serveEnv(t, fake, t.TempDir()+"/sfpdesk.db")
	env["SLACK_APP_TOKEN"] = "xapp-test"
	c := startChild(t, env, "serve")
	c.waitHealthy(t)
	cctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := fake.WaitConnected(cctx, 1); err != nil {
		t.Fatalf("never connected; stderr:\n%s", c.stderr)
	}
	fake.SetInvalidAuth(true)
	fake.KillConnections()
	if code := c.exitCode(t); code != 1 {
		t.Fatalf("exit %d, want 1; stderr:\n%s", code, c.stderr)
	}
	var plain []string
	lines := strings.Split(strings.TrimSpace(c.stderr.String()), "\n")
	for _, l := range lines {
		if !strings.HasPrefix(l, "{") {
			plain = append(plain, l)
		}
	}
	if len(plain) != 1 || plain[0] != lines[len(lines)-1] {
		t.Fatalf("want one plain line, last; stderr:\n%s", c.stderr)
	}
	for _, want := range []string{"SLACK_APP_TOKEN", "invalid_auth"} {
		if !strings.Contains(plain[0], want) {
			t.Errorf("the line does not name %s: %s", want, plain[0])
		}
	}
}
