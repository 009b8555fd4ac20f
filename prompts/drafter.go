package prompts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"text/template"
	"time"
	"unicode/utf8"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// Drafted replies (DESIGN §3.4): a polite answer in the buyer's language,
// grounded in the question, the product's facts and the seller's earlier
// answers, that follows the Seller Fulfilled Prime split of roles. A person
// always reads, completes and sends it.

//go:embed templates/*.tmpl
var templateFS embed.FS

// Input is everything a draft is written from. Texts are raw, as the case
// holds them: BuildPrompt redacts them before a model sees them.
type Input struct {
	Kind        sfp.Kind
	Marketplace sfp.Marketplace
	// Lang is the buyer's language as the contact declared it (ISO 639-1);
	// empty means: from the message, else the marketplace's.
	Lang     string
	Subject  string
	Question string
	// Customer is what the case knows of the buyer: replaced everywhere
	// before the model sees anything, put back into its answer.
	Customer KnownPII
	OrderID  string
	Product  *Product
	// Earlier holds the seller's earlier answers on the same product, the
	// most similar first (see MostSimilar).
	Earlier []Example
	// ReturnReceived is set when a return of the order has reached the
	// seller's warehouse: the refund is then the seller's to make, and a
	// refund question is answered "the refund is being made".
	ReturnReceived bool
	// ForAgent is set when the reply goes to a customer-service agent
	// rather than to the buyer.
	ForAgent bool
}

// Draft is a drafted reply, with the originals of personal data restored.
type Draft struct {
	Text string
	// Lang is the language the reply was asked in.
	Lang string
	// Template is the version of the template that made the prompt, or the
	// text itself without a model.
	Template string
	// Model is the model that wrote it; empty for a template draft.
	Model    string
	Findings []Finding
	// Tokens the model counted, when it said.
	PromptTokens, CompletionTokens int
	Latency                        time.Duration
}

// Drafter writes drafts. progress, when not nil, is called with the text
// so far while a model writes it (never after Draft returns).
type Drafter interface {
	Draft(ctx context.Context, in Input, progress func(text string)) (*Draft, error)
}

// Language is the language the reply must be written in: the buyer's as
// declared, else the message's when it is clear, else the marketplace's
// (SFP policy: customer service in the marketplace's language).
func (in Input) Language() string {
	return BuyerLanguage(in.Lang, in.Subject+"\n"+in.Question, in.Marketplace)
}

// CheckKind is the kind the messaging rules judge a reply by: once the
// order's return has reached the warehouse, refunding it is the seller's
// own business, as on a return_received case.
func (in Input) CheckKind() string {
	if in.ReturnReceived {
		return string(sfp.KindReturnReceived)
	}
	return string(in.Kind)
}

// BuyerLanguage picks the language of a reply to a buyer: the declared one,
// else the one the message is clearly written in, else the marketplace's.
func BuyerLanguage(declared, text string, m sfp.Marketplace) string {
	if l := normalizeLang(declared); len(l) == 2 {
		return l
	}
	if l, ok := DetectLanguage(text); ok {
		return l
	}
	return m.Info().Language
}

// LanguageName is a language's English name, for the prompt.
func LanguageName(lang string) string {
	if n, ok := langNames[lang]; ok {
		return n
	}
	if n, ok := otherLangNames[lang]; ok {
		return n
	}
	return lang
}

var otherLangNames = map[string]string{"nl": "Dutch", "pl": "Polish", "sv": "Swedish"}

// ---- templates ----

// Bounds on what goes into a prompt: a long question is kept whole up to a
// point, facts and earlier answers are context and can be cut.
const (
	maxQuestionRunes = 6000
	maxSubjectRunes  = 250
	maxFactsRunes    = 3000
	maxExampleRunes  = 800
	// maxDraftRunes bounds a draft whatever the model does: Slack shows
	// 3,000 characters a section and buyers read short answers.
	maxDraftRunes = 4000
)

var versionRE = regexp.MustCompile(`^\{\{/\* version: ([a-z_]+/v[0-9]+) \*/`)

type taskTemplate struct {
	tmpl    *template.Template
	version string
}

// taskFiles maps a kind to its template: one per task.
var taskFiles = map[sfp.Kind]string{
	sfp.KindProductQuestion:  "product_question.tmpl",
	sfp.KindPreOrderQuestion: "pre_order_question.tmpl",
	sfp.KindOrderQuestion:    "order_question.tmpl",
	sfp.KindCSContact:        "cs_contact.tmpl",
}

