package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	neturl "net/url"
	"path"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sfpdesk/sfpdesk/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Advisory lock classes: the first key of pg_advisory_lock's two, the
// second being a hash of the schema, so that several sfpdesk databases in
// schemas of one PostgreSQL database keep apart.
const (
	lockMigrate = 0x5f9d0001
	lockNumbers = 0x5f9d0002
	lockLeader  = 0x5f9d0003
)

// wakeChannel is the NOTIFY channel; the payload is the schema.
const wakeChannel = "sfpdesk_wake"

// How transactions begin: writers serialisable, readers on one snapshot.
const (
	beginWrite = "BEGIN ISOLATION LEVEL SERIALIZABLE"
	beginRead  = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
)

// maxAttempts bounds how often a transaction that lost a serialisation
// conflict is tried again; each retry waits a little longer.
const maxAttempts = 50

// DB is a store.Store over a PostgreSQL database.
type DB struct {
	pool   *pgxpool.Pool
	schema string
	// mu guards the pool against Close racing transactions.
	mu     sync.RWMutex
	closed bool
	// retries counts transactions run again after a conflict.
	retries atomic.Int64
	// pids are the server processes of the pool's connections.
	pids sync.Map
	// reserved are the numbers ReserveCaseNumber handed out that no
	// committed case has yet: a case written with one is new.
	reserved sync.Map
}

// Owns reports whether pid is the server process of one of this store's
// connections: a notification from it is of a commit made here, whose
// workers were told already.
func (d *DB) Owns(pid uint32) bool {
	_, ok := d.pids.Load(pid)
	return ok
}

func (d *DB) isReserved(n uint64) bool {
	_, ok := d.reserved.Load(n)
	return ok
}

// Retries is how many transactions ran again after losing a conflict.
func (d *DB) Retries() int64 { return d.retries.Load() }

var _ store.Store = (*DB)(nil)

// IsURL reports whether s names a PostgreSQL database rather than a file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at url (postgres://…), creating or
// migrating the schema first. A search_path parameter in the URL puts
// sfpdesk in a schema of its own.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %v", redact(err))
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	}
	if !strings.Contains(url, "pool_max_conns") {
		// Writers wait on the disk, not the CPU: more of them share each
		// WAL flush.
		cfg.MaxConns = 40
	}
	d := &DB{}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		d.pids.Store(c.PgConn().PID(), true)
		return nil
	}
	cfg.BeforeClose = func(c *pgx.Conn) { d.pids.Delete(c.PgConn().PID()) }
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %v", redact(err))
	}
	d.pool = pool
	if err := d.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %v", redact(err))
	}
	return d, nil
}

// redact keeps a password out of an error that quotes the URL.
func redact(err error) error {
	s := err.Error()
	if i := strings.Index(s, "://"); i >= 0 {
		if j := strings.Index(s[i:], "@"); j >= 0 {
			if k := strings.Index(s[i+3:i+j], ":"); k >= 0 {
				return errors.New(s[:i+3+k] + ":xxxxx" + s[i+j:])
			}
		}
	}
	return err
}

// Schema is the schema sfpdesk's tables are in.
func (d *DB) Schema() string { return d.schema }

// Pool is the connection pool, for tests that look under the store.
func (d *DB) Pool() *pgxpool.Pool { return d.pool }

// migrate applies the embedded migrations not yet applied, in one
// transaction under an advisory lock: replicas starting together take
// turns, and the second finds the work done.
func (d *DB) migrate(ctx context.Context) error {
	var schema *string
	if err := d.pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return err
	}
	if schema == nil {
		return errors.New("the search_path names no schema that exists: create it first")
	}
	d.schema = *schema
	files, err := migrations.ReadDir("migrations")
	if err != nil {
		return err
	}
	type step struct {
		version int
		name    string
	}
	var steps []step
	for _, f := range files {
		v, err := strconv.Atoi(strings.SplitN(f.Name(), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: not numbered", f.Name())
		}
		steps = append(steps, step{v, f.Name()})
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].version < steps[j].version })
	return pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, lockMigrate); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		var done int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&done); err != nil {
			return err
		}
		for _, s := range steps {
			if s.version <= done {
				continue
			}
			sql, err := migrations.ReadFile(path.Join("migrations", s.name))
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return fmt.Errorf("migration %s: %w", s.name, err)
			}
			if err := d.afterMigration(ctx, tx, s.version); err != nil {
				return fmt.Errorf("migration %s: %w", s.name, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, s.version, s.name); err != nil {
				return err
			}
		}
		return nil
	})
}

// goMigrations are the steps, by version, that a migration needs done in
// Go, in its transaction: what SQL cannot derive.
var goMigrations = map[int]func(*tx) error{
	3: (*tx).fillSummaries,
}

func (d *DB) afterMigration(ctx context.Context, q querier, version int) error {
	step := goMigrations[version]
	if step == nil {
		return nil
	}
	// The migration's transaction is open already: the steps read and
	// write through it, as a read-only tx that queues its writes.
	t := &tx{ctx: ctx, q: q, db: d, pending: &pgx.Batch{}}
	return firstErr(step(t), t.send(nil, ""))
}

// Close closes the pool; transactions under way finish first.
func (d *DB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.closed {
		d.closed = true
		d.pool.Close()
	}
	return nil
}

func (d *DB) hold() (func(), error) {
	d.mu.RLock()
	if d.closed {
		d.mu.RUnlock()
		return nil, store.ErrClosed
	}
	return d.mu.RUnlock, nil
}

