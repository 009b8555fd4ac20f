package handlers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/mail"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// fakeMailer stands for the SMTP senders: acme has an address.
type fakeMailer struct{ notified atomic.Int32 }

func (m *fakeMailer) Notify() { m.notified.Add(1) }
func (m *fakeMailer) From(seller string) string {
	if seller == "acme" {
		return "boutique@exemple.fr"
	}
	return ""
}

var mailUID uint32

// readMail parses a message of the mail package's corpus, as the reader
// hands it over.
func readMail(t *testing.T, name string, edit ...func(string) string) *mail.Fetched {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "mail", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	for _, e := range edit {
		s = e(s)
	}
	m, err := mail.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	mailUID++
	a := mail.Account{Seller: "acme", Scheme: "imaps", Addr: "imap.exemple.fr:993", User: "boutique@exemple.fr", Mailbox: "INBOX"}
	return &mail.Fetched{Account: a, UID: mailUID, Cursor: mail.Cursor{UIDValidity: 1, LastUID: mailUID}, Arrived: intakeT0, Message: m}
}

func (e *intakeEnv) handleMail(f *mail.Fetched, want string) string {
	e.t.Helper()
	got, err := e.app.HandleMail(context.Background(), f)
	if err != nil {
		e.t.Fatal(err)
	}
	if got != want {
		e.t.Fatalf("HandleMail = %q, want %q", got, want)
	}
	var id string
	e.db.View(context.Background(), func(tx store.Tx) error {
		id, _, _ = f.Seen(tx)
		c, ok, _ := mail.LoadCursor(tx, f.Account.Key())
		if !ok || c != f.Cursor {
			e.t.Errorf("cursor %v, %v; want %v committed with the message", c, ok, f.Cursor)
		}
		return nil
	})
	return id
}

func TestMailBuyerMessageBecomesACaseOnce(t *testing.T) {
	e := newIntakeEnv(t)
	id := e.handleMail(readMail(t, "fr_buyer_order.eml"), MailCase)
	c := e.caseOf(id)
	if c.Kind != sfp.KindOrderQuestion || c.Source != sfp.SourceEmail || c.OrderID != "402-1234567-1234567" ||
		c.Customer.Name != "Claire" || c.Channel != acmeChannel || c.DueAt == nil {
		t.Errorf("case %+v", c)
	}
	if c.Mail == nil || c.Mail.ReplyTo != "8xk2m4q9z3r7w1t@marketplace.amazon.fr" || !strings.Contains(c.Mail.NoResponseURL, "sellercentral.amazon.fr") {
		t.Errorf("mail thread %+v", c.Mail)
	}
	if !strings.Contains(c.Body, "toujours pas arrivée") || strings.Contains(c.Body, "commMgrTok") {
		t.Errorf("body %q", c.Body)
	}
	cards := e.pending(acmeChannel)
	if len(cards) == 0 {
		t.Fatal("no card queued")
	}
	// No response needed also offers the mail's own Seller Central link.
	if b := string(cards[0].Blocks); !strings.Contains(b, `"url":"https://sellercentral.amazon.fr/messaging/no-response-needed`) ||
		!strings.Contains(b, bot.ActionNoResponseSellerCentral) {
		t.Errorf("card without the Seller Central button: %s", b)
	}
	// The same message again (a second copy, a renumbered mailbox).
	again := readMail(t, "fr_buyer_order.eml")
	e.handleMail(again, MailRepeat)
	if n := len(e.caseIDs()); n != 1 {
		t.Errorf("%d cases, want 1", n)
	}
}

func TestMailReplyGoesToTheBuyerAndTheirAnswerFollowsUp(t *testing.T) {
	e := newIntakeEnv(t)
	mailer := &fakeMailer{}
	e.app.Mail = mailer
	id := e.handleMail(readMail(t, "fr_buyer_order.eml"), MailCase)

	if err := e.db.Update(context.Background(), func(tx store.Tx) error {
		c, err := tx.Case(id)
		if err != nil {
			return err
		}
		if err := e.app.answer(tx, c, "U0SELLER", "Bonjour Claire, le colis part ce soir.", nil); err != nil {
			return err
		}
		return tx.PutCase(c)
	}); err != nil {
		t.Fatal(err)
	}
	var out []*store.MailOut
	e.db.View(context.Background(), func(tx store.Tx) error {
		out, _ = tx.PendingMail("acme", 10)
		return nil
	})
	if len(out) != 1 {
		t.Fatalf("%d replies queued, want 1", len(out))
	}
	r := out[0]
	if r.To != "8xk2m4q9z3r7w1t@marketplace.amazon.fr" || r.From != "boutique@exemple.fr" ||
		r.Subject != "Re: Demande de renseignements de la part d'un client (Commande : 402-1234567-1234567)" ||
		r.InReplyTo != "0102018c1a2b3c4d-fr-order@eu-west-1.amazonses.com" || r.MessageID == "" || r.CaseID != id {
		t.Errorf("reply %+v", r)
	}
	if c := e.caseOf(id); c.State != sfp.StateAnswered {
		t.Errorf("state %s after the reply", c.State)
	}

	// The buyer answers our mail: found by In-Reply-To, it reopens.
	follow := readMail(t, "en_buyer_followup.eml", func(s string) string {
		s = strings.ReplaceAll(s, "sfpdesk.SFP-1001.1@shop.example.co.uk", r.MessageID)
		return strings.ReplaceAll(s, "204-5555555-6666666", "204-0000000-0000000")
	})
	if got := e.handleMail(follow, MailFollowUp); got != id {
		t.Fatalf("follow-up went to %q, want %s", got, id)
	}
	if c := e.caseOf(id); c.State != sfp.StateOpen || len(c.Mail.MessageIDs) != 3 {
		t.Errorf("after the follow-up: state %s, thread %v", c.State, c.Mail.MessageIDs)
	}

	// Amazon did not deliver our reply: the case says so and is open.
	e.update(id, func(tx store.Tx, c *sfp.Case) error {
		c.State = sfp.StateAnswered
		return nil
	})
	bounce := readMail(t, "fr_not_sent.eml", func(s string) string {
		return strings.ReplaceAll(s, "sfpdesk.SFP-1002.1@exemple.fr", r.MessageID)
	})
	e.handleMail(bounce, MailBounced)
	if c := e.caseOf(id); c.State != sfp.StateOpen {
		t.Errorf("state %s after the bounce", c.State)
	}
}

