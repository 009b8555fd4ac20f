package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// seenShortcut keeps the message a shortcut was used on, between opening
// the modal and submitting it: the modal carries only a reference.
const seenShortcut = "shortcut"

// maxStaticSellers is the most options a static select may hold; past it
// the picker loads options as the person types.
const maxStaticSellers = 100

// shortcutRef is the modal's private metadata: where the message is.
type shortcutRef struct {
	Channel     string `json:"c"`
	TS          string `json:"ts"`
	ThreadTS    string `json:"th,omitempty"`
	ResponseURL string `json:"r,omitempty"`
	CaseID      string `json:"case,omitempty"`
}

type shortcutMessage struct {
	User string `json:"user"`
	Text string `json:"text"`
}

func (a *App) sellerNames(ctx context.Context) ([]string, error) {
	var names []string
	err := a.Store.View(ctx, func(tx store.Tx) error {
		sellers, err := tx.Sellers()
		for _, s := range sellers {
			if len(s.Routes) > 0 {
				names = append(names, s.Name)
			}
		}
		return err
	})
	sort.Strings(names)
	return names, err
}

// openSendToSeller opens the "Send to seller" modal on a message.
func (a *App) openSendToSeller(ctx context.Context, cb slack.InteractionCallback) {
	lang := a.Settings.Lang
	names, err := a.sellerNames(ctx)
	if err != nil {
		a.Log.Error("listing sellers", "err", err)
	}
	ref := shortcutRef{Channel: cb.Channel.ID, TS: cb.Message.Timestamp, ThreadTS: cb.Message.ThreadTimestamp, ResponseURL: cb.ResponseURL}
	meta, _ := json.Marshal(ref)
	view := bot.SendToSellerModal(names, len(names) > maxStaticSellers, lang, string(meta), cb.Message.User)
	resp, err := a.openView(ctx, cb.TriggerID, view)
	if err != nil {
		a.Log.Warn("opening the send-to-seller modal failed", "err", err)
		return
	}
	// The card links to the message: fetched while the agent fills the
	// modal, so that the submission need not wait for Slack.
	a.background(ctx, func(ctx context.Context) { a.permalink(ctx, ref.Channel, ref.TS) })
	// The message itself waits here, not in the modal, until submitted.
	msg, _ := json.Marshal(shortcutMessage{User: cb.Message.User, Text: bot.Unescape(cb.Message.Text)})
	err = a.Store.Update(ctx, func(tx store.Tx) error {
		return tx.Remember(seenShortcut, resp.ID, string(msg), a.Clock.Now())
	})
	if err != nil {
		a.Log.Error("keeping the shortcut's message", "err", err)
	}
}

// sellerOptions answers the external select of the seller picker.
func (a *App) sellerOptions(ctx context.Context, cb slack.InteractionCallback) any {
	names, _ := a.sellerNames(ctx)
	q := strings.ToLower(strings.TrimSpace(cb.Value))
	var opts []*slack.OptionBlockObject
	for _, n := range names {
		if q == "" || strings.Contains(n, q) {
			opts = append(opts, bot.Option(n, n))
		}
		if len(opts) == maxStaticSellers {
			break
		}
	}
	return map[string]any{"options": opts}
}

// onSubmit handles a modal's submission. Errors name the field's block so
// that Slack shows them under it.
func (a *App) onSubmit(ctx context.Context, cb slack.InteractionCallback) any {
	reply := a.submit(ctx, cb)
	result := "ok"
	if r, ok := reply.(*slack.ViewSubmissionResponse); ok && r.ResponseAction == slack.RAErrors {
		result = "invalid"
	}
	a.logHandled("form", "modal", cb.View.CallbackID, "", cb.User.ID, result)
	return reply
}

func (a *App) submit(ctx context.Context, cb slack.InteractionCallback) any {
	if refusal, ok := a.authorizeSubmission(ctx, cb); !ok {
		return refusal
	}
	switch cb.View.CallbackID {
	case bot.ModalSendToSeller:
		return a.submitSendToSeller(ctx, cb)
	case bot.ModalRoute:
		return a.submitRoute(ctx, cb)
	case bot.ModalDraftEdit:
		return a.submitDraftEdit(ctx, cb)
	case bot.ModalClaimFile:
		return a.submitClaim(ctx, cb, sfp.ClaimTypeReimbursement)
	case bot.ModalCarrierClaim:
		return a.submitClaim(ctx, cb, sfp.ClaimTypeCarrier)
	case bot.ModalClaimStatus:
		return a.submitClaimStatus(ctx, cb)
	case bot.ModalRefundMark:
		return a.submitRefundMark(ctx, cb)
	}
	return nil
}

// fieldErrors answers a submission with errors under its fields. Slack
// shows them as plain text: what was written for mrkdwn (a look-up's
// answer, a message with `code` or a <#C…> link) is turned into the text a
// reader would see.
func fieldErrors(errs map[string]string) any {
	for k, v := range errs {
		errs[k] = bot.PlainFromMrkdwn(v)
	}
	return slack.NewErrorsViewSubmissionResponse(errs)
}

