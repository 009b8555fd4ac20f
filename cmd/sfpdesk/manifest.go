package main

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// botScopes are the bot token scopes sfpdesk asks for, each with the reason
// a workspace admin reviewing the app will want to read. Nothing more: an
// app that asks for less is installed sooner.
var botScopes = []struct{ name, why string }{
	{"app_mentions:read", "@sfpdesk mentions: an agent asks a seller from any channel"},
	{"channels:history", "replies in case threads of public seller channels, to relay them and to never post a card twice"},
	{"channels:join", "join a public seller channel when an admin routes a seller to it"},
	{"channels:read", "who is in a public seller channel: only its members see its cases"},
	{"chat:write", "case cards, reminders, escalations and relayed answers"},
	{"commands", "the /sfp command and the \"Send to seller\" shortcut"},
	{"files:write", "the weekly report's chart, uploaded into each seller channel"},
	{"groups:history", "replies in case threads of private seller channels"},
	{"groups:read", "who is in a private seller channel: only its members see its cases"},
	{"im:history", "what people write to sfpdesk in a direct message"},
	{"im:write", "answer an agent by direct message where sfpdesk cannot post in their channel"},
	{"users:read", "names of who asked, took and answered a case"},
}

// botEvents are the events sfpdesk handles: its App Home opened, mentions,
// and messages in the channels and direct messages it is in (replies in
// case threads).
var botEvents = []string{"app_home_opened", "app_mention", "message.channels", "message.groups", "message.im"}

const (
	appDescription = "Amazon Seller Fulfilled Prime desk: buyer questions, CS contacts, returns and refunds as Slack cases, on Amazon's clock."

	appLongDescription = "sfpdesk puts every contact of your Seller Fulfilled Prime account in the right Slack channel as a case: " +
		"questions from buyers, questions Amazon customer service brings to you on a buyer's behalf, returns reaching your warehouse " +
		"and refunds Amazon customer service granted. It keeps Amazon's clocks (a reply is late after 24 hours, a return must be " +
		"refunded within 2 business days), reminds your team before a deadline, drafts a polite reply that a person checks and sends, " +
		"and makes reimbursement claims one click away."

	commandDescription = "Cases, deadlines, refunds and claims of your Prime orders"
	commandUsageHint   = "help | ask <seller> <question> | case <id> | open | breaches | claims"
	shortcutName       = "Send to seller"
	shortcutCallbackID = "send_to_seller"
	shortcutDesc       = "Ask the seller's team about this message; the answer comes back in this thread"
)

