package bot

import (
	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// Option is one choice of a select.
func Option(label, value string) *slack.OptionBlockObject {
	return slack.NewOptionBlockObject(value, plain(label, MaxOptionText), nil)
}

// Sections lays out lines as mrkdwn sections, as many lines in each as fit.
func Sections(lines []string) []slack.Block {
	var blocks []slack.Block
	cur := ""
	for _, l := range lines {
		l = Cut(l, MaxSectionText)
		if cur != "" && len([]rune(cur))+len([]rune(l))+1 > MaxSectionText {
			blocks = append(blocks, section(cur))
			cur = ""
		}
		if cur != "" {
			cur += "\n"
		}
		cur += l
		if len(blocks) == MaxBlocksMessage-1 {
			break
		}
	}
	if cur != "" {
		blocks = append(blocks, section(cur))
	}
	return blocks
}

// sellerSelect is the seller picker: a static list up to 100 sellers, past
// that options loaded as the person types.
func sellerSelect(names []string, external bool, lang string) slack.BlockElement {
	ph := plain(T(lang, "modal.seller_placeholder"), 150)
	if external {
		s := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, ph, "seller")
		min := 0
		s.MinQueryLength = &min
		return s
	}
	var opts []*slack.OptionBlockObject
	for _, n := range names {
		opts = append(opts, Option(n, n))
	}
	return slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, ph, "seller", opts...)
}

// SendToSellerModal is the message shortcut's form. The message itself is
// not copied into it: private metadata points at it.
func SendToSellerModal(sellers []string, external bool, lang, meta, author string) slack.ModalViewRequest {
	seller := slack.NewInputBlock("seller", plain(T(lang, "modal.seller"), 2000), nil, sellerSelect(sellers, external, lang))
	order := slack.NewInputBlock("order_id", plain(T(lang, "card.order"), 2000), plain(T(lang, "modal.order_hint"), 2000),
		slack.NewPlainTextInputBlockElement(plain("123-1234567-1234567", 150), "order_id"))
	order.Optional = true
	noteInput := slack.NewPlainTextInputBlockElement(plain(T(lang, "modal.note_placeholder"), 150), "question")
	noteInput.Multiline = true
	note := slack.NewInputBlock("question", plain(T(lang, "modal.note"), 2000), nil, noteInput)
	note.Optional = true
	blocks := []slack.Block{
		contextLine(T(lang, "modal.message_from", Mention(author))),
		seller, order, note,
	}
	if len(sellers) == 0 {
		blocks = append([]slack.Block{section(T(lang, "modal.no_sellers"))}, blocks...)
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ModalSendToSeller,
		Title:           plain(T(lang, "modal.send_title"), MaxModalTitle),
		Submit:          plain(T(lang, "modal.send"), MaxModalTitle),
		Close:           plain(T(lang, "modal.cancel"), MaxModalTitle),
		PrivateMetadata: meta,
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// RouteModal gives a triage case to a seller.
func RouteModal(caseID string, sellers []string, external bool, lang, meta string) slack.ModalViewRequest {
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      ModalRoute,
		Title:           plain(T(lang, "modal.route_title"), MaxModalTitle),
		Submit:          plain(T(lang, "modal.route"), MaxModalTitle),
		Close:           plain(T(lang, "modal.cancel"), MaxModalTitle),
		PrivateMetadata: meta,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			section(T(lang, "modal.route_text", caseID)),
			slack.NewInputBlock("seller", plain(T(lang, "modal.seller"), 2000), nil, sellerSelect(sellers, external, lang)),
		}},
	}
}

// MoveTriagePrompt offers to move a newly routed seller's triage cases.
func MoveTriagePrompt(seller string, n int, lang string) []slack.Block {
	return []slack.Block{
		section(Tn(lang, "seller.triage_waiting", n, n, Escape(seller))),
		slack.NewActionBlock("move_triage", button(ActionMoveTriage, Tn(lang, "seller.move_button", n, n), seller, slack.StylePrimary)),
	}
}

// RoutedCard replaces a triage card once its case went to a seller.
func RoutedCard(c *sfp.Case, lang, channel, by string) Message {
	s := T(lang, "route.moved", ChannelLink(channel), Mention(by))
	return Message{Text: c.ID + ": " + s, Blocks: []slack.Block{
		slack.NewHeaderBlock(plain(T(lang, "card.title."+string(c.Kind), c.ID), MaxHeaderText)),
		section(":arrow_right: " + s),
	}}
}
