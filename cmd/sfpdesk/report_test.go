package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/report"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// reportEntries lists the weekly report entries of the due index.
func reportEntries(t *testing.T, db store.Store) []store.DueEntry {
	t.Helper()
	var out []store.DueEntry
	err := db.View(ctx, func(tx store.Tx) error {
		all, err := tx.DueForCase("")
		for _, e := range all {
			if e.Kind == "report" {
				out = append(out, e)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestWeeklyReport(t *testing.T) {
	dir := t.TempDir()
	h, err := startHarness(ctx, harnessOptions{Dir: dir, Start: monday, Configure: func(c *Config) {
		c.Admins = []string{lea}
		c.TriageChannel, c.EscalationChannel = triage, escal
		c.Lang = "en"
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Stop()
	f := h.Fake
	for _, u := range []string{lea, karim, marie} {
		f.AddUser(u, u, u, false)
	}
	f.AddChannel(csChan, "cs-team", false, lea, karim, f.BotUserID())
	f.AddChannel(acmeChan, "acme-support", false, marie)
	slash(t, h, lea, csChan, "seller add acme <#C0ACME|acme-support>")

	// Week 48: two buyer messages, one answered in 40 minutes, the other
	// left to go late, and a question from customer service, which
	// Amazon's Contact Response Time leaves out.
	slash(t, h, karim, csChan, "ask acme Is it waterproof?")
	err = h.Main.DB.Update(ctx, func(tx store.Tx) error {
		for i, answered := range []time.Duration{40 * time.Minute, 0} {
			n, err := tx.NextCaseNumber()
			if err != nil {
				return err
			}
			received := monday.Add(time.Duration(i) * time.Hour)
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

	paris, _ := time.LoadLocation("Europe/Paris")
	next := time.Date(2026, 11, 30, 9, 0, 0, 0, paris)
	if e := reportEntries(t, h.Main.DB); len(e) != 1 || !e[0].At.Equal(next) || e[0].Detail != "acme" {
		t.Fatalf("report entries %+v, want acme's at %v", e, next)
	}
	h.Clock.Set(next.Add(-time.Minute))
	settle(t, h)
	if n := len(f.Files()); n != 0 {
		t.Fatalf("%d files before Monday 09:00", n)
	}
	h.Clock.Set(next)
	h.Main.Scheduler.Notify()
	deadline := time.Now().Add(10 * time.Second)
	for len(f.Files()) == 0 && time.Now().Before(deadline) {
		settle(t, h)
		time.Sleep(5 * time.Millisecond)
	}
	files := f.Files()
	if len(files) != 1 || len(files[0].Shares) != 1 || files[0].Shares[0].Channel != acmeChan {
		t.Fatalf("files %+v, want one chart shared in #acme", files)
	}
	img, err := png.DecodeConfig(bytes.NewReader(files[0].Content))
	if err != nil || img.Width < 600 {
		t.Fatalf("the chart is not a PNG a phone can read: %+v %v", img, err)
	}
	var comment string
	for _, m := range f.Messages(acmeChan) {
		if m.TS == files[0].Shares[0].TS {
			comment = m.Text
		}
	}
	for _, want := range []string{"Weekly report · acme · week 2026-W48", "*Buyer messages*: 2 · answered on time: 1 · late responses: 50.0% (1 of 2)", "average response time: 40 min"} {
		if !strings.Contains(comment, want) {
			t.Errorf("report lacks %q:\n%s", want, comment)
		}
	}
	if e := reportEntries(t, h.Main.DB); len(e) != 1 || !e[0].At.Equal(next.AddDate(0, 0, 7)) {
		t.Errorf("after the report, entries %+v, want the next Monday's", e)
	}

	// A restart fires nothing again and keeps one entry.
	if err := h.StopBot(); err != nil {
		t.Fatal(err)
	}
	h2, err := startHarness(ctx, harnessOptions{Dir: dir, Start: next.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Stop()
	settle(t, h2)
	if n := h2.Fake.Calls("files.getUploadURLExternal"); n != 0 {
		t.Errorf("the restarted bot uploaded %d more charts", n)
	}
	if e := reportEntries(t, h2.Main.DB); len(e) != 1 {
		t.Errorf("after a restart, %d report entries, want 1", len(e))
	}

	t.Run("sfpdesk report draws the same chart through the running bot, and from the file once it stops", func(t *testing.T) {
		t.Setenv("SFPDESK_DB", h2.Main.Config.DBPath)
		t.Setenv("SFPDESK_ADMIN_ADDR", h2.Main.AdminAddr())
		want, err := h2.Main.App.WeeklyChart(context.Background(), "acme", report.Week{Year: 2026, Number: 48})
		if err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(t.TempDir(), "week.png")
		var stdout, stderr bytes.Buffer
		if code := run([]string{"report", "--seller", "acme", "--week", "2026-W48", "--out", out}, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, want) || !strings.Contains(stdout.String(), "through the running bot") {
			t.Errorf("through the bot: %d bytes (%s), want the bot's %d", len(got), stdout.String(), len(want))
		}
		if err := h2.StopBot(); err != nil {
			t.Fatal(err)
		}
		stdout.Reset()
		if code := run([]string{"report", "--seller", "acme", "--week", "2026-W48", "--out", out}, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		if got, _ := os.ReadFile(out); !bytes.Equal(got, want) || !strings.Contains(stdout.String(), "read directly") {
			t.Errorf("from the file: %d bytes (%s), want the bot's %d", len(got), stdout.String(), len(want))
		}
		for _, bad := range [][]string{
			{"report", "--out", out},
			{"report", "--seller", "acme", "--week", "2026-48", "--out", out},
			{"report", "--seller", "Not A Seller!", "--out", out},
		} {
			if code := run(bad, &stdout, &stderr); code != 2 {
				t.Errorf("%q: exit %d, want 2", bad, code)
			}
		}
		if code := run([]string{"report", "--seller", "initech", "--out", out}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "no seller") {
			t.Errorf("unknown seller: exit %d, %s", code, stderr.String())
		}
	})
}

func TestWeeklyReportOff(t *testing.T) {
	h := newHarness(t, false, func(c *Config) { c.Report = nil; c.Admins = []string{lea} })
	h.Fake.AddUser(lea, "lea", "Léa", false)
	h.Fake.AddChannel(csChan, "cs-team", false, lea, h.Fake.BotUserID())
	h.Fake.AddChannel(acmeChan, "acme-support", false, marie)
	slash(t, h, lea, csChan, "seller add acme <#C0ACME|acme-support>")
	if e := reportEntries(t, h.Main.DB); len(e) != 0 {
		t.Errorf("SFPDESK_REPORT=off, yet report entries %+v", e)
	}
	h.Clock.Advance(8 * 24 * time.Hour)
	settle(t, h)
	if n := len(h.Fake.Files()); n != 0 {
		t.Errorf("SFPDESK_REPORT=off, yet %d files", n)
	}
}
