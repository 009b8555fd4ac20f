package handlers

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

const (
	testIntakeToken = "test-intake-token"
	acmeChannel     = "C0ACME"
	britChannel     = "C0BRIT"
	triageChannel   = "C0TRIAGE"
	testOrder       = "171-1234567-7654321"
)

// intakeT0 is a Monday, 11:00 in Paris.
var intakeT0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

var paris, london = mustZone("Europe/Paris"), mustZone("Europe/London")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// intakeEnv is the intake API on a real bbolt file and a fake clock, with
// two routed sellers: acme (amazon.fr, the deployment's Paris zone) and
// brit (amazon.co.uk, London).
type intakeEnv struct {
	t     *testing.T
	path  string
	db    *bolt.DB
	clock *sfp.FakeClock
	app   *App
	mux   *http.ServeMux
}

func newIntakeEnv(t *testing.T) *intakeEnv {
	t.Helper()
	e := &intakeEnv{t: t, path: filepath.Join(t.TempDir(), "sfpdesk.db"), clock: sfp.NewFakeClock(intakeT0)}
	e.open(testIntakeToken, nil)
	t.Cleanup(func() { e.close() })
	err := e.db.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.PutSeller(&sfp.Seller{Name: "acme", Lang: bot.LangEN, Routes: []sfp.Route{{Seller: "acme", Channel: acmeChannel}}}); err != nil {
			return err
		}
		return tx.PutSeller(&sfp.Seller{Name: "brit", Lang: bot.LangEN, TimeZone: "Europe/London",
			Routes: []sfp.Route{{Seller: "brit", Marketplace: "amazon.co.uk", Channel: britChannel}}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *intakeEnv) open(token string, opts *bolt.Options) {
	e.t.Helper()
	if err := e.openApp(token, opts); err != nil {
		e.t.Fatal(err)
	}
}

func (e *intakeEnv) openApp(token string, opts *bolt.Options) error {
	db, err := bolt.Open(e.path, opts)
	if err != nil {
		return err
	}
	e.db = db
	e.app = &App{
		Store: db, Clock: e.clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Settings: Settings{
			TriageChannel: triageChannel, Lang: bot.LangEN, Location: paris, SLA: sfp.DefaultSLA(),
			IntakeToken: token, CallbackAllow: []string{"127.0.0.1", "helpdesk.internal"},
		},
	}
	e.mux = http.NewServeMux()
	e.app.RegisterIntake(e.mux)
	return nil
}

// blockText gathers the text of a message's blocks, decoded.
func blockText(raw json.RawMessage) string {
	var v any
	json.Unmarshal(raw, &v)
	var parts []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s, ok := x[k].(string); ok && k == "text" {
					parts = append(parts, s)
				} else {
					walk(x[k])
				}
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	return strings.Join(parts, "\n")
}

func utcOffset(t *time.Time) int {
	if t == nil {
		return -1
	}
	_, off := t.Zone()
	return off
}

func (e *intakeEnv) close() {
	if e.db == nil {
		return
	}
	e.app.Close()
	if err := e.db.Check(); err != nil && !errors.Is(err, store.ErrClosed) {
		e.t.Errorf("database check: %v", err)
	}
	e.db.Close()
	e.db = nil
}

// restart closes the file and opens it again, as a new process would.
func (e *intakeEnv) restart(token string) {
	e.close()
	e.open(token, nil)
}

func (e *intakeEnv) request(method, target, auth, ctype string, body []byte) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, bytes.NewReader(body))
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	if ctype != "" {
		r.Header.Set("Content-Type", ctype)
	}
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r)
	return w
}

// post sends a contact with the right token; body is a map or raw JSON.
func (e *intakeEnv) post(body any) *httptest.ResponseRecorder {
	e.t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			e.t.Fatal(err)
		}
	}
	return e.request(http.MethodPost, "/api/v1/contacts", "Bearer "+testIntakeToken, "application/json", raw)
}

