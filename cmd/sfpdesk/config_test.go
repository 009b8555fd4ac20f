package main

import (
	"bytes"
	"fmt"
	"github.com/sfpdesk/sfpdesk/store/postgres/pgtest"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfpdesk/sfpdesk/report"
	"github.com/sfpdesk/sfpdesk/sfp"
)

// goodEnv is a complete, healthy Socket Mode configuration: with it
// LoadConfig reports no warning and no error, so a test row that changes
// one variable sees only what that variable causes.
func goodEnv() map[string]string {
	return map[string]string{
		"SLACK_BOT_TOKEN":            "xoxb-1-bot",
		"SLACK_APP_TOKEN":            "xapp-1-app",
		"SFPDESK_ADMINS":             "U012AB3CD",
		"SFPDESK_TRIAGE_CHANNEL":     "C0TRIAGE1",
		"SFPDESK_ESCALATION_CHANNEL": "C0ESCAL01",
	}
}

// unset in a row's env removes the variable from goodEnv.
const unset = "\x00unset"

func envFunc(env map[string]string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v, ok := env[name]
		return v, ok
	}
}

func load(t *testing.T, changes map[string]string) (*Config, []Problem) {
	t.Helper()
	env := goodEnv()
	for k, v := range changes {
		if v == unset {
			delete(env, k)
		} else {
			env[k] = v
		}
	}
	return LoadConfig(envFunc(env), filepath.Join(t.TempDir(), ".env"))
}

// notable returns the warnings and errors as check prints them.
func notable(problems []Problem) []string {
	var out []string
	for _, p := range problems {
		if p.Level != levelOK {
			out = append(out, p.String())
		}
	}
	return out
}

// matches reports whether line fits pattern, where "…" stands for any text
// and the pattern must match from the start of the line to its end.
func matches(line, pattern string) bool {
	parts := strings.Split(pattern, "…")
	var re strings.Builder
	re.WriteString("^")
	for i, p := range parts {
		if i > 0 {
			re.WriteString(".*")
		}
		re.WriteString(regexp.QuoteMeta(p))
	}
	re.WriteString("$")
	return regexp.MustCompile(re.String()).MatchString(line)
}

