package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"
)

// fakeSlack answers auth.test and apps.connections.open: the tokens named
// here are good, any other gets invalid_auth, as Slack does.
func fakeSlack(t *testing.T, botToken, appToken string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	reply := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	mux.HandleFunc("POST /auth.test", func(w http.ResponseWriter, r *http.Request) {
		if r.FormValue("token") != botToken && r.Header.Get("Authorization") != "Bearer "+botToken {
			reply(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		reply(w, map[string]any{"ok": true, "team": "Maison Dupont", "user": "sfpdesk", "team_id": "T0TEAM", "user_id": "U0BOT", "bot_id": "B0BOT"})
	})
	mux.HandleFunc("POST /apps.connections.open", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+appToken {
			reply(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		reply(w, map[string]any{"ok": true, "url": "wss://wss.example/link"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func runCheckWith(t *testing.T, changes map[string]string) (string, int) {
	t.Helper()
	cfg, problems := load(t, changes)
	var out bytes.Buffer
	code := runCheck(context.Background(), cfg, problems, &out, nil)
	return out.String(), code
}

func TestCheck(t *testing.T) {
	srv := fakeSlack(t, "xoxb-1-bot", "xapp-1-app")
	dir := t.TempDir()
	base := map[string]string{"SLACK_API_URL": srv.URL, "SFPDESK_DB": filepath.Join(dir, "sfpdesk.db")}
	with := func(m map[string]string) map[string]string {
		out := map[string]string{}
		for k, v := range base {
			out[k] = v
		}
		for k, v := range m {
			out[k] = v
		}
		return out
	}

	tests := []struct {
		name string
		env  map[string]string
		code int
		want []string // lines that must be in the output; "…" is any text
	}{
		{name: "healthy", env: with(nil), code: 0, want: []string{
			"ok SLACK_BOT_TOKEN (team Maison Dupont, bot @sfpdesk)",
			"ok SLACK_APP_TOKEN (Socket Mode)",
			"ok SFPDESK_DB: will be created",
			"ok OPENAI_API_KEY: not set: drafts come from templates",
			"ok SFPDESK_INTAKE_TOKEN: not set: the intake API is off",
			"ok SFPDESK_LANG",
		}},
		{name: "revoked bot token", env: with(map[string]string{"SLACK_BOT_TOKEN": "xoxb-2-revoked"}), code: 1, want: []string{
			"error SLACK_BOT_TOKEN: invalid_auth — Slack does not know this token…copy the Bot User OAuth Token (xoxb-…) again from your app's OAuth & Permissions page",
		}},
		{name: "revoked app token", env: with(map[string]string{"SLACK_APP_TOKEN": "xapp-2-revoked"}), code: 1, want: []string{
			"ok SLACK_BOT_TOKEN (team Maison Dupont, bot @sfpdesk)",
			"error SLACK_APP_TOKEN: invalid_auth — …connections:write…",
		}},
		{name: "malformed token is not sent to Slack", env: with(map[string]string{"SLACK_BOT_TOKEN": "xoxp-1-user"}), code: 1, want: []string{
			`error SLACK_BOT_TOKEN: starts with "xoxp-", a user token: …`,
		}},
		{name: "HTTP mode", env: with(map[string]string{"SLACK_APP_TOKEN": unset, "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef"}), code: 0, want: []string{
			"ok SLACK_APP_TOKEN: not set: HTTP mode, Slack must reach /slack/* on SFPDESK_ADDR",
			"ok SLACK_SIGNING_SECRET",
		}},
		{name: "warnings alone exit 0", env: with(map[string]string{"SFPDESK_ADMINS": unset}), code: 0, want: []string{
			"warn SFPDESK_ADMINS: no admins: …",
		}},
		{name: "database directory missing", env: with(map[string]string{"SFPDESK_DB": filepath.Join(dir, "nope", "sfpdesk.db")}), code: 1, want: []string{
			`error SFPDESK_DB: the directory "` + filepath.Join(dir, "nope") + `" does not exist: …`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runCheckWith(t, tt.env)
			if code != tt.code {
				t.Errorf("exit code %d, want %d; output:\n%s", code, tt.code, out)
			}
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			for _, w := range tt.want {
				if !slices.ContainsFunc(lines, func(l string) bool { return matches(l, w) }) {
					t.Errorf("no line %q in:\n%s", w, out)
				}
			}
			checkLineOrder(t, lines)
		})
	}
}

// checkLineOrder checks that every setting has a line, that the lines
// follow the settings table, and that each line reads `ok|warn|error VAR`.
func checkLineOrder(t *testing.T, lines []string) {
	t.Helper()
	var got, want []string
	for _, l := range lines {
		level, rest, _ := strings.Cut(l, " ")
		if level != levelOK && level != levelWarn && level != levelError {
			t.Errorf("line %q does not start with ok, warn or error", l)
		}
		name := strings.FieldsFunc(rest, func(r rune) bool { return r == ':' || r == ' ' })[0]
		if len(got) == 0 || got[len(got)-1] != name {
			got = append(got, name)
		}
	}
	for _, s := range settings {
		want = append(want, s.name)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings out of the table's order (-want +got):\n%s", diff)
	}
}

func TestCheckSlackUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	out, code := runCheckWith(t, map[string]string{
		"SLACK_API_URL": url, "SLACK_APP_TOKEN": unset, "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
		"SFPDESK_DB": filepath.Join(t.TempDir(), "sfpdesk.db"),
	})
	if code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if !strings.Contains(out, "error SLACK_BOT_TOKEN: cannot reach Slack at "+url+"/: ") {
		t.Errorf("no unreachable line in:\n%s", out)
	}
}

// A running bot holds the database's lock for as long as it runs; check
// must say so at once instead of waiting for it.
func TestCheckDatabaseInUse(t *testing.T) {
	srv := fakeSlack(t, "xoxb-1-bot", "xapp-1-app")
	path := filepath.Join(t.TempDir(), "sfpdesk.db")
	running, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()

	start := time.Now()
	out, code := runCheckWith(t, map[string]string{"SLACK_API_URL": srv.URL, "SFPDESK_DB": path})
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("check took %s with the database in use", elapsed)
	}
	if code != 0 {
		t.Errorf("exit code %d, want 0; output:\n%s", code, out)
	}
	want := "ok SFPDESK_DB: in use by a running bot (" + path + " is locked; check does not wait for it)\n"
	if !strings.Contains(out, want) {
		t.Errorf("no line %q in:\n%s", want, out)
	}
}

func TestCheckDatabaseFile(t *testing.T) {
	dir := t.TempDir()
	idle := filepath.Join(dir, "idle.db")
	db, err := bolt.Open(idle, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	junk := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(junk, bytes.Repeat([]byte("not a database\n"), 1000), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, path, want string
	}{
		{"idle database", idle, "ok SFPDESK_DB (" + idle + ", … KiB, not in use)"},
		{"not a database", junk, `error SFPDESK_DB: "` + junk + `" is not a database sfpdesk can read (…): point SFPDESK_DB at sfpdesk's database, or move this file away`},
		{"a directory", dir, `error SFPDESK_DB: "` + dir + `" is a directory: give a file path, e.g. ` + filepath.Join(dir, "sfpdesk.db")},
		{"new database", filepath.Join(dir, "new.db"), "ok SFPDESK_DB: will be created"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkDB(tt.path).String(); !matches(got, tt.want) {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// Problems that belong to no setting, like an unreadable .env, come first.
func TestCheckFileProblemsFirst(t *testing.T) {
	srv := fakeSlack(t, "xoxb-1-bot", "xapp-1-app")
	cfg, problems := load(t, map[string]string{"SLACK_API_URL": srv.URL, "SFPDESK_DB": filepath.Join(t.TempDir(), "x.db")})
	problems = append(problems, Problem{Var: ".env", Level: levelError, Msg: "line 3 is not NAME=value"})
	var out bytes.Buffer
	if code := runCheck(context.Background(), cfg, problems, &out, nil); code != 1 {
		t.Errorf("exit code %d, want 1", code)
	}
	if first, _, _ := strings.Cut(out.String(), "\n"); first != "error .env: line 3 is not NAME=value" {
		t.Errorf("first line %q", first)
	}
}
