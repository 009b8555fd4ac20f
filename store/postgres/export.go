package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

var (
	_ store.Exporter = (*DB)(nil)
	_ store.Importer = (*DB)(nil)
)

// Export lists every record from one snapshot.
func (d *DB) Export(ctx context.Context, fn func(store.Record) error) error {
	return d.View(ctx, func(stx store.Tx) error {
		t := stx.(*tx)
		var stop error
		err := t.ForEachCase(func(c *sfp.Case) bool {
			stop = fn(store.Record{Case: c})
			return stop == nil
		})
		if err = firstErr(stop, err); err != nil {
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
		var seen []store.SeenKey
		err = t.rows(func(r pgx.Rows) error {
			var k store.SeenKey
			var key, value []byte
			if err := r.Scan(&k.Space, &key, &value, &k.At); err != nil {
				return err
			}
			k.Key, k.Value = string(key), string(value)
			seen = append(seen, k)
			return nil
		}, `SELECT space, key, value, at FROM seen ORDER BY space, key`)
		if err != nil {
			return err
		}
		for i := range seen {
			if err := fn(store.Record{Seen: &seen[i]}); err != nil {
				return err
			}
		}
		due, err := t.dueEntries(`SELECT entry::text FROM due ORDER BY at, case_id, kind, detail`)
		if err != nil {
			return err
		}
		for i := range due {
			if err := fn(store.Record{Due: &due[i]}); err != nil {
				return err
			}
		}
		msgs, err := t.outbox(`SELECT id, data::text, blocks::text FROM outbox ORDER BY id`)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if err := fn(store.Record{Outbox: m}); err != nil {
				return err
			}
		}
		cbs, err := t.callbacks(`SELECT data::text FROM callbacks ORDER BY id`)
		if err != nil {
			return err
		}
		for _, cb := range cbs {
			if err := fn(store.Record{Callback: cb}); err != nil {
				return err
			}
		}
		cls, err := t.claims(`SELECT data::text FROM claims ORDER BY number`)
		if err != nil {
			return err
		}
		for _, cl := range cls {
			if err := fn(store.Record{Claim: cl}); err != nil {
				return err
			}
		}
		var c store.Counters
		var nc, nclaim, no, ncb int64
		_, err = t.one(`SELECT
			(SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM case_numbers),
			(SELECT value FROM counters WHERE name = 'claim'),
			(SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM outbox_ids),
			(SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM callback_ids)`, nil, &nc, &nclaim, &no, &ncb)
		if err != nil {
			return err
		}
		c.NextCase, c.NextClaim, c.NextOutbox, c.NextCallback = uint64(nc), uint64(nclaim), uint64(no), uint64(ncb)
		return fn(store.Record{Counters: &c})
	})
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// Import copies every record of from into this store, which must be empty,
// in one transaction.
func (d *DB) Import(ctx context.Context, from store.Exporter) error {
	return d.run(ctx, beginWrite, true, func(stx store.Tx) error {
		t := stx.(*tx)
		var used bool
		if _, err := t.one(`SELECT EXISTS (SELECT 1 FROM cases) OR EXISTS (SELECT 1 FROM sellers) OR EXISTS (SELECT 1 FROM seen)
			OR EXISTS (SELECT 1 FROM due) OR EXISTS (SELECT 1 FROM outbox) OR EXISTS (SELECT 1 FROM callbacks) OR EXISTS (SELECT 1 FROM claims)`, nil, &used); err != nil {
			return err
		}
		if used {
			return store.ErrNotEmpty
		}
		c, err := store.ImportInto(ctx, t, from)
		if err != nil {
			return err
		}
		// setval(…, n, false): the next nextval returns n. PutCase already
		// moved case_numbers past every case written.
		_, err = t.exec(`SELECT
			setval('case_numbers', greatest($1, (SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM case_numbers)), false),
			setval('outbox_ids', greatest($2, 1), false),
			setval('callback_ids', greatest($3, 1), false)`, int64(c.NextCase), int64(c.NextOutbox), int64(c.NextCallback))
		if err != nil {
			return err
		}
		_, err = t.exec(`UPDATE counters SET value = $1 WHERE name = 'claim'`, int64(c.NextClaim))
		return err
	})
}

// purgeTables are the tables a purge of buyer data rewrites.
var purgeTables = []string{"cases", "events", "outbox", "callbacks", "claims", "seen"}

// Compact makes a purge of buyer data true on disk: an UPDATE or DELETE
// leaves the old row version in the table's pages until a vacuum, and a
// plain VACUUM frees its space without overwriting it. VACUUM FULL writes
// each table afresh with its live rows only and drops the old files.
// It holds each table alone while it copies it, so it runs after the
// purge's commit, one table at a time. It returns the tables' sizes
// before and after.
func (d *DB) Compact() (before, after int64, err error) {
	done, err := d.hold()
	if err != nil {
		return 0, 0, err
	}
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	size := func() (int64, error) {
		var n int64
		err := d.pool.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
			WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY($1)`, purgeTables).Scan(&n)
		return n, err
	}
	if before, err = size(); err != nil {
		return 0, 0, fmt.Errorf("vacuum: %w", err)
	}
	for _, table := range purgeTables {
		if _, err := d.pool.Exec(ctx, `VACUUM (FULL, ANALYZE) `+pgx.Identifier{table}.Sanitize()); err != nil {
			return before, 0, fmt.Errorf("vacuum %s: %w", table, err)
		}
	}
	after, err = size()
	return before, after, err
}
