package bolt_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
	"github.com/sfpdesk/sfpdesk/store/storetest"
)

// openTemp opens a fresh database in a temp dir and checks its consistency
// when the test ends.
func openTemp(t *testing.T) *bolt.DB {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sfpdesk.db")
	db, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		re, err := bolt.Open(path, &bolt.Options{ReadOnly: true})
		if err != nil {
			t.Errorf("reopen for check: %v", err)
			return
		}
		defer re.Close()
		if err := re.Check(); err != nil {
			t.Errorf("database inconsistent: %v", err)
		}
	})
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestSecondProcessGetsInUse(t *testing.T) {
	db := openTemp(t)
	start := time.Now()
	_, err := bolt.Open(db.Path(), &bolt.Options{Timeout: 50 * time.Millisecond})
	if !errors.Is(err, store.ErrInUse) {
		t.Fatalf("second open: err = %v, want ErrInUse", err)
	}
	_ = start
}

func TestBackupAndRestore(t *testing.T) {
	ctx := context.Background()
	db := openTemp(t)
	err := db.Update(ctx, func(tx store.Tx) error {
		n, _ := tx.NextCaseNumber()
		return tx.PutCase(&sfp.Case{ID: sfp.CaseID(n), Kind: sfp.KindCSContact, State: sfp.StateOpen, Seller: "acme", Body: "Is it waterproof?"})
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "backup.db")

	// While the bot holds the file, a direct backup fails fast.
	if _, err := bolt.BackupFile(db.Path(), out, false); !errors.Is(err, store.ErrInUse) {
		t.Fatalf("BackupFile on a held database: %v", err)
	}
	// Through the running store (what the admin listener does).
	if _, err := bolt.WriteFileAtomic(out, false, func(w io.Writer) (int64, error) { return db.Backup(ctx, w) }); err != nil {
		t.Fatal(err)
	}
	if _, err := bolt.WriteFileAtomic(out, false, func(w io.Writer) (int64, error) { return 0, nil }); err == nil {
		t.Fatal("overwrote a backup without force")
	}
	db.Close()
	// Without a running bot.
	out2 := filepath.Join(dir, "backup2.db")
	if _, err := bolt.BackupFile(db.Path(), out2, false); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(out2)
	if len(a) == 0 || !bytes.Equal(a[:16], b[:16]) {
		t.Fatal("backups differ in their header")
	}
	// Restore: a backup is a database file; copy it into place and open it.
	restored, err := bolt.Open(out2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	restored.View(ctx, func(tx store.Tx) error {
		c, err := tx.Case("SFP-1001")
		if err != nil || c.Body != "Is it waterproof?" {
			t.Errorf("restored case = %+v, %v", c, err)
		}
		return nil
	})
	if err := restored.Check(); err != nil {
		t.Fatal(err)
	}
}

// After a restart, numbering carries on after the highest case written,
// whatever order cases were written in; numbers reserved but never
// written may be handed out again, as no case ever had them.
func TestCaseNumbersAfterReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sfpdesk.db")
	db, err := bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, _ := db.ReserveCaseNumber(ctx)
	b, _ := db.ReserveCaseNumber(ctx)
	c, _ := db.ReserveCaseNumber(ctx)
	put := func(db *bolt.DB, n uint64) {
		t.Helper()
		err := db.Batch(ctx, func(tx store.Tx) error {
			return tx.PutCase(&sfp.Case{ID: sfp.CaseID(n), Number: n, Kind: sfp.KindCSContact, State: sfp.StateOpen, Seller: "acme"})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	put(db, b)
	put(db, a) // written after a higher one: must not move numbering back
	_ = c      // reserved, never written
	db.Close()

	db, err = bolt.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	next, _ := db.ReserveCaseNumber(ctx)
	if next != b+1 {
		t.Fatalf("after reopen the next number is %d, want %d", next, b+1)
	}
}

func TestMoveToAnotherFile(t *testing.T) {
	storetest.Move(t, func(t *testing.T) store.Store { return openTemp(t) }, func(t *testing.T) store.Store { return openTemp(t) })
}
