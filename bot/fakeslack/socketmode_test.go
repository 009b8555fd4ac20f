package fakeslack_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
)

// socketBot is a minimal Socket Mode app on slack-go's real client: it
// acks every envelope, answers slash commands and view submissions in the
// ack, and records what it received.
type socketBot struct {
	mu     sync.Mutex
	events []string // inner event types, in arrival order
	ids    []string // event IDs
	noAck  bool
}

func (b *socketBot) received() ([]string, []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.events...), append([]string(nil), b.ids...)
}

// startSocketBot runs the bot until the test ends or stop is called.
func startSocketBot(t *testing.T, fake *fakeslack.Server, bot *socketBot, opts ...socketmode.Option) (stop func()) {
	t.Helper()
	api := slack.New("xoxb-test", slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken("xapp-1-test"))
	opts = append([]socketmode.Option{socketmode.OptionLog(log.New(io.Discard, "", 0))}, opts...)
	client := socketmode.New(api, opts...)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = client.RunContext(ctx) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				bot.handle(ctx, client, evt)
			}
		}
	})
	stop = func() {
		cancel()
		wg.Wait()
	}
	t.Cleanup(stop)
	return stop
}

func (b *socketBot) handle(ctx context.Context, client *socketmode.Client, evt socketmode.Event) {
	if evt.Request == nil || evt.Request.EnvelopeID == "" {
		return
	}
	b.mu.Lock()
	noAck := b.noAck
	b.mu.Unlock()
	if noAck {
		return
	}
	var payload any
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		ev := evt.Data.(slackevents.EventsAPIEvent)
		var outer slackevents.EventsAPICallbackEvent
		_ = json.Unmarshal(evt.Request.Payload, &outer)
		b.mu.Lock()
		b.events = append(b.events, ev.InnerEvent.Type)
		b.ids = append(b.ids, outer.EventID)
		b.mu.Unlock()
	case socketmode.EventTypeSlashCommand:
		cmd := evt.Data.(slack.SlashCommand)
		payload = map[string]any{"response_type": "ephemeral", "text": "help for " + cmd.UserName + " in " + cmd.ChannelName}
	case socketmode.EventTypeInteractive:
		ic := evt.Data.(slack.InteractionCallback)
		switch ic.Type {
		case slack.InteractionTypeViewSubmission:
			amount := ic.View.State.Values["amount"]["amount"].Value
			payload = slack.NewErrorsViewSubmissionResponse(map[string]string{"amount": "not a number: " + amount})
		case slack.InteractionTypeBlockActions:
			// Open a modal on the click's trigger, as "ack first" asks.
			_, err := client.OpenViewContext(ctx, ic.TriggerID, claimModal("Claim "+ic.ActionCallback.BlockActions[0].Value))
			if err != nil {
				payload = map[string]string{"error": err.Error()}
			}
		}
	}
	_ = client.AckCtx(ctx, evt.Request.EnvelopeID, payload)
}

