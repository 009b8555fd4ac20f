package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	// Sellers' time zones must load on hosts and containers without a zone
	// database; a deadline computed in UTC by mistake is a late reply.
	_ "time/tzdata"

	"github.com/joho/godotenv"

	"github.com/sfpdesk/sfpdesk/mail"
	"github.com/sfpdesk/sfpdesk/report"
	"github.com/sfpdesk/sfpdesk/sfp"
)

// Config is the environment of DESIGN §4.2, parsed and checked. LoadConfig
// fills every field, with defaults where a setting is unset or bad, so that
// `sfpdesk check` can report every problem at once.
type Config struct {
	// Slack app.
	SlackBotToken      string
	SlackAppToken      string // set: Socket Mode; empty: HTTP mode
	SlackSigningSecret string
	SlackAPIURL        string // always ends in "/"

	// People and channels.
	Admins            []string // Slack user IDs
	TriageChannel     string   // channel ID, or empty
	EscalationChannel string   // channel ID, or empty

	// Seller defaults.
	Location *time.Location
	Lang     string // "fr" or "en"

	// Deadlines and reminders.
	SLA          sfp.SLA         // every kind with a deadline; refund_notice has none
	RemindBefore []time.Duration // longest first; empty: no reminders
	QuietHours   sfp.QuietHours  // zero: none
	CloseAfter   sfp.Duration

	// Reimbursement claims.
	ClaimWindow       sfp.Duration
	ClaimRemindBefore []time.Duration // longest first; empty: no reminders

	// Drafted replies.
	OpenAIAPIKey  string
	OpenAIBaseURL string // without a trailing "/"; OpenAI's when unset
	OpenAIModel   string
	Catalog       string // path of the product facts file, or empty

	// Intake API and callbacks.
	IntakeToken   string   // empty: the intake API is off
	CallbackAllow []string // lower-case host names and IP addresses

	// Storage, listeners and privacy.
	DBPath     string
	Retention  sfp.Duration
	Addr       string
	AdminAddr  string
	AdminToken string // when set, the admin listener requires it as a bearer token

	// Weekly report; nil: off.
	Report *report.Schedule
	// The sellers' mailboxes (DESIGN §4.9).
	Mailboxes    []mail.Account // one per seller, IMAP
	SMTP         []mail.Account // one per seller; user and password default to the mailbox's
	MailPoll     sfp.Duration
	MailBackfill sfp.Duration

	// openAIBaseSet records that OPENAI_BASE_URL was given: a base URL alone
	// (a local model server needs no key) turns drafting by model on.
	openAIBaseSet bool
}

// SocketMode reports whether the bot connects to Slack itself rather than
// receiving Slack's requests over HTTP.
func (c Config) SocketMode() bool { return c.SlackAppToken != "" }

// UseModel reports whether drafts come from the model rather than from
// templates.
func (c Config) UseModel() bool { return c.OpenAIAPIKey != "" || c.openAIBaseSet }

// Redacted returns a copy of the configuration in which every secret is
// replaced by a marker that keeps only the token's kind (xoxb-, xapp-…).
func (c Config) Redacted() Config {
	r := c
	r.SlackBotToken = redact(c.SlackBotToken)
	r.SlackAppToken = redact(c.SlackAppToken)
	r.SlackSigningSecret = redact(c.SlackSigningSecret)
	r.OpenAIAPIKey = redact(c.OpenAIAPIKey)
	r.IntakeToken = redact(c.IntakeToken)
	r.AdminToken = redact(c.AdminToken)
	return r
}

// LogValue makes slog print the settings by their variable names, secrets
// redacted, whichever way the configuration is handed to a logger.
func (c Config) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, len(settings))
	for _, s := range settings {
		attrs = append(attrs, slog.String(s.name, s.shown(&c)))
	}
	return slog.GroupValue(attrs...)
}

// String keeps secrets out of fmt's %v and %+v as LogValue does for slog.
func (c Config) String() string {
	var b strings.Builder
	for i, s := range settings {
		if i > 0 {
			b.WriteByte(' ')
		}
		v := s.shown(&c)
		if strings.ContainsAny(v, " \t\"") {
			v = strconv.Quote(v)
		}
		b.WriteString(s.name + "=" + v)
	}
	return b.String()
}

// GoString covers %#v, which would otherwise print every field verbatim.
func (c Config) GoString() string { return "main.Config{" + c.String() + "}" }

// redact hides a secret but keeps the prefix that says what kind of token
// it is, which is what one needs to see when the wrong token was pasted.
func redact(s string) string {
	if s == "" {
		return ""
	}
	for _, p := range []string{"xoxb-", "xapp-", "xoxp-", "xoxe-", "sk-"} {
		if strings.HasPrefix(s, p) {
			return p + "[redacted]"
		}
	}
	return "[redacted]"
}

// Problem is one finding about a setting, as `sfpdesk check` prints it.
// Errors stop `serve`; warnings and ok notes only inform.
type Problem struct {
	Var   string // the variable, or the .env file when the file itself is at fault
	Level string // levelOK, levelWarn or levelError
	Msg   string // what is wrong and how to fix it; may be empty for ok
}

const (
	levelOK    = "ok"
	levelWarn  = "warn"
	levelError = "error"
)

// String formats the problem as one line of `sfpdesk check`. A message in
// parentheses is a detail of an ok line ("ok SLACK_BOT_TOKEN (team …)")
// rather than a sentence, so it follows the name without a colon.
func (p Problem) String() string {
	switch {
	case p.Msg == "":
		return p.Level + " " + p.Var
	case strings.HasPrefix(p.Msg, "("):
		return p.Level + " " + p.Var + " " + p.Msg
	}
	return p.Level + " " + p.Var + ": " + p.Msg
}

