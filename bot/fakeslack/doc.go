// Package fakeslack is sfpdesk's fake of Slack: a workspace served over
// real HTTP and WebSocket on 127.0.0.1, which slack-go's Web API client and
// its socketmode client use unchanged.
//
// slack-go's own slacktest fakes too little for sfpdesk: it has no
// chat.update, no views, no file uploads, no threads or metadata, no Socket
// Mode, and answers everything with success. sfpdesk's outbox, modals,
// relays and transports need a Slack that keeps state and says no the way
// Slack does (not_in_channel, is_archived, 429 with Retry-After, an expired
// trigger_id, invalid_blocks), so tests exercise the same code paths as
// production. The demo command runs the real bot against it too, which is
// why it is ordinary code and does not import testing.
//
// # Basics
//
//	fake := fakeslack.New(fakeslack.WithClock(clock.Now))
//	defer fake.Close()
//	fake.AddUser("U1", "alice", "Alice Martin", false)
//	fake.AddChannel("C1", "seller-acme", false, "U1", fake.BotUserID())
//
//	api := slack.New("xoxb-test",
//		slack.OptionAPIURL(fake.APIURL()),
//		slack.OptionAppLevelToken("xapp-test"))
//
// Any xoxb- token is accepted for the Web API and any xapp- token for
// apps.connections.open. The bot must be a channel member to post or read
// (see WithChatWritePublic). Message timestamps come from the clock and are
// strictly increasing, never repeated.
//
// People are simulated with PostAsUser, which stores the message and
// delivers the message and app_mention events over Socket Mode (once the
// bot has connected) or to an Events URL (WithEventsURL). Slash commands,
// button clicks, shortcuts and modal submissions go over Socket Mode with
// SendSlashCommand, ClickButton, SendInteraction and SubmitView, each
// returning the bot's ack payload; in HTTP mode, SlashCommandRequest,
// InteractionRequest and EventRequest build the signed requests Slack would
// send. Payloads carry trigger IDs and response URLs created by the fake, so
// views.open and response_url posts can be checked end to end.
//
// Tests inspect the workspace with Messages, Thread, Ephemerals, Updates,
// Views, Files, Responses and the call Log, and wait without sleeping with
// WaitFor, WaitCalls, WaitConnected or Subscribe.
//
// # Failure injection
//
// FailNext answers {"ok":false} with a chosen error, FailNextHTTP a 5xx,
// FailNextAfterApply applies a call and then fails it (the outcome-unknown
// case), SetRateLimit turns on 429s for chat.postMessage, SetLatency slows
// every call, SetInvalidAuth revokes the token. On the Socket Mode side,
// Disconnect sends Slack's disconnect envelope, KillConnections drops the
// sockets, and SetSilent stops pings so a client's liveness check fires.
//
// # Caveats
//
// Only the methods sfpdesk uses are served; others answer unknown_method.
// Envelopes go to the newest connection rather than being spread across
// connections, and unacknowledged events are not retried. Error codes
// follow Slack's documentation where it names one; a few rare cases use the
// nearest documented code. Stored messages are not bounded: the fake holds
// a workspace, and a test or demo run is small.
package fakeslack
