package bot

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Callback types (DESIGN §4.4): the reply that answers a case, and every
// reply after it.
const (
	CallbackAnswer   = "answer"
	CallbackFollowUp = "follow_up"
)

// Headers of a callback request (DESIGN §4.4).
const (
	HeaderDelivery  = "X-Sfpdesk-Delivery"
	HeaderTimestamp = "X-Sfpdesk-Timestamp"
	HeaderSignature = "X-Sfpdesk-Signature"
)

// CallbackRetryFor is how long a callback is retried after the reply
// (DESIGN §4.4: "retry with back-off for up to a day").
const CallbackRetryFor = 24 * time.Hour

// Back-off between attempts: doubling from callbackBackoffMin up to
// callbackBackoffMax, each wait jittered down to half so that the
// receivers of many failed callbacks are not hit all at once when they
// come back.
const (
	callbackBackoffMin = 30 * time.Second
	callbackBackoffMax = time.Hour
	// callbackRetryAfterMax bounds a 429's Retry-After: a receiver cannot
	// park a delivery beyond the day it has.
	callbackRetryAfterMax = 6 * time.Hour
	// callbackLeaseMargin is added to the request timeout to form the lease
	// an attempt holds on its callback.
	callbackLeaseMargin = 30 * time.Second
	// callbackDueScan bounds how many due callbacks one look reads.
	callbackDueScan = 256
	// callbackPoll is the longest the worker sleeps with nothing due;
	// Notify and finished attempts wake it sooner.
	callbackPoll = time.Minute
	// maxCallbackAttempts bounds the attempts kept on a delivery record.
	maxCallbackAttempts = 100
)

// NewCallback builds the callback a seller's reply owes an intake case: the
// payload is fixed now, so that every retry sends the same body. answer is
// plain text (PlainText makes it from a Slack message); at is the reply's
// time in the seller's zone; userName may be empty, the worker then looks
// it up before the first attempt.
func NewCallback(c *sfp.Case, typ, userID, userName, answer string, at time.Time) *store.Callback {
	return &store.Callback{
		DeliveryID: newDeliveryID(), CaseID: c.ID, SourceID: c.SourceID, URL: c.CallbackURL,
		Type: typ, Answer: answer, ByID: userID, ByName: userName, AnsweredAt: at,
		State: store.CallbackPending, CreatedAt: at, NotBefore: at,
	}
}

// EnqueueCallback queues cb in tx behind the case's callbacks still
// pending, so that a receiver gets a case's replies in the order they were
// written even when an earlier one needs retries.
func EnqueueCallback(tx store.Tx, cb *store.Callback) error {
	earlier, err := tx.CaseCallbacks(cb.CaseID)
	if err != nil {
		return err
	}
	for i := len(earlier) - 1; i >= 0; i-- {
		if earlier[i].State == store.CallbackPending {
			cb.After = earlier[i].ID
			break
		}
	}
	_, err = tx.EnqueueCallback(cb)
	return err
}

func newDeliveryID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "dlv_" + hex.EncodeToString(b[:])
}

// callbackPayload is the body of a callback (DESIGN §4.4).
type callbackPayload struct {
	Type       string       `json:"type"`
	DeliveryID string       `json:"delivery_id"`
	CaseID     string       `json:"case_id"`
	SourceID   *string      `json:"source_id"`
	Answer     string       `json:"answer"`
	AnsweredBy callbackUser `json:"answered_by"`
	AnsweredAt string       `json:"answered_at"`
}

type callbackUser struct {
	ID   string  `json:"id"`
	Name *string `json:"name"`
}

