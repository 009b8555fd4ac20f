package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/sfpdesk/sfpdesk/store"
)

// Callback buckets. The queue holds pending callbacks only, keyed so that
// a cursor walks them in the order they fall due.
var (
	bCallbacks      = []byte("callbacks")         // id(8) → callback JSON
	bCallbackQueue  = []byte("callback_queue")    // notBefore(8) id(8) → ∅ (pending only)
	bCallbackByCase = []byte("idx_callback_case") // case \x00 id(8) → ∅
)

func callbackQueueKey(cb *store.Callback) []byte {
	return append(u64(unixNanos(cb.NotBefore)), u64(cb.ID)...)
}

// unixNanos orders times as keys: UnixNano is undefined outside 1678–2262,
// and a zero NotBefore (due at once) must sort first, not wrap around.
func unixNanos(t time.Time) uint64 {
	switch {
	case t.Before(time.Unix(0, 0)):
		return 0
	case t.After(time.Unix(0, 1<<63-1)):
		return 1<<63 - 1
	}
	return uint64(t.UnixNano())
}

func (t *tx) EnqueueCallback(cb *store.Callback) (uint64, error) {
	id, err := t.bucket(bCallbacks).NextSequence()
	if err != nil {
		return 0, err
	}
	cb.ID = id
	if cb.State == "" {
		cb.State = store.CallbackPending
	}
	return id, t.PutCallback(cb)
}

func (t *tx) Callback(id uint64) (*store.Callback, error) {
	b := t.bucket(bCallbacks)
	if b == nil {
		return nil, store.ErrNotFound
	}
	v := b.Get(u64(id))
	if v == nil {
		return nil, store.ErrNotFound
	}
	var cb store.Callback
	if err := json.Unmarshal(v, &cb); err != nil {
		return nil, fmt.Errorf("callback %d: %w", id, err)
	}
	return &cb, nil
}

func (t *tx) PutCallback(cb *store.Callback) error {
	if cb.ID == 0 || cb.CaseID == "" {
		return fmt.Errorf("put callback: a callback needs an id and a case")
	}
	old, err := t.Callback(cb.ID)
	if err != nil && err != store.ErrNotFound {
		return err
	}
	v, err := json.Marshal(cb)
	if err != nil {
		return err
	}
	if err := t.bucket(bCallbacks).Put(u64(cb.ID), v); err != nil {
		return err
	}
	queue := t.bucket(bCallbackQueue)
	if old != nil && old.State == store.CallbackPending {
		if err := queue.Delete(callbackQueueKey(old)); err != nil {
			return err
		}
	}
	if cb.State == store.CallbackPending {
		if err := queue.Put(callbackQueueKey(cb), nil); err != nil {
			return err
		}
	}
	return t.bucket(bCallbackByCase).Put(key([]byte(cb.CaseID), u64(cb.ID)), nil)
}

func (t *tx) DueCallbacks(at time.Time, limit int) ([]*store.Callback, error) {
	var out []*store.Callback
	q := t.bucket(bCallbackQueue)
	if q == nil {
		return nil, nil
	}
	cut := unixNanos(at)
	c := q.Cursor()
	for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
		if len(k) != 16 || binary.BigEndian.Uint64(k[:8]) > cut {
			break
		}
		cb, err := t.Callback(binary.BigEndian.Uint64(k[8:]))
		if err != nil {
			return nil, err
		}
		out = append(out, cb)
	}
	return out, nil
}

func (t *tx) NextCallback() (time.Time, bool, error) {
	q := t.bucket(bCallbackQueue)
	if q == nil {
		return time.Time{}, false, nil
	}
	k, _ := q.Cursor().First()
	if len(k) != 16 {
		return time.Time{}, false, nil
	}
	cb, err := t.Callback(binary.BigEndian.Uint64(k[8:]))
	if err != nil {
		return time.Time{}, false, err
	}
	return cb.NotBefore, true, nil
}

func (t *tx) CaseCallbacks(caseID string) ([]*store.Callback, error) {
	var out []*store.Callback
	idx := t.bucket(bCallbackByCase)
	if idx == nil {
		return nil, nil
	}
	prefix := append([]byte(caseID), 0)
	c := idx.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		cb, err := t.Callback(binary.BigEndian.Uint64(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, cb)
	}
	return out, nil
}