// accept posts a contact that must be taken, and returns its case id.
func (e *intakeEnv) accept(body any, status int) string {
	e.t.Helper()
	w := e.post(body)
	if w.Code != status {
		e.t.Fatalf("POST = %d %s, want %d", w.Code, w.Body, status)
	}
	var a struct {
		CaseID string `json:"case_id"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &a); err != nil || a.CaseID == "" {
		e.t.Fatalf("answer %s: %v", w.Body, err)
	}
	if loc := w.Header().Get("Location"); loc != "/api/v1/cases/"+a.CaseID {
		e.t.Errorf("Location = %q", loc)
	}
	return a.CaseID
}

func (e *intakeEnv) getCase(id string) (int, map[string]any) {
	e.t.Helper()
	w := e.request(http.MethodGet, "/api/v1/cases/"+id, "Bearer "+testIntakeToken, "", nil)
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		e.t.Fatalf("GET %s: %s is not JSON: %v", id, w.Body, err)
	}
	return w.Code, m
}

func (e *intakeEnv) caseOf(id string) *sfp.Case {
	e.t.Helper()
	var c *sfp.Case
	err := e.db.View(context.Background(), func(tx store.Tx) error {
		var err error
		c, err = tx.Case(id)
		return err
	})
	if err != nil {
		e.t.Fatalf("case %s: %v", id, err)
	}
	return c
}

func (e *intakeEnv) caseIDs() []string {
	e.t.Helper()
	var ids []string
	err := e.db.View(context.Background(), func(tx store.Tx) error {
		return tx.ForEachCase(func(c *sfp.Case) bool { ids = append(ids, c.ID); return true })
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func (e *intakeEnv) pending(channel string) []*store.OutboxMessage {
	e.t.Helper()
	var msgs []*store.OutboxMessage
	err := e.db.View(context.Background(), func(tx store.Tx) error {
		var err error
		msgs, err = tx.Pending(channel, 100)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return msgs
}

// update changes a stored case, as another part of the bot would.
func (e *intakeEnv) update(id string, change func(tx store.Tx, c *sfp.Case) error) {
	e.t.Helper()
	err := e.db.Update(context.Background(), func(tx store.Tx) error {
		c, err := tx.Case(id)
		if err != nil {
			return err
		}
		if err := change(tx, c); err != nil {
			return err
		}
		return tx.PutCase(c)
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// contactBody is a valid contact of kind k from acme, written at intakeT0.
func contactBody(k sfp.Kind) map[string]any {
	m := map[string]any{
		"source_id": "hd-" + string(k), "kind": string(k), "seller": "acme",
		"body": "Bonjour, où en est ma commande ?", "received_at": "2026-11-02T11:00:00+01:00",
	}
	switch k {
	case sfp.KindOrderQuestion, sfp.KindReturnRequested, sfp.KindAToZClaim:
		m["order_id"] = testOrder
	case sfp.KindRefundNotice:
		m["order_id"] = testOrder
		m["refund"] = map[string]any{"amount": "39,90", "currency": "EUR", "reason": "late_delivery"}
	case sfp.KindReturnReceived:
		m["order_id"] = testOrder
		delete(m, "body")
		m["return"] = map[string]any{"received_at": "2026-11-02T09:30:00+01:00"}
	}
	return m
}

// absent removes a field in with.
type absentField struct{}

var absent = absentField{}

// with returns a deep copy of m with the dotted path set to v (or removed
// when v is absent). A json.RawMessage is put in as it is.
func with(m map[string]any, path string, v any) map[string]any {
	var cp map[string]any
	b, _ := json.Marshal(m)
	_ = json.Unmarshal(b, &cp)
	cur := cp
	parts := strings.Split(path, ".")
	for _, p := range parts[:len(parts)-1] {
		next, ok := cur[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[p] = next
		}
		cur = next
	}
	last := parts[len(parts)-1]
	if _, ok := v.(absentField); ok {
		delete(cur, last)
	} else {
		cur[last] = v
	}
	return cp
}

func TestIntakeFieldValidation(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	tests := []struct {
		name  string
		kind  sfp.Kind
		path  string
		value any
		field string // "" when the contact must be taken
	}{
		{"source id missing", sfp.KindProductQuestion, "source_id", absent, "source_id"},
		{"source id empty", sfp.KindProductQuestion, "source_id", "", "source_id"},
		{"source id of 200 characters", sfp.KindProductQuestion, "source_id", long(200), ""},
		{"source id of 201 characters", sfp.KindProductQuestion, "source_id", long(201), "source_id"},
		{"source id a number", sfp.KindProductQuestion, "source_id", 42, "source_id"},
		{"kind missing", sfp.KindProductQuestion, "kind", absent, "kind"},
		{"kind unknown", sfp.KindProductQuestion, "kind", "complaint", "kind"},
		{"kind in capitals", sfp.KindProductQuestion, "kind", "PRODUCT_QUESTION", "kind"},
		{"seller missing", sfp.KindProductQuestion, "seller", absent, "seller"},
		{"seller in capitals", sfp.KindProductQuestion, "seller", "ACME", ""},
		{"seller with a space", sfp.KindProductQuestion, "seller", "acme shop", "seller"},
		{"seller of 65 characters", sfp.KindProductQuestion, "seller", "a" + strings.Repeat("b", 64), "seller"},
		{"seller starting with a dash", sfp.KindProductQuestion, "seller", "-acme", "seller"},
		{"marketplace unknown", sfp.KindProductQuestion, "marketplace", "amazon.xx", "marketplace"},
		{"marketplace amazon.com.be", sfp.KindProductQuestion, "marketplace", "amazon.com.be", ""},
		{"marketplace an object", sfp.KindProductQuestion, "marketplace", map[string]any{}, "marketplace"},
		{"order id missing on an order question", sfp.KindOrderQuestion, "order_id", absent, "order_id"},
		{"order id missing on a refund notice", sfp.KindRefundNotice, "order_id", absent, "order_id"},
		{"order id missing on a return", sfp.KindReturnReceived, "order_id", absent, "order_id"},
		{"order id optional on a product question", sfp.KindProductQuestion, "order_id", absent, ""},
		{"order id with short groups", sfp.KindOrderQuestion, "order_id", "171-123-7654321", "order_id"},
		{"order id with letters", sfp.KindProductQuestion, "order_id", "171-12345X7-7654321", "order_id"},
		{"asin valid", sfp.KindProductQuestion, "asin", "B08N5WRWNW", ""},
		{"asin in lower case", sfp.KindProductQuestion, "asin", "b08n5wrwnw", "asin"},
		{"asin of 9 characters", sfp.KindProductQuestion, "asin", "B08N5WRWN", "asin"},
		{"sku of 64 characters", sfp.KindProductQuestion, "sku", strings.Repeat("x", 64), ""},
		{"sku of 65 characters", sfp.KindProductQuestion, "sku", strings.Repeat("x", 65), "sku"},
		{"customer not an object", sfp.KindProductQuestion, "customer", "Marie", "customer.name"},
		{"customer a number", sfp.KindProductQuestion, "customer", 7, "customer.name"},
		{"customer name of 201 characters", sfp.KindProductQuestion, "customer.name", long(201), "customer.name"},
		{"customer language in capitals", sfp.KindProductQuestion, "customer.language", "DE", ""},
		{"customer language of three letters", sfp.KindProductQuestion, "customer.language", "fra", "customer.language"},
		{"customer language not ISO 639-1", sfp.KindProductQuestion, "customer.language", "xq", "customer.language"},
		{"subject of 251 characters", sfp.KindProductQuestion, "subject", long(251), "subject"},
		{"body missing on a question", sfp.KindPreOrderQuestion, "body", absent, "body"},
		{"body missing on a refund notice", sfp.KindRefundNotice, "body", absent, "body"},
		{"body of blanks", sfp.KindCSContact, "body", " \n\t ", "body"},
		{"body optional on a return", sfp.KindReturnReceived, "body", absent, ""},
		{"body of 20000 characters", sfp.KindProductQuestion, "body", long(20000), ""},
		{"body of 20001 characters", sfp.KindProductQuestion, "body", long(20001), "body"},
		{"received at without a zone", sfp.KindProductQuestion, "received_at", "2026-11-02T10:00:00", "received_at"},
		{"received at as a date", sfp.KindProductQuestion, "received_at", "2026-11-02", "received_at"},
		{"received at 4 minutes ahead", sfp.KindProductQuestion, "received_at", "2026-11-02T10:04:00Z", ""},
		{"received at 6 minutes ahead", sfp.KindProductQuestion, "received_at", "2026-11-02T10:06:00Z", "received_at"},
		{"received at long ago, already late", sfp.KindProductQuestion, "received_at", "2026-10-01T08:00:00+02:00", ""},
		{"received at last century", sfp.KindProductQuestion, "received_at", "1999-12-31T23:00:00Z", ""},
		{"source id of blanks", sfp.KindProductQuestion, "source_id", "   ", "source_id"},
		{"seller with a trailing newline", sfp.KindProductQuestion, "seller", "acme\n", "seller"},
		{"seller with a leading blank", sfp.KindProductQuestion, "seller", " acme", "seller"},
		{"a NUL in the body", sfp.KindProductQuestion, "body", "Bonjour\x00", "body"},
		{"a NUL in the source id", sfp.KindProductQuestion, "source_id", "a\x00b", "source_id"},
		{"a typed replacement character is text", sfp.KindProductQuestion, "body", "Caf\uFFFD ?", ""},
		{"received at a unix time", sfp.KindProductQuestion, "received_at", 1793613600, "received_at"},
		{"callback over https", sfp.KindProductQuestion, "callback_url", "https://helpdesk.example/sfpdesk?key=1", ""},
		{"callback over http", sfp.KindProductQuestion, "callback_url", "http://helpdesk.example/sfpdesk", "callback_url"},
		{"callback over http to an allowed host", sfp.KindProductQuestion, "callback_url", "http://helpdesk.internal:8080/cb", ""},
		{"callback over ftp", sfp.KindProductQuestion, "callback_url", "ftp://helpdesk.example/", "callback_url"},
		{"callback not absolute", sfp.KindProductQuestion, "callback_url", "/sfpdesk", "callback_url"},
		{"callback to a private address", sfp.KindProductQuestion, "callback_url", "https://10.0.0.7/cb", "callback_url"},
		{"callback to the metadata service", sfp.KindProductQuestion, "callback_url", "https://169.254.169.254/latest", "callback_url"},
		{"callback to the IPv6 loopback", sfp.KindProductQuestion, "callback_url", "https://[::1]:8443/cb", "callback_url"},
		{"callback to localhost", sfp.KindProductQuestion, "callback_url", "https://localhost/cb", "callback_url"},
		{"callback to an allowed loopback", sfp.KindProductQuestion, "callback_url", "http://127.0.0.1:9000/cb", ""},
		{"callback to a loopback not allowed, short", sfp.KindProductQuestion, "callback_url", "https://127.2/cb", "callback_url"},
		{"callback to the loopback, one decimal number", sfp.KindProductQuestion, "callback_url", "https://2130706434/cb", "callback_url"},
		{"callback to the loopback, hexadecimal", sfp.KindProductQuestion, "callback_url", "https://0x7f000002/cb", "callback_url"},
		{"callback to the loopback, octal", sfp.KindProductQuestion, "callback_url", "https://017700000002/cb", "callback_url"},
		{"callback to the loopback, trailing dot", sfp.KindProductQuestion, "callback_url", "https://127.0.0.2./cb", "callback_url"},
		{"callback to the loopback, IPv4-compatible IPv6", sfp.KindProductQuestion, "callback_url", "https://[::127.0.0.2]/cb", "callback_url"},
		{"callback to the loopback, IPv4-mapped IPv6 in hex", sfp.KindProductQuestion, "callback_url", "https://[::ffff:7f00:2]/cb", "callback_url"},
		{"callback to a private address in one number", sfp.KindProductQuestion, "callback_url", "https://167772161/cb", "callback_url"},
		{"callback to the metadata service in hexadecimal parts", sfp.KindProductQuestion, "callback_url", "https://0xa9.0xfe.0xa9.0xfe/cb", "callback_url"},
		{"callback to a number that is no address", sfp.KindProductQuestion, "callback_url", "https://1.2.3.256/cb", "callback_url"},
		{"callback to a public address in one number", sfp.KindProductQuestion, "callback_url", "https://134744072/cb", ""},
		{"source name of 100 characters", sfp.KindProductQuestion, "source_name", long(100), ""},
		{"source name of 101 characters", sfp.KindProductQuestion, "source_name", long(101), "source_name"},
		{"source name a number", sfp.KindProductQuestion, "source_name", 7, "source_name"},
		{"refund amount missing", sfp.KindRefundNotice, "refund.amount", absent, "refund.amount"},
		{"refund missing altogether", sfp.KindRefundNotice, "refund", absent, "refund.amount"},
		{"refund amount a JSON number", sfp.KindRefundNotice, "refund.amount", 39.9, "refund.amount"},
		{"refund amount an integer", sfp.KindRefundNotice, "refund.amount", 40, "refund.amount"},
		{"refund amount with a point", sfp.KindRefundNotice, "refund.amount", "39.90", ""},
		{"refund amount with one decimal", sfp.KindRefundNotice, "refund.amount", "39,9", ""},
		{"refund amount of 7 digits", sfp.KindRefundNotice, "refund.amount", "1234567.89", ""},
		{"refund amount of 8 digits", sfp.KindRefundNotice, "refund.amount", "12345678", "refund.amount"},
		{"refund amount of 3 decimals", sfp.KindRefundNotice, "refund.amount", "39.999", "refund.amount"},
		{"refund amount zero", sfp.KindRefundNotice, "refund.amount", "0,00", "refund.amount"},
		{"refund amount negative", sfp.KindRefundNotice, "refund.amount", "-5", "refund.amount"},
		{"refund amount with a currency sign", sfp.KindRefundNotice, "refund.amount", "39,90 €", "refund.amount"},
		{"refund not an object", sfp.KindRefundNotice, "refund", []any{"39.90"}, "refund.amount"},
		{"refund a string on a question", sfp.KindProductQuestion, "refund", "39.90", "refund.amount"},
		{"return not an object", sfp.KindReturnReceived, "return", true, "return.received_at"},
		{"refund currency missing", sfp.KindRefundNotice, "refund.currency", absent, "refund.currency"},
		{"refund currency in lower case", sfp.KindRefundNotice, "refund.currency", "gbp", ""},
		{"refund currency made up", sfp.KindRefundNotice, "refund.currency", "EUX", "refund.currency"},
		{"refund currency without cents", sfp.KindRefundNotice, "refund.currency", "JPY", "refund.currency"},
		{"refund reason missing", sfp.KindRefundNotice, "refund.reason", absent, "refund.reason"},
		{"refund reason unknown", sfp.KindRefundNotice, "refund.reason", "changed_mind", "refund.reason"},
		{"refund reason late return authorised", sfp.KindRefundNotice, "refund.reason", "late_return_authorised", ""},
		{"refunded by the seller", sfp.KindRefundNotice, "refund.refunded_by", "seller", ""},
		{"refunded by someone else", sfp.KindRefundNotice, "refund.refunded_by", "carrier", "refund.refunded_by"},
		{"returnless as a string", sfp.KindRefundNotice, "refund.returnless", "true", "refund.returnless"},
		{"outside return window as a number", sfp.KindRefundNotice, "refund.outside_return_window", 1, "refund.outside_return_window"},
		{"a-to-z claim as a string", sfp.KindRefundNotice, "refund.a_to_z_claim", "no", "refund.a_to_z_claim"},
		{"refund note of 2000 characters", sfp.KindRefundNotice, "refund.note", long(2000), ""},
		{"refund note of 2001 characters", sfp.KindRefundNotice, "refund.note", long(2001), "refund.note"},
		{"refund fields checked on another kind too", sfp.KindOrderQuestion, "refund.amount", 12, "refund.amount"},
		{"return arrival missing", sfp.KindReturnReceived, "return.received_at", absent, "return.received_at"},
		{"return missing altogether", sfp.KindReturnReceived, "return", absent, "return.received_at"},
		{"return arrival not a time", sfp.KindReturnReceived, "return.received_at", "yesterday", "return.received_at"},
		{"return arrival tomorrow", sfp.KindReturnReceived, "return.received_at", "2026-11-03T10:00:00Z", "return.received_at"},
		{"return tracking of 65 characters", sfp.KindReturnReceived, "return.tracking", strings.Repeat("1", 65), "return.tracking"},
		{"return carrier of 65 characters", sfp.KindReturnReceived, "return.carrier", strings.Repeat("c", 65), "return.carrier"},
		{"return carrier of 64 characters", sfp.KindReturnReceived, "return.carrier", strings.Repeat("c", 64), ""},
		{"case id without prefix", sfp.KindProductQuestion, "case_id", "1001", "case_id"},
		{"case id with letters", sfp.KindProductQuestion, "case_id", "SFP-abc", "case_id"},
		{"case id of no case", sfp.KindProductQuestion, "case_id", "SFP-9999", "case_id"},
		{"an unknown field", sfp.KindProductQuestion, "priority", "high", ""},
		{"a null optional field", sfp.KindProductQuestion, "subject", nil, ""},
		{"a null required field", sfp.KindProductQuestion, "seller", nil, "seller"},
	}
	e := newIntakeEnv(t)
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := with(with(contactBody(tc.kind), "source_id", fmt.Sprintf("row-%d", i)), tc.path, tc.value)
			w := e.post(body)
			if tc.field == "" {
				if w.Code != http.StatusAccepted {
					t.Fatalf("status %d %s, want 202", w.Code, w.Body)
				}
				return
			}
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d %s, want 400", w.Code, w.Body)
			}
			var got map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got["field"] != tc.field || got["error"] == "" || len(got) != 2 {
				t.Errorf("answer %v, want field %q and a message", got, tc.field)
			}
		})
	}
}

func TestIntakeNamesTheFirstBadFieldInTheContractsOrder(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"case id before source id in the JSON",
			`{"case_id":"nope","seller":"acme","kind":"cs_contact","body":"x"}`, "source_id"},
		{"refund amount as a number and a bad seller",
			`{"refund":{"amount":39.9},"seller":"Acme Inc","kind":"refund_notice","source_id":"a"}`, "seller"},
		{"bad currency and bad amount",
			`{"source_id":"a","kind":"refund_notice","seller":"acme","order_id":"171-1234567-7654321","body":"x","refund":{"currency":"euro","amount":"-1"}}`, "refund.amount"},
		{"callback before refund",
			`{"refund":{"amount":"1"},"callback_url":"http://x.example","source_id":"a","kind":"refund_notice","seller":"acme","order_id":"171-1234567-7654321","body":"x"}`, "callback_url"},
		{"not JSON", `{"source_id":`, ""},
		{"an array", `[{"source_id":"a"}]`, ""},
		{"null", `null`, ""},
		{"trailing garbage", `{"source_id":"a"} {}`, ""},
		{"empty", ``, ""},
	}
	e := newIntakeEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.post([]byte(tc.body))
			var got map[string]any
			json.Unmarshal(w.Body.Bytes(), &got)
			if w.Code != http.StatusBadRequest || got["field"] != tc.field {
				t.Errorf("status %d, body %s; want 400 naming %q", w.Code, w.Body, tc.field)
			}
		})
	}
}

func TestIntakeChecksInTheContractsOrder(t *testing.T) {
	valid, _ := json.Marshal(contactBody(sfp.KindProductQuestion))
	huge := bytes.Repeat([]byte("x"), maxIntakeBody+1)
	bearer := "Bearer " + testIntakeToken
	tests := []struct {
		name        string
		token       string // the deployment's
		method      string
		auth, ctype string
		body        []byte
		want        int
	}{
		{"intake off answers nothing else", "", "POST", "Bearer whatever", "text/plain", huge, 404},
		{"intake off, even with the old token", "", "POST", bearer, "application/json", valid, 404},
		{"no token", testIntakeToken, "POST", "", "text/plain", huge, 401},
		{"a wrong token", testIntakeToken, "POST", "Bearer not-the-token", "text/plain", huge, 401},
		{"the token as a prefix", testIntakeToken, "POST", bearer + "x", "application/json", valid, 401},
		{"basic auth", testIntakeToken, "POST", "Basic " + testIntakeToken, "application/json", valid, 401},
		{"the scheme in lower case", testIntakeToken, "POST", "bearer " + testIntakeToken, "application/json", valid, 202},
		{"no content type", testIntakeToken, "POST", bearer, "", huge, 415},
		{"a form", testIntakeToken, "POST", bearer, "application/x-www-form-urlencoded", huge, 415},
		{"JSON with a charset", testIntakeToken, "POST", bearer, "application/json; charset=utf-8", valid, 202},
		{"too big before being read", testIntakeToken, "POST", bearer, "application/json", huge, 413},
		{"then validation", testIntakeToken, "POST", bearer, "application/json", []byte(`{}`), 400},
		{"another method", testIntakeToken, "GET", bearer, "", nil, 405},
		{"another method without a token", testIntakeToken, "DELETE", "", "", nil, 401},
		{"another method with a wrong token", testIntakeToken, "PUT", "Bearer nope", "text/plain", huge, 401},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newIntakeEnv(t)
			if tc.token != testIntakeToken {
				e.restart(tc.token)
			}
			body := tc.body
			if bytes.Equal(body, valid) {
				body, _ = json.Marshal(with(contactBody(sfp.KindProductQuestion), "source_id", strconv.Itoa(i)))
			}
			w := e.request(tc.method, "/api/v1/contacts", tc.auth, tc.ctype, body)
			if w.Code != tc.want {
				t.Errorf("status %d %s, want %d", w.Code, w.Body, tc.want)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if tc.want != 202 && len(e.caseIDs()) != 0 {
				t.Errorf("a refused request created %v", e.caseIDs())
			}
		})
	}
}

func TestIntakeBodyLimitIs256KiB(t *testing.T) {
	e := newIntakeEnv(t)
	at := func(size int, sourceID string) []byte {
		b, _ := json.Marshal(with(contactBody(sfp.KindProductQuestion), "source_id", sourceID))
		return append(b, bytes.Repeat([]byte(" "), size-len(b))...)
	}
	if w := e.post(at(maxIntakeBody, "exactly")); w.Code != http.StatusAccepted {
		t.Errorf("exactly 256 KiB: %d %s", w.Code, w.Body)
	}
	if w := e.post(at(maxIntakeBody+1, "over")); w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("256 KiB and a byte: %d", w.Code)
	}
	// Sent in chunks, with no length announced: cut while reading.
	r := httptest.NewRequest(http.MethodPost, "/api/v1/contacts", io.MultiReader(bytes.NewReader(at(maxIntakeBody+1, "chunked"))))
	r.ContentLength = -1
	r.Header.Set("Authorization", "Bearer "+testIntakeToken)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	e.mux.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("chunked, over the limit: %d", w.Code)
	}
	if ids := e.caseIDs(); len(ids) != 1 {
		t.Errorf("cases = %v, want only the one of exactly 256 KiB", ids)
	}
}

func TestIntakeRepeatAcrossARestartChangesNothing(t *testing.T) {
	e := newIntakeEnv(t)
	first := contactBody(sfp.KindProductQuestion)
	id := e.accept(first, http.StatusAccepted)
	before := e.caseOf(id)
	cards := len(e.pending(acmeChannel))

	e.restart(testIntakeToken)
	other := with(with(first, "body", "Something else entirely"), "seller", "brit")
	if got := e.accept(other, http.StatusOK); got != id {
		t.Errorf("repeat answered %s, want %s", got, id)
	}
	if diff := cmp.Diff(before, e.caseOf(id)); diff != "" {
		t.Errorf("a repeat changed the case (-before +after):\n%s", diff)
	}
	if ids := e.caseIDs(); len(ids) != 1 {
		t.Errorf("cases = %v", ids)
	}
	if n := len(e.pending(acmeChannel)) + len(e.pending(britChannel)); n != cards {
		t.Errorf("a repeat queued messages: %d, want %d", n, cards)
	}
}

func TestIntakeSourceIDsAreUniquePerToken(t *testing.T) {
	e := newIntakeEnv(t)
	body := contactBody(sfp.KindProductQuestion)
	first := e.accept(body, http.StatusAccepted)
	// A new token is a new integration: its ids are its own.
	e.restart("rotated-token")
	raw, _ := json.Marshal(body)
	w := e.request(http.MethodPost, "/api/v1/contacts", "Bearer rotated-token", "application/json", raw)
	if w.Code != http.StatusAccepted || strings.Contains(w.Body.String(), first) {
		t.Errorf("same source_id under another token: %d %s, want a new case", w.Code, w.Body)
	}
}

func TestIntakeConcurrentRepeatsMakeOneCase(t *testing.T) {
	e := newIntakeEnv(t)
	body, _ := json.Marshal(contactBody(sfp.KindOrderQuestion))
	const n = 50
	codes := make([]int, n)
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := e.post(body)
			codes[i] = w.Code
			var a contactAnswer
			json.Unmarshal(w.Body.Bytes(), &a)
			ids[i] = a.CaseID
		}()
	}
	wg.Wait()
	count := map[int]int{}
	for i := range n {
		count[codes[i]]++
		if ids[i] != ids[0] || ids[i] == "" {
			t.Errorf("answer %d named %q, others %q", i, ids[i], ids[0])
		}
	}
	if count[202] != 1 || count[200] != n-1 {
		t.Errorf("statuses %v, want one 202 and %d 200", count, n-1)
	}
	if got := e.caseIDs(); len(got) != 1 {
		t.Errorf("cases = %v, want one", got)
	}
	if cards := e.pending(acmeChannel); len(cards) != 1 {
		t.Errorf("%d cards queued, want 1", len(cards))
	}
}

func TestIntakeCaseGetsTheSlackCard(t *testing.T) {
	e := newIntakeEnv(t)
	body := with(with(with(contactBody(sfp.KindOrderQuestion), "customer", map[string]any{"name": "Marie Dupont", "language": "fr"}),
		"callback_url", "https://helpdesk.example/sfpdesk"), "body", "Où est mon colis <!channel> ?")
	id := e.accept(body, http.StatusAccepted)
	c := e.caseOf(id)
	due := time.Date(2026, 11, 3, 11, 0, 0, 0, paris)
	if c.Source != sfp.SourceIntake || c.SourceID != "hd-order_question" || c.Channel != acmeChannel || c.Triage ||
		c.DueAt == nil || !c.DueAt.Equal(due) || utcOffset(c.DueAt) != 3600 ||
		c.Customer.Name != "Marie Dupont" || c.CallbackURL != "https://helpdesk.example/sfpdesk" {
		t.Errorf("case = %+v", c)
	}
	cards := e.pending(acmeChannel)
	if len(cards) != 1 || cards[0].CaseID != id || c.Card.OutboxID != cards[0].ID {
		t.Fatalf("cards = %+v", cards)
	}
	blocks := blockText(cards[0].Blocks)
	for _, want := range []string{"Marie · via the intake API", "helpdesk.example", "&lt;!channel&gt;"} {
		if !strings.Contains(blocks, want) {
			t.Errorf("card lacks %q: %s", want, blocks)
		}
	}
	if strings.Contains(blocks, "Dupont") || strings.Contains(blocks, "<!channel>") {
		t.Errorf("card shows more than the buyer's first name, or raw mrkdwn: %s", blocks)
	}
}

// TestIntakeCardNamesTheIntegration: the card says where a reply goes in
// the integration's own name, else by its host without the port.
func TestIntakeCardNamesTheIntegration(t *testing.T) {
	e := newIntakeEnv(t)
	for _, tc := range []struct {
		source, name string
		want, not    string
	}{
		{"hd-named", "Zendesk", "goes back to Zendesk", "helpdesk.internal"},
		{"hd-unnamed", "", "goes back to helpdesk.internal.", ":8080"},
	} {
		body := with(with(contactBody(sfp.KindProductQuestion), "source_id", tc.source), "callback_url", "http://helpdesk.internal:8080/cb")
		if tc.name != "" {
			body = with(body, "source_name", tc.name)
		}
		id := e.accept(body, http.StatusAccepted)
		var card string
		for _, m := range e.pending(acmeChannel) {
			if m.CaseID == id {
				card = blockText(m.Blocks)
			}
		}
		if !strings.Contains(card, tc.want) || strings.Contains(card, tc.not) {
			t.Errorf("%s: card wants %q and not %q: %s", tc.source, tc.want, tc.not, card)
		}
	}
}

func TestIntakeUnknownSellerGoesToTriage(t *testing.T) {
	e := newIntakeEnv(t)
	id := e.accept(with(contactBody(sfp.KindCSContact), "seller", "newco"), http.StatusAccepted)
	c := e.caseOf(id)
	if c.Channel != triageChannel || !c.Triage || c.Seller != "newco" {
		t.Errorf("case = %+v, want newco in triage", c)
	}
	if cards := e.pending(triageChannel); len(cards) != 1 || !strings.Contains(string(cards[0].Blocks), `"`+bot.ActionRoute+`"`) {
		t.Errorf("triage cards = %+v, want one with a route button", cards)
	}
}

func TestIntakeKeepsRefundsAndReturnsWhole(t *testing.T) {
	e := newIntakeEnv(t)
	// Thursday 24 December 2026, 10:30 in Paris.
	e.clock.Set(time.Date(2026, 12, 24, 9, 30, 0, 0, time.UTC))
	refund := with(with(contactBody(sfp.KindRefundNotice), "received_at", absent), "refund", map[string]any{
		"amount": "39,9", "currency": "eur", "reason": "damaged_in_transit", "refunded_by": "amazon",
		"returnless": true, "outside_return_window": true, "a_to_z_claim": false, "note": "Colis arrivé ouvert",
	})
	id := e.accept(refund, http.StatusAccepted)
	want := &sfp.Refund{
		Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, Reason: "damaged_in_transit", RefundedBy: "amazon",
		Returnless: true, OutsideReturnWindow: true, Note: "Colis arrivé ouvert",
	}
	c := e.caseOf(id)
	if diff := cmp.Diff(want, c.Refund); diff != "" || c.DueAt != nil || c.Return != nil {
		t.Errorf("refund notice (-want +got):\n%s\ndue %v, return %v", diff, c.DueAt, c.Return)
	}

	ret := with(with(contactBody(sfp.KindReturnReceived), "source_id", "ret-fr"), "return", map[string]any{
		"received_at": "2026-12-24T10:00:00+01:00", "tracking": "1Z999AA10123456784", "carrier": "UPS",
	})
	id = e.accept(ret, http.StatusAccepted)
	c = e.caseOf(id)
	wantRet := &sfp.Return{ReceivedAt: time.Date(2026, 12, 24, 9, 0, 0, 0, time.UTC), Tracking: "1Z999AA10123456784", Carrier: "UPS"}
	if !c.Return.ReceivedAt.Equal(wantRet.ReceivedAt) || c.Return.Tracking != wantRet.Tracking || c.Return.Carrier != wantRet.Carrier || c.Refund != nil {
		t.Errorf("return = %+v, refund %+v", c.Return, c.Refund)
	}
	// DESIGN §4.5's worked example, read back through the API.
	if _, got := e.getCase(id); got["due_at"] != "2026-12-29T23:59:59+01:00" {
		t.Errorf("amazon.fr return due_at = %v", got["due_at"])
	}
	uk := with(with(with(ret, "source_id", "ret-uk"), "seller", "brit"), "marketplace", "amazon.co.uk")
	id = e.accept(uk, http.StatusAccepted)
	if _, got := e.getCase(id); got["due_at"] != "2026-12-30T23:59:59Z" {
		t.Errorf("amazon.co.uk return due_at = %v", got["due_at"])
	}
	if c := e.caseOf(id); c.Channel != britChannel {
		t.Errorf("brit's co.uk case went to %s", c.Channel)
	}
}

func TestIntakeFollowUp(t *testing.T) {
	tests := []struct {
		name     string
		state    sfp.State
		reopens  bool
		wantDue  time.Time
		wantOpen bool
	}{
		// The first message arrived at 11:00 Paris on 2 November; the
		// follow-up was written at 16:00 Paris the next day.
		{"on an open case, the earlier deadline stays", sfp.StateOpen, false, time.Date(2026, 11, 3, 11, 0, 0, 0, paris), true},
		{"an answered case reopens with a fresh deadline", sfp.StateAnswered, true, time.Date(2026, 11, 4, 16, 0, 0, 0, paris), true},
		{"a no-response-needed case reopens", sfp.StateNoResponseNeeded, true, time.Date(2026, 11, 4, 16, 0, 0, 0, paris), true},
		{"a closed case reopens", sfp.StateClosed, true, time.Date(2026, 11, 4, 16, 0, 0, 0, paris), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newIntakeEnv(t)
			id := e.accept(with(contactBody(sfp.KindOrderQuestion), "customer", map[string]any{"name": "Marie Dupont"}), http.StatusAccepted)
			e.update(id, func(tx store.Tx, c *sfp.Case) error {
				c.Card.TS = "1793613600.000100" // posted
				switch tc.state {
				case sfp.StateAnswered:
					return e.app.answer(tx, c, "U0SELLER", "Votre colis part demain.", nil)
				case sfp.StateClosed:
					closed := intakeT0.Add(time.Hour)
					c.ClosedAt = &closed
				}
				c.State = tc.state
				return nil
			})
			e.clock.Set(time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC))
			before := len(e.pending(acmeChannel))
			follow := map[string]any{
				"source_id": "hd-msg-2", "kind": "order_question", "seller": "acme", "order_id": testOrder,
				"case_id": strings.ToLower(id), "body": "Toujours rien <@U0BOSS> ?", "received_at": "2026-11-03T16:00:00+01:00",
			}
			if got := e.accept(follow, http.StatusAccepted); got != id {
				t.Fatalf("follow-up answered %s, want %s", got, id)
			}
			c := e.caseOf(id)
			if c.State.IsOpen() != tc.wantOpen || c.DueAt == nil || !c.DueAt.Equal(tc.wantDue) || c.AnsweredAt != nil || c.ClosedAt != nil {
				t.Errorf("after the follow-up: state %s, due %v, answered %v, closed %v; want due %s", c.State, c.DueAt, c.AnsweredAt, c.ClosedAt, tc.wantDue)
			}
			var types []string
			for _, ev := range c.Events[len(c.Events)-2:] {
				types = append(types, ev.Type)
			}
			if tc.reopens && !cmp.Equal(types, []string{sfp.EventFollowUp, sfp.EventReopened}) ||
				!tc.reopens && types[1] != sfp.EventFollowUp {
				t.Errorf("last events %v", types)
			}
			msgs := e.pending(acmeChannel)[before:]
			var thread *store.OutboxMessage
			for _, m := range msgs {
				if m.ThreadTS == "1793613600.000100" {
					thread = m
				}
			}
			if thread == nil {
				t.Fatalf("no message in the card's thread among %+v", msgs)
			}
			text := blockText(thread.Blocks)
			if !strings.Contains(text, "*Marie* wrote again") || !strings.Contains(text, "Toujours rien &lt;@U0BOSS&gt;") || strings.Contains(text, "Dupont") {
				t.Errorf("thread message = %s", text)
			}
			if strings.Contains(text, "open again") != tc.reopens {
				t.Errorf("reopening shown = %v, want %v: %s", !tc.reopens, tc.reopens, text)
			}
			// Sent again, it changes nothing.
			if got := e.accept(follow, http.StatusOK); got != id || len(e.pending(acmeChannel)) != len(msgs)+before {
				t.Errorf("repeated follow-up: %s, %d messages", got, len(e.pending(acmeChannel)))
			}
		})
	}
}

func TestIntakeFollowUpOnNoCaseWritesNothing(t *testing.T) {
	e := newIntakeEnv(t)
	follow := with(contactBody(sfp.KindCSContact), "case_id", "SFP-4242")
	w := e.post(follow)
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"field":"case_id"`) {
		t.Fatalf("follow-up on no case: %d %s", w.Code, w.Body)
	}
	// The source id was not remembered: the corrected contact is taken.
	if id := e.accept(with(follow, "case_id", absent), http.StatusAccepted); id != "SFP-1001" {
		t.Errorf("next case is %s, want SFP-1001 (no number was spent)", id)
	}
}

func TestGetCase(t *testing.T) {
	e := newIntakeEnv(t)
	id := e.accept(with(contactBody(sfp.KindRefundNotice), "callback_url", "https://helpdesk.example/cb"), http.StatusAccepted)

	status, got := e.getCase(strings.ToLower(id))
	if status != http.StatusOK {
		t.Fatalf("GET = %d %v", status, got)
	}
	want := map[string]any{
		"id": id, "kind": "refund_notice", "state": "open", "seller": "acme", "marketplace": "amazon.fr",
		"channel": acmeChannel, "order_id": testOrder, "source_id": "hd-refund_notice",
		"created_at": "2026-11-02T11:00:00+01:00", "due_at": nil, "answered_at": nil, "closed_at": nil,
		"breached": false, "claim": nil, "return": nil,
		"refund": map[string]any{
			"amount": "39.90", "currency": "EUR", "reason": "late_delivery", "refunded_by": "amazon_cs",
			"returnless": false, "outside_return_window": false, "a_to_z_claim": false, "note": nil, "refunded_at": nil,
		},
		"events": []any{map[string]any{"at": "2026-11-02T11:00:00+01:00", "type": "created", "by": "intake", "detail": "intake"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("case JSON (-want +got):\n%s", diff)
	}

	// An order question left unanswered past its deadline is breached.
	q := e.accept(with(with(contactBody(sfp.KindOrderQuestion), "received_at", "2026-10-30T09:00:00Z"), "source_id", "late"), http.StatusAccepted)
	if _, got := e.getCase(q); got["breached"] != true || got["due_at"] != "2026-10-31T10:00:00+01:00" {
		t.Errorf("late case: breached %v, due %v", got["breached"], got["due_at"])
	}

	for _, tc := range []struct {
		name, id, auth string
		want           int
	}{
		{"unknown id", "SFP-9999", "Bearer " + testIntakeToken, 404},
		{"not an id", "hello", "Bearer " + testIntakeToken, 404},
		{"no token", id, "", 401},
		{"wrong token", id, "Bearer nope", 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := e.request(http.MethodGet, "/api/v1/cases/"+tc.id, tc.auth, "", nil)
			if w.Code != tc.want {
				t.Errorf("GET %s = %d %s, want %d", tc.id, w.Code, w.Body, tc.want)
			}
		})
	}
}

// Every key of the case JSON is always there, null when unknown.
func TestCaseJSONKeysAreAlwaysPresent(t *testing.T) {
	var v any = newCaseJSON(&sfp.Case{}, paris, intakeT0)
	b, _ := json.Marshal(v)
	var got map[string]any
	json.Unmarshal(b, &got)
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	want := []string{"answered_at", "breached", "channel", "claim", "closed_at", "created_at", "due_at", "events",
		"id", "kind", "marketplace", "order_id", "refund", "return", "seller", "source_id", "state"}
	if !cmp.Equal(keys, want) {
		t.Errorf("keys = %v, want %v", keys, want)
	}
	if got["events"] == nil || got["breached"] != false {
		t.Errorf("events must be a list and breached a boolean: %s", b)
	}
}

func TestRepliesOweCallbacks(t *testing.T) {
	e := newIntakeEnv(t)
	id := e.accept(with(contactBody(sfp.KindOrderQuestion), "callback_url", "https://helpdesk.example/cb"), http.StatusAccepted)
	e.update(id, func(tx store.Tx, c *sfp.Case) error { c.Card.TS = "1793613600.000100"; return nil })
	reply := func(ts, text string) {
		t.Helper()
		// text is as Slack sends it: a typed "<" arrives as "&lt;".
		err := e.app.onMessage(context.Background(), incoming{channel: acmeChannel, user: "U0SELLER", text: bot.Unescape(text), markup: text, ts: ts, threadTS: "1793613600.000100"})
		if err != nil {
			t.Fatal(err)
		}
	}
	reply("1793613601.000100", "// the buyer again, check the tracking")
	reply("1793613602.000100", "Votre colis part demain : <https://www.amazon.fr/gp/your-orders|suivi>")
	reply("1793613602.000100", "Votre colis part demain : <https://www.amazon.fr/gp/your-orders|suivi>") // redelivered
	reply("1793613603.000100", "Et il arrive jeudi.")
	reply("1793613604.000100", "Tapé tel quel : &lt;https://www.amazon.fr/x|y&gt; &amp; <https://www.amazon.fr/x|y>")
	var cbs []*store.Callback
	e.db.View(context.Background(), func(tx store.Tx) error {
		var err error
		cbs, err = tx.CaseCallbacks(id)
		return err
	})
	if len(cbs) != 3 {
		t.Fatalf("callbacks = %d, want an answer and two follow-ups (no note, no repeat)", len(cbs))
	}
	// What the seller typed stays typed; Slack's own link reads as a link.
	if got, want := cbs[2].Answer, "Tapé tel quel : <https://www.amazon.fr/x|y> & y (https://www.amazon.fr/x)"; got != want {
		t.Errorf("answer %q, want %q", got, want)
	}
	if a, f := cbs[0], cbs[1]; a.Type != bot.CallbackAnswer || f.Type != bot.CallbackFollowUp || f.After != a.ID ||
		a.Answer != "Votre colis part demain : suivi (https://www.amazon.fr/gp/your-orders)" || a.ByID != "U0SELLER" ||
		a.URL != "https://helpdesk.example/cb" || a.SourceID != "hd-order_question" || utcOffset(&a.AnsweredAt) != 3600 {
		t.Errorf("callbacks = %+v / %+v", a, f)
	}
	if c := e.caseOf(id); c.State != sfp.StateAnswered {
		t.Errorf("state %s", c.State)
	}
}

// An intake case from end to end: the card posted in Slack, a reply in
// its thread, the answer signed and delivered to the integration.
func TestIntakeAnswerReachesTheIntegration(t *testing.T) {
	const secret = "signing-secret"
	e := newIntakeEnv(t)
	fake := fakeslack.New()
	t.Cleanup(fake.Close)
	fake.AddUser("U0SELLER", "marie", "Marie Martin", false)
	fake.AddChannel(acmeChannel, "acme-support", false, "U0SELLER", fake.BotUserID())
	api := slack.New("xoxb-test", slack.OptionAPIURL(fake.APIURL()))

	type delivery struct {
		header http.Header
		body   []byte
	}
	got := make(chan delivery, 10)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{r.Header.Clone(), body}
	}))
	t.Cleanup(receiver.Close)

	outbox := &bot.Outbox{Store: e.db, API: api, Clock: e.clock, Log: e.app.Log}
	callbacks := &bot.Callbacks{Store: e.db, Clock: e.clock, Log: e.app.Log, Token: testIntakeToken,
		Allow: e.app.Settings.CallbackAllow, Users: api, Outbox: outbox}
	e.app.Slack, e.app.BotUserID, e.app.Outbox, e.app.Callbacks = api, fake.BotUserID(), outbox, callbacks
	mux := http.NewServeMux()
	(&bot.HTTPTransport{Handler: e.app, SigningSecret: secret, Log: e.app.Log}).Register(mux)
	e.app.RegisterIntake(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	fake.SetEventsURL(srv.URL+"/slack/events", secret)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, run := range []func(context.Context) error{outbox.Run, callbacks.Run} {
		wg.Add(1)
		go func() { defer wg.Done(); run(ctx) }()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })

	// A question longer than a card shows: its full text follows in the
	// thread, after the card is recorded as posted.
	question := strings.Repeat("Mon colis n'est pas arrivé. ", 100)
	body, _ := json.Marshal(with(with(contactBody(sfp.KindOrderQuestion), "body", question), "callback_url", receiver.URL+"/sfpdesk"))
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/contacts", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testIntakeToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %s", resp.Status)
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	var card fakeslack.Message
	err = fake.WaitFor(wctx, func() bool {
		msgs := fake.Messages(acmeChannel)
		if len(msgs) == 0 {
			return false
		}
		card = msgs[0]
		return len(fake.Thread(acmeChannel, card.TS)) >= 2
	})
	if err != nil {
		t.Fatalf("the card and its full text were not posted: %v", err)
	}
	if !strings.Contains(blockText(card.Blocks), "via the intake API") {
		t.Errorf("card = %s", card.Blocks)
	}

	fake.PostAsUser(acmeChannel, "U0SELLER", "Il part demain, <https://www.amazon.fr/gp/your-orders|suivi ici>.", card.TS)
	var d delivery
	select {
	case d = <-got:
	case <-wctx.Done():
		t.Fatal("no callback arrived")
	}
	ts, _ := strconv.ParseInt(d.header.Get(bot.HeaderTimestamp), 10, 64)
	if sig := bot.SignCallback(testIntakeToken, ts, d.body); !hmac.Equal([]byte(sig), []byte(d.header.Get(bot.HeaderSignature))) {
		t.Errorf("signature %q, want %q", d.header.Get(bot.HeaderSignature), sig)
	}
	var p map[string]any
	json.Unmarshal(d.body, &p)
	want := map[string]any{
		"type": "answer", "case_id": "SFP-1001", "source_id": "hd-order_question",
		"answer": "Il part demain, suivi ici (https://www.amazon.fr/gp/your-orders).", "answered_at": "2026-11-02T11:00:00+01:00",
		"answered_by": map[string]any{"id": "U0SELLER", "name": "marie"},
		"delivery_id": d.header.Get(bot.HeaderDelivery),
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("callback (-want +got):\n%s", diff)
	}
	if !reflect.DeepEqual(p["delivery_id"], d.header.Get(bot.HeaderDelivery)) || !strings.HasPrefix(d.header.Get(bot.HeaderDelivery), "dlv_") {
		t.Errorf("delivery id %q", d.header.Get(bot.HeaderDelivery))
	}
}

