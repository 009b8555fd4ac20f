package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
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
}

// Outbox delivers the messages that committed changes owe, in order per
// channel, one sender per channel so that a slow or failing channel never
// holds up another.
//
// A message is marked in flight, and that is committed, before it is sent;
// a message found in flight (after a crash, or after a timeout whose outcome
// is unknown) is looked up in the channel by its outbox id before it is sent
// again. Nothing is lost and nothing is posted twice.
type Outbox struct {
	Store   store.Store
	API     SlackPoster
	Clock   sfp.Clock
	Log     *slog.Logger
	Metrics *Metrics
	// TriageChannel hears about messages that cannot be delivered.
	TriageChannel string
	// SendTimeout bounds one Web API call. Default 10s.
	SendTimeout time.Duration
	// Rescue, when set, is offered every message Slack refuses for good,
	// before it is recorded as failed: it may deliver the message another
	// way (a direct message instead of a channel the bot is not in) and
	// returns true when it did, which spares the triage channel a report.
	Rescue func(ctx context.Context, m *store.OutboxMessage, code string) bool

	once   sync.Once
	wake   chan struct{}
	mu     sync.Mutex
	active map[string]bool
	wg     sync.WaitGroup
}

func (o *Outbox) init() {
	o.once.Do(func() {
		o.wake = make(chan struct{}, 1)
		o.active = map[string]bool{}
	})
}

// Notify tells the outbox that new messages were committed.
func (o *Outbox) Notify() {
	o.init()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *Outbox) log() *slog.Logger {
	if o.Log == nil {
		return slog.Default()
	}
	return o.Log
}

