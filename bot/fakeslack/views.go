package fakeslack

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Slack's limits on views. A trigger ID lives 3 seconds and opens one view;
// a modal stack holds at most 3 views.
const (
	triggerTTL         = 3 * time.Second
	maxModalStack      = 3
	maxViewBlocks      = 100
	maxModalTitle      = 24
	maxCallbackID      = 255
	maxPrivateMetadata = 3000
	maxExternalID      = 255

	// maxLiveHandles is when spent trigger IDs and response URLs are
	// swept, so a long demo does not accumulate them.
	maxLiveHandles = 1000
)

type trigger struct {
	user    string
	created time.Time
	used    bool
}

type viewState struct {
	id, typ, user                           string
	callbackID, externalID, privateMetadata string
	hash, rootID, previousID                string
	triggerID                               string
	raw                                     json.RawMessage
	open                                    bool
}

// View is one recorded view operation, or a view's current state.
type View struct {
	// Method is what happened: "views.open", "views.push", "views.update",
	// "views.publish", or, after a submission, "response_action.update",
	// "response_action.push", "response_action.errors" and "closed".
	Method          string
	ID              string
	Type            string // "modal" or "home"
	User            string
	TriggerID       string
	CallbackID      string
	ExternalID      string
	PrivateMetadata string
	Hash            string
	RootViewID      string
	PreviousViewID  string
	Title           string
	JSON            json.RawMessage   // the view as the bot sent it
	Errors          map[string]string // response_action errors, by block_id
	Open            bool
	Time            time.Time
}

// NewTriggerID makes a trigger ID for userID, as a click or a command
// would: usable once, for 3 seconds on the fake's clock. The Send* and
// *Request helpers make one themselves when the payload has none.
func (s *Server) NewTriggerID(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newTriggerLocked(userID)
}

func (s *Server) newTriggerLocked(userID string) string {
	if len(s.triggers) >= maxLiveHandles {
		for id, t := range s.triggers {
			if t.used || s.now().Sub(t.created) > triggerTTL {
				delete(s.triggers, id)
			}
		}
	}
	s.seq++
	id := fmt.Sprintf("%d.%d.%s", s.now().Unix(), s.seq, randomHex(8))
	s.triggers[id] = &trigger{user: userID, created: s.now()}
	return id
}

// adoptTriggerLocked registers a trigger ID a test put in a payload itself.
func (s *Server) adoptTriggerLocked(id, userID string) {
	if _, known := s.triggers[id]; !known {
		s.triggers[id] = &trigger{user: userID, created: s.now()}
	}
}

func (s *Server) useTriggerLocked(id string, now time.Time) (*trigger, string) {
	t := s.triggers[id]
	switch {
	case id == "":
		return nil, "invalid_arguments"
	case t == nil:
		return nil, "invalid_trigger_id"
	case t.used:
		return nil, "exchanged_trigger_id"
	case now.Sub(t.created) > triggerTTL:
		return nil, "expired_trigger_id"
	}
	t.used = true
	return t, ""
}

// readView reads and checks a view argument as Slack does; wantType is
// "modal" or "home".
func readView(raw json.RawMessage, wantType string) (map[string]any, string, []string) {
	var v map[string]any
	if raw == nil || json.Unmarshal(raw, &v) != nil {
		return nil, "invalid_arguments", []string{"[ERROR] missing required field: view [json-pointer:/view]"}
	}
	var errs []string
	add := func(ptr, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("[ERROR] "+format+" [json-pointer:%s]", append(args, ptr)...))
	}
	if v["type"] != wantType {
		add("/view/type", "must be %s", wantType)
	}
	if wantType == "modal" {
		for _, field := range []string{"title", "submit", "close"} {
			t, present := v[field]
			if !present {
				if field == "title" {
					add("/view/title", "missing required field: title")
				}
				continue
			}
			tm, _ := t.(map[string]any)
			text, _ := tm["text"].(string)
			if tm["type"] != "plain_text" {
				add("/view/"+field+"/type", "must be plain_text")
			} else if n := utf8.RuneCountInString(text); n == 0 || n > maxModalTitle {
				add("/view/"+field+"/text", "must be between 1 and %d characters", maxModalTitle)
			}
		}
	}
	limits := map[string]int{"callback_id": maxCallbackID, "private_metadata": maxPrivateMetadata, "external_id": maxExternalID}
	for field, limit := range limits {
		if str, _ := v[field].(string); utf8.RuneCountInString(str) > limit {
			add("/view/"+field, "must be less than %d characters", limit+1)
		}
	}
	blocks, _ := json.Marshal(v["blocks"])
	if v["blocks"] == nil {
		add("/view/blocks", "missing required field: blocks")
	} else if code, msgs := validateBlocks(blocks, maxViewBlocks, "/view/blocks"); code != "" {
		errs = append(errs, msgs...)
	}
	if wantType == "modal" && v["submit"] == nil {
		var list []map[string]any
		_ = json.Unmarshal(blocks, &list)
		if slices.ContainsFunc(list, func(b map[string]any) bool { return b["type"] == "input" }) {
			add("/view", "must provide a submit property when using input blocks")
		}
	}
	if len(errs) > 0 {
		return nil, "invalid_arguments", errs
	}
	return v, "", nil
}

