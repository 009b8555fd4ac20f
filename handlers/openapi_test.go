package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// docs/openapi.yaml is the integrators' contract: these tests fail when it
// and the handler disagree on a field, a status code, a key or an example.

const openAPIPath = "../docs/openapi.yaml"

// openAPI is the parsed document.
type openAPI struct {
	root *ymap
	dir  string
}

func loadOpenAPI(t *testing.T) *openAPI {
	t.Helper()
	src, err := os.ReadFile(openAPIPath)
	if err != nil {
		t.Fatal(err)
	}
	v, err := parseYAML(string(src))
	if err != nil {
		t.Fatalf("%s: %v", openAPIPath, err)
	}
	root, ok := v.(*ymap)
	if !ok || root.get("openapi") != "3.0.3" {
		t.Fatalf("%s is not an OpenAPI 3.0.3 document", openAPIPath)
	}
	return &openAPI{root: root, dir: filepath.Dir(openAPIPath)}
}

// at follows a path of keys through the document.
func (d *openAPI) at(t *testing.T, keys ...string) any {
	t.Helper()
	var cur any = d.root
	for _, k := range keys {
		m, ok := cur.(*ymap)
		if !ok || !m.has(k) {
			t.Fatalf("openapi: no %s", strings.Join(keys, " › "))
		}
		cur = m.get(k)
	}
	return cur
}

func (d *openAPI) resolve(t *testing.T, schema any) *ymap {
	t.Helper()
	m, ok := schema.(*ymap)
	if !ok {
		t.Fatalf("openapi: schema %v is not a mapping", schema)
	}
	if ref, ok := m.get("$ref").(string); ok {
		name, found := strings.CutPrefix(ref, "#/components/schemas/")
		if !found {
			t.Fatalf("openapi: unsupported $ref %q", ref)
		}
		return d.resolve(t, d.at(t, "components", "schemas", name))
	}
	return m
}

// validate checks v (decoded JSON) against schema, returning what is wrong.
func (d *openAPI) validate(t *testing.T, schema any, v any, path string) []string {
	s := d.resolve(t, schema)
	if v == nil {
		if s.get("nullable") == true {
			return nil
		}
		return []string{path + ": null but not nullable"}
	}
	var errs []string
	if enum, ok := s.get("enum").([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return e == v }) {
		errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", path, v, enum))
	}
	switch s.get("type") {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return append(errs, fmt.Sprintf("%s: %T, want an object", path, v))
		}
		props, _ := s.get("properties").(*ymap)
		if req, ok := s.get("required").([]any); ok {
			for _, k := range req {
				if _, has := obj[k.(string)]; !has {
					errs = append(errs, fmt.Sprintf("%s: required key %q missing", path, k))
				}
			}
		}
		for k, val := range obj {
			if props != nil && props.has(k) {
				errs = append(errs, d.validate(t, props.get(k), val, path+"."+k)...)
			} else if s.get("additionalProperties") == false {
				errs = append(errs, fmt.Sprintf("%s: key %q is not documented", path, k))
			}
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			return append(errs, fmt.Sprintf("%s: %T, want an array", path, v))
		}
		for i, x := range arr {
			errs = append(errs, d.validate(t, s.get("items"), x, fmt.Sprintf("%s[%d]", path, i))...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return append(errs, fmt.Sprintf("%s: %T, want a string", path, v))
		}
		if p, ok := s.get("pattern").(string); ok && !regexp.MustCompile(p).MatchString(str) {
			errs = append(errs, fmt.Sprintf("%s: %q does not match %s", path, str, p))
		}
		if s.get("format") == "date-time" {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %q is not RFC 3339", path, str))
			}
		}
		if n, ok := s.get("maxLength").(float64); ok && utf8.RuneCountInString(str) > int(n) {
			errs = append(errs, fmt.Sprintf("%s: longer than %v", path, n))
		}
		if n, ok := s.get("minLength").(float64); ok && utf8.RuneCountInString(str) < int(n) {
			errs = append(errs, fmt.Sprintf("%s: shorter than %v", path, n))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			errs = append(errs, fmt.Sprintf("%s: %T, want a boolean", path, v))
		}
	case "integer", "number":
		f, ok := v.(float64)
		if !ok || (s.get("type") == "integer" && f != math.Trunc(f)) {
			errs = append(errs, fmt.Sprintf("%s: %v, want a %s", path, v, s.get("type")))
		}
	default:
		t.Fatalf("openapi: %s: schema without a type the test knows: %v", path, s.get("type"))
	}
	return errs
}

