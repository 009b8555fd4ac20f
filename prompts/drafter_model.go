package prompts

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// Model drafts with an OpenAI-compatible chat model (OPENAI_API_KEY,
// OPENAI_BASE_URL, OPENAI_MODEL): OpenAI itself, or a server on the seller's
// machine that needs no key. The answer streams in; transient failures are
// retried until the first word arrives, never after (a second answer would
// not continue the first).
type Model struct {
	client  *openai.Client
	baseURL string
	model   string
	clock   sfp.Clock
	log     *slog.Logger
	timeout time.Duration
	tokens  int
	retries int
	jitter  func() float64
}

var _ Drafter = (*Model)(nil)

// ModelConfig configures a Model. Zero values take the defaults.
type ModelConfig struct {
	APIKey  string // may be empty for a local server
	BaseURL string // including /v1; default OpenAI's
	Model   string // default gpt-4o-mini
	// HTTPClient carries the requests; default one without a timeout of
	// its own, as Timeout bounds each draft.
	HTTPClient *http.Client
	// Clock paces the back-off between attempts. Default the wall clock.
	Clock sfp.Clock
	Log   *slog.Logger
	// Timeout bounds one draft, retries included. Default 60s.
	Timeout time.Duration
	// MaxTokens bounds the answer. Default 700, and 4,000 for reasoning
	// models, whose thinking counts against the same bound.
	MaxTokens int
	// Retries is how many times a 429 or a 5xx before the first token is
	// tried again. Default 3; negative means none.
	Retries int
	// Jitter returns a number in [0, 1) that spreads the back-off; default
	// math/rand.
	Jitter func() float64
}

// Defaults of a Model.
const (
	DefaultModel         = "gpt-4o-mini"
	defaultBaseURL       = "https://api.openai.com/v1"
	defaultDraftTimeout  = 60 * time.Second
	defaultMaxTokens     = 700
	reasoningMaxTokens   = 4000
	defaultRetries       = 3
	draftTemperature     = 0.3
	backoffBase          = time.Second
	backoffMax           = 20 * time.Second
	maxCompatAdjustments = 4
)