// selected returns a select's value, or a text input's.
func selected(v *slack.View, block string) string {
	if v == nil || v.State == nil {
		return ""
	}
	for _, act := range v.State.Values[block] {
		if act.SelectedOption.Value != "" {
			return act.SelectedOption.Value
		}
		if act.SelectedDate != "" {
			return act.SelectedDate
		}
		return strings.TrimSpace(act.Value)
	}
	return ""
}

func (a *App) submitSendToSeller(ctx context.Context, cb slack.InteractionCallback) any {
	lang := a.Settings.Lang
	var ref shortcutRef
	_ = json.Unmarshal([]byte(cb.View.PrivateMetadata), &ref)
	seller, ok := sfp.ParseSeller(selected(&cb.View, "seller"))
	order := selected(&cb.View, "order_id")
	note := selected(&cb.View, "question")
	errs := map[string]string{}
	if !ok {
		errs["seller"] = bot.T(lang, "modal.pick_seller")
	}
	if order != "" && !sfp.ValidOrderID(order) {
		errs["order_id"] = bot.T(lang, "arg.order", order)
	}
	if len(errs) > 0 {
		return fieldErrors(errs)
	}
	var msg shortcutMessage
	err := a.Store.View(ctx, func(tx store.Tx) error {
		v, ok, err := tx.Seen(seenShortcut, cb.View.ID)
		if err == nil && ok {
			err = json.Unmarshal([]byte(v), &msg)
		}
		return err
	})
	if err != nil {
		a.Log.Error("reading the shortcut's message", "err", err)
	}
	question := strings.TrimSpace(msg.Text)
	if note != "" {
		question = note + "\n\n" + question
	}
	if question == "" {
		return fieldErrors(map[string]string{"question": bot.T(lang, "arg.question")})
	}
	thread := ref.ThreadTS
	if thread == "" {
		thread = ref.TS
	}
	in := askInput{
		seller: seller, orderID: order, question: question,
		user: cb.User.ID, userName: cb.User.Name, channel: ref.Channel, threadTS: thread,
		responseURL: ref.ResponseURL, lang: lang,
		permalink: a.permalinkWithin(ctx, ref.Channel, ref.TS, lookupBudget),
		guard: func(tx store.Tx) (bool, error) {
			key := "view/" + cb.View.ID
			if _, seen, err := tx.Seen(store.SeenMessage, key); err != nil || seen {
				return false, err
			}
			return true, tx.Remember(store.SeenMessage, key, "", a.Clock.Now())
		},
	}
	if _, err := a.ask(ctx, in); err != nil {
		return fieldErrors(map[string]string{"seller": a.errorReply(lang, nil, err).Text})
	}
	return nil
}

func (a *App) permalink(ctx context.Context, channel, ts string) string {
	if channel == "" || ts == "" {
		return ""
	}
	if link, ok := a.cachedLink(channel, ts); ok {
		return link
	}
	link, err := a.Slack.GetPermalinkContext(ctx, &slack.PermalinkParameters{Channel: channel, Ts: ts})
	if err != nil {
		return ""
	}
	a.storeLink(channel, ts, link)
	return link
}

// openRoute opens the modal that gives a triage case to a seller.
func (a *App) openRoute(ctx context.Context, cb slack.InteractionCallback, caseID string) error {
	names, err := a.sellerNames(ctx)
	if err != nil {
		return err
	}
	meta, _ := json.Marshal(shortcutRef{CaseID: caseID})
	view := bot.RouteModal(caseID, names, len(names) > maxStaticSellers, a.Settings.Lang, string(meta))
	_, err = a.openView(ctx, cb.TriggerID, view)
	return err
}

func (a *App) submitRoute(ctx context.Context, cb slack.InteractionCallback) any {
	lang := a.Settings.Lang
	var ref shortcutRef
	_ = json.Unmarshal([]byte(cb.View.PrivateMetadata), &ref)
	seller, ok := sfp.ParseSeller(selected(&cb.View, "seller"))
	if !ok {
		return fieldErrors(map[string]string{"seller": bot.T(lang, "modal.pick_seller")})
	}
	var moved bool
	err := a.Store.Update(ctx, func(tx store.Tx) error {
		c, err := loadCase(tx, ref.CaseID)
		if err != nil {
			return err
		}
		if !c.Triage {
			return sfp.Errorf(sfp.ECONFLICT, "%s", bot.T(lang, "route.already"))
		}
		moved, err = a.moveCase(tx, c, seller, cb.User.ID)
		return err
	})
	switch {
	case err != nil && !errors.Is(err, store.ErrNotFound):
		return fieldErrors(map[string]string{"seller": a.errorReply(lang, nil, err).Text})
	case !moved:
		return fieldErrors(map[string]string{"seller": bot.T(lang, "route.no_route", bot.Escape(seller))})
	}
	a.notify()
	return nil
}
