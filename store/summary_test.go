package store

import (
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
)

func TestSummaryRoundTrip(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339Nano, s); return v }
	for _, s := range []sfp.Summary{
		{},
		{ID: "SFP-1001", Seller: "acme", Kind: sfp.KindOrderQuestion, State: sfp.StateOpen, ReceivedAt: at("2026-11-23T09:00:00.123456789Z")},
		{ID: "SFP-1002", Seller: "acme-eu", Kind: sfp.KindRefundNotice, State: sfp.StateClosed,
			ReceivedAt: at("2026-11-23T09:00:00Z"), DueAt: at("2026-11-24T09:00:00Z"), AnsweredAt: at("2026-11-23T10:00:00Z"),
			NoResponseNeeded: true, AToZ: true, Refund: sfp.Money{Minor: 3990, Currency: "EUR"},
			Claim: sfp.ClaimSummary{ID: "CLM-1001", Status: "paid", Amount: sfp.Money{Minor: -1, Currency: "GBP"},
				FiledAt: at("2026-11-25T00:00:00Z"), SettledAt: at("2026-12-01T00:00:00Z")}},
	} {
		got, err := DecodeSummary(EncodeSummary(s))
		if err != nil {
			t.Fatalf("%+v: %v", s, err)
		}
		again := EncodeSummary(got)
		if string(again) != string(EncodeSummary(s)) || !got.ReceivedAt.Equal(s.ReceivedAt) || got.ID != s.ID || got.Claim.Amount != s.Claim.Amount {
			t.Errorf("round trip of %+v gave %+v", s, got)
		}
	}
	for _, bad := range [][]byte{nil, {summaryVersion}, {2, 0}, {summaryVersion, 0, 200}, append(EncodeSummary(sfp.Summary{}), 0)} {
		if _, err := DecodeSummary(bad); err == nil {
			t.Errorf("DecodeSummary(%v) accepted", bad)
		}
	}
}

// A damaged value is an error, never a panic or a summary made up.
func FuzzDecodeSummary(f *testing.F) {
	f.Add(EncodeSummary(sfp.Summary{ID: "SFP-1001", Seller: "acme", Kind: sfp.KindCSContact, ReceivedAt: time.Unix(1, 0)}))
	f.Add([]byte{summaryVersion, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSummary(b)
		if err != nil {
			return
		}
		if again, err := DecodeSummary(EncodeSummary(s)); err != nil || string(EncodeSummary(again)) != string(EncodeSummary(s)) {
			t.Errorf("%x decodes to %+v, which does not round-trip: %v", b, s, err)
		}
	})
}
