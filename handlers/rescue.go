package handlers

import (
	"context"
	"encoding/json"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Refusals that mean the bot may not post in the agent's channel, where a
// direct message to the agent still works.
var cannotPostHere = map[string]bool{"not_in_channel": true, "channel_not_found": true, "is_archived": true, "restricted_action": true}

// Rescue moves the agent's side of a case to a direct message when the bot
// cannot post where the agent asked (a channel it is not in): the agent is
// told so through the command's response_url, and the thread of the direct
// message becomes the CS-side thread. The outbox calls it for every message
// Slack refuses for good.
func (a *App) Rescue(ctx context.Context, m *store.OutboxMessage, code string) bool {
	a.init()
	if !cannotPostHere[code] || m.CaseID == "" || m.Op != store.OpPost {
		return false
	}
	var c *sfp.Case
	err := a.Store.View(ctx, func(tx store.Tx) error {
		var err error
		c, err = tx.Case(m.CaseID)
		return err
	})
	if err != nil || c.Asker == nil || m.Channel != c.Asker.Channel {
		return false
	}
	dm, _, _, err := a.Slack.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{c.Asker.UserID}, ReturnIM: true})
	if err != nil || dm == nil || dm.ID == "" {
		a.Log.Warn("opening a direct message with the agent failed", "case_id", m.CaseID, "err", err)
		return false
	}
	moved := false
	err = a.Store.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Case(m.CaseID)
		if err != nil {
			return err
		}
		now := a.Clock.Now()
		msg := bot.Message{Text: m.Text}
		if len(m.Blocks) > 0 {
			var bs slack.Blocks
			if json.Unmarshal(m.Blocks, &bs) == nil {
				msg.Blocks = bs.BlockSet
			}
		}
		switch {
		case c.CSThread.OutboxID == m.ID || (c.CSThread.Channel == m.Channel && c.CSThread.TS == m.ThreadTS && m.ThreadTS != ""):
			// The thread's root could not be posted (or the agent's
			// thread is out of reach): start the thread in the DM.
			id, err := enqueue(tx, c, dm.ID, msg, 0, now)
			if err != nil {
				return err
			}
			c.CSThread = sfp.MessageRef{Channel: dm.ID, OutboxID: id}
			c.Asker.Channel, c.Asker.ThreadTS = dm.ID, ""
		case c.CSThread.Channel == dm.ID:
			// A reply queued for the old thread follows it into the DM.
			if err := enqueueReply(tx, c, c.CSThread, msg, now); err != nil {
				return err
			}
		default:
			return nil
		}
		moved = true
		return tx.PutCase(c)
	})
	if err != nil || !moved {
		return false
	}
	a.notify()
	if url := c.Asker.ResponseURL; url != "" && m.ID == c.CSThread.OutboxID {
		a.respond(ctx, url, bot.T(a.Settings.Lang, "ask.dm_fallback", c.ID, bot.ChannelLink(m.Channel)))
	}
	return true
}

// respond posts a private answer to a command's response_url: at most once,
// never through the outbox, as Slack allows only a few uses of one URL.
func (a *App) respond(ctx context.Context, url, text string) {
	body, _ := json.Marshal(map[string]any{"response_type": "ephemeral", "replace_original": false, "text": text})
	a.postResponse(ctx, url, body)
}
