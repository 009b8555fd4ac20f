package postgres_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/postgres"
	"github.com/sfpdesk/sfpdesk/store/postgres/pgtest"
)

// replicas opens n stores on one database, started together, as replicas
// of the bot are.
func replicas(t *testing.T, n int) []*postgres.DB {
	t.Helper()
	url := pgtest.URL(t)
	dbs := make([]*postgres.DB, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = postgres.Open(ctx, url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	return dbs
}

// Replicas starting together migrate the schema once.
func TestReplicasMigrateOnce(t *testing.T) {
	dbs := replicas(t, 4)
	var applied, versions int
	err := dbs[0].Pool().QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&applied, &versions)
	if err != nil || applied != versions || applied == 0 {
		t.Fatalf("schema_migrations: %d rows, %d versions, %v", applied, versions, err)
	}
}

// Case numbers never repeat across replicas, whether reserved ahead or
// taken in a transaction, and every case is written.
func TestReplicasNeverShareACaseNumber(t *testing.T) {
	dbs := replicas(t, 3)
	const each = 30
	var mu sync.Mutex
	seen := map[uint64]int{}
	var wg sync.WaitGroup
	for r, db := range dbs {
		for i := range each {
			wg.Go(func() {
				var n uint64
				var err error
				if i%2 == 0 {
					if n, err = db.ReserveCaseNumber(ctx); err == nil {
						err = db.Batch(ctx, func(tx store.Tx) error {
							return tx.PutCase(&sfp.Case{ID: sfp.CaseID(n), Kind: sfp.KindCSContact, State: sfp.StateOpen, Seller: "acme"})
						})
					}
				} else {
					err = db.Batch(ctx, func(tx store.Tx) error {
						if n, err = tx.NextCaseNumber(); err != nil {
							return err
						}
						return tx.PutCase(&sfp.Case{ID: sfp.CaseID(n), Kind: sfp.KindCSContact, State: sfp.StateOpen, Seller: "acme"})
					})
				}
				if err != nil {
					t.Errorf("replica %d: %v", r, err)
					return
				}
				mu.Lock()
				seen[n]++
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	for n, k := range seen {
		if k > 1 {
			t.Errorf("case number %d given %d times", n, k)
		}
	}
	dbs[1].View(ctx, func(tx store.Tx) error {
		if cs, _ := tx.OpenCases("acme"); len(cs) != len(dbs)*each {
			t.Errorf("%d cases written, want %d", len(cs), len(dbs)*each)
		}
		return nil
	})
}

// Writers on two replicas changing one case at once lose nothing: the
// one whose transaction conflicted runs again on what the other wrote.
func TestReplicasLoseNoUpdate(t *testing.T) {
	dbs := replicas(t, 2)
	dbs[0].Update(ctx, func(tx store.Tx) error {
		return tx.PutCase(&sfp.Case{ID: "SFP-1001", Kind: sfp.KindCSContact, State: sfp.StateOpen, Seller: "acme"})
	})
	const each = 25
	var wg sync.WaitGroup
	for r, db := range dbs {
		for i := range each {
			wg.Go(func() {
				err := db.Update(ctx, func(tx store.Tx) error {
					c, err := tx.Case("SFP-1001")
					if err != nil {
						return err
					}
					c.Events = append(c.Events, sfp.Event{Type: sfp.EventReply, By: fmt.Sprintf("U%d-%d", r, i)})
					return tx.PutCase(c)
				})
				if err != nil {
					t.Errorf("replica %d: %v", r, err)
				}
			})
		}
	}
	wg.Wait()
	dbs[1].View(ctx, func(tx store.Tx) error {
		c, err := tx.Case("SFP-1001")
		if err != nil || len(c.Events) != 2*each {
			t.Errorf("case has %d events, want %d (%v)", len(c.Events), 2*each, err)
		}
		by := map[string]bool{}
		for _, e := range c.Events {
			if by[e.By] {
				t.Errorf("event by %s written twice", e.By)
			}
			by[e.By] = true
		}
		return nil
	})
}

// The one claim per order holds between replicas writing at once: the
// constraint refuses the second, which sees ErrConflict.
func TestReplicasOneClaimPerOrder(t *testing.T) {
	dbs := replicas(t, 2)
	const tries = 6
	errs := make([]error, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			errs[i] = dbs[i%2].Update(ctx, func(tx store.Tx) error {
				n, err := tx.NextClaimNumber()
				if err != nil {
					return err
				}
				return tx.PutClaim(&sfp.Claim{ID: sfp.ClaimID(n), Number: n, Seller: "acme", OrderID: "171-0000000-0000001", Status: string(sfp.ClaimFiled)})
			})
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("claim %d: %v, want ErrConflict", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d claims on one order were written", won)
	}
	var rows int
	dbs[0].Pool().QueryRow(ctx, `SELECT count(*) FROM claims`).Scan(&rows)
	if rows != 1 {
		t.Errorf("%d claim rows", rows)
	}
}
