package bot

import (
	"context"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Handler answers what Slack sends. Command and Interaction run on Slack's
// 3-second path: they validate, commit and return the acknowledgement's
// payload (nil for an empty one); anything slow is theirs to start in the
// background, Web API calls included (views.open excepted: a trigger_id
// dies in 3 seconds). Event runs after the acknowledgement in Socket Mode;
// in HTTP mode it runs before the 200, so that Slack redelivers an event
// whose commit failed, and so it too leaves its Web API calls for after.
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
