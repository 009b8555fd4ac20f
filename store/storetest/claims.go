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

	// A carrier claim is outside the reimbursement policy's one claim per
	// order: it stands beside the order's reimbursement claim, and is not
	// what ClaimByOrder returns. A second carrier claim on the order is
	// refused like a second reimbursement claim.
	carrier := func(tx store.Tx, order string) *sfp.Claim {
		cl := mk(tx, "acme", order)
		cl.Type, cl.Deadline = sfp.ClaimTypeCarrier, nil
		return cl
	}
	err = s.Update(ctx, func(tx store.Tx) error { return tx.PutClaim(carrier(tx, "171-0000000-0000001")) })
	if err != nil {
		t.Fatalf("a carrier claim beside a reimbursement claim: %v", err)
	}
	err = s.Update(ctx, func(tx store.Tx) error { return tx.PutClaim(carrier(tx, "171-0000000-0000001")) })
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("second carrier claim on an order: %v, want ErrConflict", err)
	}
	// And the other way round: a carrier claim first, a reimbursement
	// claim after it.
	err = s.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutClaim(carrier(tx, "171-0000000-0000004")); err != nil {
			return err
		}
		return tx.PutClaim(mk(tx, "acme", "171-0000000-0000004"))
	})
	if err != nil {
		t.Fatalf("a reimbursement claim after a carrier claim: %v", err)
	}
	s.View(ctx, func(tx store.Tx) error {
		if cl, err := tx.ClaimByOrder("171-0000000-0000001"); err != nil || cl.ID != "CLM-1002" {
			t.Errorf("ClaimByOrder beside a carrier claim = %+v, %v; want the reimbursement claim", cl, err)
		}
		if ids := claimIDs(tx.ClaimsByOrder("171-0000000-0000001")); ids != "[CLM-1002 CLM-1005]" {
			t.Errorf("ClaimsByOrder = %s", ids)
		}
		if ids := claimIDs(tx.ClaimsByOrder("171-0000000-0000004")); ids != "[CLM-1007 CLM-1006]" {
			t.Errorf("ClaimsByOrder, carrier claim first = %s", ids)
		}
		if ids := claimIDs(tx.ClaimsByOrder("171-9999999-9999999")); ids != "[]" {
			t.Errorf("ClaimsByOrder of an order with none = %s", ids)
		}
		if ids := claimIDs(tx.OpenClaims("acme")); ids != "[CLM-1002 CLM-1003 CLM-1005 CLM-1006 CLM-1007]" {
			t.Errorf("OpenClaims(acme) with carrier claims = %s", ids)
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