var taskTemplates = sync.OnceValues(func() (map[sfp.Kind]taskTemplate, error) {
	common, err := templateFS.ReadFile("templates/common.tmpl")
	if err != nil {
		return nil, err
	}
	commonVersion := fileVersion(common)
	out := map[sfp.Kind]taskTemplate{}
	for kind, file := range taskFiles {
		task, err := templateFS.ReadFile("templates/" + file)
		if err != nil {
			return nil, err
		}
		t, err := template.New(file).Option("missingkey=error").Parse(string(common))
		if err == nil {
			t, err = t.Parse(string(task))
		}
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", file, err)
		}
		out[kind] = taskTemplate{t, fileVersion(task) + "+" + commonVersion}
	}
	return out, nil
})

func fileVersion(b []byte) string {
	if m := versionRE.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return "unversioned"
}

// TemplateVersion returns the version recorded on drafts of a kind made
// with a model, or "" when the kind has no drafts.
func TemplateVersion(k sfp.Kind) string {
	ts, err := taskTemplates()
	if err != nil {
		return ""
	}
	return ts[k].version
}

// Drafts are for the kinds a person answers in words.
func draftable(k sfp.Kind) bool { _, ok := taskFiles[k]; return ok }

// ---- the prompt ----

// Prompt is what a model is sent for one draft, redacted, and what turns
// its answer back into the seller's words.
type Prompt struct {
	Template string // version of the templates that made it
	Lang     string
	System   string
	User     string

	mapping *Mapping
	// allowed are the placeholders of this buyer's own data: only those are
	// restored in the answer. One copied from an earlier answer stands for
	// another buyer's datum and becomes a gap instead.
	allowed map[string]bool
	gap     string
}

type promptData struct {
	Marketplace    string
	Lang, LangName string
	KindName       string
	Sender         string
	Order, Buyer   string
	Situation      string
	Facts          string
	Earlier        []Example
	Subject        string
	Question       string
	Fence          string
	Gap            string
	Rules          []string
	ReturnReceived bool
}

var kindNames = map[sfp.Kind]string{
	sfp.KindProductQuestion:  "a buyer's question about a product",
	sfp.KindPreOrderQuestion: "a question before ordering",
	sfp.KindOrderQuestion:    "a buyer's question about their order",
	sfp.KindCSContact:        "a question from customer service",
}

// BuildPrompt redacts the input with one Mapping (the question, the
// subject, the product facts and the earlier answers share placeholders)
// and fills the kind's template.
func BuildPrompt(in Input) (*Prompt, error) {
	ts, err := taskTemplates()
	if err != nil {
		return nil, err
	}
	tt, ok := ts[in.Kind]
	if !ok {
		return nil, sfp.Errorf(sfp.EINVALID, "no draft for a %s", in.Kind)
	}
	lang := in.Language()
	m := NewMapping(in.Customer)
	d := promptData{
		Marketplace: string(in.Marketplace), Lang: lang, LangName: LanguageName(lang),
		KindName: kindNames[in.Kind], Sender: "buyer", Gap: GapMarker(lang),
		ReturnReceived: in.ReturnReceived,
	}
	if d.Marketplace == "" {
		d.Marketplace = string(sfp.DefaultMarketplace)
	}
	switch {
	case in.Kind == sfp.KindPreOrderQuestion:
		d.Sender = "shopper"
	case in.ForAgent || in.Kind == sfp.KindCSContact:
		d.Sender = "customer-service agent"
	}
	for _, r := range rules {
		d.Rules = append(d.Rules, r.Description)
	}
	// The buyer's own data first, so that it gets the first placeholders.
	if n := strings.TrimSpace(in.Customer.Name); n != "" {
		d.Buyer = m.Redact(n)
	}
	d.Subject = m.Redact(cutRunes(oneLine(in.Subject), maxSubjectRunes))
	d.Question = m.Redact(cutRunes(strings.TrimSpace(in.Question), maxQuestionRunes))
	if in.OrderID != "" {
		d.Order = m.Redact(in.OrderID)
	}
	allowed := map[string]bool{}
	for _, s := range []string{d.Buyer, d.Subject, d.Question, d.Order} {
		for _, p := range placeholderRE.FindAllString(s, -1) {
			allowed[p] = true
		}
	}
	if in.ReturnReceived {
		d.Situation = "the buyer's return of this order has reached the seller's warehouse; the seller is refunding it now."
	}
	if in.Product != nil {
		d.Facts = m.Redact(cutRunes(in.Product.String(), maxFactsRunes))
	}
	for i, e := range in.Earlier {
		if i == maxExamples {
			break
		}
		// The earlier buyer's data gets placeholders of its own, which are
		// not in allowed: a draft that copies one gets a gap, never the
		// other buyer's name.
		m.Know(e.Known)
		d.Earlier = append(d.Earlier, Example{
			Question: m.Redact(cutRunes(strings.TrimSpace(e.Question), maxExampleRunes)),
			Answer:   m.Redact(cutRunes(strings.TrimSpace(e.Answer), maxExampleRunes)),
		})
	}
	// Data cannot open or close a fence: the markers are defanged, and the
	// fence carries a code derived from the data, which a buyer cannot
	// know when writing.
	d.Fence = fenceCode(d)
	defang := func(s string) string { return defangFences(s, d.Fence) }
	d.Subject, d.Question, d.Facts = defang(d.Subject), defang(d.Question), defang(d.Facts)
	for i := range d.Earlier {
		d.Earlier[i].Question, d.Earlier[i].Answer = defang(d.Earlier[i].Question), defang(d.Earlier[i].Answer)
	}

	var sys, user bytes.Buffer
	if err := tt.tmpl.ExecuteTemplate(&sys, "system", d); err != nil {
		return nil, err
	}
	if err := tt.tmpl.ExecuteTemplate(&user, "user", d); err != nil {
		return nil, err
	}
	p := &Prompt{
		Template: tt.version, Lang: lang,
		System: strings.TrimSpace(sys.String()), User: strings.TrimSpace(user.String()),
		mapping: m, allowed: allowed, gap: d.Gap,
	}
	p.User = scrubKnown(p.User, in)
	return p, nil
}

