package postgres_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/postgres"
	"github.com/sfpdesk/sfpdesk/store/postgres/pgtest"
)

type candidate struct {
	l       *postgres.Leader
	stop    context.CancelFunc
	done    chan struct{}
	leads   atomic.Int32 // workers running now
	stints  atomic.Int32 // times it started leading
	stopped atomic.Int32 // times its workers were stopped
	wakes   atomic.Int32
}

func campaign(t *testing.T, url string) *candidate {
	c := &candidate{done: make(chan struct{})}
	c.l = &postgres.Leader{URL: url, Check: 200 * time.Millisecond, Wake: func() { c.wakes.Add(1) }}
	ctx, stop := context.WithCancel(context.Background())
	c.stop = stop
	go func() {
		defer close(c.done)
		c.l.Run(ctx, func(ctx context.Context) {
			c.leads.Add(1)
			c.stints.Add(1)
			<-ctx.Done()
			c.leads.Add(-1)
			c.stopped.Add(1)
		})
	}()
	t.Cleanup(func() { stop(); <-c.done })
	return c
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// leaders counts the candidates leading, checking that never more than
// one runs its workers.
func leaders(t *testing.T, cs ...*candidate) int {
	n := 0
	for _, c := range cs {
		if c.leads.Load() > 0 {
			n++
		}
	}
	if n > 1 {
		t.Fatalf("%d replicas lead at once", n)
	}
	return n
}

func TestOneLeaderAndTakeover(t *testing.T) {
	url := pgtest.URL(t)
	same, err := postgres.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer same.Close()
	a, b := campaign(t, url), campaign(t, url)
	waitFor(t, "one leads", func() bool { return leaders(t, a, b) == 1 })
	first, second := a, b
	if b.leads.Load() > 0 {
		first, second = b, a
	}
	if !first.l.Leading() || second.l.Leading() {
		t.Fatalf("Leading() = %v, %v", first.l.Leading(), second.l.Leading())
	}

	// A commit that leaves work, on any replica, wakes the leader.
	before := first.wakes.Load()
	same.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Enqueue(&store.OutboxMessage{Channel: "C0SELLER", Text: "card"})
		return err
	})
	waitFor(t, "the leader is woken", func() bool { return first.wakes.Load() > before })
	if second.wakes.Load() != 0 {
		t.Error("a follower was woken")
	}
	// A commit that leaves none does not.
	before = first.wakes.Load()
	same.Update(ctx, func(tx store.Tx) error { return tx.PutSeller(&sfp.Seller{Name: "acme"}) })
	same.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Enqueue(&store.OutboxMessage{Channel: "C0SELLER", Text: "second"})
		return err
	})
	waitFor(t, "the leader is woken again", func() bool { return first.wakes.Load() > before })
	if got := first.wakes.Load() - before; got != 1 {
		t.Errorf("%d wakes for one commit with work", got)
	}

	// The leader's session dies (as when its machine does): it stops its
	// workers, and a replica leads again.
	stints := a.stints.Load() + b.stints.Load()
	var pid int
	if err := same.Pool().QueryRow(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 AND granted
		AND objid::text::bigint = (hashtext(current_schema())::bigint & 4294967295)`).Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := same.Pool().Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the old leader stops its workers", func() bool { return first.stopped.Load() == 1 })
	waitFor(t, "a replica leads again", func() bool { return a.stints.Load()+b.stints.Load() > stints && leaders(t, a, b) == 1 })

	// A leader that stops releases the lock at once, to the other.
	leader, other := a, b
	if b.leads.Load() > 0 {
		leader, other = b, a
	}
	leader.stop()
	<-leader.done
	waitFor(t, "the other replica leads", func() bool { return other.leads.Load() == 1 })
}

// Many candidates, one lock: never two leaders while they come and go.
func TestLeaderUnderChurn(t *testing.T) {
	url := pgtest.URL(t)
	var cs []*candidate
	for range 4 {
		cs = append(cs, campaign(t, url))
	}
	var wg sync.WaitGroup
	for range 3 {
		waitFor(t, "one leads", func() bool { return leaders(t, cs...) == 1 })
		for _, c := range cs {
			if c.leads.Load() > 0 {
				c.stop()
				wg.Go(func() { <-c.done })
				break
			}
		}
		waitFor(t, "a new leader", func() bool { return leaders(t, cs...) == 1 })
	}
	wg.Wait()
}
