package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// Markers that exist nowhere but in the buyer's contact: found anywhere
// after a purge, or in a log, they are a leak.
const (
	buyerSurname = "Quaglioni"
	buyerName    = "Zephyrine " + buyerSurname
	buyerEmail   = "zephyrine.q7731@example.net"
	buyerPhone   = "06 71 42 93 58"
	buyerText    = "Bonjour, le chargeur XQ-7731 est-il compatible USB-C ? Écrivez-moi à " + buyerEmail + " ou au " + buyerPhone + ". " + buyerName
)

const intakeToken = "intake-token-for-tests-0123456789"

func newPrivacyDesk(t *testing.T, logs io.Writer) *harness {
	t.Helper()
	h, err := startHarness(ctx, harnessOptions{Dir: t.TempDir(), Start: monday, Log: logs, Configure: func(c *Config) {
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
	slash(t, h, lea, csChan, "seller add acme C0ACME")
	return h
}

// postContact sends a buyer's question through the intake API.
func postContact(t *testing.T, h *harness, sourceID string) string {
	return postContactAs(t, h, sourceID, buyerName, buyerText, http.StatusAccepted)
}

func postContactText(t *testing.T, h *harness, sourceID, text string, status int) string {
	return postContactAs(t, h, sourceID, buyerName, text, status)
}

func postContactAs(t *testing.T, h *harness, sourceID, name, text string, status int) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"source_id": sourceID, "kind": "product_question", "seller": "acme", "order_id": order,
		"customer": map[string]string{"name": name, "language": "fr"},
		"subject":  "Question " + name, "body": text,
	})
	req, _ := http.NewRequest(http.MethodPost, h.URL("/api/v1/contacts"), bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+intakeToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		CaseID string `json:"case_id"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != status || out.CaseID == "" {
		t.Fatalf("intake: %s %+v", resp.Status, out)
	}
	settle(t, h)
	return out.CaseID
}

func fileHas(t *testing.T, path string, markers ...string) []string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var found []string
	for _, m := range markers {
		if stillIn(raw, m) {
			found = append(found, m)
		}
	}
	return found
}

func TestCardsShowAFirstNameAtMost(t *testing.T) {
	h := newPrivacyDesk(t, nil)
	postContact(t, h, "mail-1")
	card := rendered(h, lastCard(t, h, acmeChan))
	if !strings.Contains(card, "Zephyrine") || !strings.Contains(card, "XQ-7731") {
		t.Fatalf("card lost the question or the first name:\n%s", card)
	}
	for _, leak := range []string{buyerSurname, buyerEmail, buyerPhone} {
		if strings.Contains(card, leak) {
			t.Errorf("card shows %q:\n%s", leak, card)
		}
	}
}

func TestRetentionErasesBuyerDataProvably(t *testing.T) {
	h := newPrivacyDesk(t, nil)
	id := postContact(t, h, "mail-2")
	card := lastCard(t, h, acmeChan).TS
	h.Fake.PostAsUser(acmeChan, marie, "Oui, USB-C 65 W.", card)
	settle(t, h)
	if found := fileHas(t, h.Main.DB.Path(), buyerSurname, buyerEmail); len(found) == 0 {
		t.Fatal("the test expects the buyer's data in the file before the purge")
	}
	// 7 days without a follow-up close the case; 30 days later its buyer
	// data goes.
	h.Clock.Advance(7*24*time.Hour + time.Minute)
	waitCase(t, h, id, func(c *sfp.Case) bool { return c.State == sfp.StateClosed })
	h.Clock.Advance(30*24*time.Hour + time.Minute)
	waitCase(t, h, id, func(c *sfp.Case) bool { return c.PurgedAt != nil })
	settle(t, h)
	deadline := time.Now().Add(10 * time.Second)
	for h.Main.App.Compactions() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the purge was never followed by a compaction")
		}
		time.Sleep(5 * time.Millisecond)
	}

	c := loadCase(t, h, id)
	if c.Body != "" || c.Subject != "" || c.Customer.Name != "" {
		t.Errorf("case still holds buyer data: %+v", c)
	}
	if c.AnsweredAt == nil || c.Kind != sfp.KindProductQuestion || c.Seller != "acme" || c.OrderID != order {
		t.Errorf("the case's skeleton did not stay: %+v", c)
	}
	if found := fileHas(t, h.Main.DB.Path(), buyerSurname, buyerEmail, "XQ-7731", "Zephyrine"); len(found) != 0 {
		t.Fatalf("still in the database file after the purge: %q", found)
	}
	updated := rendered(h, lastCard(t, h, acmeChan))
	if strings.Contains(updated, "XQ-7731") || strings.Contains(updated, "Zephyrine") || !strings.Contains(updated, "erased") {
		t.Errorf("the card still shows the buyer's words:\n%s", updated)
	}
}

func TestPurgeOnRequest(t *testing.T) {
	h := newPrivacyDesk(t, nil)
	first := postContact(t, h, "mail-3")
	postContactAs(t, h, "mail-4", "Ottilie Brennecke", "Second question about the QZ-5512 lamp.", http.StatusAccepted)
	cfg := *h.Main.Config
	cfg.AdminAddr = h.Main.AdminAddr()

	// The bot holds the database: the purge goes through it.
	rep := purge(&cfg, first, "", http.DefaultClient)
	if rep.Error != "" || len(rep.Cases) != 1 || rep.Checked == 0 || rep.Remaining != 0 {
		t.Fatalf("purge through the bot: %+v", rep)
	}
	if c := loadCase(t, h, first); c.PurgedAt == nil || c.Body != "" {
		t.Fatalf("case not purged: %+v", c)
	}
	// Without a bot, directly, by order: the second case goes too.
	h.StopBot()
	rep = purge(&cfg, "", order, http.DefaultClient)
	if rep.Error != "" || len(rep.Cases) != 2 || rep.Remaining != 0 {
		t.Fatalf("purge by order: %+v", rep)
	}
	if found := fileHas(t, cfg.DBPath, buyerSurname, buyerEmail, "XQ-7731", "QZ-5512", "Brennecke"); len(found) != 0 {
		t.Fatalf("still in the file: %q", found)
	}
	if rep := purge(&cfg, "SFP-9999", "", http.DefaultClient); rep.Error == "" {
		t.Errorf("purging an unknown case said nothing")
	}
}

func TestLogsAndMetricsCarryNoBuyerData(t *testing.T) {
	var logs bytes.Buffer
	h := newPrivacyDesk(t, &syncWriter{w: &logs})
	id := postContact(t, h, "mail-5")
	postContactText(t, h, "mail-5", buyerText, http.StatusOK) // a repeat
	card := lastCard(t, h, acmeChan).TS
	h.Fake.PostAsUser(acmeChan, marie, "Oui.", card)
	slash(t, h, lea, csChan, "case "+id)
	h.Clock.Advance(8 * 24 * time.Hour)
	waitCase(t, h, id, func(c *sfp.Case) bool { return c.State == sfp.StateClosed })
	resp, err := http.Get("http://" + h.Main.AdminAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	h.Stop()
	all := logs.String() + string(metrics)
	if !strings.Contains(logs.String(), id) {
		t.Fatalf("the scenario logged nothing about %s; the test proves nothing:\n%s", id, logs.String())
	}
	for _, leak := range []string{buyerSurname, "Zephyrine", buyerEmail, "7731@", "71 42 93 58", "XQ-7731"} {
		if strings.Contains(all, leak) {
			t.Errorf("logs or metrics carry %q", leak)
		}
	}
}

func waitCase(t *testing.T, h *harness, id string, ok func(*sfp.Case) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok(loadCase(t, h, id)) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never reached the expected state: %+v", id, loadCase(t, h, id))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncWriter lets the bot's goroutines log into one buffer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// An agent who types the buyer's full name in an ask gets the card's rule
// as every source does: the first name, not the surname.
func TestAnAsksCardShowsAFirstNameAtMost(t *testing.T) {
	h := newPrivacyDesk(t, nil)
	slash(t, h, lea, csChan, "ask acme The customer "+buyerName+" asks whether the XQ-7731 charger fits a 2019 model.")
	for _, ch := range []string{acmeChan, csChan} {
		card := rendered(h, lastCard(t, h, ch))
		if !strings.Contains(card, "Zephyrine") || !strings.Contains(card, "XQ-7731") {
			t.Fatalf("%s lost the question or the first name:\n%s", ch, card)
		}
		if strings.Contains(card, buyerSurname) {
			t.Errorf("%s shows the surname:\n%s", ch, card)
		}
	}
}