// NewModel returns a Model.
func NewModel(c ModelConfig) *Model {
	if c.BaseURL == "" {
		c.BaseURL = defaultBaseURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.Model == "" {
		c.Model = DefaultModel
	}
	cfg := openai.DefaultConfig(c.APIKey)
	cfg.BaseURL = c.BaseURL
	if c.HTTPClient != nil {
		cfg.HTTPClient = c.HTTPClient
	}
	m := &Model{
		client: openai.NewClientWithConfig(cfg), baseURL: c.BaseURL, model: c.Model,
		clock: c.Clock, log: c.Log, timeout: c.Timeout, tokens: c.MaxTokens, retries: c.Retries, jitter: c.Jitter,
	}
	if m.clock == nil {
		m.clock = sfp.RealClock{}
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.timeout <= 0 {
		m.timeout = defaultDraftTimeout
	}
	if m.tokens <= 0 {
		m.tokens = defaultMaxTokens
		if IsReasoningModel(m.model) {
			m.tokens = reasoningMaxTokens
		}
	}
	switch {
	case m.retries == 0:
		m.retries = defaultRetries
	case m.retries < 0:
		m.retries = 0
	}
	if m.jitter == nil {
		m.jitter = rand.Float64
	}
	return m
}

// Name is the model's name as configured.
func (m *Model) Name() string { return m.model }

// IsReasoningModel reports whether name looks like one of OpenAI's
// reasoning models (o1, o3, o4, gpt-5…), which refuse a temperature and
// count their thinking against max_completion_tokens.
func IsReasoningModel(name string) bool {
	n := strings.ToLower(name)
	if i := strings.LastIndexByte(n, '/'); i >= 0 {
		n = n[i+1:]
	}
	for _, p := range []string{"o1", "o3", "o4", "gpt-5"} {
		if n == p || strings.HasPrefix(n, p+"-") || strings.HasPrefix(n, p+".") {
			return true
		}
	}
	return false
}

// compat is what a server turned out not to accept. Servers differ: some
// know only the older max_tokens, some refuse stream_options or a
// temperature. What one refused is remembered for its base URL, so that
// only the first draft pays for finding out.
type compat struct {
	maxTokens         bool // send max_tokens instead of max_completion_tokens
	noTemperature     bool
	noStreamOptions   bool
	noReasoningEffort bool
}

var (
	compatMu sync.Mutex
	compats  = map[string]compat{}
)

func compatOf(baseURL string) compat {
	compatMu.Lock()
	defer compatMu.Unlock()
	return compats[baseURL]
}

func rememberCompat(baseURL string, c compat) {
	compatMu.Lock()
	defer compatMu.Unlock()
	compats[baseURL] = c
}

func (m *Model) request(p *Prompt, c compat) openai.ChatCompletionRequest {
	req := openai.ChatCompletionRequest{
		Model: m.model,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: p.System},
			{Role: openai.ChatMessageRoleUser, Content: p.User},
		},
		Stream: true,
	}
	reasoning := IsReasoningModel(m.model)
	// Reasoning models accept only max_completion_tokens (go-openai refuses
	// max_tokens for them before sending).
	if c.maxTokens && !reasoning {
		req.MaxTokens = m.tokens
	} else {
		req.MaxCompletionTokens = m.tokens
	}
	if !reasoning && !c.noTemperature {
		req.Temperature = draftTemperature
	}
	if reasoning && !c.noReasoningEffort {
		req.ReasoningEffort = openai.ReasoningEffortLow
	}
	if !c.noStreamOptions {
		req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	return req
}

// Draft asks the model for a draft of in. progress sees the restored text
// as it grows.
func (m *Model) Draft(ctx context.Context, in Input, progress func(string)) (*Draft, error) {
	start := m.clock.Now()
	p, err := BuildPrompt(in)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	c := compatOf(m.baseURL)
	var res streamed
	for attempt, adjusted := 0, 0; ; {
		req := m.request(p, c)
		res, err = m.stream(ctx, req, p, progress)
		if err == nil {
			break
		}
		if res.started {
			return nil, &DraftError{Kind: KindInterrupted, Err: err}
		}
		if ctx.Err() != nil {
			return nil, &DraftError{Kind: KindTimeout, Err: err}
		}
		if next, ok := adjustFor(err, req, c, IsReasoningModel(m.model)); ok && adjusted < maxCompatAdjustments {
			adjusted++
			c = next
			rememberCompat(m.baseURL, c)
			m.log.Info("model server refused a parameter; trying without it", "base_url", m.baseURL, "model", m.model, "max_tokens", c.maxTokens,
				"no_temperature", c.noTemperature, "no_stream_options", c.noStreamOptions, "no_reasoning_effort", c.noReasoningEffort)
			continue
		}
		kind := classify(err)
		if (kind == KindRateLimited || kind == KindUnavailable) && attempt < m.retries {
			wait := m.backoff(attempt)
			attempt++
			m.log.Info("model not available; retrying", "base_url", m.baseURL, "model", m.model, "attempt", attempt, "wait", wait, "kind", kind, "err", err)
			if serr := sfp.Sleep(ctx, m.clock, wait); serr != nil {
				return nil, &DraftError{Kind: KindTimeout, Err: serr}
			}
			continue
		}
		return nil, &DraftError{Kind: kind, Err: err}
	}
	text := finishText(p.Restore(res.text))
	if strings.TrimSpace(text) == "" {
		return nil, &DraftError{Kind: KindEmpty, Err: errors.New("the model answered nothing")}
	}
	return &Draft{
		Text: text, Lang: p.Lang, Template: p.Template, Model: m.model,
		Findings:     Check(text, p.Lang, in.CheckKind()),
		PromptTokens: res.usage.PromptTokens, CompletionTokens: res.usage.CompletionTokens,
		Latency: m.clock.Now().Sub(start),
	}, nil
}

func (m *Model) backoff(attempt int) time.Duration {
	d := backoffBase << attempt
	if d > backoffMax {
		d = backoffMax
	}
	// Half to one and a half times the step: drafts started together do
	// not come back together.
	return time.Duration(float64(d) * (0.5 + m.jitter()))
}

type streamed struct {
	text    string
	usage   openai.Usage
	started bool // a word of the answer arrived
}

func (m *Model) stream(ctx context.Context, req openai.ChatCompletionRequest, p *Prompt, progress func(string)) (streamed, error) {
	var res streamed
	s, err := m.client.CreateChatCompletionStream(ctx, req)
	if err != nil {
		return res, err
	}
	defer s.Close()
	var b strings.Builder
	for {
		r, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.text = b.String()
			return res, err
		}
		if r.Usage != nil {
			res.usage = *r.Usage
		}
		grew := false
		for _, ch := range r.Choices {
			if ch.Delta.Content != "" {
				b.WriteString(ch.Delta.Content)
				res.started, grew = true, true
			}
		}
		if grew && progress != nil {
			progress(p.Restore(partialText(b.String())))
		}
		// The bound on tokens is the server's to keep; this one holds
		// whatever the server does.
		if b.Len() > 4*maxDraftRunes {
			break
		}
	}
	res.text = b.String()
	return res, nil
}

