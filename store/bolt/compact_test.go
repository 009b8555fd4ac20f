package bolt_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Deleted data stays in the file's free pages until compaction; after it,
// a raw read of the file finds nothing.
func TestCompactLeavesNoTraceOfDeletedData(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	marker := "MARKER-7f3a9c-Dupont-marie.dupont@example.com"
	db.Update(ctx, func(tx store.Tx) error {
		n, _ := tx.NextCaseNumber()
		return tx.PutCase(&sfp.Case{ID: sfp.CaseID(n), State: sfp.StateClosed, Seller: "acme", Body: marker, Customer: sfp.Customer{Name: marker}})
	})
	db.Update(ctx, func(tx store.Tx) error {
		c, _ := tx.Case("SFP-1001")
		c.Body, c.Customer.Name = "", ""
		return tx.PutCase(c)
	})
	raw, _ := os.ReadFile(db.Path())
	if !bytes.Contains(raw, []byte(marker)) {
		t.Fatal("the test expects the deleted marker in a free page before compaction")
	}
	if _, _, err := db.Compact(); err != nil {
		t.Fatal(err)
	}
	raw, _ = os.ReadFile(db.Path())
	if bytes.Contains(raw, []byte(marker)) {
		t.Fatal("the marker is still in the file after compaction")
	}
	// The store carries on after the swap.
	err := db.View(ctx, func(tx store.Tx) error {
		_, err := tx.Case("SFP-1001")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Check(); err != nil {
		t.Fatal(err)
	}
}