// scrubKnown is the last guard: a datum the case names that the redactor
// somehow left in place never leaves the process.
func scrubKnown(s string, in Input) string {
	values := []string{in.OrderID, strings.TrimSpace(in.Customer.Name), in.Customer.Email, in.Customer.Phone}
	for _, e := range in.Earlier {
		values = append(values, strings.TrimSpace(e.Known.Name), e.Known.Email, e.Known.Phone)
	}
	for _, v := range values {
		if utf8.RuneCountInString(strings.TrimSpace(v)) >= 4 {
			s = strings.ReplaceAll(s, strings.TrimSpace(v), "[REDACTED]")
		}
	}
	return s
}

func fenceCode(d promptData) string {
	h := sha256.New()
	for _, s := range []string{d.Subject, d.Question, d.Facts} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, e := range d.Earlier {
		h.Write([]byte(e.Question + "\x00" + e.Answer + "\x00"))
	}
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil))[:10])
}

var fenceMarks = strings.NewReplacer("<<<", "‹‹‹", ">>>", "›››")

func defangFences(s, code string) string {
	return strings.ReplaceAll(fenceMarks.Replace(s), code, "")
}

// Restore turns a model's answer into the seller's words: the buyer's own
// placeholders get their originals back; any other placeholder stands for
// a datum of another buyer (from an earlier answer) or for nothing, and
// becomes a gap for the seller to fill. A name comes back as its first word
// only: a draft greets the buyer as a card shows them, never by full name.
func (p *Prompt) Restore(text string) string {
	text = placeholderRE.ReplaceAllStringFunc(text, func(ph string) string {
		if !p.allowed[ph] {
			return p.gap
		}
		if o, ok := p.mapping.original(ph); ok && strings.HasPrefix(ph, "[NAME_") {
			return sfp.FirstName(o)
		}
		return ph
	})
	return p.mapping.Restore(text)
}

// Mapping returns the prompt's Mapping; it holds the buyer's personal data.
func (p *Prompt) Mapping() *Mapping { return p.mapping }

// GapMarker is the mark a draft leaves where the seller must add a fact,
// in the reply's language.
func GapMarker(lang string) string {
	if g, err := fallbackPhrase(lang, "gap", fallbackData{}); err == nil {
		return g
	}
	return "⟦to fill⟧"
}

// finishText tidies what a model wrote: no code fences, no surrounding
// blank lines, no more than a draft may hold.
func finishText(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "```") && strings.HasSuffix(s, "```") && len(s) >= 6 {
		s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSuffix(s[3:], "```"), "text"))
	}
	return cutRunes(s, maxDraftRunes)
}

// partialText is what a reader may see of a text still being written: a
// placeholder cut in the middle ("[NAM") is held back until complete.
func partialText(s string) string {
	if i := strings.LastIndexByte(s, '['); i >= 0 && !strings.Contains(s[i:], "]") && len(s)-i < 20 {
		s = s[:i]
	}
	return s
}

func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// FindingsOf is the findings as the case stores them.
func FindingsOf(fs []Finding) []sfp.Finding {
	out := make([]sfp.Finding, 0, len(fs))
	for _, f := range fs {
		out = append(out, sfp.Finding{Rule: string(f.Rule), Quote: f.Quote})
	}
	return slices.Clip(out)
}
