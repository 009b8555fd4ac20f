package handlers

import (
	"cmp"
	"context"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// command is one entry of the /sfp table. The table is the grammar: help
// and usage hints are generated from it, so they cannot drift apart.
type command struct {
	name    string // one or two words, e.g. "seller add"
	args    []arg
	admin   bool
	help    string // catalogue id of the one-line description
	example string
	run     func(a *App, ctx context.Context, c *call) any
}

func (c *command) usage() string {
	parts := []string{"/sfp " + c.name}
	for _, a := range c.args {
		parts = append(parts, a.usage())
	}
	return strings.Join(parts, " ")
}

// call is one invocation: who, where, and the parsed arguments.
type call struct {
	cmd         *command
	args        Args
	user        string
	userName    string
	channel     string
	threadTS    string
	team        string
	triggerID   string
	responseURL string
	lang        string
	// mention is set when the words came in an @mention rather than /sfp.
	mention bool
	// deferred is set when a look-up runs again after the acknowledgement,
	// its answer going through responseURL: it may then wait for Slack.
	deferred bool
	// guard, when set, runs first in the transaction of a command that
	// creates something and says whether this request is new: a mention
	// redelivered by Slack must not open a second case.
	guard func(store.Tx) (bool, error)
	// caseID is the case the command made or read, for the log.
	caseID string
}

func commandTable() []*command {
	return []*command{
		{name: "help", help: "cmd.help", example: "/sfp help", run: (*App).cmdHelp},
		{name: "ask", args: askSpec, help: "cmd.ask", example: "/sfp ask acme order 171-1234567-1234567 Can the buyer get a second charger?", run: (*App).cmdAsk},
		{name: "case", args: caseSpec, help: "cmd.case", example: "/sfp case SFP-1001", run: (*App).cmdCase},
		{name: "open", args: openSpec, help: "cmd.open", example: "/sfp open acme", run: (*App).cmdOpen},
		{name: "breaches", help: "cmd.breaches", example: "/sfp breaches", run: (*App).cmdBreaches},
		{name: "stats", args: statsSpec, help: "cmd.stats", example: "/sfp stats acme 7d", run: (*App).cmdStats},
		{name: "refund", args: refundSpec, help: "cmd.refund", example: "/sfp refund acme 171-1234567-1234567 39,90 late_delivery", run: (*App).cmdRefund},
		{name: "return", args: returnSpec, help: "cmd.return", example: "/sfp return acme 171-1234567-1234567 2026-11-02", run: (*App).cmdReturn},
		{name: "claims", args: claimsSpec, help: "cmd.claims", example: "/sfp claims acme", run: (*App).cmdClaims},
		{name: "seller add", args: sellerAddSpec, admin: true, help: "cmd.seller.add", example: "/sfp seller add acme #acme-support amazon.fr", run: (*App).cmdSellerAdd},
		{name: "seller set", args: sellerSetSpec, admin: true, help: "cmd.seller.set", example: "/sfp seller set acme timezone Europe/Berlin", run: (*App).cmdSellerSet},
		{name: "seller list", admin: true, help: "cmd.seller.list", example: "/sfp seller list", run: (*App).cmdSellerList},
		{name: "seller remove", args: sellerRemoveSpec, admin: true, help: "cmd.seller.remove", example: "/sfp seller remove acme", run: (*App).cmdSellerRemove},
	}
}

// find matches the longest command name at the start of text.
func findCommand(table []*command, text string) (*command, string) {
	first, rest := nextToken(text)
	second, rest2 := nextToken(rest)
	first, second = strings.ToLower(first), strings.ToLower(second)
	for _, c := range table {
		if c.name == first+" "+second {
			return c, rest2
		}
	}
	for _, c := range table {
		if c.name == first {
			return c, rest
		}
	}
	return nil, text
}

// ackDeadline is how long a command's answer waits for slow work. Slack
// waits 3 seconds for it; work still running then goes on after the answer.
const ackDeadline = 2 * time.Second

// Command answers /sfp. The answer is private (ephemeral) and comes in the
// acknowledgement itself.
func (a *App) Command(ctx context.Context, sc slack.SlashCommand) any {
	a.init()
	// Work that began finishes: a deadline, or a connection Slack dropped
	// after 3 seconds, must cost the answer its speed, never the contact it
	// carries (a store refuses a transaction whose context is done). What
	// waits on Slack bounds itself where it is made (lookupBudget,
	// ackDeadline), and a slow ask answers before its commit is done.
	ctx = context.WithoutCancel(ctx)
	c := &call{
		user: sc.UserID, userName: sc.UserName, channel: sc.ChannelID, team: sc.TeamID,
		triggerID: sc.TriggerID, responseURL: sc.ResponseURL, lang: a.Settings.Lang,
	}
	return a.dispatch(ctx, c, sc.Text)
}

func (a *App) dispatch(ctx context.Context, c *call, text string) any {
	text = strings.TrimSpace(text)
	if text == "" {
		text = "help"
	}
	entry := "slash"
	if c.mention {
		entry = "mention"
	}
	cmd, rest := findCommand(a.table, text)
	if cmd == nil {
		a.logHandled("command", entry, "", "", c.user, "unknown")
		word, _ := nextToken(text)
		return ephemeral(bot.T(c.lang, "error.unknown", bot.EscapeCut(bot.Unescape(word), 40)))
	}
	if cmd.admin && !a.isAdmin(c.user) {
		a.logHandled("command", entry, cmd.name, "", c.user, "forbidden")
		return ephemeral(bot.T(c.lang, "error.forbidden"))
	}
	args, perr := parseArgs(cmd.args, rest)
	if perr != nil {
		a.logHandled("command", entry, cmd.name, "", c.user, "usage")
		return usageError(c.lang, cmd, perr.text(c.lang))
	}
	c.cmd, c.args = cmd, args
	reply := cmd.run(a, ctx, c)
	a.logHandled("command", entry, cmd.name, cmp.Or(c.caseID, args["case"]), c.user, "done")
	return reply
}

// logHandled records each command, button and form handled: what, from
// where, on which case, by whom, and how it ended. Never what anyone wrote:
// the words of a question are a buyer's.
func (a *App) logHandled(what, entry, name, caseID, user, result string) {
	attrs := []any{"entry", entry}
	if name != "" {
		attrs = append(attrs, what, name)
	}
	if caseID != "" {
		attrs = append(attrs, "case_id", caseID)
	}
	a.Log.Info(what+" handled", append(attrs, "user", user, "result", result)...)
}

func usageError(lang string, cmd *command, msg string) *slack.Msg {
	text := bot.T(lang, "error.usage", msg, cmd.usage())
	if cmd.example != "" {
		text += "\n" + bot.T(lang, "error.example", cmd.example)
	}
	return ephemeral(text)
}

// errorReply turns an error into the private answer a person sees: the
// message of an *sfp.Error they can act on, a short apology for anything
// else (whose cause goes to the log, never to Slack).
func (a *App) errorReply(lang string, cmd *command, err error) *slack.Msg {
	switch sfp.ErrorCode(err) {
	case sfp.EINVALID:
		if cmd != nil {
			return usageError(lang, cmd, sfp.ErrorMessage(err))
		}
		return ephemeral(":warning: " + sfp.ErrorMessage(err))
	case sfp.EFORBIDDEN:
		return ephemeral(bot.T(lang, "error.forbidden"))
	case sfp.ENOTFOUND:
		return ephemeral(bot.T(lang, "error.not_found"))
	case sfp.ECONFLICT:
		return ephemeral(":warning: " + sfp.ErrorMessage(err))
	}
	a.Log.Error("command failed", "err", err)
	return ephemeral(bot.T(lang, "error.internal"))
}

// ephemeral is a private answer: text is mrkdwn, made like a section's,
// and with blocks the fallback is theirs (bot.Fallback).
func ephemeral(text string, blocks ...slack.Block) *slack.Msg {
	m := &slack.Msg{ResponseType: slack.ResponseTypeEphemeral, Text: bot.Cut(text, bot.MaxFallbackText)}
	if len(blocks) > 0 {
		m.Text, m.Blocks = bot.Fallback(text, blocks), slack.Blocks{BlockSet: blocks}
	}
	return m
}

func (a *App) cmdHelp(ctx context.Context, c *call) any {
	var lines []string
	for _, cmd := range a.table {
		line := "`" + cmd.usage() + "` — " + bot.T(c.lang, cmd.help)
		if cmd.admin {
			line += " _(" + bot.T(c.lang, "help.admin") + ")_"
		}
		lines = append(lines, line)
	}
	title := bot.T(c.lang, "help.title")
	body := strings.Join(lines, "\n")
	return ephemeral(title+"\n"+body,
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*"+title+"*", false, false), nil, nil),
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, bot.Cut(body, bot.MaxSectionText), false, false), nil, nil),
		slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, bot.T(c.lang, "help.footer"), false, false)),
	)
}
