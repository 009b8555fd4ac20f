package prompts

import (
	"bufio"
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// The evaluation: realistic questions run through a drafter, each draft
// scored by the messaging rules, its language, its length, its latency and
// its tokens, so that a seller can compare models (or a model against the
// templates) on the same questions before trusting one. `sfpdesk
// eval-drafts` prints the table.

//go:embed testdata/eval/questions.jsonl testdata/eval/catalog.csv
var evalFS embed.FS

// EvalQuestion is one question of the evaluation.
type EvalQuestion struct {
	ID          string          `json:"id"`
	Kind        sfp.Kind        `json:"kind"`
	Marketplace sfp.Marketplace `json:"marketplace,omitempty"`
	// Lang is the language the reply must be written in.
	Lang string `json:"lang"`
	// Declared is the buyer's language as the contact declares it, if it
	// does.
	Declared       string        `json:"declared_lang,omitempty"`
	Subject        string        `json:"subject,omitempty"`
	Question       string        `json:"question"`
	Customer       EvalCustomer  `json:"customer,omitempty"`
	OrderID        string        `json:"order_id,omitempty"`
	SKU            string        `json:"sku,omitempty"`
	ASIN           string        `json:"asin,omitempty"`
	ReturnReceived bool          `json:"return_received,omitempty"`
	ForAgent       bool          `json:"for_agent,omitempty"`
	Earlier        []EvalExample `json:"earlier,omitempty"`
	// Note says what the question tests ("injection", "bait: phone").
	Note string `json:"note,omitempty"`
}

// EvalCustomer is the buyer's data a question's case holds.
type EvalCustomer struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// EvalExample is an earlier answer of the seller on the same product.
type EvalExample struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
}

// Input is the question as a drafter receives it.
func (q EvalQuestion) Input(cat *Catalog) Input {
	in := Input{
		Kind: q.Kind, Marketplace: q.Marketplace, Lang: q.Declared, Subject: q.Subject, Question: q.Question,
		Customer: KnownPII{Name: q.Customer.Name, Email: q.Customer.Email, Phone: q.Customer.Phone},
		OrderID:  q.OrderID, ReturnReceived: q.ReturnReceived, ForAgent: q.ForAgent,
	}
	if in.Marketplace == "" {
		in.Marketplace = sfp.DefaultMarketplace
	}
	if p, ok := cat.Lookup(q.SKU, q.ASIN); ok {
		in.Product = p
	}
	var ex []Example
	for _, e := range q.Earlier {
		ex = append(ex, Example{Question: e.Question, Answer: e.Answer})
	}
	in.Earlier = MostSimilar(q.Question, ex, maxExamples)
	return in
}

// LoadEvalQuestions reads questions, one JSON object a line; blank lines
// and lines starting with # are skipped.
func LoadEvalQuestions(r io.Reader) ([]EvalQuestion, error) {
	var qs []EvalQuestion
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	seen := map[string]bool{}
	for line := 1; sc.Scan(); line++ {
		t := bytes.TrimSpace(sc.Bytes())
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		var q EvalQuestion
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&q); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		switch {
		case q.ID == "" || seen[q.ID]:
			return nil, fmt.Errorf("line %d: every question needs an id of its own", line)
		case !draftable(q.Kind):
			return nil, fmt.Errorf("line %d (%s): kind %q has no drafts", line, q.ID, q.Kind)
		case strings.TrimSpace(q.Question) == "":
			return nil, fmt.Errorf("line %d (%s): the question is empty", line, q.ID)
		case q.Lang == "":
			return nil, fmt.Errorf("line %d (%s): lang, the language the reply must be in, is missing", line, q.ID)
		}
		seen[q.ID] = true
		qs = append(qs, q)
	}
	return qs, sc.Err()
}

// EvalQuestions returns the built-in questions.
func EvalQuestions() ([]EvalQuestion, error) {
	b, err := evalFS.ReadFile("testdata/eval/questions.jsonl")
	if err != nil {
		return nil, err
	}
	return LoadEvalQuestions(bytes.NewReader(b))
}

// EvalCatalog returns the built-in products the questions ask about.
func EvalCatalog() (*Catalog, error) {
	b, err := evalFS.ReadFile("testdata/eval/catalog.csv")
	if err != nil {
		return nil, err
	}
	ps, err := ParseCatalog(bytes.NewReader(b), "csv")
	if err != nil {
		return nil, err
	}
	return NewCatalog(ps), nil
}

// EvalResult is one question's draft and its scores.
type EvalResult struct {
	Question EvalQuestion
	Draft    *Draft // nil when drafting failed
	// Failure is the kind of the drafting error, "" when it drafted.
	Failure string
	// Lang is the language the draft reads as.
	Lang    string
	LangOK  bool
	Runes   int
	Latency time.Duration
}

