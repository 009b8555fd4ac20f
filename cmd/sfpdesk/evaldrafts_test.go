package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sfpdesk/sfpdesk/prompts/openaitest"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// The templates' run is part of the tests: every draft passes the
// messaging rules and speaks the buyer's language.
func TestEvalDraftsOnTheTemplates(t *testing.T) {
	var out, errb bytes.Buffer
	// A model is configured, and --templates sets it aside: no request.
	model := openaitest.New()
	defer model.Close()
	code := runEvalDrafts([]string{"--templates"}, envOf(map[string]string{"OPENAI_BASE_URL": model.BaseURL()}), "", &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	text := out.String()
	for _, want := range []string{"templates (no model)", "QUESTION", "fr-lamp-e27", "it-order-broken", "findings: 0 in 0 drafts", "failed"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if !strings.Contains(text, "· 0 failed") {
		t.Errorf("some drafts failed:\n%s", text)
	}
	var n int
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, "language: ") {
			var a, b int
			if _, err := fmt.Sscanf(strings.TrimSpace(l), "language: %d/%d", &a, &b); err != nil || a != b || a < 40 {
				t.Errorf("language line %q", l)
			}
			n++
		}
	}
	if n != 1 {
		t.Errorf("no language total:\n%s", text)
	}
	if len(model.Requests()) != 0 {
		t.Errorf("--templates asked the model %d times", len(model.Requests()))
	}
}

func TestEvalDraftsWithAModel(t *testing.T) {
	model := openaitest.New()
	defer model.Close()
	model.Default = openaitest.Text("Bonjour, oui : la LED intégrée fait 8 W. Cordialement")
	dir := t.TempDir()
	questions := filepath.Join(dir, "q.jsonl")
	os.WriteFile(questions, []byte(`{"id":"mine-1","kind":"product_question","lang":"fr","sku":"LAMP-ARIA","question":"La lampe est-elle dimmable ?"}`+"\n"+
		`{"id":"mine-2","kind":"pre_order_question","lang":"fr","question":"Livrez-vous en Belgique ?"}`+"\n"), 0o644)
	var out, errb bytes.Buffer
	env := envOf(map[string]string{"OPENAI_BASE_URL": model.BaseURL(), "OPENAI_MODEL": "llama3.1:8b"})
	if code := runEvalDrafts([]string{"--questions", questions}, env, "", &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{"model llama3.1:8b at " + model.BaseURL(), "mine-1", "mine-2", "420/", "tokens: 840 in"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if n := len(model.Requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if !strings.Contains(string(model.Requests()[0].Body), "integrated LED 8 W") {
		t.Error("the built-in catalogue's facts did not reach the model")
	}
}

func TestEvalDraftsCannotRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
	}{
		{"an unknown flag", []string{"--nope"}, nil, 2},
		{"a stray argument", []string{"now"}, nil, 2},
		{"a missing questions file", []string{"--questions", "/nonexistent/q.jsonl"}, nil, 1},
		{"a bad model URL", nil, map[string]string{"OPENAI_BASE_URL": "ftp://model"}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := runEvalDrafts(tc.args, envOf(tc.env), "", &out, &errb); code != tc.code {
				t.Errorf("exit %d, want %d: %s", code, tc.code, errb.String())
			}
		})
	}
	var out, errb bytes.Buffer
	if code := run([]string{"help"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "eval-drafts") {
		t.Errorf("usage does not list eval-drafts:\n%s", out.String())
	}
}
