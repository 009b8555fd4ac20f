package sfp

import (
	"strconv"
	"strings"
	"time"
)

// Drafted replies and checked replies (DESIGN §3.4). A person always sends:
// a draft waits in the case's thread until someone sends it, edits it or
// asks for another; a seller's reply to a buyer that breaks a messaging
// rule waits until its author sends it anyway or edits it.
//
// Every text here may name the buyer, so it is personal data: drafts, held
// replies and sent answers live in the case record and nowhere else, and
// leave with the case's other personal data (see DropReplies).

// Draft states.
const (
	DraftDrafting = "drafting" // the model is writing
	DraftReady    = "ready"    // shown with its buttons
	DraftSent     = "sent"
	// DraftReplaced is a draft someone asked to regenerate: its message
	// now shows its successor.
	DraftReplaced = "replaced"
)

// Event types of drafts and checked replies.
const (
	EventDrafted   = "drafted"
	EventDraftSent = "draft_sent"
	EventHeld      = "held"
)

// Finding is a messaging rule a text breaks, and the words that broke it.
type Finding struct {
	Rule  string `json:"rule"`
	Quote string `json:"quote"`
}

// Draft is a reply proposed for a case.
type Draft struct {
	ID    string `json:"id"` // "D1", "D2"… within the case
	State string `json:"state"`
	Text  string `json:"text,omitempty"`
	// Lang is the language the reply is written in: the buyer's.
	Lang string `json:"lang,omitempty"`
	// Template is the version of the template that made the prompt (or the
	// text, without a model), so that a draft can be traced to its words.
	Template string `json:"template,omitempty"`
	// Model is the model that wrote it; empty for a template draft.
	Model string `json:"model,omitempty"`
	// Fallback names why the model could not draft when a template stood
	// in for it ("quota", "timeout"…).
	Fallback  string    `json:"fallback,omitempty"`
	Findings  []Finding `json:"findings,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	// Message is the draft's message in the card's thread; a regenerated
	// draft reuses its predecessor's.
	Message MessageRef `json:"message"`
	SentAt  *time.Time `json:"sent_at,omitempty"`
	SentBy  string     `json:"sent_by,omitempty"`
	// Edited is set when the text sent is not the text drafted: Text is
	// then what was sent.
	Edited bool `json:"edited,omitempty"`
}

// HeldReply is a seller's reply to a buyer that was not relayed because it
// breaks a messaging rule.
type HeldReply struct {
	ID   string `json:"id"` // "H1", "H2"… within the case
	Text string `json:"text"`
	// Markup is the reply as Slack sent it, where typed text and Slack's
	// own links are told apart (what an integration receives is made from
	// it); empty for a reply written in a modal.
	Markup   string    `json:"markup,omitempty"`
	Files    []string  `json:"files,omitempty"`
	By       string    `json:"by"`
	At       time.Time `json:"at"`
	Findings []Finding `json:"findings,omitempty"`
}

// Answer is a reply the seller sent on a case, kept so that a later draft
// on the same product can learn from it.
type Answer struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Text string    `json:"text"`
}

// MaxAnswers bounds the answers a case keeps: the first ones say what the
// product is; a long exchange adds little and weighs on every read.
const MaxAnswers = 10

// NewDraft appends a draft in the drafting state and returns it.
func (c *Case) NewDraft(at time.Time, by string) *Draft {
	c.Drafts = append(c.Drafts, Draft{
		ID: "D" + strconv.Itoa(len(c.Drafts)+1), State: DraftDrafting, CreatedAt: at, CreatedBy: by,
	})
	return &c.Drafts[len(c.Drafts)-1]
}

// Draft returns the case's draft with that id, or nil.
func (c *Case) Draft(id string) *Draft {
	for i := range c.Drafts {
		if c.Drafts[i].ID == id {
			return &c.Drafts[i]
		}
	}
	return nil
}

// Hold keeps a reply back and returns it.
func (c *Case) Hold(h HeldReply) *HeldReply {
	n := 1
	for _, x := range c.Held {
		if v, err := strconv.Atoi(strings.TrimPrefix(x.ID, "H")); err == nil && v >= n {
			n = v + 1
		}
	}
	h.ID = "H" + strconv.Itoa(n)
	c.Held = append(c.Held, h)
	return &c.Held[len(c.Held)-1]
}

// Release takes a held reply out of the case; ok is false when there is
// none with that id (sent or edited already).
func (c *Case) Release(id string) (HeldReply, bool) {
	for i, h := range c.Held {
		if h.ID == id {
			c.Held = append(c.Held[:i:i], c.Held[i+1:]...)
			return h, true
		}
	}
	return HeldReply{}, false
}

// AddAnswer records a reply the seller sent.
func (c *Case) AddAnswer(at time.Time, by, text string) {
	if len(c.Answers) < MaxAnswers && text != "" {
		c.Answers = append(c.Answers, Answer{At: at, By: by, Text: text})
	}
}

// DropReplies forgets every draft, held reply and sent answer: their texts
// are the buyer's personal data once the retention period is over.
func (c *Case) DropReplies() {
	c.Drafts, c.Held, c.Answers = nil, nil, nil
}
