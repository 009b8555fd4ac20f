package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

func openEventsDB(t *testing.T) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "sfpdesk.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func rawCase(t *testing.T, db *DB, n uint64) (record []byte, events int) {
	t.Helper()
	db.db.View(func(btx *bbolt.Tx) error {
		record = bytes.Clone(btx.Bucket(bCases).Get(u64(n)))
		c := btx.Bucket(bEvents).Cursor()
		for k, _ := c.Seek(u64(n)); k != nil && bytes.HasPrefix(k, u64(n)); k, _ = c.Next() {
			events++
		}
		return nil
	})
	return record, events
}

// A reply adds an event and writes it alone: the case's record stays the
// size of its fields however long its thread.
func TestRepliesDoNotGrowTheRecord(t *testing.T) {
	ctx := context.Background()
	db := openEventsDB(t)
	var id string
	var first []byte
	for i := range 200 {
		err := db.Update(ctx, func(tx store.Tx) error {
			var c *sfp.Case
			if i == 0 {
				n, _ := tx.NextCaseNumber()
				c = &sfp.Case{ID: sfp.CaseID(n), Number: n, Seller: "acme", State: sfp.StateOpen}
				id = c.ID
			} else {
				var err error
				if c, err = tx.Case(id); err != nil {
					return err
				}
			}
			c.AddEvent(time.Date(2026, 12, 3, 9, 0, i, 0, time.UTC), sfp.EventReply, "U0SELLER", fmt.Sprint(i))
			return tx.PutCase(c)
		})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first, _ = rawCase(t, db, sfp.FirstCaseNumber)
		}
	}
	record, events := rawCase(t, db, sfp.FirstCaseNumber)
	if !bytes.Equal(record, first) {
		t.Errorf("the record changed with its events:\n%s\n%s", first, record)
	}
	if events != 200 {
		t.Errorf("%d events stored, want 200", events)
	}
}

// A record written when a case's events lived inside it still reads, and
// its next write moves them to their own keys.
func TestHistoryInsideAnOldRecordMovesOut(t *testing.T) {
	ctx := context.Background()
	db := openEventsDB(t)
	at := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	old := sfp.Case{ID: "SFP-1001", Number: 1001, Seller: "acme", State: sfp.StateOpen}
	old.AddEvent(at, sfp.EventCreated, "U1", "")
	old.AddEvent(at.Add(time.Hour), sfp.EventReply, "U2", "")
	v, _ := json.Marshal(&old)
	if !bytes.Contains(v, []byte(`"events"`)) {
		t.Fatal("the old record should hold its events")
	}
	db.db.Update(func(btx *bbolt.Tx) error { return btx.Bucket(bCases).Put(u64(1001), v) })

	db.Update(ctx, func(tx store.Tx) error {
		c, err := tx.Case("SFP-1001")
		if err != nil || len(c.Events) != 2 {
			t.Fatalf("old record: %v, %v", c, err)
		}
		c.AddEvent(at.Add(2*time.Hour), sfp.EventAnswered, "U2", "2h0m0s")
		return tx.PutCase(c)
	})
	record, events := rawCase(t, db, 1001)
	if bytes.Contains(record, []byte(`"events"`)) || events != 3 {
		t.Errorf("after a write: record %s, %d events under their keys", record, events)
	}
	db.View(ctx, func(tx store.Tx) error {
		c, _ := tx.Case("SFP-1001")
		if len(c.Events) != 3 || c.Events[0].Type != sfp.EventCreated || c.Events[2].Detail != "2h0m0s" {
			t.Errorf("history = %+v", c.Events)
		}
		return nil
	})
}

func FuzzEventEncoding(f *testing.F) {
	f.Add(int64(1796288400), int32(3600), "reply", "U0SELLER", "1h2m0s")
	f.Add(int64(0), int32(0), "", "", "")
	f.Add(int64(-62135596800), int32(-43200), "held", "U\x00", "\xff\xfe")
	f.Fuzz(func(t *testing.T, sec int64, off int32, typ, by, detail string) {
		// Offsets as time.Time keeps them: whole minutes within a day.
		off = off % 86400 / 60 * 60
		e := sfp.Event{At: time.Unix(sec, 0).In(time.FixedZone("", int(off))), Type: typ, By: by, Detail: detail}
		v, err := encodeEvent(e)
		if err != nil {
			return // a time MarshalBinary refuses: not one a clock gives
		}
		got, err := decodeEvent(v)
		if err != nil || !got.At.Equal(e.At) || got.Type != typ || got.By != by || got.Detail != detail {
			t.Fatalf("round trip of %+v: %+v, %v", e, got, err)
		}
		// Any prefix or extension is refused, never read as another event.
		if _, err := decodeEvent(v[:len(v)-1]); err == nil {
			t.Fatalf("a cut value decoded: %x", v[:len(v)-1])
		}
		if _, err := decodeEvent(append(v, 0)); err == nil {
			t.Fatalf("a value with a trailing byte decoded: %x", v)
		}
	})
}

func FuzzDecodeEvent(f *testing.F) {
	v, _ := encodeEvent(sfp.Event{At: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC), Type: "reply", By: "U1"})
	f.Add(v)
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, v []byte) {
		e, err := decodeEvent(v)
		if err != nil {
			return
		}
		// What decodes is an event that stores and reads back as itself
		// (a time's bytes need not be canonical: time.Time normalises).
		again, err := encodeEvent(e)
		if err != nil {
			return
		}
		e2, err := decodeEvent(again)
		if err != nil || !e2.At.Equal(e.At) || e2.Type != e.Type || e2.By != e.By || e2.Detail != e.Detail {
			t.Fatalf("%x decoded to %+v, which stores as %x and reads as %+v (%v)", v, e, again, e2, err)
		}
	})
}

// BenchmarkForEachCase reads every case of a store of 20,000, six events
// each, as /sfp stats does: with the history under its own keys, and with
// it inside each record as it was once stored.
func BenchmarkForEachCase(b *testing.B) {
	for _, inside := range []bool{false, true} {
		name := "events-under-own-keys"
		if inside {
			name = "events-inside-record"
		}
		b.Run(name, func(b *testing.B) {
			db, err := Open(filepath.Join(b.TempDir(), "sfpdesk.db"), &Options{NoSync: true})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
			const cases = 20000
			for from := 0; from < cases; from += 1000 {
				err := db.Update(context.Background(), func(stx store.Tx) error {
					for i := from; i < from+1000; i++ {
						n := uint64(sfp.FirstCaseNumber + i)
						c := &sfp.Case{ID: sfp.CaseID(n), Number: n, Seller: "acme", State: sfp.StateClosed, Subject: "Is the lamp dimmable?"}
						for _, typ := range []string{sfp.EventCreated, sfp.EventTaken, sfp.EventDrafted, sfp.EventDraftSent, sfp.EventAnswered, sfp.EventClosed} {
							c.AddEvent(at, typ, "U0SELLER", "")
						}
						if !inside {
							if err := stx.PutCase(c); err != nil {
								return err
							}
							continue
						}
						v, _ := json.Marshal(c)
						if err := stx.(*tx).bucket(bCases).Put(u64(n), v); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			for b.Loop() {
				seen := 0
				db.View(context.Background(), func(tx store.Tx) error {
					return tx.ForEachCase(func(c *sfp.Case) bool { seen += len(c.Events); return true })
				})
				if seen != cases*6 {
					b.Fatalf("%d events read", seen)
				}
			}
		})
	}
}
