package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/report"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
	"github.com/sfpdesk/sfpdesk/store/postgres"
	"github.com/sfpdesk/sfpdesk/store/postgres/pgtest"
	"github.com/sfpdesk/sfpdesk/store/storetest"
)

// newPostgresDesk is the privacy desk (acme routed, intake on) with its
// store on PostgreSQL.
func newPostgresDesk(t *testing.T) *harness {
	t.Helper()
	url := pgtest.URL(t)
	h, err := startHarness(ctx, harnessOptions{Dir: t.TempDir(), Start: monday, Configure: func(c *Config) {
		c.DBPath = url
		c.Admins = []string{lea}
		c.TriageChannel = triage
		c.Lang = "en"
		c.IntakeToken = intakeToken
	}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Stop() })
	h.Fake.AddUser(lea, "lea", "Léa", false)
	h.Fake.AddUser(marie, "marie", "Marie", false)
	h.Fake.AddChannel(csChan, "cs-team", false, lea, h.Fake.BotUserID())
	h.Fake.AddChannel(acmeChan, "acme-support", false, marie)
	h.Fake.AddChannel(triage, "sfp-triage", false, lea, h.Fake.BotUserID())
	waitUntil(t, "the bot leads", h.Main.Leading)
	slash(t, h, lea, csChan, "seller add acme C0ACME")
	return h
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The bot serves on PostgreSQL as on bbolt: a contact becomes a case whose
// card is posted, and the one process leads, as /readyz and the metrics
// say.
func TestServeOnPostgres(t *testing.T) {
	h := newPostgresDesk(t)
	if _, ok := h.Main.Store.(*postgres.DB); !ok || h.Main.DB != nil {
		t.Fatalf("store = %T, want PostgreSQL", h.Main.Store)
	}
	id := postContact(t, h, "pg-1")
	if card := lastCard(t, h, acmeChan); !strings.Contains(rendered(h, card), id) {
		t.Errorf("card of %s not posted: %s", id, rendered(h, card))
	}
	resp, err := http.Get(h.URL("/readyz"))
	if err != nil {
		t.Fatal(err)
	}
	var ready struct {
		Leader *bool          `json:"leader"`
		Checks map[string]any `json:"checks"`
	}
	json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if ready.Leader == nil || !*ready.Leader || ready.Checks["store"] != "ok" {
		t.Errorf("/readyz = %+v", ready)
	}
	resp, err = http.Get("http://" + h.Main.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), "\nsfpdesk_leader 1\n") {
		t.Errorf("metrics lack sfpdesk_leader 1")
	}
	resp, err = http.Get("http://" + h.Main.AdminAddr() + "/admin/backup")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotImplemented || !strings.Contains(string(body), "pg_dump") {
		t.Errorf("/admin/backup on PostgreSQL: %s %s", resp.Status, body)
	}
}

