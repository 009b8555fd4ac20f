package fakeslack

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Bounds on what a client may send, so a runaway bot cannot exhaust memory.
const (
	maxAPIBody    = 1 << 20  // far above any real Web API request
	maxUploadBody = 10 << 20 // plenty for test and demo files
)

// Server is a fake Slack workspace served over real HTTP on 127.0.0.1.
// All methods are safe for concurrent use.
type Server struct {
	cfg   config
	url   string
	srv   *http.Server
	httpc *http.Client // delivers events to an Events URL

	done      chan struct{}
	ctx       context.Context // cancelled with done, for outgoing requests
	cancel    context.CancelFunc
	closeOnce sync.Once
	wg        sync.WaitGroup // requests in flight and the fake's goroutines

	mu sync.Mutex
	// Everything below is guarded by mu.
	changed     chan struct{} // closed and replaced on every change; see WaitFor
	latency     time.Duration
	invalidAuth bool
	failures    map[string][]failure
	rate        rateLimit
	buckets     map[string]*bucket
	lastTS      int64 // microseconds of the last ts handed out
	seq         int64
	channels    map[string]*channel
	users       map[string]*user
	dms         map[string]string // user ID → DM channel ID
	ephemerals  []Ephemeral
	updates     []Update
	views       map[string]*viewState
	viewLog     []View
	stacks      map[string][]string // user → open modal view IDs, root first
	homeViews   map[string]string   // user → home tab view ID
	triggers    map[string]*trigger
	files       map[string]*file
	uploads     map[string]string // upload token → file ID
	responses   map[string]*responseURL
	responseLog []Response
	calls       []Call
	callCounts  map[string]int
	count429    int
	subs        map[*subscriber]struct{}
	eventsURL   string
	secret      string
	deliveries  []Delivery
	sock        socketState
}

// New starts a fake Slack on a loopback port. Close it when done.
// It panics if it cannot listen, as httptest.NewServer does: a fake that
// cannot start leaves nothing to run.
func New(opts ...Option) *Server {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("fakeslack: listen: %v", err))
	}
	s := &Server{
		cfg:        cfg,
		url:        "http://" + ln.Addr().String(),
		httpc:      &http.Client{Timeout: cfg.ackTimeout},
		done:       make(chan struct{}),
		changed:    make(chan struct{}),
		latency:    cfg.latency,
		failures:   map[string][]failure{},
		buckets:    map[string]*bucket{},
		channels:   map[string]*channel{},
		users:      map[string]*user{},
		dms:        map[string]string{},
		views:      map[string]*viewState{},
		stacks:     map[string][]string{},
		homeViews:  map[string]string{},
		triggers:   map[string]*trigger{},
		files:      map[string]*file{},
		uploads:    map[string]string{},
		responses:  map[string]*responseURL{},
		callCounts: map[string]int{},
		subs:       map[*subscriber]struct{}{},
		eventsURL:  cfg.eventsURL,
		secret:     cfg.signingSecret,
		sock:       newSocketState(),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.users[cfg.botUserID] = &user{id: cfg.botUserID, name: cfg.botName, realName: cfg.botName, isBot: true, botID: cfg.botID}

	mux := http.NewServeMux()
	mux.HandleFunc("/api/", s.handleAPI)
	mux.HandleFunc("POST /upload/{token}", s.handleUpload)
	mux.HandleFunc("GET /files/{id}/{name}", s.handleFileDownload)
	mux.HandleFunc("POST /response/{id}", s.handleResponseURL)
	mux.HandleFunc("GET /link/", s.handleSocket)
	s.srv = &http.Server{Handler: s.track(mux), ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.srv.Serve(ln)
	}()
	return s
}

// URL is the fake's base URL; the Web API is at URL()+"/api/".
func (s *Server) URL() string { return s.url }

// APIURL is the value for slack.OptionAPIURL and SLACK_API_URL.
func (s *Server) APIURL() string { return s.url + "/api/" }

// TeamID is the fake workspace's ID.
func (s *Server) TeamID() string { return s.cfg.teamID }

// BotUserID is the bot's user ID, the one a mention <@…> names.
func (s *Server) BotUserID() string { return s.cfg.botUserID }

