package bot

import (
	"strings"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// Drafted and checked replies (DESIGN §3.4): the draft message in a case's
// thread, the modal that edits a reply before it is sent, and the private
// notice of a reply held back for breaking a messaging rule. The texts are
// untrusted (a model wrote them, or a buyer's words are quoted): escaped
// once into mrkdwn, raw in the modal's input.

// Block ids of the draft message's and the held reply's buttons carry which
// draft or reply they act on; the buttons' values are the case id, as for
// every button (DESIGN §4.7).
const (
	BlockDraftPrefix = "draft_"
	BlockHeldPrefix  = "held_"
	// BlockDraft and ActionDraftText are the edit modal's input.
	BlockDraft      = "draft"
	ActionDraftText = "draft"
)

// maxFindingQuote is how much of the words that broke a rule a line shows.
const maxFindingQuote = 200

// DraftView is what a draft message shows.
type DraftView struct {
	Lang   string // the bot's language
	CaseID string
	Draft  sfp.Draft
	// ToBuyer is set when sending reaches a buyer: a draft that breaks a
	// rule then asks for a confirmation before it goes.
	ToBuyer bool
	// Partial is set while the model is still writing.
	Partial bool
}

// DraftingMessage is the draft message before the first words arrive.
func DraftingMessage(caseID, lang string) Message {
	s := T(lang, "draft.drafting", caseID)
	return Message{Text: s, Blocks: []slack.Block{contextLine(s)}}
}

// DraftMessage is the draft in the case's thread: the text, what the rules
// make of it, where it came from, and the buttons while it can be sent.
func DraftMessage(v DraftView) Message {
	l, d := v.Lang, v.Draft
	blocks := []slack.Block{section(T(l, "draft.title", v.CaseID, LanguageName(l, d.Lang)))}
	for _, part := range splitRunes(d.Text, MaxSectionText-200) {
		blocks = append(blocks, section(Quote(part, MaxSectionText)))
	}
	if v.Partial {
		blocks = append(blocks, contextLine(T(l, "draft.writing")))
		return Message{Text: T(l, "draft.drafting", v.CaseID), Blocks: blocks}
	}
	blocks = append(blocks, findingsBlocks(d.Findings, l)...)
	// Once sent, the draft says where it came from, no longer how to send it.
	sent := d.State == sfp.DraftSent
	switch {
	case d.Model != "" && sent:
		blocks = append(blocks, contextLine(T(l, "draft.by_model.sent", Escape(d.Model), Escape(d.Template))))
	case d.Model != "":
		blocks = append(blocks, contextLine(T(l, "draft.by_model", Escape(d.Model), Escape(d.Template))))
	case sent:
		blocks = append(blocks, contextLine(T(l, "draft.by_template.sent", Escape(d.Template))))
	default:
		blocks = append(blocks, contextLine(T(l, "draft.by_template", Escape(d.Template))))
	}
	switch {
	case d.State == sfp.DraftSent && d.SentAt != nil:
		id := "draft.sent"
		if d.Edited {
			id = "draft.sent_edited"
		}
		blocks = append(blocks, section(T(l, id, Mention(d.SentBy), DateTag(*d.SentAt, l))))
	case d.State == sfp.DraftReady:
		send := button(ActionDraftSend, T(l, "btn.draft_send"), v.CaseID, slack.StylePrimary)
		if v.ToBuyer && len(d.Findings) > 0 {
			send.Confirm = slack.NewConfirmationBlockObject(
				plain(T(l, "draft.confirm.title"), MaxModalTitle),
				mrkdwn(Tn(l, "draft.confirm.text", len(d.Findings), len(d.Findings))),
				plain(T(l, "draft.confirm.yes"), 30), plain(T(l, "draft.confirm.no"), 30))
			send.Style = slack.StyleDanger
		}
		blocks = append(blocks, slack.NewActionBlock(BlockDraftPrefix+d.ID, send,
			button(ActionDraftEdit, T(l, "btn.draft_edit"), v.CaseID, ""),
			button(ActionDraftRegenerate, T(l, "btn.draft_regenerate"), v.CaseID, "")))
	}
	return Message{Text: T(l, "draft.fallback", v.CaseID) + "\n" + EscapeCut(d.Text, 300), Blocks: blocks}
}

// DraftFailed is the calm line a seller reads when the model could not
// draft: why, in a few words, and that a template stands in. kind is one of
// the prompts package's failure kinds.
func DraftFailed(lang, kind string) Message {
	why := T(lang, "draft.error."+kind)
	if why == "draft.error."+kind {
		why = T(lang, "draft.error.internal")
	}
	s := T(lang, "draft.failed", why)
	return Message{Text: s, Blocks: []slack.Block{contextLine(s)}}
}

// DraftEditModal edits a reply before it is sent: a draft, or a reply that
// was held back. The text goes in raw, as an input's initial value must.
func DraftEditModal(lang, text, meta string) slack.ModalViewRequest {
	input := slack.NewPlainTextInputBlockElement(nil, ActionDraftText)
	input.Multiline = true
	input.MaxLength = MaxInputInitial
	input.InitialValue = Cut(text, MaxInputInitial)
	block := slack.NewInputBlock(BlockDraft, plain(T(lang, "modal.draft_label"), 2000), plain(T(lang, "modal.draft_hint"), 2000), input)
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ModalDraftEdit,
		Title:           plain(T(lang, "modal.draft_title"), MaxModalTitle),
		Submit:          plain(T(lang, "modal.draft_send"), MaxModalTitle),
		Close:           plain(T(lang, "modal.cancel"), MaxModalTitle),
		PrivateMetadata: meta,
		Blocks:          slack.Blocks{BlockSet: []slack.Block{block}},
	}
}