// CallbackBody is the JSON body of cb, the same bytes on every attempt.
func CallbackBody(cb *store.Callback) []byte {
	p := callbackPayload{
		Type: cb.Type, DeliveryID: cb.DeliveryID, CaseID: cb.CaseID, SourceID: nullable(cb.SourceID),
		Answer: cb.Answer, AnsweredBy: callbackUser{ID: cb.ByID, Name: nullable(cb.ByName)},
		AnsweredAt: cb.AnsweredAt.Format(time.RFC3339),
	}
	b, _ := json.Marshal(p) // strings and pointers to strings always encode
	return b
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// SignCallback returns the X-Sfpdesk-Signature of body sent at unix time
// ts: "sha256=" and the hex HMAC-SHA256 of "<ts>.<body>" keyed with the
// intake token. The timestamp is signed too, so a receiver that refuses old
// timestamps cannot be fed a replayed request.
func SignCallback(token string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte(strconv.FormatInt(ts, 10) + "."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// slackToken is Slack's markup for links, mentions and dates; anything
// else between angle brackets is the writer's own text.
var slackToken = regexp.MustCompile(`<(?:[@#!]|https?://|mailto:)[^<>|\s]*(?:\|[^<>]*)?>`)

// PlainText turns a Slack message, as Slack sent it, into the plain text a
// buyer can read: links become "label (url)", mentions their label, and the
// rest is unescaped once. It must see the message before unescaping: Slack
// sends a typed "<https://x|y>" as "&lt;https://x|y&gt;" and a real link as
// "<https://x|y>", and only then can the one stay typed text while the
// other becomes a link. Formatting marks stay, as they read naturally in
// plain text too.
func PlainText(s string) string {
	var b strings.Builder
	last := 0
	for _, loc := range slackToken.FindAllStringIndex(s, -1) {
		b.WriteString(Unescape(s[last:loc[0]]))
		b.WriteString(Unescape(plainToken(s[loc[0]:loc[1]])))
		last = loc[1]
	}
	b.WriteString(Unescape(s[last:]))
	return b.String()
}

// plainToken is the plain text of one piece of Slack markup.
func plainToken(tok string) string {
	inner := tok[1 : len(tok)-1]
	target, label, hasLabel := strings.Cut(inner, "|")
	switch {
	case strings.HasPrefix(target, "@"), strings.HasPrefix(target, "#"):
		if hasLabel && label != "" {
			return target[:1] + strings.TrimPrefix(label, target[:1])
		}
		return target
	case strings.HasPrefix(target, "!"):
		if hasLabel {
			return label
		}
		switch target {
		case "!here", "!channel", "!everyone":
			return "@" + target[1:]
		}
		return ""
	}
	if !hasLabel || label == "" {
		return strings.TrimPrefix(target, "mailto:")
	}
	bare := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(target, "mailto:"), "https://"), "http://")
	if label == target || label == bare || label == strings.TrimSuffix(bare, "/") {
		return label
	}
	return label + " (" + target + ")"
}

// AddrRefusedError is a callback refused because its host resolved to an
// address that is not public.
type AddrRefusedError struct{ Addr string }

func (e *AddrRefusedError) Error() string {
	return "address " + e.Addr + " is not public; add the host to SFPDESK_CALLBACK_ALLOW to allow it"
}

// NewCallbackClient returns the HTTP client callbacks are sent with. The
// address is checked when the connection is made, after DNS: a name that
// passed intake's checks may still resolve to a private address, now or
// after a change of its DNS records. Proxies from the environment are not
// used (a proxy would connect for us, past the check) and redirects are not
// followed (a receiver could redirect inwards).
func NewCallbackClient(allow []string) *http.Client {
	guard := func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return &AddrRefusedError{Addr: address}
		}
		ip, class := ClassifyHost(host)
		if !(class == HostPublic || class == HostInternal && ip.IsValid() && CallbackAllowed(allow, ip.String())) {
			return &AddrRefusedError{Addr: host}
		}
		return nil
	}
	guarded := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second, Control: guard}
	open := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, &AddrRefusedError{Addr: addr}
		}
		// An address in another spelling ("127.1") is dialled as the address
		// it was classified as, never handed to a resolver that might read
		// it otherwise.
		ip, class := ClassifyHost(host)
		switch {
		case class == HostInvalid:
			return nil, &AddrRefusedError{Addr: host}
		case ip.IsValid():
			addr = net.JoinHostPort(ip.String(), port)
		}
		if CallbackAllowed(allow, host) {
			return open.DialContext(ctx, network, addr)
		}
		return guarded.DialContext(ctx, network, addr)
	}
	tr.MaxIdleConnsPerHost = 2
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// UserLookup finds a Slack user's name for answered_by.
type UserLookup interface {
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
}