// BotID is the bot's B… ID carried on its messages.
func (s *Server) BotID() string { return s.cfg.botID }

// AppID is the app's A… ID (api_app_id).
func (s *Server) AppID() string { return s.cfg.appID }

// Close stops the server, drops Socket Mode connections and releases every
// waiter. It waits for the fake's own goroutines to end.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		close(s.done)
		s.mu.Unlock()
		s.cancel()
		s.closeSockets()
		// Close rather than Shutdown: Shutdown waits up to 5 s for
		// connections a client opened but never used. Handlers are
		// tracked in wg instead, and none of them blocks once done is
		// closed.
		_ = s.srv.Close()
		s.wg.Wait()
		s.mu.Lock()
		for sub := range s.subs {
			delete(s.subs, sub)
			close(sub.ch)
		}
		s.bumpLocked()
		s.mu.Unlock()
		s.httpc.CloseIdleConnections()
	})
}

// track makes Close wait for every request being served, including
// Socket Mode connections, whose hijacked sockets http.Server forgets.
func (s *Server) track(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		select {
		case <-s.done:
			s.mu.Unlock()
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		default:
		}
		s.wg.Add(1)
		s.mu.Unlock()
		defer s.wg.Done()
		h.ServeHTTP(w, r)
	})
}

// goLocked runs f on a goroutine Close waits for. Holding mu orders the
// start against Close, which closes done under mu before it waits.
func (s *Server) goLocked(f func()) bool {
	select {
	case <-s.done:
		return false
	default:
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
	return true
}

// SetLatency changes the delay added to every Web API answer.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency = d
}

// SetInvalidAuth makes every Web API call answer invalid_auth, as Slack
// does for a revoked token, until turned off.
func (s *Server) SetInvalidAuth(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.invalidAuth = on
}

// failure is one injected outcome, consumed by the next call of its method.
type failure struct {
	err        string // Slack error code for {"ok":false}
	status     int    // HTTP status instead of a Slack answer
	afterApply bool   // apply the call, then answer status
}

// FailNext makes the next call of method answer {"ok":false,"error":code}
// without any effect. Calls queue: two FailNext fail the next two calls.
func (s *Server) FailNext(method, code string) {
	s.addFailure(method, failure{err: code})
}

// FailNextHTTP makes the next call of method answer with the HTTP status
// (e.g. 500, 503) and an HTML body, as Slack's edge does, without effect.
func (s *Server) FailNextHTTP(method string, status int) {
	s.addFailure(method, failure{status: status})
}

// FailNextAfterApply makes the next call of method take effect (a message
// is posted, a view opened) and then answer with the HTTP status: the
// "outcome unknown" case a sender must reconcile against history. A status
// below 400 means 500.
func (s *Server) FailNextAfterApply(method string, status int) {
	if status < 400 {
		status = http.StatusInternalServerError
	}
	s.addFailure(method, failure{status: status, afterApply: true})
}

func (s *Server) addFailure(method string, f failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[method] = append(s.failures[method], f)
}

func (s *Server) takeFailureLocked(method string) (failure, bool) {
	q := s.failures[method]
	if len(q) == 0 {
		return failure{}, false
	}
	f := q[0]
	if len(q) == 1 {
		delete(s.failures, method)
	} else {
		s.failures[method] = q[1:]
	}
	return f, true
}

// request is one decoded Web API call.
type request struct {
	method string
	token  string
	p      params
	now    time.Time
}

// result is a handler's answer before encoding.
type result struct {
	status     int // 0 means 200
	retryAfter int
	err        string
	messages   []string // response_metadata.messages, as Slack explains invalid_blocks
	warning    string
	fields     map[string]any
}

func ok(fields map[string]any) result { return result{fields: fields} }

func fail(code string, messages ...string) result { return result{err: code, messages: messages} }

type apiFunc func(*Server, *request) result

