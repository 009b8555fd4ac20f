package fakeslack_test

import (
	"errors"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
)

func TestRateLimitPerChannel(t *testing.T) {
	clock := newClock()
	fake, api := newWorkspace(t, fakeslack.WithClock(clock.Now))
	fake.AddChannel("C0SECOND01", "seller-second", false, fake.BotUserID())
	fake.SetRateLimit(1, 2)
	post := func(channel string) error {
		_, _, err := api.PostMessage(channel, slack.MsgOptionText("x", false))
		return err
	}

	for i := range 2 {
		if err := post(sellerChannel); err != nil {
			t.Fatalf("post %d within the burst: %v", i, err)
		}
	}
	var rle *slack.RateLimitedError
	if err := post(sellerChannel); !errors.As(err, &rle) || rle.RetryAfter != time.Second {
		t.Fatalf("third post: %v, want 429 with Retry-After 1s", err)
	}
	if err := post("C0SECOND01"); err != nil {
		t.Errorf("another channel has its own budget: %v", err)
	}
	clock.Advance(time.Second)
	if err := post(sellerChannel); err != nil {
		t.Errorf("after Retry-After: %v", err)
	}
	if fake.Count429() != 1 || len(fake.Messages(sellerChannel)) != 3 {
		t.Errorf("Count429 = %d, messages = %d; want 1 and 3", fake.Count429(), len(fake.Messages(sellerChannel)))
	}
	log := fake.Log()
	if c := log[2]; c.Status != 429 || c.Error != "ratelimited" {
		t.Errorf("logged 429 = %+v", c)
	}

	// Retry-After is in whole seconds, rounded up.
	fake.SetRateLimit(0.25, 1)
	_ = post(sellerChannel)
	if err := post(sellerChannel); !errors.As(err, &rle) || rle.RetryAfter != 4*time.Second {
		t.Errorf("at 1 message per 4 s: %v, want Retry-After 4s", err)
	}
}

func TestFailureInjection(t *testing.T) {
	fake, api := newWorkspace(t)

	fake.FailNext("chat.postMessage", "fatal_error")
	fake.FailNext("chat.postMessage", "internal_error")
	for _, want := range []string{"fatal_error", "internal_error"} {
		if _, _, err := api.PostMessage(sellerChannel, slack.MsgOptionText("x", false)); slackError(err) != want {
			t.Errorf("error = %v, want %s", err, want)
		}
	}

	fake.FailNextHTTP("conversations.history", http.StatusServiceUnavailable)
	_, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: sellerChannel})
	var sce slack.StatusCodeError
	if !errors.As(err, &sce) || sce.Code != http.StatusServiceUnavailable {
		t.Errorf("history: %v, want 503", err)
	}

	// The outcome-unknown case: the post happens, the answer is lost.
	fake.FailNextAfterApply("chat.postMessage", http.StatusInternalServerError)
	if _, _, err := api.PostMessage(sellerChannel, slack.MsgOptionText("did it post?", false)); !errors.As(err, &sce) || sce.Code != 500 {
		t.Errorf("post: %v, want 500", err)
	}
	if m := fake.Messages(sellerChannel); len(m) != 1 || m[0].Text != "did it post?" {
		t.Errorf("messages = %+v, want the post applied", m)
	}
	if _, _, err := api.PostMessage(sellerChannel, slack.MsgOptionText("x", false)); err != nil {
		t.Errorf("after the injected failures: %v", err)
	}
}

func TestUnknownMethod(t *testing.T) {
	fake, _ := newWorkspace(t)
	resp, err := http.Post(fake.APIURL()+"reactions.add", "application/x-www-form-urlencoded", strings.NewReader("token=xoxb-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if want := `{"error":"unknown_method","ok":false}`; strings.TrimSpace(string(body)) != want {
		t.Errorf("body = %s, want %s", body, want)
	}
}

func TestJSONBodyWithBearerToken(t *testing.T) {
	fake, _ := newWorkspace(t)
	body := `{"channel":"` + sellerChannel + `","text":"from JSON","metadata":{"event_type":"sfpdesk_case","event_payload":{"case_id":"SFP-7"}},"blocks":[{"type":"divider"}]}`
	req, _ := http.NewRequest(http.MethodPost, fake.APIURL()+"chat.postMessage", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer xoxb-json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	m := fake.Messages(sellerChannel)
	if len(m) != 1 || m[0].Text != "from JSON" || m[0].Metadata.EventPayload["case_id"] != "SFP-7" || string(m[0].Blocks) != `[{"type":"divider"}]` {
		t.Errorf("messages = %+v", m)
	}
	if p := fake.Log()[0].Params; p.Get("channel") != sellerChannel || p.Has("token") {
		t.Errorf("logged params = %v", p)
	}
}

func TestWaitAndSubscribe(t *testing.T) {
	fake, api := newWorkspace(t)
	ctx := testContext(t)
	calls := fake.Subscribe(ctx)

	go func() { _, _, _ = api.PostMessage(sellerChannel, slack.MsgOptionText("async", false)) }()
	if err := fake.WaitCalls(ctx, "chat.postMessage", 1); err != nil {
		t.Fatal(err)
	}
	if c := <-calls; c.Method != "chat.postMessage" || c.Params.Get("text") != "async" || c.Status != 200 {
		t.Errorf("subscribed call = %+v", c)
	}
	if err := fake.WaitFor(ctx, func() bool { return len(fake.Messages(sellerChannel)) == 1 }); err != nil {
		t.Fatal(err)
	}
	if fake.Calls("chat.postMessage") != 1 || fake.Calls("chat.update") != 0 {
		t.Errorf("Calls = %d, %d", fake.Calls("chat.postMessage"), fake.Calls("chat.update"))
	}
}

func TestLatency(t *testing.T) {
	fake, api := newWorkspace(t)
	fake.SetLatency(30 * time.Millisecond)
	start := time.Now()
	if _, err := api.AuthTest(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 30*time.Millisecond {
		t.Errorf("call took %s with 30ms latency", took)
	}
}

func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		fake := fakeslack.New(fakeslack.WithPingInterval(10 * time.Millisecond))
		defer fake.Close()
		fake.AddUser(alice, "alice", "Alice", false)
		fake.AddChannel(sellerChannel, "seller", false, alice, fake.BotUserID())
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		api := slack.New("xoxb-1", slack.OptionAPIURL(fake.APIURL()), slack.OptionHTTPClient(&http.Client{Transport: tr}))
		_, _, _ = api.PostMessage(sellerChannel, slack.MsgOptionText("x", false))

		stop := startSocketBot(t, fake, &socketBot{})
		defer stop()
		ctx := testContext(t)
		_ = fake.Subscribe(ctx) // left open: Close must end it
		if _, err := fake.SendSlashCommand(ctx, slack.SlashCommand{Command: "/sfp", UserID: alice, ChannelID: sellerChannel}); err != nil {
			t.Errorf("SendSlashCommand: %v", err)
		}
		fake.PostAsUser(sellerChannel, alice, "hello", "")
	}()
	// Connections close asynchronously in net/http, so poll briefly.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after Close:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}
