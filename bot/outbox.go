package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// MetadataEventType marks every message the bot posts, so that a message
// can be found again by its outbox id after a crash.
const MetadataEventType = "sfpdesk_case"

// SlackPoster is the part of Slack's Web API the outbox uses.
type SlackPoster interface {
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	GetConversationHistoryContext(ctx context.Context, params *slack.GetConversationHistoryParameters) (*slack.GetConversationHistoryResponse, error)
	GetConversationRepliesContext(ctx context.Context, params *slack.GetConversationRepliesParameters) ([]slack.Message, bool, string, error)
	// OpenConversationContext finds the direct-message channel of a user,
	// for messages queued to an admin by user ID.
	OpenConversationContext(ctx context.Context, params *slack.OpenConversationParameters) (*slack.Channel, bool, bool, error)
}

// Outbox delivers the messages that committed changes owe: in order per
// channel, within Slack's rate limits, exactly once.
//
// Order: one sender per channel posts that channel's messages in the order
// they were committed, so that a slow or failing channel never holds up
// another. Updates of a message (chat.update) travel apart from posts: they
// only need the message they edit to exist, and several queued updates of
// one message are merged, the latest winning.
//
// Limits: posts keep to a budget per channel (Slack allows about one
// chat.postMessage a second per channel, with short bursts) and updates to
// one budget for the workspace (chat.update is Tier 3, about 50 a minute).
// A 429 pauses only what it limits — that channel's posts, or the update
// budget — for its Retry-After.
//
// Exactly once: a message is marked in flight, and that is committed,
// before it is sent; a message found in flight (after a crash, or after an
// error that leaves the outcome unknown: a timeout once the request left, a
// 5xx) is looked up in the channel by the outbox id in its metadata before
// it is sent again.
//
// Slack refusing a message for good (channel_not_found, not_in_channel,
// invalid_blocks…) is recorded on its case and reported once to the triage
// channel, and to each admin by direct message when the channel is a
// seller's route: the bot was removed from where cases go.
type Outbox struct {
	Store   store.Store
	API     SlackPoster
	Clock   sfp.Clock
	Log     *slog.Logger
	Metrics *Metrics
	// TriageChannel hears about messages that cannot be delivered.
	TriageChannel string
	// Admins are told by direct message when the bot can no longer post in
	// a seller's channel (SFPDESK_ADMINS).
	Admins []string
	// Lang is the language of the outbox's own reports. Default fr.
	Lang string
	// SendTimeout bounds one Web API call. Default 10s.
	SendTimeout time.Duration
	// PostRate and PostBurst are the chat.postMessage budget of each
	// channel: PostBurst at once, then PostRate a second. Default 1 and 3,
	// Slack's published limit for a channel; the outbox keeps 3 % under
	// the rate (see headroom).
	PostRate  float64
	PostBurst int
	// UpdateRate and UpdateBurst are the chat.update budget of the whole
	// workspace. Default 50 a minute (Slack's Tier 3) and 5.
	UpdateRate  float64
	UpdateBurst int
	// Rescue, when set, is offered every message Slack refuses for good,
	// before it is recorded as failed: it may deliver the message another
	// way (a direct message instead of a channel the bot is not in) and
	// returns true when it did, which spares the triage channel a report.
	Rescue func(ctx context.Context, m *store.OutboxMessage, code string) bool
	// Do carries out the messages that are neither posts nor updates
	// (store.OpPublishHome, store.OpUpload), in their channel's order and
	// within its post budget; its errors are Slack's and are retried or
	// recorded as a post's are. Nil refuses them for good.
	Do func(ctx context.Context, m *store.OutboxMessage) error
	// Delivered, when set, is told of each message delivered, inside the
	// transaction that records it: what it writes there is as durable as
	// the delivery (the App Home queues the Homes showing the case).
	Delivered func(tx store.Tx, m *store.OutboxMessage) error

	once    sync.Once
	wake    chan struct{}
	wg      sync.WaitGroup
	updates *budget

	mu     sync.Mutex
	active map[string]*sender // channel → its running sender
	posts  map[string]*budget // channel → its post budget, kept across senders
	dms    map[string]string  // admin user ID → direct-message channel
	naps   map[*sender]nap    // senders asleep on the clock
}

