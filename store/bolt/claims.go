package bolt

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Claim buckets. The order index holds the policy's one reimbursement
// claim per order, the carrier index the order's one carrier claim; the
// open index lists the claims still waiting for their outcome, by seller,
// so that /sfp claims reads only those.
var (
	bClaims         = []byte("claims")            // number(8) → claim JSON
	bClaimByOrder   = []byte("idx_claim_order")   // order → number(8), reimbursement claims
	bCarrierByOrder = []byte("idx_claim_carrier") // order → number(8), carrier claims
	bClaimOpen      = []byte("idx_claim_open")    // seller \x00 number(8) → ∅

	kNextClaim = []byte("next_claim")
)

func (t *tx) NextClaimNumber() (uint64, error) {
	b := t.bucket(bMeta)
	n := uint64(sfp.FirstClaimNumber)
	if v := b.Get(kNextClaim); v != nil {
		n = binary.BigEndian.Uint64(v)
	}
	return n, b.Put(kNextClaim, u64(n+1))
}

func (t *tx) claimByNumber(n uint64) (*sfp.Claim, error) {
	b := t.bucket(bClaims)
	if b == nil {
		return nil, store.ErrNotFound
	}
	v := b.Get(u64(n))
	if v == nil {
		return nil, store.ErrNotFound
	}
	var cl sfp.Claim
	if err := json.Unmarshal(v, &cl); err != nil {
		return nil, fmt.Errorf("claim %d: %w", n, err)
	}
	return &cl, nil
}

func (t *tx) Claim(id string) (*sfp.Claim, error) {
	_, n, ok := sfp.ParseClaimID(id)
	if !ok {
		return nil, store.ErrNotFound
	}
	return t.claimByNumber(n)
}

func (t *tx) PutClaim(cl *sfp.Claim) error {
	if cl.Number == 0 {
		_, n, ok := sfp.ParseClaimID(cl.ID)
		if !ok {
			return fmt.Errorf("put claim: bad id %q", cl.ID)
		}
		cl.Number = n
	}
	if cl.OrderID == "" {
		return fmt.Errorf("put claim %s: a claim needs an order", cl.ID)
	}
	num := u64(cl.Number)
	byOrder, err := t.orderIndex(cl)
	if err != nil {
		return err
	}
	if v := byOrder.Get([]byte(cl.OrderID)); v != nil && !bytes.Equal(v, num) {
		return fmt.Errorf("put claim %s on order %s: %w", cl.ID, cl.OrderID, store.ErrConflict)
	}
	old, err := t.claimByNumber(cl.Number)
	if err != nil && err != store.ErrNotFound {
		return err
	}
	v, err := json.Marshal(cl)
	if err != nil {
		return err
	}
	if err := t.bucket(bClaims).Put(num, v); err != nil {
		return err
	}
	open := t.bucket(bClaimOpen)
	if old != nil {
		if old.OrderID != cl.OrderID {
			oldIdx, err := t.orderIndex(old)
			if err != nil {
				return err
			}
			if err := oldIdx.Delete([]byte(old.OrderID)); err != nil {
				return err
			}
		}
		if old.IsOpen() && (!cl.IsOpen() || old.Seller != cl.Seller) {
			if err := open.Delete(key([]byte(old.Seller), num)); err != nil {
				return err
			}
		}
	}
	if err := byOrder.Put([]byte(cl.OrderID), num); err != nil {
		return err
	}
	if cl.IsOpen() {
		return open.Put(key([]byte(cl.Seller), num), nil)
	}
	return nil
}

// orderIndex returns the order index of cl's type. A carrier claim stored
// when the order index held claims of both types is moved to the carrier
// index on the way, so that it no longer stands in the way of the order's
// reimbursement claim.
func (t *tx) orderIndex(cl *sfp.Claim) (*bbolt.Bucket, error) {
	carrier := t.bucket(bCarrierByOrder)
	byOrder := t.bucket(bClaimByOrder)
	if v := byOrder.Get([]byte(cl.OrderID)); len(v) == 8 {
		prev, err := t.claimByNumber(binary.BigEndian.Uint64(v))
		if err != nil {
			return nil, err
		}
		if prev.Type == sfp.ClaimTypeCarrier {
			if err := byOrder.Delete([]byte(cl.OrderID)); err != nil {
				return nil, err
			}
			if carrier.Get([]byte(cl.OrderID)) == nil {
				if err := carrier.Put([]byte(cl.OrderID), v); err != nil {
					return nil, err
				}
			}
		}
	}
	if cl.Type == sfp.ClaimTypeCarrier {
		return carrier, nil
	}
	return byOrder, nil
}

func (t *tx) ClaimByOrder(orderID string) (*sfp.Claim, error) {
	cl, err := t.indexedClaim(bClaimByOrder, orderID)
	if err == nil && cl.Type == sfp.ClaimTypeCarrier {
		// Stored before carrier claims had an index of their own.
		return nil, store.ErrNotFound
	}
	return cl, err
}

func (t *tx) ClaimsByOrder(orderID string) ([]*sfp.Claim, error) {
	var out []*sfp.Claim
	for _, b := range [][]byte{bClaimByOrder, bCarrierByOrder} {
		cl, err := t.indexedClaim(b, orderID)
		switch {
		case err == store.ErrNotFound:
		case err != nil:
			return nil, err
		case !slices.ContainsFunc(out, func(o *sfp.Claim) bool { return o.Number == cl.Number }):
			out = append(out, cl)
		}
	}
	return out, nil
}

func (t *tx) indexedClaim(bucket []byte, orderID string) (*sfp.Claim, error) {
	b := t.bucket(bucket)
	if b == nil {
		return nil, store.ErrNotFound
	}
	v := b.Get([]byte(orderID))
	if len(v) != 8 {
		return nil, store.ErrNotFound
	}
	return t.claimByNumber(binary.BigEndian.Uint64(v))
}

func (t *tx) OpenClaims(seller string) ([]*sfp.Claim, error) {
	b := t.bucket(bClaimOpen)
	if b == nil {
		return nil, nil
	}
	var out []*sfp.Claim
	var prefix []byte
	if seller != "" {
		prefix = append([]byte(seller), 0)
	}
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) < 8 {
			continue
		}
		cl, err := t.claimByNumber(binary.BigEndian.Uint64(k[len(k)-8:]))
		if err != nil {
			return nil, err
		}
		out = append(out, cl)
	}
	if seller == "" {
		sortClaims(out)
	}
	return out, nil
}

func sortClaims(cs []*sfp.Claim) {
	slices.SortFunc(cs, func(a, b *sfp.Claim) int { return cmp.Compare(a.Number, b.Number) })
}