// With bbolt the one process always leads.
func TestBoltProcessLeads(t *testing.T) {
	h := newHarness(t, false, nil)
	waitUntil(t, "the bot leads", h.Main.Leading)
	resp, err := http.Get(h.URL("/readyz"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ready map[string]any
	json.NewDecoder(resp.Body).Decode(&ready)
	if ready["leader"] != true {
		t.Errorf("/readyz = %v, want leader true", ready)
	}
}

// pgHas looks for markers in the table files of the store's schema, the
// dead row versions a vacuum has not reclaimed included: after a
// checkpoint every page is on disk, and pg_read_binary_file reads the
// files whole.
func pgHas(t *testing.T, db *postgres.DB, markers ...string) []string {
	t.Helper()
	pool := db.Pool()
	if _, err := pool.Exec(ctx, `CHECKPOINT`); err != nil {
		t.Fatalf("checkpoint (the test needs a superuser): %v", err)
	}
	rows, err := pool.Query(ctx, `SELECT c.relname, pg_read_binary_file(pg_relation_filepath(c.oid)) FROM pg_class c
		WHERE c.relkind IN ('r', 't') AND pg_relation_filepath(c.oid) IS NOT NULL AND (c.relnamespace = current_schema()::regnamespace
			OR c.oid IN (SELECT reltoastrelid FROM pg_class WHERE relnamespace = current_schema()::regnamespace))`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var found []string
	for rows.Next() {
		var rel string
		var raw []byte
		if err := rows.Scan(&rel, &raw); err != nil {
			t.Fatal(err)
		}
		for _, m := range markers {
			if stillIn(raw, m) {
				found = append(found, rel+": "+m)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return found
}

// Retention on PostgreSQL: the purge deletes and rewrites the rows, and
// the vacuum after it leaves no dead row version with the buyer's data in
// any table's pages.
func TestRetentionOnPostgresLeavesNoDeadRow(t *testing.T) {
	h := newPostgresDesk(t)
	db := h.Main.Store.(*postgres.DB)
	id := postContact(t, h, "pg-purge")
	card := lastCard(t, h, acmeChan).TS
	h.Fake.PostAsUser(acmeChan, marie, "Oui, USB-C 65 W.", card)
	settle(t, h)
	if found := pgHas(t, db, buyerSurname, buyerEmail); len(found) == 0 {
		t.Fatal("the test expects the buyer's data in the tables before the purge")
	}
	h.Clock.Advance(7*24*time.Hour + time.Minute)
	waitCase(t, h, id, func(c *sfp.Case) bool { return c.State == sfp.StateClosed })
	h.Clock.Advance(30*24*time.Hour + time.Minute)
	waitCase(t, h, id, func(c *sfp.Case) bool { return c.PurgedAt != nil })
	settle(t, h)
	waitUntil(t, "the purge is followed by a vacuum", func() bool { return h.Main.App.Compactions() > 0 })
	if found := pgHas(t, db, buyerSurname, buyerEmail, "XQ-7731", "Zephyrine"); len(found) != 0 {
		t.Fatalf("still in the tables' pages after the purge: %q", found)
	}
}

// migrate copies a bbolt file to PostgreSQL and PostgreSQL to a new file,
// refusing a target that holds data; the three hold the same records.
func TestMigrateCommandBothWays(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "sfpdesk.db")
	b, err := bolt.Open(src, nil)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Fill(t, b)
	want := storetest.Records(t, b)
	b.Close()
	url := pgtest.URL(t)
	migrate := func(from, to string) (int, string) {
		t.Setenv("SFPDESK_DB", from)
		var out, errb bytes.Buffer
		code := run([]string{"migrate", "--to", to}, &out, &errb)
		return code, out.String() + errb.String()
	}
	if code, out := migrate(src, url); code != 0 || !strings.Contains(out, "copied 3 cases") {
		t.Fatalf("migrate to PostgreSQL: %d %s", code, out)
	}
	if code, out := migrate(src, url); code != 1 || !strings.Contains(out, "already holds data") {
		t.Errorf("migrate into a store with data: %d %s", code, out)
	}
	back := filepath.Join(dir, "back.db")
	if code, out := migrate(url, back); code != 0 {
		t.Fatalf("migrate back to a file: %d %s", code, out)
	}
	for _, where := range []string{url, back} {
		st, _, err := openStore(ctx, where, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := storetest.Records(t, st); got != want {
			t.Errorf("%s differs from the file it came from:\n%s\nwant:\n%s", dbName(where), got, want)
		}
		st.Close()
	}
	// A failed move leaves no file behind.
	t.Setenv("SFPDESK_DB", filepath.Join(dir, "missing.db"))
	if code := run([]string{"migrate", "--to", filepath.Join(dir, "x.db")}, io.Discard, io.Discard); code != 1 {
		t.Errorf("migrate from nothing: exit %d", code)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db")); err == nil {
		t.Error("a failed migrate left a file")
	}
}

// backup on PostgreSQL says to use pg_dump, and writes nothing.
func TestBackupOnPostgresPointsToPgDump(t *testing.T) {
	t.Setenv("SFPDESK_DB", pgtest.URL(t))
	out := filepath.Join(t.TempDir(), "copy.db")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"backup", "--out", out}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "pg_dump") {
		t.Errorf("backup: exit %d, %q", code, stderr.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("backup wrote a file")
	}
}

// check connects to PostgreSQL without waiting long, and says what it
// found; a server that is not there is an error with the fix.
func TestCheckPostgres(t *testing.T) {
	url := pgtest.URL(t)
	if p := checkDB(url); p.Level != levelOK || !strings.Contains(p.Msg, "not created yet") {
		t.Errorf("fresh database: %s", p)
	}
	st, _, err := openStore(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Update(ctx, func(tx store.Tx) error { return nil })
	st.Close()
	if p := checkDB(url); p.Level != levelOK || !strings.Contains(p.Msg, "at version 4, no bot running") {
		t.Errorf("migrated database: %s", p)
	}
	if strings.Contains(checkDB("postgres://sfp:s3cret@127.0.0.1:1/db?sslmode=disable").String(), "s3cret") {
		t.Error("check shows the password")
	}
	if p := checkDB("postgres://sfp:s3cret@127.0.0.1:1/db?sslmode=disable"); p.Level != levelError {
		t.Errorf("no server: %s", p)
	}
}

// migrate refuses to copy from a database a bot is running on: its leader
// holds the lock.
func TestMigrateRefusesARunningBot(t *testing.T) {
	url := pgtest.URL(t)
	st, _, err := openStore(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	lctx, stop := context.WithCancel(ctx)
	led := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		(&postgres.Leader{URL: url}).Run(lctx, func(ctx context.Context) { close(led); <-ctx.Done() })
	}()
	defer func() { stop(); <-done }()
	<-led
	t.Setenv("SFPDESK_DB", url)
	var out bytes.Buffer
	if code := run([]string{"migrate", "--to", filepath.Join(t.TempDir(), "x.db")}, &out, &out); code != 1 || !strings.Contains(out.String(), "stop every replica") {
		t.Errorf("migrate from a running bot's database: exit %d, %q", code, out.String())
	}
}

// serve on a PostgreSQL that does not answer stops with one clear line,
// the password left out.
func TestServeWithoutPostgresIsOneClearLine(t *testing.T) {
	t.Setenv("SLACK_BOT_TOKEN", "xoxb-test")
	t.Setenv("SLACK_SIGNING_SECRET", "test-secret")
	t.Setenv("SFPDESK_DB", "postgres://sfp:s3cret@127.0.0.1:1/sfpdesk?sslmode=disable")
	var stderr bytes.Buffer
	code := run([]string{"serve"}, io.Discard, &stderr)
	out := strings.TrimSpace(stderr.String())
	if code != 1 || strings.Count(out, "\n") != 0 || !strings.Contains(out, "cannot open database postgres://sfp:xxxxx@127.0.0.1:1/sfpdesk") || strings.Contains(out, "s3cret") {
		t.Errorf("exit %d, stderr %q", code, out)
	}
}

// sfpdesk report on PostgreSQL reads the database itself while the bot
// runs, and draws the chart the bot draws, from the index by received
// time.
func TestReportOnPostgres(t *testing.T) {
	h := newPostgresDesk(t)
	err := h.Main.Store.Update(ctx, func(tx store.Tx) error {
		for i, answered := range []time.Duration{40 * time.Minute, 0, 3 * time.Hour} {
			n, err := tx.NextCaseNumber()
			if err != nil {
				return err
			}
			received := monday.Add(-7*24*time.Hour + time.Duration(i)*time.Hour)
			due := received.Add(24 * time.Hour)
			c := &sfp.Case{ID: sfp.CaseID(n), Number: n, Kind: sfp.KindProductQuestion, State: sfp.StateOpen,
				Seller: "acme", Channel: acmeChan, ReceivedAt: received, CreatedAt: received, DueAt: &due}
			if answered > 0 {
				at := received.Add(answered)
				c.State, c.AnsweredAt = sfp.StateAnswered, &at
			}
			if err := tx.PutCase(c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	week := report.Week{Year: 2026, Number: 47}
	want, err := h.Main.App.WeeklyChart(context.Background(), "acme", week)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := h.Main.App.WeeklyChart(context.Background(), "acme", report.Week{Year: 2026, Number: 40})
	if err != nil || bytes.Equal(empty, want) {
		t.Fatalf("the week's cases do not show in its chart: %v", err)
	}
	t.Setenv("SFPDESK_DB", h.Main.Config.DBPath)
	t.Setenv("SFPDESK_LANG", "en")
	// Nothing answers here: the chart must not come through the bot.
	t.Setenv("SFPDESK_ADMIN_ADDR", "127.0.0.1:1")
	out := filepath.Join(t.TempDir(), "week.png")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"report", "--seller", "acme", "--week", "2026-W47", "--out", out}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, want) || !strings.Contains(stdout.String(), "read directly") {
		t.Errorf("report on PostgreSQL: %d bytes (%s), want the bot's %d", len(got), stdout.String(), len(want))
	}
	stderr.Reset()
	if code := run([]string{"report", "--seller", "initech", "--out", out}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), `no seller "initech"`) {
		t.Errorf("unknown seller on PostgreSQL: exit %d, %s", code, stderr.String())
	}
}

// The App Home travels through the outbox on PostgreSQL as on bbolt: the
// publish queued when it is opened, and the one a delivered card queues.
func TestAppHomeOnPostgres(t *testing.T) {
	h := newPostgresDesk(t)
	first := postContact(t, h, "pg-home-1")
	openHome(t, h, marie)
	if text, _ := homeText(t, h, marie); !strings.Contains(text, first) || !strings.Contains(text, "Last 7 days") {
		t.Fatalf("marie's Home lacks %s or the week's figures:\n%s", first, text)
	}
	before := publishes(h, marie)
	second := postContact(t, h, "pg-home-2")
	h.Clock.Set(h.Clock.Now().Add(2 * time.Minute))
	h.Main.Outbox.Notify()
	waitUntil(t, "marie's Home follows the new case", func() bool {
		settle(t, h)
		text, _ := homeText(t, h, marie)
		return strings.Contains(text, second)
	})
	if n := publishes(h, marie) - before; n != 1 {
		t.Errorf("marie's Home was published %d times after one new case, want once", n)
	}
}