// firstError returns the first error among problems: `serve` stops on it
// with one clear line.
func firstError(problems []Problem) (Problem, bool) {
	for _, p := range problems {
		if p.Level == levelError {
			return p, true
		}
	}
	return Problem{}, false
}

// LoadConfig reads every setting from the process environment first, then
// from dotenvFile (a missing file is fine), without letting the file
// override anything the process sets — even to an empty value, as godotenv
// itself does. An empty value means the setting's default. getenv is
// os.LookupEnv outside tests; nil means os.LookupEnv.
//
// Every command may call it; the problems about Slack matter to serve and
// check, not to demo or manifest, so the caller decides what to stop on.
func LoadConfig(getenv func(string) (string, bool), dotenvFile string) (*Config, []Problem) {
	if getenv == nil {
		getenv = os.LookupEnv
	}
	l := &loader{}
	file := map[string]string{}
	if dotenvFile != "" {
		m, err := godotenv.Read(dotenvFile)
		switch {
		case err == nil:
			file = m
		case errors.Is(err, fs.ErrNotExist):
		default:
			l.report(levelError, dotenvFile, "%s", dotenvProblem(dotenvFile, err))
		}
	}
	c := &Config{}
	for _, s := range settings {
		v, ok := getenv(s.name)
		if !ok {
			v = file[s.name]
		}
		v = strings.TrimSpace(v)
		l.name, l.def, l.given = s.name, s.def, v != ""
		if v == "" {
			v = s.def
		}
		s.parse(l, c, v)
	}
	l.crossCheck(c)
	l.unknownInFile(file)
	return c, l.problems
}

// dotenvProblem explains why a .env file cannot be read without quoting
// godotenv's error, which shows the text near the fault: a token, as often
// as not.
func dotenvProblem(path string, err error) string {
	const fix = "write one NAME=value a line, # for comments, and close every quote"
	if data, rerr := os.ReadFile(path); rerr == nil {
		for i, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if !dotenvLineRe.MatchString(line) {
				return fmt.Sprintf("line %d is not NAME=value: %s", i+1, fix)
			}
		}
	} else {
		return fmt.Sprintf("cannot read it: %v", rerr)
	}
	if strings.Contains(err.Error(), "unterminated quoted value") {
		return "a quoted value is not closed: " + fix
	}
	return "cannot parse it: " + fix
}

// setting is one row of the table that drives parsing, `sfpdesk check`,
// .env.example and the README's table, so that none of them can forget a
// variable or disagree about its default.
type setting struct {
	name   string
	def    string // the default, as one would write it; "" for none
	group  string // heading in .env.example
	help   string // what it is for and how to get a value, for people
	secret bool   // never printed, never logged
	parse  func(l *loader, c *Config, v string)
	show   func(c *Config) string
}

func (s setting) shown(c *Config) string {
	if s.secret {
		return redact(s.show(c))
	}
	return s.show(c)
}

func lookupSetting(name string) (setting, bool) {
	for _, s := range settings {
		if s.name == name {
			return s, true
		}
	}
	return setting{}, false
}

const (
	groupSlack   = "Slack app"
	groupPeople  = "People and channels"
	groupSeller  = "Seller defaults"
	groupClocks  = "Deadlines and reminders"
	groupClaims  = "Reimbursement claims"
	groupDrafts  = "Drafted replies"
	groupIntake  = "Intake API and callbacks"
	groupStorage = "Storage, listeners and privacy"
	groupMail    = "The sellers' mailboxes"
)

const (
	defaultSlackAPIURL   = "https://slack.com/api/"
	defaultOpenAIBaseURL = "https://api.openai.com/v1"
	// The contract's default, written out for .env.example and the README;
	// the values themselves are sfp.DefaultSLA's (a test keeps them equal).
	defaultSLA = "pre_order_question=24h,product_question=24h,order_question=24h,cs_contact=24h,a_to_z_claim=72h,return_received=2bd"
)

