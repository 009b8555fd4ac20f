package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/store"
)

func testCallbacks(t *testing.T, s store.Store) {
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	mk := func(caseID string, notBefore time.Time) *store.Callback {
		return &store.Callback{
			DeliveryID: "dlv_" + caseID, CaseID: caseID, URL: "https://helpdesk.example/cb",
			Type: "answer", Answer: "Bonjour", ByID: "U1", AnsweredAt: t0,
			CreatedAt: t0, NotBefore: notBefore,
		}
	}
	var ids []uint64
	err := s.Update(ctx, func(tx store.Tx) error {
		for _, cb := range []*store.Callback{
			mk("SFP-1001", t0.Add(2*time.Minute)),
			mk("SFP-1002", t0),
			mk("SFP-1001", t0.Add(time.Minute)),
			mk("SFP-1003", time.Time{}), // zero: due at once, sorts first
		} {
			id, err := tx.EnqueueCallback(cb)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids[0] == 0 || ids[1] <= ids[0] || ids[3] <= ids[2] {
		t.Fatalf("ids not increasing: %v", ids)
	}
	due := func(at time.Time, limit int) string {
		var got []string
		s.View(ctx, func(tx store.Tx) error {
			cbs, err := tx.DueCallbacks(at, limit)
			if err != nil {
				t.Fatal(err)
			}
			for _, cb := range cbs {
				got = append(got, fmt.Sprintf("%s@%d", cb.CaseID, cb.ID))
			}
			return nil
		})
		return fmt.Sprint(got)
	}
	want := fmt.Sprintf("[SFP-1003@%d SFP-1002@%d]", ids[3], ids[1])
	if got := due(t0, 10); got != want {
		t.Errorf("due at t0 = %s, want %s", got, want)
	}
	want = fmt.Sprintf("[SFP-1003@%d SFP-1002@%d SFP-1001@%d]", ids[3], ids[1], ids[2])
	if got := due(t0.Add(90*time.Second), 10); got != want {
		t.Errorf("due at t0+90s = %s, want %s", got, want)
	}
	if got := due(t0.Add(time.Hour), 2); got != fmt.Sprintf("[SFP-1003@%d SFP-1002@%d]", ids[3], ids[1]) {
		t.Errorf("limit not honoured: %s", got)
	}

	// Moving a callback's time re-keys it; leaving pending takes it out.
	err = s.Update(ctx, func(tx store.Tx) error {
		cb, err := tx.Callback(ids[3])
		if err != nil {
			return err
		}
		cb.NotBefore = t0.Add(time.Hour)
		cb.Attempts = append(cb.Attempts, store.CallbackAttempt{At: t0, Status: 503})
		if err := tx.PutCallback(cb); err != nil {
			return err
		}
		cb, err = tx.Callback(ids[1])
		if err != nil {
			return err
		}
		cb.State, cb.DoneAt = store.CallbackDelivered, t0
		return tx.PutCallback(cb)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := due(t0.Add(30*time.Minute), 10); got != fmt.Sprintf("[SFP-1001@%d SFP-1001@%d]", ids[2], ids[0]) {
		t.Errorf("after re-keying, due = %s", got)
	}
	s.View(ctx, func(tx store.Tx) error {
		next, ok, err := tx.NextCallback()
		if err != nil || !ok || !next.Equal(t0.Add(time.Minute)) {
			t.Errorf("NextCallback = %v, %v, %v; want t0+1m", next, ok, err)
		}
		cb, err := tx.Callback(ids[3])
		if err != nil || len(cb.Attempts) != 1 || cb.Attempts[0].Status != 503 || cb.State != store.CallbackPending {
			t.Errorf("callback did not round-trip: %+v, %v", cb, err)
		}
		mine, err := tx.CaseCallbacks("SFP-1001")
		if err != nil || len(mine) != 2 || mine[0].ID != ids[0] || mine[1].ID != ids[2] {
			t.Errorf("CaseCallbacks = %+v, %v", mine, err)
		}
		if done, _ := tx.CaseCallbacks("SFP-1002"); len(done) != 1 || done[0].State != store.CallbackDelivered {
			t.Errorf("a delivered callback left its case's list: %+v", done)
		}
		if _, err := tx.Callback(9999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown callback: err = %v, want ErrNotFound", err)
		}
		return nil
	})

	// Nothing of a rolled-back enqueue survives.
	boom := errors.New("boom")
	err = s.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.EnqueueCallback(mk("SFP-1009", t0)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	s.View(ctx, func(tx store.Tx) error {
		if cbs, _ := tx.CaseCallbacks("SFP-1009"); len(cbs) != 0 {
			t.Error("callback survived a rollback")
		}
		return nil
	})
}
