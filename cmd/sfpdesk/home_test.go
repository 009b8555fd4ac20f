package main

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

func openHome(t *testing.T, h *harness, user string) {
	t.Helper()
	if err := h.Event(ctx, map[string]any{"type": "app_home_opened", "user": user, "channel": "D0" + user, "tab": "home", "event_ts": "1.0"}); err != nil {
		t.Fatal(err)
	}
	settle(t, h)
}

// homeText is everything a person reads in their Home, and its block count.
func homeText(t *testing.T, h *harness, user string) (string, int) {
	t.Helper()
	v, ok := h.Fake.HomeView(user)
	if !ok {
		t.Fatalf("no Home published for %s", user)
	}
	var view struct {
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(v.JSON, &view); err != nil {
		t.Fatal(err)
	}
	// encoding/json writes <, > and & as \u escapes.
	text := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(v.JSON))
	return text, len(view.Blocks)
}

func homeClick(t *testing.T, h *harness, as, owner, actionID, caseID string) {
	t.Helper()
	ic, err := h.Fake.HomeButtonClick(owner, actionID, caseID)
	if err != nil {
		t.Fatal(err)
	}
	ic.User.ID = as
	if _, err := h.interact(ctx, ic); err != nil {
		t.Fatal(err)
	}
	settle(t, h)
}

func publishes(h *harness, user string) int {
	n := 0
	for _, v := range h.Fake.Views() {
		if v.Method == "views.publish" && v.User == user {
			n++
		}
	}
	return n
}

func TestAppHome(t *testing.T) {
	h := newDesk(t, false)

	t.Run("a person in no seller channel is told what sfpdesk is and how to start", func(t *testing.T) {
		openHome(t, h, sam)
		text, _ := homeText(t, h, sam)
		for _, want := range []string{"Seller Fulfilled Prime", "/sfp help", "/sfp seller add"} {
			if !strings.Contains(text, want) {
				t.Errorf("empty Home lacks %q:\n%s", want, text)
			}
		}
	})

	slash(t, h, karim, csChan, "ask acme Is it waterproof?")
	slash(t, h, karim, csChan, "ask acme order "+order+" Where is the parcel?")
	late := loadCase(t, h, "SFP-1002")
	openHome(t, h, marie)
	openHome(t, h, otto)

	t.Run("open cases of the person's sellers, soonest deadline first, with the card's buttons and a link", func(t *testing.T) {
		text, _ := homeText(t, h, marie)
		i, j := strings.Index(text, "SFP-1001"), strings.Index(text, "SFP-1002")
		if i < 0 || j < 0 || i > j {
			t.Errorf("Home lists SFP-1001 at %d and SFP-1002 at %d, want both, soonest deadline first:\n%s", i, j, text)
		}
		for _, want := range []string{`"action_id":"case_take"`, `"value":"SFP-1002"`, `"action_id":"case_answered"`, `"url":"https://`, "Last 7 days", "*acme*"} {
			if !strings.Contains(text, want) {
				t.Errorf("Home lacks %q:\n%s", want, text)
			}
		}
	})

	t.Run("Take it in the Home takes the case, and every Home showing it follows within a minute", func(t *testing.T) {
		before := publishes(h, otto)
		homeClick(t, h, marie, marie, "case_take", "SFP-1001")
		if c := loadCase(t, h, "SFP-1001"); c.TakenBy != marie {
			t.Fatalf("SFP-1001 taken by %q, want marie", c.TakenBy)
		}
		text, _ := homeText(t, h, marie)
		if i := strings.Index(text, "Cases you took (1)"); i < 0 || !strings.Contains(text[i:], "SFP-1001") {
			t.Errorf("marie's Home does not list SFP-1001 as hers:\n%s", text)
		}
		if publishes(h, otto) != before+1 {
			t.Errorf("otto's Home was published %d times after one change, want once", publishes(h, otto)-before)
		}
		if text, _ := homeText(t, h, otto); !strings.Contains(text, "taken by <@"+marie+">") {
			t.Errorf("otto's Home does not show SFP-1001 taken:\n%s", text)
		}
	})

	t.Run("changes in quick succession refresh a Home at most once a minute", func(t *testing.T) {
		from := len(h.Fake.Views())
		slash(t, h, karim, csChan, "ask acme Is the strap leather?")
		slash(t, h, karim, csChan, "ask acme Is the strap vegan?")
		homeClick(t, h, marie, marie, "case_take", "SFP-1002")
		var times []time.Time
		for _, v := range h.Fake.Views()[from:] {
			if v.Method == "views.publish" && v.User == otto {
				times = append(times, v.Time)
			}
		}
		if len(times) == 0 {
			t.Fatal("otto's Home did not follow the changes")
		}
		for i := 1; i < len(times); i++ {
			if d := times[i].Sub(times[i-1]); d < time.Minute {
				t.Errorf("otto's Home published twice %v apart", d)
			}
		}
		if text, _ := homeText(t, h, otto); !strings.Contains(text, "SFP-1004") || !strings.Contains(text, "Cases you took (0)") {
			t.Errorf("otto's Home misses the last changes:\n%s", text)
		}
	})

	t.Run("a click from someone who may not see the case does nothing", func(t *testing.T) {
		homeClick(t, h, sam, marie, "case_answered", "SFP-1002")
		if c := loadCase(t, h, "SFP-1002"); c.State != sfp.StateOpen {
			t.Errorf("sam answered SFP-1002 from a Home: state %s", c.State)
		}
		homeClick(t, h, otto, marie, "case_answered", "SFP-1002")
		if c := loadCase(t, h, "SFP-1002"); c.State != sfp.StateAnswered || c.AnsweredBy != otto {
			t.Errorf("otto's Mark answered from a Home: state %s by %q", c.State, c.AnsweredBy)
		}
	})

	t.Run("a late case is marked", func(t *testing.T) {
		slash(t, h, karim, csChan, "ask acme Does it float?")
		h.Clock.Set(late.DueAt.Add(25 * time.Hour))
		settle(t, h)
		openHome(t, h, marie)
		text, _ := homeText(t, h, marie)
		if !strings.Contains(text, ":rotating_light: `SFP-1003`") {
			t.Errorf("late SFP-1003 not marked:\n%s", text)
		}
	})

	t.Run("a refund whose claim is still to file shows with its amount at stake", func(t *testing.T) {
		slash(t, h, karim, csChan, "refund acme 402-1234567-1234567 39,90 damaged")
		openHome(t, h, marie)
		text, _ := homeText(t, h, marie)
		i := strings.Index(text, "Claims to file (1)")
		if i < 0 || !strings.Contains(text[i:], "402-1234567-1234567") || !strings.Contains(text[i:], "At stake: 39,90\u00a0€") {
			t.Errorf("Home lacks the claim to file on 402-1234567-1234567:\n%s", text)
		}
	})

	t.Run("the Home speaks the seller's language", func(t *testing.T) {
		slash(t, h, lea, csChan, "seller set acme lang fr")
		openHome(t, h, otto)
		text, _ := homeText(t, h, otto)
		if !strings.Contains(text, "Dossiers ouverts de vos vendeurs") {
			t.Errorf("otto's Home is not in French:\n%s", text)
		}
	})
}