var settings = []setting{
	{
		name: "SLACK_BOT_TOKEN", group: groupSlack, secret: true,
		help: "The bot's token (xoxb-…): in your Slack app, OAuth & Permissions → Bot User OAuth Token. Required. " +
			"Create the app from slack-manifest.yaml (`sfpdesk manifest` prints it).",
		parse: func(l *loader, c *Config, v string) {
			c.SlackBotToken = v
			if v == "" {
				l.errorf("not set: create the Slack app from slack-manifest.yaml (`sfpdesk manifest`), install it to your workspace, " +
					"and copy the Bot User OAuth Token (xoxb-…) from OAuth & Permissions")
				return
			}
			l.token(v, "xoxb-", "use the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page")
		},
		show: func(c *Config) string { return c.SlackBotToken },
	},
	{
		name: "SLACK_APP_TOKEN", group: groupSlack, secret: true,
		help: "An app-level token (xapp-…) with the connections:write scope, from Basic Information → App-Level Tokens. " +
			"When set, sfpdesk connects to Slack itself (Socket Mode) and needs no public URL; " +
			"leave it empty to receive Slack's requests over HTTP on SFPDESK_ADDR.",
		parse: func(l *loader, c *Config, v string) {
			c.SlackAppToken = v
			if v == "" {
				l.okf("not set: HTTP mode, Slack must reach /slack/* on SFPDESK_ADDR")
				return
			}
			l.token(v, "xapp-", "create an app-level token with the connections:write scope under Basic Information → App-Level Tokens (xapp-…)")
		},
		show: func(c *Config) string { return c.SlackAppToken },
	},
	{
		name: "SLACK_SIGNING_SECRET", group: groupSlack, secret: true,
		help: "Basic Information → App Credentials → Signing Secret. Required in HTTP mode (without SLACK_APP_TOKEN): " +
			"it proves that a request comes from Slack.",
		parse: func(l *loader, c *Config, v string) {
			c.SlackSigningSecret = v
			if strings.ContainsAny(v, " \t\"'") {
				l.errorf("contains spaces or quotes: paste the Signing Secret alone, from Basic Information → App Credentials")
			}
		},
		show: func(c *Config) string { return c.SlackSigningSecret },
	},
	{
		name: "SLACK_API_URL", def: defaultSlackAPIURL, group: groupSlack,
		help: "Base URL of Slack's Web API. Change it only to point sfpdesk at a stand-in for Slack in tests; a missing trailing / is added.",
		parse: func(l *loader, c *Config, v string) {
			u, ok := l.httpURL(v)
			if !ok {
				u = defaultSlackAPIURL
			}
			if !strings.HasSuffix(u, "/") {
				u += "/"
			}
			c.SlackAPIURL = u
		},
		show: func(c *Config) string { return c.SlackAPIURL },
	},

	{
		name: "SFPDESK_ADMINS", group: groupPeople,
		help: "Slack member IDs (U…) of the people who may configure sfpdesk from Slack (`/sfp seller add`, …), comma-separated. " +
			"In Slack: open the person's profile, ⋮ → Copy member ID.",
		parse: func(l *loader, c *Config, v string) {
			for _, e := range splitList(v) {
				if !userIDRe.MatchString(e) {
					l.errorf("entry %q is not a Slack member ID: admins are given by ID (U…, e.g. U012AB3CD); "+
						"in Slack open the person's profile, ⋮ → Copy member ID", e)
					continue
				}
				if !slices.Contains(c.Admins, e) {
					c.Admins = append(c.Admins, e)
				}
			}
			if len(c.Admins) == 0 && !l.hasError() {
				l.warnf("no admins: nobody can route sellers to channels from Slack; add your own member ID (profile, ⋮ → Copy member ID)")
			}
		},
		show: func(c *Config) string { return strings.Join(c.Admins, ",") },
	},
	{
		name: "SFPDESK_TRIAGE_CHANNEL", group: groupPeople,
		help: "Channel ID (C…) where cases of sellers without a route land, with a \"Route to seller\" button, so that no contact is dropped. " +
			"In Slack: open the channel, click its name; the ID is at the bottom of the About tab.",
		parse: func(l *loader, c *Config, v string) {
			c.TriageChannel = l.channel(v, "cases of unknown sellers have nowhere to go")
		},
		show: func(c *Config) string { return c.TriageChannel },
	},
	{
		name: "SFPDESK_ESCALATION_CHANNEL", group: groupPeople,
		help: "Channel ID (C…) told when a case misses its deadline, besides the seller's channel.",
		parse: func(l *loader, c *Config, v string) {
			c.EscalationChannel = l.channel(v, "missed deadlines are told only in the sellers' channels")
		},
		show: func(c *Config) string { return c.EscalationChannel },
	},

	{
		name: "SFPDESK_TIMEZONE", def: "Europe/Paris", group: groupSeller,
		help: "Time zone of sellers that have none of their own (`/sfp seller set <seller> timezone …`), as an IANA name: " +
			"business days, quiet hours and dates follow it.",
		parse: func(l *loader, c *Config, v string) {
			loc, err := time.LoadLocation(v)
			if err != nil || v == "Local" {
				l.errorf("unknown time zone %q: use an IANA name such as Europe/Paris, Europe/London or America/New_York", v)
				loc, _ = time.LoadLocation("Europe/Paris")
			}
			c.Location = loc
		},
		show: func(c *Config) string {
			if c.Location == nil {
				return ""
			}
			return c.Location.String()
		},
	},
	{
		name: "SFPDESK_LANG", def: "fr", group: groupSeller,
		help: "Language of the bot's words for sellers that have none of their own: fr or en. Drafts follow the buyer's language instead.",
		parse: func(l *loader, c *Config, v string) {
			c.Lang = strings.ToLower(v)
			if c.Lang != "fr" && c.Lang != "en" {
				l.errorf("%q: sfpdesk speaks fr or en", v)
				c.Lang = "fr"
			}
		},
		show: func(c *Config) string { return c.Lang },
	},

	{
		name: "SFPDESK_SLA", def: defaultSLA, group: groupClocks,
		help: "Deadline of each kind of case, as kind=duration entries; an entry overrides its kind's default and the others keep theirs. " +
			"Amazon counts a reply to a buyer as late after 24 hours, weekends and holidays included, and a return must be refunded " +
			"within 2 business days of reaching your warehouse; an A-to-z claim left unanswered for 72 hours is granted at your cost. " +
			"refund_notice and return_requested have no deadline.",
		parse: parseSLA,
		show:  func(c *Config) string { return c.SLA.String() },
	},
	{
		name: "SFPDESK_REMIND_BEFORE", def: "6h,1h", group: groupClocks,
		help:  "Reminders before a calendar-time deadline (the 24-hour questions), in m, h or d; `none` for no reminders.",
		parse: func(l *loader, c *Config, v string) { c.RemindBefore = l.reminders(v) },
		show:  func(c *Config) string { return joinDurations(c.RemindBefore) },
	},
	{
		name: "SFPDESK_QUIET_HOURS", group: groupClocks,
		help: "Local hours in which reminders are posted without mentioning anyone, e.g. 22:00-07:00 (may span midnight). " +
			"Empty: reminders always mention.",
		parse: func(l *loader, c *Config, v string) {
			if v == "" {
				return
			}
			q, err := sfp.ParseQuietHours(v)
			if err != nil {
				l.errorf("%s", sfp.ErrorMessage(err))
				return
			}
			c.QuietHours = q
		},
		show: func(c *Config) string { return c.QuietHours.String() },
	},
	{
		name: "SFPDESK_CLOSE_AFTER", def: "7d", group: groupClocks,
		help:  "An answered case with no follow-up from the buyer closes after this.",
		parse: func(l *loader, c *Config, v string) { c.CloseAfter = l.duration(v, false) },
		show:  func(c *Config) string { return c.CloseAfter.String() },
	},

	{
		name: "SFPDESK_CLAIM_WINDOW", def: "30d", group: groupClaims,
		help: "Time you have to file an SFP reimbursement claim after Amazon customer service refunded the buyer; a bare number means days.",
		parse: func(l *loader, c *Config, v string) {
			w, err := sfp.ParseClaimWindow(v)
			if err != nil {
				l.errorf("%s", sfp.ErrorMessage(err))
				w = sfp.DefaultClaimWindow
			}
			c.ClaimWindow = w
		},
		show: func(c *Config) string { return c.ClaimWindow.String() },
	},
	{
		name: "SFPDESK_CLAIM_REMIND_BEFORE", def: "7d,1d", group: groupClaims,
		help:  "Reminders before a claim's filing deadline, in m, h or d; `none` for no reminders.",
		parse: func(l *loader, c *Config, v string) { c.ClaimRemindBefore = l.reminders(v) },
		show:  func(c *Config) string { return joinDurations(c.ClaimRemindBefore) },
	},

	{
		name: "OPENAI_API_KEY", group: groupDrafts, secret: true,
		help: "Key of the model that drafts replies. With neither a key nor OPENAI_BASE_URL, drafts come from templates. " +
			"Buyers' personal data is redacted before the model sees a question.",
		parse: func(l *loader, c *Config, v string) {
			c.OpenAIAPIKey = v
			if strings.ContainsAny(v, " \t\"'") {
				l.errorf("contains spaces or quotes: paste the key alone")
			}
		},
		show: func(c *Config) string { return c.OpenAIAPIKey },
	},
	{
		name: "OPENAI_BASE_URL", def: defaultOpenAIBaseURL, group: groupDrafts,
		help: "Any OpenAI-compatible API, /v1 included (e.g. http://localhost:11434/v1 for a model on this machine). " +
			"Setting it turns drafting by model on, even without a key.",
		parse: func(l *loader, c *Config, v string) {
			u, ok := l.httpURL(v)
			if !ok {
				u = defaultOpenAIBaseURL
			}
			c.OpenAIBaseURL = strings.TrimRight(u, "/")
			c.openAIBaseSet = l.given
			if ok && l.given && !strings.HasSuffix(c.OpenAIBaseURL, "/v1") {
				l.warnf("%q does not end in /v1: OpenAI-compatible servers answer under /v1 (e.g. %s/v1); the path chat/completions is added to this URL", v, c.OpenAIBaseURL)
			}
		},
		show: func(c *Config) string { return c.OpenAIBaseURL },
	},
	{
		name: "OPENAI_MODEL", def: "gpt-4o-mini", group: groupDrafts,
		help: "Name of the model, as the API knows it.",
		parse: func(l *loader, c *Config, v string) {
			c.OpenAIModel = v
			if strings.ContainsAny(v, " \t\"'") {
				l.errorf("%q contains spaces or quotes: give the model's name alone, e.g. gpt-4o-mini", v)
				c.OpenAIModel = "gpt-4o-mini"
			}
		},
		show: func(c *Config) string { return c.OpenAIModel },
	},
	{
		name: "SFPDESK_CATALOG", group: groupDrafts,
		help: "CSV or JSON file of product facts by SKU or ASIN (sizes, compatibility, care…) that drafts may rely on. " +
			"It must exist and be readable when set.",
		parse: func(l *loader, c *Config, v string) {
			if v == "" {
				return
			}
			c.Catalog = v
			l.catalog(v)
		},
		show: func(c *Config) string { return c.Catalog },
	},

	{
		name: "SFPDESK_INTAKE_TOKEN", group: groupIntake, secret: true,
		help: "Bearer token of the intake API (POST /api/v1/contacts) and key of the signature on each callback. " +
			"The intake API is off without it. Use a long random string, e.g. from `openssl rand -hex 32`.",
		parse: func(l *loader, c *Config, v string) {
			c.IntakeToken = v
			if v == "" {
				l.okf("not set: the intake API is off")
				return
			}
			l.secretToken(v)
		},
		show: func(c *Config) string { return c.IntakeToken },
	},
	{
		name: "SFPDESK_CALLBACK_ALLOW", group: groupIntake,
		help: "Hosts that callbacks may reach besides public addresses, comma-separated, e.g. 127.0.0.1,helpdesk.internal; " +
			"private and loopback addresses are refused otherwise.",
		parse: func(l *loader, c *Config, v string) {
			for _, e := range splitList(v) {
				h, msg := parseAllowedHost(e)
				if msg != "" {
					l.errorf("entry %q: %s", e, msg)
					continue
				}
				if !slices.Contains(c.CallbackAllow, h) {
					c.CallbackAllow = append(c.CallbackAllow, h)
				}
			}
		},
		show: func(c *Config) string { return strings.Join(c.CallbackAllow, ",") },
	},

	{
		name: "SFPDESK_DB", def: "sfpdesk.db", group: groupStorage,
		help:  "Database file. Only one running sfpdesk may hold it; `sfpdesk backup` copies it safely while the bot runs. Or `postgres://user:password@host:5432/db?sslmode=require` (also `postgresql://`): a PostgreSQL database shared by several replicas, one of which leads.",
		parse: func(l *loader, c *Config, v string) { c.DBPath = v },
		show:  func(c *Config) string { return dbName(c.DBPath) },
	},
	{
		name: "SFPDESK_RETENTION", def: "30d", group: groupStorage,
		help:  "Buyers' personal data (names, messages) is purged this long after a case closes.",
		parse: func(l *loader, c *Config, v string) { c.Retention = l.duration(v, true) },
		show:  func(c *Config) string { return c.Retention.String() },
	},
	{
		name: "SFPDESK_ADDR", def: ":3000", group: groupStorage,
		help:  "Public listener: the intake API, /healthz and /readyz, and in HTTP mode Slack's requests (/slack/*).",
		parse: func(l *loader, c *Config, v string) { c.Addr = l.listenAddr(v, ":3000") },
		show:  func(c *Config) string { return c.Addr },
	},
	{
		name: "SFPDESK_ADMIN_ADDR", def: "127.0.0.1:9090", group: groupStorage,
		help:  "Admin listener: /metrics and /admin/backup (the whole database). Keep it on loopback; any other address needs SFPDESK_ADMIN_TOKEN.",
		parse: func(l *loader, c *Config, v string) { c.AdminAddr = l.listenAddr(v, "127.0.0.1:9090") },
		show:  func(c *Config) string { return c.AdminAddr },
	},
	{
		name: "SFPDESK_ADMIN_TOKEN", group: groupStorage, secret: true,
		help: "When set, every request to the admin listener must carry it (Authorization: Bearer …). " +
			"Required when SFPDESK_ADMIN_ADDR is not a loopback address.",
		parse: func(l *loader, c *Config, v string) {
			c.AdminToken = v
			if v != "" {
				l.secretToken(v)
			}
		},
		show: func(c *Config) string { return c.AdminToken },
	},

	// Weekly report.
	{
		name: "SFPDESK_REPORT", def: "mon 09:00", group: groupSeller,
		help: "When each seller channel gets its weekly report with the chart of the last 8 weeks, in the seller's time zone " +
			"(a day `mon`…`sun` and a time), or `off`.",
		parse: func(l *loader, c *Config, v string) {
			sc, on, err := report.ParseSchedule(v)
			if err != nil {
				l.errorf("%v", err)
				sc, on = report.DefaultSchedule, true
			}
			c.Report = nil
			if on {
				c.Report = &sc
			}
		},
		show: func(c *Config) string {
			if c.Report == nil {
				return "off"
			}
			return c.Report.String()
		},
	},
	// The sellers' mailboxes.
	{
		name: "SFPDESK_MAILBOXES", group: groupMail, secret: true,
		help: "Each seller's mailbox that Seller Central's Buyer Messages and Returns and Claims notifications go to, " +
			"comma-separated seller=URL: imaps://user:password@host[:port]/MAILBOX (TLS), or imap://… (STARTTLS; plain only to a loopback host such as a local IMAP bridge); " +
			"user and password percent-encoded. Read only: nothing is flagged, moved or deleted.",
		parse: func(l *loader, c *Config, v string) {
			as, err := mail.ParseAccounts(v, "imap")
			if err != nil {
				l.errorf("%s", err)
				return
			}
			c.Mailboxes = as
		},
		show: func(c *Config) string { return accountsShown(c.Mailboxes) },
	},
	{
		name: "SFPDESK_SMTP", group: groupMail, secret: true,
		help: "Each seller's SMTP server for replies to buyers, comma-separated seller=URL: smtps://… (TLS, 465) or smtp://… (STARTTLS, 587; plain only to loopback); " +
			"without user info it logs in as the seller's mailbox does; ?from=address sets the sender, which must be the address registered in Seller Central (default: the mailbox user).",
		parse: func(l *loader, c *Config, v string) {
			as, err := mail.ParseAccounts(v, "smtp")
			if err != nil {
				l.errorf("%s", err)
				return
			}
			c.SMTP = as
			for _, a := range as {
				if full, _ := c.smtpFor(a.Seller); full.User == "" {
					l.errorf("seller %q: no user, and no mailbox in SFPDESK_MAILBOXES to log in as", a.Seller)
				} else if a.From == "" && !strings.Contains(full.User, "@") {
					l.errorf("seller %q: add ?from=address, the sender address registered in Seller Central", a.Seller)
				}
			}
		},
		show: func(c *Config) string { return accountsShown(c.SMTP) },
	},
	{
		name: "SFPDESK_MAIL_POLL", def: "1m", group: groupMail,
		help:  "How often a mailbox whose server has no IMAP IDLE is looked at for new mail.",
		parse: func(l *loader, c *Config, v string) { c.MailPoll = l.calendarDuration(v, false) },
		show:  func(c *Config) string { return c.MailPoll.String() },
	},
	{
		name: "SFPDESK_MAIL_BACKFILL", def: "1d", group: groupMail,
		help:  "On a mailbox's first connection, mail older than this is not imported.",
		parse: func(l *loader, c *Config, v string) { c.MailBackfill = l.calendarDuration(v, true) },
		show:  func(c *Config) string { return c.MailBackfill.String() },
	},
}

