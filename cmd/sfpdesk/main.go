// Command sfpdesk runs the sfpdesk Slack bot and its tools: serve, demo,
// check, backup, manifest, eval-drafts.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

const usage = `sfpdesk — Seller Fulfilled Prime contacts in Slack, on the clock

Usage: sfpdesk <command> [flags]

Commands:
  serve        run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP)
  demo         play a scripted day against a built-in fake Slack; no token needed
  check        check every setting, one line each; exit 1 on any error
  backup       --out FILE [--force]: a consistent copy of the database
  manifest     [--url https://host]: print the Slack app manifest
  purge        --case SFP-… | --order …: erase one buyer's data now, with proof
  eval-drafts  [--templates] [--model NAME]: score drafted replies on the evaluation questions
  report       --seller S [--week YYYY-Www] --out FILE.png: the weekly report's chart

Configuration comes from the environment, then from .env (see .env.example).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(stderr)
	case "demo":
		return runDemo(args[1:], stdout, stderr)
	case "check":
		cfg, problems := LoadConfig(os.LookupEnv, ".env")
		return runCheck(context.Background(), cfg, problems, stdout, nil)
	case "backup":
		return runBackup(args[1:], stdout, stderr)
	case "purge":
		return runPurge(args[1:], stdout, stderr)
	case "report":
		return runReport(args[1:], stdout, stderr)
	case "manifest":
		return runManifest(args[1:], stdout, stderr)
	case "eval-drafts":
		return runEvalDrafts(args[1:], os.LookupEnv, ".env", stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "sfpdesk: unknown command %q\n\n%s", args[0], usage)
	return 2
}

// newLogger logs JSON for machines and text for people at a terminal.
func newLogger(w io.Writer) *slog.Logger {
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, nil))
		}
	}
	return slog.New(slog.NewJSONHandler(w, nil))
}

func runServe(stderr io.Writer) int {
	log := newLogger(stderr)
	cfg, problems := LoadConfig(os.LookupEnv, ".env")
	if p, bad := firstError(problems); bad {
		fmt.Fprintf(stderr, "sfpdesk: %s\n", p)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	m := &Main{Config: cfg, Log: log}
	if err := m.Open(ctx); err != nil {
		fmt.Fprintf(stderr, "sfpdesk: %v\n", err)
		return 1
	}
	defer m.Close()
	if err := m.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "sfpdesk: %v\n", err)
		return 1
	}
	return 0
}