func checkNotable(t *testing.T, problems []Problem, want []string) {
	t.Helper()
	got := notable(problems)
	if len(got) != len(want) {
		t.Fatalf("got %d warnings and errors, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i := range want {
		if !matches(got[i], want[i]) {
			t.Errorf("line %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

var cmpConfig = cmp.Options{
	cmp.AllowUnexported(Config{}),
	cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() }),
}

func TestLoadConfigDefaults(t *testing.T) {
	c, problems := load(t, nil)
	checkNotable(t, problems, nil)
	paris, _ := time.LoadLocation("Europe/Paris")
	want := &Config{
		SlackBotToken:     "xoxb-1-bot",
		SlackAppToken:     "xapp-1-app",
		SlackAPIURL:       "https://slack.com/api/",
		Admins:            []string{"U012AB3CD"},
		TriageChannel:     "C0TRIAGE1",
		EscalationChannel: "C0ESCAL01",
		Location:          paris,
		Lang:              "fr",
		SLA:               sfp.DefaultSLA(),
		RemindBefore:      []time.Duration{6 * time.Hour, time.Hour},
		CloseAfter:        sfp.Duration{N: 7, Unit: sfp.Days},
		ClaimWindow:       sfp.Duration{N: 30, Unit: sfp.Days},
		ClaimRemindBefore: []time.Duration{7 * 24 * time.Hour, 24 * time.Hour},
		OpenAIBaseURL:     "https://api.openai.com/v1",
		OpenAIModel:       "gpt-4o-mini",
		DBPath:            "sfpdesk.db",
		Retention:         sfp.Duration{N: 30, Unit: sfp.Days},
		Addr:              ":3000",
		AdminAddr:         "127.0.0.1:9090",
		Report:            &report.Schedule{Day: time.Monday, Hour: 9},
		MailPoll:          sfp.Duration{N: 1, Unit: sfp.Minutes},
		MailBackfill:      sfp.Duration{N: 1, Unit: sfp.Days},
	}
	if diff := cmp.Diff(want, c, cmpConfig); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if c.UseModel() {
		t.Error("UseModel() with neither key nor base URL")
	}
	if !c.SocketMode() {
		t.Error("SocketMode() with an app token")
	}
}

// The table's written default must be the domain's, or .env.example and
// the README would document a deadline the bot does not keep.
func TestDefaultSLAMatchesDomain(t *testing.T) {
	got, err := sfp.ParseSLA(defaultSLA)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(sfp.DefaultSLA(), got); diff != "" {
		t.Errorf("defaultSLA differs from sfp.DefaultSLA (-domain +table):\n%s", diff)
	}
	if s := sfp.DefaultSLA().String(); s != defaultSLA {
		t.Errorf("defaultSLA = %q, the domain writes %q", defaultSLA, s)
	}
}

func TestLoadConfig(t *testing.T) {
	catalogDir := t.TempDir()
	csv := filepath.Join(catalogDir, "products.csv")
	txt := filepath.Join(catalogDir, "products.txt")
	for _, f := range []string{csv, txt} {
		if err := os.WriteFile(f, []byte("sku,fact\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	newYork, _ := time.LoadLocation("America/New_York")

	tests := []struct {
		name  string
		env   map[string]string
		want  []string              // warnings and errors, in order; "…" is any text
		check func(c *Config) error // optional look at the parsed values
	}{
		// Weekly report.
		{name: "report off", env: map[string]string{"SFPDESK_REPORT": "off"},
			check: func(c *Config) error {
				if c.Report != nil {
					return fmt.Errorf("Report = %v, want nil", c.Report)
				}
				return nil
			}},
		{name: "report on Friday evening", env: map[string]string{"SFPDESK_REPORT": "Fri 17:30"},
			check: wantField(func(c *Config) any { return *c.Report }, report.Schedule{Day: time.Friday, Hour: 17, Minute: 30})},
		{name: "report with a day spelt out", env: map[string]string{"SFPDESK_REPORT": "monday 9:00"},
			want: []string{`error SFPDESK_REPORT: "monday 9:00": want a day and a time such as "mon 09:00", or "off"`}},
		// Slack tokens.
		{name: "bot token missing", env: map[string]string{"SLACK_BOT_TOKEN": unset},
			want: []string{`error SLACK_BOT_TOKEN: not set: …Bot User OAuth Token (xoxb-…) from OAuth & Permissions`}},
		{name: "bot token empty counts as missing", env: map[string]string{"SLACK_BOT_TOKEN": "  "},
			want: []string{`error SLACK_BOT_TOKEN: not set: …`}},
		{name: "user token as bot token", env: map[string]string{"SLACK_BOT_TOKEN": "xoxp-123-secret"},
			want: []string{`error SLACK_BOT_TOKEN: starts with "xoxp-", a user token: …use the Bot User OAuth Token (xoxb-…)…`}},
		{name: "app token as bot token", env: map[string]string{"SLACK_BOT_TOKEN": "xapp-1-secret"},
			want: []string{`error SLACK_BOT_TOKEN: starts with "xapp-", an app-level token (it belongs in SLACK_APP_TOKEN): …`}},
		{name: "bot token of no known kind", env: map[string]string{"SLACK_BOT_TOKEN": "hunter2"},
			want: []string{`error SLACK_BOT_TOKEN: does not start with "xoxb-": use the Bot User OAuth Token…`}},
		{name: "bot token pasted with quotes", env: map[string]string{"SLACK_BOT_TOKEN": `"xoxb-1"`},
			want: []string{`error SLACK_BOT_TOKEN: contains spaces or quotes: paste the token alone; …`}},
		{name: "bot token as app token", env: map[string]string{"SLACK_APP_TOKEN": "xoxb-1-secret"},
			want: []string{`error SLACK_APP_TOKEN: starts with "xoxb-", a bot token (it belongs in SLACK_BOT_TOKEN): …connections:write…App-Level Tokens (xapp-…)`}},
		{name: "HTTP mode without signing secret", env: map[string]string{"SLACK_APP_TOKEN": unset},
			want: []string{`error SLACK_SIGNING_SECRET: not set, and without SLACK_APP_TOKEN sfpdesk runs in HTTP mode…copy the Signing Secret from your app's Basic Information page, or set SLACK_APP_TOKEN…`}},
		{name: "HTTP mode with signing secret", env: map[string]string{"SLACK_APP_TOKEN": unset, "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5"},
			check: func(c *Config) error {
				if c.SocketMode() {
					return fmt.Errorf("SocketMode() without an app token")
				}
				return nil
			}},
		{name: "signing secret pasted with its label", env: map[string]string{"SLACK_SIGNING_SECRET": "Signing Secret: abc"},
			want: []string{`error SLACK_SIGNING_SECRET: contains spaces or quotes: paste the Signing Secret alone…`}},
		{name: "rotating bot token", env: map[string]string{"SLACK_BOT_TOKEN": "xoxe.xoxb-1-abc"},
			want: []string{`error SLACK_BOT_TOKEN: starts with "xoxe.", a rotating token, which expires after 12 hours: turn token rotation off…`}},
		{name: "API URL gets its trailing slash", env: map[string]string{"SLACK_API_URL": "http://127.0.0.1:8080/api"},
			check: wantField(func(c *Config) any { return c.SlackAPIURL }, "http://127.0.0.1:8080/api/")},
		{name: "API URL without scheme", env: map[string]string{"SLACK_API_URL": "slack.com/api"},
			want:  []string{`error SLACK_API_URL: "slack.com/api" is not an http(s) URL: write it in full, e.g. https://host/path`},
			check: wantField(func(c *Config) any { return c.SlackAPIURL }, "https://slack.com/api/")},

		// People and channels.
		{name: "no admins", env: map[string]string{"SFPDESK_ADMINS": unset},
			want: []string{`warn SFPDESK_ADMINS: no admins: nobody can route sellers…Copy member ID)`}},
		{name: "admins by name", env: map[string]string{"SFPDESK_ADMINS": "U012AB3CD,@alice"},
			want:  []string{`error SFPDESK_ADMINS: entry "@alice" is not a Slack member ID: …Copy member ID`},
			check: wantField(func(c *Config) any { return c.Admins }, []string{"U012AB3CD"})},
		{name: "admins listed with spaces and twice", env: map[string]string{"SFPDESK_ADMINS": " U012AB3CD , W0ENTERPR1,U012AB3CD,"},
			check: wantField(func(c *Config) any { return c.Admins }, []string{"U012AB3CD", "W0ENTERPR1"})},
		{name: "triage channel by name", env: map[string]string{"SFPDESK_TRIAGE_CHANNEL": "#support"},
			want:  []string{`error SFPDESK_TRIAGE_CHANNEL: "#support" is a channel name: channel settings take channel IDs (C…), never names; in Slack open the channel, click its name, and copy the Channel ID…`},
			check: wantField(func(c *Config) any { return c.TriageChannel }, "")},
		{name: "escalation channel by bare name", env: map[string]string{"SFPDESK_ESCALATION_CHANNEL": "escalations"},
			want: []string{`error SFPDESK_ESCALATION_CHANNEL: "escalations" is a channel name: channel settings take channel IDs…`}},
		{name: "triage channel that is no ID", env: map[string]string{"SFPDESK_TRIAGE_CHANNEL": "12345"},
			want: []string{`error SFPDESK_TRIAGE_CHANNEL: "12345" is not a channel ID: …`}},
		{name: "no triage channel", env: map[string]string{"SFPDESK_TRIAGE_CHANNEL": unset},
			want: []string{`warn SFPDESK_TRIAGE_CHANNEL: not set: cases of unknown sellers have nowhere to go; set a channel ID (C…)…`}},
		{name: "no escalation channel", env: map[string]string{"SFPDESK_ESCALATION_CHANNEL": unset},
			want: []string{`warn SFPDESK_ESCALATION_CHANNEL: not set: …`}},
		{name: "private triage channel", env: map[string]string{"SFPDESK_TRIAGE_CHANNEL": "G0PRIVATE"},
			check: wantField(func(c *Config) any { return c.TriageChannel }, "G0PRIVATE")},

		// Seller defaults.
		{name: "time zone", env: map[string]string{"SFPDESK_TIMEZONE": "America/New_York"},
			check: wantField(func(c *Config) any { return c.Location.String() }, newYork.String())},
		{name: "unknown time zone", env: map[string]string{"SFPDESK_TIMEZONE": "Paris"},
			want:  []string{`error SFPDESK_TIMEZONE: unknown time zone "Paris": use an IANA name such as Europe/Paris…`},
			check: wantField(func(c *Config) any { return c.Location.String() }, "Europe/Paris")},
		{name: "language in capitals", env: map[string]string{"SFPDESK_LANG": "EN"},
			check: wantField(func(c *Config) any { return c.Lang }, "en")},
		{name: "language not spoken", env: map[string]string{"SFPDESK_LANG": "de"},
			want: []string{`error SFPDESK_LANG: "de": sfpdesk speaks fr or en`}},

		// Deadlines and reminders.
		{name: "one SLA entry overrides its kind only", env: map[string]string{"SFPDESK_SLA": "cs_contact=12h"},
			check: func(c *Config) error {
				want := sfp.DefaultSLA()
				want[sfp.KindCSContact] = sfp.Duration{N: 12, Unit: sfp.Hours}
				return diff(want, c.SLA)
			}},
		{name: "SLA entry with an unknown unit", env: map[string]string{"SFPDESK_SLA": "product_question=24x"},
			want: []string{`error SFPDESK_SLA: entry "product_question=24x": …unknown unit "x": use m, h, d or bd`}},
		{name: "every bad SLA entry is named", env: map[string]string{"SFPDESK_SLA": "question=24h, cs_contact, return_received=1bd"},
			want: []string{
				`error SFPDESK_SLA: entry "question=24h": unknown kind "question"; kinds are pre_order_question, …return_received`,
				`error SFPDESK_SLA: entry "cs_contact": write kind=duration, e.g. …`,
			}},
		{name: "SLA for a refund notice", env: map[string]string{"SFPDESK_SLA": "refund_notice=24h"},
			want: []string{`error SFPDESK_SLA: entry "refund_notice=24h": …no deadline…SFPDESK_CLAIM_WINDOW); remove the entry`}},
		{name: "SLA for a return request", env: map[string]string{"SFPDESK_SLA": "return_requested=2bd"},
			want: []string{`error SFPDESK_SLA: entry "return_requested=2bd": …no deadline…waits for its parcel…remove the entry`}},
		{name: "A-to-z SLA looser than Amazon's", env: map[string]string{"SFPDESK_SLA": "a_to_z_claim=96h"},
			want: []string{`warn SFPDESK_SLA: entry "a_to_z_claim=96h": Amazon grants an A-to-z claim left unanswered for 72 hours…`}},
		{name: "SLA kind given twice", env: map[string]string{"SFPDESK_SLA": "cs_contact=12h,cs_contact=6h"},
			want: []string{`error SFPDESK_SLA: entry "cs_contact=6h": cs_contact is given twice: keep one entry`}},
		{name: "zero SLA", env: map[string]string{"SFPDESK_SLA": "cs_contact=0h"},
			want: []string{`error SFPDESK_SLA: entry "cs_contact=0h": …more than zero`}},
		{name: "question SLA looser than Amazon's", env: map[string]string{"SFPDESK_SLA": "product_question=48h,pre_order_question=1bd"},
			want: []string{
				`warn SFPDESK_SLA: entry "product_question=48h": Amazon counts a reply as late after 24 hours…`,
				`warn SFPDESK_SLA: entry "pre_order_question=1bd": Amazon counts a reply as late after 24 hours…`,
			}},
		{name: "return SLA looser than Amazon's", env: map[string]string{"SFPDESK_SLA": "return_received=3bd"},
			want: []string{`warn SFPDESK_SLA: entry "return_received=3bd": Amazon expects the refund within 2 business days…`}},
		{name: "stricter SLAs are the seller's business", env: map[string]string{"SFPDESK_SLA": "return_received=1d,cs_contact=8h"}},
		{name: "reminders sorted longest first, repeats dropped", env: map[string]string{"SFPDESK_REMIND_BEFORE": "30m,6h,30m,2h"},
			check: wantField(func(c *Config) any { return c.RemindBefore }, []time.Duration{6 * time.Hour, 2 * time.Hour, 30 * time.Minute})},
		{name: "reminders in business days", env: map[string]string{"SFPDESK_REMIND_BEFORE": "6h,1bd"},
			want:  []string{`error SFPDESK_REMIND_BEFORE: "1bd": a reminder is a time before the deadline; use m, h or d`},
			check: wantField(func(c *Config) any { return c.RemindBefore }, []time.Duration{6 * time.Hour})},
		{name: "reminder with an unknown unit", env: map[string]string{"SFPDESK_REMIND_BEFORE": "6x"},
			want: []string{`error SFPDESK_REMIND_BEFORE: "6x" …unknown unit "x": use m, h, d or bd`}},
		{name: "no reminders", env: map[string]string{"SFPDESK_REMIND_BEFORE": "none"},
			check: wantField(func(c *Config) any { return c.RemindBefore }, []time.Duration(nil))},
		{name: "quiet hours across midnight", env: map[string]string{"SFPDESK_QUIET_HOURS": "22:00-07:00"},
			check: func(c *Config) error {
				night := time.Date(2026, 3, 2, 23, 30, 0, 0, time.UTC)
				if !c.QuietHours.Contains(night, time.UTC) {
					return fmt.Errorf("quiet hours %v do not contain 23:30", c.QuietHours)
				}
				return diff(sfp.QuietHours{From: 22 * 60, To: 7 * 60}, c.QuietHours)
			}},
		{name: "quiet hours in another notation", env: map[string]string{"SFPDESK_QUIET_HOURS": "22h-7h"},
			want: []string{`error SFPDESK_QUIET_HOURS: "22h-7h": "22h" is not a time of day: write the start and the end in local 24-hour time as HH:MM-HH:MM, e.g. 22:00-07:00`}},
		{name: "a reminder longer than its deadline", env: map[string]string{"SFPDESK_REMIND_BEFORE": "30h,1h"},
			want: []string{`warn SFPDESK_REMIND_BEFORE: 30h is not shorter than the 24h deadline of pre_order_question, product_question, order_question, cs_contact, so that reminder … never comes: keep every reminder shorter than 24h`}},
		{name: "a reminder as long as a shortened deadline", env: map[string]string{"SFPDESK_SLA": "cs_contact=4h"},
			want: []string{`warn SFPDESK_REMIND_BEFORE: 6h is not shorter than the 4h deadline of cs_contact, …`}},
		{name: "quiet hours of no length", env: map[string]string{"SFPDESK_QUIET_HOURS": "22:00-22:00"},
			want: []string{`error SFPDESK_QUIET_HOURS: "22:00-22:00": the quiet hours start and end at the same time…`}},
		{name: "close after", env: map[string]string{"SFPDESK_CLOSE_AFTER": "3d"},
			check: wantField(func(c *Config) any { return c.CloseAfter }, sfp.Duration{N: 3, Unit: sfp.Days})},
		{name: "close at once", env: map[string]string{"SFPDESK_CLOSE_AFTER": "0d"},
			want:  []string{`error SFPDESK_CLOSE_AFTER: "0d": must be more than zero`},
			check: wantField(func(c *Config) any { return c.CloseAfter }, sfp.Duration{N: 7, Unit: sfp.Days})},
		{name: "close after a bare number", env: map[string]string{"SFPDESK_CLOSE_AFTER": "7"},
			want: []string{`error SFPDESK_CLOSE_AFTER: "7" has no unit: …`}},

		// Claims.
		{name: "claim window as a bare number of days", env: map[string]string{"SFPDESK_CLAIM_WINDOW": "45"},
			check: wantField(func(c *Config) any { return c.ClaimWindow }, sfp.Duration{N: 45, Unit: sfp.Days})},
		{name: "claim window in business days", env: map[string]string{"SFPDESK_CLAIM_WINDOW": "10bd"},
			check: wantField(func(c *Config) any { return c.ClaimWindow }, sfp.Duration{N: 10, Unit: sfp.BusinessDays})},
		{name: "claim window of zero", env: map[string]string{"SFPDESK_CLAIM_WINDOW": "0"},
			want:  []string{`error SFPDESK_CLAIM_WINDOW: "0": the claim window must be more than zero`},
			check: wantField(func(c *Config) any { return c.ClaimWindow }, sfp.DefaultClaimWindow)},
		{name: "claim reminders", env: map[string]string{"SFPDESK_CLAIM_REMIND_BEFORE": "3d"},
			check: wantField(func(c *Config) any { return c.ClaimRemindBefore }, []time.Duration{72 * time.Hour})},
		{name: "claim reminders in business days", env: map[string]string{"SFPDESK_CLAIM_REMIND_BEFORE": "2bd"},
			want: []string{`error SFPDESK_CLAIM_REMIND_BEFORE: "2bd": a reminder is a time before the deadline; use m, h or d`}},

		// Drafted replies.
		{name: "model by key", env: map[string]string{"OPENAI_API_KEY": "sk-test"},
			check: func(c *Config) error {
				if !c.UseModel() {
					return fmt.Errorf("UseModel() false with a key")
				}
				return nil
			}},
		{name: "model by base URL alone", env: map[string]string{"OPENAI_BASE_URL": "http://localhost:11434/v1/"},
			check: func(c *Config) error {
				if !c.UseModel() {
					return fmt.Errorf("UseModel() false with a base URL")
				}
				return diff("http://localhost:11434/v1", c.OpenAIBaseURL)
			}},
		{name: "model key with a space", env: map[string]string{"OPENAI_API_KEY": "sk-abc def"},
			want: []string{`error OPENAI_API_KEY: contains spaces or quotes: paste the key alone`}},
		{name: "model name", env: map[string]string{"OPENAI_MODEL": "gpt-4.1-mini"},
			check: wantField(func(c *Config) any { return c.OpenAIModel }, "gpt-4.1-mini")},
		{name: "model base URL without /v1", env: map[string]string{"OPENAI_BASE_URL": "http://localhost:11434"},
			want: []string{`warn OPENAI_BASE_URL: "http://localhost:11434" does not end in /v1: …`}},
		{name: "model base URL that is no URL", env: map[string]string{"OPENAI_BASE_URL": "localhost:11434"},
			want: []string{`error OPENAI_BASE_URL: "localhost:11434" is not an http(s) URL: …`}},
		{name: "model name with a space", env: map[string]string{"OPENAI_MODEL": "gpt 4o"},
			want: []string{`error OPENAI_MODEL: "gpt 4o" contains spaces or quotes: …`}},
		{name: "catalog", env: map[string]string{"SFPDESK_CATALOG": csv},
			check: wantField(func(c *Config) any { return c.Catalog }, csv)},
		{name: "catalog that does not exist", env: map[string]string{"SFPDESK_CATALOG": filepath.Join(catalogDir, "missing.csv")},
			want: []string{`error SFPDESK_CATALOG: "` + filepath.Join(catalogDir, "missing.csv") + `" does not exist (looked at …): give the path of your CSV or JSON product file, or leave SFPDESK_CATALOG empty`}},
		{name: "catalog that is a directory", env: map[string]string{"SFPDESK_CATALOG": catalogDir},
			want: []string{`error SFPDESK_CATALOG: "` + catalogDir + `" is a directory: …`}},
		{name: "catalog of unknown format", env: map[string]string{"SFPDESK_CATALOG": txt},
			want: []string{`warn SFPDESK_CATALOG: ….csv or .json; rename the file`}},

		// Intake API and callbacks.
		{name: "intake token", env: map[string]string{"SFPDESK_INTAKE_TOKEN": "9f86d081884c7d659a2feaa0c55ad015"},
			check: wantField(func(c *Config) any { return c.IntakeToken }, "9f86d081884c7d659a2feaa0c55ad015")},
		{name: "short intake token", env: map[string]string{"SFPDESK_INTAKE_TOKEN": "secret"},
			want: []string{`warn SFPDESK_INTAKE_TOKEN: shorter than 16 characters, easy to guess: …openssl rand -hex 32…`}},
		{name: "callback hosts", env: map[string]string{"SFPDESK_CALLBACK_ALLOW": "127.0.0.1, Helpdesk.Internal,[::1]"},
			check: wantField(func(c *Config) any { return c.CallbackAllow }, []string{"127.0.0.1", "helpdesk.internal", "::1"})},
		{name: "callback host as a URL", env: map[string]string{"SFPDESK_CALLBACK_ALLOW": "http://helpdesk.internal/hook"},
			want: []string{`error SFPDESK_CALLBACK_ALLOW: entry "http://helpdesk.internal/hook": write the host alone, not a URL, e.g. helpdesk.internal`}},
		{name: "callback host with a port", env: map[string]string{"SFPDESK_CALLBACK_ALLOW": "helpdesk.internal:8080"},
			want: []string{`error SFPDESK_CALLBACK_ALLOW: entry "helpdesk.internal:8080": write the host without a port…`}},

		// Storage, listeners and privacy.
		{name: "database path", env: map[string]string{"SFPDESK_DB": "/var/lib/sfpdesk/sfpdesk.db"},
			check: wantField(func(c *Config) any { return c.DBPath }, "/var/lib/sfpdesk/sfpdesk.db")},
		{name: "retention of zero purges at close", env: map[string]string{"SFPDESK_RETENTION": "0d"},
			check: wantField(func(c *Config) any { return c.Retention }, sfp.Duration{N: 0, Unit: sfp.Days})},
		{name: "retention that is no duration", env: map[string]string{"SFPDESK_RETENTION": "a month"},
			want: []string{`error SFPDESK_RETENTION: "a month" is not a duration: …`}},
		{name: "public listener without a colon", env: map[string]string{"SFPDESK_ADDR": "3000"},
			want:  []string{`error SFPDESK_ADDR: "3000" is not a listen address: write host:port or :port, e.g. :3000`},
			check: wantField(func(c *Config) any { return c.Addr }, ":3000")},
		{name: "admin listener on every interface", env: map[string]string{"SFPDESK_ADMIN_ADDR": "0.0.0.0:9090"},
			want: []string{`error SFPDESK_ADMIN_ADDR: "0.0.0.0:9090" listens beyond this machine and SFPDESK_ADMIN_TOKEN is not set: …bind it to 127.0.0.1:9090 or set SFPDESK_ADMIN_TOKEN…`}},
		{name: "admin listener open but guarded", env: map[string]string{"SFPDESK_ADMIN_ADDR": ":9090", "SFPDESK_ADMIN_TOKEN": "0123456789abcdef0123"},
			check: wantField(func(c *Config) any { return c.AdminToken }, "0123456789abcdef0123")},
		{name: "short admin token", env: map[string]string{"SFPDESK_ADMIN_TOKEN": "admin"},
			want: []string{`warn SFPDESK_ADMIN_TOKEN: shorter than 16 characters, easy to guess: …`}},
		{name: "admin listener on localhost by name", env: map[string]string{"SFPDESK_ADMIN_ADDR": "localhost:9091"}},
		{name: "admin listener on the public port", env: map[string]string{"SFPDESK_ADDR": "127.0.0.1:3000", "SFPDESK_ADMIN_ADDR": "127.0.0.1:3000"},
			want: []string{`error SFPDESK_ADMIN_ADDR: "127.0.0.1:3000" is the port of SFPDESK_ADDR ("127.0.0.1:3000"): …`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, problems := load(t, tt.env)
			checkNotable(t, problems, tt.want)
			if tt.check != nil {
				if err := tt.check(c); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

func wantField(get func(c *Config) any, want any) func(c *Config) error {
	return func(c *Config) error { return diff(want, get(c)) }
}

func diff(want, got any) error {
	if d := cmp.Diff(want, got); d != "" {
		return fmt.Errorf("(-want +got):\n%s", d)
	}
	return nil
}

func TestLoadConfigDotenv(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, ".env")
	file := "# team settings\n" +
		"SLACK_BOT_TOKEN=xoxb-from-file\n" +
		"SFPDESK_LANG=en\n" +
		"SFPDESK_TIMEZONE=\"Europe/Berlin\"\n" +
		"SFPDESK_TIMEZOME=Europe/London\n" +
		"SFPDESK_ADMINS=U0FILE001\n"
	if err := os.WriteFile(path, []byte(file), 0o600); err != nil {
		t.Fatal(err)
	}
	env := goodEnv()
	delete(env, "SFPDESK_ADMINS")
	env["SFPDESK_TIMEZONE"] = "" // set, even empty, in the process: it wins
	c, problems := LoadConfig(envFunc(env), path)

	if c.SlackBotToken != "xoxb-1-bot" {
		t.Errorf("SlackBotToken = %q: the process environment must win over .env", c.SlackBotToken)
	}
	if c.Lang != "en" {
		t.Errorf("Lang = %q, want en from .env", c.Lang)
	}
	if diff := cmp.Diff([]string{"U0FILE001"}, c.Admins); diff != "" {
		t.Errorf("Admins from .env (-want +got):\n%s", diff)
	}
	if c.Location.String() != "Europe/Paris" {
		t.Errorf("Location = %s, want the default: an empty process value wins over .env", c.Location)
	}
	checkNotable(t, problems, []string{`warn SFPDESK_TIMEZOME: unknown setting in .env, ignored; did you mean SFPDESK_TIMEZONE?`})
}

func TestLoadConfigDotenvMissingIsFine(t *testing.T) {
	_, problems := LoadConfig(envFunc(goodEnv()), filepath.Join(t.TempDir(), "no-such.env"))
	checkNotable(t, problems, nil)
}

func TestLoadConfigDotenvBroken(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(path, []byte("SFPDESK_LANG=en\nSLACK_BOT_TOKEN xoxb-do-not-print\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, problems := LoadConfig(envFunc(goodEnv()), path)
	checkNotable(t, problems, []string{`error ` + path + `: line 2 is not NAME=value: write one NAME=value a line…`})
	for _, p := range problems {
		if strings.Contains(p.Msg, "do-not-print") {
			t.Errorf("problem quotes the file's text: %s", p)
		}
	}
}

// Secrets must not reach logs or check's output, however the configuration
// or a problem about it is printed.
func TestSecretsStayHidden(t *testing.T) {
	secrets := map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-s3cr3t-BOT",
		"SLACK_APP_TOKEN":      "xapp-s3cr3t-APP",
		"SLACK_SIGNING_SECRET": "s3cr3t-SIGNING",
		"OPENAI_API_KEY":       "sk-s3cr3t-MODEL",
		"SFPDESK_INTAKE_TOKEN": "s3cr3t-INTAKE",
		"SFPDESK_ADMIN_TOKEN":  "s3cr3t-ADMIN",
	}
	c, problems := load(t, secrets)
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("config", "cfg", c, "value", *c)
	fmt.Fprintf(&buf, "%v %+v %#v %v %s\n", c, *c, *c, c.Redacted(), c)
	for _, p := range problems {
		fmt.Fprintln(&buf, p)
	}
	// The wrong-kind messages must not echo the token either.
	_, problems = load(t, map[string]string{"SLACK_BOT_TOKEN": "xapp-s3cr3t-APP", "SLACK_APP_TOKEN": "xoxp-s3cr3t-USER"})
	for _, p := range problems {
		fmt.Fprintln(&buf, p)
	}
	out := buf.String()
	if strings.Contains(out, "s3cr3t") {
		t.Errorf("a secret was printed:\n%s", out)
	}
	if !strings.Contains(out, `"SLACK_BOT_TOKEN":"xoxb-[redacted]"`) {
		t.Errorf("slog output lacks the redacted bot token:\n%s", out)
	}
	if c.Redacted().SlackBotToken != "xoxb-[redacted]" || c.SlackBotToken != "xoxb-s3cr3t-BOT" {
		t.Errorf("Redacted() must redact a copy, not the configuration itself")
	}
}

// .env.example is generated from the settings table; -update rewrites it.
func TestEnvExampleFile(t *testing.T) {
	path := filepath.Join("..", "..", ".env.example")
	want := envExample()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf(".env.example is stale; run go test ./cmd/sfpdesk -run TestEnvExampleFile -update (-want +got):\n%s", diff)
	}

	// Every variable appears once, with its default, under a comment.
	lines := strings.Split(string(got), "\n")
	for _, s := range settings {
		line := s.name + "="
		if s.def != "" {
			line = "# " + s.name + "=" + s.def
		}
		n := 0
		for i, l := range lines {
			if l != line {
				continue
			}
			n++
			if i == 0 || !strings.HasPrefix(lines[i-1], "# ") || settingLine(lines[i-1]) {
				t.Errorf("%s has no comment above it", s.name)
			}
		}
		if n != 1 {
			t.Errorf(".env.example has %d lines %q, want 1", n, line)
		}
	}
}

func settingLine(line string) bool {
	for _, s := range settings {
		if strings.HasPrefix(strings.TrimPrefix(line, "# "), s.name+"=") {
			return true
		}
	}
	return false
}

// The README's table of variables is generated too, between markers; the
// test waits for a README that has them.
func TestREADMEEnvTable(t *testing.T) {
	const begin, end = "<!-- env:begin -->\n", "<!-- env:end -->"
	path := filepath.Join("..", "..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal("no README.md: it must document the configuration")
	}
	readme := string(data)
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q … %q section for the variables table", strings.TrimSpace(begin), end)
	}
	want := readme[:i+len(begin)] + envMarkdown() + readme[j:]
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(want, readme); diff != "" {
		t.Errorf("README.md's variables table is stale; run go test ./cmd/sfpdesk -run TestREADMEEnvTable -update (-want +got):\n%s", diff)
	}
}

func TestSettingsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range settings {
		if seen[s.name] {
			t.Errorf("%s is in the table twice", s.name)
		}
		seen[s.name] = true
		if s.help == "" || s.group == "" || s.parse == nil || s.show == nil {
			t.Errorf("%s lacks help, group, parse or show", s.name)
		}
	}
	// The variables of DESIGN §4.2, plus the admin listener's token.
	for _, name := range []string{
		"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_API_URL",
		"OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_MODEL",
		"SFPDESK_DB", "SFPDESK_ADDR", "SFPDESK_ADMIN_ADDR", "SFPDESK_ADMIN_TOKEN", "SFPDESK_INTAKE_TOKEN",
		"SFPDESK_ADMINS", "SFPDESK_TRIAGE_CHANNEL", "SFPDESK_ESCALATION_CHANNEL",
		"SFPDESK_TIMEZONE", "SFPDESK_LANG", "SFPDESK_SLA", "SFPDESK_REMIND_BEFORE", "SFPDESK_QUIET_HOURS",
		"SFPDESK_CLAIM_WINDOW", "SFPDESK_CLAIM_REMIND_BEFORE", "SFPDESK_CLOSE_AFTER", "SFPDESK_RETENTION",
		"SFPDESK_CATALOG", "SFPDESK_CALLBACK_ALLOW",
		"SFPDESK_REPORT",
		"SFPDESK_MAILBOXES", "SFPDESK_SMTP", "SFPDESK_MAIL_POLL", "SFPDESK_MAIL_BACKFILL",
	} {
		if !seen[name] {
			t.Errorf("%s is missing from the settings table", name)
		}
		delete(seen, name)
	}
	for name := range seen {
		t.Errorf("%s is in the table but not in the contract", name)
	}
}

// The variable the PostgreSQL tests read is the one .env.example names.
func TestEnvExampleNamesTheTestDatabase(t *testing.T) {
	if !strings.Contains(envExample(), "\n# "+pgtest.Env+"=\n") {
		t.Errorf(".env.example does not document %s", pgtest.Env)
	}
}
