package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/report"
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
	GetConversationsContext(ctx context.Context, params *slack.GetConversationsParameters) ([]slack.Channel, string, error)
	// The App Home and the weekly report's chart, sent by the outbox
	// (DoOutbox).
	PublishViewContext(ctx context.Context, req slack.PublishViewContextRequest) (*slack.ViewResponse, error)
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
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
	// RemindBefore lists the reminders before a calendar-time deadline,
	// longest first (SFPDESK_REMIND_BEFORE); empty means none.
	RemindBefore []time.Duration
	// QuietHours is when reminders mention nobody (SFPDESK_QUIET_HOURS),
	// in each seller's time zone.
	QuietHours sfp.QuietHours
	// CloseAfter closes an answered or no-response-needed case with no
	// follow-up (SFPDESK_CLOSE_AFTER). Zero means the contract's 7d.
	CloseAfter sfp.Duration
	// IntakeToken is the intake API's bearer token and the key of callback
	// signatures (SFPDESK_INTAKE_TOKEN); the API is off without it.
	IntakeToken string
	// CallbackAllow lists the hosts callbacks may reach besides public
	// addresses (SFPDESK_CALLBACK_ALLOW), lower-case.
	CallbackAllow []string
	// ClaimWindow is the time to file a reimbursement claim after a refund
	// (SFPDESK_CLAIM_WINDOW). Zero means the contract's 30d.
	ClaimWindow sfp.Duration
	// ClaimRemindBefore lists the reminders before a claim's filing
	// deadline, longest first (SFPDESK_CLAIM_REMIND_BEFORE).
	ClaimRemindBefore []time.Duration
	// Retention is how long after a case closes its buyer data is kept
	// (SFPDESK_RETENTION). Zero means the contract's 30d.
	Retention sfp.Duration
	// Report is when each seller channel gets its weekly report
	// (SFPDESK_REPORT), in the seller's time zone; nil means never.
	Report *report.Schedule
}

// App handles everything Slack and the intake API send.
type App struct {
	Store  store.Store
	Slack  SlackAPI
	Outbox Notifier
	// Due is told when committed changes wrote due entries: the scheduler
	// may have to wake sooner than it planned.
	Due Notifier
	// Callbacks is told when committed replies owe intake callbacks.
	Callbacks Notifier
	Clock     sfp.Clock
	Log       *slog.Logger
	Settings  Settings
	// BotUserID is the bot's own user: its messages are never relayed and
	// a message that mentions it is a command.
	BotUserID string
	// HTTP posts to Slack's response_url and to intake callbacks.
	HTTP *http.Client
	// Drafter writes drafted replies (a model, OPENAI_*); nil means the
	// templates, without a model.
	Drafter Drafter
	// Catalog holds the product facts drafts use (SFPDESK_CATALOG); nil
	// knows no product.
	Catalog Products
	// Mail sends the replies to e-mail cases; nil: replies stay in Slack.
	Mail Mailer

	table       []*command
	purged      atomic.Bool // a scheduler sweep erased buyer data
	compactions atomic.Int64
	members     members
	channelIDs  channelNames
	initOnce    sync.Once
	bg          pool
	owned       sync.WaitGroup
	running     atomic.Int64
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
		if a.Settings.CloseAfter.IsZero() {
			a.Settings.CloseAfter = sfp.Duration{N: 7, Unit: sfp.Days}
		}
	})
}

// Close waits for the background work the App started.
func (a *App) Close() {
	a.owned.Wait()
	a.bg.shutdown(context.Background())
}

// Shutdown stops taking background work and waits for what is queued;
// when ctx ends first, the work still running is cancelled. Commits that
// outlived their request are waited for whatever ctx says: what they write
// was promised.
func (a *App) Shutdown(ctx context.Context) {
	a.owned.Wait()
	a.bg.shutdown(ctx)
}

// Idle reports whether no background work is queued or running: tests and
// the demo wait for it before they look at what Slack saw.
func (a *App) Idle() bool { return a.running.Load() == 0 && a.bg.idle() }

// own runs fn in a goroutine that Close and Shutdown wait for: a commit
// that may outlive the request that started it.
func (a *App) own(fn func()) {
	a.running.Add(1)
	a.owned.Go(func() {
		defer a.running.Add(-1)
		fn()
	})
}

// background runs fn after the acknowledgement, on a bounded pool of
// workers that Shutdown stops and waits for. Slack calls made for a request
// belong here, never before its acknowledgement: Slack gives an app 3
// seconds, and a Web API call can take longer than that.
func (a *App) background(ctx context.Context, fn func(ctx context.Context)) {
	if !a.bg.submit(ctx, fn) {
		a.Log.Warn("background work dropped: the pool is full or shut")
	}
}

func (a *App) isAdmin(user string) bool { return slices.Contains(a.Settings.Admins, user) }

func (a *App) notify() {
	if a.Outbox != nil {
		a.Outbox.Notify()
	}
	if a.Due != nil {
		a.Due.Notify()
	}
	if a.Callbacks != nil {
		a.Callbacks.Notify()
	}
	if a.Mail != nil {
		a.Mail.Notify()
	}
}
