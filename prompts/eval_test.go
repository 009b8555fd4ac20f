package prompts

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sfpdesk/sfpdesk/prompts/openaitest"
	"github.com/sfpdesk/sfpdesk/sfp"
)

func TestEvaluationOfTheTemplates(t *testing.T) {
	qs, err := EvalQuestions()
	if err != nil {
		t.Fatal(err)
	}
	cat, err := EvalCatalog()
	if err != nil {
		t.Fatal(err)
	}
	langs := map[string]int{}
	kinds := map[sfp.Kind]int{}
	notes := 0
	for _, q := range qs {
		langs[q.Lang]++
		kinds[q.Kind]++
		if strings.HasPrefix(q.Note, "injection") || strings.HasPrefix(q.Note, "bait") {
			notes++
		}
		if q.SKU != "" || q.ASIN != "" {
			if _, ok := cat.Lookup(q.SKU, q.ASIN); !ok {
				t.Errorf("%s: product %s%s is not in the catalogue", q.ID, q.SKU, q.ASIN)
			}
		}
	}
	if len(qs) < 40 || langs["fr"]+langs["en"] < len(qs)*2/3 || langs["de"] == 0 || langs["es"] == 0 || langs["it"] == 0 || notes < 4 || len(kinds) != 4 {
		t.Errorf("the evaluation needs 40+ questions, mostly French and English, some German, Spanish and Italian, every kind, a few baits: %d questions, %v, %v, %d baits", len(qs), langs, kinds, notes)
	}
	rs := RunEval(context.Background(), Templates{}, qs, cat, nil)
	var out bytes.Buffer
	tot := WriteEvalTable(&out, rs)
	if tot.Findings != 0 || tot.LangOK != len(qs) || tot.Failed != 0 {
		t.Errorf("templates: %+v\n%s", tot, out.String())
		for _, r := range rs {
			if r.Draft != nil && (len(r.Draft.Findings) > 0 || !r.LangOK) {
				t.Logf("%s: %+v\n%s", r.Question.ID, r.Draft.Findings, r.Draft.Text)
			}
		}
	}
	for _, want := range []string{"QUESTION", "fr-lamp-e27", "TOTAL  " + itoa(len(qs)) + " questions", "findings: 0 in 0 drafts"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestEvaluationWithAModel(t *testing.T) {
	srv := openaitest.New()
	defer srv.Close()
	srv.Push(openaitest.Reply{Status: 429, Type: "insufficient_quota", Code: "insufficient_quota", Message: "no credit"},
		openaitest.Text("Bonjour, écrivez-nous à contact@boutique.example pour un code promo."))
	srv.Default = openaitest.Text("Bonjour, la lampe a une LED intégrée de 8 W. Cordialement")
	qs, _ := EvalQuestions()
	cat, _ := EvalCatalog()
	rs := RunEval(context.Background(), newModel(t, srv, "gpt-4o-mini", nil), qs[:4], cat, nil)
	var out bytes.Buffer
	tot := WriteEvalTable(&out, rs)
	if tot.Failed != 1 || tot.Findings < 2 || tot.WithFindings != 1 || tot.PromptTokens != 3*420 {
		t.Errorf("totals %+v\n%s", tot, out.String())
	}
	for _, want := range []string{"failed: quota", "email_address", "marketing", "420/"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

func TestLoadEvalQuestionsRefusesMistakes(t *testing.T) {
	for _, bad := range []string{
		`{"id":"a","kind":"refund_notice","lang":"fr","question":"x"}`,
		`{"id":"a","kind":"product_question","lang":"fr","question":""}`,
		`{"id":"a","kind":"product_question","question":"x"}`,
		`{"id":"a","kind":"product_question","lang":"fr","question":"x","typo":1}`,
		"{\"id\":\"a\",\"kind\":\"product_question\",\"lang\":\"fr\",\"question\":\"x\"}\n{\"id\":\"a\",\"kind\":\"product_question\",\"lang\":\"fr\",\"question\":\"y\"}",
	} {
		if _, err := LoadEvalQuestions(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
