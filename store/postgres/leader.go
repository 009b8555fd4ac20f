package postgres

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
)

// Leader elects the one replica that runs the workers (outbox, scheduler,
// callbacks): the one holding a session-level advisory lock. The lock is
// held on a connection of its own, never one of the pool's: a pooled
// connection goes back to the pool with its session, lock and all, and
// whoever borrows it next would hold the lock unknowingly.
//
// A replica that dies loses the lock with its session: at once when its
// process is killed (the server sees the socket close), within about ten
// seconds when the network between them is cut (the session asks the
// server to probe the idle socket every two seconds after five). The
// leader itself checks its connection every Check; if the check fails it
// stops leading before the server can have given the lock to another.
type Leader struct {
	// URL is the database's, as for Open.
	URL string
	Log *slog.Logger
	// Check is how often the leader checks that it still holds the lock,
	// and how often a follower tries to take it. Default 1s.
	Check time.Duration
	// Wake is called on the leader when a commit on any replica left work
	// for the workers, unless Local says the commit was this process's
	// own (which told its workers itself).
	Wake  func()
	Local func(pid uint32) bool

	leading atomic.Bool
}

// Leading reports whether this replica leads now.
func (l *Leader) Leading() bool { return l.leading.Load() }

func (l *Leader) check() time.Duration {
	if l.Check <= 0 {
		return time.Second
	}
	return l.Check
}

func (l *Leader) log() *slog.Logger {
	if l.Log == nil {
		return slog.Default()
	}
	return l.Log
}

// Run campaigns until ctx is cancelled. Each time this replica takes the
// lock, lead runs with a context that is cancelled when the lock is lost
// or ctx is; Run waits for lead to return before it campaigns again.
func (l *Leader) Run(ctx context.Context, lead func(context.Context)) {
	cfg, err := pgx.ParseConfig(l.URL)
	if err != nil {
		l.log().Error("leader election: bad database URL", "err", redact(err))
		return
	}
	// Settings of this session only: the server probes the socket when
	// idle so that a cut network frees the lock in seconds, not hours.
	for k, v := range map[string]string{
		"application_name": "sfpdesk leader", "tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2",
		"tcp_keepalives_count": "3", "tcp_user_timeout": "10000",
	} {
		cfg.RuntimeParams[k] = v
	}
	if cfg.ConnectTimeout == 0 || cfg.ConnectTimeout > 5*time.Second {
		cfg.ConnectTimeout = 5 * time.Second
	}
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			if ctx.Err() == nil {
				l.log().Warn("leader election: cannot connect; trying again", "err", redact(err))
			}
			sleep(ctx, 2*l.check())
			continue
		}
		l.campaign(ctx, conn, lead)
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn.Close(cctx)
		cancel()
	}
}

// campaign waits on conn for the lock, then leads while it holds it. It
// returns when the connection fails or ctx is cancelled.
func (l *Leader) campaign(ctx context.Context, conn *pgx.Conn, lead func(context.Context)) {
	for {
		var got bool
		qctx, cancel := context.WithTimeout(ctx, l.check()+5*time.Second)
		err := conn.QueryRow(qctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, lockLeader).Scan(&got)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				l.log().Warn("leader election: the lock's connection failed", "err", err)
			}
			return
		}
		if got {
			break
		}
		if !sleep(ctx, l.check()) {
			return
		}
	}
	var schema string
	if _, err := conn.Exec(ctx, "LISTEN "+wakeChannel); err != nil {
		return
	}
	if err := conn.QueryRow(ctx, `SELECT current_schema()`).Scan(&schema); err != nil {
		return
	}
	lctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	l.leading.Store(true)
	l.log().Info("leading: this replica runs the outbox, the scheduler and callbacks")
	go func() {
		defer close(done)
		lead(lctx)
	}()
	checked := time.Now()
	for ctx.Err() == nil {
		wctx, cancel := context.WithTimeout(ctx, l.check())
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err == nil {
			if n.Payload == schema && l.Wake != nil && (l.Local == nil || !l.Local(n.PID)) {
				l.Wake()
			}
			if time.Since(checked) < l.check() {
				continue
			}
		} else if ctx.Err() != nil || !errors.Is(err, context.DeadlineExceeded) {
			if ctx.Err() == nil {
				l.log().Warn("leader election: the lock's connection failed", "err", err)
			}
			break
		}
		if !l.holds(ctx, conn) {
			break
		}
		checked = time.Now()
	}
	l.leading.Store(false)
	stop()
	<-done
	if ctx.Err() == nil {
		l.log().Warn("no longer leading: the workers stopped; campaigning again")
	}
	// Closing the connection (the caller does) releases the lock.
}

// holds checks, within one Check, that the session still has the lock.
func (l *Leader) holds(ctx context.Context, conn *pgx.Conn) bool {
	qctx, cancel := context.WithTimeout(ctx, l.check())
	defer cancel()
	var n int
	err := conn.QueryRow(qctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
		AND classid::text::bigint = $1 AND objid::text::bigint = (hashtext(current_schema())::bigint & 4294967295) AND objsubid = 2`, lockLeader).Scan(&n)
	if err != nil || n == 0 {
		if ctx.Err() == nil {
			l.log().Warn("leader election: cannot confirm the lock", "err", err)
		}
		return false
	}
	return true
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
