package fakeslack

import "time"

// Option configures a Server at New. Runtime knobs (latency, rate limits,
// failures, the events URL) also have Set methods on Server.
type Option func(*config)

type config struct {
	teamID, teamDomain, teamName string
	botUserID, botID, botName    string
	appID                        string

	clock        func() time.Time
	latency      time.Duration
	pingInterval time.Duration
	ackTimeout   time.Duration
	logLimit     int

	eventsURL, signingSecret string

	chatWritePublic bool
	echoBotMessages bool
}

func defaultConfig() config {
	return config{
		teamID:       "T0FAKE0001",
		teamDomain:   "sfpdesk-fake",
		teamName:     "sfpdesk fake workspace",
		botUserID:    "U0BOT00001",
		botID:        "B0BOT00001",
		botName:      "sfpdesk",
		appID:        "A0APP00001",
		clock:        time.Now,
		pingInterval: 5 * time.Second,
		ackTimeout:   3 * time.Second,
		logLimit:     10000,
	}
}

// WithTeam sets the workspace identity returned by auth.test and put in every
// event and payload. Default: T0FAKE0001, domain "sfpdesk-fake".
func WithTeam(id, domain string) Option {
	return func(c *config) {
		c.teamID, c.teamDomain = id, domain
	}
}

// WithBot sets the bot's user ID, bot ID and display name. Default:
// U0BOT00001, B0BOT00001, "sfpdesk".
func WithBot(userID, botID, name string) Option {
	return func(c *config) {
		c.botUserID, c.botID, c.botName = userID, botID, name
	}
}

// WithAppID sets the app ID (api_app_id in payloads). Default: A0APP00001.
func WithAppID(id string) Option {
	return func(c *config) { c.appID = id }
}

// WithClock sets the clock behind message timestamps, trigger expiry, rate
// limits and event times, so a simulated clock drives the whole fake.
// Default: time.Now. Network timeouts (acks, pings) stay on real time
// because they guard real sockets.
func WithClock(now func() time.Time) Option {
	return func(c *config) { c.clock = now }
}

// WithLatency delays every Web API answer by d (real time). Default: none.
func WithLatency(d time.Duration) Option {
	return func(c *config) { c.latency = d }
}

// WithPingInterval sets how often the fake pings Socket Mode connections.
// slack-go's client drops a connection that sees no ping for its own
// interval (30 s by default), so keep this below the client's. Default: 5 s.
func WithPingInterval(d time.Duration) Option {
	return func(c *config) { c.pingInterval = d }
}

// WithAckTimeout sets how long Send* and event delivery wait for the bot's
// answer after the envelope or request left. Slack gives an app 3 seconds,
// which is the default.
func WithAckTimeout(d time.Duration) Option {
	return func(c *config) { c.ackTimeout = d }
}

// WithLogLimit caps the call log (and the ack and delivery logs) at the n
// most recent entries; Calls and Count429 keep counting past it.
// Default: 10000.
func WithLogLimit(n int) Option {
	return func(c *config) { c.logLimit = n }
}

// WithEventsURL makes the fake deliver Events API callbacks (from
// PostAsUser) as signed HTTP POSTs to url, as Slack does for an app in HTTP
// mode. Without it, events go over Socket Mode once a client has connected.
func WithEventsURL(url, signingSecret string) Option {
	return func(c *config) { c.eventsURL, c.signingSecret = url, signingSecret }
}

// WithChatWritePublic lets the bot post in public channels it has not
// joined, as Slack does for an app granted the chat:write.public scope.
// Default: off, so posting needs membership (not_in_channel otherwise).
func WithChatWritePublic() Option {
	return func(c *config) { c.chatWritePublic = true }
}

// WithEchoBotMessages makes the fake deliver a message event for each
// message the bot posts, as Slack does when the app subscribes to
// message.channels. Useful to prove the bot ignores its own messages.
// Default: off, to keep event streams small.
func WithEchoBotMessages() Option {
	return func(c *config) { c.echoBotMessages = true }
}