// A person in 20 seller channels with 500 open cases gets a Home within
// Slack's 100 blocks, which says where the rest is.
func TestAppHomeWithinLimits(t *testing.T) {
	h := newDesk(t, false)
	const sellers, cases = 20, 500
	err := h.Main.DB.Update(ctx, func(tx store.Tx) error {
		return fillDesk(tx, h, sellers, cases, marie)
	})
	if err != nil {
		t.Fatal(err)
	}
	openHome(t, h, marie)
	text, blocks := homeText(t, h, marie)
	if blocks > 100 {
		t.Errorf("Home has %d blocks", blocks)
	}
	for _, want := range []string{"more: `/sfp open` lists them all", fmt.Sprintf("Open cases of your sellers (%d)", cases), "*seller19*"} {
		if !strings.Contains(text, want) {
			t.Errorf("Home lacks %q", want)
		}
	}
}

// fillDesk routes n sellers to channels that user is in, and writes open
// questions spread over them, received over the last eight weeks.
func fillDesk(tx store.Tx, h *harness, sellers, cases int, user string) error {
	now := h.Clock.Now()
	for s := range sellers {
		name, ch := fmt.Sprintf("seller%d", s), fmt.Sprintf("C0FILL%02d", s)
		h.Fake.AddChannel(ch, name+"-support", false, user, h.Fake.BotUserID())
		if err := tx.PutSeller(&sfp.Seller{Name: name, Lang: bot.LangEN, Routes: []sfp.Route{{Seller: name, Channel: ch}}}); err != nil {
			return err
		}
	}
	// Received over the last eight weeks, newest first.
	spread := 8 * 7 * 24 * time.Hour / time.Duration(cases)
	for i := range cases {
		n, err := tx.NextCaseNumber()
		if err != nil {
			return err
		}
		received := now.Add(-time.Duration(i) * spread)
		due := received.Add(24 * time.Hour)
		ch := fmt.Sprintf("C0FILL%02d", i%sellers)
		c := &sfp.Case{ID: sfp.CaseID(n), Number: n, Kind: sfp.KindProductQuestion, State: sfp.StateOpen,
			Seller: fmt.Sprintf("seller%d", i%sellers), Marketplace: sfp.DefaultMarketplace, Channel: ch,
			Subject: "Compatibilité du chargeur", ReceivedAt: received, CreatedAt: received, DueAt: &due}
		if err := tx.PutCase(c); err != nil {
			return err
		}
	}
	return nil
}

// A Home queued when the bot stopped (or crashed) is published by the next
// run: the publish waits in the outbox like any message.
func TestHomePublishSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	h, err := startHarness(ctx, harnessOptions{Dir: dir, Start: monday})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Stop()
	// The bot stops; marie's Home waits in the outbox as a crash leaves it.
	if err := h.StopBot(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(dir, "sfpdesk.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Enqueue(&store.OutboxMessage{Channel: marie, Op: store.OpPublishHome, CreatedAt: monday})
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	h2, err := startHarness(ctx, harnessOptions{Dir: dir, Start: monday.Add(time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	defer h2.Stop()
	h2.Fake.AddUser(marie, "marie", "Marie", false)
	settle(t, h2)
	if _, ok := h2.Fake.HomeView(marie); !ok {
		t.Error("the Home queued before the restart was never published")
	}
}
