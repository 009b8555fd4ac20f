package bolt

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
)

func openRaw(t *testing.T) *bbolt.DB {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "raw.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err }); err != nil {
		t.Fatal(err)
	}
	return db
}

// Writers that arrive while one transaction commits share the next one.
func TestGroupCommitSharesTransactions(t *testing.T) {
	db := openRaw(t)
	var c committer
	const n = 64
	var mu sync.Mutex
	txs := map[int]int{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := c.batch(db, func(tx *bbolt.Tx) error {
				mu.Lock()
				txs[tx.ID()]++
				mu.Unlock()
				// A slow writer, so that the others queue behind it.
				time.Sleep(time.Millisecond)
				return tx.Bucket([]byte("b")).Put([]byte{byte(i)}, []byte("v"))
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(txs) >= n/2 {
		t.Errorf("%d writers took %d transactions; they should share", n, len(txs))
	}
	db.View(func(tx *bbolt.Tx) error {
		if got := tx.Bucket([]byte("b")).Stats().KeyN; got != n {
			t.Errorf("%d keys written, want %d", got, n)
		}
		return nil
	})
	if c.leading || len(c.queue) != 0 {
		t.Errorf("committer not idle after the last writer: leading %v, %d queued", c.leading, len(c.queue))
	}
}

// A writer whose function panics panics in its own goroutine, and the
// writers it shared a transaction with are committed all the same.
func TestGroupCommitPanicStaysWithItsWriter(t *testing.T) {
	db := openRaw(t)
	var c committer
	var wg sync.WaitGroup
	panicked := make([]any, 8)
	for i := range 8 {
		wg.Go(func() {
			defer func() { panicked[i] = recover() }()
			c.batch(db, func(tx *bbolt.Tx) error {
				time.Sleep(time.Millisecond)
				if i == 3 {
					panic("bug")
				}
				return tx.Bucket([]byte("b")).Put([]byte{byte(i)}, []byte("v"))
			})
		})
	}
	wg.Wait()
	for i, p := range panicked {
		if (i == 3) != (p != nil) {
			t.Errorf("writer %d: recovered %v", i, p)
		}
	}
	db.View(func(tx *bbolt.Tx) error {
		if got := tx.Bucket([]byte("b")).Stats().KeyN; got != 7 {
			t.Errorf("%d keys written, want 7", got)
		}
		return nil
	})
}