// sender is the goroutine that delivers one channel's queue.
type sender struct {
	channel string
	posts   *budget
	poke    chan struct{} // ends a nap that a new post could cut short
}

type nap struct {
	until time.Time
	// pokable is set when the channel has no post waiting: a new one could
	// go at once, so Notify wakes the sender.
	pokable bool
}

// Defaults of the budgets, from Slack's published limits.
const (
	defaultPostRate    = 1.0
	defaultPostBurst   = 3
	defaultUpdateRate  = 50.0 / 60
	defaultUpdateBurst = 5
)

// headroom is how much slower than Slack's limits the outbox goes. Slack
// counts a call when it arrives, the outbox when it leaves; at exactly the
// limit, a post that travels a millisecond faster than the one before it
// arrives a millisecond early and meets a 429 with a second of Retry-After.
// Three per cent (30 ms a second) absorbs that jitter, measured on a loaded
// machine, for a 3 % longer drain.
const headroom = 0.03

// batchSize is how much of a channel's queue a sender reads at a time: enough
// to merge the updates queued behind a slow post.
const batchSize = 64

// maxNap bounds a sender's sleep, so that an update committed while the
// channel's posts back off is noticed within a second.
const maxNap = time.Second

func (o *Outbox) init() {
	o.once.Do(func() {
		o.wake = make(chan struct{}, 1)
		o.active = map[string]*sender{}
		o.posts = map[string]*budget{}
		o.dms = map[string]string{}
		o.naps = map[*sender]nap{}
		rate, burst := o.UpdateRate, o.UpdateBurst
		if rate == 0 {
			rate = defaultUpdateRate
		}
		if burst == 0 {
			burst = defaultUpdateBurst
		}
		o.updates = newBudget(rate/(1+headroom), burst)
	})
}

// Notify tells the outbox that new messages were committed.
func (o *Outbox) Notify() {
	o.init()
	select {
	case o.wake <- struct{}{}:
	default:
	}
	// A sender asleep while its channel's posts are all sent (it waits for
	// the update budget) would hold a new post for up to maxNap. Senders
	// waiting for a post's own turn are left asleep: nothing committed
	// since can go before that post.
	o.mu.Lock()
	for s, n := range o.naps {
		if n.pokable {
			select {
			case s.poke <- struct{}{}:
			default:
			}
		}
	}
	o.mu.Unlock()
}

func (o *Outbox) log() *slog.Logger {
	if o.Log == nil {
		return slog.Default()
	}
	return o.Log
}

func (o *Outbox) lang() string {
	if o.Lang == "" {
		return LangFR
	}
	return o.Lang
}

