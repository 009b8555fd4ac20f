package main

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
)

// TestHandledWorkIsLogged: each command, button and thread reply leaves one
// line with its entry point, case and result, and none carries what anyone
// wrote. A bot without the intake API says nothing about callbacks.
func TestHandledWorkIsLogged(t *testing.T) {
	var logs bytes.Buffer
	h, err := startHarness(ctx, harnessOptions{Dir: t.TempDir(), Start: monday, Log: &syncWriter{w: &logs}, Configure: func(c *Config) {
		c.Admins = []string{lea}
		c.Lang = "en"
	}})
	if err != nil {
		t.Fatal(err)
	}
	f := h.Fake
	f.AddUser(lea, "lea", "Léa Martin", false)
	f.AddUser(karim, "karim", "Karim B.", false)
	f.AddUser(marie, "marie", "Marie Dupont", false)
	f.AddChannel(csChan, "cs-team", false, lea, karim, f.BotUserID())
	f.AddChannel(acmeChan, "acme-support", false, marie)
	slash(t, h, lea, csChan, "seller add acme <#C0ACME|acme-support>")
	const question = "Does the Zanzibar lamp fit an E14 socket?"
	slash(t, h, karim, csChan, "ask acme "+question)
	card := lastCard(t, h, acmeChan)
	click(t, h, acmeChan, card.TS, marie, bot.ActionTake)
	const answer = "Yes, the Zanzibar lamp takes E14."
	f.PostAsUser(acmeChan, marie, answer, card.TS)
	settle(t, h)
	slash(t, h, karim, csChan, "frobnicate now")
	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}

	type line struct {
		Msg, Entry, Command, Action, Reply, CaseID, Result string
	}
	var handled []line
	for _, raw := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l struct {
			Msg     string `json:"msg"`
			Entry   string `json:"entry"`
			Command string `json:"command"`
			Action  string `json:"action"`
			CaseID  string `json:"case_id"`
			Result  string `json:"result"`
		}
		if err := json.Unmarshal([]byte(raw), &l); err != nil {
			t.Fatalf("not a JSON log line: %q", raw)
		}
		if strings.HasSuffix(l.Msg, " handled") {
			handled = append(handled, line{Msg: l.Msg, Entry: l.Entry, Command: l.Command, Action: l.Action, CaseID: l.CaseID, Result: l.Result})
		}
	}
	want := []line{
		{Msg: "command handled", Entry: "slash", Command: "seller add", Result: "done"},
		{Msg: "command handled", Entry: "slash", Command: "ask", CaseID: "SFP-1001", Result: "done"},
		{Msg: "action handled", Entry: "button", Action: bot.ActionTake, CaseID: "SFP-1001", Result: "ok"},
		{Msg: "reply handled", Entry: "thread", CaseID: "SFP-1001", Result: "relayed"},
		{Msg: "command handled", Entry: "slash", Result: "unknown"},
	}
	if len(handled) != len(want) {
		t.Fatalf("handled lines:\n%+v\nwant:\n%+v\nlog:\n%s", handled, want, logs.String())
	}
	for i := range want {
		if handled[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i, handled[i], want[i])
		}
	}
	for _, leak := range []string{"Zanzibar", "frobnicate", "callbacks", "SFPDESK_INTAKE_TOKEN"} {
		if strings.Contains(logs.String(), leak) {
			t.Errorf("the log carries %q:\n%s", leak, logs.String())
		}
	}
}

// TestSellerAddByTypedName: the README's own `/sfp seller add acme
// #acme-support amazon.fr` routes to the channel of that name, found with
// conversations.list, which is asked once for several names.
func TestSellerAddByTypedName(t *testing.T) {
	h := newHarness(t, false, func(c *Config) { c.Admins = []string{lea}; c.Lang = "en" })
	f := h.Fake
	f.AddUser(lea, "lea", "Léa Martin", false)
	f.AddChannel(csChan, "cs-team", false, lea, f.BotUserID())
	f.AddChannel(acmeChan, "acme-support", false, marie)
	f.AddChannel("C0GLOBEX", "globex-support", true, marie, f.BotUserID())
	msg := slash(t, h, lea, csChan, "seller add acme #acme-support amazon.fr")
	if !strings.Contains(msg.Text, "<#C0ACME>") {
		t.Fatalf("seller add by name: %q", msg.Text)
	}
	msg = slash(t, h, lea, csChan, "seller add globex #globex-support")
	if !strings.Contains(msg.Text, "<#C0GLOBEX>") {
		t.Fatalf("seller add by the name of a private channel the bot is in: %q", msg.Text)
	}
	if n := f.Calls("conversations.list"); n != 1 {
		t.Errorf("conversations.list called %d times for two names, want 1 (cached)", n)
	}
	list := slash(t, h, lea, csChan, "seller list")
	for _, want := range []string{"acme", "<#C0ACME>", "amazon.fr", "globex", "<#C0GLOBEX>"} {
		if !strings.Contains(list.Text, want) {
			t.Errorf("seller list lacks %q:\n%s", want, list.Text)
		}
	}
}

