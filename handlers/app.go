package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// SlackAPI is the part of Slack's Web API used on the acknowledgement path
// (views and ephemeral messages, which are at most once and never go
// through the outbox) and for look-ups.
type SlackAPI interface {
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
	OpenViewContext(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error)
	UpdateViewContext(ctx context.Context, view slack.ModalViewRequest, externalID, hash, viewID string) (*slack.ViewResponse, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
	GetConversationInfoContext(ctx context.Context, input *slack.GetConversationInfoInput) (*slack.Channel, error)
	JoinConversationContext(ctx context.Context, channelID string) (*slack.Channel, string, []string, error)
	GetUsersInConversationContext(ctx context.Context, params *slack.GetUsersInConversationParameters) ([]string, string, error)
	GetPermalinkContext(ctx context.Context, params *slack.PermalinkParameters) (string, error)
	OpenConversationContext(ctx context.Context, params *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error)
	GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error)
}

// Notifier is told when committed changes owe Slack messages.
type Notifier interface{ Notify() }

// Settings are the deployment's choices that handlers act on.
type Settings struct {
	Admins            []string
	TriageChannel     string
	EscalationChannel string
	// Lang is the default language of the bot's words.
	Lang string
	// Location is the default seller time zone.
	Location *time.Location
	SLA      sfp.SLA
}

// App handles everything Slack and the intake API send.
type App struct {
	Store    store.Store
	Slack    SlackAPI
	Outbox   Notifier
	Clock    sfp.Clock
	Log      *slog.Logger
	Settings Settings
	// BotUserID is the bot's own user: its messages are never relayed and
	// a message that mentions it is a command.
	BotUserID string
	// HTTP posts to Slack's response_url and to intake callbacks.
	HTTP *http.Client

	table    []*command
	members  members
	initOnce sync.Once
	bg       sync.WaitGroup
}

var _ bot.Handler = (*App)(nil)

func (a *App) init() {
	a.initOnce.Do(func() {
		a.table = commandTable()
		if a.Log == nil {
			a.Log = slog.Default()
		}
		if a.Clock == nil {
			a.Clock = sfp.RealClock{}
		}
		if a.Settings.Lang == "" {
			a.Settings.Lang = bot.LangFR
		}
		if a.Settings.Location == nil {
			a.Settings.Location = time.UTC
		}
	})
}

// Close waits for the background work the App started.
func (a *App) Close() { a.bg.Wait() }

// background runs fn after the acknowledgement, in a goroutine that Close
// waits for.
func (a *App) background(ctx context.Context, fn func(ctx context.Context)) {
	a.bg.Add(1)
	go func() {
		defer a.bg.Done()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		fn(ctx)
	}()
}

func (a *App) isAdmin(user string) bool { return slices.Contains(a.Settings.Admins, user) }

func (a *App) notify() {
	if a.Outbox != nil {
		a.Outbox.Notify()
	}
}
