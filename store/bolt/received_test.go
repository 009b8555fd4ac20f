package bolt_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

// A file written before the index by received time existed gets the index
// when it is opened for writing, and read-only it is still read right.
func TestReceivedIndexBuiltForAnOlderFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	received := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	ctx := context.Background()
	err = db.Update(ctx, func(tx store.Tx) error {
		for _, seller := range []string{"acme", "globex", "acme"} {
			n, err := tx.NextCaseNumber()
			if err != nil {
				return err
			}
			if err := tx.PutCase(&sfp.Case{ID: sfp.CaseID(n), Number: n, Kind: sfp.KindCSContact, State: sfp.StateOpen, Seller: seller, ReceivedAt: received}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	// What an older version left: the same file without the index.
	raw, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Update(func(btx *bbolt.Tx) error { return btx.DeleteBucket([]byte("idx_received")) }); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	count := func(db *bolt.DB) int {
		n := 0
		err := db.View(ctx, func(tx store.Tx) error {
			return tx.CasesReceived("acme", received, received.Add(time.Hour), func(sfp.Summary) bool { n++; return true })
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	ro, err := bolt.Open(path, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(ro); n != 2 {
		t.Errorf("read-only, without the index: %d cases of acme, want 2", n)
	}
	ro.Close()
	db, err = bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := count(db); n != 2 {
		t.Errorf("after opening for writing: %d cases of acme, want 2", n)
	}
}
