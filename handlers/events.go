package handlers

import (
	"context"

	"github.com/slack-go/slack/slackevents"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/store"
)

// Event handles an Events API event once: Slack redelivers events it thinks
// were not acknowledged, and a redelivered event id changes nothing.
func (a *App) Event(ctx context.Context, ev slackevents.EventsAPIEvent) error {
	a.init()
	id := bot.EventID(ev)
	if id != "" {
		first := false
		err := a.Store.Update(ctx, func(tx store.Tx) error {
			if _, seen, err := tx.Seen(store.SeenEvent, id); err != nil || seen {
				return err
			}
			first = true
			return tx.Remember(store.SeenEvent, id, "", a.Clock.Now())
		})
		if err != nil || !first {
			return err
		}
	}
	return nil
}
