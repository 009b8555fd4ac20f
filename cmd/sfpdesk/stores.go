package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
	"github.com/sfpdesk/sfpdesk/store/postgres"
)

// pgOpenWait bounds how long opening a PostgreSQL store may take (connect
// and migrate): a server that does not answer is a clear error, never a
// hang.
const pgOpenWait = 30 * time.Second

// openStore opens SFPDESK_DB: a PostgreSQL database when it is a
// postgres:// URL, else a bbolt file, which is also returned as such (nil
// for PostgreSQL) for what only a file has: its path, compaction, backup.
func openStore(ctx context.Context, where string, opts *bolt.Options) (store.Store, *bolt.DB, error) {
	if postgres.IsURL(where) {
		ctx, cancel := context.WithTimeout(ctx, pgOpenWait)
		defer cancel()
		db, err := postgres.Open(ctx, where)
		if err != nil {
			return nil, nil, err
		}
		return db, nil, nil
	}
	db, err := bolt.Open(where, opts)
	if err != nil {
		return nil, nil, err
	}
	return db, db, nil
}

// dbName is SFPDESK_DB as it may be shown: a URL without its password.
func dbName(where string) string {
	if !postgres.IsURL(where) {
		return where
	}
	return postgres.Redact(where)
}

// lead runs the workers that only one replica may run (the outbox, the
// scheduler, callbacks, and retention, which the scheduler fires) while
// this process leads. On bbolt the one process holding the file always
// does; on PostgreSQL the replicas elect one, and the others take over
// within seconds when it dies, finding its sends in flight as after a
// crash.
func (m *Main) lead(ctx context.Context) {
	if !postgres.IsURL(m.Config.DBPath) {
		m.leading.Store(true)
		m.runWorkers(ctx)
		return
	}
	m.leader = &postgres.Leader{URL: m.Config.DBPath, Log: m.Log, Wake: func() {
		m.Outbox.Notify()
		m.Scheduler.Notify()
		m.Callbacks.Notify()
	}}
	if db, ok := m.Store.(*postgres.DB); ok {
		m.leader.Local = db.Owns
	}
	m.leader.Run(ctx, func(ctx context.Context) {
		m.leading.Store(true)
		defer m.leading.Store(false)
		m.runWorkers(ctx)
	})
}

// runWorkers runs the outbox, the scheduler and callbacks until ctx is
// cancelled.
func (m *Main) runWorkers(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { m.Outbox.Run(ctx) })
	wg.Go(func() { m.Scheduler.Run(ctx) })
	wg.Go(func() { m.Callbacks.Run(ctx) })
	wg.Wait()
}

// Leading reports whether this process runs the workers now.
func (m *Main) Leading() bool { return m.leading.Load() }

// registerLeaderMetric adds sfpdesk_leader to the admin listener's
// metrics.
func (m *Main) registerLeaderMetric() {
	m.Metrics.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sfpdesk_leader",
		Help: "1 on the replica that runs the outbox, the scheduler and callbacks, else 0.",
	}, func() float64 {
		if m.Leading() {
			return 1
		}
		return 0
	}))
}

const migrateUsage = "usage: sfpdesk migrate --to URL|FILE  (copies everything from SFPDESK_DB; the bot must be stopped)"

// runMigrate copies every record from SFPDESK_DB to another, empty store:
// a bbolt file to PostgreSQL, or back.
func runMigrate(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("migrate")
	to := fs.String("to", "", "the store to copy into: postgres://… or a bbolt file")
	if code, ok := parseFlags(fs, args, stdout, stderr, false); !ok {
		return code
	}
	if *to == "" {
		fmt.Fprintln(stderr, migrateUsage)
		return 2
	}
	cfg, _ := LoadConfig(os.LookupEnv, ".env")
	counts, err := migrate(context.Background(), cfg.DBPath, *to)
	if err != nil {
		fmt.Fprintf(stderr, "sfpdesk: migrate: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "copied %s from %s to %s\n", counts, dbName(cfg.DBPath), dbName(*to))
	return 0
}

// moved counts what a migration copied.
type moved struct{ cases, sellers, seen, due, outbox, callbacks, claims int }

func (c moved) String() string {
	return fmt.Sprintf("%d cases, %d sellers, %d seen keys, %d due entries, %d outbox messages, %d callbacks, %d claims",
		c.cases, c.sellers, c.seen, c.due, c.outbox, c.callbacks, c.claims)
}

type countingExporter struct {
	from store.Exporter
	n    *moved
}

func (e countingExporter) Export(ctx context.Context, fn func(store.Record) error) error {
	return e.from.Export(ctx, func(r store.Record) error {
		switch {
		case r.Case != nil:
			e.n.cases++
		case r.Seller != nil:
			e.n.sellers++
		case r.Seen != nil:
			e.n.seen++
		case r.Due != nil:
			e.n.due++
		case r.Outbox != nil:
			e.n.outbox++
		case r.Callback != nil:
			e.n.callbacks++
		case r.Claim != nil:
			e.n.claims++
		}
		return fn(r)
	})
}

func migrate(ctx context.Context, from, to string) (moved, error) {
	var n moved
	if from == to {
		return n, fmt.Errorf("SFPDESK_DB and --to are the same store")
	}
	if !postgres.IsURL(from) {
		if _, err := os.Stat(from); err != nil {
			return n, fmt.Errorf("no database at %s (SFPDESK_DB)", from)
		}
	} else {
		// No file lock tells a running bot here: its leader lock does.
		ictx, cancel := context.WithTimeout(ctx, slackCheckTimeout)
		st, err := postgres.Inspect(ictx, from)
		cancel()
		if err == nil && st.Led {
			return n, fmt.Errorf("sfpdesk is running on %s: stop every replica first", dbName(from))
		}
	}
	src, _, err := openStore(ctx, from, &bolt.Options{Timeout: 200 * time.Millisecond})
	if errors.Is(err, store.ErrInUse) {
		return n, fmt.Errorf("%s is in use by a running sfpdesk: stop it first", from)
	}
	if err != nil {
		return n, fmt.Errorf("opening SFPDESK_DB: %v", err)
	}
	defer src.Close()
	created := false
	if !postgres.IsURL(to) {
		_, err := os.Stat(to)
		created = errors.Is(err, os.ErrNotExist)
	}
	dst, _, err := openStore(ctx, to, &bolt.Options{Timeout: 200 * time.Millisecond})
	if err != nil {
		return n, fmt.Errorf("opening %s: %v", dbName(to), err)
	}
	err = dst.(store.Importer).Import(ctx, countingExporter{src.(store.Exporter), &n})
	dst.Close()
	if err != nil && created {
		os.Remove(to)
	}
	if errors.Is(err, store.ErrNotEmpty) {
		return n, fmt.Errorf("%s already holds data: migrate copies into an empty store only", dbName(to))
	}
	return n, err
}

// checkPostgres connects to the database, giving up after
// slackCheckTimeout, and says which schema version it holds and whether a
// bot leads on it. It changes nothing: no migration, no lock taken.
func checkPostgres(url string) Problem {
	const name = "SFPDESK_DB"
	ctx, cancel := context.WithTimeout(context.Background(), slackCheckTimeout)
	defer cancel()
	st, err := postgres.Inspect(ctx, url)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("no answer within %s", slackCheckTimeout)
		}
		return Problem{Var: name, Level: levelError, Msg: fmt.Sprintf("cannot reach PostgreSQL at %s: %v: check the host, port, user, password and sslmode", dbName(url), err)}
	}
	return Problem{Var: name, Level: levelOK, Msg: fmt.Sprintf("(%s, %s)", dbName(url), st)}
}