// FuzzIntakeDecode drives the whole handler with arbitrary bodies: it
// never panics, never answers 5xx to bad input, answers 400 with the field
// the decoder names, and whatever the decoder accepts survives a round trip
// through the contract's JSON unchanged.
func FuzzIntakeDecode(f *testing.F) {
	for _, k := range sfp.Kinds {
		b, _ := json.Marshal(contactBody(k))
		f.Add(b)
	}
	for _, s := range []string{
		`{}`, `null`, `[]`, `"x"`, `{"source_id":1}`, `{"refund":{"amount":39.9}}`,
		`{"source_id":"a","kind":"refund_notice","seller":"acme","order_id":"171-1234567-7654321","body":"x","refund":{"amount":"0000001,5","currency":"gbp","reason":"other"}}`,
		`{"source_id":"a","kind":"cs_contact","seller":"a","body":"\u0000","callback_url":"https://[::ffff:10.0.0.1]/"}`,
		`{"source_id":"a","kind":"cs_contact","seller":"a","body":"x","received_at":"9999-12-31T23:59:59Z"}`,
		`{"source_id":"a","kind":"cs_contact","seller":"a","body":"x","case_id":"sfp-000000000001"}`,
	} {
		f.Add([]byte(s))
	}
	e := &intakeEnv{path: filepath.Join(f.TempDir(), "fuzz.db"), clock: sfp.NewFakeClock(intakeT0)}
	if err := e.openApp(testIntakeToken, &bolt.Options{NoSync: true}); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { e.db.Close() })
	// bbolt's Batch waits up to 10ms for company; alone, the fuzzer would
	// spend its time waiting.
	e.app.Store = soloStore{e.db}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, verr := decodeIntake(body, intakeT0, e.app.Settings.CallbackAllow)
		w := e.request(http.MethodPost, "/api/v1/contacts", "Bearer "+testIntakeToken, "application/json", body)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body)
		}
		if verr != nil {
			var got apiError
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusBadRequest || got.Field == nil || *got.Field != verr.Field {
				t.Fatalf("decoder says %v; handler answered %d %s", verr, w.Code, w.Body)
			}
			if verr.Field != "" && !isIntakeField(verr.Field) {
				t.Fatalf("error names %q, not a contract field", verr.Field)
			}
			return
		}
		if w.Code != http.StatusAccepted && w.Code != http.StatusOK && !(w.Code == http.StatusBadRequest && in.CaseID != "") {
			t.Fatalf("valid contact answered %d %s", w.Code, w.Body)
		}
		again, verr := decodeIntake(encodeIntake(in), intakeT0, e.app.Settings.CallbackAllow)
		if verr != nil {
			t.Fatalf("re-encoded contact refused: %v\n%s", verr, encodeIntake(in))
		}
		if diff := cmp.Diff(in, again, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s", diff)
		}
	})
}

