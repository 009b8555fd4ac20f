package handlers

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// stranger is in no channel of the case and no admin: a forged click or
// submission from them must change nothing and learn nothing.
const stranger = "U0EVE"

// caseFor makes the case each button or modal is posted on.
func caseFor(h *clocks, id string) *sfp.Case {
	switch id {
	case bot.ActionClaimFile, bot.ActionCarrierClaim, bot.ActionClaimStatus:
		return h.refund(monday10, nil)
	case bot.ActionReturnReceived:
		return h.newCase(sfp.KindOrderQuestion, monday10)
	case bot.ActionRefundMark:
		return h.newCase(sfp.KindReturnReceived, monday10, func(in *newCase) { in.Return = &sfp.Return{ReceivedAt: monday10} })
	case bot.ActionRoute:
		return h.newCase(sfp.KindProductQuestion, monday10, func(in *newCase) { in.Seller = "unrouted" })
	}
	return h.newCase(sfp.KindProductQuestion, monday10, func(in *newCase) {
		in.Asker = &sfp.Asker{UserID: "U0AGENT", Channel: agentChannel}
	})
}

func snapshot(t *testing.T, c *sfp.Case) string {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// waitResponse waits for the private answer the App sends user through a
// response_url.
func waitResponse(t *testing.T, h *clocks, user string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, r := range h.fake.Responses() {
			if r.User == user {
				return r.Text
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no private answer to %s", user)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAStrangerCannotPressACasesButtons(t *testing.T) {
	for _, action := range caseActions {
		t.Run(action, func(t *testing.T) {
			h := newRefunds(t, monday10)
			h.fake.AddUser(stranger, "eve", "Eve", false)
			c := caseFor(h, action)
			before := snapshot(t, h.get(c.ID))
			// The click is forged as if from the card itself, in the
			// seller's channel, with a real response_url.
			cb := h.fake.PrepareInteraction(slack.InteractionCallback{
				Type:      slack.InteractionTypeBlockActions,
				User:      slack.User{ID: stranger},
				Channel:   slack.Channel{GroupConversation: slack.GroupConversation{Conversation: slack.Conversation{ID: sellerChannel}}},
				Container: slack.Container{ChannelID: sellerChannel, MessageTs: "1793613600.000100"},
				ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
					{ActionID: action, BlockID: bot.BlockDraftPrefix + "d1", Value: c.ID},
				}},
			})
			if ack := h.app.Interaction(context.Background(), cb); ack != nil {
				t.Errorf("ack %+v, want none", ack)
			}
			if got, want := waitResponse(t, h, stranger), "No case `"+c.ID+"` that you can see."; got != want {
				t.Errorf("answer %q, want %q", got, want)
			}
			h.app.Close()
			if after := snapshot(t, h.get(c.ID)); after != before {
				t.Errorf("the click changed the case:\n%s\n%s", before, after)
			}
			if n := h.fake.Calls("views.open"); n != 0 {
				t.Errorf("the click opened %d modal(s)", n)
			}
		})
	}
}

func TestAStrangerCannotSubmitACasesModals(t *testing.T) {
	for _, modal := range caseModals {
		t.Run(modal, func(t *testing.T) {
			h := newRefunds(t, monday10)
			var c *sfp.Case
			var meta string
			values := map[string]string{}
			switch modal {
			case bot.ModalRoute:
				// A triage case, routed by a forged private_metadata to a
				// seller the stranger chose.
				c = caseFor(h, bot.ActionRoute)
				m, _ := json.Marshal(shortcutRef{CaseID: c.ID})
				meta, values["seller"] = string(m), "acme"
			case bot.ModalDraftEdit:
				c = caseFor(h, bot.ActionDraftEdit)
				m, _ := json.Marshal(editRef{Case: c.ID, Draft: "d1"})
				meta, values[bot.BlockDraft] = string(m), "Bonjour, oui."
			case bot.ModalClaimFile, bot.ModalCarrierClaim:
				c, values = caseFor(h, bot.ActionClaimFile), goodClaim()
				meta = c.ID
			case bot.ModalClaimStatus:
				c = caseFor(h, bot.ActionClaimStatus)
				meta, values[bot.FieldStatus] = c.ID, "approved"
			case bot.ModalRefundMark:
				c = caseFor(h, bot.ActionRefundMark)
				meta, values["amount"] = c.ID, "39,90"
			default:
				t.Fatalf("no fixture for modal %s", modal)
			}
			before := snapshot(t, h.get(c.ID))
			errs := h.submitErrors(modal, meta, stranger, values)
			want := "No case " + c.ID + " that you can see."
			found := false
			for _, e := range errs {
				found = found || e == want
				if strings.ContainsAny(e, "`<>*") {
					t.Errorf("modal error %q is not plain text", e)
				}
			}
			if !found {
				t.Errorf("errors %v, want %q under a field", errs, want)
			}
			h.app.Close()
			if after := snapshot(t, h.get(c.ID)); after != before {
				t.Errorf("the submission changed the case:\n%s\n%s", before, after)
			}
		})
	}
}

// Members of the seller's channel and admins pass the same step: the
// refusal is about who clicks, not about the button. The agent who asked
// sees the case, so is told why rather than that it does not exist.
func TestWhoPassesTheAuthorisationStep(t *testing.T) {
	h := newRefunds(t, monday10)
	c := caseFor(h, bot.ActionTake)
	h.change(c.ID, func(tx store.Tx, c *sfp.Case) error {
		c.CSThread = sfp.MessageRef{Channel: agentChannel, TS: "1793613600.000200"}
		return nil
	})
	tests := []struct {
		name, user, value, from string
		want                    verdict
	}{
		{"a member of the seller's channel", "U0ALICE", c.ID, sellerChannel, allowed},
		{"an admin", "U0ADMIN", c.ID, sellerChannel, allowed},
		{"the asker in the agent's thread", "U0AGENT", c.ID, agentChannel, allowed},
		{"the asker on the seller's card", "U0AGENT", c.ID, sellerChannel, forbidden},
		{"a stranger", stranger, c.ID, sellerChannel, hidden},
		{"a stranger on an unknown case", stranger, "SFP-9999", sellerChannel, hidden},
		{"a stranger on a forged value", stranger, "<!channel>", sellerChannel, hidden},
	}
	for _, tc := range tests {
		if got, _ := h.app.judge(context.Background(), tc.user, tc.value, tc.from); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// The asker clicking the seller's card is told why, privately.
func TestTheAskerIsToldTheCardIsTheSellers(t *testing.T) {
	h := newRefunds(t, monday10)
	c := caseFor(h, bot.ActionAnswered)
	before := snapshot(t, h.get(c.ID))
	cb := h.fake.PrepareInteraction(slack.InteractionCallback{
		Type:      slack.InteractionTypeBlockActions,
		User:      slack.User{ID: "U0AGENT"},
		Container: slack.Container{ChannelID: sellerChannel, MessageTs: "1793613600.000100"},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: bot.ActionAnswered, Value: c.ID},
		}},
	})
	h.app.Interaction(context.Background(), cb)
	if got := waitResponse(t, h, "U0AGENT"); !strings.HasPrefix(got, "Only sfpdesk admins and members of <#"+sellerChannel+">") {
		t.Errorf("answer %q", got)
	}
	h.app.Close()
	if after := snapshot(t, h.get(c.ID)); after != before {
		t.Errorf("the asker's click changed the case")
	}
}