// Run delivers until ctx is cancelled, then waits for the channel senders
// to stop. Messages left in flight by a crash are looked up before they are
// sent again: each channel's sender starts with the head of its queue.
func (o *Outbox) Run(ctx context.Context) error {
	o.init()
	defer o.wg.Wait()
	// A periodic look catches any Notify that raced with a sender going
	// idle, and messages committed by another process on the file.
	poll := 5 * time.Second
	for {
		chans, err := o.pendingChannels(ctx)
		if err != nil && ctx.Err() == nil {
			o.log().Error("outbox: listing channels", "err", err)
		}
		o.mu.Lock()
		for _, ch := range chans {
			if o.active[ch] == nil {
				s := &sender{channel: ch, posts: o.postBudgetLocked(ch), poke: make(chan struct{}, 1)}
				o.active[ch] = s
				o.wg.Add(1)
				go o.drain(ctx, s)
			}
		}
		o.mu.Unlock()
		t := o.Clock.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-o.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

func (o *Outbox) postBudgetLocked(channel string) *budget {
	b := o.posts[channel]
	if b == nil {
		rate, burst := o.PostRate, o.PostBurst
		if rate == 0 {
			rate = defaultPostRate
		}
		if burst == 0 {
			burst = defaultPostBurst
		}
		b = newBudget(rate/(1+headroom), burst)
		o.posts[channel] = b
	}
	return b
}

func (o *Outbox) pendingChannels(ctx context.Context) ([]string, error) {
	var chans []string
	err := o.Store.View(ctx, func(tx store.Tx) error {
		var err error
		chans, err = tx.PendingChannels()
		return err
	})
	return chans, err
}

// Idle reports whether no message is waiting to be sent: the demo and tests
// use it to know that a scene has been delivered.
func (o *Outbox) Idle(ctx context.Context) bool {
	chans, err := o.pendingChannels(ctx)
	return err == nil && len(chans) == 0
}

// NextWake reports when the outbox next needs the clock to move: ok only
// while at least one sender is waiting and every sender is asleep on the
// clock (for a rate limit, a Retry-After or a back-off). A test or the demo
// on a fake clock moves the clock there instead of waiting for real.
func (o *Outbox) NextWake() (time.Time, bool) {
	o.init()
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.active) == 0 || len(o.naps) < len(o.active) {
		return time.Time{}, false
	}
	var next time.Time
	for _, n := range o.naps {
		if next.IsZero() || n.until.Before(next) {
			next = n.until
		}
	}
	return next, true
}

// sleep waits on the clock until the given time (at most maxNap), or a
// poke when pokable, and reports false when ctx ends first.
func (o *Outbox) sleep(ctx context.Context, s *sender, until time.Time, pokable bool) bool {
	d := min(until.Sub(o.Clock.Now()), maxNap)
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := o.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.poke: // a stale poke, from before this nap
	default:
	}
	o.mu.Lock()
	o.naps[s] = nap{until: o.Clock.Now().Add(d), pokable: pokable}
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		delete(o.naps, s)
		o.mu.Unlock()
	}()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
	case <-s.poke:
	}
	return true
}

// drain delivers one channel's queue until it is empty.
func (o *Outbox) drain(ctx context.Context, s *sender) {
	defer o.wg.Done()
	defer func() {
		o.mu.Lock()
		delete(o.active, s.channel)
		o.mu.Unlock()
		// A message committed after the last look would otherwise wait for
		// the next poll.
		o.Notify()
	}()
	for ctx.Err() == nil {
		var batch []*store.OutboxMessage
		err := o.Store.View(ctx, func(tx store.Tx) error {
			var err error
			batch, err = tx.Pending(s.channel, batchSize)
			return err
		})
		if err != nil {
			if ctx.Err() == nil {
				o.log().Error("outbox: reading the queue", "channel", s.channel, "err", err)
				o.sleep(ctx, s, o.Clock.Now().Add(maxNap), false)
			}
			continue
		}
		if len(batch) == 0 {
			return
		}
		next, at := o.plan(ctx, s, batch)
		now := o.Clock.Now()
		if next == nil {
			// Only updates of messages not posted yet: wait for them.
			at = now.Add(maxNap)
		}
		if at.After(now) {
			o.sleep(ctx, s, at, !hasPost(batch))
			continue
		}
		o.deliver(ctx, s, next)
	}
}

// plan picks what the channel sends next and when it may: the head of the
// posts, which go strictly in order, or the update that is ready soonest,
// whichever its budget allows first. Neither kind waits for the other's
// budget. Updates merged away are recorded as superseded.
func (o *Outbox) plan(ctx context.Context, s *sender, batch []*store.OutboxMessage) (*store.OutboxMessage, time.Time) {
	latest := map[string]*store.OutboxMessage{}
	queued := map[uint64]bool{}
	for _, m := range batch {
		queued[m.ID] = true
		if m.Op == store.OpUpdate {
			latest[updateKey(m)] = m
		}
	}
	var post, update *store.OutboxMessage
	var merged []*store.OutboxMessage
	for _, m := range batch {
		switch {
		case m.Op != store.OpUpdate:
			if post == nil {
				post = m
			}
		case latest[updateKey(m)] != m:
			merged = append(merged, m)
		case m.TargetTS == "" && queued[m.Target]:
			// The message it edits is still waiting to be posted.
		case update == nil || m.NotBefore.Before(update.NotBefore):
			update = m
		}
	}
	o.supersede(ctx, merged)
	now := o.Clock.Now()
	var next *store.OutboxMessage
	var at time.Time
	if post != nil {
		next, at = post, laterOf(post.NotBefore, s.posts.ready(now))
	}
	if update != nil {
		if t := laterOf(update.NotBefore, o.updates.ready(now)); next == nil || t.Before(at) {
			next, at = update, t
		}
	}
	return next, at
}

