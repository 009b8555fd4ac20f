package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

// TestMain lets a test run the sfpdesk command itself as a child process:
// the test binary re-executes itself with SFPDESK_RUN_MAIN set.
func TestMain(m *testing.M) {
	if os.Getenv("SFPDESK_RUN_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// child is `sfpdesk <args>` as a separate process.
type child struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	addr   string
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startChild(t *testing.T, env map[string]string, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = t.TempDir() // no stray .env
	cmd.Env = append(os.Environ(), "SFPDESK_RUN_MAIN=1")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	c := &child{cmd: cmd, stderr: &bytes.Buffer{}, addr: env["SFPDESK_ADDR"]}
	cmd.Stderr = c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return c
}

func (c *child) waitHealthy(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + c.addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("serve never became healthy; stderr:\n%s", c.stderr)
}

func (c *child) exitCode(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("still running; stderr:\n%s", c.stderr)
	}
	return c.cmd.ProcessState.ExitCode()
}

func serveEnv(t *testing.T, fake *fakeslack.Server, db string) map[string]string {
	return map[string]string{
		"SLACK_BOT_TOKEN":      "xoxb-test",
		"SLACK_SIGNING_SECRET": "test-secret",
		"SLACK_API_URL":        fake.APIURL(),
		"SFPDESK_DB":           db,
		"SFPDESK_ADDR":         freeAddr(t),
		"SFPDESK_ADMIN_ADDR":   freeAddr(t),
	}
}

func TestServeStopsCleanlyOnSignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			fake := fakeslack.New()
			defer fake.Close()
			db := filepath.Join(t.TempDir(), "sfpdesk.db")
			c := startChild(t, serveEnv(t, fake, db), "serve")
			c.waitHealthy(t)
			c.cmd.Process.Signal(sig)
			if code := c.exitCode(t); code != 0 {
				t.Fatalf("exit %d after %s, want 0; stderr:\n%s", code, sig, c.stderr)
			}
			// The database was closed: another process may open it at once.
			d, err := bolt.Open(db, &bolt.Options{Timeout: 100 * time.Millisecond})
			if err != nil {
				t.Fatalf("database still held after exit: %v", err)
			}
			d.Close()
		})
	}
}

func TestServeFatalErrorsAreOneClearLine(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, fake *fakeslack.Server, env map[string]string)
		want  string
	}{
		{"Slack refuses the bot token", func(t *testing.T, fake *fakeslack.Server, env map[string]string) {
			fake.SetInvalidAuth(true)
		}, "Slack refused SLACK_BOT_TOKEN"},
		{"another process holds the database", func(t *testing.T, fake *fakeslack.Server, env map[string]string) {
			d, err := bolt.Open(env["SFPDESK_DB"], nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { d.Close() })
		}, "is in use by another sfpdesk"},
		{"no bot token at all", func(t *testing.T, fake *fakeslack.Server, env map[string]string) {
			env["SLACK_BOT_TOKEN"] = ""
		}, "SLACK_BOT_TOKEN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fake := fakeslack.New()
			defer fake.Close()
			env := serveEnv(t, fake, filepath.Join(t.TempDir(), "sfpdesk.db"))
			tc.setup(t, fake, env)
			c := startChild(t, env, "serve")
			if code := c.exitCode(t); code != 1 {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, c.stderr)
			}
			lines := strings.Split(strings.TrimSpace(c.stderr.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Fatalf("want one line naming %q, got:\n%s", tc.want, c.stderr)
			}
		})
	}
}

func TestServeAnswersSlackInSocketMode(t *testing.T) {
	fake := fakeslack.New()
	defer fake.Close()
	env := serveEnv(t, fake, filepath.Join(t.TempDir(), "sfpdesk.db"))
	env["SLACK_APP_TOKEN"] = "xapp-test"
	c := startChild(t, env, "serve")
	c.waitHealthy(t)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := fake.WaitFor(ctx, func() bool { return fake.Calls("apps.connections.open") > 0 }); err != nil {
		t.Fatalf("never connected; stderr:\n%s", c.stderr)
	}
	var ack []byte
	var err error
	for ctx.Err() == nil {
		if ack, err = fake.SendSlashCommand(ctx, slashHelp()); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !bytes.Contains(ack, []byte("/sfp ask")) {
		t.Fatalf("ack = %s, %v", ack, err)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	if code := c.exitCode(t); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, c.stderr)
	}
}

func slashHelp() slack.SlashCommand {
	return slack.SlashCommand{Command: "/sfp", Text: "help", UserID: "U0AGENT", ChannelID: "C0CS"}
}
