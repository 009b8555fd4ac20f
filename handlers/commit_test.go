package handlers

import (
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// gatedStore holds every write until its gate opens: a store on a machine
// too busy to commit in time.
type gatedStore struct {
	store.Store
	gate chan struct{}
}

func (g gatedStore) Batch(ctx context.Context, fn func(store.Tx) error) error {
	<-g.gate
	return g.Store.Batch(ctx, fn)
}

func (h *clocks) asks() int {
	n := 0
	h.db.View(context.Background(), func(tx store.Tx) error {
		return tx.ForEachCase(func(c *sfp.Case) bool {
			if c.Kind == sfp.KindCSContact {
				n++
			}
			return true
		})
	})
	return n
}

// A request whose context is done by the time its work runs (Slack
// stopped waiting, or a deadline passed) still makes its contact: the
// deadline costs the answer, never the case.
func TestAnAskOutlivesItsRequest(t *testing.T) {
	h := newClocks(t, monday10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	reply := h.app.Command(ctx, slack.SlashCommand{Command: "/sfp", Text: "ask acme Does it fit a 2019 model?", UserID: "U0AGENT", ChannelID: agentChannel})
	if m, ok := reply.(*slack.Msg); !ok || !strings.Contains(m.Text, "SFP-") {
		t.Errorf("answer %+v, want the case's id", reply)
	}
	if n := h.asks(); n != 1 {
		t.Errorf("%d cases, want 1", n)
	}
}

// An ask whose commit is slower than Slack waits is answered that it is
// on its way; the commit goes on and the case is made.
func TestASlowAskIsAnsweredBeforeItsCommit(t *testing.T) {
	h := newClocks(t, monday10)
	gate := make(chan struct{})
	h.app.Store = gatedStore{h.db, gate}
	reply := h.app.Command(context.Background(), slack.SlashCommand{Command: "/sfp", Text: "ask acme Does it fit a 2019 model?", UserID: "U0AGENT", ChannelID: agentChannel})
	m, ok := reply.(*slack.Msg)
	if !ok || !strings.HasPrefix(m.Text, ":hourglass_flowing_sand:") || !strings.Contains(m.Text, "*acme*") {
		t.Errorf("answer %+v, want that the question is on its way", reply)
	}
	if n := h.asks(); n != 0 {
		t.Fatalf("%d cases before the commit", n)
	}
	close(gate)
	h.app.Close() // waits for the commit the answer did not wait for
	if n := h.asks(); n != 1 {
		t.Errorf("%d cases once committed, want 1", n)
	}
}
