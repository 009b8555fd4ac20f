package handlers

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// One authorisation step stands in front of every button and modal that
// acts on a case (DESIGN §4.7): a click or a submission names its case in
// fields the sender controls (a button's value, a modal's
// private_metadata), so whoever sent it must be someone who may see that
// case. Anyone else is told what a look-up tells them: there is no such
// case that they can see. Finer rules (the money side is the seller's own)
// follow in the handlers.

// caseActions are the buttons whose value names a case, or a claim on
// claim_* buttons. seller_move_triage names a seller and is for admins.
var caseActions = []string{
	bot.ActionTake, bot.ActionAnswered, bot.ActionNoResponse, bot.ActionReopen, bot.ActionRoute,
	bot.ActionDraftRequest, bot.ActionDraftSend, bot.ActionDraftEdit, bot.ActionDraftRegenerate,
	bot.ActionReplySendAnyway, bot.ActionReplyEdit, bot.ActionClaimFile, bot.ActionCarrierClaim,
	bot.ActionClaimStatus, bot.ActionReturnReceived, bot.ActionRefundMark,
}

// caseModals are the modals whose private_metadata names a case or a
// claim. send_to_seller makes a new case: anyone may ask.
var caseModals = []string{
	bot.ModalRoute, bot.ModalDraftEdit, bot.ModalClaimFile, bot.ModalCarrierClaim,
	bot.ModalClaimStatus, bot.ModalRefundMark,
}

// verdict is what the authorisation step decides about a person and a
// case.
type verdict int

const (
	allowed verdict = iota
	// hidden: the person may not see the case; they are told it does not
	// exist, as a look-up would.
	hidden
	// forbidden: the agent who asked sees the case, but the card's
	// buttons are the seller's team's.
	forbidden
)

// moneyActions are the seller's own side of a refund; the refusal says so.
var moneyActions = []string{
	bot.ActionClaimFile, bot.ActionCarrierClaim, bot.ActionClaimStatus, bot.ActionReturnReceived, bot.ActionRefundMark,
	bot.ModalClaimFile, bot.ModalCarrierClaim, bot.ModalClaimStatus, bot.ModalRefundMark,
}

// judge decides whether user may act on the case that value names (a case
// id or a claim id): admins and members of the channel the case is in may;
// the agent who asked may from the agent's own thread, and elsewhere sees
// the case but may not act; anyone else, and any unknown case, is hidden.
func (a *App) judge(ctx context.Context, user, value, fromChannel string) (verdict, *sfp.Case) {
	var c *sfp.Case
	if err := a.Store.View(ctx, func(tx store.Tx) error {
		var err error
		c, _, err = actionCase(tx, value)
		return err
	}); err != nil || c == nil {
		if a.isAdmin(user) {
			// The handler tells an admin what is wrong with the case.
			return allowed, nil
		}
		return hidden, nil
	}
	if a.isAdmin(user) {
		return allowed, c
	}
	if c.Channel != "" {
		mctx, cancel := context.WithTimeout(ctx, lookupBudget)
		member := a.isMember(mctx, c.Channel, user)
		cancel()
		if member {
			return allowed, c
		}
	}
	if c.Asker != nil && c.Asker.UserID == user {
		if fromChannel != "" && fromChannel == c.CSThread.Channel {
			return allowed, c
		}
		return forbidden, c
	}
	return hidden, c
}

// authorizeAction is the step in front of every button. It answers a
// refused click itself and reports whether the click may go on.
func (a *App) authorizeAction(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction) bool {
	if !slices.Contains(caseActions, act.ActionID) {
		return true
	}
	ch := cb.Channel.ID
	if ch == "" {
		ch = cb.Container.ChannelID
	}
	v, c := a.judge(ctx, cb.User.ID, act.Value, ch)
	var text string
	switch {
	case v == allowed:
		return true
	case v == forbidden && slices.Contains(moneyActions, act.ActionID):
		text = forbiddenText(c, a.Settings.Lang)
	case v == forbidden:
		text = bot.T(a.Settings.Lang, "auth.forbidden", bot.ChannelLink(c.Channel))
	default:
		text = bot.T(a.Settings.Lang, "lookup.not_found", bot.Escape(act.Value))
	}
	if cb.ResponseURL == "" {
		a.tellPrivately(ctx, cb, text)
	} else {
		msg := ephemeral(text)
		a.background(ctx, func(ctx context.Context) { a.respondMsg(ctx, cb.ResponseURL, msg) })
	}
	return false
}

// authorizeSubmission is the step in front of every modal that acts on a
// case. A refused submission gets the answer to show under the modal's
// first field, in plain text as modal errors are.
func (a *App) authorizeSubmission(ctx context.Context, cb slack.InteractionCallback) (refusal any, ok bool) {
	if !slices.Contains(caseModals, cb.View.CallbackID) {
		return nil, true
	}
	value := modalSubject(cb.View.PrivateMetadata)
	var text string
	switch v, _ := a.judge(ctx, cb.User.ID, value, ""); {
	case v == allowed:
		return nil, true
	case v == forbidden && slices.Contains(moneyActions, cb.View.CallbackID):
		text = bot.T(a.Settings.Lang, "claim.forbidden_plain")
	case v == forbidden:
		text = bot.T(a.Settings.Lang, "auth.forbidden_plain")
	default:
		text = bot.T(a.Settings.Lang, "auth.not_found", bot.Cut(value, 40))
	}
	if block := firstInput(&cb.View); block != "" {
		return fieldErrors(map[string]string{block: text}), false
	}
	return slack.NewClearViewSubmissionResponse(), false
}

// modalSubject reads the case or claim id a modal carries: a JSON object
// with "case", or the id itself.
func modalSubject(meta string) string {
	if strings.HasPrefix(strings.TrimSpace(meta), "{") {
		var ref struct {
			Case string `json:"case"`
		}
		_ = json.Unmarshal([]byte(meta), &ref)
		return ref.Case
	}
	return meta
}

// firstInput names the block an error can point at: the modal's first
// input, else the first field in its submitted state.
func firstInput(v *slack.View) string {
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok && in.BlockID != "" {
			return in.BlockID
		}
	}
	if v.State == nil {
		return ""
	}
	var ids []string
	for id := range v.State.Values {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}
