package sfp

import (
	"testing"
	"time"
)

func TestRepliesOnACase(t *testing.T) {
	at := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	c := &Case{}
	d1, d2 := c.NewDraft(at, "U1").ID, c.NewDraft(at, "U2").ID
	if d1 != "D1" || d2 != "D2" || c.Draft("D2").CreatedBy != "U2" || c.Draft("D3") != nil {
		t.Errorf("drafts = %+v", c.Drafts)
	}
	h1 := c.Hold(HeldReply{Text: "a"}).ID
	h2 := c.Hold(HeldReply{Text: "b"}).ID
	if _, ok := c.Release(h1); !ok {
		t.Fatal("release H1")
	}
	if _, ok := c.Release(h1); ok {
		t.Error("a held reply was released twice")
	}
	// Ids are never reused while a later one is held: a stale notice's
	// button must not act on another reply.
	if h3 := c.Hold(HeldReply{Text: "c"}).ID; h1 != "H1" || h2 != "H2" || h3 != "H3" {
		t.Errorf("held ids %s %s %s", h1, h2, h3)
	}
	for i := 0; i < MaxAnswers+3; i++ {
		c.AddAnswer(at, "U1", "answer")
	}
	if len(c.Answers) != MaxAnswers {
		t.Errorf("%d answers kept", len(c.Answers))
	}
	c.DropReplies()
	if c.Drafts != nil || c.Held != nil || c.Answers != nil {
		t.Errorf("replies left after DropReplies: %+v", c)
	}
}
