package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// update rewrites the generated files at the repository's root
// (slack-manifest.yaml, .env.example, README.md's variables table) from the
// code: go test ./cmd/sfpdesk -run 'TestManifestFile|TestEnvExampleFile' -update
var update = flag.Bool("update", false, "rewrite the generated files from the code")

func TestManifestFile(t *testing.T) {
	path := filepath.Join("..", "..", "slack-manifest.yaml")
	want := Manifest("")
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
		t.Errorf("slack-manifest.yaml is stale; run go test ./cmd/sfpdesk -run TestManifestFile -update (-want +got):\n%s", diff)
	}
}

// wantScopes is the contract's list: a scope added here must be argued for
// in the manifest's comment, since every scope is one more reason for a
// workspace admin to refuse the app.
var wantScopes = []string{
	"app_mentions:read", "channels:history", "channels:join", "channels:read", "chat:write", "commands",
	"files:write",
	"groups:history", "groups:read", "im:history", "im:write", "users:read",
}

func TestManifestSocketMode(t *testing.T) {
	m := yamlPaths(t, Manifest(""))
	want := map[string]string{
		"display_information.name":                  "sfpdesk",
		"features.bot_user.display_name":            "sfpdesk",
		"features.bot_user.always_online":           "true",
		"features.slash_commands[0].command":        "/sfp",
		"features.slash_commands[0].should_escape":  "true",
		"features.shortcuts[0].name":                "Send to seller",
		"features.shortcuts[0].type":                "message",
		"features.shortcuts[0].callback_id":         "send_to_seller",
		"settings.interactivity.is_enabled":         "true",
		"settings.org_deploy_enabled":               "false",
		"settings.socket_mode_enabled":              "true",
		"settings.token_rotation_enabled":           "false",
		"settings.event_subscriptions.bot_events[]": "app_home_opened,app_mention,message.channels,message.groups,message.im",
		"features.app_home.home_tab_enabled":        "true",
		"oauth_config.scopes.bot[]":                 strings.Join(wantScopes, ","),
	}
	// Agents' direct-message threads need the App Home's Messages tab.
	want["features.app_home.messages_tab_enabled"] = "true"
	want["features.app_home.messages_tab_read_only_enabled"] = "false"
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
	for _, k := range []string{
		"features.slash_commands[0].description", "features.slash_commands[0].usage_hint",
		"features.shortcuts[0].description", "display_information.description", "display_information.long_description",
	} {
		if m[k] == "" {
			t.Errorf("%s is empty", k)
		}
	}
	for k := range m {
		if strings.Contains(k, "url") {
			t.Errorf("Socket Mode manifest has %s = %q: Slack would call it", k, m[k])
		}
	}
	// Slack refuses a manifest whose texts are out of these bounds.
	if n := len([]rune(m["display_information.description"])); n > 140 {
		t.Errorf("description has %d characters, Slack allows 140", n)
	}
	if n := len([]rune(m["display_information.long_description"])); n < 175 || n > 4000 {
		t.Errorf("long_description has %d characters, Slack wants 175 to 4000", n)
	}
	if n := len([]rune(m["features.shortcuts[0].description"])); n > 150 {
		t.Errorf("shortcut description has %d characters, Slack allows 150", n)
	}
}

// Each scope carries its reason, for the admin who approves the app.
func TestManifestScopesAreJustified(t *testing.T) {
	re := regexp.MustCompile(`^      - ([a-z_:.]+) +# \S.{10,}$`)
	var got []string
	for line := range strings.SplitSeq(Manifest(""), "\n") {
		if m := re.FindStringSubmatch(line); m != nil {
			got = append(got, m[1])
		}
	}
	if diff := cmp.Diff(wantScopes, got); diff != "" {
		t.Errorf("justified scopes (-want +got):\n%s", diff)
	}
}

func TestManifestHTTPMode(t *testing.T) {
	m := yamlPaths(t, Manifest("https://sfpdesk.example.com"))
	want := map[string]string{
		"features.slash_commands[0].url":                  "https://sfpdesk.example.com/slack/commands",
		"settings.event_subscriptions.request_url":        "https://sfpdesk.example.com/slack/events",
		"settings.interactivity.request_url":              "https://sfpdesk.example.com/slack/interactivity",
		"settings.interactivity.message_menu_options_url": "https://sfpdesk.example.com/slack/interactivity",
		"settings.socket_mode_enabled":                    "false",
		"features.shortcuts[0].callback_id":               "send_to_seller",
	}
	for k, v := range want {
		if m[k] != v {
			t.Errorf("%s = %q, want %q", k, m[k], v)
		}
	}
}

func TestRunManifest(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		out    string // "…" is any text
		errOut string
	}{
		{name: "no flags prints slack-manifest.yaml", args: nil, code: 0, out: Manifest("")},
		{name: "url", args: []string{"--url", "https://sfpdesk.example.com"}, code: 0, out: Manifest("https://sfpdesk.example.com")},
		{name: "url with a trailing slash", args: []string{"--url=https://sfpdesk.example.com/"}, code: 0, out: Manifest("https://sfpdesk.example.com")},
		{name: "url behind a path prefix", args: []string{"-url", "https://example.com/sfpdesk/"}, code: 0, out: Manifest("https://example.com/sfpdesk")},
		{name: "http url", args: []string{"--url", "http://sfpdesk.example.com"}, code: 2,
			errOut: "sfpdesk manifest: --url: \"http://sfpdesk.example.com\" is not https: Slack only sends requests to https URLs, e.g. https://sfpdesk.example.com\n"},
		{name: "host without scheme", args: []string{"--url", "sfpdesk.example.com"}, code: 2,
			errOut: "sfpdesk manifest: --url: \"sfpdesk.example.com\" is not a URL: …"},
		{name: "url with a query", args: []string{"--url", "https://sfpdesk.example.com/?x=1"}, code: 2,
			errOut: "sfpdesk manifest: --url: \"https://sfpdesk.example.com/?x=1\" has a user, query or fragment: …"},
		{name: "stray argument", args: []string{"https://sfpdesk.example.com"}, code: 2,
			errOut: "sfpdesk manifest: unexpected argument \"https://sfpdesk.example.com\"\nUsage: sfpdesk manifest [--url https://host]\n…"},
		{name: "unknown flag", args: []string{"--socket"}, code: 2, errOut: "sfpdesk manifest: flag provided but not defined: -socket\n…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := runManifest(tt.args, &out, &errOut)
			if code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.code, errOut.String())
			}
			if out.String() != tt.out {
				t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), tt.out)
			}
			if !matchesMultiline(errOut.String(), tt.errOut) {
				t.Errorf("stderr %q, want %q", errOut.String(), tt.errOut)
			}
		})
	}
}