// TestAFrenchAnswerToAnEnglishAgentIsNotWrongLanguage: the language rule is
// the buyer's; an answer bound for an agent is still checked for what the
// agent might pass on.
func TestAFrenchAnswerToAnEnglishAgentIsNotWrongLanguage(t *testing.T) {
	h := newDraftDesk(t, nil)
	slash(t, h, karim, csChan, "ask acme Does the lamp take an E27 bulb, and is it dimmable?")
	card := lastCard(t, h, acmeChan).TS
	h.Fake.PostAsUser(acmeChan, marie, "Non, la lampe Aria a une LED intégrée de huit watts et elle ne prend pas d'ampoule E27.", card)
	settle(t, h)
	h.Fake.PostAsUser(acmeChan, marie, "Pour le variateur, le client peut nous appeler au 01 23 45 67 89.", card)
	settle(t, h)
	var notices []string
	for _, e := range h.Fake.Ephemerals() {
		if e.User == marie {
			notices = append(notices, rendered(h, fakeslack.Message{Text: e.Text, Blocks: e.Blocks}))
		}
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "Phone number") || strings.Contains(notices[0], "language") {
		t.Errorf("want one notice, about the phone number and not the language; got %q", notices)
	}
}

// TestDemoInBothLanguages: the demo plays in the bot's language, its own
// checks pass whatever the language, and the transcript shows the day
// where it changes, so that a reminder at 03:40 the next morning does not
// read as time going backwards.
func TestDemoInBothLanguages(t *testing.T) {
	if testing.Short() {
		t.Skip("plays the whole day twice")
	}
	paris, _ := time.LoadLocation("Europe/Paris")
	reminder := time.Date(2026, 11, 24, 3, 40, 0, 0, paris)
	// The README shows an excerpt of each, English first: every line of it
	// must be a line the demo prints.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	excerpts := regexp.MustCompile("(?s)```\n(#cs-team\n.*?)```").FindAllStringSubmatch(string(readme), -1)
	if len(excerpts) != 2 {
		t.Fatalf("README has %d demo excerpts, want an English and a French one", len(excerpts))
	}
	excerpt := map[string]string{bot.LangEN: excerpts[0][1], bot.LangFR: excerpts[1][1]}
	for _, lang := range []string{bot.LangFR, bot.LangEN} {
		t.Run(lang, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := runDemo([]string{"--lang", lang}, &out, &errb); code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			text := out.String()
			for _, want := range []string{bot.T(lang, "demo.channels"), "[" + bot.T(lang, "btn.take") + "]", "↳ " + bot.DayTime(reminder, lang) + " sfpdesk:"} {
				if !strings.Contains(text, want) {
					t.Errorf("the %s transcript lacks %q", lang, want)
				}
			}
			other := bot.LangEN
			if lang == bot.LangEN {
				other = bot.LangFR
			}
			if s := bot.T(other, "demo.channels"); strings.Contains(text, s) {
				t.Errorf("the %s transcript speaks %s: %q", lang, other, s)
			}
			printed := map[string]bool{}
			for _, l := range strings.Split(text, "\n") {
				printed[l] = true
			}
			for _, l := range strings.Split(strings.TrimSpace(excerpt[lang]), "\n") {
				if l != "" && !printed[l] {
					t.Errorf("README's %s excerpt has a line the demo does not print: %q", lang, l)
				}
			}
		})
	}
	if got := demoLang(envOf(map[string]string{"SFPDESK_LANG": "en"})); got != "en" {
		t.Errorf("demo language with SFPDESK_LANG=en: %q", got)
	}
	if got := demoLang(envOf(nil)); got != "fr" {
		t.Errorf("demo language by default: %q, want the bot's default, fr", got)
	}
}
