package fakeslack

import (
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"
)

// HomeButtonClick builds the block_actions payload Slack sends when userID
// presses, in the Home tab last published for them, the button actionID
// whose value is value (a Home lists many cases, each with the same
// buttons). The payload's container is the view, and it has no channel.
// Send it with SendInteraction, or over HTTP with InteractionRequest.
func (s *Server) HomeButtonClick(userID, actionID, value string) (slack.InteractionCallback, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	vs := s.views[s.homeViews[userID]]
	if vs == nil {
		return slack.InteractionCallback{}, fmt.Errorf("fakeslack: no Home published for %s", userID)
	}
	var v struct {
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := json.Unmarshal(vs.raw, &v); err != nil {
		return slack.InteractionCallback{}, err
	}
	for _, b := range v.Blocks {
		action, found := findAction(json.RawMessage("["+string(b)+"]"), actionID)
		if !found || action.Value != value {
			continue
		}
		action.ActionTs = s.nextTSLocked()
		var view slack.View
		raw, _ := json.Marshal(s.viewJSON(vs))
		if err := json.Unmarshal(raw, &view); err != nil {
			return slack.InteractionCallback{}, err
		}
		return slack.InteractionCallback{
			Type:           slack.InteractionTypeBlockActions,
			Token:          verificationToken,
			TriggerID:      s.newTriggerLocked(userID),
			Team:           s.teamLocked(),
			User:           s.payloadUserLocked(userID),
			APIAppID:       s.cfg.appID,
			Container:      slack.Container{Type: "view", ViewID: vs.id},
			View:           view,
			ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{&action}},
		}, nil
	}
	return slack.InteractionCallback{}, fmt.Errorf("fakeslack: %s's Home has no %q button for %q", userID, actionID, value)
}
