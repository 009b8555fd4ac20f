package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/sfpdesk/sfpdesk/prompts"
	"github.com/sfpdesk/sfpdesk/sfp"
)

// draftTimeout bounds one model draft: it runs in the background, which
// Slack's handlers give a minute, and a template must still have time to
// stand in when the model fails.
const draftTimeout = 45 * time.Second

// newDrafter is the model drafter when OPENAI_API_KEY or OPENAI_BASE_URL
// is set, else nil: drafts then come from the templates.
func newDrafter(cfg *Config, clock sfp.Clock, log *slog.Logger) *prompts.Model {
	if !cfg.UseModel() {
		return nil
	}
	return prompts.NewModel(prompts.ModelConfig{
		APIKey: cfg.OpenAIAPIKey, BaseURL: cfg.OpenAIBaseURL, Model: cfg.OpenAIModel,
		Clock: clock, Log: log, Timeout: draftTimeout,
	})
}

// openCatalog reads SFPDESK_CATALOG; a file that cannot be read leaves
// drafts without product facts rather than the bot without drafts.
func openCatalog(cfg *Config, log *slog.Logger) *prompts.Catalog {
	if cfg.Catalog == "" {
		return nil
	}
	c, err := prompts.OpenCatalog(cfg.Catalog, log)
	if err != nil {
		log.Warn("product catalogue not loaded: drafts go without product facts", "path", cfg.Catalog, "err", err)
		return nil
	}
	return c
}

// runEvalDrafts drafts the evaluation questions with the configured model
// (or the templates) and prints the scorecard. It fails only when it
// cannot run; what the drafts are worth is the table's to say.
func runEvalDrafts(args []string, getenv func(string) (string, bool), dotenv string, stdout, stderr io.Writer) int {
	fs := newFlags("eval-drafts")
	templates := fs.Bool("templates", false, "draft from the templates even when a model is configured")
	model := fs.String("model", "", "the model to evaluate (default OPENAI_MODEL)")
	questions := fs.String("questions", "", "a JSON Lines file of questions (default the built-in ones)")
	catalog := fs.String("catalog", "", "a CSV or JSON product file for your own questions (default the built-in one)")
	verbose := fs.Bool("v", false, "also print every draft")
	if code, ok := parseFlags(fs, args, stdout, stderr, false); !ok {
		return code
	}
	cfg, problems := LoadConfig(getenv, dotenv)
	// Only the model's settings matter here: no Slack token is needed.
	for _, p := range problems {
		if p.Level == levelError && strings.HasPrefix(p.Var, "OPENAI_") {
			fmt.Fprintf(stderr, "eval-drafts: %s\n", p)
			return 1
		}
	}
	if *model != "" {
		cfg.OpenAIModel = *model
	}
	qs, err := prompts.EvalQuestions()
	if *questions != "" {
		var f *os.File
		if f, err = os.Open(*questions); err == nil {
			qs, err = prompts.LoadEvalQuestions(f)
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "eval-drafts: questions: %v\n", err)
		return 1
	}
	cat, err := prompts.EvalCatalog()
	if *catalog != "" {
		cat, err = prompts.OpenCatalog(*catalog, nil)
	}
	if err != nil {
		fmt.Fprintf(stderr, "eval-drafts: catalogue: %v\n", err)
		return 1
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if *verbose {
		log = slog.New(slog.NewTextHandler(stderr, nil))
	}
	var drafter prompts.Drafter = prompts.Templates{}
	what := "templates (no model)"
	if m := newDrafter(cfg, sfp.RealClock{}, log); m != nil && !*templates {
		drafter, what = m, fmt.Sprintf("model %s at %s", m.Name(), cfg.OpenAIBaseURL)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	fmt.Fprintf(stdout, "Evaluating %d drafts: %s\n\n", len(qs), what)
	rs := prompts.RunEval(ctx, drafter, qs, cat, sfp.RealClock{})
	prompts.WriteEvalTable(stdout, rs)
	if *verbose {
		for _, r := range rs {
			fmt.Fprintf(stdout, "\n── %s\n%s\n", r.Question.ID, r.Question.Question)
			if r.Draft != nil {
				fmt.Fprintf(stdout, "→\n%s\n", r.Draft.Text)
				for _, f := range r.Draft.Findings {
					fmt.Fprintf(stdout, "  ! %s: %q\n", f.Rule, f.Quote)
				}
			}
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "eval-drafts: interrupted")
		return 1
	}
	return 0
}
