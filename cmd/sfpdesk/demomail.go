package main

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	netmail "net/mail"
	"time"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/mail"
	"github.com/sfpdesk/sfpdesk/mail/mailtest"
)

// The demo's mailbox: acme's, on IMAP and SMTP servers in the process.
const (
	demoMailUser     = "ventes@acme.example"
	demoMailPassword = "demo-mail-password"
	demoAlias        = "8xk2m4q9z3r7w1t@marketplace.amazon.fr"
)

// demoMail are the servers the demo's mailbox lives on.
type demoMail struct {
	in  *mailtest.IMAPServer
	out *mailtest.SMTPServer
}

func startDemoMail() (*demoMail, error) {
	in, err := mailtest.NewIMAPServer(demoMailUser, demoMailPassword)
	if err != nil {
		return nil, err
	}
	if err := in.User.Create("Sent", nil); err != nil {
		in.Close()
		return nil, err
	}
	out, err := mailtest.NewSMTPServer(demoMailUser, demoMailPassword)
	if err != nil {
		in.Close()
		return nil, err
	}
	return &demoMail{in: in, out: out}, nil
}

func (m *demoMail) Close() {
	m.in.Close()
	m.out.Close()
}

// configure points acme's mailbox and SMTP server at the demo's servers.
func (m *demoMail) configure(c *Config) {
	c.Mailboxes = []mail.Account{{Seller: "acme", Scheme: "imap", Addr: m.in.Addr, User: demoMailUser, Password: demoMailPassword, Mailbox: "INBOX"}}
	c.SMTP = []mail.Account{{Seller: "acme", Scheme: "smtp", Addr: m.out.Addr}}
}

// A buyer message as Amazon relays it, and a refund notice, in French.
const (
	demoBuyerMail = "From: Claire - Amazon Marketplace <" + demoAlias + ">\r\n" +
		"To: " + demoMailUser + "\r\n" +
		"Subject: =?UTF-8?Q?Demande_de_renseignements_d'un_client_(Commande_:_171-5550999-1234567)?=\r\n" +
		"Message-ID: <0102018c-demo-buyer@eu-west-1.amazonses.com>\r\n" +
		"X-Space-Notification-Type: BBC_MESSAGE_SENT_TO_MERCHANT\r\n" +
		"X-Marketplace-ID: A13V1IB3VIYZZH\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"Numéro de commande 171-5550999-1234567 :\r\n1 sur Lampe Aria [ASIN: B0ARIA0001]\r\n\r\n" +
		"------------- Début du message -------------\r\n\r\n" +
		"Bonjour, ma lampe n'est toujours pas arrivée. Pouvez-vous me donner le numéro de suivi ?\r\nMerci, Claire\r\n\r\n" +
		"------------- Fin du message -------------\r\n\r\n" +
		"Ce message ne nécessite pas de réponse ? https://sellercentral.amazon.fr/messaging/no-response-needed?t=demo\r\n" +
		"[commMgrTok:DEMO1]\r\n"
	demoRefundMail = "From: Amazon Seller Central <seller-notification@amazon.fr>\r\n" +
		"To: " + demoMailUser + "\r\n" +
		"Subject: =?UTF-8?Q?Remboursement_initi=C3=A9_pour_la_commande_171-5550777-7654321?=\r\n" +
		"Message-ID: <0102018c-demo-refund@eu-west-1.amazonses.com>\r\n" +
		"X-Space-Notification-Type: REFUND_ISSUED\r\n" +
		"X-Marketplace-ID: A13V1IB3VIYZZH\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n" +
		"Numéro de commande : 171-5550777-7654321\r\nMontant du remboursement : 24,90 €\r\n" +
		"Motif du remboursement : Article endommagé\r\n"
)

// mailScenes play the mailbox: a buyer's e-mail becomes a card, the
// seller's reply goes to the buyer by SMTP, and a refund notice e-mail
// becomes a refund case.
func (d *demoDay) mailScenes(ctx context.Context, m *demoMail) error {
	h := d.h
	h.Clock.Advance(20 * time.Minute)
	d.scene("mail_arrives")
	fmt.Fprintf(d.out, "  %s\n", d.say("mail_arrives", "171-5550999-1234567"))
	before := len(h.Fake.Messages(demoSellerCh))
	if err := m.in.Deliver([]byte(demoBuyerMail), h.Clock.Now()); err != nil {
		return err
	}
	if err := d.waitFor(ctx, "the card of the buyer's e-mail", func() bool { return len(h.Fake.Messages(demoSellerCh)) > before }); err != nil {
		return err
	}
	if err := h.Settle(ctx); err != nil {
		return err
	}
	card, ok := d.lastTopLevel(demoSellerCh)
	if !ok {
		return fmt.Errorf("the e-mail's card never reached #acme-support")
	}

	h.Clock.Advance(10 * time.Minute)
	d.scene("mail_reply")
	d.reply(demoSellerCh, demoSeller, "Bonjour Claire, votre lampe est partie ce matin avec Colissimo, suivi 6A123456789. Bonne journée !", card)
	if err := d.waitFor(ctx, "the reply by SMTP", func() bool { return len(m.out.Accepted()) > 0 }); err != nil {
		return err
	}
	sent := m.out.Accepted()[0]
	subject := ""
	if msg, err := netmail.ReadMessage(bytes.NewReader(sent.Raw)); err == nil {
		subject, _ = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	}
	fmt.Fprintf(d.out, "  %s\n", d.say("mail_smtp", sent.From, sent.To[:4], subject))
	if err := d.waitFor(ctx, "the thread's word on the reply", func() bool {
		for _, msg := range h.Fake.Thread(demoSellerCh, card) {
			if msg.Text == bot.T(d.lang, "mail.sent") {
				return true
			}
		}
		return false
	}); err != nil {
		return err
	}
	if err := h.Settle(ctx); err != nil {
		return err
	}

	h.Clock.Advance(30 * time.Minute)
	d.scene("mail_refund")
	before = len(h.Fake.Messages(demoSellerCh))
	if err := m.in.Deliver([]byte(demoRefundMail), h.Clock.Now()); err != nil {
		return err
	}
	if err := d.waitFor(ctx, "the refund notice's card", func() bool { return len(h.Fake.Messages(demoSellerCh)) > before }); err != nil {
		return err
	}
	return h.Settle(ctx)
}

// waitFor waits for what the mailbox's own goroutines bring, which the
// simulated clock does not drive; the bound only stops a broken demo.
func (d *demoDay) waitFor(ctx context.Context, what string, cond func() bool) error {
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("%s never came", what)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Millisecond):
		}
	}
	return nil
}