// RunEval drafts every question in turn. A failure is a result, not an
// error: the table shows it. clock measures the latency.
func RunEval(ctx context.Context, d Drafter, qs []EvalQuestion, cat *Catalog, clock sfp.Clock) []EvalResult {
	if clock == nil {
		clock = sfp.RealClock{}
	}
	out := make([]EvalResult, 0, len(qs))
	for _, q := range qs {
		if ctx.Err() != nil {
			break
		}
		start := clock.Now()
		draft, err := d.Draft(ctx, q.Input(cat), nil)
		r := EvalResult{Question: q, Draft: draft, Latency: clock.Now().Sub(start)}
		if err != nil {
			r.Failure = ErrorKind(err)
		} else {
			r.Lang, _ = DetectLanguage(draft.Text)
			r.LangOK = r.Lang == normalizeLang(q.Lang)
			r.Runes = utf8.RuneCountInString(draft.Text)
		}
		out = append(out, r)
	}
	return out
}

// EvalTotals sums up a run.
type EvalTotals struct {
	Questions    int
	Drafted      int
	Failed       int
	WithFindings int
	Findings     int
	ByRule       map[RuleID]int
	LangOK       int
	MeanRunes    int
	MeanLatency  time.Duration
	MaxLatency   time.Duration
	// Tokens, as the model counted them.
	PromptTokens, CompletionTokens int
}

// Totals sums results up.
func Totals(rs []EvalResult) EvalTotals {
	t := EvalTotals{Questions: len(rs), ByRule: map[RuleID]int{}}
	var runes int
	var lat time.Duration
	for _, r := range rs {
		if r.Draft == nil {
			t.Failed++
			continue
		}
		t.Drafted++
		if len(r.Draft.Findings) > 0 {
			t.WithFindings++
		}
		t.Findings += len(r.Draft.Findings)
		for _, f := range r.Draft.Findings {
			t.ByRule[f.Rule]++
		}
		if r.LangOK {
			t.LangOK++
		}
		runes += r.Runes
		lat += r.Latency
		t.MaxLatency = max(t.MaxLatency, r.Latency)
		t.PromptTokens += r.Draft.PromptTokens
		t.CompletionTokens += r.Draft.CompletionTokens
	}
	if t.Drafted > 0 {
		t.MeanRunes = runes / t.Drafted
		t.MeanLatency = lat / time.Duration(t.Drafted)
	}
	return t
}

// WriteEvalTable prints one line per question and the totals.
func WriteEvalTable(w io.Writer, rs []EvalResult) EvalTotals {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "QUESTION\tKIND\tLANG\tFINDINGS\tLENGTH\tLATENCY\tTOKENS IN/OUT\t")
	for _, r := range rs {
		q := r.Question
		if r.Draft == nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\tfailed: %s\t-\t%s\t-\t\n", q.ID, shortKind(q.Kind), q.Lang, r.Failure, roundLatency(r.Latency))
			continue
		}
		lang := q.Lang + " ✓"
		if !r.LangOK {
			got := r.Lang
			if got == "" {
				got = "?"
			}
			lang = q.Lang + " ✗ " + got
		}
		findings := "0"
		if n := len(r.Draft.Findings); n > 0 {
			var ids []string
			for _, f := range r.Draft.Findings {
				ids = append(ids, string(f.Rule))
			}
			findings = fmt.Sprintf("%d %s", n, strings.Join(slices.Compact(ids), ","))
		}
		tokens := "-"
		if r.Draft.PromptTokens+r.Draft.CompletionTokens > 0 {
			tokens = fmt.Sprintf("%d/%d", r.Draft.PromptTokens, r.Draft.CompletionTokens)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t\n", q.ID, shortKind(q.Kind), lang, findings, r.Runes, roundLatency(r.Latency), tokens)
	}
	tw.Flush()
	t := Totals(rs)
	fmt.Fprintf(w, "\nTOTAL  %d questions · %d drafted · %d failed\n", t.Questions, t.Drafted, t.Failed)
	fmt.Fprintf(w, "       findings: %d in %d drafts", t.Findings, t.WithFindings)
	if len(t.ByRule) > 0 {
		var parts []string
		for r, n := range t.ByRule {
			parts = append(parts, fmt.Sprintf("%s %d", r, n))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "       language: %d/%d in the buyer's language\n", t.LangOK, t.Drafted)
	fmt.Fprintf(w, "       length: %d characters on average\n", t.MeanRunes)
	fmt.Fprintf(w, "       latency: %s on average, %s at most\n", roundLatency(t.MeanLatency), roundLatency(t.MaxLatency))
	fmt.Fprintf(w, "       tokens: %d in, %d out\n", t.PromptTokens, t.CompletionTokens)
	return t
}

func shortKind(k sfp.Kind) string {
	switch k {
	case sfp.KindPreOrderQuestion:
		return "pre-order"
	case sfp.KindProductQuestion:
		return "product"
	case sfp.KindOrderQuestion:
		return "order"
	case sfp.KindCSContact:
		return "cs"
	}
	return string(k)
}

func roundLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return "0s"
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}
