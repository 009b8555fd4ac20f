// Command sfpdesk runs the sfpdesk Slack bot and its tools: serve, demo,
// check, backup, manifest, purge, eval-drafts, version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// commandHelp is what `sfpdesk help` and `COMMAND --help` say of each
// command, in the order the usage lists them.
var commandHelp = []struct{ name, args, about string }{
	{"serve", "", "run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP) until SIGINT or SIGTERM"},
	{"demo", "[--lang fr|en] [-v]", "play a scripted day against a built-in fake Slack; no token needed"},
	{"check", "", "check every setting, one line each; exit 1 on any error"},
	{"backup", "--out FILE [--force]", "write a consistent copy of the database, even while the bot runs"},
	{"manifest", "[--url https://host]", "print the Slack app manifest (with no flags, slack-manifest.yaml)"},
	{"purge", "--case SFP-… | --order …", "erase one buyer's data now, with proof"},
	{"migrate", "--to URL|FILE", "copy everything from SFPDESK_DB to an empty store (PostgreSQL or a bbolt file); the bot must be stopped"},
	{"eval-drafts", "[--templates] [--model NAME] [--questions FILE] [--catalog FILE] [-v]", "score drafted replies on the evaluation questions, from the configured model or the templates"},
	{"report", "--seller S [--week YYYY-Www] --out FILE.png", "draw the weekly report's chart of a seller's last 8 weeks, from the database"},
	{"version", "", "print the version, the commit and the Go version it was built with"},
	{"healthcheck", "[--url URL]", "exit 0 if the running bot answers /healthz (the container's health check)"},
}

func usage() string {
	var b strings.Builder
	b.WriteString("sfpdesk — Seller Fulfilled Prime contacts in Slack, on the clock\n\n")
	b.WriteString("Usage: sfpdesk <command> [flags]\n\nCommands:\n")
	for _, c := range commandHelp {
		fmt.Fprintf(&b, "  %-12s %s\n", c.name, c.about)
	}
	b.WriteString("\n`sfpdesk COMMAND --help` tells more of each.\n")
	b.WriteString("Configuration comes from the environment, then from .env (see .env.example).\n")
	return b.String()
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage())
		return 2
	}
	switch args[0] {
	case "serve":
		return runServe(args[1:], stdout, stderr)
	case "demo":
		return runDemo(args[1:], stdout, stderr)
	case "check":
		return runCheckCommand(args[1:], stdout, stderr)
	case "backup":
		return runBackup(args[1:], stdout, stderr)
	case "purge":
		return runPurge(args[1:], stdout, stderr)
	case "report":
		return runReport(args[1:], stdout, stderr)
	case "migrate":
		return runMigrate(args[1:], stdout, stderr)
	case "manifest":
		return runManifest(args[1:], stdout, stderr)
	case "eval-drafts":
		return runEvalDrafts(args[1:], os.LookupEnv, ".env", stdout, stderr)
	case "version", "--version", "-version":
		return runVersion(args[1:], stdout, stderr)
	case "healthcheck":
		return runHealthcheck(args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && args[0] == "help" {
			// `sfpdesk help serve` is `sfpdesk serve --help`.
			return run([]string{args[1], "--help"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage())
		return 0
	}
	fmt.Fprintf(stderr, "sfpdesk: unknown command %q\n\n%s", args[0], usage())
	return 2
}

// newFlags returns the flag set of a command, whose usage says what the
// command does, from commandHelp, above its flags.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.Usage = func() {
		w := fs.Output()
		for _, c := range commandHelp {
			if c.name == name {
				fmt.Fprintf(w, "Usage: sfpdesk %s\n\n%s.\n", strings.TrimSpace(name+" "+c.args), upperFirst(c.about))
			}
		}
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(w, "\nFlags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses a command's arguments. ok is false when the command
// must stop at once with code: 0 after --help (the usage goes to stdout, and
// nothing else happens), 2 for a flag it does not know (the usage goes to
// stderr). A command that takes no arguments besides flags refuses any.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer, positional bool) (code int, ok bool) {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		return 0, false
	case err != nil:
		fmt.Fprintf(stderr, "sfpdesk %s: %v\n", fs.Name(), err)
	case !positional && fs.NArg() > 0:
		fmt.Fprintf(stderr, "sfpdesk %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
	default:
		fs.SetOutput(stderr)
		return 0, true
	}
	fs.SetOutput(stderr)
	fs.Usage()
	return 2, false
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
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

func runCheckCommand(args []string, stdout, stderr io.Writer) int {
	if code, ok := parseFlags(newFlags("check"), args, stdout, stderr, false); !ok {
		return code
	}
	cfg, problems := LoadConfig(os.LookupEnv, ".env")
	return runCheck(context.Background(), cfg, problems, stdout, nil)
}

func runServe(args []string, stdout, stderr io.Writer) int {
	if code, ok := parseFlags(newFlags("serve"), args, stdout, stderr, false); !ok {
		return code
	}
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
