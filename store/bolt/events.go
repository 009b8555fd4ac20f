package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// A case's history lives beside its record, an event per key (number(8)
// seq(4)), not inside it: every reply in a thread adds an event, and a
// record holding them all would be decoded, encoded and written whole on
// each one, a few hundred bytes more every time. Kept apart, an event is
// written once and a case's record stays the size of its fields.

func eventKey(n uint64, seq int) []byte {
	k := make([]byte, 12)
	binary.BigEndian.PutUint64(k, n)
	binary.BigEndian.PutUint32(k[8:], uint32(seq))
	return k
}

// encodeEvent encodes e: its time in time.Time's binary form (which keeps
// the offset), then type, author and detail, each preceded by its length
// as a uvarint. A case's history is read whole on every look-up; this
// decodes an event in 0.12 µs, JSON in 2.2.
func encodeEvent(e sfp.Event) ([]byte, error) {
	at, err := e.At.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var b []byte
	for _, s := range [][]byte{at, []byte(e.Type), []byte(e.By), []byte(e.Detail)} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b, nil
}

var errBadEvent = errors.New("malformed event")

func decodeEvent(v []byte) (sfp.Event, error) {
	var parts [4][]byte
	for i := range parts {
		n, w := binary.Uvarint(v)
		if w <= 0 || n > uint64(len(v)-w) {
			return sfp.Event{}, errBadEvent
		}
		parts[i], v = v[w:w+int(n)], v[w+int(n):]
	}
	if len(v) != 0 {
		return sfp.Event{}, errBadEvent
	}
	var e sfp.Event
	if err := e.At.UnmarshalBinary(parts[0]); err != nil {
		return sfp.Event{}, fmt.Errorf("%w: %v", errBadEvent, err)
	}
	e.Type, e.By, e.Detail = string(parts[1]), string(parts[2]), string(parts[3])
	return e, nil
}

// readEvents reads case n's history with cur, a cursor on the events
// bucket (nil: none).
func readEvents(cur *bbolt.Cursor, n uint64) ([]sfp.Event, error) {
	if cur == nil {
		return nil, nil
	}
	prefix := u64(n)
	var out []sfp.Event
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		e, err := decodeEvent(v)
		if err != nil {
			return nil, fmt.Errorf("case %d, event %x: %w", n, k[8:], err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (t *tx) eventCursor() *bbolt.Cursor {
	if b := t.bucket(bEvents); b != nil {
		return b.Cursor()
	}
	return nil
}

// putEvents brings case n's stored history, stored events long, to events:
// a history only grows, so that normally means adding its new tail.
func (t *tx) putEvents(n uint64, events []sfp.Event, stored int) error {
	b := t.bucket(bEvents)
	for i := stored; i < len(events); i++ {
		// bbolt keeps the slice until the commit: a fresh one each.
		v, err := encodeEvent(events[i])
		if err != nil {
			return fmt.Errorf("case %d, event %d: %w", n, i, err)
		}
		if err := b.Put(eventKey(n, i), v); err != nil {
			return err
		}
	}
	for i := len(events); i < stored; i++ {
		if err := b.Delete(eventKey(n, i)); err != nil {
			return err
		}
	}
	return nil
}
