package handlers

import (
	"cmp"
	"context"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Interaction answers buttons, modals and shortcuts. Buttons commit their
// change and let the outbox update the card; modals are opened here, on
// the acknowledgement path, because a trigger_id dies within 3 seconds.
func (a *App) Interaction(ctx context.Context, cb slack.InteractionCallback) any {
	a.init()
	// As for commands: a click's commit finishes even when Slack stopped
	// waiting; opening a modal bounds itself (openView).
	ctx = context.WithoutCancel(ctx)
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		for _, act := range cb.ActionCallback.BlockActions {
			a.onAction(ctx, cb, act)
		}
		return nil
	case slack.InteractionTypeMessageAction:
		if cb.CallbackID == bot.ModalSendToSeller {
			a.openSendToSeller(ctx, cb)
		}
		return nil
	case slack.InteractionTypeViewSubmission:
		return a.onSubmit(ctx, cb)
	case slack.InteractionTypeBlockSuggestion:
		return a.sellerOptions(ctx, cb)
	}
	return nil
}

// onAction handles one button. Errors a person can act on come back as a
// private message; the cause of anything else goes to the log.
func (a *App) onAction(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction) {
	if !a.authorizeAction(ctx, cb, act) {
		return
	}
	user := cb.User.ID
	var err error
	lang := a.Settings.Lang
	if cb.View.Type == slack.VTHomeTab && !a.homeMaySee(ctx, user, act.Value) {
		return
	}
	switch act.ActionID {
	case bot.ActionTake:
		err = a.take(ctx, cb, act)
	case bot.ActionAnswered:
		err = a.markAnswered(ctx, act.Value, user)
	case bot.ActionReopen:
		err = a.reopen(ctx, act.Value, user)
	case bot.ActionNoResponse:
		err = a.markNoResponse(ctx, act.Value, user)
	case bot.ActionRoute:
		err = a.openRoute(ctx, cb, act.Value)
	case bot.ActionMoveTriage:
		err = a.moveTriage(ctx, cb, act.Value)
	case bot.ActionDraftRequest, bot.ActionDraftSend, bot.ActionDraftEdit, bot.ActionDraftRegenerate,
		bot.ActionReplySendAnyway, bot.ActionReplyEdit:
		err = a.onDraftAction(ctx, cb, act)
	case bot.ActionClaimFile:
		err = a.openClaim(ctx, cb, act.Value, sfp.StepClaim)
	case bot.ActionCarrierClaim:
		err = a.openClaim(ctx, cb, act.Value, sfp.StepCarrierClaim)
	case bot.ActionClaimStatus:
		err = a.openClaimStatus(ctx, cb, act.Value)
	case bot.ActionReturnReceived:
		err = a.returnReceived(ctx, cb, act.Value)
	case bot.ActionRefundMark:
		err = a.openRefundMark(ctx, cb, act.Value)
	default:
		return
	}
	a.logHandled("action", "button", act.ActionID, act.Value, user, cmp.Or(sfp.ErrorCode(err), "ok"))
	if err != nil {
		a.tellPrivately(ctx, cb, a.errorReply(lang, nil, err).Text)
	}
}

// openView opens a modal on the acknowledgement's path. Its trigger_id
// dies 3 seconds after the click, so waiting longer for Slack is useless.
func (a *App) openView(ctx context.Context, triggerID string, view slack.ModalViewRequest) (*slack.ViewResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return a.Slack.OpenViewContext(ctx, triggerID, view)
}

// tellPrivately answers the person who clicked, in the same place, once
// the click is acknowledged.
func (a *App) tellPrivately(ctx context.Context, cb slack.InteractionCallback, text string) {
	ch := cb.Channel.ID
	if ch == "" {
		ch = cb.Container.ChannelID
	}
	opts := []slack.MsgOption{slack.MsgOptionText(text, false)}
	if ts := cb.Container.ThreadTs; ts != "" {
		opts = append(opts, slack.MsgOptionTS(ts))
	}
	a.background(ctx, func(ctx context.Context) {
		if _, err := a.Slack.PostEphemeralContext(ctx, ch, cb.User.ID, opts...); err != nil {
			a.Log.Warn("private answer failed", "channel", ch, "err", err)
		}
	})
}

