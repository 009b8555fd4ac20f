package main

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/store/postgres/pgtest"
)

var loadPostgres = flag.Bool("load.postgres", false, "run the load programs on PostgreSQL (SFPDESK_TEST_POSTGRES) instead of bbolt")

var loadURLs sync.Map // test name → database URL

// loadPostgresURL is the database of a load test: the same for every
// server one test starts, so that two of them are replicas.
func loadPostgresURL(t testing.TB) string {
	if u, ok := loadURLs.Load(t.Name()); ok {
		return u.(string)
	}
	u := pgtest.URL(t)
	loadURLs.Store(t.Name(), u)
	return u
}

// TestLoadAckLatencyTwoReplicas is TestLoadAckLatency's asks with two
// replicas on one PostgreSQL database, the requests shared between them as
// a load balancer would.
func TestLoadAckLatencyTwoReplicas(t *testing.T) {
	needLoad(t)
	if !*loadPostgres {
		t.Skip("two replicas need -load.postgres")
	}
	a := startLoadServer(t, 0)
	b := startLoadServer(t, 0)
	for _, s := range []*loadServer{a, b} {
		s.fake.AddChannel("C0CS", "cs", false, s.fake.BotUserID(), "U0AGENT")
	}
	sellers, chans := a.seed(t, 10)
	for i, ch := range chans {
		b.fake.AddChannel(ch, sellers[i], false, b.fake.BotUserID(), "U0SELLER")
	}
	for _, s := range []*loadServer{a, b} {
		s.fake.SetLatency(300 * time.Millisecond)
	}
	t.Logf("GOMAXPROCS %d, %s at %d requests/s over two replicas, Slack answering in 300 ms", runtime.GOMAXPROCS(0), *loadDuration, *loadRate)
	ctx := context.Background()
	var cmds latencies
	openLoop(*loadRate, *loadDuration, func(i int) {
		s := []*loadServer{a, b}[i%2]
		d, _, err := s.slash(ctx, "U0AGENT", "C0CS", fmt.Sprintf("ask %s load question %d", sellers[i%len(sellers)], i))
		cmds.add(d, err)
	})
	t.Logf("/slack/commands (ask), two replicas: %s", &cmds)
}
