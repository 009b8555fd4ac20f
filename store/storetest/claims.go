package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

func testClaims(t *testing.T, s store.Store) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	deadline := t0.Add(30 * 24 * time.Hour)
	mk := func(tx store.Tx, seller, order string) *sfp.Claim {
		t.Helper()
		n, err := tx.NextClaimNumber()
		if err != nil {
			t.Fatal(err)
		}
		return &sfp.Claim{
			ID: sfp.ClaimID(n), Number: n, CaseID: "SFP-1001", Seller: seller, Marketplace: sfp.DefaultMarketplace,
			OrderID: order, Type: sfp.ClaimTypeReimbursement, Status: string(sfp.ClaimFiled),
			Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, Deadline: &deadline,
			Evidence: sfp.ClaimEvidence{Reason: "late_delivery", Photos: []string{"https://example.com/1.jpg"}},
			History:  []sfp.ClaimChange{{At: t0, Status: string(sfp.ClaimFiled), By: "U1"}},
		}
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		for _, c := range []struct{ seller, order string }{
			{"globex", "171-0000000-0000002"},
			{"acme", "171-0000000-0000001"},
			{"acme", "171-0000000-0000003"},
		} {
			if err := tx.PutClaim(mk(tx, c.seller, c.order)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// One claim per order: a second claim on an order is refused, and
	// the refusal leaves nothing behind, not even its number's claim.
	err = s.Update(ctx, func(tx store.Tx) error { return tx.PutClaim(mk(tx, "acme", "171-0000000-0000001")) })
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("second claim on an order: %v, want ErrConflict", err)
	}

	s.View(ctx, func(tx store.Tx) error {
		cl, err := tx.Claim("clm-1002")
		if err != nil || cl.OrderID != "171-0000000-0000001" || cl.Amount.Minor != 3990 || !cl.Deadline.Equal(deadline) ||
			len(cl.History) != 1 || len(cl.Evidence.Photos) != 1 {
			t.Errorf("Claim(clm-1002) = %+v, %v", cl, err)
		}
		byOrder, err := tx.ClaimByOrder("171-0000000-0000003")
		if err != nil || byOrder.ID != "CLM-1003" {
			t.Errorf("ClaimByOrder = %+v, %v", byOrder, err)
		}
		if _, err := tx.ClaimByOrder("171-9999999-9999999"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("ClaimByOrder of an order with no claim: %v", err)
		}
		if _, err := tx.Claim("CLM-4242"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Claim(CLM-4242): %v", err)
		}
		if ids := claimIDs(tx.OpenClaims("")); ids != "[CLM-1001 CLM-1002 CLM-1003]" {
			t.Errorf("OpenClaims() = %s", ids)
		}
		if ids := claimIDs(tx.OpenClaims("acme")); ids != "[CLM-1002 CLM-1003]" {
			t.Errorf("OpenClaims(acme) = %s", ids)
		}
		return nil
	})

	// A settled claim leaves the open list but stays the order's claim;
	// an appeal (denied, then filed again) brings it back.
	move := func(id string, to sfp.ClaimStatus) {
		t.Helper()
		err := s.Update(ctx, func(tx store.Tx) error {
			cl, err := tx.Claim(id)
			if err != nil {
				return err
			}
			cl.Status = string(to)
			return tx.PutClaim(cl)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	move("CLM-1002", sfp.ClaimDenied)
	s.View(ctx, func(tx store.Tx) error {
		if ids := claimIDs(tx.OpenClaims("acme")); ids != "[CLM-1003]" {
			t.Errorf("after denial, OpenClaims(acme) = %s", ids)
		}
		if cl, err := tx.ClaimByOrder("171-0000000-0000001"); err != nil || cl.ID != "CLM-1002" {
			t.Errorf("a settled claim is still the order's: %+v, %v", cl, err)
		}
		return nil
	})
	move("CLM-1002", sfp.ClaimFiled)
	s.View(ctx, func(tx store.Tx) error {
		if ids := claimIDs(tx.OpenClaims("acme")); ids != "[CLM-1002 CLM-1003]" {
			t.Errorf("after the appeal, OpenClaims(acme) = %s", ids)
		}
		return nil
	})

	// The refused claim's transaction was rolled back with its number,
	// which nobody ever saw.
	s.Update(ctx, func(tx store.Tx) error {
		n, err := tx.NextClaimNumber()
		if err != nil || n != 1004 {
			t.Errorf("NextClaimNumber = %d, %v; want 1004", n, err)
		}
		return nil
	})
}

func claimIDs(cs []*sfp.Claim, err error) string {
	if err != nil {
		return err.Error()
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return fmt.Sprint(ids)
}
