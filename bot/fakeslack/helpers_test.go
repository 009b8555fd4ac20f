package fakeslack_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
)

// Workspace used across tests.
const (
	alice          = "U0ALICE001"
	bob            = "U0BOB00001"
	sellerChannel  = "C0SELLER01"
	privateChannel = "G0PRIVATE1"
	otherChannel   = "C0OTHER001"
)

// manualClock is a clock that moves only when told to.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *manualClock {
	return &manualClock{now: time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newWorkspace starts a fake with two people, a seller channel the bot is
// in, another public channel it is not in, and a private channel.
func newWorkspace(t *testing.T, opts ...fakeslack.Option) (*fakeslack.Server, *slack.Client) {
	t.Helper()
	fake := fakeslack.New(opts...)
	t.Cleanup(fake.Close)
	fake.AddUser(alice, "alice", "Alice Martin", false)
	fake.AddUser(bob, "bob", "Bob Durand", false)
	fake.AddChannel(sellerChannel, "seller-acme", false, alice, bob, fake.BotUserID())
	fake.AddChannel(otherChannel, "random", false, alice)
	fake.AddChannel(privateChannel, "cs-team", true, alice)
	return fake, botClient(fake)
}

func botClient(fake *fakeslack.Server) *slack.Client {
	return slack.New("xoxb-test-token", slack.OptionAPIURL(fake.APIURL()))
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// cmpIgnoreTime leaves out recorded times, which tests do not pin.
var cmpIgnoreTime = cmpopts.IgnoreTypes(time.Time{})

// slackError returns the Slack error code of err, or "".
func slackError(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}