func str(v map[string]any, k string) string {
	s, _ := v[k].(string)
	return s
}

func (s *Server) newHashLocked() string {
	s.seq++
	return fmt.Sprintf("%d.%s", s.seq, randomHex(4))
}

// setContentLocked replaces what the bot controls in a view.
func (s *Server) setContentLocked(vs *viewState, v map[string]any) {
	vs.raw, _ = json.Marshal(v)
	vs.callbackID = str(v, "callback_id")
	vs.externalID = str(v, "external_id")
	vs.privateMetadata = str(v, "private_metadata")
	vs.hash = s.newHashLocked()
}

// viewJSON is the view object Slack returns and puts in payloads.
func (s *Server) viewJSON(vs *viewState) map[string]any {
	var v map[string]any
	_ = json.Unmarshal(vs.raw, &v)
	if v == nil {
		v = map[string]any{}
	}
	v["id"] = vs.id
	v["team_id"] = s.cfg.teamID
	v["type"] = vs.typ
	v["callback_id"] = vs.callbackID
	v["external_id"] = vs.externalID
	v["private_metadata"] = vs.privateMetadata
	v["hash"] = vs.hash
	v["state"] = map[string]any{"values": map[string]any{}}
	v["app_id"] = s.cfg.appID
	v["app_installed_team_id"] = s.cfg.teamID
	v["bot_id"] = s.cfg.botID
	v["root_view_id"] = nilIfEmpty(vs.rootID)
	v["previous_view_id"] = nilIfEmpty(vs.previousID)
	for _, k := range []string{"clear_on_close", "notify_on_close"} {
		if _, present := v[k]; !present {
			v[k] = false
		}
	}
	return v
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) logViewLocked(method string, vs *viewState, errs map[string]string, now time.Time) {
	s.viewLog = appendBounded(s.viewLog, s.publicView(method, vs, errs, now), s.cfg.logLimit)
	s.bumpLocked()
}

func (s *Server) publicView(method string, vs *viewState, errs map[string]string, now time.Time) View {
	var title string
	var v struct {
		Title struct {
			Text string `json:"text"`
		} `json:"title"`
	}
	if json.Unmarshal(vs.raw, &v) == nil {
		title = v.Title.Text
	}
	return View{
		Method: method, ID: vs.id, Type: vs.typ, User: vs.user, TriggerID: vs.triggerID,
		CallbackID: vs.callbackID, ExternalID: vs.externalID, PrivateMetadata: vs.privateMetadata,
		Hash: vs.hash, RootViewID: vs.rootID, PreviousViewID: vs.previousID, Title: title,
		JSON: vs.raw, Errors: errs, Open: vs.open, Time: now,
	}
}

func (s *Server) externalIDTakenLocked(id string) bool {
	if id == "" {
		return false
	}
	for _, vs := range s.views {
		if vs.externalID == id {
			return true
		}
	}
	return false
}

