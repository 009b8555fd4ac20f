package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/slack-go/slack"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/sfpdesk/sfpdesk/store/postgres"
)

// slackCheckTimeout bounds each call check makes to Slack: check is run by
// a person waiting at a terminal, and an unreachable Slack is itself the
// finding.
const slackCheckTimeout = 5 * time.Second

// dbLockWait is how long check waits for the database's lock. A running bot
// holds it for as long as it runs, so waiting longer would only hang.
const dbLockWait = 100 * time.Millisecond

// runCheck prints one line per setting, in the settings table's order:
// `ok VAR`, `warn VAR: …` or `error VAR: …` with the fix. It asks Slack
// whether the tokens work and looks at the database without ever waiting on
// a running bot's lock. It returns the exit code: 1 if any error, else 0.
// A nil httpClient means a default client.
func runCheck(ctx context.Context, cfg *Config, problems []Problem, out io.Writer, httpClient *http.Client) int {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: slackCheckTimeout}
	}
	byVar := map[string][]Problem{}
	var others []Problem
	for _, p := range problems {
		if _, ok := lookupSetting(p.Var); ok {
			byVar[p.Var] = append(byVar[p.Var], p)
		} else {
			others = append(others, p)
		}
	}
	// A token whose shape is already wrong is not sent to Slack: the
	// static error says more than Slack's invalid_auth would.
	usable := func(name, value string) bool {
		if value == "" {
			return false
		}
		for _, p := range byVar[name] {
			if p.Level == levelError {
				return false
			}
		}
		return true
	}
	var (
		wg                 sync.WaitGroup
		botLine, appLine   Problem
		checkBot, checkApp = usable("SLACK_BOT_TOKEN", cfg.SlackBotToken), usable("SLACK_APP_TOKEN", cfg.SlackAppToken)
	)
	if checkBot {
		wg.Go(func() { botLine = checkBotToken(ctx, cfg, httpClient) })
	}
	if checkApp {
		wg.Go(func() { appLine = checkAppToken(ctx, cfg, httpClient) })
	}
	dbLine := checkDB(cfg.DBPath)
	wg.Wait()
	if checkBot {
		byVar["SLACK_BOT_TOKEN"] = append(byVar["SLACK_BOT_TOKEN"], botLine)
	}
	if checkApp {
		byVar["SLACK_APP_TOKEN"] = append(byVar["SLACK_APP_TOKEN"], appLine)
	}
	byVar["SFPDESK_DB"] = append(byVar["SFPDESK_DB"], dbLine)
	for _, p := range checkMail(ctx, cfg, usable("SFPDESK_MAILBOXES", "set"), usable("SFPDESK_SMTP", "set")) {
		byVar[p.Var] = append(byVar[p.Var], p)
	}

	code := 0
	emit := func(p Problem) {
		if p.Level == levelError {
			code = 1
		}
		fmt.Fprintln(out, p)
	}
	for _, p := range others {
		emit(p)
	}
	for _, s := range settings {
		if len(byVar[s.name]) == 0 {
			emit(Problem{Var: s.name, Level: levelOK})
		}
		for _, p := range byVar[s.name] {
			emit(p)
		}
	}
	return code
}

// checkBotToken asks Slack who the bot token belongs to.
func checkBotToken(ctx context.Context, cfg *Config, hc *http.Client) Problem {
	ctx, cancel := context.WithTimeout(ctx, slackCheckTimeout)
	defer cancel()
	api := slack.New(cfg.SlackBotToken, slack.OptionAPIURL(cfg.SlackAPIURL), slack.OptionHTTPClient(hc))
	resp, err := api.AuthTestContext(ctx)
	if err != nil {
		return slackProblem("SLACK_BOT_TOKEN", cfg.SlackAPIURL, err, map[string]string{
			"invalid_auth": "Slack does not know this token (mistyped, revoked, or the app was reinstalled): " +
				"copy the Bot User OAuth Token (xoxb-…) again from your app's OAuth & Permissions page",
			"not_authed":       "Slack received no token: check SLACK_BOT_TOKEN",
			"token_revoked":    "the token was revoked: reinstall the app to the workspace and copy the new Bot User OAuth Token",
			"token_expired":    "the token expired: turn token rotation off (slack-manifest.yaml does) and reinstall the app",
			"account_inactive": "the app was uninstalled or the workspace deactivated: reinstall the app and copy its new Bot User OAuth Token",
		})
	}
	return Problem{Var: "SLACK_BOT_TOKEN", Level: levelOK, Msg: fmt.Sprintf("(team %s, bot @%s)", resp.Team, resp.User)}
}