var methods = map[string]apiFunc{
	"api.test":                     (*Server).apiTest,
	"auth.test":                    (*Server).authTest,
	"apps.connections.open":        (*Server).appsConnectionsOpen,
	"chat.postMessage":             (*Server).chatPostMessage,
	"chat.update":                  (*Server).chatUpdate,
	"chat.postEphemeral":           (*Server).chatPostEphemeral,
	"chat.getPermalink":            (*Server).chatGetPermalink,
	"chat.delete":                  (*Server).chatDelete,
	"conversations.history":        (*Server).conversationsHistory,
	"conversations.replies":        (*Server).conversationsReplies,
	"conversations.info":           (*Server).conversationsInfo,
	"conversations.members":        (*Server).conversationsMembers,
	"conversations.join":           (*Server).conversationsJoin,
	"conversations.open":           (*Server).conversationsOpen,
	"users.info":                   (*Server).usersInfo,
	"views.open":                   (*Server).viewsOpen,
	"views.push":                   (*Server).viewsPush,
	"views.update":                 (*Server).viewsUpdate,
	"views.publish":                (*Server).viewsPublish,
	"files.getUploadURLExternal":   (*Server).filesGetUploadURLExternal,
	"files.completeUploadExternal": (*Server).filesCompleteUploadExternal,
	"files.info":                   (*Server).filesInfo,
	"conversations.list":           (*Server).conversationsList,
	"conversations.leave":          (*Server).conversationsLeave,
}

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAPIBody))
	if err != nil {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
		return
	}
	p, perr := parseParams(r, body)

	s.mu.Lock()
	latency := s.latency
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		case <-s.done:
			t.Stop()
			http.Error(w, "shutting down", http.StatusServiceUnavailable)
			return
		}
	}

	req := &request{method: method, token: bearer(r), p: p}
	if req.token == "" {
		req.token = p.str("token")
	}

	s.mu.Lock()
	req.now = s.now()
	res := s.serveLocked(req, perr)
	s.recordCallLocked(req, res)
	s.mu.Unlock()

	writeResult(w, res)
}

func (s *Server) serveLocked(req *request, perr string) result {
	f, injected := s.takeFailureLocked(req.method)
	if injected && !f.afterApply {
		if f.status != 0 {
			return httpFailure(f.status)
		}
		return fail(f.err)
	}
	res := s.dispatchLocked(req, perr)
	if injected {
		res = httpFailure(f.status)
	}
	return res
}

// httpFailure answers with a bare HTTP status; an injected 429 carries the
// smallest Retry-After Slack sends.
func httpFailure(status int) result {
	if status == http.StatusTooManyRequests {
		return result{status: status, retryAfter: 1, err: "ratelimited"}
	}
	return result{status: status}
}

func (s *Server) dispatchLocked(req *request, perr string) result {
	if perr != "" {
		return fail(perr)
	}
	h, found := methods[req.method]
	if !found {
		return fail("unknown_method")
	}
	if code := s.authLocked(req); code != "" {
		return fail(code)
	}
	return h(s, req)
}

// authLocked applies Slack's token rules: Socket Mode needs an app-level
// token, everything else a bot token.
func (s *Server) authLocked(req *request) string {
	switch {
	case req.token == "":
		return "not_authed"
	case s.invalidAuth:
		return "invalid_auth"
	case req.method == "apps.connections.open":
		if !strings.HasPrefix(req.token, "xapp-") {
			return "not_allowed_token_type"
		}
	case strings.HasPrefix(req.token, "xapp-"):
		return "not_allowed_token_type"
	case !strings.HasPrefix(req.token, "xoxb-"):
		return "invalid_auth"
	}
	return ""
}

func writeResult(w http.ResponseWriter, res result) {
	if res.status >= 500 || (res.status >= 400 && res.status != http.StatusTooManyRequests) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(res.status)
		fmt.Fprintf(w, "<html><body><h1>%d %s</h1></body></html>\n", res.status, http.StatusText(res.status))
		return
	}
	body := map[string]any{"ok": res.err == ""}
	if res.err != "" {
		body["error"] = res.err
		if len(res.messages) > 0 {
			body["response_metadata"] = map[string]any{"messages": res.messages}
		}
	} else {
		for k, v := range res.fields {
			body[k] = v
		}
	}
	if res.warning != "" {
		body["warning"] = res.warning
		body["response_metadata"] = map[string]any{"warnings": []string{res.warning}}
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	if res.status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(res.retryAfter))
		w.WriteHeader(res.status)
	}
	_ = json.NewEncoder(w).Encode(body)
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if t, found := strings.CutPrefix(h, "Bearer "); found {
		return strings.TrimSpace(t)
	}
	return ""
}