func (s *Server) viewsOpen(req *request) result {
	v, code, msgs := readView(req.p.raw("view"), "modal")
	if code != "" {
		return fail(code, msgs...)
	}
	t, code := s.useTriggerLocked(req.p.str("trigger_id"), req.now)
	if code != "" {
		return fail(code)
	}
	if s.externalIDTakenLocked(str(v, "external_id")) {
		return fail("duplicate_external_id")
	}
	for _, id := range s.stacks[t.user] {
		s.views[id].open = false
	}
	vs := &viewState{id: s.newIDLocked("V"), typ: "modal", user: t.user, triggerID: req.p.str("trigger_id"), open: true}
	vs.rootID = vs.id
	s.setContentLocked(vs, v)
	s.views[vs.id] = vs
	s.stacks[t.user] = []string{vs.id}
	s.logViewLocked("views.open", vs, nil, req.now)
	return ok(map[string]any{"view": s.viewJSON(vs)})
}

func (s *Server) viewsPush(req *request) result {
	v, code, msgs := readView(req.p.raw("view"), "modal")
	if code != "" {
		return fail(code, msgs...)
	}
	t, code := s.useTriggerLocked(req.p.str("trigger_id"), req.now)
	if code != "" {
		return fail(code)
	}
	if s.externalIDTakenLocked(str(v, "external_id")) {
		return fail("duplicate_external_id")
	}
	vs, code := s.pushLocked(t.user, v, req.p.str("trigger_id"))
	if code != "" {
		return fail(code)
	}
	s.logViewLocked("views.push", vs, nil, req.now)
	return ok(map[string]any{"view": s.viewJSON(vs)})
}

func (s *Server) pushLocked(userID string, v map[string]any, triggerID string) (*viewState, string) {
	stack := s.stacks[userID]
	switch {
	case len(stack) == 0:
		return nil, "not_found"
	case len(stack) >= maxModalStack:
		return nil, "push_limit_reached"
	}
	vs := &viewState{
		id: s.newIDLocked("V"), typ: "modal", user: userID, triggerID: triggerID, open: true,
		rootID: stack[0], previousID: stack[len(stack)-1],
	}
	s.setContentLocked(vs, v)
	s.views[vs.id] = vs
	s.stacks[userID] = append(stack, vs.id)
	return vs, ""
}

func (s *Server) findViewLocked(viewID, externalID string) *viewState {
	if viewID != "" {
		return s.views[viewID]
	}
	for _, vs := range s.views {
		if vs.externalID == externalID {
			return vs
		}
	}
	return nil
}

func (s *Server) viewsUpdate(req *request) result {
	viewID, externalID := req.p.str("view_id"), req.p.str("external_id")
	if viewID == "" && externalID == "" {
		return fail("invalid_arguments")
	}
	vs := s.findViewLocked(viewID, externalID)
	if vs == nil || !vs.open {
		return fail("not_found")
	}
	v, code, msgs := readView(req.p.raw("view"), vs.typ)
	if code != "" {
		return fail(code, msgs...)
	}
	if h := req.p.str("hash"); h != "" && h != vs.hash {
		return fail("hash_conflict")
	}
	if ext := str(v, "external_id"); ext != "" && ext != vs.externalID && s.externalIDTakenLocked(ext) {
		return fail("duplicate_external_id")
	}
	s.setContentLocked(vs, v)
	s.logViewLocked("views.update", vs, nil, req.now)
	return ok(map[string]any{"view": s.viewJSON(vs)})
}

func (s *Server) viewsPublish(req *request) result {
	userID := req.p.str("user_id")
	if s.users[userID] == nil {
		return fail("user_not_found")
	}
	v, code, msgs := readView(req.p.raw("view"), "home")
	if code != "" {
		return fail(code, msgs...)
	}
	vs := s.views[s.homeViews[userID]]
	if vs == nil {
		vs = &viewState{id: s.newIDLocked("V"), typ: "home", user: userID, open: true}
		s.views[vs.id] = vs
		s.homeViews[userID] = vs.id
	} else if h := req.p.str("hash"); h != "" && h != vs.hash {
		return fail("hash_conflict")
	}
	s.setContentLocked(vs, v)
	s.logViewLocked("views.publish", vs, nil, req.now)
	return ok(map[string]any{"view": s.viewJSON(vs)})
}

// Views returns every view operation, oldest first.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.viewLog)
}

// ViewByID returns a view's current state.
func (s *Server) ViewByID(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.views[id]
	if vs == nil {
		return View{}, false
	}
	return s.publicView("", vs, nil, s.now()), true
}