var (
	userIDRe = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	// dotenvLineRe is the shape of a .env assignment, to point at a bad line.
	dotenvLineRe = regexp.MustCompile(`^(export\s+)?[A-Za-z_][A-Za-z0-9_.]*\s*=`)
	hostnameRe   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$`)
)

// loader collects problems while the table is parsed, on behalf of the
// setting being parsed.
type loader struct {
	problems []Problem
	name     string // the setting being parsed
	def      string // its default, to fall back on when its value is bad
	given    bool   // whether it was set, rather than defaulted
}

func (l *loader) report(level, name, format string, args ...any) {
	l.problems = append(l.problems, Problem{Var: name, Level: level, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) errorf(format string, args ...any) { l.report(levelError, l.name, format, args...) }
func (l *loader) warnf(format string, args ...any)  { l.report(levelWarn, l.name, format, args...) }
func (l *loader) okf(format string, args ...any)    { l.report(levelOK, l.name, format, args...) }

func (l *loader) hasError() bool {
	for _, p := range l.problems {
		if p.Var == l.name && p.Level == levelError {
			return true
		}
	}
	return false
}

// token checks a Slack token's kind by its prefix. The messages never echo
// the token, only the prefix that tells which token was pasted instead.
func (l *loader) token(v, want, fix string) {
	if strings.ContainsAny(v, " \t\"'") {
		l.errorf("contains spaces or quotes: paste the token alone; %s", fix)
		return
	}
	if strings.HasPrefix(v, want) {
		return
	}
	kinds := []struct{ prefix, kind string }{
		{"xoxb-", "a bot token (it belongs in SLACK_BOT_TOKEN)"},
		{"xapp-", "an app-level token (it belongs in SLACK_APP_TOKEN)"},
		{"xoxp-", "a user token: sfpdesk acts as its own bot, not as a person"},
		{"xoxe.", "a rotating token, which expires after 12 hours: turn token rotation off (slack-manifest.yaml does), reinstall the app"},
		{"xoxe-", "a refresh or configuration token, not one sfpdesk can use"},
	}
	for _, k := range kinds {
		if strings.HasPrefix(v, k.prefix) {
			l.errorf("starts with %q, %s: %s", k.prefix, k.kind, fix)
			return
		}
	}
	l.errorf("does not start with %q: %s", want, fix)
}

// secretToken checks a token of our own: anyone who guesses it can create
// cases or, for the admin token, download every buyer's messages.
func (l *loader) secretToken(v string) {
	if strings.ContainsAny(v, " \t\"'") {
		l.errorf("contains spaces or quotes: use a long random string, e.g. from `openssl rand -hex 32`")
		return
	}
	if len(v) < 16 {
		l.warnf("shorter than 16 characters, easy to guess: use a long random string, e.g. from `openssl rand -hex 32`")
	}
}

func (l *loader) httpURL(v string) (string, bool) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		l.errorf("%q is not an http(s) URL: write it in full, e.g. https://host/path", v)
		return "", false
	}
	if u.RawQuery != "" || u.Fragment != "" {
		l.errorf("%q has a query or fragment: give the base URL alone", v)
		return "", false
	}
	return v, true
}

// channel checks a channel setting. Slack renames channels but never changes
// their IDs, and the Web API wants IDs, so names are refused with the way
// to find the ID.
func (l *loader) channel(v, ifEmpty string) string {
	switch {
	case v == "":
		l.warnf("not set: %s; set a channel ID (C…): open the channel in Slack, click its name, the ID is at the bottom of the About tab", ifEmpty)
		return ""
	case sfp.ValidChannelID(v):
		return v
	case strings.HasPrefix(v, "#") || strings.ToUpper(v) != v:
		l.errorf("%q is a channel name: channel settings take channel IDs (C…), never names; "+
			"in Slack open the channel, click its name, and copy the Channel ID at the bottom of the About tab", v)
	default:
		l.errorf("%q is not a channel ID: channel settings take IDs such as C012AB3CD; "+
			"in Slack open the channel, click its name, and copy the Channel ID at the bottom of the About tab", v)
	}
	return ""
}

// duration parses a single duration setting. Business days are accepted:
// sfp.DueAfter counts them on the seller's marketplace calendar.
func (l *loader) duration(v string, zeroOK bool) sfp.Duration {
	d, err := sfp.ParseDuration(v, "")
	switch {
	case err != nil:
		l.errorf("%s", sfp.ErrorMessage(err))
	case d.IsZero() && !zeroOK:
		l.errorf("%q: must be more than zero", v)
	default:
		return d
	}
	d, _ = sfp.ParseDuration(l.def, "")
	return d
}

// reminders parses a list of reminder offsets, longest first. Each entry is
// parsed on its own so that check names every bad one, not only the first.
// "none" turns reminders off, since an empty value means the default.
func (l *loader) reminders(v string) []time.Duration {
	if strings.EqualFold(v, "none") {
		return nil
	}
	var good []string
	for _, e := range splitList(v) {
		if _, err := sfp.ParseRemindBefore(e); err != nil {
			l.errorf("%s", sfp.ErrorMessage(err))
			continue
		}
		good = append(good, e)
	}
	out, _ := sfp.ParseRemindBefore(strings.Join(good, ","))
	return out
}

func (l *loader) catalog(path string) {
	fi, err := os.Stat(path)
	if err != nil {
		abs, _ := filepath.Abs(path)
		if errors.Is(err, fs.ErrNotExist) {
			l.errorf("%q does not exist (looked at %s): give the path of your CSV or JSON product file, or leave SFPDESK_CATALOG empty", path, abs)
		} else {
			l.errorf("%q cannot be read: %v: fix its permissions or leave SFPDESK_CATALOG empty", path, err)
		}
		return
	}
	if fi.IsDir() {
		l.errorf("%q is a directory: give the path of a CSV or JSON file", path)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		l.errorf("%q cannot be read: %v: fix its permissions or leave SFPDESK_CATALOG empty", path, err)
		return
	}
	f.Close()
	switch strings.ToLower(filepath.Ext(path)) {
	case ".csv", ".json":
	default:
		l.warnf("%q: the format is told by the extension, .csv or .json; rename the file", path)
	}
}

func (l *loader) listenAddr(v, def string) string {
	host, port, err := net.SplitHostPort(v)
	if err == nil {
		n, perr := strconv.Atoi(port)
		if perr == nil && n >= 0 && n <= 65535 && !strings.ContainsAny(host, " /") {
			return v
		}
	}
	l.errorf("%q is not a listen address: write host:port or :port, e.g. %s", v, def)
	return def
}

// crossCheck reports what only a combination of settings makes wrong.
func (l *loader) crossCheck(c *Config) {
	if !c.SocketMode() && c.SlackSigningSecret == "" {
		l.report(levelError, "SLACK_SIGNING_SECRET", "not set, and without SLACK_APP_TOKEN sfpdesk runs in HTTP mode, where it proves each request comes from Slack with it: "+
			"copy the Signing Secret from your app's Basic Information page, or set SLACK_APP_TOKEN to use Socket Mode")
	}
	if c.SocketMode() && c.SlackSigningSecret != "" {
		l.report(levelOK, "SLACK_SIGNING_SECRET", "not needed in Socket Mode")
	}
	if c.AdminToken == "" && !isLoopback(c.AdminAddr) {
		l.report(levelError, "SFPDESK_ADMIN_ADDR", "%q listens beyond this machine and SFPDESK_ADMIN_TOKEN is not set: "+
			"anyone who reaches it could download the database; bind it to 127.0.0.1:9090 or set SFPDESK_ADMIN_TOKEN to a long random string", c.AdminAddr)
	}
	if sameListener(c.Addr, c.AdminAddr) {
		l.report(levelError, "SFPDESK_ADMIN_ADDR", "%q is the port of SFPDESK_ADDR (%q): give the admin listener a port of its own", c.AdminAddr, c.Addr)
	}
	if !c.UseModel() {
		l.report(levelOK, "OPENAI_API_KEY", "not set: drafts come from templates")
	}
	l.remindersWithinDeadlines(c)
}

// remindersWithinDeadlines warns about a reminder as long as the deadline it
// precedes: it would fall before the case arrived, so it never comes.
func (l *loader) remindersWithinDeadlines(c *Config) {
	if len(c.RemindBefore) == 0 {
		return
	}
	longest := c.RemindBefore[0] // longest first
	var (
		kinds    []string
		shortest sfp.Duration
		short    time.Duration
	)
	for _, k := range sfp.Kinds {
		d, ok := c.SLA.For(k)
		if !ok {
			continue
		}
		if cd, ok := d.Calendar(); ok && cd <= longest {
			kinds = append(kinds, string(k))
			if short == 0 || cd < short {
				shortest, short = d, cd
			}
		}
	}
	if len(kinds) > 0 {
		l.report(levelWarn, "SFPDESK_REMIND_BEFORE", "%s is not shorter than the %s deadline of %s, so that reminder would fall before the case arrives and never comes: "+
			"keep every reminder shorter than %[2]s", joinDurations([]time.Duration{longest}), shortest, strings.Join(kinds, ", "))
	}
}

// unknownInFile warns about SFPDESK_ names in .env that sfpdesk does not
// know: a misspelt variable otherwise silently leaves its default in force.
func (l *loader) unknownInFile(file map[string]string) {
	var names []string
	for name := range file {
		if _, ok := lookupSetting(name); !ok && strings.HasPrefix(name, "SFPDESK_") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		msg := "unknown setting in .env, ignored"
		if s, ok := closestSetting(name); ok {
			msg += "; did you mean " + s + "?"
		}
		l.report(levelWarn, name, "%s", msg)
	}
}

func closestSetting(name string) (string, bool) {
	best, bestD := "", 4
	for _, s := range settings {
		if d := editDistance(name, s.name); d < bestD {
			best, bestD = s.name, d
		}
	}
	return best, best != ""
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// parseSLA lets each entry override its kind's default, so that changing
// one deadline never drops the others. Entries are parsed one by one so that
// check names every bad one; sfp.ParseSLA stays the one reader of an entry.
func parseSLA(l *loader, c *Config, v string) {
	c.SLA = sfp.DefaultSLA()
	seen := map[sfp.Kind]bool{}
	for _, e := range splitList(v) {
		name, _, _ := strings.Cut(e, "=")
		k, _ := sfp.ParseKind(strings.ToLower(strings.TrimSpace(name)))
		one, err := sfp.ParseSLA(e)
		switch {
		case err != nil && k == sfp.KindRefundNotice:
			l.errorf("%s: a refund notice needs no answer (its claim's filing window is SFPDESK_CLAIM_WINDOW); remove the entry", sfp.ErrorMessage(err))
			continue
		case err != nil && k == sfp.KindReturnRequested:
			l.errorf("%s: a return request waits for its parcel (the refund clock is return_received's); remove the entry", sfp.ErrorMessage(err))
			continue
		case err != nil:
			l.errorf("%s", sfp.ErrorMessage(err))
			continue
		case seen[k]:
			l.errorf("entry %q: %s is given twice: keep one entry", e, k)
			continue
		}
		seen[k] = true
		d, _ := one.For(k)
		c.SLA[k] = d
		if l.given && laterThanAmazon(k, d) {
			l.warnf("entry %q: %s; with this deadline a case can be late by Amazon's count before sfpdesk says so", e, amazonRule(k))
		}
	}
}

// laterThanAmazon reports whether a configured deadline can end after the
// one Amazon holds the seller to. A stricter deadline is the seller's
// business; a looser one hides late cases.
func laterThanAmazon(k sfp.Kind, d sfp.Duration) bool {
	cal, calendar := d.Calendar()
	switch {
	case k.IsQuestion():
		return !calendar || cal > 24*time.Hour
	case k == sfp.KindAToZClaim:
		return !calendar || cal > 72*time.Hour
	case k == sfp.KindReturnReceived && calendar:
		// Two calendar days always end before two business days do.
		return cal > 48*time.Hour
	case k == sfp.KindReturnReceived:
		return d.N > 2
	}
	return false
}

func amazonRule(k sfp.Kind) string {
	if k.IsQuestion() {
		return "Amazon counts a reply as late after 24 hours, weekends and holidays included"
	}
	if k == sfp.KindAToZClaim {
		return "Amazon grants an A-to-z claim left unanswered for 72 hours, weekends and holidays included"
	}
	return "Amazon expects the refund within 2 business days of the return reaching your warehouse"
}

// parseAllowedHost reads a callback host. Ports are not part of it: what
// the allow list lifts is the ban on private and loopback addresses.
func parseAllowedHost(s string) (string, string) {
	h := strings.ToLower(s)
	if strings.Contains(h, "://") || strings.Contains(h, "/") {
		return "", "write the host alone, not a URL, e.g. helpdesk.internal"
	}
	if strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]") {
		h = h[1 : len(h)-1]
	}
	if net.ParseIP(h) != nil {
		return h, ""
	}
	if strings.Contains(h, ":") {
		return "", "write the host without a port, e.g. helpdesk.internal"
	}
	if !hostnameRe.MatchString(h) {
		return "", "not a host name or IP address"
	}
	return h, ""
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sameListener reports whether two listen addresses would fight over one
// port: equal hosts, or either on every interface.
func sameListener(a, b string) bool {
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil || pa != pb || pa == "0" {
		return false
	}
	wildcard := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" }
	return ha == hb || wildcard(ha) || wildcard(hb)
}

func splitList(v string) []string {
	var out []string
	for e := range strings.SplitSeq(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// joinDurations writes reminder offsets as the configuration does ("6h,1h").
func joinDurations(ds []time.Duration) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		switch {
		case d%(24*time.Hour) == 0:
			parts[i] = strconv.Itoa(int(d/(24*time.Hour))) + "d"
		case d%time.Hour == 0:
			parts[i] = strconv.Itoa(int(d/time.Hour)) + "h"
		default:
			parts[i] = strconv.Itoa(int(d/time.Minute)) + "m"
		}
	}
	return strings.Join(parts, ",")
}

// envExample renders .env.example from the settings table: grouped,
// each variable under a comment that says what it is for, with its default.
func envExample() string {
	var b strings.Builder
	b.WriteString(`# sfpdesk configuration
#
# Copy this file to .env in the directory you run sfpdesk from and fill in
# what you need; variables set in the environment win over this file.
# "# NAME=value" shows a default: remove the "# " to change it. An empty
# value means the default. Run "sfpdesk check" to see what sfpdesk makes of
# it.
#
# Durations are a whole number and a unit: m (minutes), h (hours), d (days)
# or bd (business days: weekends and the marketplace's public holidays do
# not count). Lists are comma-separated. Channel settings take channel IDs
# (C…), never names.
`)
	group := ""
	for _, s := range settings {
		if s.group != group {
			group = s.group
			fmt.Fprintf(&b, "\n\n# === %s ===\n", group)
		}
		b.WriteByte('\n')
		for _, line := range wrap(s.help, 76) {
			b.WriteString("# " + line + "\n")
		}
		if s.def == "" {
			b.WriteString(s.name + "=\n")
		} else {
			b.WriteString("# " + s.name + "=" + s.def + "\n")
		}
	}
	b.WriteString("\n\n# === For the project's own tests (sfpdesk itself never reads these) ===\n")
	for _, s := range testSettings {
		b.WriteByte('\n')
		for _, line := range wrap(s.help, 76) {
			b.WriteString("# " + line + "\n")
		}
		b.WriteString("# " + s.name + "=\n")
	}
	return b.String()
}

// testSettings are read by the tests, not by sfpdesk: .env.example names
// them so that a developer finds them where every other variable is.
var testSettings = []struct{ name, help string }{
	{"SFPDESK_TEST_POSTGRES", "A PostgreSQL database the store's tests may create schemas in, e.g. postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable. Without it those tests are skipped, except under CI=true, where they fail; `bash .ci/run` starts a throwaway server and sets it."},
}

// envMarkdown renders the README's table of variables from the settings
// table.
func envMarkdown() string {
	var b strings.Builder
	b.WriteString("| variable | default | meaning |\n| --- | --- | --- |\n")
	for _, s := range settings {
		def := "—"
		if s.def != "" {
			def = "`" + s.def + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", s.name, def, strings.ReplaceAll(s.help, "|", `\|`))
	}
	return b.String()
}