// soloStore runs Batch as Update: the same transaction, without waiting
// for other writers to share its commit.
type soloStore struct{ store.Store }

func (s soloStore) Batch(ctx context.Context, fn func(store.Tx) error) error {
	return s.Update(ctx, fn)
}

// isIntakeField reports whether f is a field of the contract, or one of its
// objects (customer, refund, return) when that is not an object.
func isIntakeField(f string) bool {
	for _, x := range intakeFields {
		if x == f || strings.HasPrefix(x, f+".") {
			return true
		}
	}
	return false
}

// encodeIntake writes a validated contact back as the contract's JSON.
func encodeIntake(in *intakeRequest) []byte {
	m := map[string]any{
		"source_id": in.SourceID, "kind": in.Kind, "seller": in.Seller, "marketplace": in.Marketplace,
		"received_at": in.ReceivedAt.Format(time.RFC3339Nano),
	}
	opt := func(k, v string) {
		if v != "" {
			m[k] = v
		}
	}
	opt("order_id", in.OrderID)
	opt("asin", in.ASIN)
	opt("sku", in.SKU)
	opt("subject", in.Subject)
	opt("body", in.Body)
	opt("callback_url", in.CallbackURL)
	opt("case_id", in.CaseID)
	cust := map[string]any{}
	if in.Customer.Name != "" {
		cust["name"] = in.Customer.Name
	}
	if in.Customer.Language != "" {
		cust["language"] = in.Customer.Language
	}
	m["customer"] = cust
	if r := in.Refund; r != nil {
		m["refund"] = map[string]any{
			"amount": r.Amount.Decimal("."), "currency": r.Amount.Currency, "reason": r.Reason, "refunded_by": r.RefundedBy,
			"returnless": r.Returnless, "outside_return_window": r.OutsideReturnWindow, "a_to_z_claim": r.AToZClaim, "note": r.Note,
		}
	}
	if r := in.Return; r != nil {
		m["return"] = map[string]any{"received_at": r.ReceivedAt.Format(time.RFC3339Nano), "tracking": r.Tracking, "carrier": r.Carrier}
	}
	b, _ := json.Marshal(m)
	return b
}