// checkAppToken opens a Socket Mode connection URL, which needs exactly
// what serve needs: an app-level token with connections:write. The URL is
// not used; Slack lets it expire.
func checkAppToken(ctx context.Context, cfg *Config, hc *http.Client) Problem {
	ctx, cancel := context.WithTimeout(ctx, slackCheckTimeout)
	defer cancel()
	api := slack.New("", slack.OptionAppLevelToken(cfg.SlackAppToken), slack.OptionAPIURL(cfg.SlackAPIURL), slack.OptionHTTPClient(hc))
	if _, _, err := api.StartSocketModeContext(ctx); err != nil {
		return slackProblem("SLACK_APP_TOKEN", cfg.SlackAPIURL, err, map[string]string{
			"invalid_auth": "Slack does not know this token (mistyped or revoked): create a new app-level token " +
				"with the connections:write scope under Basic Information → App-Level Tokens",
			"not_authed":             "Slack received no token: check SLACK_APP_TOKEN",
			"not_allowed_token_type": "this is not an app-level token: create one (xapp-…) under Basic Information → App-Level Tokens",
			"missing_scope": "the token lacks the connections:write scope: create a new app-level token with it " +
				"under Basic Information → App-Level Tokens",
			"token_revoked": "the token was revoked: create a new app-level token under Basic Information → App-Level Tokens",
		})
	}
	return Problem{Var: "SLACK_APP_TOKEN", Level: levelOK, Msg: "(Socket Mode)"}
}

// slackProblem turns a failed Slack call into a line with the fix for the
// error codes people actually meet.
func slackProblem(name, apiURL string, err error, fixes map[string]string) Problem {
	var (
		apiErr  slack.SlackErrorResponse
		status  slack.StatusCodeError
		limited *slack.RateLimitedError
	)
	switch {
	case errors.As(err, &apiErr):
		fix, ok := fixes[apiErr.Err]
		if !ok {
			fix = "Slack refused the token: check it against your app's pages at https://api.slack.com/apps"
		}
		return Problem{Var: name, Level: levelError, Msg: apiErr.Err + " — " + fix}
	case errors.As(err, &limited):
		return Problem{Var: name, Level: levelWarn, Msg: fmt.Sprintf("Slack asked to slow down (rate limited); run check again in %s", limited.RetryAfter)}
	case errors.As(err, &status):
		return Problem{Var: name, Level: levelError, Msg: fmt.Sprintf("Slack answered %s at %s: check SLACK_API_URL, or try again if Slack is having trouble", status.Status, apiURL)}
	case errors.Is(err, context.DeadlineExceeded):
		return Problem{Var: name, Level: levelError, Msg: fmt.Sprintf("no answer from Slack at %s within %s: check the network (a proxy or firewall?) or SLACK_API_URL", apiURL, slackCheckTimeout)}
	}
	return Problem{Var: name, Level: levelError, Msg: fmt.Sprintf("cannot reach Slack at %s: %v: check the network or SLACK_API_URL", apiURL, err)}
}

// checkDB looks at the database file read-only, giving up on the lock
// after dbLockWait: a bot that is running holds it, which is fine.
func checkDB(path string) Problem {
	const name = "SFPDESK_DB"
	if postgres.IsURL(path) {
		return checkPostgres(path)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		dir := filepath.Dir(path)
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return Problem{Var: name, Level: levelError, Msg: fmt.Sprintf("the directory %q does not exist: create it, or point SFPDESK_DB at a file in an existing directory", dir)}
		}
		return Problem{Var: name, Level: levelOK, Msg: "will be created"}
	case err != nil:
		return Problem{Var: name, Level: levelError, Msg: fmt.Sprintf("cannot look at %q: %v", path, err)}
	case fi.IsDir():
		return Problem{Var: name, Level: levelError, Msg: fmt.Sprintf("%q is a directory: give a file path, e.g. %s", path, filepath.Join(path, "sfpdesk.db"))}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: dbLockWait, ReadOnly: true})
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return Problem{Var: name, Level: levelOK, Msg: fmt.Sprintf("in use by a running bot (%s is locked; check does not wait for it)", path)}
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrVersionMismatch), errors.Is(err, berrors.ErrChecksum):
		return Problem{Var: name, Level: levelError, Msg: fmt.Sprintf("%q is not a database sfpdesk can read (%v): point SFPDESK_DB at sfpdesk's database, or move this file away", path, err)}
	case errors.Is(err, fs.ErrPermission):
		return Problem{Var: name, Level: levelError, Msg: fmt.Sprintf("%q cannot be opened: permission denied: run sfpdesk as the user that owns it", path)}
	case err != nil:
		return Problem{Var: name, Level: levelError, Msg: fmt.Sprintf("%q cannot be opened: %v", path, err)}
	}
	db.Close()
	return Problem{Var: name, Level: levelOK, Msg: fmt.Sprintf("(%s, %s, not in use)", path, byteSize(fi.Size()))}
}

func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