// wrap breaks text into lines of at most width runes, at spaces, never
// inside a `code span`, which a reader copies whole.
func wrap(text string, width int) []string {
	var words []string
	for _, w := range strings.Fields(text) {
		if n := len(words); n > 0 && strings.Count(words[n-1], "`")%2 == 1 {
			words[n-1] += " " + w
			continue
		}
		words = append(words, w)
	}
	var lines []string
	line := ""
	for _, w := range words {
		switch {
		case line == "":
			line = w
		case len([]rune(line))+1+len([]rune(w)) > width:
			lines = append(lines, line)
			line = w
		default:
			line += " " + w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}

// accountsShown lists mailboxes without their passwords.
func accountsShown(as []mail.Account) string {
	var out []string
	for _, a := range as {
		out = append(out, a.Seller+"="+a.String())
	}
	return strings.Join(out, ",")
}

// smtpFor is a seller's SMTP account with the mailbox's login where it
// has none of its own.
func (c Config) smtpFor(seller string) (mail.Account, bool) {
	for _, a := range c.SMTP {
		if a.Seller != seller {
			continue
		}
		for _, m := range c.Mailboxes {
			if m.Seller == seller && a.User == "" {
				a.User, a.Password = m.User, m.Password
			}
		}
		return a, true
	}
	return mail.Account{}, false
}

// calendarDuration is a duration in calendar time: a mailbox's clock has
// no business days.
func (l *loader) calendarDuration(v string, zeroOK bool) sfp.Duration {
	d := l.duration(v, zeroOK)
	if _, ok := d.Calendar(); !ok {
		l.errorf("%q: use m, h or d, not business days", v)
		d, _ = sfp.ParseDuration(l.def, "")
	}
	return d
}