// A buyer's follow-up runs on Amazon's calendar clock for messages, even
// on a case whose own clock counts business days.
func TestFollowUpDeadline(t *testing.T) {
	sla, err := sfp.ParseSLA("order_question=12h,product_question=2bd")
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[sfp.Kind]sfp.Duration{
		sfp.KindCSContact:        {N: 24, Unit: sfp.Hours},
		sfp.KindOrderQuestion:    {N: 12, Unit: sfp.Hours},
		sfp.KindProductQuestion:  {N: 12, Unit: sfp.Hours}, // business days: the order question's clock
		sfp.KindReturnReceived:   {N: 12, Unit: sfp.Hours},
		sfp.KindRefundNotice:     {N: 12, Unit: sfp.Hours},
		sfp.KindPreOrderQuestion: {N: 24, Unit: sfp.Hours},
	} {
		if got := followUpDeadline(sla, k); got != want {
			t.Errorf("%s: %s, want %s", k, got, want)
		}
	}
	if got := followUpDeadline(sfp.SLA{sfp.KindOrderQuestion: {N: 1, Unit: sfp.BusinessDays}}, sfp.KindRefundNotice); got != (sfp.Duration{N: 24, Unit: sfp.Hours}) {
		t.Errorf("without a calendar clock to borrow: %s, want 24h", got)
	}
}