func TestMailReplyCopyAnswersInSellerCentral(t *testing.T) {
	e := newIntakeEnv(t)
	id := e.handleMail(readMail(t, "fr_buyer_order.eml"), MailCase)
	e.handleMail(readMail(t, "fr_reply_copy_html.eml"), MailAnswered)
	c := e.caseOf(id)
	if c.State != sfp.StateAnswered || c.AnsweredBy != sellerCentralBy {
		t.Errorf("state %s by %q", c.State, c.AnsweredBy)
	}
}

func TestMailRefundThenAToZ(t *testing.T) {
	e := newIntakeEnv(t)
	refund := e.caseOf(e.handleMail(readMail(t, "fr_refund.eml"), MailCase))
	if refund.Kind != sfp.KindRefundNotice || refund.Refund == nil || refund.Refund.Amount != (sfp.Money{Minor: 3990, Currency: "EUR"}) ||
		refund.Refund.Reason != string(sfp.ReasonLateDelivery) || refund.Refund.AToZClaim {
		t.Fatalf("refund case %+v", refund.Refund)
	}
	claim := e.caseOf(e.handleMail(readMail(t, "fr_atoz.eml"), MailCase))
	if string(claim.Kind) != mail.KindAToZClaim {
		t.Errorf("kind %s", claim.Kind)
	}
	if r := e.caseOf(refund.ID); !r.Refund.AToZClaim {
		t.Error("the order's refund notice does not know of the A-to-z claim")
	}
}

func TestMailTriageAndIgnored(t *testing.T) {
	e := newIntakeEnv(t)
	e.handleMail(readMail(t, "fr_unknown_notice.eml"), MailTriage)
	msgs := e.pending(triageChannel)
	if len(msgs) != 1 || !strings.Contains(msgs[0].Text, "Mise à jour de votre compte vendeur") {
		t.Errorf("triage got %v", msgs)
	}
	e.handleMail(readMail(t, "not_amazon.eml"), MailIgnored)
	if n := len(e.caseIDs()); n != 0 {
		t.Errorf("%d cases from triage and ignored mail", n)
	}
}

// A return request from the mailbox has no deadline until its Return
// received button starts the refund clock.
func TestMailReturnRequest(t *testing.T) {
	e := newIntakeEnv(t)
	c := e.caseOf(e.handleMail(readMail(t, "fr_return.eml"), MailCase))
	if c.Kind != sfp.KindReturnRequested || c.DueAt != nil || c.OrderID != "402-9999999-8888888" {
		t.Errorf("case %s, due %v, order %s", c.Kind, c.DueAt, c.OrderID)
	}
	cards := e.pending(acmeChannel)
	if len(cards) == 0 || !strings.Contains(string(cards[0].Blocks), bot.ActionReturnReceived) {
		t.Errorf("card without Return received: %v", cards)
	}
}

// Purging an e-mail case erases the buyer's alias and subject; the
// Message-IDs stay, so the same mail read again still makes nothing.
func TestMailPurgeKeepsTheKeys(t *testing.T) {
	e := newIntakeEnv(t)
	f := readMail(t, "fr_buyer_order.eml")
	id := e.handleMail(f, MailCase)
	e.update(id, func(tx store.Tx, c *sfp.Case) error {
		_, err := e.app.purgeCase(tx, c, "test")
		return err
	})
	c := e.caseOf(id)
	if c.Mail.ReplyTo != "" || c.Mail.Subject != "" || c.Mail.NoResponseURL != "" || c.Body != "" || len(c.Mail.MessageIDs) != 1 {
		t.Errorf("after the purge: %+v, body %q", c.Mail, c.Body)
	}
	e.handleMail(readMail(t, "fr_buyer_order.eml"), MailRepeat)
}