func TestSocketModeRoundTrip(t *testing.T) {
	fake, api := newWorkspace(t)
	bot := &socketBot{}
	startSocketBot(t, fake, bot)
	ctx := testContext(t)

	ack, err := fake.SendSlashCommand(ctx, slack.SlashCommand{Command: "/sfp", Text: "help", UserID: alice, ChannelID: sellerChannel})
	if err != nil {
		t.Fatalf("SendSlashCommand: %v", err)
	}
	var answer map[string]string
	if err := json.Unmarshal(ack, &answer); err != nil || answer["text"] != "help for alice in seller-acme" {
		t.Errorf("ack = %s (%v)", ack, err)
	}

	// A person mentions the bot: Slack sends both message and app_mention.
	fake.PostAsUser(sellerChannel, alice, "<@"+fake.BotUserID()+"> ask acme where is my parcel?", "")
	events, ids := bot.received()
	if diff := cmp.Diff([]string{"message", "app_mention"}, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
	if len(ids) != 2 || ids[0] == ids[1] || ids[0] == "" {
		t.Errorf("event ids = %v, want two distinct", ids)
	}
	// Not a member: no events.
	fake.PostAsUser(otherChannel, alice, "<@"+fake.BotUserID()+"> hello?", "")
	if events, _ = bot.received(); len(events) != 2 {
		t.Errorf("events from a channel the bot is not in: %v", events)
	}

	// A click opens a modal on its trigger; a submission is answered in the ack.
	_, card, _ := api.PostMessage(sellerChannel, slack.MsgOptionText("card", false), slack.MsgOptionBlocks(caseCard("SFP-1001")...))
	if _, err := fake.ClickButton(ctx, sellerChannel, card, alice, "case_take"); err != nil {
		t.Fatalf("ClickButton: %v", err)
	}
	open := fake.OpenViews(alice)
	if len(open) != 1 || open[0].Title != "Claim SFP-1001" {
		t.Fatalf("open views after click = %+v", open)
	}
	ack, err = fake.SubmitView(ctx, open[0].ID, alice, map[string]map[string]slack.BlockAction{
		"amount": {"amount": {Type: "plain_text_input", Value: "abc"}},
	})
	if err != nil {
		t.Fatalf("SubmitView: %v", err)
	}
	var sub slack.ViewSubmissionResponse
	if err := json.Unmarshal(ack, &sub); err != nil || sub.ResponseAction != slack.RAErrors || sub.Errors["amount"] != "not a number: abc" {
		t.Errorf("submission ack = %s (%v)", ack, err)
	}
	if n := len(fake.OpenViews(alice)); n != 1 {
		t.Errorf("%d views open after errors, want 1", n)
	}
	if acks := fake.Acks(); len(acks) < 5 || acks[0].Type != "slash_commands" {
		t.Errorf("acks = %+v", acks)
	}
}

func TestSocketModeReconnects(t *testing.T) {
	fake, _ := newWorkspace(t, fakeslack.WithPingInterval(50*time.Millisecond))
	startSocketBot(t, fake, &socketBot{}, socketmode.OptionPingInterval(500*time.Millisecond))
	ctx := testContext(t)
	help := slack.SlashCommand{Command: "/sfp", Text: "help", UserID: alice, ChannelID: sellerChannel}

	if err := fake.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name   string
		break_ func()
	}{
		{"Slack asks for a refresh", func() { fake.Disconnect("refresh_requested") }},
		{"Slack warns before a refresh", func() { fake.Disconnect("warning") }},
		{"the network drops", fake.KillConnections},
		{"Slack stops pinging", func() { fake.SetSilent(true) }},
	}
	for i, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			step.break_()
			// Connects counts the new socket even while silent.
			if err := fake.WaitFor(ctx, func() bool { return fake.Connects() >= i+2 }); err != nil {
				t.Fatalf("no reconnection: %v", err)
			}
			fake.SetSilent(false)
			if _, err := fake.SendSlashCommand(ctx, help); err != nil {
				t.Errorf("command after reconnecting: %v", err)
			}
		})
	}
}

func TestSocketModeAckTimeout(t *testing.T) {
	fake, _ := newWorkspace(t, fakeslack.WithAckTimeout(100*time.Millisecond))
	startSocketBot(t, fake, &socketBot{noAck: true})
	_, err := fake.SendSlashCommand(testContext(t), slack.SlashCommand{Command: "/sfp", UserID: alice, ChannelID: sellerChannel})
	if !errors.Is(err, fakeslack.ErrNoAck) {
		t.Errorf("err = %v, want ErrNoAck", err)
	}
	if fails := fake.Deliveries(); len(fails) != 0 {
		t.Errorf("deliveries = %+v", fails)
	}
}

func TestSocketModeNeedsAppToken(t *testing.T) {
	fake, _ := newWorkspace(t)
	api := slack.New("xoxb-test", slack.OptionAPIURL(fake.APIURL()), slack.OptionAppLevelToken("xoxb-not-an-app-token"))
	if _, _, err := api.StartSocketModeContext(testContext(t)); slackError(err) != "not_allowed_token_type" {
		t.Errorf("apps.connections.open with a bot token: %v", err)
	}
	if fake.Connects() != 0 {
		t.Error("connected without an app token")
	}
}

func TestSocketModeEventsAndShortcuts(t *testing.T) {
	fake, api := newWorkspace(t, fakeslack.WithEchoBotMessages())
	bot := &socketBot{}
	startSocketBot(t, fake, bot)
	ctx := testContext(t)

	if _, err := fake.SendEvent(ctx, map[string]any{"type": "app_home_opened", "user": alice, "tab": "home", "event_ts": "1.000001"}); err != nil {
		t.Fatalf("SendEvent: %v", err)
	}
	// The bot's own post comes back as a message event, as on Slack.
	if _, _, err := api.PostMessage(sellerChannel, slack.MsgOptionText("card", false)); err != nil {
		t.Fatal(err)
	}
	if err := fake.WaitFor(ctx, func() bool { return len(fake.Deliveries()) == 1 }); err != nil {
		t.Fatal(err)
	}
	events, _ := bot.received()
	if diff := cmp.Diff([]string{"app_home_opened", "message"}, events); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}

	msgs := fake.Messages(sellerChannel)
	shortcut, err := fake.MessageShortcut(sellerChannel, msgs[0].TS, alice, "send_to_seller")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fake.SendInteraction(ctx, shortcut); err != nil {
		t.Errorf("SendInteraction: %v", err)
	}
	if _, err := api.OpenView(shortcut.TriggerID, claimModal("Send to seller")); err != nil {
		t.Errorf("OpenView on the shortcut's trigger: %v", err)
	}
}
