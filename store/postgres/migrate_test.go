package postgres_test

import (
	"errors"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/postgres"
	"github.com/sfpdesk/sfpdesk/store/postgres/pgtest"
)

// A database of the first schema, with cases and a carrier claim, migrates
// to claims by type and to the index by received time, the summaries of
// the cases already there written in the migration.
func TestMigrateFromFirstSchema(t *testing.T) {
	url := pgtest.URL(t)
	db, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var ids []string
	err = db.Update(ctx, func(tx store.Tx) error {
		ids = nil
		for i, seller := range []string{"acme", "globex", "acme"} {
			n, err := tx.NextCaseNumber()
			if err != nil {
				return err
			}
			c := &sfp.Case{ID: sfp.CaseID(n), Number: n, Seller: seller, Kind: sfp.KindOrderQuestion, State: sfp.StateOpen,
				ReceivedAt: at.Add(time.Duration(i) * time.Hour)}
			c.AddEvent(c.ReceivedAt, sfp.EventCreated, "U1", "")
			if i == 1 {
				// Known from its history only.
				c.State = sfp.StateNoResponseNeeded
				c.AddEvent(c.ReceivedAt.Add(time.Minute), sfp.EventNoResponse, "U1", "")
			}
			if err := tx.PutCase(c); err != nil {
				return err
			}
			ids = append(ids, c.ID)
		}
		n, err := tx.NextClaimNumber()
		if err != nil {
			return err
		}
		return tx.PutClaim(&sfp.Claim{ID: sfp.ClaimID(n), Number: n, CaseID: ids[0], Seller: "acme", OrderID: "171-0000000-0000001",
			Type: sfp.ClaimTypeCarrier, Status: string(sfp.ClaimFiled)})
	})
	if err != nil {
		t.Fatal(err)
	}
	// Back to the first schema, as a database written before the later
	// migrations holds it.
	_, err = db.Pool().Exec(ctx, `DROP TABLE case_summaries;
		DROP TABLE mail_out; DROP SEQUENCE mail_out_ids;
		ALTER TABLE claims DROP CONSTRAINT claims_one_per_order_and_type, DROP COLUMN type;
		ALTER TABLE claims ADD CONSTRAINT claims_one_per_order UNIQUE (order_id);
		DELETE FROM schema_migrations WHERE version > 1`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	db, err = postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(ctx, func(tx store.Tx) error {
		var got []string
		err := tx.CasesReceived("", time.Time{}, at.Add(24*time.Hour), func(s sfp.Summary) bool {
			c, err := tx.Case(s.ID)
			if err != nil {
				t.Error(err)
				return false
			}
			if want := sfp.SummaryOf(c); !s.ReceivedAt.Equal(want.ReceivedAt) || s.NoResponseNeeded != want.NoResponseNeeded || s.Seller != want.Seller {
				t.Errorf("summary of %s = %+v, want %+v", s.ID, s, want)
			}
			got = append(got, s.ID)
			return true
		})
		if err != nil {
			return err
		}
		if want := []string{ids[0], ids[2], ids[1]}; len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("after the migration, the index by received time lists %v, want %v", got, want)
		}
		if _, err := tx.ClaimByOrder("171-0000000-0000001"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the carrier claim is taken for the order's reimbursement claim: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The carrier claim stored before claims had a type no longer stands
	// in the way of the order's reimbursement claim.
	err = db.Update(ctx, func(tx store.Tx) error {
		n, err := tx.NextClaimNumber()
		if err != nil {
			return err
		}
		return tx.PutClaim(&sfp.Claim{ID: sfp.ClaimID(n), Number: n, CaseID: ids[0], Seller: "acme", OrderID: "171-0000000-0000001",
			Type: sfp.ClaimTypeReimbursement, Status: string(sfp.ClaimFiled)})
	})
	if err != nil {
		t.Fatalf("a reimbursement claim beside a carrier claim stored before the migration: %v", err)
	}
	db.View(ctx, func(tx store.Tx) error {
		cls, err := tx.ClaimsByOrder("171-0000000-0000001")
		if err != nil || len(cls) != 2 || cls[0].Type != sfp.ClaimTypeReimbursement || cls[1].Type != sfp.ClaimTypeCarrier {
			t.Errorf("ClaimsByOrder after the migration = %v, %v", cls, err)
		}
		return nil
	})
}