// OpenViews returns userID's open modals, the root first and the one on
// screen last.
func (s *Server) OpenViews(userID string) []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []View
	for _, id := range s.stacks[userID] {
		out = append(out, s.publicView("", s.views[id], nil, s.now()))
	}
	return out
}

// HomeView returns the Home tab last published for userID.
func (s *Server) HomeView(userID string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.views[s.homeViews[userID]]
	if vs == nil {
		return View{}, false
	}
	return s.publicView("", vs, nil, s.now()), true
}

// ViewSubmission builds the view_submission payload Slack sends when
// userID submits the open modal viewID with the given input values
// (block_id → action_id → value). Send it with SendInteraction, or over
// HTTP with InteractionRequest; SubmitView does both steps over Socket
// Mode and applies the answer.
func (s *Server) ViewSubmission(viewID, userID string, values map[string]map[string]slack.BlockAction) (slack.InteractionCallback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.views[viewID]
	if vs == nil || !vs.open || vs.typ != "modal" {
		return slack.InteractionCallback{}, fmt.Errorf("fakeslack: no open modal %q", viewID)
	}
	vj := s.viewJSON(vs)
	vj["state"] = map[string]any{"values": values}
	raw, err := json.Marshal(vj)
	if err != nil {
		return slack.InteractionCallback{}, err
	}
	var view slack.View
	if err := json.Unmarshal(raw, &view); err != nil {
		return slack.InteractionCallback{}, fmt.Errorf("fakeslack: view %s: %w", viewID, err)
	}
	if values == nil {
		values = map[string]map[string]slack.BlockAction{}
	}
	view.State = &slack.ViewState{Values: values}
	return slack.InteractionCallback{
		Type:                   slack.InteractionTypeViewSubmission,
		Token:                  verificationToken,
		TriggerID:              s.newTriggerLocked(userID),
		Team:                   s.teamLocked(),
		User:                   s.payloadUserLocked(userID),
		APIAppID:               s.cfg.appID,
		View:                   view,
		ViewSubmissionCallback: slack.ViewSubmissionCallback{Hash: vs.hash},
	}, nil
}

// ApplyViewSubmissionAnswer does to the modal stack what Slack does with
// the bot's answer to a view_submission: an empty answer closes the
// submitted view; response_action "clear" closes them all; "update"
// replaces it; "push" adds one; "errors" keeps it open with the messages.
func (s *Server) ApplyViewSubmissionAnswer(viewID string, answer []byte) error {
	var a struct {
		ResponseAction string            `json:"response_action"`
		View           json.RawMessage   `json:"view"`
		Errors         map[string]string `json:"errors"`
	}
	if trimmed := strings.TrimSpace(string(answer)); trimmed != "" && trimmed != "null" {
		if err := json.Unmarshal(answer, &a); err != nil {
			return fmt.Errorf("fakeslack: view_submission answer: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	vs := s.views[viewID]
	if vs == nil || !vs.open {
		return fmt.Errorf("fakeslack: no open modal %q", viewID)
	}
	stack := s.stacks[vs.user]
	switch a.ResponseAction {
	case "":
		if i := slices.Index(stack, viewID); i >= 0 {
			for _, id := range stack[i:] {
				s.views[id].open = false
				s.logViewLocked("closed", s.views[id], nil, now)
			}
			s.stacks[vs.user] = stack[:i]
		}
	case "clear":
		for _, id := range stack {
			s.views[id].open = false
			s.logViewLocked("closed", s.views[id], nil, now)
		}
		delete(s.stacks, vs.user)
	case "update", "push":
		v, code, msgs := readView(a.View, "modal")
		if code != "" {
			return fmt.Errorf("fakeslack: response_action %s: %s %v", a.ResponseAction, code, msgs)
		}
		if a.ResponseAction == "update" {
			s.setContentLocked(vs, v)
			s.logViewLocked("response_action.update", vs, nil, now)
			return nil
		}
		pushed, code := s.pushLocked(vs.user, v, "")
		if code != "" {
			return errors.New("fakeslack: response_action push: " + code)
		}
		s.logViewLocked("response_action.push", pushed, nil, now)
	case "errors":
		s.logViewLocked("response_action.errors", vs, a.Errors, now)
	default:
		return fmt.Errorf("fakeslack: unknown response_action %q", a.ResponseAction)
	}
	return nil
}
