package bot

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Handler answers what Slack sends. Command and Interaction run on Slack's
// 3-second path: they validate, commit and return the acknowledgement's
// payload (nil for an empty one); anything slow is theirs to start in the
// background. Event runs after Slack has been acknowledged.
type Handler interface {
	Command(ctx context.Context, cmd slack.SlashCommand) any
	Interaction(ctx context.Context, cb slack.InteractionCallback) any
	Event(ctx context.Context, ev slackevents.EventsAPIEvent) error
}

// EventID returns the Events API event id of ev, or "".
func EventID(ev slackevents.EventsAPIEvent) string {
	if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
		return cb.EventID
	}
	return ""
}