// Callbacks delivers the callbacks that seller replies owe integrations
// (DESIGN §4.4), from the durable queue in the store.
//
// Each callback is scheduled on its own: a receiver that is down or slow
// holds at most PerEndpoint of the MaxConcurrent attempts in flight, and
// its failed callbacks wait out their back-off off the queue's head, so it
// never holds up another receiver. A case's callbacks go out in order.
//
// Delivery is at least once: an attempt is marked in flight, and that is
// committed, before the request leaves; one cut short by a crash is sent
// again after a restart with the same delivery id, which receivers use to
// drop repeats.
type Callbacks struct {
	Store store.Store
	Clock sfp.Clock
	Log   *slog.Logger
	// HTTP sends the requests; default NewCallbackClient(Allow).
	HTTP *http.Client
	// Token signs the callbacks (SFPDESK_INTAKE_TOKEN). Without it nothing
	// is sent: callbacks wait, unsigned, in the queue.
	Token string
	// Allow is SFPDESK_CALLBACK_ALLOW: hosts that may be reached over
	// http:// or at a private address.
	Allow []string
	// Users names the people who answered; nil leaves names out.
	Users UserLookup
	// Outbox hears about the notices a stopped callback posts in the
	// case's thread.
	Outbox interface{ Notify() }
	// Lang is the default language of those notices.
	Lang string
	// MaxConcurrent bounds attempts in flight (default 8), PerEndpoint
	// those to one scheme and host (default 2).
	MaxConcurrent, PerEndpoint int
	// Timeout bounds one attempt (default 15s).
	Timeout time.Duration
	// Metrics counts the attempts by what followed; nil counts nothing.
	Metrics *Metrics

	once    sync.Once
	wake    chan struct{}
	mu      sync.Mutex
	running map[uint64]bool
	perHost map[string]int
	active  int
	wg      sync.WaitGroup
	// jitter returns a number in [0, n); tests make it fixed.
	jitter func(n int64) int64
	// attempted, when set, hears of each recorded attempt, and armed of
	// each sleep of the loop with its end (tests).
	attempted func(cb *store.Callback)
	armed     func(until time.Time)
}

func (w *Callbacks) init() {
	w.once.Do(func() {
		w.wake = make(chan struct{}, 1)
		w.running = map[uint64]bool{}
		w.perHost = map[string]int{}
		if w.jitter == nil {
			w.jitter = mrand.Int64N
		}
		if w.HTTP == nil {
			w.HTTP = NewCallbackClient(w.Allow)
		}
	})
}

func (w *Callbacks) log() *slog.Logger {
	if w.Log == nil {
		return slog.Default()
	}
	return w.Log
}

func (w *Callbacks) timeout() time.Duration {
	if w.Timeout > 0 {
		return w.Timeout
	}
	return 15 * time.Second
}

func (w *Callbacks) limits() (total, perHost int) {
	total, perHost = w.MaxConcurrent, w.PerEndpoint
	if total <= 0 {
		total = 8
	}
	if perHost <= 0 {
		perHost = 2
	}
	return total, perHost
}