func hasPost(batch []*store.OutboxMessage) bool {
	for _, m := range batch {
		if m.Op != store.OpUpdate {
			return true
		}
	}
	return false
}

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// updateKey names the message an update edits: by outbox id when it is
// ours from the queue, by ts otherwise.
func updateKey(m *store.OutboxMessage) string {
	if m.Target != 0 {
		return "id:" + strconv.FormatUint(m.Target, 10)
	}
	return "ts:" + m.TargetTS
}

// supersede records updates that a later update of the same message
// replaces: only the latest state of a card is worth Slack's update budget.
func (o *Outbox) supersede(ctx context.Context, ms []*store.OutboxMessage) {
	if len(ms) == 0 {
		return
	}
	err := o.Store.Batch(ctx, func(tx store.Tx) error {
		for _, m := range ms {
			m.State, m.InFlight, m.LastError = store.OutboxSent, false, "superseded"
			m.Text, m.Blocks = "", nil // see sent
			if err := tx.PutOutbox(m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			o.log().Error("outbox: merging updates", "channel", ms[0].Channel, "err", err)
		}
		return
	}
	for range ms {
		o.Metrics.Delivered("superseded")
	}
}

// deliver sends one message whose time has come.
func (o *Outbox) deliver(ctx context.Context, s *sender, m *store.OutboxMessage) {
	threadTS, targetTS, err := o.resolve(ctx, m)
	if err != nil {
		var perm permanentError
		if errors.As(err, &perm) {
			o.fail(ctx, m, perm.code)
			return
		}
		o.retryLater(ctx, m, err.Error())
		return
	}
	if m.InFlight && m.Op == store.OpPost {
		ts, found, err := o.lookup(ctx, m, threadTS)
		if err != nil {
			method := "conversations.history"
			if threadTS != "" {
				method = "conversations.replies"
			}
			o.rateLimited(method, err)
			o.retryLater(ctx, m, "reconcile: "+errText(err))
			return
		}
		if found {
			o.Metrics.Delivered("reconciled")
			o.log().Info("outbox: message found posted; not sent again", "outbox_id", m.ID, "case_id", m.CaseID, "channel", m.Channel)
			o.sent(ctx, m, ts)
			return
		}
	}
	lane, method := s.posts, "chat.postMessage"
	if m.Op == store.OpUpdate {
		// An update applied twice shows the same state: nothing to look up.
		lane, method = o.updates, "chat.update"
	}
	// Commit "in flight" before the request leaves: from here a crash
	// leaves a mark that makes the next run look before it resends.
	m.InFlight = true
	m.Attempts++
	if err := o.put(ctx, m); err != nil {
		return
	}
	// The budget is spent as the request leaves, after the commit, whose
	// time varies under load: Slack counts calls as they arrive.
	if !lane.take(o.Clock.Now()) {
		// Another channel spent the update budget first. The mark costs
		// nothing: an update is sent again without a look-up.
		return
	}
	timeout := o.SendTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	ts, err := o.send(sctx, m, threadTS, targetTS)
	cancel()
	if err == nil {
		lane.succeeded()
		o.Metrics.Delivered("sent")
		o.sent(ctx, m, ts)
		return
	}
	if ctx.Err() != nil {
		// Shutting down: the mark stays, and the next run looks first.
		return
	}
	o.handleError(ctx, m, lane, method, err)
}

func (o *Outbox) handleError(ctx context.Context, m *store.OutboxMessage, lane *budget, method string, err error) {
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	now := o.Clock.Now()
	switch {
	case errors.As(err, &rl):
		// A 429 is a refusal: nothing was posted. It pauses what it limits
		// (this channel's posts, or every update), not the message.
		o.Metrics.RateLimited(method)
		o.Metrics.Delivered("retried")
		wait := max(rl.RetryAfter, time.Second)
		lane.pause(now.Add(wait))
		m.InFlight, m.LastError = false, "rate limited"
		o.put(ctx, m)
		o.log().Warn("outbox: rate limited", "method", method, "channel", m.Channel, "retry_after", wait.String())
	case errors.As(err, &sc) && sc.Code == 429:
		o.Metrics.RateLimited(method)
		o.Metrics.Delivered("retried")
		wait := lane.backoff(now)
		m.InFlight, m.LastError = false, "rate limited without Retry-After"
		o.put(ctx, m)
		o.log().Warn("outbox: rate limited without Retry-After", "method", method, "channel", m.Channel, "backoff", wait.String())
	case errors.As(err, &se) && isPermanent(se.Err):
		o.fail(ctx, m, se.Err)
	case errors.As(err, &se) && (isRefusal(se.Err) || isWorkspaceRefusal(se.Err)):
		// Slack answered and posted nothing: safe to send again.
		m.InFlight = false
		if isWorkspaceRefusal(se.Err) {
			o.log().Error("outbox: Slack refuses the bot token; messages wait until it is fixed", "err", se.Err)
		}
		o.retryLater(ctx, m, se.Err)
	default:
		// A 5xx, a timeout or a broken connection: the message may or may
		// not be in the channel. It stays in flight, so the retry looks
		// first.
		o.retryLater(ctx, m, errText(err))
	}
}

// rateLimited counts a 429 met outside a send.
func (o *Outbox) rateLimited(method string, err error) {
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	if errors.As(err, &rl) || (errors.As(err, &sc) && sc.Code == 429) {
		o.Metrics.RateLimited(method)
	}
}

func errText(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return "HTTP " + strconv.Itoa(sc.Code)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The URL adds nothing to the cause.
		return ue.Err.Error()
	}
	return err.Error()
}

// Errors after which Slack will never accept the message as it is.
var permanentCodes = map[string]bool{
	"channel_not_found": true, "not_in_channel": true, "is_archived": true,
	"invalid_blocks": true, "invalid_blocks_format": true, "msg_too_long": true,
	"no_text": true, "too_many_attachments": true, "message_not_found": true,
	"cant_update_message": true, "edit_window_closed": true, "restricted_action": true,
	"invalid_metadata_format": true, "invalid_metadata_schema": true, "metadata_too_large": true,
	"thread_not_found": true, "invalid_thread_ts": true, "user_not_found": true, "cannot_dm_bot": true,
	// An operation without a Do to carry it out.
	"not_supported": true,
}

func isPermanent(code string) bool { return permanentCodes[code] }

// isRefusal is an error answer after which Slack has certainly not posted.
func isRefusal(code string) bool {
	switch code {
	case "ratelimited", "rate_limited", "service_unavailable":
		return true
	}
	return false
}

// isWorkspaceRefusal is Slack refusing the token or the app, not the
// message: every message would meet it, and a new token or scope fixes it,
// so messages wait rather than being given up.
func isWorkspaceRefusal(code string) bool {
	switch code {
	case "invalid_auth", "account_inactive", "token_revoked", "token_expired", "missing_scope",
		"not_authed", "team_access_not_granted", "not_allowed_token_type", "ekm_access_denied":
		return true
	}
	return false
}

type permanentError struct{ code string }

func (e permanentError) Error() string { return e.code }

// resolve finds the ts of the thread a reply goes in and of the message an
// update replaces. Both are messages of ours, usually posted by an earlier
// entry of the same channel's queue.
func (o *Outbox) resolve(ctx context.Context, m *store.OutboxMessage) (threadTS, targetTS string, err error) {
	threadTS, targetTS = m.ThreadTS, m.TargetTS
	if (m.ThreadOf == 0 || threadTS != "") && (m.Target == 0 || targetTS != "") {
		return threadTS, targetTS, nil
	}
	err = o.Store.View(ctx, func(tx store.Tx) error {
		ref := func(id uint64) (string, error) {
			p, err := tx.OutboxMessage(id)
			if err != nil {
				return "", permanentError{"parent_not_found"}
			}
			switch {
			case p.State == store.OutboxSent && p.TS != "":
				return p.TS, nil
			case p.State == store.OutboxFailed:
				return "", permanentError{"parent_not_delivered"}
			}
			return "", fmt.Errorf("parent message %d not posted yet", id)
		}
		var err error
		if m.ThreadOf != 0 && threadTS == "" {
			if threadTS, err = ref(m.ThreadOf); err != nil {
				return err
			}
		}
		if m.Target != 0 && targetTS == "" {
			targetTS, err = ref(m.Target)
		}
		return err
	})
	return threadTS, targetTS, err
}

// conversation is where a message goes: its channel, or for a message
// queued to a user (an admin), the bot's direct-message channel with that
// user, which history can be read from.
func (o *Outbox) conversation(ctx context.Context, channel string) (string, error) {
	if !isUserID(channel) {
		return channel, nil
	}
	o.mu.Lock()
	dm := o.dms[channel]
	o.mu.Unlock()
	if dm != "" {
		return dm, nil
	}
	ch, _, _, err := o.API.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{channel}, ReturnIM: true})
	if err != nil {
		return "", err
	}
	if ch == nil || ch.ID == "" {
		return "", slack.SlackErrorResponse{Err: "channel_not_found"}
	}
	o.mu.Lock()
	o.dms[channel] = ch.ID
	o.mu.Unlock()
	return ch.ID, nil
}