// However much a message grows once escaped, all of it reaches the thread.
func TestFollowUpMessageKeepsAllTheText(t *testing.T) {
	for _, body := range []string{strings.Repeat("&", maxBody), strings.Repeat("<b> ", maxBody/4), "court"} {
		parts := quoteParts(body, bot.MaxSectionText-100)
		var got []string
		for _, p := range parts {
			q := bot.Quote(p, bot.MaxSectionText-100)
			if strings.HasSuffix(q, "…") {
				t.Fatalf("a part was cut: %d runes", len([]rune(p)))
			}
			got = append(got, p)
		}
		if strings.ReplaceAll(strings.Join(got, ""), " ", "") != strings.ReplaceAll(body, " ", "") {
			t.Errorf("%d parts do not add up to the message", len(parts))
		}
		msg := followUpMessage(&sfp.Case{}, &intakeRequest{Body: body}, bot.LangEN, false)
		if len(msg.Blocks) >= bot.MaxBlocksMessage {
			t.Errorf("%d blocks for %d parts", len(msg.Blocks), len(parts))
		}
	}
}

func TestIntakeRefusesEverySpellingOfAnAddressAlike(t *testing.T) {
	e := newIntakeEnv(t)
	answer := func(u string) string {
		body, _ := json.Marshal(with(contactBody(sfp.KindProductQuestion), "callback_url", u))
		w := e.post(body)
		if w.Code != http.StatusBadRequest {
			t.Fatalf("%s: status %d %s, want 400", u, w.Code, w.Body)
		}
		return w.Body.String()
	}
	dotted := answer("https://10.0.0.1/cb")
	for _, u := range []string{"https://10.1/cb", "https://167772161/cb", "https://0xa000001/cb", "https://012.0.0.01/cb",
		"https://10.0.0.1./cb", "https://[::10.0.0.1]/cb", "https://[::ffff:10.0.0.1]/cb", "https://[::ffff:a00:1]/cb"} {
		if got := answer(u); got != dotted {
			t.Errorf("%s: %s, want the answer to the dotted form: %s", u, got, dotted)
		}
	}
}