// Notify tells the worker that callbacks were committed.
func (w *Callbacks) Notify() {
	w.init()
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Idle reports whether no callback is waiting to be delivered.
func (w *Callbacks) Idle(ctx context.Context) bool {
	idle := false
	err := w.Store.View(ctx, func(tx store.Tx) error {
		_, pending, err := tx.NextCallback()
		idle = !pending
		return err
	})
	return err == nil && idle
}

// Run delivers until ctx is cancelled, then waits for the attempts in
// flight to be recorded.
func (w *Callbacks) Run(ctx context.Context) error {
	w.init()
	defer w.wg.Wait()
	if w.Token == "" {
		// No intake API, so no callback can be owed: nothing to say.
		<-ctx.Done()
		return nil
	}
	for {
		until := w.startDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		now := w.Clock.Now()
		if !until.After(now) {
			continue
		}
		t := w.Clock.NewTimer(until.Sub(now))
		if !w.Clock.Now().Equal(now) {
			// The clock moved while the timer was being armed (a test's
			// fake clock): it would fire late, so look again.
			t.Stop()
			continue
		}
		if w.armed != nil {
			w.armed(until)
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-w.wake:
		case <-t.C():
		}
		t.Stop()
	}
}

type callbackJob struct {
	cb          *store.Callback
	endpoint    string
	interrupted bool
}

// startDue starts the attempts that are due and fit the limits, and
// returns when to look again (a zero time: at once).
func (w *Callbacks) startDue(ctx context.Context) time.Time {
	now := w.Clock.Now()
	poll := now.Add(callbackPoll)
	next, pending, err := w.next(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log().Error("callbacks: reading the queue", "err", err)
		}
		return poll
	}
	if !pending {
		return poll
	}
	if next.After(now) {
		if next.Before(poll) {
			return next
		}
		return poll
	}
	total, perHost := w.limits()
	w.mu.Lock()
	active, hosts := w.active, make(map[string]int, len(w.perHost))
	for h, n := range w.perHost {
		hosts[h] = n
	}
	running := make(map[uint64]bool, len(w.running))
	for id := range w.running {
		running[id] = true
	}
	w.mu.Unlock()

	var jobs []callbackJob
	saturated := false
	err = w.Store.Update(ctx, func(tx store.Tx) error {
		jobs, saturated = nil, false
		due, err := tx.DueCallbacks(now, callbackDueScan)
		if err != nil {
			return err
		}
		act, hs := active, make(map[string]int, len(hosts))
		for h, n := range hosts {
			hs[h] = n
		}
		for _, cb := range due {
			ep := endpointOf(cb.URL)
			if running[cb.ID] || act >= total || hs[ep] >= perHost {
				saturated = true
				continue
			}
			if cb.After != 0 {
				prev, err := tx.Callback(cb.After)
				if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				if prev != nil && prev.State == store.CallbackPending {
					// Wait for the case's earlier reply to be delivered or
					// given up: a receiver must not see them swapped.
					cb.NotBefore = later(prev.NotBefore, now).Add(time.Second)
					if err := tx.PutCallback(cb); err != nil {
						return err
					}
					continue
				}
			}
			job := callbackJob{endpoint: ep, interrupted: cb.InFlight}
			cb.InFlight = true
			cb.NotBefore = now.Add(w.timeout() + callbackLeaseMargin)
			if err := tx.PutCallback(cb); err != nil {
				return err
			}
			cp := *cb
			job.cb = &cp
			jobs = append(jobs, job)
			act++
			hs[ep]++
		}
		return nil
	})
	if err != nil {
		if ctx.Err() == nil {
			w.log().Error("callbacks: starting attempts", "err", err)
		}
		return poll
	}
	w.mu.Lock()
	for _, j := range jobs {
		w.running[j.cb.ID] = true
		w.perHost[j.endpoint]++
		w.active++
	}
	w.mu.Unlock()
	for _, j := range jobs {
		w.wg.Add(1)
		go w.deliver(ctx, j)
	}
	if saturated {
		// Finished attempts wake the loop; the poll is a safety net.
		return poll
	}
	return time.Time{}
}