func isUserID(id string) bool {
	return len(id) > 1 && (id[0] == 'U' || id[0] == 'W')
}

func (o *Outbox) send(ctx context.Context, m *store.OutboxMessage, threadTS, targetTS string) (string, error) {
	if m.Op != store.OpPost && m.Op != store.OpUpdate {
		// A Home published twice, or a file uploaded twice, is no message
		// in a channel's history to find again: these are at least once.
		if o.Do == nil {
			return "", slack.SlackErrorResponse{Err: "not_supported"}
		}
		return "", o.Do(ctx, m)
	}
	channel, err := o.conversation(ctx, m.Channel)
	if err != nil {
		return "", err
	}
	var blocks slack.Blocks
	if len(m.Blocks) > 0 {
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			return "", slack.SlackErrorResponse{Err: "invalid_blocks"}
		}
	}
	opts := []slack.MsgOption{
		slack.MsgOptionText(Fallback(m.Text, blocks.BlockSet), false),
		slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType:    MetadataEventType,
			EventPayload: map[string]any{"case_id": m.CaseID, "outbox_id": m.ID},
		}),
	}
	if len(blocks.BlockSet) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks.BlockSet...))
	}
	if m.Op == store.OpUpdate {
		_, ts, _, err := o.API.UpdateMessageContext(ctx, channel, targetTS, opts...)
		if err == nil && ts == "" {
			ts = targetTS
		}
		return ts, err
	}
	if threadTS != "" {
		opts = append(opts, slack.MsgOptionTS(threadTS))
		if m.Broadcast {
			opts = append(opts, slack.MsgOptionBroadcast())
		}
	}
	opts = append(opts, slack.MsgOptionDisableLinkUnfurl(), slack.MsgOptionDisableMediaUnfurl())
	_, ts, err := o.API.PostMessageContext(ctx, channel, opts...)
	return ts, err
}

