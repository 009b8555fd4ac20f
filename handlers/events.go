package handlers

import (
	"context"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/store"
)

// incoming is a message from a person, whichever event brought it.
type incoming struct {
	eventID string
	channel string
	user    string
	text    string // unescaped once
	// markup is the text as Slack sent it, where a typed "<" is still
	// "&lt;": only there is a link told from text that looks like one.
	markup   string
	ts       string
	threadTS string
	files    []slack.File
}

// Event handles an Events API event. Slack redelivers events it thinks
// were not acknowledged, and an @mention arrives both as app_mention and as
// message: the event id and the message's (channel, ts) are remembered in
// the same transaction as the effect, so a repeat changes nothing.
func (a *App) Event(ctx context.Context, ev slackevents.EventsAPIEvent) error {
	a.init()
	// As for commands: a late acknowledgement costs a redelivery, which
	// the event id makes harmless; a commit cut short would cost the reply.
	ctx = context.WithoutCancel(ctx)
	id := bot.EventID(ev)
	switch e := ev.InnerEvent.Data.(type) {
	case *slackevents.AppMentionEvent:
		if e.BotID != "" || e.User == "" || e.User == a.BotUserID {
			return nil
		}
		return a.onMention(ctx, incoming{eventID: id, channel: e.Channel, user: e.User, text: bot.Unescape(e.Text), markup: e.Text, ts: e.TimeStamp, threadTS: e.ThreadTimeStamp, files: e.Files})
	case *slackevents.MessageEvent:
		m, ok := a.personMessage(e)
		if !ok {
			return nil
		}
		m.eventID = id
		if a.BotUserID != "" && strings.Contains(m.text, "<@"+a.BotUserID+">") {
			return a.onMention(ctx, m)
		}
		return a.onMessage(ctx, m)
	case *slackevents.AppHomeOpenedEvent:
		if e.Tab != "home" {
			return nil
		}
		return a.onHomeOpened(ctx, e.User)
	}
	return nil
}

// personMessage keeps only new messages written by people: never a bot's
// (ours included), never an edit, a deletion or a join.
func (a *App) personMessage(e *slackevents.MessageEvent) (incoming, bool) {
	switch e.SubType {
	case "", "file_share", "thread_broadcast":
	default:
		return incoming{}, false
	}
	if e.BotID != "" || e.User == "" || e.User == a.BotUserID {
		return incoming{}, false
	}
	m := incoming{channel: e.Channel, user: e.User, text: bot.Unescape(e.Text), markup: e.Text, ts: e.TimeStamp, threadTS: e.ThreadTimeStamp}
	if e.Message != nil {
		if e.Message.BotID != "" {
			return incoming{}, false
		}
		m.files = e.Message.Files
	}
	return m, true
}

// firstTime is the guard every effect of an incoming message runs first in
// its transaction.
func (a *App) firstTime(m incoming) func(store.Tx) (bool, error) {
	return func(tx store.Tx) (bool, error) {
		now := a.Clock.Now()
		key := m.channel + "/" + m.ts
		if _, seen, err := tx.Seen(store.SeenMessage, key); err != nil || seen {
			return false, err
		}
		if m.eventID != "" {
			if _, seen, err := tx.Seen(store.SeenEvent, m.eventID); err != nil || seen {
				return false, err
			}
			if err := tx.Remember(store.SeenEvent, m.eventID, key, now); err != nil {
				return false, err
			}
		}
		return true, tx.Remember(store.SeenMessage, key, m.eventID, now)
	}
}

// onMention runs "@sfpdesk <words>" like "/sfp <words>". Its private
// answer, if any, comes as an ephemeral message in the same place.
//
// An ask is committed before the event is acknowledged, as a slash
// command's is, so that Slack redelivers it if the bot fails first.
// Everything else a mention asks for is answered with a Slack call, and so
// runs after the acknowledgement: an ask inside a thread that takes its
// question from the thread's first message, and every look-up.
func (a *App) onMention(ctx context.Context, m incoming) error {
	text := m.text
	if a.BotUserID != "" {
		text = strings.Replace(text, "<@"+a.BotUserID+">", "", 1)
	}
	text = strings.TrimSpace(stripLeadingMention(text))
	if cmd, rest := findCommand(a.table, text); cmd != nil && cmd.name == "ask" {
		_, perr := parseArgs(cmd.args, rest)
		needsRoot := m.threadTS != "" && perr != nil && perr.field == "question"
		if !needsRoot {
			return a.mention(ctx, m, text)
		}
	}
	a.background(ctx, func(ctx context.Context) {
		if err := a.mention(ctx, m, text); err != nil {
			a.Log.Error("mention failed", "event_id", m.eventID, "err", err)
		}
	})
	return nil
}

func (a *App) mention(ctx context.Context, m incoming, text string) error {
	thread := m.threadTS
	if thread == "" {
		thread = m.ts
	}
	// Inside a thread, "@sfpdesk ask acme" with no question asks about the
	// thread's first message.
	if m.threadTS != "" {
		if cmd, rest := findCommand(a.table, text); cmd != nil && cmd.name == "ask" {
			if _, perr := parseArgs(cmd.args, rest); perr != nil && perr.field == "question" {
				if root := a.threadRoot(ctx, m.channel, m.threadTS); root != "" {
					text += " " + root
				}
			}
		}
	}
	c := &call{user: m.user, channel: m.channel, threadTS: thread, lang: a.Settings.Lang, mention: true, guard: a.firstTime(m)}
	reply := a.dispatch(ctx, c, text)
	msg, ok := reply.(*slack.Msg)
	if !ok || msg == nil {
		return nil
	}
	// Only a creating command runs the guard; others are answered once
	// per (channel, ts) here.
	first := true
	if err := a.Store.Batch(ctx, func(tx store.Tx) error {
		var err error
		first, err = a.firstTime(m)(tx)
		return err
	}); err != nil || !first {
		return err
	}
	opts := []slack.MsgOption{slack.MsgOptionText(bot.Fallback(msg.Text, msg.Blocks.BlockSet), false), slack.MsgOptionTS(m.threadTS)}
	if len(msg.Blocks.BlockSet) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(msg.Blocks.BlockSet...))
	}
	a.background(ctx, func(ctx context.Context) {
		if _, err := a.Slack.PostEphemeralContext(ctx, m.channel, m.user, opts...); err != nil {
			a.Log.Warn("ephemeral answer to a mention failed", "channel", m.channel, "err", err)
		}
	})
	return nil
}

// stripLeadingMention drops a leading "<@U…>" left by clients that mention
// the bot by another id form.
func stripLeadingMention(s string) string {
	if strings.HasPrefix(s, "<@") {
		if i := strings.IndexByte(s, '>'); i > 0 {
			return s[i+1:]
		}
	}
	return s
}

// threadReadTimeout bounds the read of a thread's first message. The read
// happens after the event was acknowledged, and without it the question is
// lost, so a slow Slack costs time here, not the contact.
const threadReadTimeout = 30 * time.Second

func (a *App) threadRoot(ctx context.Context, channel, ts string) string {
	ctx, cancel := context.WithTimeout(ctx, threadReadTimeout)
	defer cancel()
	msgs, _, _, err := a.Slack.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{ChannelID: channel, Timestamp: ts, Limit: 1})
	if err != nil || len(msgs) == 0 {
		a.Log.Warn("reading a thread's first message failed", "channel", channel, "err", err)
		return ""
	}
	return bot.Unescape(msgs[0].Text)
}
