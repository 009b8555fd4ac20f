package bot

import (
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

const testToken = "example-intake-token"

var cbT0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// receiver is an integration's callback endpoint: it checks every
// signature as the documentation tells integrators to, and answers with
// the statuses it is given, the last one for good.
type receiver struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	statuses []int
	header   http.Header // extra headers on the next answer
	got      []received
	arrived  chan received
	hold     chan struct{} // when set, the first request waits for it
}

type received struct {
	Delivery string
	Payload  map[string]any
	Raw      []byte
}

func newReceiver(t *testing.T, tlsServer bool, statuses ...int) *receiver {
	r := &receiver{t: t, statuses: statuses, arrived: make(chan received, 100)}
	h := http.HandlerFunc(r.serve)
	if tlsServer {
		r.srv = httptest.NewTLSServer(h)
	} else {
		r.srv = httptest.NewServer(h)
	}
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	ts := req.Header.Get(HeaderTimestamp)
	want := SignCallback(testToken, mustAtoi(ts), body)
	if !hmac.Equal([]byte(req.Header.Get(HeaderSignature)), []byte(want)) || req.Header.Get("Content-Type") != "application/json" {
		r.t.Errorf("callback with a bad signature or type: %q %q", req.Header.Get(HeaderSignature), req.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil {
		r.t.Errorf("callback body is not JSON: %v", err)
	}
	if p["delivery_id"] != req.Header.Get(HeaderDelivery) {
		r.t.Errorf("delivery header %q, body %v", req.Header.Get(HeaderDelivery), p["delivery_id"])
	}
	rec := received{Delivery: req.Header.Get(HeaderDelivery), Payload: p, Raw: body}
	r.mu.Lock()
	first := len(r.got) == 0
	r.got = append(r.got, rec)
	status := http.StatusOK
	if len(r.statuses) > 0 {
		status = r.statuses[0]
		if len(r.statuses) > 1 {
			r.statuses = r.statuses[1:]
		}
	}
	hdr := r.header
	r.header = nil
	hold := r.hold
	r.mu.Unlock()
	r.arrived <- rec
	if first && hold != nil {
		<-hold
	}
	for k, v := range hdr {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

func mustAtoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// cbEnv is a callback worker on a real bbolt file and a fake clock.
type cbEnv struct {
	t        *testing.T
	path     string
	db       *bolt.DB
	clock    *sfp.FakeClock
	w        *Callbacks
	attempts chan *store.Callback
	sleeps   chan time.Time
	stop     func()
}

func newCallbackEnv(t *testing.T, allow ...string) *cbEnv {
	t.Helper()
	e := &cbEnv{t: t, path: filepath.Join(t.TempDir(), "sfpdesk.db"), clock: sfp.NewFakeClock(cbT0)}
	e.open()
	t.Cleanup(func() {
		if e.stop != nil {
			e.stop()
		}
		if e.db != nil {
			if err := e.db.Check(); err != nil {
				t.Errorf("database check: %v", err)
			}
			e.db.Close()
		}
	})
	e.newWorker(allow)
	return e
}

func (e *cbEnv) open() {
	db, err := bolt.Open(e.path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.db = db
}

func (e *cbEnv) newWorker(allow []string) {
	e.attempts = make(chan *store.Callback, 1000)
	e.sleeps = make(chan time.Time, 1000)
	e.w = &Callbacks{
		Store: e.db, Clock: e.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Token: testToken, Allow: allow, Lang: LangEN,
		// The longest wait of each step, so that a test knows when the
		// next attempt falls due.
		jitter:    func(n int64) int64 { return n - 1 },
		attempted: func(cb *store.Callback) { e.attempts <- cb },
		armed: func(until time.Time) {
			select {
			case e.sleeps <- until:
			default:
			}
		},
	}
}

func (e *cbEnv) start() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.w.Run(ctx)
	}()
	e.stop = func() { cancel(); <-done; e.stop = nil }
}

// restart stops the worker, closes and reopens the file, and starts a new
// worker on it.
func (e *cbEnv) restart(allow ...string) {
	if e.stop != nil {
		e.stop()
	}
	e.db.Close()
	e.open()
	e.newWorker(allow)
	e.start()
}

// addCase stores an intake case whose card is in C0ACME.
func (e *cbEnv) addCase(id, callbackURL string) {
	e.t.Helper()
	err := e.db.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutCase(&sfp.Case{
			ID: id, Kind: sfp.KindOrderQuestion, State: sfp.StateAnswered, Seller: "acme",
			Marketplace: sfp.DefaultMarketplace, Channel: "C0ACME", Source: sfp.SourceIntake,
			SourceID: "hd-" + id, CallbackURL: callbackURL, CreatedAt: cbT0,
			Card: sfp.MessageRef{Channel: "C0ACME", TS: "1793613600.000100"},
		})
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// reply queues the callback of a seller's reply, as the relay does.
func (e *cbEnv) reply(caseID, typ, text string) *store.Callback {
	e.t.Helper()
	var cb *store.Callback
	err := e.db.Update(context.Background(), func(tx store.Tx) error {
		c, err := tx.Case(caseID)
		if err != nil {
			return err
		}
		// text is a message as Slack sends it, which the relay reads so.
		cb = NewCallback(c, typ, "U0SELLER", "Marie", PlainText(text), e.clock.Now())
		return EnqueueCallback(tx, cb)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.w.Notify()
	return cb
}

func (e *cbEnv) nextAttempt() *store.Callback {
	e.t.Helper()
	select {
	case cb := <-e.attempts:
		return cb
	case <-time.After(10 * time.Second):
		e.t.Fatal("no callback attempt was recorded")
		return nil
	}
}

// advanceTo waits until the worker sleeps until at, then moves the clock
// there.
func (e *cbEnv) advanceTo(at time.Time) {
	e.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case until := <-e.sleeps:
			switch {
			case until.Equal(at):
				e.clock.Set(at)
				return
			case until.Before(at) && !until.Before(e.clock.Now()):
				// A shorter nap (the loop's poll): let it pass.
				e.clock.Set(until)
			}
		case <-timeout:
			e.t.Fatalf("the worker never slept until %s", at)
		}
	}
}

func (e *cbEnv) stored(id uint64) *store.Callback {
	e.t.Helper()
	var cb *store.Callback
	err := e.db.View(context.Background(), func(tx store.Tx) error {
		var err error
		cb, err = tx.Callback(id)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return cb
}

func (e *cbEnv) caseOf(id string) *sfp.Case {
	e.t.Helper()
	var c *sfp.Case
	err := e.db.View(context.Background(), func(tx store.Tx) error {
		var err error
		c, err = tx.Case(id)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func callbackEvents(c *sfp.Case) []string {
	var out []string
	for _, ev := range c.Events {
		if ev.Type == sfp.EventCallback {
			out = append(out, ev.Detail)
		}
	}
	return out
}

func attemptStatuses(cb *store.Callback) []int {
	var out []int
	for _, a := range cb.Attempts {
		out = append(out, a.Status)
	}
	return out
}

func TestCallbackDelivered(t *testing.T) {
	rcv := newReceiver(t, false, http.StatusNoContent)
	e := newCallbackEnv(t, "127.0.0.1")
	e.addCase("SFP-1001", rcv.srv.URL+"/sfpdesk?key=s3cret")
	e.start()
	cb := e.reply("SFP-1001", CallbackAnswer, "Bonjour, <https://track.example/1|votre colis> part demain.")

	got := e.nextAttempt()
	if got.State != store.CallbackDelivered || got.InFlight || !got.DoneAt.Equal(cbT0) {
		t.Fatalf("callback = %+v, want delivered", got)
	}
	r := <-rcv.arrived
	want := map[string]any{
		"type": "answer", "delivery_id": cb.DeliveryID, "case_id": "SFP-1001", "source_id": "hd-SFP-1001",
		"answer":      "Bonjour, votre colis (https://track.example/1) part demain.",
		"answered_by": map[string]any{"id": "U0SELLER", "name": "Marie"},
		"answered_at": "2026-11-02T10:00:00Z",
	}
	if diff := cmp.Diff(want, r.Payload); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
	if ev := callbackEvents(e.caseOf("SFP-1001")); len(ev) != 1 || !strings.Contains(ev[0], "HTTP 204; delivered") {
		t.Errorf("case events = %q", ev)
	}
	if strings.Contains(strings.Join(callbackEvents(e.caseOf("SFP-1001")), ""), "s3cret") {
		t.Error("the callback URL's query reached the case history")
	}
}

func TestCallbackRetriedAfterServerError(t *testing.T) {
	rcv := newReceiver(t, false, http.StatusInternalServerError, http.StatusOK)
	e := newCallbackEnv(t, "127.0.0.1")
	e.w.Metrics = NewMetrics(e.db, e.clock)
	e.addCase("SFP-1001", rcv.srv.URL)
	e.start()
	cb := e.reply("SFP-1001", CallbackAnswer, "Bonjour")

	first := e.nextAttempt()
	if first.State != store.CallbackPending || !first.NotBefore.Equal(cbT0.Add(30*time.Second)) {
		t.Fatalf("after a 500: %+v, want pending until t0+30s", first)
	}
	e.advanceTo(first.NotBefore)
	second := e.nextAttempt()
	if second.State != store.CallbackDelivered || !cmp.Equal(attemptStatuses(second), []int{500, 200}) {
		t.Fatalf("after a 500 then 200: %+v", second)
	}
	a, b := <-rcv.arrived, <-rcv.arrived
	if a.Delivery != cb.DeliveryID || b.Delivery != cb.DeliveryID || string(a.Raw) != string(b.Raw) {
		t.Errorf("a retry must send the same delivery: %s / %s", a.Raw, b.Raw)
	}
	if ev := callbackEvents(e.caseOf("SFP-1001")); len(ev) != 2 || !strings.Contains(ev[0], "HTTP 500; next attempt 2026-11-02T10:00:30Z") {
		t.Errorf("case events = %q", ev)
	}
	for state, want := range map[string]float64{store.CallbackPending: 1, store.CallbackDelivered: 1, store.CallbackStopped: 0} {
		if got := attemptsCounted(e.w.Metrics, state); got != want {
			t.Errorf("sfpdesk_callback_attempts_total{result=%q} = %v, want %v", state, got, want)
		}
	}
}

func attemptsCounted(m *Metrics, state string) float64 {
	var v dto.Metric
	m.callbacks.WithLabelValues(state).(prometheus.Metric).Write(&v)
	return v.GetCounter().GetValue()
}

func TestCallbackGoneStopsAndTellsTheSeller(t *testing.T) {
	rcv := newReceiver(t, false, http.StatusGone)
	e := newCallbackEnv(t, "127.0.0.1")
	e.w.Metrics = NewMetrics(e.db, e.clock)
	e.addCase("SFP-1001", rcv.srv.URL)
	e.start()
	e.reply("SFP-1001", CallbackAnswer, "Bonjour")

	got := e.nextAttempt()
	if got.State != store.CallbackStopped || !cmp.Equal(attemptStatuses(got), []int{410}) {
		t.Fatalf("after a 410: %+v, want stopped", got)
	}
	if n := attemptsCounted(e.w.Metrics, store.CallbackStopped); n != 1 {
		t.Errorf("stopped attempts counted: %v, want 1", n)
	}
	if e.w.Idle(context.Background()) != true {
		t.Error("a stopped callback is still queued")
	}
	if ev := callbackEvents(e.caseOf("SFP-1001")); len(ev) != 1 || !strings.Contains(ev[0], "HTTP 410; stopped") {
		t.Errorf("case events = %q", ev)
	}
	// The seller learns in the card's thread that the buyer has no answer.
	err := e.db.View(context.Background(), func(tx store.Tx) error {
		msgs, err := tx.Pending("C0ACME", 10)
		if err != nil {
			return err
		}
		if len(msgs) != 1 || msgs[0].ThreadTS != "1793613600.000100" || !strings.Contains(msgs[0].Text, "did not reach 127.0.0.1") {
			t.Errorf("notice = %+v", msgs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestCallbackRateLimitedHonoursRetryAfter(t *testing.T) {
	rcv := newReceiver(t, false, http.StatusTooManyRequests, http.StatusTooManyRequests, http.StatusOK)
	rcv.header = http.Header{"Retry-After": {"120"}}
	e := newCallbackEnv(t, "127.0.0.1")
	e.addCase("SFP-1001", rcv.srv.URL)
	e.start()
	e.reply("SFP-1001", CallbackAnswer, "Bonjour")

	first := e.nextAttempt()
	if want := cbT0.Add(120 * time.Second); !first.NotBefore.Equal(want) {
		t.Fatalf("after a 429 with Retry-After: 120, next attempt at %s, want %s", first.NotBefore, want)
	}
	e.advanceTo(first.NotBefore)
	second := e.nextAttempt()
	// Without Retry-After, the back-off of a second failure: 1 minute.
	if want := cbT0.Add(3 * time.Minute); !second.NotBefore.Equal(want) || second.State != store.CallbackPending {
		t.Fatalf("after a second 429: %+v, want pending until %s", second, want)
	}
	e.advanceTo(second.NotBefore)
	third := e.nextAttempt()
	if third.State != store.CallbackDelivered || !cmp.Equal(attemptStatuses(third), []int{429, 429, 200}) {
		t.Fatalf("third attempt: %+v", third)
	}
	if at := third.Attempts[1].At; !at.Equal(cbT0.Add(120 * time.Second)) {
		t.Errorf("second attempt at %s, want t0+120s", at)
	}
}

func TestCallbackGivesUpAfterADay(t *testing.T) {
	rcv := newReceiver(t, false, http.StatusServiceUnavailable)
	e := newCallbackEnv(t, "127.0.0.1")
	e.addCase("SFP-1001", rcv.srv.URL)
	e.start()
	e.reply("SFP-1001", CallbackAnswer, "Bonjour")
	var cb *store.Callback
	for i := 0; i < 100; i++ {
		cb = e.nextAttempt()
		if cb.State != store.CallbackPending {
			break
		}
		if cb.NotBefore.After(cbT0.Add(CallbackRetryFor)) {
			t.Fatalf("attempt planned after the day: %s", cb.NotBefore)
		}
		e.advanceTo(cb.NotBefore)
	}
	if cb.State != store.CallbackStopped || !cb.Attempts[len(cb.Attempts)-1].At.Equal(cbT0.Add(CallbackRetryFor)) {
		t.Fatalf("after a day of 503s: state %s, last attempt %s", cb.State, cb.Attempts[len(cb.Attempts)-1].At)
	}
	if n := len(cb.Attempts); n < 20 || n > 40 {
		t.Errorf("%d attempts in a day; the back-off should give about 30", n)
	}
	ev := callbackEvents(e.caseOf("SFP-1001"))
	if len(ev) != len(cb.Attempts) || !strings.Contains(ev[len(ev)-1], "gave up after a day") {
		t.Errorf("last case event = %q (of %d for %d attempts)", ev[len(ev)-1], len(ev), len(cb.Attempts))
	}
}

func TestDeadEndpointDoesNotBlockAnother(t *testing.T) {
	dead := newReceiver(t, false, http.StatusOK)
	dead.hold = make(chan struct{})
	alive := newReceiver(t, false, http.StatusOK)
	e := newCallbackEnv(t, "127.0.0.1")
	e.w.PerEndpoint, e.w.MaxConcurrent = 1, 2
	for i, u := range []string{dead.srv.URL, dead.srv.URL, dead.srv.URL, alive.srv.URL} {
		id := sfp.CaseID(uint64(1001 + i))
		e.addCase(id, u)
		e.reply(id, CallbackAnswer, "Bonjour")
	}
	e.start()
	<-dead.arrived // the dead endpoint holds its first request…
	got := e.nextAttempt()
	if got.CaseID != "SFP-1004" || got.State != store.CallbackDelivered {
		t.Fatalf("while one endpoint hangs, got %+v; want SFP-1004 delivered", got)
	}
	if n := dead.count(); n != 1 {
		t.Errorf("the hanging endpoint got %d requests at once, want 1", n)
	}
	close(dead.hold) // …and comes back: its queue drains.
	for range 3 {
		if cb := e.nextAttempt(); cb.State != store.CallbackDelivered {
			t.Errorf("%s: %s", cb.CaseID, cb.State)
		}
	}
}

func TestCallbacksOfACaseArriveInOrder(t *testing.T) {
	rcv := newReceiver(t, false, http.StatusInternalServerError, http.StatusOK)
	e := newCallbackEnv(t, "127.0.0.1")
	e.addCase("SFP-1001", rcv.srv.URL)
	answer := e.reply("SFP-1001", CallbackAnswer, "Bonjour")
	more := e.reply("SFP-1001", CallbackFollowUp, "Et aussi…")
	if more.After != answer.ID {
		t.Fatalf("follow-up after = %d, want %d", more.After, answer.ID)
	}
	e.start()
	first := e.nextAttempt()
	if first.ID != answer.ID || first.State != store.CallbackPending {
		t.Fatalf("first attempt %+v", first)
	}
	// The follow-up waits for the answer's retry.
	e.advanceTo(first.NotBefore)
	for range 2 {
		e.nextAttempt()
	}
	var order []string
	for range 3 {
		order = append(order, (<-rcv.arrived).Payload["type"].(string))
	}
	if want := []string{"answer", "answer", "follow_up"}; !cmp.Equal(order, want) {
		t.Errorf("arrival order %v, want %v", order, want)
	}
}

func TestCallbackSurvivesARestart(t *testing.T) {
	rcv := newReceiver(t, false, http.StatusOK)
	e := newCallbackEnv(t, "127.0.0.1")
	e.addCase("SFP-1001", rcv.srv.URL)
	e.addCase("SFP-1002", rcv.srv.URL)
	queued := e.reply("SFP-1001", CallbackAnswer, "Bonjour")
	cut := e.reply("SFP-1002", CallbackAnswer, "Bonsoir")
	// The process died during an attempt on the second: in flight, its
	// lease over.
	err := e.db.Update(context.Background(), func(tx store.Tx) error {
		cb, err := tx.Callback(cut.ID)
		if err != nil {
			return err
		}
		cb.InFlight, cb.NotBefore = true, cbT0
		return tx.PutCallback(cb)
	})
	if err != nil {
		t.Fatal(err)
	}
	e.restart("127.0.0.1")
	got := map[uint64]*store.Callback{}
	for range 2 {
		cb := e.nextAttempt()
		got[cb.ID] = cb
	}
	if cb := got[queued.ID]; cb == nil || cb.State != store.CallbackDelivered {
		t.Errorf("queued before the restart: %+v", cb)
	}
	cb := got[cut.ID]
	if cb == nil || cb.State != store.CallbackDelivered || len(cb.Attempts) != 2 || !strings.HasPrefix(cb.Attempts[0].Error, "outcome unknown") {
		t.Errorf("cut short by the restart: %+v", cb)
	}
}

func TestCallbackToAPrivateAddressIsRefused(t *testing.T) {
	rcv := newReceiver(t, true, http.StatusOK)
	port := rcv.srv.Listener.Addr().(interface{ String() string }).String()
	port = port[strings.LastIndex(port, ":")+1:]
	e := newCallbackEnv(t) // nothing allowed
	// "localhost" is no literal address: only its resolution shows that it
	// is the loopback.
	e.addCase("SFP-1001", "https://localhost:"+port+"/cb")
	e.start()
	e.reply("SFP-1001", CallbackAnswer, "Bonjour")
	got := e.nextAttempt()
	if got.State != store.CallbackStopped || !strings.Contains(got.Attempts[0].Error, "is not public") {
		t.Fatalf("callback to localhost: %+v", got)
	}
	if n := rcv.count(); n != 0 {
		t.Errorf("the private endpoint got %d requests", n)
	}
}

func TestCallbackToAnAddressInAnotherSpellingStops(t *testing.T) {
	rcv := newReceiver(t, true, http.StatusOK)
	port := rcv.srv.Listener.Addr().(interface{ String() string }).String()
	port = port[strings.LastIndex(port, ":")+1:]
	e := newCallbackEnv(t) // nothing allowed
	// Stored as it came, before intake refused such spellings: the first
	// attempt stops it rather than a day of retries.
	e.addCase("SFP-1001", "https://0x7f000001:"+port+"/cb")
	e.start()
	e.reply("SFP-1001", CallbackAnswer, "Bonjour")
	got := e.nextAttempt()
	if got.State != store.CallbackStopped || !strings.Contains(got.Attempts[0].Error, "is not public") {
		t.Fatalf("callback to 0x7f000001: %+v", got)
	}
	if n := rcv.count(); n != 0 {
		t.Errorf("the private endpoint got %d requests", n)
	}
}

func TestCallbackClientChecksResolvedAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	byName := "http://localhost:" + u.Port() + "/"
	tests := []struct {
		name, url string
		allow     []string
		refused   bool
	}{
		{"a loopback literal", srv.URL, nil, true},
		{"a name resolving to the loopback", byName, nil, true},
		{"an allowed name", byName, []string{"localhost"}, false},
		{"a name resolving to an allowed address", byName, []string{"127.0.0.1"}, false},
		{"an allowed literal", srv.URL, []string{"127.0.0.1"}, false},
		{"the loopback in a short spelling", "http://127.1:" + u.Port() + "/", nil, true},
		{"the loopback as one number", "http://2130706433:" + u.Port() + "/", nil, true},
		{"an allowed address in a short spelling", "http://127.1:" + u.Port() + "/", []string{"127.0.0.1"}, false},
		{"an allowed address in hexadecimal", "http://0x7f000001:" + u.Port() + "/", []string{"127.0.0.1"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := NewCallbackClient(tc.allow).Get(tc.url)
			if resp != nil {
				resp.Body.Close()
			}
			var refused *AddrRefusedError
			if got := errors.As(err, &refused); got != tc.refused {
				t.Errorf("refused = %v (err %v), want %v", got, err, tc.refused)
			}
		})
	}
}

func TestPublicAddr(t *testing.T) {
	tests := map[string]bool{
		"8.8.8.8": true, "2001:4860:4860::8888": true, "93.184.216.34": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "fc00::1": false, "100.64.0.1": false,
		"0.0.0.0": false, "::": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false,
		"64:ff9b::a00:1": false, "2002:7f00:1::": false, "224.0.0.1": false, "198.18.0.1": false,
	}
	for s, want := range tests {
		if got := PublicAddr(netip.MustParseAddr(s)); got != want {
			t.Errorf("PublicAddr(%s) = %v, want %v", s, got, want)
		}
	}
}

func TestClassifyHost(t *testing.T) {
	loop := netip.MustParseAddr("127.0.0.1")
	tests := []struct {
		host  string
		addr  netip.Addr
		class HostClass
	}{
		{"127.0.0.1", loop, HostInternal},
		{"127.1", loop, HostInternal},
		{"127.0.1", loop, HostInternal},
		{"2130706433", loop, HostInternal},
		{"0x7f000001", loop, HostInternal},
		{"0X7F000001", loop, HostInternal},
		{"017700000001", loop, HostInternal},
		{"0177.0.0.01", loop, HostInternal},
		{"0x7f.1", loop, HostInternal},
		{"127.0.0.1.", loop, HostInternal},
		{"[::127.0.0.1]", netip.MustParseAddr("::7f00:1"), HostInternal},
		{"::ffff:127.0.0.1", netip.MustParseAddr("::ffff:127.0.0.1"), HostInternal},
		{"[::ffff:7f00:1]", netip.MustParseAddr("::ffff:7f00:1"), HostInternal},
		{"::ffff:0:a00:1", netip.MustParseAddr("::ffff:0:a00:1"), HostInternal},
		{"167772161", netip.MustParseAddr("10.0.0.1"), HostInternal},
		{"0xa9.0xfe.0xa9.0xfe", netip.MustParseAddr("169.254.169.254"), HostInternal},
		{"0", netip.MustParseAddr("0.0.0.0"), HostInternal},
		{"8.8.8.8", netip.MustParseAddr("8.8.8.8"), HostPublic},
		{"134744072", netip.MustParseAddr("8.8.8.8"), HostPublic},
		{"[2001:4860:4860::8888]", netip.MustParseAddr("2001:4860:4860::8888"), HostPublic},
		{"1.2.3.256", netip.Addr{}, HostInvalid},
		{"1.2.3.4.5", netip.Addr{}, HostInvalid},
		{"4294967296", netip.Addr{}, HostInvalid},
		{"09.1.1.1", netip.Addr{}, HostInvalid},
		{"a.b.0x", netip.Addr{}, HostInvalid},
		{"[::g]", netip.Addr{}, HostInvalid},
		{"localhost", netip.Addr{}, HostInternal},
		{"LOCALHOST.", netip.Addr{}, HostInternal},
		{"api.localhost", netip.Addr{}, HostInternal},
		{"helpdesk.example", netip.Addr{}, HostName},
		{"1password.example", netip.Addr{}, HostName},
		{"0xdead.example", netip.Addr{}, HostName},
		{"example.com.", netip.Addr{}, HostName},
		{"0..", netip.Addr{}, HostInvalid},
		{"a..example", netip.Addr{}, HostInvalid},
		{".example", netip.Addr{}, HostInvalid},
	}
	for _, tc := range tests {
		addr, class := ClassifyHost(tc.host)
		if addr != tc.addr || class != tc.class {
			t.Errorf("ClassifyHost(%q) = %v, %v; want %v, %v", tc.host, addr, class, tc.addr, tc.class)
		}
	}
}

func FuzzClassifyHost(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "127.1", "2130706433", "0x7f000001", "017700000001", "127.0.0.1.",
		"[::127.0.0.1]", "::ffff:10.0.0.1", "helpdesk.example", "localhost", "1.2.3.256", "0x", "08", "fe80::1%eth0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		addr, class := ClassifyHost(host)
		switch class {
		case HostPublic:
			if !addr.IsValid() || !PublicAddr(addr) {
				t.Fatalf("%q: public, but %v", host, addr)
			}
		case HostInternal:
			if addr.IsValid() && PublicAddr(addr) {
				t.Fatalf("%q: internal, but %v is public", host, addr)
			}
		case HostName, HostInvalid:
			if addr.IsValid() {
				t.Fatalf("%q: %v with an address %v", host, class, addr)
			}
		}
		// Whatever the standard parser reads as an address, the guard
		// reads as the same address.
		bare := host
		if len(bare) >= 2 && bare[0] == '[' && bare[len(bare)-1] == ']' {
			bare = bare[1 : len(bare)-1]
		}
		if ip, err := netip.ParseAddr(bare); err == nil && (addr.WithZone("") != ip.WithZone("") || class == HostName) {
			t.Fatalf("%q: netip reads %v, the guard %v (%v)", host, ip, addr, class)
		}
		// An address classifies the same in its canonical spelling, and
		// allowing it allows every spelling of it.
		if addr.IsValid() {
			again, c := ClassifyHost(addr.String())
			if again != addr || c != class {
				t.Fatalf("%q → %v %v, but %v → %v %v", host, addr, class, addr, again, c)
			}
			if !CallbackAllowed([]string{addr.String()}, host) {
				t.Fatalf("allowing %v does not allow %q", addr, host)
			}
		}
		// A host made of digits and dots is never taken for a name.
		if host != "" && strings.Trim(host, "0123456789.") == "" && strings.Trim(host, ".") != "" && class == HostName {
			t.Fatalf("%q taken for a name", host)
		}
	})
}

// The documentation's signature example (docs/INTAKE.md) is this one.
func TestSignCallbackExample(t *testing.T) {
	got := SignCallback(testToken, 1793613600, []byte(`{"type":"answer"}`))
	if want := "sha256=83c0c835e565f25abf806563955a8389a293e9521fcac7477cc41b60083bbb87"; got != want {
		t.Errorf("signature = %s, want %s", got, want)
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain words", "Bonjour, votre colis part demain.", "Bonjour, votre colis part demain."},
		{"a labelled link", "Suivi : <https://track.example/1|votre colis>", "Suivi : votre colis (https://track.example/1)"},
		{"a bare link", "<https://track.example/1>", "https://track.example/1"},
		{"a link labelled with itself", "<https://amazon.fr|amazon.fr>", "amazon.fr"},
		{"an e-mail address", "<mailto:sav@acme.example|sav@acme.example>", "sav@acme.example"},
		{"a user mention", "Merci <@U0SELLER|marie>", "Merci @marie"},
		{"a bare user mention", "Merci <@U0SELLER>", "Merci @U0SELLER"},
		{"a channel", "<#C0ACME|acme-support>", "#acme-support"},
		{"a special mention", "<!here> regardez", "@here regardez"},
		{"a date", "Livré <!date^1793613600^{date}|2 novembre>", "Livré 2 novembre"},
		{"formatting stays", "*Important* : _demain_", "*Important* : _demain_"},
		{"a lone bracket", "3 &lt; 4 and 5 &gt; 2", "3 < 4 and 5 > 2"},
		{"a typed link stays typed", "&lt;https://x.example|y&gt;", "<https://x.example|y>"},
		{"a typed mention stays typed", "&lt;!channel&gt; &amp; &lt;@U999&gt;", "<!channel> & <@U999>"},
		{"a real link beside a typed one", "<https://x.example|y> &lt;https://x.example|y&gt;", "y (https://x.example) <https://x.example|y>"},
		{"an ampersand in a label", "<https://x.example|Q&amp;A>", "Q&A (https://x.example)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PlainText(tc.in); got != tc.want {
				t.Errorf("PlainText(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCallbackAllowed(t *testing.T) {
	allow := []string{"helpdesk.internal", "127.0.0.1", "::1"}
	for host, want := range map[string]bool{
		"helpdesk.internal": true, "HELPDESK.internal.": true, "127.0.0.1": true, "[::1]": true,
		"0:0::1": true, "::ffff:127.0.0.1": true, "evil.internal": false, "127.0.0.2": false,
	} {
		if got := CallbackAllowed(allow, host); got != want {
			t.Errorf("CallbackAllowed(%q) = %v, want %v", host, got, want)
		}
	}
}