// readExample reads an example's externalValue, relative to the document.
func (d *openAPI) readExample(t *testing.T, example any) ([]byte, any) {
	t.Helper()
	ref, ok := example.(*ymap).get("externalValue").(string)
	if !ok {
		t.Fatalf("openapi: example %v has no externalValue", example)
	}
	raw, err := os.ReadFile(filepath.Join(d.dir, ref))
	if err != nil {
		t.Fatalf("openapi: example %s: %v", ref, err)
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("openapi: example %s is not JSON: %v", ref, err)
	}
	return raw, v
}

// contactProperties flattens the Contact schema's properties in order,
// objects' properties as dotted paths.
func (d *openAPI) contactProperties(t *testing.T) ([]string, map[string]*ymap) {
	var names []string
	byName := map[string]*ymap{}
	var walk func(prefix string, props *ymap)
	walk = func(prefix string, props *ymap) {
		for _, k := range props.keys {
			s := d.resolve(t, props.get(k))
			if sub, ok := s.get("properties").(*ymap); ok {
				walk(prefix+k+".", sub)
				continue
			}
			names = append(names, prefix+k)
			byName[prefix+k] = s
		}
	}
	walk("", d.resolve(t, d.at(t, "components", "schemas", "Contact")).get("properties").(*ymap))
	return names, byName
}