// Manifest returns the Slack app manifest as YAML. With no publicURL the
// app uses Socket Mode and needs no public address; with one (an https URL
// the caller has checked, see parsePublicURL) Slack sends commands, events
// and interactions to it over HTTP. It is written by hand rather than with
// a YAML library: the file is small, and its comments are for people.
func Manifest(publicURL string) string {
	base := strings.TrimRight(publicURL, "/")
	var b strings.Builder
	line := func(indent int, s string) {
		b.WriteString(strings.Repeat("  ", indent))
		b.WriteString(s)
		b.WriteByte('\n')
	}
	kv := func(indent int, key, value string) { line(indent, key+": "+value) }

	line(0, "# Slack app manifest of sfpdesk, printed by `sfpdesk manifest`.")
	line(0, "# At https://api.slack.com/apps choose Create New App → From a manifest, paste")
	line(0, "# this, install the app, and copy its tokens into .env (see .env.example).")
	if base == "" {
		line(0, "# Socket Mode: sfpdesk connects to Slack and needs no public address. For")
		line(0, "# HTTP mode, print it with `sfpdesk manifest --url https://your.host`.")
	} else {
		line(0, "# HTTP mode: Slack sends requests to "+base+"/slack/…, which")
		line(0, "# must reach sfpdesk's SFPDESK_ADDR; set SLACK_SIGNING_SECRET.")
	}
	line(0, "_metadata:")
	kv(1, "major_version", "1")
	kv(1, "minor_version", "1")
	line(0, "display_information:")
	kv(1, "name", "sfpdesk")
	kv(1, "description", yamlString(appDescription))
	kv(1, "long_description", yamlString(appLongDescription))
	kv(1, "background_color", yamlString("#232f3e"))
	line(0, "features:")
	line(1, "bot_user:")
	kv(2, "display_name", "sfpdesk")
	kv(2, "always_online", "true")
	// The Home tab is each person's queue. The Messages tab is where an
	// agent's direct-message thread with the bot lives (where it cannot post
	// in their channel); without it Slack tells people that sending messages
	// to this app is turned off.
	line(1, "app_home:")
	kv(2, "home_tab_enabled", "true")
	kv(2, "messages_tab_enabled", "true")
	kv(2, "messages_tab_read_only_enabled", "false")
	line(1, "slash_commands:")
	line(2, "- command: /sfp")
	if base != "" {
		kv(3, "url", yamlString(base+"/slack/commands"))
	}
	kv(3, "description", yamlString(commandDescription))
	kv(3, "usage_hint", yamlString(commandUsageHint))
	// Escaped, Slack sends mentions as <@U…|name> and channels as
	// <#C…|name>: IDs, which is what routing and admin checks need.
	kv(3, "should_escape", "true")
	line(1, "shortcuts:")
	line(2, "- name: "+yamlString(shortcutName))
	kv(3, "type", "message")
	kv(3, "callback_id", shortcutCallbackID)
	kv(3, "description", yamlString(shortcutDesc))
	line(0, "oauth_config:")
	line(1, "scopes:")
	line(2, "bot:")
	width := 0
	for _, s := range botScopes {
		width = max(width, len(s.name))
	}
	for _, s := range botScopes {
		line(3, "- "+s.name+strings.Repeat(" ", width-len(s.name))+"  # "+s.why)
	}
	line(0, "settings:")
	line(1, "event_subscriptions:")
	if base != "" {
		kv(2, "request_url", yamlString(base+"/slack/events"))
	}
	line(2, "bot_events:")
	for _, e := range botEvents {
		line(3, "- "+e)
	}
	line(1, "interactivity:")
	kv(2, "is_enabled", "true")
	if base != "" {
		kv(2, "request_url", yamlString(base+"/slack/interactivity"))
		kv(2, "message_menu_options_url", yamlString(base+"/slack/interactivity"))
	}
	kv(1, "org_deploy_enabled", "false")
	kv(1, "socket_mode_enabled", strconv.FormatBool(base == ""))
	// A rotating token expires every 12 hours and would need a refresh flow
	// that a self-hosted bot does not have.
	kv(1, "token_rotation_enabled", "false")
	return b.String()
}

// yamlString quotes s as a YAML double-quoted scalar. Go's escapes (\" \\
// \n \t \xNN \uNNNN) are all valid in YAML, and a quoted scalar never
// mistakes "#" or ": " in prose for YAML syntax.
func yamlString(s string) string { return strconv.Quote(s) }

// parsePublicURL checks the --url of `sfpdesk manifest`: Slack only sends
// requests to https URLs. A path is kept, for a bot behind a reverse proxy
// under a prefix.
func parsePublicURL(s string) (string, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || u.Opaque != "":
		return "", fmt.Errorf("%q is not a URL: write the address Slack can reach sfpdesk at, e.g. https://sfpdesk.example.com", s)
	case u.Scheme != "https":
		return "", fmt.Errorf("%q is not https: Slack only sends requests to https URLs, e.g. https://%s", s, u.Host)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("%q has a user, query or fragment: give the address alone, e.g. https://%s", s, u.Host)
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), nil
}

// runManifest is `sfpdesk manifest [--url https://host]`. It returns the
// exit code: 0, or 2 for wrong usage.
func runManifest(args []string, out, errOut io.Writer) int {
	fs := newFlags("manifest")
	publicURL := fs.String("url", "", "public `https URL` of sfpdesk for HTTP mode; sets the command, events, interactivity and options URLs and turns Socket Mode off")
	if code, ok := parseFlags(fs, args, out, errOut, false); !ok {
		return code
	}
	base := ""
	if *publicURL != "" {
		var err error
		if base, err = parsePublicURL(*publicURL); err != nil {
			fmt.Fprintf(errOut, "sfpdesk manifest: --url: %v\n", err)
			return 2
		}
	}
	fmt.Fprint(out, Manifest(base))
	return 0
}
