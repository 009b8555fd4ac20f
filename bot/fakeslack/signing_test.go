package fakeslack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
)

const signingSecret = "8f742231b10e8888abcd99yyyzzz85a5"

// httpApp is a bot's HTTP endpoints reduced to what slack-go offers: it
// verifies the v0 signature and parses each kind of request.
type httpApp struct {
	mu       sync.Mutex
	commands []slack.SlashCommand
	actions  []slack.InteractionCallback
	events   []slackevents.EventsAPIEvent
}

func (a *httpApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	sv, err := slack.NewSecretsVerifier(r.Header, signingSecret)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	_, _ = sv.Write(body)
	if err := sv.Ensure(); err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	a.mu.Lock()
	defer a.mu.Unlock()
	switch r.URL.Path {
	case "/slack/commands":
		cmd, err := slack.SlashCommandParse(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.commands = append(a.commands, cmd)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"response_type":"ephemeral","text":"ok"}`)
	case "/slack/interactivity":
		ic, err := slack.InteractionCallbackParse(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a.actions = append(a.actions, ic)
	case "/slack/events":
		ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if ev.Type == slackevents.URLVerification {
			var ch slackevents.ChallengeResponse
			_ = json.Unmarshal(body, &ch)
			_, _ = io.WriteString(w, ch.Challenge)
			return
		}
		a.events = append(a.events, ev)
	}
}

// do sends a built request; do(t)(build(...)) takes a builder's two
// results directly.
func do(t *testing.T) func(*http.Request, error) (int, string) {
	return func(r *http.Request, err error) (int, string) {
		t.Helper()
		return send(t, r, err)
	}
}

func send(t *testing.T, r *http.Request, err error) (int, string) {
	t.Helper()
	if err != nil {
		t.Fatalf("building request: %v", err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("%s: %v", r.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSignedRequestsPassSlackGoVerification(t *testing.T) {
	fake, api := newWorkspace(t)
	app := &httpApp{}
	srv := httptest.NewServer(app)
	defer srv.Close()
	ctx := testContext(t)

	status, body := do(t)(fake.SlashCommandRequest(ctx, srv.URL+"/slack/commands", signingSecret,
		slack.SlashCommand{Command: "/sfp", Text: "open acme", UserID: alice, ChannelID: sellerChannel}))
	if status != 200 || !strings.Contains(body, "ephemeral") {
		t.Fatalf("command: %d %s", status, body)
	}
	cmd := app.commands[0]
	if cmd.Text != "open acme" || cmd.UserName != "alice" || cmd.ChannelName != "seller-acme" || cmd.TeamID != fake.TeamID() ||
		cmd.APIAppID != fake.AppID() || cmd.TriggerID == "" || !strings.HasPrefix(cmd.ResponseURL, fake.URL()) {
		t.Errorf("parsed command = %+v", cmd)
	}

	// The trigger of the command opens a modal.
	if _, err := api.OpenView(cmd.TriggerID, claimModal("Claim")); err != nil {
		t.Errorf("OpenView on the command's trigger: %v", err)
	}

	_, card, _ := api.PostMessage(sellerChannel, slack.MsgOptionBlocks(caseCard("SFP-1001")...))
	click, err := fake.ButtonClick(sellerChannel, card, bob, "case_take")
	if err != nil {
		t.Fatal(err)
	}
	if status, body := do(t)(fake.InteractionRequest(ctx, srv.URL+"/slack/interactivity", signingSecret, click)); status != 200 {
		t.Fatalf("interaction: %d %s", status, body)
	}
	ic := app.actions[0]
	act := ic.ActionCallback.BlockActions
	if ic.Type != slack.InteractionTypeBlockActions || len(act) != 1 || act[0].Value != "SFP-1001" || act[0].BlockID != "case_actions" ||
		ic.User.ID != bob || ic.Container.MessageTs != card || ic.Message.Timestamp != card {
		t.Errorf("parsed interaction = %+v", ic)
	}

	if status, _ := do(t)(fake.EventRequest(ctx, srv.URL+"/slack/events", signingSecret, map[string]any{
		"type": "app_home_opened", "user": alice, "channel": "D1", "tab": "home", "event_ts": "1.000001",
	})); status != 200 || len(app.events) != 1 || app.events[0].InnerEvent.Type != "app_home_opened" {
		t.Errorf("event: %d %+v", status, app.events)
	}
	if status, body := do(t)(fakeslack.URLVerificationRequest(ctx, srv.URL+"/slack/events", signingSecret, "3eZbrw1aBm")); status != 200 || body != "3eZbrw1aBm" {
		t.Errorf("url_verification: %d %q", status, body)
	}
}

func TestForgedAndStaleRequestsFailVerification(t *testing.T) {
	srv := httptest.NewServer(&httpApp{})
	defer srv.Close()
	body := []byte("command=%2Fsfp&text=help")
	tests := []struct {
		name   string
		secret string
		at     time.Time
	}{
		{"wrong secret", "not-the-secret", time.Now()},
		{"six minutes old", signingSecret, time.Now().Add(-6 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := fakeslack.NewSignedRequest(context.Background(), srv.URL+"/slack/commands", signingSecret, "application/x-www-form-urlencoded", body)
			fakeslack.SignRequest(r, tt.secret, body, tt.at)
			if status, _ := send(t, r, err); status != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", status)
			}
		})
	}
}

// TestSignatureMatchesSlackExample checks the worked example of Slack's
// "Verifying requests from Slack" guide.
func TestSignatureMatchesSlackExample(t *testing.T) {
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V" +
		"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=" +
		"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN" +
		"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	want := "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
	if got := fakeslack.Signature(signingSecret, time.Unix(1531420618, 0), []byte(body)); got != want {
		t.Errorf("Signature = %s, want %s", got, want)
	}
}

func TestPostAsUserOverEventsURL(t *testing.T) {
	app := &httpApp{}
	srv := httptest.NewServer(app)
	defer srv.Close()
	fake, _ := newWorkspace(t, fakeslack.WithEventsURL(srv.URL+"/slack/events", signingSecret))

	ts, err := fake.PostAsUserContext(testContext(t), sellerChannel, alice, "hi <@"+fake.BotUserID()+">", "")
	if err != nil {
		t.Fatalf("PostAsUserContext: %v", err)
	}
	deliveries := fake.Deliveries()
	if len(deliveries) != 2 || deliveries[0].Via != "http" || deliveries[0].Status != 200 || deliveries[1].Type != "app_mention" {
		t.Fatalf("deliveries = %+v", deliveries)
	}
	msg, ok := app.events[0].InnerEvent.Data.(*slackevents.MessageEvent)
	if !ok || msg.TimeStamp != ts || msg.User != alice || msg.Channel != sellerChannel || msg.ChannelType != "channel" {
		t.Errorf("message event = %+v", app.events[0].InnerEvent.Data)
	}
	if cb, ok := app.events[0].Data.(*slackevents.EventsAPICallbackEvent); !ok || cb.EventID == "" || cb.EventTime == 0 {
		t.Errorf("callback = %+v", app.events[0].Data)
	}

	fake.SetEventsURL(srv.URL+"/slack/events", "wrong-secret")
	if _, err := fake.PostAsUserContext(testContext(t), sellerChannel, alice, "again", ""); err == nil {
		t.Error("delivery with a wrong secret succeeded")
	}
	if d := fake.Deliveries(); d[len(d)-1].Status != http.StatusUnauthorized || d[len(d)-1].Err == "" {
		t.Errorf("failed delivery = %+v", d[len(d)-1])
	}
}

func TestResponseURL(t *testing.T) {
	fake, api := newWorkspace(t)
	cmd := fake.PrepareSlashCommand(slack.SlashCommand{Command: "/sfp", UserID: alice, ChannelID: sellerChannel})

	if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("Case SFP-1001 created", false)); err != nil {
		t.Fatalf("ephemeral response: %v", err)
	}
	if e := fake.Ephemerals(); len(e) != 1 || e[0].User != alice || e[0].Via != "response_url" || e[0].Text != "Case SFP-1001 created" {
		t.Errorf("Ephemerals = %+v", e)
	}
	if _, _, err := api.PostMessage("", slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeInChannel), slack.MsgOptionText("Visible", false)); err != nil {
		t.Fatalf("in_channel response: %v", err)
	}
	if m := fake.Messages(sellerChannel); len(m) != 1 || m[0].Text != "Visible" || m[0].User != fake.BotUserID() {
		t.Errorf("channel after in_channel = %+v", m)
	}

	_, card, _ := api.PostMessage(sellerChannel, slack.MsgOptionBlocks(caseCard("SFP-1001")...))
	click, _ := fake.ButtonClick(sellerChannel, card, alice, "case_take")
	if _, _, err := api.PostMessage("", slack.MsgOptionReplaceOriginal(click.ResponseURL), slack.MsgOptionText("Taken by alice", false)); err != nil {
		t.Fatalf("replace_original: %v", err)
	}
	if m, _ := fake.Message(sellerChannel, card); m.Text != "Taken by alice" || m.Blocks != nil || !m.Edited {
		t.Errorf("card after replace_original = %+v", m)
	}
	if u := fake.Updates(); len(u) != 1 || u[0].Via != "response_url" {
		t.Errorf("Updates = %+v", u)
	}
	if r := fake.Responses(); len(r) != 3 || !r[2].ReplaceOriginal || r[1].ResponseType != "in_channel" {
		t.Errorf("Responses = %+v", r)
	}
}