// Run delivers until ctx is cancelled, then waits for the channel senders
// to stop.
func (o *Outbox) Run(ctx context.Context) error {
	o.init()
	defer o.wg.Wait()
	// A periodic look catches messages whose not-before time has come and
	// any Notify that raced with a sender going idle.
	poll := 5 * time.Second
	for {
		chans, err := o.pendingChannels(ctx)
		if err != nil && ctx.Err() == nil {
			o.log().Error("outbox: listing channels", "err", err)
		}
		o.mu.Lock()
		for _, ch := range chans {
			if !o.active[ch] {
				o.active[ch] = true
				o.wg.Add(1)
				go o.drain(ctx, ch)
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

func (o *Outbox) drain(ctx context.Context, channel string) {
	defer o.wg.Done()
	for {
		var batch []*store.OutboxMessage
		err := o.Store.View(ctx, func(tx store.Tx) error {
			var err error
			batch, err = tx.Pending(channel, 32)
			return err
		})
		if err != nil || len(batch) == 0 {
			o.mu.Lock()
			delete(o.active, channel)
			o.mu.Unlock()
			if err == nil {
				// A message committed after our last look would wait for the
				// next poll; look once more now that we are marked idle.
				o.Notify()
			}
			return
		}
		for i, m := range batch {
			if ctx.Err() != nil {
				o.mu.Lock()
				delete(o.active, channel)
				o.mu.Unlock()
				return
			}
			if superseded(m, batch[i+1:]) {
				o.finish(ctx, m, func(m *store.OutboxMessage) { m.State = store.OutboxSent; m.LastError = "superseded" })
				o.Metrics.Delivered("superseded")
				continue
			}
			if !o.deliver(ctx, m) {
				break // retry the head of the queue before anything behind it
			}
		}
	}
}

// superseded reports whether a later update of the same message is already
// queued: only the latest state of a card is worth Slack's update budget.
func superseded(m *store.OutboxMessage, later []*store.OutboxMessage) bool {
	if m.Op != store.OpUpdate {
		return false
	}
	for _, l := range later {
		if l.Op == store.OpUpdate && l.Target == m.Target && l.TargetTS == m.TargetTS {
			return true
		}
	}
	return false
}

// deliver sends one message; it returns false when the message is still
// pending (the sender then waits and tries it again first).
func (o *Outbox) deliver(ctx context.Context, m *store.OutboxMessage) bool {
	if wait := m.NotBefore.Sub(o.Clock.Now()); wait > 0 {
		if sfp.Sleep(ctx, o.Clock, wait) != nil {
			return false
		}
	}
	threadTS, targetTS, err := o.resolve(ctx, m)
	if err != nil {
		var perm permanentError
		if errors.As(err, &perm) {
			o.fail(ctx, m, perm.code)
			return true
		}
		o.retryLater(ctx, m, err.Error())
		return false
	}
	if m.InFlight {
		ts, found, err := o.lookup(ctx, m, threadTS)
		if err != nil {
			o.retryLater(ctx, m, "reconcile: "+err.Error())
			return false
		}
		if found {
			o.Metrics.Delivered("reconciled")
			o.sent(ctx, m, ts)
			return true
		}
	}
	// Commit "in flight" before the request leaves: from here a crash
	// leaves a mark that makes the next run look before it resends.
	m.InFlight = true
	m.Attempts++
	if err := o.put(ctx, m); err != nil {
		return false
	}
	timeout := o.SendTimeout
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	ts, err := o.send(sctx, m, threadTS, targetTS)
	cancel()
	if err == nil {
		o.Metrics.Delivered("sent")
		o.sent(ctx, m, ts)
		return true
	}
	return o.handleError(ctx, m, err)
}

func (o *Outbox) handleError(ctx context.Context, m *store.OutboxMessage, err error) bool {
	method := "chat.postMessage"
	if m.Op == store.OpUpdate {
		method = "chat.update"
	}
	var rl *slack.RateLimitedError
	var sc slack.StatusCodeError
	var se slack.SlackErrorResponse
	switch {
	case errors.As(err, &rl):
		// A 429 is a refusal: nothing was posted.
		o.Metrics.RateLimited(method)
		o.Metrics.Delivered("retried")
		m.InFlight = false
		m.LastError = "rate limited"
		m.NotBefore = o.Clock.Now().Add(max(rl.RetryAfter, time.Second))
		o.put(ctx, m)
		return false
	case errors.As(err, &sc) && sc.Code == 429:
		o.Metrics.RateLimited(method)
		m.InFlight = false
		o.retryLater(ctx, m, "rate limited without Retry-After")
		return false
	case errors.As(err, &se) && isPermanent(se.Err):
		o.fail(ctx, m, se.Err)
		return true
	case errors.As(err, &se) && isRefusal(se.Err):
		// Slack answered and posted nothing: safe to send again.
		m.InFlight = false
		o.retryLater(ctx, m, se.Err)
		return false
	}
	// A 5xx, a timeout or a broken connection: the message may or may not
	// be in the channel. It stays in flight, so the retry looks first.
	o.retryLater(ctx, m, errText(err))
	return false
}

func errText(err error) string {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
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
	"invalid_auth": true, "account_inactive": true, "token_revoked": true, "missing_scope": true,
	"not_authed": true, "team_access_not_granted": true, "thread_not_found": true,
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

func (o *Outbox) send(ctx context.Context, m *store.OutboxMessage, threadTS, targetTS string) (string, error) {
	opts := []slack.MsgOption{
		slack.MsgOptionText(m.Text, false),
		slack.MsgOptionMetadata(slack.SlackMetadata{
			EventType:    MetadataEventType,
			EventPayload: map[string]any{"case_id": m.CaseID, "outbox_id": m.ID},
		}),
	}
	if len(m.Blocks) > 0 {
		var blocks slack.Blocks
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			return "", slack.SlackErrorResponse{Err: "invalid_blocks"}
		}
		opts = append(opts, slack.MsgOptionBlocks(blocks.BlockSet...))
	}
	if m.Op == store.OpUpdate {
		_, ts, _, err := o.API.UpdateMessageContext(ctx, m.Channel, targetTS, opts...)
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
	_, ts, err := o.API.PostMessageContext(ctx, m.Channel, opts...)
	return ts, err
}

// lookup searches the channel (or the thread) for a message carrying m's
// outbox id in its metadata.
func (o *Outbox) lookup(ctx context.Context, m *store.OutboxMessage, threadTS string) (string, bool, error) {
	if m.Op == store.OpUpdate {
		// An update applied twice shows the same state: nothing to find.
		return "", false, nil
	}
	oldest := strconv.FormatFloat(float64(m.CreatedAt.Add(-time.Minute).UnixNano())/1e9, 'f', 6, 64)
	cursor := ""
	for page := 0; page < 50; page++ {
		var msgs []slack.Message
		var more bool
		var next string
		var err error
		if threadTS != "" {
			msgs, more, next, err = o.API.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: m.Channel, Timestamp: threadTS, Cursor: cursor, Limit: 200, IncludeAllMetadata: true,
			})
		} else {
			var resp *slack.GetConversationHistoryResponse
			resp, err = o.API.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: m.Channel, Cursor: cursor, Limit: 200, Oldest: oldest, IncludeAllMetadata: true,
			})
			if resp != nil {
				msgs, more, next = resp.Messages, resp.HasMore, resp.ResponseMetaData.NextCursor
			}
		}
		if err != nil {
			return "", false, err
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
	err := o.Store.Update(ctx, func(tx store.Tx) error { return tx.PutOutbox(m) })
	if err != nil && ctx.Err() == nil {
		o.log().Error("outbox: saving message state", "outbox_id", m.ID, "err", err)
	}
	return err
}

func (o *Outbox) finish(ctx context.Context, m *store.OutboxMessage, change func(*store.OutboxMessage)) {
	change(m)
	m.InFlight = false
	o.put(ctx, m)
}

// sent records the message's ts, and where it is a case's card or CS-side
// thread, on the case too: replies in that thread find their case by it.
func (o *Outbox) sent(ctx context.Context, m *store.OutboxMessage, ts string) {
	m.State, m.TS, m.InFlight, m.SentAt, m.LastError = store.OutboxSent, ts, false, o.Clock.Now(), ""
	err := o.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutOutbox(m); err != nil {
			return err
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
	// Jittered exponential back-off: 1s, 2s, 4s… up to 5 minutes.
	n := min(m.Attempts, 9)
	d := time.Second << n
	if d > 5*time.Minute {
		d = 5 * time.Minute
	}
	d = d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
	m.LastError = why
	m.NotBefore = o.Clock.Now().Add(d)
	o.put(ctx, m)
	o.log().Warn("outbox: will retry", "outbox_id", m.ID, "case_id", m.CaseID, "channel", m.Channel, "err", why, "in", d.Round(time.Millisecond))
}

// fail gives up on a message that Slack will never take, records it on the
// case and tells the triage channel once, so that the case stays reachable
// with /sfp case.
func (o *Outbox) fail(ctx context.Context, m *store.OutboxMessage, code string) {
	rescued := o.Rescue != nil && o.Rescue(ctx, m, code)
	o.Metrics.Delivered("failed")
	now := o.Clock.Now()
	m.State, m.InFlight, m.LastError = store.OutboxFailed, false, code
	if rescued {
		o.log().Info("outbox: message delivered another way", "outbox_id", m.ID, "case_id", m.CaseID, "channel", m.Channel, "err", code)
	} else {
		o.log().Error("outbox: message cannot be delivered", "outbox_id", m.ID, "case_id", m.CaseID, "channel", m.Channel, "err", code)
	}
	err := o.Store.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutOutbox(m); err != nil {
			return err
		}
		if m.CaseID == "" {
			return nil
		}
		if c, err := tx.Case(m.CaseID); err == nil && !rescued {
			c.AddEvent(now, sfp.EventDelivery, "", m.Channel+": "+code)
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		key := m.Channel + "/" + code
		if rescued || o.TriageChannel == "" || m.Channel == o.TriageChannel {
			return nil
		}
		if _, seen, _ := tx.Seen("delivery_report", key); seen {
			return nil
		}
		if err := tx.Remember("delivery_report", key, m.CaseID, now); err != nil {
			return err
		}
		_, err := tx.Enqueue(&store.OutboxMessage{
			CaseID: m.CaseID, Channel: o.TriageChannel, CreatedAt: now,
			Text: fmt.Sprintf(":warning: sfpdesk cannot post in <#%s> (%s). Case %s is safe: `/sfp case %s` shows it.", m.Channel, code, m.CaseID, m.CaseID),
		})
		return err
	})
	if err == nil {
		o.Notify()
	}
}