func (w *Callbacks) next(ctx context.Context) (time.Time, bool, error) {
	var next time.Time
	var ok bool
	err := w.Store.View(ctx, func(tx store.Tx) error {
		var err error
		next, ok, err = tx.NextCallback()
		return err
	})
	return next, ok, err
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func endpointOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// outcome is what one attempt came to.
type outcome struct {
	status     int
	err        string
	retryAfter time.Duration
	result     string // store.CallbackDelivered, CallbackStopped or CallbackPending (retry)
	// again marks an attempt cut short by shutdown: not the receiver's
	// failure, so it is due again at once and costs no back-off.
	again bool
}

func (w *Callbacks) deliver(ctx context.Context, j callbackJob) {
	defer w.wg.Done()
	defer func() {
		w.mu.Lock()
		delete(w.running, j.cb.ID)
		w.perHost[j.endpoint]--
		if w.perHost[j.endpoint] <= 0 {
			delete(w.perHost, j.endpoint)
		}
		w.active--
		w.mu.Unlock()
		w.Notify()
	}()
	cb := j.cb
	var attempts []store.CallbackAttempt
	if j.interrupted {
		attempts = append(attempts, store.CallbackAttempt{At: w.Clock.Now(), Error: "outcome unknown: sfpdesk stopped during the attempt; sending again"})
	}
	if cb.ByName == "" && len(cb.Attempts) == 0 && w.Users != nil && cb.ByID != "" {
		cb.ByName = w.userName(ctx, cb.ByID)
	}
	var o outcome
	if ctx.Err() != nil {
		// Shut down before the request left: due again at the next start.
		o = outcome{err: "not sent: sfpdesk is stopping", result: store.CallbackPending, again: true}
	} else {
		o = w.attempt(ctx, cb)
	}
	attempts = append(attempts, store.CallbackAttempt{At: w.Clock.Now(), Status: o.status, Error: o.err})
	// The record must land even when the attempt was cut short by
	// shutdown: Run waits for it before the store closes.
	w.record(context.WithoutCancel(ctx), cb, attempts, o)
}

func (w *Callbacks) userName(ctx context.Context, id string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	u, err := w.Users.GetUserInfoContext(ctx, id)
	if err != nil || u == nil {
		w.log().Warn("callbacks: looking up who answered", "user", id, "err", err)
		return ""
	}
	for _, n := range []string{u.Profile.DisplayName, u.Profile.RealName, u.RealName, u.Name} {
		if strings.TrimSpace(n) != "" {
			return n
		}
	}
	return ""
}

// attempt sends cb once and classifies the answer.
func (w *Callbacks) attempt(ctx context.Context, cb *store.Callback) outcome {
	u, err := url.Parse(cb.URL)
	if err != nil || !(u.Scheme == "https" || (u.Scheme == "http" && CallbackAllowed(w.Allow, u.Hostname()))) {
		return outcome{err: "refused: callbacks go to https:// URLs, or to hosts in SFPDESK_CALLBACK_ALLOW", result: store.CallbackStopped}
	}
	// A URL stored before intake knew an address's every spelling is
	// stopped here, not retried for a day against a guard that refuses it.
	if ip, class := ClassifyHost(u.Hostname()); (class == HostInternal && ip.IsValid() || class == HostInvalid) && !CallbackAllowed(w.Allow, u.Hostname()) {
		return outcome{err: "refused: " + (&AddrRefusedError{Addr: u.Hostname()}).Error(), result: store.CallbackStopped}
	}
	body := CallbackBody(cb)
	// The timestamp is wall-clock time, not the injected clock: receivers
	// check it against their own clock, as bots check Slack's.
	ts := time.Now().Unix()
	actx, cancel := context.WithTimeout(ctx, w.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, cb.URL, strings.NewReader(string(body)))
	if err != nil {
		return outcome{err: "refused: bad URL", result: store.CallbackStopped}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "sfpdesk-callback/1")
	req.Header.Set(HeaderDelivery, cb.DeliveryID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(HeaderSignature, SignCallback(w.Token, ts, body))
	resp, err := w.HTTP.Do(req)
	if err != nil {
		var refused *AddrRefusedError
		switch {
		case errors.As(err, &refused):
			return outcome{err: "refused: " + refused.Error(), result: store.CallbackStopped}
		case ctx.Err() != nil:
			return outcome{err: "outcome unknown: sfpdesk stopped during the attempt", result: store.CallbackPending, again: true}
		case errors.Is(err, context.DeadlineExceeded):
			return outcome{err: "timeout after " + w.timeout().String(), result: store.CallbackPending}
		}
		// The URL may carry a secret in its query: keep the cause only.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return outcome{err: err.Error(), result: store.CallbackPending}
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	o := outcome{status: resp.StatusCode}
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		o.result = store.CallbackDelivered
	case s == http.StatusRequestTimeout || s == http.StatusTooManyRequests || s >= 500:
		o.result = store.CallbackPending
		o.retryAfter = retryAfter(resp.Header.Get("Retry-After"), w.Clock.Now())
	case s >= 300 && s < 400:
		o.result, o.err = store.CallbackStopped, "redirects are not followed"
	default:
		o.result = store.CallbackStopped
	}
	return o
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(h); err == nil {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), callbackRetryAfterMax)
}

// backoff is the wait after the n-th failed attempt (n ≥ 1).
func (w *Callbacks) backoff(n int) time.Duration {
	return sfp.Backoff(n, callbackBackoffMin, callbackBackoffMax, w.jitter)
}

// record stores the attempts and what comes next on the delivery record
// and on the case, in one transaction; a callback that stops also leaves a
// notice in the case's thread, since the buyer has not had the answer.
func (w *Callbacks) record(ctx context.Context, sent *store.Callback, attempts []store.CallbackAttempt, o outcome) {
	now := w.Clock.Now()
	var stored *store.Callback
	noticed := false
	err := w.Store.Update(ctx, func(tx store.Tx) error {
		stored, noticed = nil, false
		cb, err := tx.Callback(sent.ID)
		if err != nil {
			return err
		}
		cb.InFlight = false
		if cb.ByName == "" {
			cb.ByName = sent.ByName
		}
		cb.Attempts = append(cb.Attempts, attempts...)
		if n := len(cb.Attempts); n > maxCallbackAttempts {
			cb.Attempts = append(cb.Attempts[:1], cb.Attempts[n-maxCallbackAttempts+1:]...)
		}
		result, why := o.result, describe(o)
		if result == store.CallbackPending {
			giveUp := cb.CreatedAt.Add(CallbackRetryFor)
			next := now.Add(max(w.backoff(len(cb.Attempts)), o.retryAfter))
			switch {
			case o.again:
				next = now
			case !now.Before(giveUp):
				result = store.CallbackStopped
				why += "; gave up after a day of retries"
			case next.After(giveUp):
				next = giveUp
			}
			cb.NotBefore = next
		}
		switch result {
		case store.CallbackDelivered:
			why += "; delivered"
		case store.CallbackStopped:
			why += "; stopped"
		default:
			why += "; next attempt " + cb.NotBefore.UTC().Format(time.RFC3339)
		}
		cb.State = result
		if result != store.CallbackPending {
			cb.DoneAt = now
		}
		if err := tx.PutCallback(cb); err != nil {
			return err
		}
		stored = cb
		if result != store.CallbackPending {
			// The case's next reply was waiting for this one: it may go now.
			waiting, err := tx.CaseCallbacks(cb.CaseID)
			if err != nil {
				return err
			}
			for _, l := range waiting {
				if l.After == cb.ID && l.State == store.CallbackPending && l.NotBefore.After(now) && !l.InFlight {
					l.NotBefore = now
					if err := tx.PutCallback(l); err != nil {
						return err
					}
				}
			}
		}
		c, err := tx.Case(cb.CaseID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		c.AddEvent(now, sfp.EventCallback, "", cb.Type+" "+cb.DeliveryID+": "+why)
		if result == store.CallbackStopped && c.Card.Channel != "" {
			lang := w.Lang
			if s, err := tx.Seller(c.Seller); err == nil && s.Lang != "" {
				lang = s.Lang
			}
			text := T(lang, "callback.stopped", Escape(c.ReplyTarget()), Escape(why))
			if _, err := tx.Enqueue(&store.OutboxMessage{
				CaseID: c.ID, Channel: c.Card.Channel, ThreadTS: c.Card.TS, ThreadOf: c.Card.OutboxID,
				Text: Cut(text, MaxMessageText), CreatedAt: now,
			}); err != nil {
				return err
			}
			noticed = true
		}
		return tx.PutCase(c)
	})
	if err != nil {
		w.log().Error("callbacks: recording an attempt", "case_id", sent.CaseID, "delivery_id", sent.DeliveryID, "err", err)
		return
	}
	w.Metrics.CallbackAttempted(stored.State)
	level := slog.LevelInfo
	if stored.State != store.CallbackDelivered {
		level = slog.LevelWarn
	}
	w.log().Log(ctx, level, "callback attempt", "case_id", stored.CaseID, "delivery_id", stored.DeliveryID,
		"endpoint", endpointOf(stored.URL), "status", o.status, "err", o.err, "state", stored.State)
	if noticed && w.Outbox != nil {
		w.Outbox.Notify()
	}
	if w.attempted != nil {
		w.attempted(stored)
	}
}

func describe(o outcome) string {
	switch {
	case o.status != 0 && o.err != "":
		return fmt.Sprintf("HTTP %d, %s", o.status, o.err)
	case o.status != 0:
		return fmt.Sprintf("HTTP %d", o.status)
	}
	return o.err
}
