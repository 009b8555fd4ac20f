package handlers

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/prompts"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// maxIntakeBody is the largest contact the intake API reads (DESIGN §4.4).
const maxIntakeBody = 256 << 10

// intakeBy is who brought an intake case, in its events.
const intakeBy = "intake"

// RegisterIntake mounts the intake API on mux: POST /api/v1/contacts
// (DESIGN §4.4) and GET /api/v1/cases/{id} (§4.5). Both answer 404 while
// SFPDESK_INTAKE_TOKEN is unset, as if they did not exist.
func (a *App) RegisterIntake(mux *http.ServeMux) {
	mux.HandleFunc("/api/v1/contacts", a.postContact)
	mux.HandleFunc("/api/v1/cases/{id}", a.getCase)
}

// statusOf maps an error code to its HTTP status: the one table.
var statusOf = map[string]int{
	sfp.EINVALID:   http.StatusBadRequest,
	sfp.ENOTFOUND:  http.StatusNotFound,
	sfp.EFORBIDDEN: http.StatusForbidden,
	sfp.ECONFLICT:  http.StatusConflict,
	sfp.EINTERNAL:  http.StatusInternalServerError,
}

// apiError is the body of every error answer. A 400 always names the
// field, "" when the body as a whole is at fault.
type apiError struct {
	Error string  `json:"error"`
	Field *string `json:"field,omitempty"`
}