func TestOpenAPIDescribesEveryContactField(t *testing.T) {
	d := loadOpenAPI(t)
	names, props := d.contactProperties(t)
	if diff := cmp.Diff(intakeFields, names); diff != "" {
		t.Errorf("Contact properties differ from the decoder's fields, in order (-decoder +doc):\n%s", diff)
	}
	if req := d.resolve(t, d.at(t, "components", "schemas", "Contact")).get("required"); !cmp.Equal(req, []any{"source_id", "kind", "seller"}) {
		t.Errorf("Contact required = %v", req)
	}
	enum := func(name string) []string {
		var out []string
		for _, v := range props[name].get("enum").([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	var markets []string
	for _, m := range sfp.Marketplaces() {
		markets = append(markets, string(m.Domain))
	}
	for name, want := range map[string][]string{
		"kind":               strs(sfp.Kinds),
		"marketplace":        markets,
		"refund.reason":      strs(sfp.RefundReasons),
		"refund.refunded_by": strs(sfp.RefundIssuers),
	} {
		if got := enum(name); !cmp.Equal(got, want) {
			t.Errorf("%s enum = %v, want %v", name, got, want)
		}
	}
	for name, want := range map[string]int{
		"source_id": maxSourceID, "sku": maxSKU, "customer.name": maxName, "subject": maxSubject,
		"body": maxBody, "refund.note": maxNote, "return.tracking": maxTracking, "return.carrier": maxTracking,
		"callback_url": maxCallbackURL,
	} {
		if got, _ := props[name].get("maxLength").(float64); int(got) != want {
			t.Errorf("%s maxLength = %v, want %d", name, got, want)
		}
	}
	if p := props["refund.amount"]; p.get("type") != "string" || p.get("pattern") != amountPattern {
		t.Errorf("refund.amount is documented as %v %v, want a string matching %s", p.get("type"), p.get("pattern"), amountPattern)
	}
	for _, name := range []string{"received_at", "return.received_at"} {
		if props[name].get("format") != "date-time" {
			t.Errorf("%s is not documented as date-time", name)
		}
	}
	for _, name := range []string{"refund.returnless", "refund.outside_return_window", "refund.a_to_z_claim"} {
		if props[name].get("type") != "boolean" {
			t.Errorf("%s is not documented as a boolean", name)
		}
	}
}

func strs[T ~string](vs []T) []string {
	var out []string
	for _, v := range vs {
		out = append(out, string(v))
	}
	return out
}

// A scenario makes the handler answer one status.
type apiScenario struct {
	status int
	run    func(t *testing.T) (*http.Response, []byte)
}

func TestOpenAPIStatusesAndBodiesMatchTheHandler(t *testing.T) {
	d := loadOpenAPI(t)
	valid := contactBody(sfp.KindOrderQuestion)
	post := func(setup func(e *intakeEnv), auth, ctype string, body []byte) func(t *testing.T) (*http.Response, []byte) {
		return func(t *testing.T) (*http.Response, []byte) {
			e := newIntakeEnv(t)
			if setup != nil {
				setup(e)
			}
			w := e.request(http.MethodPost, "/api/v1/contacts", auth, ctype, body)
			return w.Result(), w.Body.Bytes()
		}
	}
	get := func(setup func(e *intakeEnv) string, auth string) func(t *testing.T) (*http.Response, []byte) {
		return func(t *testing.T) (*http.Response, []byte) {
			e := newIntakeEnv(t)
			id := setup(e)
			w := e.request(http.MethodGet, "/api/v1/cases/"+id, auth, "", nil)
			return w.Result(), w.Body.Bytes()
		}
	}
	raw, _ := json.Marshal(valid)
	bearer := "Bearer " + testIntakeToken
	closeStore := func(e *intakeEnv) { e.db.Close() }
	created := func(e *intakeEnv) string { return e.accept(valid, http.StatusAccepted) }
	operations := map[string]map[string]apiScenario{
		"/api/v1/contacts post": {
			"a new contact":          {202, post(nil, bearer, "application/json", raw)},
			"a repeated source id":   {200, post(func(e *intakeEnv) { e.accept(valid, 202) }, bearer, "application/json", raw)},
			"a bad field":            {400, post(nil, bearer, "application/json", []byte(`{"source_id":"a"}`))},
			"no token":               {401, post(nil, "", "application/json", raw)},
			"intake off":             {404, post(func(e *intakeEnv) { e.restart("") }, bearer, "application/json", raw)},
			"a body over 256 KiB":    {413, post(nil, bearer, "application/json", bytes.Repeat([]byte(" "), maxIntakeBody+1))},
			"not JSON":               {415, post(nil, bearer, "text/plain", raw)},
			"the store cannot write": {500, post(closeStore, bearer, "application/json", raw)},
		},
		"/api/v1/cases/{id} get": {
			"a case":                {200, get(created, bearer)},
			"no token":              {401, get(created, "")},
			"no such case":          {404, get(func(*intakeEnv) string { return "SFP-9999" }, bearer)},
			"the store cannot read": {500, get(func(e *intakeEnv) string { id := created(e); e.db.Close(); return id }, bearer)},
		},
	}
	for op, scenarios := range operations {
		path, method, _ := strings.Cut(op, " ")
		responses := d.at(t, "paths", path, method, "responses").(*ymap)
		documented := slices.Clone(responses.keys)
		var covered []string
		for name, sc := range scenarios {
			code := strconv.Itoa(sc.status)
			covered = append(covered, code)
			t.Run(op+"/"+name, func(t *testing.T) {
				resp, body := sc.run(t)
				if resp.StatusCode != sc.status {
					t.Fatalf("status %d %s, want %d", resp.StatusCode, body, sc.status)
				}
				if !responses.has(code) {
					t.Fatalf("status %d is not documented", sc.status)
				}
				doc := responses.get(code).(*ymap)
				if hs, ok := doc.get("headers").(*ymap); ok {
					for _, h := range hs.keys {
						if resp.Header.Get(h) == "" {
							t.Errorf("documented header %s missing", h)
						}
					}
				}
				schema := d.at(t, "paths", path, method, "responses", code, "content", "application/json", "schema")
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q", ct)
				}
				var v any
				if err := json.Unmarshal(body, &v); err != nil {
					t.Fatalf("body %s is not JSON", body)
				}
				for _, e := range d.validate(t, schema, v, "body") {
					t.Error(e)
				}
			})
		}
		sort.Strings(documented)
		sort.Strings(covered)
		if !cmp.Equal(documented, slices.Compact(covered)) {
			t.Errorf("%s: documented statuses %v, the handler's %v", op, documented, slices.Compact(covered))
		}
	}
}

func TestOpenAPIExamplesAreReal(t *testing.T) {
	d := loadOpenAPI(t)
	e := newIntakeEnv(t)

	// Every request example is accepted by the handler, in the order given
	// (the follow-up names the first case).
	reqExamples := d.at(t, "paths", "/api/v1/contacts", "post", "requestBody", "content", "application/json", "examples").(*ymap)
	contact := d.at(t, "paths", "/api/v1/contacts", "post", "requestBody", "content", "application/json", "schema")
	var ids []string
	for _, name := range reqExamples.keys {
		raw, v := d.readExample(t, reqExamples.get(name))
		for _, err := range d.validate(t, contact, v, name) {
			t.Error(err)
		}
		w := e.post(raw)
		if w.Code != http.StatusAccepted {
			t.Errorf("example %s: %d %s", name, w.Code, w.Body)
			continue
		}
		var a contactAnswer
		json.Unmarshal(w.Body.Bytes(), &a)
		ids = append(ids, a.CaseID)
		if name == "follow_up" && a.CaseID != "SFP-1001" {
			t.Errorf("follow-up example went to %s", a.CaseID)
		}
	}
	if len(ids) != len(sfp.Kinds)+1 {
		t.Errorf("request examples %v: want one per kind and a follow-up", reqExamples.keys)
	}
	// Each case they made reads back as the Case schema says.
	caseSchema := d.at(t, "components", "schemas", "Case")
	for _, id := range slices.Compact(slices.Sorted(slices.Values(ids))) {
		_, v := e.getCase(id)
		for _, err := range d.validate(t, caseSchema, any(v), id) {
			t.Error(err)
		}
	}

	// Every response and callback example fits its schema.
	checked := 0
	var walk func(node any, schema any, where string)
	walk = func(node any, schema any, where string) {
		m, ok := node.(*ymap)
		if !ok {
			if list, ok := node.([]any); ok {
				for i, x := range list {
					walk(x, schema, fmt.Sprintf("%s[%d]", where, i))
				}
			}
			return
		}
		if s := m.get("schema"); s != nil {
			schema = s
		}
		if ex, ok := m.get("examples").(*ymap); ok {
			for _, name := range ex.keys {
				_, v := d.readExample(t, ex.get(name))
				for _, err := range d.validate(t, schema, v, where+" example "+name) {
					t.Error(err)
				}
				checked++
			}
		}
		for _, k := range m.keys {
			if k != "examples" {
				walk(m.get(k), schema, where+" › "+k)
			}
		}
	}
	walk(d.at(t, "paths"), nil, "paths")
	if checked < 15 {
		t.Errorf("only %d examples were checked", checked)
	}

	// A callback as the worker sends it fits the Callback schema, and the
	// documented headers are the ones it sets.
	cbSchema := d.at(t, "components", "schemas", "Callback")
	c := &sfp.Case{ID: "SFP-1001", SourceID: "helpdesk-48213", CallbackURL: "https://helpdesk.example.com/hooks/sfpdesk"}
	for _, cb := range []*store.Callback{
		bot.NewCallback(c, bot.CallbackAnswer, "U0SELLER", "Camille", bot.PlainText("Bonjour <https://t.example|suivi>"), time.Date(2026, 11, 2, 10, 3, 41, 0, paris)),
		bot.NewCallback(&sfp.Case{ID: "SFP-1002"}, bot.CallbackFollowUp, "U0SELLER", "", "Et aussi", intakeT0),
	} {
		var v any
		json.Unmarshal(bot.CallbackBody(cb), &v)
		for _, err := range d.validate(t, cbSchema, v, "callback") {
			t.Error(err)
		}
	}
	params := d.at(t, "paths", "/api/v1/contacts", "post", "callbacks", "reply", "{$request.body#/callback_url}", "post", "parameters").([]any)
	var headers []string
	for _, p := range params {
		headers = append(headers, p.(*ymap).get("name").(string))
	}
	if want := []string{bot.HeaderDelivery, bot.HeaderTimestamp, bot.HeaderSignature}; !cmp.Equal(headers, want) {
		t.Errorf("documented callback headers %v, want %v", headers, want)
	}
	// The documented signature is the one of the documented timestamp
	// over the body of docs/INTAKE.md's example.
	sig := params[2].(*ymap).get("example")
	if want := bot.SignCallback("example-intake-token", 1793613600, []byte(`{"type":"answer"}`)); sig != want {
		t.Errorf("documented signature %v, want %s", sig, want)
	}
}

// A reader of the YAML that docs/openapi.yaml is written in: block
// mappings and sequences indented with spaces, plain, quoted and JSON flow
// scalars, full-line comments. It refuses what it does not know, and plain
// scalars that real YAML would read otherwise (": " or " #" inside), so
// that the document stays valid for every other tool too.

type ymap struct {
	keys []string
	vals map[string]any
}

func (m *ymap) get(k string) any {
	if m == nil {
		return nil
	}
	return m.vals[k]
}

func (m *ymap) has(k string) bool {
	_, ok := m.vals[k]
	return m != nil && ok
}

type yline struct {
	no     int
	indent int
	text   string
}

type yparser struct {
	lines []yline
	i     int
}

func parseYAML(src string) (any, error) {
	p := &yparser{}
	for n, l := range strings.Split(src, "\n") {
		l = strings.TrimRight(l, " \r")
		trimmed := strings.TrimLeft(l, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.HasPrefix(trimmed, "\t") || strings.Contains(l[:len(l)-len(trimmed)], "\t") {
			return nil, fmt.Errorf("line %d: tab in indentation", n+1)
		}
		p.lines = append(p.lines, yline{no: n + 1, indent: len(l) - len(trimmed), text: trimmed})
	}
	if len(p.lines) == 0 {
		return nil, fmt.Errorf("empty document")
	}
	v, err := p.block(p.lines[0].indent)
	if err == nil && p.i < len(p.lines) {
		err = fmt.Errorf("line %d: unexpected indentation", p.lines[p.i].no)
	}
	return v, err
}

func isItem(s string) bool { return s == "-" || strings.HasPrefix(s, "- ") }

func (p *yparser) block(indent int) (any, error) {
	if isItem(p.lines[p.i].text) {
		return p.sequence(indent)
	}
	return p.mapping(indent)
}

func (p *yparser) mapping(indent int) (*ymap, error) {
	m := &ymap{vals: map[string]any{}}
	for p.i < len(p.lines) && p.lines[p.i].indent == indent && !isItem(p.lines[p.i].text) {
		l := p.lines[p.i]
		key, rest, err := splitKey(l.text)
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", l.no, err)
		}
		if _, dup := m.vals[key]; dup {
			return nil, fmt.Errorf("line %d: key %q twice", l.no, key)
		}
		p.i++
		var v any
		switch {
		case rest != "":
			if v, err = scalar(rest); err != nil {
				return nil, fmt.Errorf("line %d: %v", l.no, err)
			}
		case p.i < len(p.lines) && p.lines[p.i].indent > indent:
			if v, err = p.block(p.lines[p.i].indent); err != nil {
				return nil, err
			}
		case p.i < len(p.lines) && p.lines[p.i].indent == indent && isItem(p.lines[p.i].text):
			if v, err = p.sequence(indent); err != nil {
				return nil, err
			}
		}
		m.keys = append(m.keys, key)
		m.vals[key] = v
	}
	if p.i < len(p.lines) && p.lines[p.i].indent > indent {
		return nil, fmt.Errorf("line %d: unexpected indentation", p.lines[p.i].no)
	}
	return m, nil
}

func (p *yparser) sequence(indent int) ([]any, error) {
	out := []any{}
	for p.i < len(p.lines) && p.lines[p.i].indent == indent && isItem(p.lines[p.i].text) {
		l := p.lines[p.i]
		rest := strings.TrimPrefix(strings.TrimPrefix(l.text, "-"), " ")
		switch {
		case rest == "":
			p.i++
			if p.i >= len(p.lines) || p.lines[p.i].indent <= indent {
				out = append(out, nil)
				continue
			}
			v, err := p.block(p.lines[p.i].indent)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		case isMappingLine(rest):
			// "- key: value" opens a mapping indented past the dash.
			p.lines[p.i] = yline{no: l.no, indent: indent + 2, text: rest}
			v, err := p.mapping(indent + 2)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		default:
			p.i++
			v, err := scalar(rest)
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", l.no, err)
			}
			out = append(out, v)
		}
	}
	return out, nil
}

func isMappingLine(s string) bool {
	if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
		return false
	}
	_, _, err := splitKey(s)
	return err == nil
}

