package handlers

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"
)

// channelNamesTTL is how long the channel names last read from Slack are
// trusted. A name missing from them is looked up again, at most once per
// channelNamesRetry, so that a channel created a moment ago is found and
// a mistyped name does not page through the workspace on every try.
const (
	channelNamesTTL   = 10 * time.Minute
	channelNamesRetry = 30 * time.Second
)

// channelNames caches the workspace's channel names, to resolve a #name
// typed in a command: Slack sends a channel picked from its list as a link
// with the ID, but a name typed in full arrives as typed.
type channelNames struct {
	mu  sync.Mutex
	ids map[string]string // name → ID
	at  time.Time
}

// channelByName returns the ID of the channel called name (with or without
// its "#"), from the cache or from conversations.list: public channels and
// the private channels the bot is in, which are the ones it can post in.
// ok is false when no such channel is known or Slack did not answer.
func (a *App) channelByName(ctx context.Context, name string) (id string, ok bool) {
	name = strings.ToLower(strings.TrimPrefix(name, "#"))
	cn := &a.channelIDs
	cn.mu.Lock()
	defer cn.mu.Unlock()
	age := a.Clock.Now().Sub(cn.at)
	if id, ok := cn.ids[name]; ok && age < channelNamesTTL {
		return id, true
	}
	if cn.ids != nil && age < channelNamesRetry {
		return "", false
	}
	ids := map[string]string{}
	params := &slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}, ExcludeArchived: true, Limit: 1000}
	for {
		chans, next, err := a.Slack.GetConversationsContext(ctx, params)
		if err != nil {
			a.Log.Warn("listing channels to find a channel by its name failed", "err", err)
			return "", false
		}
		for _, ch := range chans {
			ids[strings.ToLower(ch.Name)] = ch.ID
		}
		if next == "" {
			break
		}
		params.Cursor = next
	}
	cn.ids, cn.at = ids, a.Clock.Now()
	id, ok = ids[name]
	return id, ok
}