// Update runs fn in a serialisable transaction. Where bbolt has one writer
// at a time, PostgreSQL lets writers run together and aborts one of two
// that would not have given the same result one after the other: that one
// runs again, so fn may run more than once and must have no effect outside
// the transaction, as Batch's already must.
func (d *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	return d.write(ctx, fn)
}

// Batch is Update: PostgreSQL already lets concurrent commits share a WAL
// flush.
func (d *DB) Batch(ctx context.Context, fn func(store.Tx) error) error {
	return d.write(ctx, fn)
}

func (d *DB) write(ctx context.Context, fn func(store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := d.run(ctx, beginWrite, true, fn)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		d.retries.Add(1)
		// The winner of the conflict has committed: the first retry goes
		// at once, on its result. Later ones back off a little, at random,
		// so that writers crowding one row spread out.
		if attempt == 1 {
			continue
		}
		wait := time.Duration(rand.Int64N(int64(500*time.Microsecond) << min(attempt-2, 5)))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// View runs fn in a read-only transaction that sees one snapshot.
func (d *DB) View(ctx context.Context, fn func(store.Tx) error) error {
	return d.run(ctx, beginRead, false, fn)
}

func (d *DB) run(ctx context.Context, begin string, writable bool, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	done, err := d.hold()
	if err != nil {
		return err
	}
	defer done()
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	// A connection released inside a transaction is closed, never reused.
	defer conn.Release()
	t := &tx{ctx: ctx, q: conn, db: d, writable: writable, pending: &pgx.Batch{}}
	t.pending.Queue(begin)
	err = fn(t)
	if err == nil && t.failed == nil {
		err = t.send(func(res pgx.BatchResults) error {
			_, err := res.Exec()
			return err
		}, "COMMIT")
		if err == nil {
			for _, n := range t.wrote {
				d.reserved.Delete(n)
			}
			return nil
		}
	}
	if t.begun {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		conn.Exec(rctx, "ROLLBACK")
		cancel()
	}
	if t.failed != nil && (err == nil || retryable(t.failed)) {
		// fn went on after a statement failed, or the failure was a
		// conflict that fn wrapped: the transaction's outcome is the
		// statement's.
		return t.failed
	}
	return err
}

// retryable reports a serialisation failure or a deadlock: the transaction
// did nothing and may be tried again.
func retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}

// ReserveCaseNumber takes the next number from the sequence, outside any
// transaction: every replica draws from the same one.
func (d *DB) ReserveCaseNumber(ctx context.Context) (uint64, error) {
	done, err := d.hold()
	if err != nil {
		return 0, err
	}
	defer done()
	var n int64
	err = d.pool.QueryRow(ctx, `SELECT nextval('case_numbers') FROM (SELECT pg_advisory_xact_lock_shared($1, hashtext(current_schema()))) l`, lockNumbers).Scan(&n)
	if err == nil {
		d.reserved.Store(uint64(n), struct{}{})
	}
	return uint64(n), err
}

// ReleaseCaseNumber gives n back when it is still the last number handed
// out. Taking numbers holds a shared lock and giving one back the
// exclusive one, so nobody draws a number between the look and the reset.
func (d *DB) ReleaseCaseNumber(n uint64) {
	d.reserved.Delete(n)
	done, err := d.hold()
	if err != nil {
		return
	}
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = pgx.BeginFunc(ctx, d.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`, lockNumbers); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT setval('case_numbers', $1, false) FROM case_numbers WHERE is_called AND last_value = $1`, int64(n))
		return err
	})
}

// Backup writes every record as JSON lines (see Export). A restorable
// copy of a PostgreSQL database is pg_dump's business; this stream is for
// reading and for moving to another store.
func (d *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	return store.WriteExport(ctx, d, w)
}

// Redact is url without its password, for logs and messages.
func Redact(url string) string {
	u, err := neturl.Parse(url)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// Status is what Inspect finds.
type Status struct {
	Server  string // the server's version
	Schema  string
	Version int  // the last migration applied, 0 for a database not yet used
	Led     bool // a replica holds the leader lock
}

func (s Status) String() string {
	lead := "no bot running"
	if s.Led {
		lead = "a bot leads"
	}
	if s.Version == 0 {
		return fmt.Sprintf("PostgreSQL %s, schema %s not created yet: serve creates it", s.Server, s.Schema)
	}
	return fmt.Sprintf("PostgreSQL %s, schema %s at version %d, %s", s.Server, s.Schema, s.Version, lead)
}

// Inspect looks at the database at url without changing it: one
// connection, no migration, no lock taken.
func Inspect(ctx context.Context, url string) (Status, error) {
	var st Status
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return st, redact(err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var schema *string
	if err := conn.QueryRow(ctx, `SELECT current_setting('server_version'), current_schema()`).Scan(&st.Server, &schema); err != nil {
		return st, err
	}
	if schema == nil {
		return st, errors.New("the search_path names no schema that exists")
	}
	st.Schema = *schema
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil || !exists {
		return st, err
	}
	err = conn.QueryRow(ctx, `SELECT (SELECT coalesce(max(version), 0) FROM schema_migrations),
		EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 2
			AND classid::text::bigint = $1 AND objid::text::bigint = (hashtext(current_schema())::bigint & 4294967295))`, lockLeader).Scan(&st.Version, &st.Led)
	return st, err
}