// lookupPages bounds a search: 50 pages of 200 messages posted since the
// message was queued. A channel busier than that between a crash and the
// restart would see the message again, the one case where exactly once
// gives way to at least once.
const lookupPages = 50

// lookup searches the channel (or the thread) for a message carrying m's
// outbox id in its metadata. A channel Slack no longer lets the bot read
// (it was removed) cannot hold a message to find: the send that follows
// meets the same refusal and records it.
func (o *Outbox) lookup(ctx context.Context, m *store.OutboxMessage, threadTS string) (string, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 4*max(o.SendTimeout, 10*time.Second))
	defer cancel()
	channel, err := o.conversation(ctx, m.Channel)
	if err != nil {
		return "", false, unlessPermanent(err)
	}
	// Slack's ts and our clock may disagree a little; a minute of margin
	// costs a few more messages read.
	oldest := strconv.FormatFloat(float64(m.CreatedAt.Add(-time.Minute).UnixNano())/1e9, 'f', 6, 64)
	cursor := ""
	for page := 0; page < lookupPages; page++ {
		var msgs []slack.Message
		var more bool
		var next string
		var err error
		if threadTS != "" {
			msgs, more, next, err = o.API.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: threadTS, Cursor: cursor, Limit: 200, Oldest: oldest, IncludeAllMetadata: true,
			})
		} else {
			var resp *slack.GetConversationHistoryResponse
			resp, err = o.API.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Cursor: cursor, Limit: 200, Oldest: oldest, IncludeAllMetadata: true,
			})
			if resp != nil {
				msgs, more, next = resp.Messages, resp.HasMore, resp.ResponseMetaData.NextCursor
			}
		}
		if err != nil {
			return "", false, unlessPermanent(err)
		}
		for _, msg := range msgs {
			if msg.Metadata.EventType == MetadataEventType && outboxIDOf(msg.Metadata.EventPayload) == m.ID {
				return msg.Timestamp, true, nil
			}
		}
		if !more || next == "" {
			return "", false, nil
		}
		cursor = next
	}
	return "", false, nil
}

