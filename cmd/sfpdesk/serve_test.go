package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
	"github.com/sfpdesk/sfpdesk/store/postgres"
)

var monday = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, socket bool, configure func(*Config)) *harness {
	t.Helper()
	h, err := startHarness(context.Background(), harnessOptions{Dir: t.TempDir(), Start: monday, Socket: socket, Configure: configure})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
		assertConsistent(t, h.Main.Config.DBPath)
	})
	return h
}

// assertConsistent verifies the file the bot leaves behind is consistent.
func assertConsistent(t *testing.T, path string) {
	t.Helper()
	if postgres.IsURL(path) {
		return // PostgreSQL keeps its own consistency
	}
	db, err := bolt.Open(path, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Errorf("reopen %s: %v", path, err)
		return
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Errorf("database inconsistent: %v", err)
	}
}

func TestHelpEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name   string
		socket bool
	}{{"over signed HTTP", false}, {"over Socket Mode", true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.socket, nil)
			msg, err := h.Slash(context.Background(), "U0AGENT", "C0CS", "help")
			if err != nil {
				t.Fatal(err)
			}
			if msg.ResponseType != slack.ResponseTypeEphemeral {
				t.Errorf("response_type = %q, want ephemeral", msg.ResponseType)
			}
			for _, want := range []string{"/sfp help", "/sfp ask <seller> [order <id>] <question>", "/sfp case <case-id|order-id>", "/sfp seller add <seller> <#channel> [<marketplace>]"} {
				if !strings.Contains(msg.Text, want) {
					t.Errorf("help lacks %q:\n%s", want, msg.Text)
				}
			}
		})
	}
}