// splitKey splits "key: value" (or "key:") into the key and the value.
func splitKey(s string) (string, string, error) {
	var key, rest string
	if s[0] == '"' || s[0] == '\'' {
		end := strings.IndexByte(s[1:], s[0])
		if end < 0 {
			return "", "", fmt.Errorf("unterminated key in %q", s)
		}
		q, err := scalar(s[:end+2])
		if err != nil {
			return "", "", err
		}
		key, rest = q.(string), s[end+2:]
		if !strings.HasPrefix(rest, ":") {
			return "", "", fmt.Errorf("no colon after key in %q", s)
		}
		rest = rest[1:]
	} else {
		i := strings.Index(s, ": ")
		switch {
		case i >= 0:
			key, rest = s[:i], s[i+1:]
		case strings.HasSuffix(s, ":"):
			key = s[:len(s)-1]
		default:
			return "", "", fmt.Errorf("not a key: %q", s)
		}
	}
	if rest != "" && rest[0] != ' ' {
		return "", "", fmt.Errorf("no space after the colon in %q", s)
	}
	return key, strings.TrimSpace(rest), nil
}

var plainNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

func scalar(s string) (any, error) {
	switch {
	case s == "null" || s == "~":
		return nil, nil
	case s == "true":
		return true, nil
	case s == "false":
		return false, nil
	case strings.HasPrefix(s, "{"), strings.HasPrefix(s, "["), strings.HasPrefix(s, `"`):
		var v any
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("flow value %s is not JSON: %v", s, err)
		}
		return v, nil
	case strings.HasPrefix(s, "'"):
		if len(s) < 2 || !strings.HasSuffix(s, "'") {
			return nil, fmt.Errorf("unterminated %s", s)
		}
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	case plainNumber.MatchString(s):
		return strconv.ParseFloat(s, 64)
	case strings.Contains(s, ": ") || strings.Contains(s, " #") || strings.ContainsAny(s[:1], "&*!|>%@`,?"):
		return nil, fmt.Errorf("plain scalar %q must be quoted", s)
	}
	return s, nil
}

