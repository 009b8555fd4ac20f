package bolt

import (
	"fmt"
	"os"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// Compact rewrites the database into a fresh file and swaps it in. bbolt
// keeps deleted values in free pages, where a raw read of the file still
// finds them; erasing a buyer's data is only true once the file has been
// compacted. Every transaction waits while the copy is made (the store is
// paused, not closed), and the swap is a rename, so a crash leaves either
// the old file or the new one, never half of each.
func (d *DB) Compact() (before, after int64, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.db == nil {
		return 0, 0, fmt.Errorf("compact: database closed")
	}
	if fi, err := os.Stat(d.path); err == nil {
		before = fi.Size()
	}
	tmp := d.path + ".compact"
	os.Remove(tmp)
	dst, err := bbolt.Open(tmp, 0o600, &bbolt.Options{Timeout: time.Second, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return before, 0, fmt.Errorf("compact: %w", err)
	}
	if err := bbolt.Compact(dst, d.db, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return before, 0, fmt.Errorf("compact: %w", err)
	}
	if err := dst.Sync(); err != nil {
		dst.Close()
		os.Remove(tmp)
		return before, 0, fmt.Errorf("compact: %w", err)
	}
	dst.Close()
	opts := *d.opts
	opts.Timeout = time.Second
	if err := d.db.Close(); err != nil {
		os.Remove(tmp)
		return before, 0, fmt.Errorf("compact: %w", err)
	}
	if err := os.Rename(tmp, d.path); err != nil {
		// The old file is intact: reopen it so the bot carries on.
		d.db, _ = bbolt.Open(d.path, 0o600, &opts)
		return before, 0, fmt.Errorf("compact: %w", err)
	}
	if d.db, err = bbolt.Open(d.path, 0o600, &opts); err != nil {
		d.db = nil
		return before, 0, fmt.Errorf("compact: reopening: %w", err)
	}
	if fi, err := os.Stat(d.path); err == nil {
		after = fi.Size()
	}
	return before, after, nil
}