// ---- errors ----

// Kinds of drafting failures. A seller sees a calm line for each, never the
// model's own error text.
const (
	KindQuota       = "quota"        // the account has no credit left
	KindRateLimited = "rate_limited" // 429 past the retries
	KindUnavailable = "unavailable"  // 5xx or no connection, past the retries
	KindTimeout     = "timeout"
	KindAuth        = "auth"    // 401, 403: the key
	KindModel       = "model"   // 404: no such model
	KindRefused     = "refused" // another 4xx
	KindEmpty       = "empty"
	KindInterrupted = "interrupted" // the answer broke off
	KindInternal    = "internal"
)

// DraftError is why a model could not draft.
type DraftError struct {
	Kind string
	Err  error
}

func (e *DraftError) Error() string { return "drafting: " + e.Kind + ": " + e.Err.Error() }
func (e *DraftError) Unwrap() error { return e.Err }

// ErrorKind returns the kind of a drafting error ("" for nil).
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	var de *DraftError
	if errors.As(err, &de) {
		return de.Kind
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return KindTimeout
	}
	return KindInternal
}

// apiFailure pulls the status, code and message out of go-openai's two
// error types.
func apiFailure(err error) (status int, code, msg string) {
	var ae *openai.APIError
	var re *openai.RequestError
	switch {
	case errors.As(err, &ae):
		status, msg = ae.HTTPStatusCode, ae.Message
		if ae.Code != nil {
			code = fmt.Sprint(ae.Code)
		}
		if code == "" || code == "<nil>" {
			code = ae.Type
		}
		if ae.Type == "insufficient_quota" {
			code = ae.Type
		}
	case errors.As(err, &re):
		status, msg = re.HTTPStatusCode, string(re.Body)
		if re.Err != nil {
			msg += " " + re.Err.Error()
		}
	}
	return status, code, msg
}

func classify(err error) string {
	status, code, msg := apiFailure(err)
	switch {
	case code == "insufficient_quota" || strings.Contains(msg, "insufficient_quota"):
		return KindQuota
	case status == http.StatusTooManyRequests:
		return KindRateLimited
	case status >= 500:
		return KindUnavailable
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return KindAuth
	case status == http.StatusNotFound:
		return KindModel
	case status >= 400:
		return KindRefused
	case errors.Is(err, context.DeadlineExceeded):
		return KindTimeout
	}
	// No answer at all (a refused connection, a reset), or an error event
	// before the first word: the server may do better on the next try.
	return KindUnavailable
}

// adjustFor reads a 400 that names a parameter the server does not take
// and returns the compatibility that leaves it out.
func adjustFor(err error, req openai.ChatCompletionRequest, c compat, reasoning bool) (compat, bool) {
	status, _, msg := apiFailure(err)
	if status != http.StatusBadRequest && status != http.StatusUnprocessableEntity {
		return c, false
	}
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "max_completion_tokens") && req.MaxCompletionTokens > 0 && !reasoning && !c.maxTokens:
		c.maxTokens = true
	case strings.Contains(low, "temperature") && req.Temperature != 0 && !c.noTemperature:
		c.noTemperature = true
	case strings.Contains(low, "stream_options") && req.StreamOptions != nil && !c.noStreamOptions:
		c.noStreamOptions = true
	case strings.Contains(low, "reasoning_effort") && req.ReasoningEffort != "" && !c.noReasoningEffort:
		c.noReasoningEffort = true
	case (strings.Contains(low, "unsupported parameter") || strings.Contains(low, "unrecognized") || strings.Contains(low, "unknown parameter") || strings.Contains(low, "extra inputs")) &&
		req.MaxCompletionTokens > 0 && !reasoning && !c.maxTokens:
		c.maxTokens = true
	default:
		return c, false
	}
	return c, true
}