func TestYAMLReader(t *testing.T) {
	src := "a: 1\nb:\n  c: \"x: y\"\n  d: [1, 2]\n# note\ne:\n  - name: n\n    in: header\n  - plain\nf:\n- g\n"
	v, err := parseYAML(src)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(toJSON(v))
	if want := `{"a":1,"b":{"c":"x: y","d":[1,2]},"e":[{"in":"header","name":"n"},"plain"],"f":["g"]}`; string(b) != want {
		t.Errorf("parsed %s, want %s", b, want)
	}
	for _, bad := range []string{"a: b: c\n", "a:\n    b: 1\n  c: 2\n", "a: 1\na: 2\n", "a: x #y\n"} {
		if _, err := parseYAML(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func toJSON(v any) any {
	switch x := v.(type) {
	case *ymap:
		m := map[string]any{}
		for _, k := range x.keys {
			m[k] = toJSON(x.vals[k])
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, y := range x {
			out[i] = toJSON(y)
		}
		return out
	}
	return v
}

// Every contact docs/INTAKE.md shows with curl is taken by the handler, in
// the order the guide gives them (its follow-up names the first case).
func TestIntakeGuideExamplesAreTaken(t *testing.T) {
	src, err := os.ReadFile("../docs/INTAKE.md")
	if err != nil {
		t.Fatal(err)
	}
	bodies := regexp.MustCompile(`(?s)--data '(\{.*?\})'`).FindAllStringSubmatch(string(src), -1)
	if len(bodies) != len(sfp.Kinds)+1 {
		t.Fatalf("the guide has %d curl bodies, want one per kind and a follow-up", len(bodies))
	}
	e := newIntakeEnv(t)
	kinds := map[string]bool{}
	for _, b := range bodies {
		w := e.post([]byte(b[1]))
		if w.Code != http.StatusAccepted {
			t.Errorf("guide example answered %d %s:\n%s", w.Code, w.Body, b[1])
		}
		var m map[string]any
		json.Unmarshal([]byte(b[1]), &m)
		kinds[fmt.Sprint(m["kind"])] = true
		if m["case_id"] != nil && !strings.Contains(w.Body.String(), fmt.Sprint(m["case_id"])) {
			t.Errorf("the follow-up went to %s", w.Body)
		}
	}
	for _, k := range sfp.Kinds {
		if !kinds[string(k)] {
			t.Errorf("the guide has no curl for %s", k)
		}
	}
}