// unlessPermanent turns Slack's lasting refusal to read a channel into "not
// found", and keeps any other error.
func unlessPermanent(err error) error {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && isPermanent(se.Err) {
		return nil
	}
	return err
}

func outboxIDOf(p map[string]any) uint64 {
	switch v := p["outbox_id"].(type) {
	case float64:
		return uint64(v)
	case json.Number:
		n, _ := v.Int64()
		return uint64(n)
	case string:
		n, _ := strconv.ParseUint(v, 10, 64)
		return n
	}
	return 0
}

func (o *Outbox) put(ctx context.Context, m *store.OutboxMessage) error {
	err := o.Store.Batch(ctx, func(tx store.Tx) error { return tx.PutOutbox(m) })
	if err != nil && ctx.Err() == nil {
		o.log().Error("outbox: saving message state", "outbox_id", m.ID, "err", err)
	}
	return err
}

// sent records the message's ts, and where it is a case's card or CS-side
// thread, on the case too: replies in that thread find their case by it.
func (o *Outbox) sent(ctx context.Context, m *store.OutboxMessage, ts string) {
	m.State, m.TS, m.InFlight, m.SentAt, m.LastError = store.OutboxSent, ts, false, o.Clock.Now(), ""
	// Slack has the words now; the outbox keeps only where they went. A
	// message's text may quote a buyer, and what is not kept needs no
	// erasing later.
	m.Text, m.Blocks = "", nil
	err := o.Store.Batch(ctx, func(tx store.Tx) error {
		if err := tx.PutOutbox(m); err != nil {
			return err
		}
		if o.Delivered != nil {
			if err := o.Delivered(tx, m); err != nil {
				return err
			}
		}
		if m.CaseID == "" || m.Op != store.OpPost {
			return nil
		}
		c, err := tx.Case(m.CaseID)
		if err != nil {
			return nil
		}
		changed := false
		for _, r := range []*sfp.MessageRef{&c.Card, &c.CSThread} {
			if r.OutboxID == m.ID && r.TS != ts {
				r.TS, r.Channel = ts, m.Channel
				changed = true
			}
		}
		if changed {
			return tx.PutCase(c)
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		o.log().Error("outbox: recording sent message", "outbox_id", m.ID, "case_id", m.CaseID, "err", err)
	}
}

func (o *Outbox) retryLater(ctx context.Context, m *store.OutboxMessage, why string) {
	o.Metrics.Delivered("retried")
	// Jittered exponential back-off: 1s, 2s, 4s… up to 5 minutes, so that
	// a Slack outage is not met with a stampede when it ends.
	n := min(m.Attempts, 9)
	d := min(time.Second<<n, 5*time.Minute)
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	m.LastError = why
	m.NotBefore = o.Clock.Now().Add(d)
	o.put(ctx, m)
	o.log().Warn("outbox: will retry", "outbox_id", m.ID, "case_id", m.CaseID, "channel", m.Channel, "err", why, "in", d.Round(time.Millisecond).String())
}

// Refusals that mean the bot is not (or no longer) where it posts: in a
// seller's channel, the cases of that seller stop reaching anyone.
var removedCodes = map[string]bool{"not_in_channel": true, "channel_not_found": true}

// fail gives up on a message that Slack will never take, records it on the
// case and tells the triage channel once per channel and error, so that the
// case stays reachable with /sfp case; when the bot was removed from a
// seller's channel, every admin hears of it too.
func (o *Outbox) fail(ctx context.Context, m *store.OutboxMessage, code string) {
	rescued := o.Rescue != nil && o.Rescue(ctx, m, code)
	now := o.Clock.Now()
	m.State, m.InFlight, m.LastError = store.OutboxFailed, false, code
	m.Text, m.Blocks = "", nil // see sent: the error code is what diagnosis needs
	if rescued {
		o.Metrics.Delivered("rescued")
		o.log().Info("outbox: message delivered another way", "outbox_id", m.ID, "case_id", m.CaseID, "channel", m.Channel, "err", code)
	} else {
		o.Metrics.Delivered("failed")
		o.log().Error("outbox: message cannot be delivered", "outbox_id", m.ID, "case_id", m.CaseID, "channel", m.Channel, "err", code)
	}
	lang := o.lang()
	err := o.Store.Batch(ctx, func(tx store.Tx) error {
		if err := tx.PutOutbox(m); err != nil {
			return err
		}
		if rescued {
			return nil
		}
		if m.CaseID != "" {
			if c, err := tx.Case(m.CaseID); err == nil {
				c.AddEvent(now, sfp.EventDelivery, "", m.Channel+": "+code)
				if err := tx.PutCase(c); err != nil {
					return err
				}
			}
		}
		// Reports about reports would loop: the triage channel and the
		// admins' direct messages report nothing.
		if m.Channel == o.TriageChannel || isUserID(m.Channel) {
			return nil
		}
		key := m.Channel + "/" + code
		if _, seen, err := tx.Seen("delivery_report", key); err != nil || seen {
			return err
		}
		if err := tx.Remember("delivery_report", key, m.CaseID, now); err != nil {
			return err
		}
		caseLine := ""
		if m.CaseID != "" {
			caseLine = " " + T(lang, "outbox.case_safe", m.CaseID, m.CaseID)
		}
		if o.TriageChannel != "" {
			text := T(lang, "outbox.cannot_post", ChannelLink(m.Channel), code) + caseLine
			if _, err := tx.Enqueue(&store.OutboxMessage{CaseID: m.CaseID, Channel: o.TriageChannel, CreatedAt: now, Text: text}); err != nil {
				return err
			}
		}
		if !removedCodes[code] || len(o.Admins) == 0 {
			return nil
		}
		seller, routed, err := routeOf(tx, m.Channel)
		if err != nil || !routed {
			return err
		}
		text := T(lang, "outbox.removed", ChannelLink(m.Channel), Escape(seller), code, ChannelLink(m.Channel)) + caseLine
		for _, admin := range o.Admins {
			if _, err := tx.Enqueue(&store.OutboxMessage{CaseID: m.CaseID, Channel: admin, CreatedAt: now, Text: text}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			o.log().Error("outbox: recording a failed message", "outbox_id", m.ID, "case_id", m.CaseID, "err", err)
		}
		return
	}
	o.Notify()
}

// routeOf finds the seller whose cases go to channel.
func routeOf(tx store.Tx, channel string) (string, bool, error) {
	sellers, err := tx.Sellers()
	if err != nil {
		return "", false, err
	}
	for _, s := range sellers {
		for _, r := range s.Routes {
			if r.Channel == channel {
				return s.Name, true, nil
			}
		}
	}
	return "", false, nil
}