type contactAnswer struct {
	CaseID string `json:"case_id"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, apiError{Error: msg})
}

// writeErr answers err with the status of its code. An internal error's
// cause is logged, never shown.
func (a *App) writeErr(w http.ResponseWriter, err error, what string) {
	code := sfp.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusInternalServerError {
		a.Log.Error("intake: "+what+" failed", "err", err)
	}
	body := apiError{Error: sfp.ErrorMessage(err)}
	if status == http.StatusBadRequest {
		f := sfp.ErrorField(err)
		body.Field = &f
	}
	writeJSON(w, status, body)
}

// intakeGate runs the checks both endpoints share, in the contract's
// order: intake off, then the token, then the method. A stranger learns
// nothing of the API from a wrong method, not even that it exists.
func (a *App) intakeGate(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	a.init()
	if a.Settings.IntakeToken == "" {
		writeError(w, http.StatusNotFound, "not found")
		return false
	}
	if !a.intakeAuthorized(r) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="sfpdesk"`)
		writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
		return false
	}
	ok := false
	for _, m := range methods {
		ok = ok || r.Method == m
	}
	if !ok {
		w.Header().Set("Allow", strings.Join(methods, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method not allowed")
		return false
	}
	return true
}

// intakeAuthorized compares the bearer token in constant time; hashing
// both sides first keeps the token's length from showing either.
func (a *App) intakeAuthorized(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	want := sha256.Sum256([]byte(a.Settings.IntakeToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// postContact is POST /api/v1/contacts.
func (a *App) postContact(w http.ResponseWriter, r *http.Request) {
	if !a.intakeGate(w, r, http.MethodPost) {
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return
	}
	if r.ContentLength > maxIntakeBody {
		writeError(w, http.StatusRequestEntityTooLarge, "the body is over 256 KiB")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxIntakeBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "the body is over 256 KiB")
			return
		}
		a.writeErr(w, sfp.Errorf(sfp.EINVALID, "the body could not be read"), "reading a contact")
		return
	}
	in, verr := decodeIntake(body, a.Clock.Now(), a.Settings.CallbackAllow)
	if verr != nil {
		a.writeErr(w, verr, "reading a contact")
		return
	}
	// A client that gave up waiting still gets its contact: a repeat with
	// the same source_id finds it.
	id, created, err := a.acceptContact(context.WithoutCancel(r.Context()), in)
	if err != nil {
		a.writeErr(w, err, "storing a contact")
		return
	}
	w.Header().Set("Location", "/api/v1/cases/"+id)
	status := http.StatusAccepted
	if !created {
		status = http.StatusOK
	}
	writeJSON(w, status, contactAnswer{CaseID: id})
}

// sourceKey is the Seen key of a source_id. Source ids are unique per
// intake token, so the token is part of the key; hashed, so that neither
// the token nor a client's id sits in the database in clear.
func sourceKey(token, sourceID string) string {
	h := sha256.New()
	h.Write([]byte(token))
	h.Write([]byte{0})
	h.Write([]byte(sourceID))
	return hex.EncodeToString(h.Sum(nil))
}

// acceptContact turns a contact into a new case, or into a follow-up on
// the case it names, in one transaction with the memory of its source_id:
// a repeat, even concurrent, even after a restart, finds the id and
// changes nothing. created is false for a repeat.
func (a *App) acceptContact(ctx context.Context, in *intakeRequest) (id string, created bool, err error) {
	key := sourceKey(a.Settings.IntakeToken, in.SourceID)
	var triage, reopened bool
	err = a.Store.Batch(ctx, func(tx store.Tx) error {
		id, created, triage, reopened = "", false, false, false
		if seen, ok, err := tx.Seen(store.SeenSourceID, key); err != nil || ok {
			id = seen
			return err
		}
		var c *sfp.Case
		var err error
		if in.CaseID != "" {
			c, reopened, err = a.followUp(tx, in)
		} else {
			c, err = a.createCase(tx, in.asNewCase())
		}
		if err != nil {
			return err
		}
		id, created, triage = c.ID, true, c.Triage
		return tx.Remember(store.SeenSourceID, key, c.ID, a.Clock.Now())
	})
	if err != nil {
		return "", false, err
	}
	switch {
	case !created:
		a.Log.Debug("intake: repeated source_id", "case_id", id)
	case in.CaseID != "":
		a.Log.Info("intake: follow-up", "case_id", id, "reopened", reopened)
		a.notify()
	default:
		a.Log.Info("intake: case created", "case_id", id, "kind", in.Kind, "seller", in.Seller, "triage", triage)
		a.notify()
	}
	return id, created, nil
}

func (in *intakeRequest) asNewCase() newCase {
	nc := newCase{
		Kind: in.Kind, Seller: in.Seller, Marketplace: in.Marketplace, OrderID: in.OrderID,
		ASIN: in.ASIN, SKU: in.SKU, Source: sfp.SourceIntake, SourceID: in.SourceID,
		Customer: in.Customer, Subject: in.Subject, Body: in.Body, CallbackURL: in.CallbackURL,
		SourceName: in.SourceName, ReceivedAt: in.ReceivedAt, Refund: in.Refund, Return: in.Return, By: intakeBy,
	}
	// The refund clock runs from the return reaching the warehouse, not
	// from when sfpdesk heard of it: 2 business days from arrival.
	if in.Return != nil {
		nc.ReceivedAt = in.Return.ReceivedAt
	}
	return nc
}

// followUp records a buyer's new message on an existing case (DESIGN
// §4.8): an answered, no-response-needed or closed case reopens with a
// fresh deadline from the message; an open case keeps its earlier one,
// since Amazon's clock runs from the earliest unanswered message. The
// message follows in the card's thread.
func (a *App) followUp(tx store.Tx, in *intakeRequest) (*sfp.Case, bool, error) {
	c, err := tx.Case(in.CaseID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, sfp.Invalid("case_id", "case_id %s is not an existing case", in.CaseID)
	}
	if err != nil {
		return nil, false, err
	}
	now := a.Clock.Now()
	p := a.prefs(tx, c.Seller)
	c.AddEvent(now, sfp.EventFollowUp, intakeBy, "")
	reopened := c.State != sfp.StateOpen
	if reopened {
		c.State, c.ClosedAt = sfp.StateOpen, nil
		c.AnsweredAt, c.AnsweredBy = nil, ""
		c.ReceivedAt = in.ReceivedAt.In(p.loc)
		due := sfp.DueAfter(c.ReceivedAt, followUpDeadline(a.Settings.SLA, c.Kind), c.Marketplace, p.loc)
		c.DueAt = &due
		if !due.After(now) {
			c.Breached = true
		}
		c.AddEvent(now, sfp.EventReopened, intakeBy, "follow-up")
	}
	// A case that came from Slack gains the integration's callback, so
	// that the answer to this message reaches the buyer too.
	if c.CallbackURL == "" {
		c.CallbackURL, c.SourceName = in.CallbackURL, in.SourceName
	}
	if c.Card.Channel != "" {
		if err := enqueueReply(tx, c, c.Card, followUpMessage(c, in, p.lang, reopened), now); err != nil {
			return nil, false, err
		}
	}
	if err := a.refreshCard(tx, c); err != nil {
		return nil, false, err
	}
	if err := tx.PutCase(c); err != nil {
		return nil, false, err
	}
	if err := a.schedule(tx, c); err != nil {
		return nil, false, err
	}
	return c, reopened, nil
}

// followUpDeadline is the clock of a buyer's follow-up: Amazon's clock for
// buyer messages, in calendar time. A question keeps its kind's deadline;
// a refund or a return the buyer writes about runs as an order question.
func followUpDeadline(sla sfp.SLA, k sfp.Kind) sfp.Duration {
	if k.IsQuestion() {
		if d, ok := sla.For(k); ok && !d.IsBusiness() {
			return d
		}
	}
	if d, ok := sla.For(sfp.KindOrderQuestion); ok && !d.IsBusiness() {
		return d
	}
	return sfp.Duration{N: 24, Unit: sfp.Hours}
}

// followUpMessage shows the buyer's new message in the card's thread:
// their first name at most, the words escaped once, in full.
func followUpMessage(c *sfp.Case, in *intakeRequest, lang string, reopened bool) bot.Message {
	who := bot.T(lang, "intake.the_buyer")
	name := in.Customer.Name
	if name == "" {
		name = c.Customer.Name
	}
	if first := bot.FirstName(name); first != "" {
		who = bot.Escape(first)
	}
	head := bot.T(lang, "intake.follow_up", who)
	lines := []string{head}
	known := prompts.KnownPII{Name: name}
	subject, body := prompts.Mask(in.Subject, known), prompts.Mask(in.Body, known)
	if subject != "" {
		lines = append(lines, "*"+bot.EscapeCut(subject, maxSubject)+"*")
	}
	for _, part := range quoteParts(body, bot.MaxSectionText-100) {
		lines = append(lines, bot.Quote(part, bot.MaxSectionText-100))
	}
	if reopened && c.DueAt != nil {
		lines = append(lines, bot.T(lang, "intake.follow_up.reopened", bot.DateTag(*c.DueAt, lang)))
	}
	text := head
	if body != "" {
		text += "\n" + bot.EscapeCut(body, bot.MaxFallbackText-len(head)-1)
	}
	return bot.Message{Text: text, Blocks: bot.Sections(lines)}
}

// getCase is GET /api/v1/cases/{id}.
func (a *App) getCase(w http.ResponseWriter, r *http.Request) {
	if !a.intakeGate(w, r, http.MethodGet) {
		return
	}
	id := r.PathValue("id")
	var view caseJSON
	err := a.Store.View(r.Context(), func(tx store.Tx) error {
		c, err := loadCase(tx, id)
		if err != nil {
			return err
		}
		view = newCaseJSON(c, a.prefs(tx, c.Seller).loc, a.Clock.Now())
		return nil
	})
	if sfp.ErrorCode(err) == sfp.ENOTFOUND {
		// The message names the id as asked, cut: it is the client's own
		// input, but an answer has no reason to be long.
		err = sfp.Errorf(sfp.ENOTFOUND, "no case %s", bot.Cut(id, 40))
	}
	if err != nil {
		a.writeErr(w, err, "reading a case")
		return
	}
	writeJSON(w, http.StatusOK, view)
}

// quoteParts cuts s into parts whose quotes fit in max characters once
// escaped (Quote adds "> " to each line), at a space or a line break where
// it can, so that nothing of a long message is lost to a cut.
func quoteParts(s string, max int) []string {
	cost := func(r rune) int {
		switch r {
		case '&':
			return len("&amp;")
		case '<', '>':
			return len("&lt;")
		case '\n':
			return 1 + len("> ")
		}
		return 1
	}
	budget := max - len("> ")
	var parts []string
	rs := []rune(strings.TrimSpace(s))
	for len(rs) > 0 {
		n, used, lastBreak := 0, 0, -1
		for n < len(rs) && used+cost(rs[n]) <= budget {
			used += cost(rs[n])
			if rs[n] == ' ' || rs[n] == '\n' {
				lastBreak = n
			}
			n++
		}
		if n < len(rs) && lastBreak > n/2 {
			n = lastBreak
		}
		if part := strings.TrimSpace(string(rs[:n])); part != "" {
			parts = append(parts, part)
		}
		rs = rs[n:]
	}
	return parts
}