// updateCase loads a case, applies change and, when it changed anything,
// stores it with a refreshed card, all in one transaction.
func (a *App) updateCase(ctx context.Context, id string, change func(tx store.Tx, c *sfp.Case) (bool, error)) error {
	changed := false
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		c, err := loadCase(tx, id)
		if err != nil {
			return err
		}
		if changed, err = change(tx, c); err != nil || !changed {
			return err
		}
		if err := a.refreshCard(tx, c); err != nil {
			return err
		}
		if err := a.schedule(tx, c); err != nil {
			return err
		}
		return tx.PutCase(c)
	})
	if err == nil && changed {
		a.notify()
	}
	return err
}

// take records who handles a case. Taking over from someone else needs a
// confirmation: the card's button carries one once the case is taken, and a
// click from a card that was not yet updated gets a private question.
func (a *App) take(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction) error {
	user := cb.User.ID
	var other string
	err := a.updateCase(ctx, act.Value, func(tx store.Tx, c *sfp.Case) (bool, error) {
		if !c.State.IsOpen() || c.TakenBy == user {
			return false, nil
		}
		if c.TakenBy != "" && act.BlockID != bot.BlockTakeOver && !takeWasConfirmed(cb) {
			other = c.TakenBy
			return false, nil
		}
		by := user
		detail := ""
		if c.TakenBy != "" {
			detail = "from " + c.TakenBy
		}
		c.TakenBy = by
		c.AddEvent(a.Clock.Now(), sfp.EventTaken, user, detail)
		return true, nil
	})
	if err != nil || other == "" {
		return err
	}
	lang := a.Settings.Lang
	question := bot.TakeOverQuestion(act.Value, other, lang)
	opts := []slack.MsgOption{
		slack.MsgOptionText(bot.Fallback(bot.T(lang, "take.confirm.text", bot.Mention(other)), question), false),
		slack.MsgOptionBlocks(question...),
	}
	ch := cb.Channel.ID
	a.background(ctx, func(ctx context.Context) {
		if _, err := a.Slack.PostEphemeralContext(ctx, ch, user, opts...); err != nil {
			a.Log.Warn("take-over question failed", "channel", ch, "err", err)
		}
	})
	return nil
}

// takeWasConfirmed reports whether the clicked card's take button carried
// a confirmation, which Slack asked before the click reached us.
func takeWasConfirmed(cb slack.InteractionCallback) bool {
	for _, b := range cb.Message.Blocks.BlockSet {
		if ab, ok := b.(*slack.ActionBlock); ok && ab.Elements != nil {
			for _, e := range ab.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok && btn.ActionID == bot.ActionTake && btn.Confirm != nil {
					return true
				}
			}
		}
	}
	return false
}

// markAnswered answers a case without a relay: the seller answered by
// other means, and the agent is told so.
func (a *App) markAnswered(ctx context.Context, id, user string) error {
	return a.updateCase(ctx, id, func(tx store.Tx, c *sfp.Case) (bool, error) {
		if c.State != sfp.StateOpen {
			return false, nil
		}
		now := a.Clock.Now()
		c.State = sfp.StateAnswered
		c.AnsweredAt, c.AnsweredBy = &now, user
		if c.DueAt != nil && now.After(*c.DueAt) {
			c.Breached = true
		}
		c.AddEvent(now, sfp.EventAnswered, user, "marked")
		if c.Asker != nil && c.CSThread.Channel != "" {
			if err := enqueueReply(tx, c, c.CSThread, bot.AnsweredOutside(c, a.Settings.Lang, user), now); err != nil {
				return false, err
			}
		}
		return true, nil
	})
}

// reopen puts a case back in the queue with a fresh deadline from now.
func (a *App) reopen(ctx context.Context, id, user string) error {
	return a.updateCase(ctx, id, func(tx store.Tx, c *sfp.Case) (bool, error) {
		if c.State == sfp.StateOpen {
			return false, nil
		}
		return true, a.restartClock(tx, c, user)
	})
}