func TestSlackRequestsMustBeSigned(t *testing.T) {
	h := newHarness(t, false, nil)
	form := url.Values{"command": {"/sfp"}, "text": {"ask acme hello"}, "user_id": {"U0AGENT"}, "channel_id": {"C0CS"}}
	body := []byte(form.Encode())
	post := func(sign func(r *http.Request)) int {
		req, _ := http.NewRequest(http.MethodPost, h.URL("/slack/commands"), bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sign(req)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	now := time.Now()
	tests := []struct {
		name string
		sign func(*http.Request)
	}{
		{"unsigned", func(*http.Request) {}},
		{"forged with another secret", func(r *http.Request) { fakeslack.SignRequest(r, "not-the-secret", body, now) }},
		{"stale by ten minutes", func(r *http.Request) { fakeslack.SignRequest(r, harnessSecret, body, now.Add(-10*time.Minute)) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := post(tc.sign); got != http.StatusUnauthorized {
				t.Errorf("status = %d, want 401", got)
			}
		})
	}
	// None of them had any effect.
	h.Main.DB.View(context.Background(), func(tx store.Tx) error {
		if open, _ := tx.OpenCases(""); len(open) != 0 {
			t.Errorf("a refused request created %d case(s)", len(open))
		}
		return nil
	})
}

func TestURLVerification(t *testing.T) {
	h := newHarness(t, false, nil)
	req, err := fakeslack.URLVerificationRequest(context.Background(), h.URL("/slack/events"), harnessSecret, "the-challenge")
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]string
	json.NewDecoder(resp.Body).Decode(&got)
	if resp.StatusCode != 200 || got["challenge"] != "the-challenge" {
		t.Fatalf("status %d, body %v", resp.StatusCode, got)
	}
}

func TestSlackPathsAreOffInSocketMode(t *testing.T) {
	h := newHarness(t, true, nil)
	for _, p := range []string{"/slack/events", "/slack/commands", "/slack/interactivity"} {
		resp, err := http.Post(h.URL(p), "application/json", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", p, resp.StatusCode)
		}
	}
}

func getJSON(t *testing.T, u string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func TestHealthAndReadiness(t *testing.T) {
	t.Run("HTTP mode", func(t *testing.T) {
		h := newHarness(t, false, nil)
		resp, err := http.Get(h.URL("/healthz"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "ok" {
			t.Errorf("healthz: %d %q", resp.StatusCode, b)
		}
		code, body := getJSON(t, h.URL("/readyz"))
		checks, _ := body["checks"].(map[string]any)
		if code != 200 || checks["store"] != "ok" || checks["slack"] != "ok" {
			t.Errorf("readyz: %d %v", code, body)
		}
		if _, ok := checks["socket_mode"]; ok {
			t.Errorf("readyz names socket_mode in HTTP mode: %v", body)
		}
	})
	t.Run("Socket Mode connected", func(t *testing.T) {
		h := newHarness(t, true, nil)
		code, body := getJSON(t, h.URL("/readyz"))
		checks, _ := body["checks"].(map[string]any)
		if code != 200 || checks["socket_mode"] != "ok" {
			t.Errorf("readyz: %d %v", code, body)
		}
	})
	t.Run("Slack refusing the token turns readiness off", func(t *testing.T) {
		h := newHarness(t, false, nil)
		h.Main.slackCheck.Lock()
		h.Main.slackCheck.at = time.Time{} // the cache has expired
		h.Main.slackCheck.Unlock()
		h.Fake.SetInvalidAuth(true)
		defer h.Fake.SetInvalidAuth(false)
		code, body := getJSON(t, h.URL("/readyz"))
		if code != http.StatusServiceUnavailable {
			t.Errorf("readyz: %d %v, want 503", code, body)
		}
	})
}

func TestMetricsNameTheContractsSeries(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, false, func(c *Config) { c.Admins = []string{"U0ADMIN"} })
	h.Fake.AddChannel("C0ACME", "acme", false)
	h.Fake.AddChannel("C0CS", "cs", false, "U0BOT")
	if _, err := h.Slash(ctx, "U0ADMIN", "C0CS", "seller add acme C0ACME"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Slash(ctx, "U0AGENT", "C0CS", "ask acme Is it waterproof?"); err != nil {
		t.Fatal(err)
	}
	if err := h.Settle(ctx); err != nil {
		t.Fatal(err)
	}
	// A post that fails with a 5xx waits for its retry: the queue shows it.
	h.Fake.FailNextHTTP("chat.postMessage", 503)
	if _, err := h.Slash(ctx, "U0AGENT", "C0CS", "ask acme Does it float?"); err != nil {
		t.Fatal(err)
	}
	if err := h.Fake.WaitCalls(ctx, "chat.postMessage", 3); err != nil {
		t.Fatal(err)
	}
	var b []byte
	wantAll := []string{
		`sfpdesk_ack_latency_seconds_count{entry="commands"} 3`,
		`sfpdesk_deliveries_total{result="sent"}`,
		`sfpdesk_deliveries_total{result="retried"}`,
		`sfpdesk_open_cases{seller="acme"} 2`,
		`sfpdesk_outbox_depth{channel="`,
		`sfpdesk_outbox_oldest_age_seconds{channel="`,
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get("http://" + h.Main.AdminAddr() + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		missing := ""
		for _, want := range wantAll {
			if !bytes.Contains(b, []byte(want)) {
				missing = want
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %s:\n%s", missing, grepLines(b, "sfpdesk_"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func grepLines(b []byte, sub string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestAdminListener(t *testing.T) {
	t.Run("a token is required when one is set", func(t *testing.T) {
		h := newHarness(t, false, func(c *Config) { c.AdminToken = "s3cret-admin-token-123" })
		u := "http://" + h.Main.AdminAddr() + "/admin/backup"
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("without token: %d, want 401", resp.StatusCode)
		}
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer s3cret-admin-token-123")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || n == 0 {
			t.Errorf("with token: %d, %d bytes", resp.StatusCode, n)
		}
	})
}

func TestBackupCommand(t *testing.T) {
	ctx := context.Background()
	h := newHarness(t, false, func(c *Config) { c.Admins = []string{"U0ADMIN"} })
	h.Fake.AddChannel("C0ACME", "acme", false)
	if _, err := h.Slash(ctx, "U0ADMIN", "C0CS", "seller add acme C0ACME"); err != nil {
		t.Fatal(err)
	}
	cfg := *h.Main.Config
	cfg.AdminAddr = h.Main.AdminAddr()
	out := filepath.Join(t.TempDir(), "through-bot.db")

	// The bot holds the file: the copy comes through its admin listener.
	n, via, err := backup(&cfg, out, false, http.DefaultClient)
	if err != nil || n == 0 || !strings.Contains(via, "running bot") {
		t.Fatalf("backup with a running bot: %d, %q, %v", n, via, err)
	}
	if _, _, err := backup(&cfg, out, false, http.DefaultClient); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("overwrote without --force: %v", err)
	}
	if _, _, err := backup(&cfg, out, true, http.DefaultClient); err != nil {
		t.Fatalf("--force: %v", err)
	}
	assertRestorable(t, out, "acme")

	// Without a running bot: read directly.
	h.StopBot()
	direct := filepath.Join(t.TempDir(), "direct.db")
	if _, via, err := backup(&cfg, direct, false, http.DefaultClient); err != nil || !strings.Contains(via, "directly") {
		t.Fatalf("backup without a bot: %q, %v", via, err)
	}
	assertRestorable(t, direct, "acme")
}

// assertRestorable restores a backup the documented way — it is a
// database file: point SFPDESK_DB at a copy of it — and reads it back.
func assertRestorable(t *testing.T, path, seller string) {
	t.Helper()
	restored := filepath.Join(t.TempDir(), "sfpdesk.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(restored, b, 0o600)
	db, err := bolt.Open(restored, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
	db.View(context.Background(), func(tx store.Tx) error {
		if _, err := tx.Seller(seller); err != nil {
			t.Errorf("restored database lacks seller %s: %v", seller, err)
		}
		return nil
	})
}

func TestUnknownCommandExitsTwo(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"frobnicate"}, &out, &errb); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if !strings.Contains(errb.String(), "Usage:") {
		t.Errorf("no usage printed: %q", errb.String())
	}
}

// BenchmarkSlashHelpRoundTrip measures a signed /sfp help from request to
// answer, through the real HTTP transport, handlers and store.
func BenchmarkSlashHelpRoundTrip(b *testing.B) {
	h, err := startHarness(context.Background(), harnessOptions{Dir: b.TempDir(), Start: monday})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Stop()
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		msg, err := h.Slash(ctx, "U0AGENT", "C0CS", "help")
		if err != nil || msg.Text == "" {
			b.Fatal(err)
		}
	}
}
