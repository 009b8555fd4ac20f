package bolt

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

var (
	_ store.Exporter = (*DB)(nil)
	_ store.Importer = (*DB)(nil)
)

// Export lists every record from one read transaction.
func (d *DB) Export(ctx context.Context, fn func(store.Record) error) error {
	return d.View(ctx, func(stx store.Tx) error {
		t := stx.(*tx)
		var stop error
		err := t.ForEachCase(func(c *sfp.Case) bool {
			stop = fn(store.Record{Case: c})
			return stop == nil
		})
		if stop != nil {
			return stop
		}
		if err != nil {
			return err
		}
		sellers, err := t.Sellers()
		if err != nil {
			return err
		}
		for _, s := range sellers {
			if err := fn(store.Record{Seller: s}); err != nil {
				return err
			}
		}
		if root := t.bucket(bSeen); root != nil {
			err := root.ForEachBucket(func(space []byte) error {
				return root.Bucket(space).ForEach(func(k, v []byte) error {
					if len(v) < 8 {
						return nil
					}
					at := int64(binary.BigEndian.Uint64(v[:8]))
					return fn(store.Record{Seen: &store.SeenKey{Space: string(space), Key: string(k), Value: string(v[8:]), At: unixTime(at)}})
				})
			})
			if err != nil {
				return err
			}
		}
		each := func(b []byte, decode func(v []byte) (store.Record, error)) error {
			bk := t.bucket(b)
			if bk == nil {
				return nil
			}
			return bk.ForEach(func(_, v []byte) error {
				r, err := decode(v)
				if err != nil {
					return err
				}
				return fn(r)
			})
		}
		err = each(bDue, func(v []byte) (store.Record, error) {
			var e store.DueEntry
			return store.Record{Due: &e}, json.Unmarshal(v, &e)
		})
		if err != nil {
			return err
		}
		err = each(bOutbox, func(v []byte) (store.Record, error) {
			m, err := decodeOutbox(v)
			return store.Record{Outbox: m}, err
		})
		if err != nil {
			return err
		}
		err = each(bCallbacks, func(v []byte) (store.Record, error) {
			var cb store.Callback
			return store.Record{Callback: &cb}, json.Unmarshal(v, &cb)
		})
		if err != nil {
			return err
		}
		err = each(bClaims, func(v []byte) (store.Record, error) {
			var cl sfp.Claim
			return store.Record{Claim: &cl}, json.Unmarshal(v, &cl)
		})
		if err != nil {
			return err
		}
		c := store.Counters{NextCase: nextCaseNumber(t.btx), NextClaim: sfp.FirstClaimNumber, NextOutbox: 1, NextCallback: 1}
		if v := t.bucket(bMeta).Get(kNextClaim); len(v) == 8 {
			c.NextClaim = binary.BigEndian.Uint64(v)
		}
		if b := t.bucket(bOutbox); b != nil {
			c.NextOutbox = b.Sequence() + 1
		}
		if b := t.bucket(bCallbacks); b != nil {
			c.NextCallback = b.Sequence() + 1
		}
		return fn(store.Record{Counters: &c})
	})
}

// Import copies every record of from into this store, which must be
// empty, in one transaction.
func (d *DB) Import(ctx context.Context, from store.Exporter) error {
	return d.Update(ctx, func(stx store.Tx) error {
		t := stx.(*tx)
		for _, b := range allBuckets {
			if string(b) == string(bMeta) {
				continue
			}
			if k, _ := t.btx.Bucket(b).Cursor().First(); k != nil {
				return store.ErrNotEmpty
			}
		}
		c, err := store.ImportInto(ctx, t, from)
		if err != nil {
			return err
		}
		if err := t.bucket(bMeta).Put(kNextCase, u64(c.NextCase)); err != nil {
			return err
		}
		if err := t.bucket(bMeta).Put(kNextClaim, u64(c.NextClaim)); err != nil {
			return err
		}
		if err := t.bucket(bOutbox).SetSequence(c.NextOutbox - 1); err != nil {
			return err
		}
		if err := t.bucket(bCallbacks).SetSequence(c.NextCallback - 1); err != nil {
			return err
		}
		d.nums.mu.Lock()
		d.nums.next = max(d.nums.next, c.NextCase)
		d.nums.mu.Unlock()
		return nil
	})
}

// unixTime undoes Remember's UnixNano.
func unixTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }
