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

// MaxBatchDelay is how long Batch waits for other writers to share its
// commit.
const MaxBatchDelay = time.Millisecond

// DB is a store.Store over one bbolt file.
type DB struct {
	path string
	opts *bbolt.Options
	db   *bbolt.DB
	mu   sync.RWMutex // guards db against Close racing transactions
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
	// Batch groups the commits of concurrent handlers into one fsync, but
	// bbolt's default makes every request wait up to 10 ms for company:
	// most of a Slack acknowledgement's time at 200 requests a second.
	// Commits take longer than a millisecond under load anyway, so
	// batches still fill while one commits, and throughput is as high.
	bdb.MaxBatchDelay = MaxBatchDelay
	d := &DB{path: path, opts: bo, db: bdb}
	if !o.ReadOnly {
		if err := bdb.Update(createBuckets); err != nil {
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
		return db.Update(func(btx *bbolt.Tx) error { return fn(&tx{btx}) })
	})
}

func (d *DB) Batch(ctx context.Context, fn func(store.Tx) error) error {
	return d.with(ctx, func(db *bbolt.DB) error {
		return db.Batch(func(btx *bbolt.Tx) error { return fn(&tx{btx}) })
	})
}

func (d *DB) View(ctx context.Context, fn func(store.Tx) error) error {
	return d.with(ctx, func(db *bbolt.DB) error {
		return db.View(func(btx *bbolt.Tx) error { return fn(&tx{btx}) })
	})
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
		return 0, fmt.Errorf("backup: %w", err)
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
