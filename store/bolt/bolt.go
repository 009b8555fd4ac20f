package bolt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/sfpdesk/sfpdesk/store"
)

// Options tune Open. A nil *Options means the defaults.
type Options struct {
	// Timeout is how long Open waits for another process to release the
	// file. Default 1s.
	Timeout time.Duration
	// ReadOnly opens the file for reading only (shared lock).
	ReadOnly bool
	// NoSync skips fsync on commit: for benchmarks only, never production.
	NoSync bool
}

// DB is a store.Store over one bbolt file.
type DB struct {
	path string
	opts *bbolt.Options
	db   *bbolt.DB
	mu   sync.RWMutex // guards db against Close racing transactions
	gc   committer
	nums caseNumbers
}

var _ store.Store = (*DB)(nil)

// Open opens or creates the database at path.
func Open(path string, opts *Options) (*DB, error) {
	o := Options{Timeout: time.Second}
	if opts != nil {
		o = *opts
		if o.Timeout == 0 {
			o.Timeout = time.Second
		}
	}
	bo := &bbolt.Options{Timeout: o.Timeout, ReadOnly: o.ReadOnly, NoSync: o.NoSync, FreelistType: bbolt.FreelistMapType}
	bdb, err := bbolt.Open(path, 0o600, bo)
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w", path, store.ErrInUse)
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	d := &DB{path: path, opts: bo, db: bdb}
	if !o.ReadOnly {
		err := bdb.Update(func(btx *bbolt.Tx) error {
			backfill := btx.Bucket(bCases) != nil && btx.Bucket(bReceived) == nil
			if err := createBuckets(btx); err != nil {
				return err
			}
			if backfill {
				if err := indexReceived(btx); err != nil {
					return err
				}
			}
			d.nums.next = nextCaseNumber(btx)
			return nil
		})
		if err != nil {
			bdb.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	return d, nil
}

// Path is the database file's path.
func (d *DB) Path() string { return d.path }

// Close closes the file; transactions under way finish first.
func (d *DB) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.db == nil {
		return nil
	}
	err := d.db.Close()
	d.db = nil
	return err
}

func (d *DB) handle() (*bbolt.DB, func(), error) {
	d.mu.RLock()
	if d.db == nil {
		d.mu.RUnlock()
		return nil, nil, store.ErrClosed
	}
	return d.db, d.mu.RUnlock, nil
}

// with runs fn on the open bbolt handle, holding off Close and Compact.
func (d *DB) with(ctx context.Context, fn func(*bbolt.DB) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db, done, err := d.handle()
	if err != nil {
		return err
	}
	defer done()
	return fn(db)
}

func (d *DB) Update(ctx context.Context, fn func(store.Tx) error) error {
	return d.with(ctx, func(db *bbolt.DB) error {
		return db.Update(func(btx *bbolt.Tx) error { return fn(&tx{btx: btx, db: d}) })
	})
}

func (d *DB) Batch(ctx context.Context, fn func(store.Tx) error) error {
	return d.with(ctx, func(db *bbolt.DB) error {
		return d.gc.batch(db, func(btx *bbolt.Tx) error { return fn(&tx{btx: btx, db: d}) })
	})
}

func (d *DB) View(ctx context.Context, fn func(store.Tx) error) error {
	return d.with(ctx, func(db *bbolt.DB) error {
		return db.View(func(btx *bbolt.Tx) error { return fn(&tx{btx: btx, db: d}) })
	})
}

// ReserveCaseNumber hands out a case number outside any transaction.
func (d *DB) ReserveCaseNumber(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	_, done, err := d.handle()
	if err != nil {
		return 0, err
	}
	defer done()
	if d.opts.ReadOnly {
		return 0, fmt.Errorf("reserve case number: %s is open read-only", d.path)
	}
	return d.nums.take(), nil
}

// ReleaseCaseNumber gives back n when no number was handed out since.
func (d *DB) ReleaseCaseNumber(n uint64) { d.nums.release(n) }

// caseNumbers is the counter of case numbers. One process holds the file
// (bbolt's lock), so memory is the truth while it runs; PutCase records
// the highest number written, from which Open starts again.
type caseNumbers struct {
	mu   sync.Mutex
	next uint64
}

func (c *caseNumbers) take() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.next
	c.next++
	return n
}

// release takes back n if it was the last handed out: a request that
// turned out to be a repeat leaves no gap behind it.
func (c *caseNumbers) release(n uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next == n+1 {
		c.next = n
	}
}

// Backup streams a consistent snapshot: a read transaction sees one
// committed state however long the copy takes, and writers carry on.
func (d *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := d.with(ctx, func(db *bbolt.DB) error {
		return db.View(func(btx *bbolt.Tx) error {
			var err error
			n, err = btx.WriteTo(w)
			return err
		})
	})
	return n, err
}

// Check verifies the file's internal consistency (bbolt's own check); tests
// run it on every database they leave behind.
func (d *DB) Check() error {
	return d.with(context.Background(), func(db *bbolt.DB) error {
		return db.View(func(btx *bbolt.Tx) error {
			var errs []error
			for e := range btx.Check() {
				errs = append(errs, e)
			}
			return errors.Join(errs...)
		})
	})
}

// BackupFile writes a consistent copy of the database at src to dst without
// a running bot: it opens src read-only (failing fast with store.ErrInUse if
// a bot holds it), writes to a temporary file beside dst and renames it, so
// that dst is never half-written.
func BackupFile(src, dst string, force bool) (int64, error) {
	if _, err := os.Stat(src); err != nil {
		return 0, err
	}
	db, err := Open(src, &Options{ReadOnly: true, Timeout: 200 * time.Millisecond})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	return WriteFileAtomic(dst, force, func(w io.Writer) (int64, error) {
		return db.Backup(context.Background(), w)
	})
}

// WriteFileAtomic writes dst through a temporary file and a rename. It
// refuses to replace an existing dst unless force is set.
func WriteFileAtomic(dst string, force bool, write func(io.Writer) (int64, error)) (int64, error) {
	if !force {
		if _, err := os.Stat(dst); err == nil {
			return 0, fmt.Errorf("%s exists: add --force to overwrite it", dst)
		}
	}
	f, err := os.CreateTemp(dirOf(dst), ".sfpdesk-backup-*")
	if err != nil {
		return 0, err
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	n, err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return 0, err
	}
	if !force {
		if _, err := os.Stat(dst); err == nil {
			return 0, fmt.Errorf("%s exists: add --force to overwrite it", dst)
		}
	}
	return n, os.Rename(tmp, dst)
}

func dirOf(p string) string {
	for i := len(p) - 1; i >= 0; i-- {
		if p[i] == '/' || p[i] == os.PathSeparator {
			if i == 0 {
				return "/"
			}
			return p[:i]
		}
	}
	return "."
}

// Stats are bbolt's counters (commits, pages written, time spent
// writing), for the figures of how well writers share commits.
func (d *DB) Stats() bbolt.Stats {
	db, done, err := d.handle()
	if err != nil {
		return bbolt.Stats{}
	}
	defer done()
	return db.Stats()
}
