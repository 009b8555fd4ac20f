package store

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// A case's summary is kept, in each store's index by received time, in a
// binary form: the figures of a period read one summary per case, and
// JSON's times would cost more to parse than everything else together.
// Both stores keep the same form, so that the one codec serves them. Each
// string is a uvarint length and its bytes, each time a varint of Unix
// nanoseconds (0 for the zero time), each amount a varint of minor units.
// The first byte is the form's version.

const summaryVersion = 1

// EncodeSummary is the binary form of s.
func EncodeSummary(s sfp.Summary) []byte {
	b := make([]byte, 0, 96)
	b = append(b, summaryVersion)
	str := func(v string) { b = binary.AppendUvarint(b, uint64(len(v))); b = append(b, v...) }
	at := func(t time.Time) {
		if t.IsZero() {
			b = binary.AppendVarint(b, 0)
			return
		}
		b = binary.AppendVarint(b, t.UnixNano())
	}
	money := func(m sfp.Money) { b = binary.AppendVarint(b, m.Minor); str(m.Currency) }
	var flags byte
	if s.NoResponseNeeded {
		flags |= 1
	}
	if s.AToZ {
		flags |= 2
	}
	b = append(b, flags)
	str(s.ID)
	str(s.Seller)
	str(string(s.Kind))
	str(string(s.State))
	at(s.ReceivedAt)
	at(s.DueAt)
	at(s.AnsweredAt)
	money(s.Refund)
	str(s.Claim.ID)
	str(s.Claim.Status)
	money(s.Claim.Amount)
	at(s.Claim.FiledAt)
	at(s.Claim.SettledAt)
	return b
}

// ErrSummary is returned for a summary that is not EncodeSummary's.
var ErrSummary = errors.New("malformed case summary")

// DecodeSummary reads what EncodeSummary wrote; a damaged value is an
// error, never a summary made up.
func DecodeSummary(b []byte) (sfp.Summary, error) {
	var s sfp.Summary
	if len(b) < 2 || b[0] != summaryVersion {
		return s, ErrSummary
	}
	flags := b[1]
	if flags&^3 != 0 {
		return s, ErrSummary
	}
	b = b[2:]
	bad := false
	str := func() string {
		n, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < n {
			bad = true
			return ""
		}
		v := string(b[w : w+int(n)])
		b = b[w+int(n):]
		return v
	}
	num := func() int64 {
		v, w := binary.Varint(b)
		if w <= 0 {
			bad = true
			return 0
		}
		b = b[w:]
		return v
	}
	at := func() time.Time {
		if ns := num(); ns != 0 {
			return time.Unix(0, ns)
		}
		return time.Time{}
	}
	money := func() sfp.Money { m := num(); return sfp.Money{Minor: m, Currency: str()} }
	s.NoResponseNeeded, s.AToZ = flags&1 != 0, flags&2 != 0
	s.ID, s.Seller, s.Kind, s.State = str(), str(), sfp.Kind(str()), sfp.State(str())
	s.ReceivedAt, s.DueAt, s.AnsweredAt = at(), at(), at()
	s.Refund = money()
	s.Claim.ID, s.Claim.Status = str(), str()
	s.Claim.Amount = money()
	s.Claim.FiledAt, s.Claim.SettledAt = at(), at()
	if bad || len(b) != 0 {
		return sfp.Summary{}, ErrSummary
	}
	return s, nil
}