// FindingsError is what the edit modal says under the text when it still
// breaks a rule: a second submission sends it anyway.
func FindingsError(fs []sfp.Finding, lang string) string {
	var parts []string
	for _, f := range fs {
		parts = append(parts, T(lang, "rule."+f.Rule)+" “"+Cut(f.Quote, 60)+"”")
	}
	return Cut(T(lang, "modal.draft_findings", strings.Join(parts, ", ")), 2000)
}

// HeldReply tells the seller, privately, that a reply to a buyer was kept
// back, why, and how to send it.
func HeldReply(caseID string, h sfp.HeldReply, lang string) Message {
	head := Tn(lang, "reply.held", len(h.Findings), len(h.Findings))
	blocks := []slack.Block{section(head)}
	blocks = append(blocks, findingsBlocks(h.Findings, lang)...)
	blocks = append(blocks, contextLine(T(lang, "reply.held_hint")),
		slack.NewActionBlock(BlockHeldPrefix+h.ID,
			button(ActionReplySendAnyway, T(lang, "btn.reply_send_anyway"), caseID, slack.StyleDanger),
			button(ActionReplyEdit, T(lang, "btn.reply_edit"), caseID, slack.StylePrimary)))
	return Message{Text: head, Blocks: blocks}
}

// CheckedReply tells the seller, privately, that a reply that went to an
// agent breaks rules: the agent may pass the words on to the buyer.
func CheckedReply(to string, fs []sfp.Finding, lang string) Message {
	head := Tn(lang, "reply.checked", len(fs), to, len(fs))
	return Message{Text: head, Blocks: append([]slack.Block{section(head)}, findingsBlocks(fs, lang)...)}
}

// ReplySent replaces a held reply's notice once it went.
func ReplySent(lang string) Message {
	s := T(lang, "reply.sent")
	return Message{Text: s, Blocks: []slack.Block{section(s)}}
}

func findingsBlocks(fs []sfp.Finding, lang string) []slack.Block {
	if len(fs) == 0 {
		return []slack.Block{contextLine(T(lang, "draft.clean"))}
	}
	lines := []string{Tn(lang, "draft.findings", len(fs), len(fs))}
	for _, f := range fs {
		lines = append(lines, T(lang, "draft.finding", T(lang, "rule."+f.Rule), EscapeCut(oneLine(f.Quote), maxFindingQuote), T(lang, "rule."+f.Rule+".fix")))
	}
	return []slack.Block{section(strings.Join(lines, "\n"))}
}

// LanguageName names a buyer's language in the bot's language.
func LanguageName(lang, code string) string {
	if s := T(lang, "lang."+code); s != "lang."+code {
		return s
	}
	return Escape(code)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// splitRunes cuts s into parts of at most max runes, at a line break or a
// space where it can.
func splitRunes(s string, max int) []string {
	var parts []string
	r := []rune(strings.TrimSpace(s))
	for len(r) > max {
		cut := max
		for i := max; i > max/2; i-- {
			if r[i] == '\n' || r[i] == ' ' {
				cut = i
				break
			}
		}
		parts = append(parts, strings.TrimSpace(string(r[:cut])))
		r = r[cut:]
	}
	if t := strings.TrimSpace(string(r)); t != "" || len(parts) == 0 {
		parts = append(parts, t)
	}
	return parts
}