// encoding/json would read "order-\xff" and "order-\xfe" as the same
// "order-\uFFFD": the second contact would answer 200 with the first's case
// and never be posted. Bytes that are not text are refused, field by field.
func TestIntakeRefusesBytesThatAreNotText(t *testing.T) {
	e := newIntakeEnv(t)
	base := `"kind":"product_question","seller":"acme","body":"Est-il étanche ?"`
	tests := []struct{ name, body, field string }{
		{"a source id with a byte that is no UTF-8", `{"source_id":"order-` + "\xff" + `",` + base + `}`, "source_id"},
		{"another such source id", `{"source_id":"order-` + "\xfe" + `",` + base + `}`, "source_id"},
		{"a lone surrogate escape", `{"source_id":"order-\ud800",` + base + `}`, "source_id"},
		{"a body cut inside a character", `{"source_id":"b1","kind":"product_question","seller":"acme","body":"caf` + "\xc3" + `"}`, "body"},
		{"a customer name in Latin-1", `{"source_id":"b2",` + base + `,"customer":{"name":"Ren` + "\xe9" + `e"}}`, "customer.name"},
		{"a refund reason with a NUL escape", `{"source_id":"b3","kind":"refund_notice","seller":"acme","order_id":"171-1234567-7654321","body":"x","refund":{"amount":"1","currency":"EUR","reason":"other\u0000"}}`, "refund.reason"},
		{"a tracking number with a bad byte", `{"source_id":"b4","kind":"return_received","seller":"acme","order_id":"171-1234567-7654321","return":{"received_at":"2026-11-02T09:00:00Z","tracking":"1Z` + "\x80" + `"}}`, "return.tracking"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := e.post([]byte(tc.body))
			var got map[string]any
			json.Unmarshal(w.Body.Bytes(), &got)
			if w.Code != http.StatusBadRequest || got["field"] != tc.field {
				t.Errorf("status %d, body %s; want 400 naming %q", w.Code, w.Body, tc.field)
			}
		})
	}
	if ids := e.caseIDs(); len(ids) != 0 {
		t.Errorf("refused contacts made %v", ids)
	}
	// A replacement character the sender wrote, raw or escaped, is text.
	for i, lit := range []string{"\uFFFD", `\ufffd`} {
		body := fmt.Sprintf(`{"source_id":"ok-%d",%s,"subject":"Caf%s"}`, i, base, lit)
		if w := e.post([]byte(body)); w.Code != http.StatusAccepted {
			t.Errorf("%s: status %d %s, want 202", body, w.Code, w.Body)
		}
	}
}
