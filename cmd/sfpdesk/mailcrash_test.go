package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot/fakeslack"
	"github.com/sfpdesk/sfpdesk/mail/mailtest"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

// TestMailImportAcrossKills kills serve with SIGKILL while it imports
// buyer messages from a real IMAP server, and restarts it on the same
// database: in the end every message is exactly one case, with one card.
// A kill between a fetch and its commit must lose nothing (the cursor did
// not move) and double nothing (the Message-ID is committed with the case).
func TestMailImportAcrossKills(t *testing.T) {
	if testing.Short() {
		t.Skip("runs serve as a child process several times")
	}
	const waves, perWave, admin = 4, 5, "U0ADMIN"
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e37))

	in, err := mailtest.NewIMAPServer(mailUser, mailPassword)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	fake := fakeslack.New()
	defer fake.Close()
	fake.AddChannel("C0ACME", "acme", false, fake.BotUserID())
	fake.AddChannel("C0CS", "cs", false, fake.BotUserID())
	db := filepath.Join(t.TempDir(), "sfpdesk.db")
	env := serveEnv(t, fake, db)
	env["SFPDESK_ADMINS"] = admin
	env["SFPDESK_MAILBOXES"] = "acme=imap://" + url.QueryEscape(mailUser) + ":" + url.QueryEscape(mailPassword) + "@" + in.Addr + "/INBOX"
	cur := startChild(t, env, "serve")
	cur.waitHealthy(t)

	req, err := fake.SlashCommandRequest(context.Background(), "http://"+env["SFPDESK_ADDR"]+"/slack/commands", "test-secret",
		slack.SlashCommand{Command: "/sfp", Text: "seller add acme <#C0ACME>", UserID: admin, ChannelID: "C0CS"})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	cards := func() int {
		n := 0
		for _, m := range fake.Messages("C0ACME") {
			if strings.Contains(m.Text, "SFP-") {
				n++
			}
		}
		return n
	}
	n := 0
	for w := range waves {
		for range perWave {
			n++
			raw := strings.NewReplacer(
				"0102018c1a2b3c4d-fr-order@eu-west-1.amazonses.com", fmt.Sprintf("kill-%d@amazonses.com", n),
				"Ma commande n'est toujours pas arrivée", fmt.Sprintf("Message numéro %d", n),
				// Another order each: the same buyer on the same order would
				// be a follow-up, not a case.
				"402-1234567-1234567", fmt.Sprintf("402-%07d-1234567", n),
			).Replace(string(corpus(t, "fr_buyer_order.eml")))
			if err := in.Deliver([]byte(raw), time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		if w == waves-1 {
			break
		}
		// A random moment while the wave is fetched and committed (IDLE
		// brings it within milliseconds), or later, while its cards go out.
		time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond)
		cur.cmd.Process.Signal(syscall.SIGKILL)
		cur.cmd.Wait()
		t.Logf("kill %d after %d cards", w+1, cards())
		cur = startChild(t, env, "serve")
		cur.waitHealthy(t)
	}
	// Cards go out at Slack's pace, a message a second per channel.
	deadline := time.Now().Add(time.Minute + time.Duration(n)*time.Second)
	for cards() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cur.cmd.Process.Signal(syscall.SIGTERM)
	if code := cur.exitCode(t); code != 0 {
		t.Fatalf("last run exit %d; stderr:\n%s", code, cur.stderr)
	}
	if got := cards(); got != n {
		t.Errorf("%d cards for %d messages", got, n)
	}
	d, err := bolt.Open(db, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	bySource := map[string]int{}
	d.View(context.Background(), func(tx store.Tx) error {
		return tx.ForEachCase(func(c *sfp.Case) bool {
			if c.Source == sfp.SourceEmail {
				bySource[c.SourceID]++
			}
			return true
		})
	})
	if len(bySource) != n {
		t.Errorf("%d messages made cases, want %d", len(bySource), n)
	}
	for id, k := range bySource {
		if k != 1 {
			t.Errorf("%s made %d cases", id, k)
		}
	}
}
