package storetest

import (
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/store"
)

// Replies by e-mail queue per seller in order, leave the queue when sent,
// and read back whole.
func testMailOut(t *testing.T, s store.Store) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	mk := func(seller, id string) *store.MailOut {
		return &store.MailOut{
			Seller: seller, CaseID: "SFP-1001", MessageID: id, From: "boutique@exemple.fr",
			To: "alias@marketplace.amazon.fr", Subject: "Re: Question", InReplyTo: "b@amazonses.com",
			References: []string{"a@amazonses.com", "b@amazonses.com"}, Text: "Bonjour", Date: t0, CreatedAt: t0,
		}
	}
	var first *store.MailOut
	if err := s.Update(ctx, func(tx store.Tx) error {
		first = mk("boutique", "r1@exemple.fr")
		for _, m := range []*store.MailOut{first, mk("other", "o1@exemple.fr"), mk("boutique", "r2@exemple.fr")} {
			if _, err := tx.EnqueueMail(m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.View(ctx, func(tx store.Tx) error {
		got, err := tx.PendingMail("boutique", 10)
		if err != nil || len(got) != 2 || got[0].MessageID != "r1@exemple.fr" || got[1].MessageID != "r2@exemple.fr" {
			t.Fatalf("pending = %v, %v", got, err)
		}
		if got[0].State != store.MailPending || len(got[0].References) != 2 || !got[0].Date.Equal(t0) {
			t.Errorf("read back %+v", got[0])
		}
		if one, _ := tx.PendingMail("boutique", 1); len(one) != 1 {
			t.Errorf("limit 1 gave %d", len(one))
		}
		return nil
	})
	s.Update(ctx, func(tx store.Tx) error {
		m, err := tx.MailOut(first.ID)
		if err != nil {
			t.Fatal(err)
		}
		m.State, m.SentAt = store.MailSent, t0.Add(time.Minute)
		return tx.PutMailOut(m)
	})
	s.View(ctx, func(tx store.Tx) error {
		got, _ := tx.PendingMail("boutique", 10)
		if len(got) != 1 || got[0].MessageID != "r2@exemple.fr" {
			t.Errorf("after sending the first, pending = %v", got)
		}
		if m, err := tx.MailOut(first.ID); err != nil || m.State != store.MailSent {
			t.Errorf("sent reply = %+v, %v", m, err)
		}
		if _, err := tx.MailOut(999); err != store.ErrNotFound {
			t.Errorf("unknown reply: %v", err)
		}
		return nil
	})
}