// params holds a call's arguments whatever their encoding. slack-go sends
// most methods as a form (JSON-valued arguments such as blocks and metadata
// as JSON strings), views.* and apps.connections.open as a JSON body, and
// chat.getPermalink as a GET query; all land here as strings, with JSON
// objects and arrays kept as their JSON text.
type params struct{ v url.Values }

func (p params) str(k string) string { return p.v.Get(k) }

func (p params) has(k string) bool { _, found := p.v[k]; return found }

func (p params) boolean(k string) bool {
	switch strings.ToLower(p.v.Get(k)) {
	case "1", "true", "yes":
		return true
	}
	return false
}

// optBool is nil when k is absent, so "not sent" differs from "false".
func (p params) optBool(k string) *bool {
	if !p.has(k) {
		return nil
	}
	b := p.boolean(k)
	return &b
}

func (p params) integer(k string, def int) (int, bool) {
	v := p.v.Get(k)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// raw returns k as JSON, or nil when absent or empty.
func (p params) raw(k string) json.RawMessage {
	v := strings.TrimSpace(p.v.Get(k))
	if v == "" {
		return nil
	}
	return json.RawMessage(v)
}

// list splits a comma-separated argument.
func (p params) list(k string) []string {
	var out []string
	for _, part := range strings.Split(p.v.Get(k), ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// parseParams merges the query and the body; it returns a Slack error code
// when the body cannot be read as its Content-Type says.
func parseParams(r *http.Request, body []byte) (params, string) {
	v := url.Values{}
	for k, vs := range r.URL.Query() {
		v[k] = append(v[k], vs...)
	}
	ct, ctParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case len(bytes.TrimSpace(body)) == 0:
	case ct == "application/json":
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return params{v}, "invalid_json"
		}
		for k, raw := range m {
			var str string
			if err := json.Unmarshal(raw, &str); err == nil {
				v.Set(k, str)
				continue
			}
			if string(raw) != "null" {
				v.Set(k, string(raw))
			}
		}
	case ct == "multipart/form-data":
		form, err := multipart.NewReader(bytes.NewReader(body), ctParams["boundary"]).ReadForm(maxAPIBody)
		if err != nil {
			return params{v}, "invalid_form_data"
		}
		defer func() { _ = form.RemoveAll() }()
		for k, vs := range form.Value {
			v[k] = append(v[k], vs...)
		}
	default:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return params{v}, "invalid_form_data"
		}
		for k, vs := range form {
			v[k] = append(v[k], vs...)
		}
	}
	return params{v}, ""
}

func (s *Server) now() time.Time { return s.cfg.clock() }

// nextTSLocked hands out Slack-shaped timestamps ("1700000000.000100") from
// the clock, bumped by a microsecond when the clock has not moved, so no two
// messages in the workspace ever share a ts even when the clock stands still.
func (s *Server) nextTSLocked() string {
	micros := s.now().UnixMicro()
	if micros <= s.lastTS {
		micros = s.lastTS + 1
	}
	s.lastTS = micros
	return formatTS(micros)
}

func formatTS(micros int64) string {
	return fmt.Sprintf("%d.%06d", micros/1e6, micros%1e6)
}

// parseTS reads a Slack ts into microseconds; ok is false for anything
// that is not digits, a dot and up to six digits.
func parseTS(ts string) (int64, bool) {
	sec, frac, _ := strings.Cut(ts, ".")
	if sec == "" || len(frac) > 6 {
		return 0, false
	}
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s < 0 {
		return 0, false
	}
	var f int64
	if frac != "" {
		f, err = strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
		if err != nil || f < 0 {
			return 0, false
		}
	}
	return s*1e6 + f, true
}

// newIDLocked makes a Slack-looking ID such as F0000000012.
func (s *Server) newIDLocked(prefix string) string {
	s.seq++
	id := strings.ToUpper(strconv.FormatInt(s.seq, 36))
	return prefix + strings.Repeat("0", max(0, 10-len(id))) + id
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newUUID makes the envelope and client_msg_id shape Slack uses.
func newUUID() string {
	h := randomHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// errClosed is returned by waits cut short by Close.
var errClosed = errors.New("fakeslack: server closed")