func matchesMultiline(s, pattern string) bool {
	parts := strings.Split(pattern, "…")
	re := "(?s)^"
	for i, p := range parts {
		if i > 0 {
			re += ".*"
		}
		re += regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(re + "$").MatchString(s)
}

var (
	yamlKeyRe   = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*):(?: (.*))?$`)
	yamlPlainRe = regexp.MustCompile(`^[A-Za-z0-9_/][A-Za-z0-9_./:-]*$`)
)

// yamlPaths reads the subset of YAML the manifest is written in: block
// mappings, block sequences of scalars or of mappings, double-quoted or
// plain scalars, comments. It returns each scalar by its path
// ("settings.socket_mode_enabled", "features.shortcuts[0].name"), with the
// items of a sequence of scalars joined by commas under "path[]". Anything
// outside that subset fails the test: that is how the test knows the output
// is YAML without a YAML library.
func yamlPaths(t *testing.T, doc string) map[string]string {
	t.Helper()
	type frame struct {
		indent int
		path   string
	}
	out := map[string]string{}
	items := map[string]int{}
	stack := []frame{{0, ""}}
	wantChild := -1 // indentation the next line must have, after "key:"
	join := func(a, b string) string {
		if a == "" {
			return b
		}
		return a + "." + b
	}
	set := func(n int, path, raw string) {
		v, err := yamlScalar(raw)
		if err != nil {
			t.Fatalf("line %d: %v", n, err)
		}
		if _, dup := out[path]; dup {
			t.Fatalf("line %d: %s given twice", n, path)
		}
		out[path] = v
	}
	for n, line := range strings.Split(strings.TrimSuffix(doc, "\n"), "\n") {
		n++
		if strings.ContainsAny(line, "\t\r") || strings.TrimRight(line, " ") != line {
			t.Fatalf("line %d has a tab, a carriage return or trailing spaces: %q", n, line)
		}
		content := strings.TrimLeft(line, " ")
		indent := len(line) - len(content)
		if content == "" || strings.HasPrefix(content, "#") {
			continue
		}
		if indent%2 != 0 {
			t.Fatalf("line %d: odd indentation: %q", n, line)
		}
		if wantChild >= 0 && indent != wantChild {
			t.Fatalf("line %d: a block opened by the line above must be indented to %d: %q", n, wantChild, line)
		}
		wantChild = -1
		for len(stack) > 1 && stack[len(stack)-1].indent > indent {
			stack = stack[:len(stack)-1]
		}
		top := stack[len(stack)-1]
		if top.indent != indent {
			t.Fatalf("line %d: unexpected indentation: %q", n, line)
		}
		if item, ok := strings.CutPrefix(content, "- "); ok {
			i := items[top.path]
			items[top.path]++
			if m := yamlKeyRe.FindStringSubmatch(item); m != nil && m[2] != "" {
				elem := fmt.Sprintf("%s[%d]", top.path, i)
				set(n, join(elem, m[1]), m[2])
				stack = append(stack, frame{indent + 2, elem})
				continue
			}
			v, err := yamlScalar(item)
			if err != nil {
				t.Fatalf("line %d: %v", n, err)
			}
			key := top.path + "[]"
			if out[key] != "" {
				out[key] += ","
			}
			out[key] += v
			continue
		}
		m := yamlKeyRe.FindStringSubmatch(content)
		if m == nil {
			t.Fatalf("line %d is neither key: value nor - item: %q", n, line)
		}
		path := join(top.path, m[1])
		if m[2] == "" {
			stack = append(stack, frame{indent + 2, path})
			wantChild = indent + 2
			continue
		}
		set(n, path, m[2])
	}
	if wantChild >= 0 {
		t.Fatal("the document ends on an empty block")
	}
	return out
}

// yamlScalar reads a double-quoted or plain scalar and an optional comment.
func yamlScalar(raw string) (string, error) {
	value, rest := raw, ""
	if strings.HasPrefix(raw, `"`) {
		q, err := strconv.QuotedPrefix(raw)
		if err != nil {
			return "", fmt.Errorf("unterminated quoted scalar %s", raw)
		}
		value, rest = q, raw[len(q):]
		if value, err = strconv.Unquote(value); err != nil {
			return "", err
		}
	} else {
		if i := strings.Index(raw, " #"); i >= 0 {
			value, rest = raw[:i], raw[i:]
		}
		value = strings.TrimRight(value, " ")
		if !yamlPlainRe.MatchString(value) || slices.Contains([]string{"null", "~", "yes", "no", "on", "off"}, value) {
			return "", fmt.Errorf("plain scalar %q needs quotes", value)
		}
	}
	if rest != "" && !regexp.MustCompile(`^ +# `).MatchString(rest) {
		return "", fmt.Errorf("text after the value: %q", rest)
	}
	return value, nil
}
