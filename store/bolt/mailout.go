package bolt

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"

	"go.etcd.io/bbolt"

	"github.com/sfpdesk/sfpdesk/store"
)

// Mail reply buckets, created with the first reply so that a database
// written before them opens unchanged.
var (
	bMailOut      = []byte("mail_out")       // id(8) → reply JSON
	bMailOutQueue = []byte("mail_out_queue") // seller \x00 id(8) → ∅ (pending only)
)

func (t *tx) mailBucket(name []byte) (*bbolt.Bucket, error) {
	if b := t.btx.Bucket(name); b != nil || !t.btx.Writable() {
		return b, nil
	}
	return t.btx.CreateBucket(name)
}

func (t *tx) EnqueueMail(m *store.MailOut) (uint64, error) {
	b, err := t.mailBucket(bMailOut)
	if err != nil {
		return 0, err
	}
	id, err := b.NextSequence()
	if err != nil {
		return 0, err
	}
	m.ID = id
	if m.State == "" {
		m.State = store.MailPending
	}
	return id, t.PutMailOut(m)
}

func (t *tx) MailOut(id uint64) (*store.MailOut, error) {
	b, err := t.mailBucket(bMailOut)
	if err != nil {
		return nil, err
	}
	var v []byte
	if b != nil {
		v = b.Get(u64(id))
	}
	if v == nil {
		return nil, store.ErrNotFound
	}
	var m store.MailOut
	if err := json.Unmarshal(v, &m); err != nil {
		return nil, fmt.Errorf("mail reply %d: %w", id, err)
	}
	return &m, nil
}

func (t *tx) PutMailOut(m *store.MailOut) error {
	if m.ID == 0 || strings.TrimSpace(m.Seller) == "" {
		return fmt.Errorf("put mail reply: needs an id and a seller")
	}
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	b, err := t.mailBucket(bMailOut)
	if err != nil {
		return err
	}
	if err := b.Put(u64(m.ID), v); err != nil {
		return err
	}
	q, err := t.mailBucket(bMailOutQueue)
	if err != nil {
		return err
	}
	qk := key([]byte(m.Seller), u64(m.ID))
	if m.State == store.MailPending {
		return q.Put(qk, nil)
	}
	return q.Delete(qk)
}

func (t *tx) PendingMail(seller string, limit int) ([]*store.MailOut, error) {
	q, err := t.mailBucket(bMailOutQueue)
	if err != nil || q == nil {
		return nil, err
	}
	var out []*store.MailOut
	prefix := append([]byte(seller), 0)
	c := q.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.Next() {
		m, err := t.MailOut(binary.BigEndian.Uint64(k[len(prefix):]))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
