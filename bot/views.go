package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// Action ids of the contract (DESIGN §4.7). Each button's value is the case
// id, or the claim id for claim_*.
const (
	ActionTake            = "case_take"
	ActionAnswered        = "case_answered"
	ActionNoResponse      = "case_no_response"
	ActionReopen          = "case_reopen"
	ActionRoute           = "case_route"
	ActionDraftRequest    = "draft_request"
	ActionDraftSend       = "draft_send"
	ActionDraftEdit       = "draft_edit"
	ActionDraftRegenerate = "draft_regenerate"
	ActionReplySendAnyway = "reply_send_anyway"
	ActionReplyEdit       = "reply_edit"
	ActionClaimFile       = "claim_file"
	ActionCarrierClaim    = "carrier_claim"
	ActionClaimStatus     = "claim_status"
	ActionReturnReceived  = "return_received"
	ActionRefundMark      = "refund_mark"
	// ActionMoveTriage moves a newly routed seller's open triage cases.
	ActionMoveTriage = "seller_move_triage"
)

// ActionNoResponseSellerCentral is the e-mail case's link to its own "no
// response needed" page in Seller Central: a URL button, which Slack opens
// itself; its interaction needs no answer.
const ActionNoResponseSellerCentral = "case_no_response_seller_central"

// Modal callback ids (DESIGN §4.7).
const (
	ModalSendToSeller = "send_to_seller"
	ModalClaimFile    = "claim_file"
	ModalCarrierClaim = "carrier_claim"
	ModalRefundMark   = "refund_mark"
	ModalDraftEdit    = "draft_edit"
	ModalRoute        = "case_route"
)

// Block id of the take-over confirmation, so that a second click on
// "Take it" is told apart from the first.
const BlockTakeOver = "take_over"

// DateTag shows t in each reader's own time zone with Slack's date
// formatting; the fallback, which notifications and clients that cannot
// format it show, is PlainDate.
func DateTag(t time.Time, lang string) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), PlainDate(t, lang))
}

// Mention of a Slack user.
func Mention(user string) string {
	if user == "" {
		return ""
	}
	return "<@" + user + ">"
}

// ChannelLink of a Slack conversation.
func ChannelLink(ch string) string {
	if ch == "" {
		return ""
	}
	return "<#" + ch + ">"
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, false)
}

func plain(s string, max int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, Cut(s, max), true, false)
}

func section(s string) *slack.SectionBlock {
	return slack.NewSectionBlock(mrkdwn(cutMrkdwn(s, MaxSectionText)), nil, nil)
}

func contextLine(s string) *slack.ContextBlock {
	return slack.NewContextBlock("", mrkdwn(cutMrkdwn(s, MaxContextText)))
}

func button(actionID, label, value string, style slack.Style) *slack.ButtonBlockElement {
	b := slack.NewButtonBlockElement(actionID, value, plain(label, MaxButtonText))
	b.Style = style
	return b
}

// Message is what the outbox posts: fallback text and blocks.
type Message struct {
	Text   string
	Blocks []slack.Block
}

// BlocksJSON encodes the blocks for the outbox.
func (m Message) BlocksJSON() json.RawMessage {
	if len(m.Blocks) == 0 {
		return nil
	}
	b, err := json.Marshal(m.Blocks)
	if err != nil {
		return nil
	}
	return b
}

// CardView is what a case card needs besides the case.
type CardView struct {
	Lang string
	Now  time.Time
	// Host of the callback, shown instead of an agent for intake cases.
	ReplyHost string
	// Mask hides the buyer's contact data in what the card quotes; nil
	// shows the text as it is.
	Mask func(string) string
}

func (v CardView) mask(s string) string {
	if v.Mask == nil {
		return s
	}
	return v.Mask(s)
}

// QuestionMax is how much of a question a card shows; the whole text
// follows in the card's thread when it is longer.
const QuestionMax = 2500

// CaseCard renders the card of a case in its channel.
func CaseCard(c *sfp.Case, v CardView) Message {
	switch {
	case c.Kind == sfp.KindRefundNotice && c.Refund != nil:
		return RefundCard(c, v)
	case c.Kind == sfp.KindReturnReceived:
		return ReturnCard(c, v)
	}
	l := v.Lang
	title := T(l, "card.title."+string(c.Kind), c.ID)
	// Breached stays true for good, but a reopened case runs a fresh
	// deadline: the card is overdue only while the current one is past.
	overdue := c.Breached && c.State == sfp.StateOpen && (c.DueAt == nil || v.Now.IsZero() || !v.Now.Before(*c.DueAt))
	if overdue {
		title = T(l, "card.overdue") + " · " + title
	}
	var fields []*slack.TextBlockObject
	field := func(label, value string) {
		if value != "" {
			fields = append(fields, mrkdwn(Cut("*"+label+"*\n"+value, MaxContextText)))
		}
	}
	field(T(l, "card.seller"), Escape(c.Seller)+" · "+string(c.Marketplace))
	field(T(l, "card.order"), Escape(c.OrderID))
	field(T(l, "card.from"), fromLine(c, l))
	if c.DueAt != nil {
		due := DateTag(*c.DueAt, l)
		if overdue || (c.Breached && c.State != sfp.StateOpen) {
			due = ":rotating_light: " + due
		}
		field(T(l, "card.deadline"), due)
	}
	field(T(l, "card.state"), stateLine(c, l))
	blocks := []slack.Block{
		slack.NewHeaderBlock(plain(title, MaxHeaderText)),
		slack.NewSectionBlock(nil, fields, nil),
	}
	if c.Subject != "" {
		blocks = append(blocks, section("*"+EscapeCut(v.mask(c.Subject), 250)+"*"))
	}
	if strings.TrimSpace(c.Body) != "" {
		q := Quote(v.mask(c.Body), QuestionMax)
		if len([]rune(c.Body)) > QuestionMax-10 {
			q += "\n_" + T(l, "card.full_in_thread") + "_"
		}
		blocks = append(blocks, section(q))
	}
	switch c.Kind {
	case sfp.KindAToZClaim:
		due := "—"
		if c.DueAt != nil {
			due = DateTag(*c.DueAt, l)
		}
		blocks = append(blocks, section(T(l, "atoz.explain", due)+"\n"+T(l, "atoz.expects")))
	case sfp.KindReturnRequested:
		blocks = append(blocks, section(T(l, "return_requested.explain")))
	}
	if c.PurgedAt != nil {
		blocks = append(blocks, contextLine(T(l, "card.purged", DateTag(*c.PurgedAt, l))))
	} else {
		blocks = append(blocks, contextLine(replyHint(c, v)))
	}
	if acts := cardActions(c, l); len(acts) > 0 {
		blocks = append(blocks, slack.NewActionBlock("case_actions", acts...))
	}
	text := T(l, "card.fallback", c.ID, c.Seller, Cut(v.mask(c.Body), 200))
	return Message{Text: text, Blocks: blocks}
}

func fromLine(c *sfp.Case, l string) string {
	switch {
	case c.Asker != nil:
		s := Mention(c.Asker.UserID)
		if c.Asker.Channel != "" && c.Asker.Channel[0] != 'D' {
			s += " " + T(l, "card.in") + " " + ChannelLink(c.Asker.Channel)
		}
		return s
	case c.Source == sfp.SourceIntake:
		who := T(l, "card.source.intake")
		if c.Customer.Name != "" {
			who = Escape(FirstName(c.Customer.Name)) + " · " + who
		}
		return who
	}
	return ""
}

// FirstName is as much of a buyer's name as a card shows.
func FirstName(name string) string { return Cut(sfp.FirstName(name), 40) }

func stateLine(c *sfp.Case, l string) string {
	s := T(l, "state."+string(c.State))
	if c.TakenBy != "" && c.State == sfp.StateOpen {
		s += " · " + T(l, "card.taken_by", Mention(c.TakenBy))
	}
	if c.AnsweredBy != "" && c.State != sfp.StateOpen && c.AnsweredAt != nil {
		s += " · " + T(l, "card.answered_by", Mention(c.AnsweredBy), DateTag(*c.AnsweredAt, l))
	}
	return s
}

func replyHint(c *sfp.Case, v CardView) string {
	l := v.Lang
	switch {
	case c.Asker != nil:
		return T(l, "card.reply_hint.agent", Mention(c.Asker.UserID))
	case c.CallbackURL != "":
		return T(l, "card.reply_hint.callback", Escape(v.ReplyHost))
	case c.Mail != nil && c.Mail.ReplyTo != "":
		return T(l, "card.reply_hint.email")
	}
	return T(l, "card.reply_hint.none")
}

func cardActions(c *sfp.Case, l string) []slack.BlockElement {
	if c.State != sfp.StateOpen {
		return []slack.BlockElement{button(ActionReopen, T(l, "btn.reopen"), c.ID, "")}
	}
	var acts []slack.BlockElement
	if c.Kind.AwaitsAnswer() {
		take := button(ActionTake, T(l, "btn.take"), c.ID, "")
		if c.TakenBy != "" {
			take.Confirm = slack.NewConfirmationBlockObject(
				plain(T(l, "take.confirm.title"), MaxModalTitle),
				mrkdwn(T(l, "take.confirm.text", Mention(c.TakenBy))),
				plain(T(l, "take.confirm.yes"), 30), plain(T(l, "take.confirm.no"), 30))
		}
		if c.Kind.IsQuestion() {
			acts = append(acts, take, button(ActionDraftRequest, T(l, "btn.draft"), c.ID, ""),
				button(ActionAnswered, T(l, "btn.answered"), c.ID, slack.StylePrimary),
				button(ActionNoResponse, T(l, "btn.no_response"), c.ID, ""))
			if u := noResponseURL(c); u != "" {
				sc := button(ActionNoResponseSellerCentral, T(l, "btn.no_response_seller_central"), c.ID, "")
				sc.URL = u
				acts = append(acts, sc)
			}
		} else {
			// Amazon wants an answer to an A-to-z claim: "No response
			// needed" does not exist for it.
			acts = append(acts, take, button(ActionAnswered, T(l, "btn.answered"), c.ID, slack.StylePrimary))
		}
	}
	if c.Triage {
		acts = append(acts, button(ActionRoute, T(l, "btn.route"), c.ID, ""))
	} else if (c.Kind == sfp.KindOrderQuestion || c.Kind == sfp.KindReturnRequested) && c.OrderID != "" {
		acts = append(acts, ReturnButton(c, l))
	}
	return acts
}

// AskConfirmation is posted where the agent asked: its thread is where the
// seller's answer will arrive.
func AskConfirmation(c *sfp.Case, lang, permalink string, mask func(string) string) Message {
	l := lang
	head := T(l, "ask.confirm", c.ID, Escape(c.Seller))
	if c.Triage {
		head = T(l, "ask.confirm.triage", c.ID, Escape(c.Seller))
	}
	if c.OrderID != "" {
		head += " · " + T(l, "card.order") + " " + Escape(c.OrderID)
	}
	blocks := []slack.Block{section(head)}
	if permalink != "" {
		blocks = append(blocks, contextLine(T(l, "ask.from_message", permalink)))
	} else if c.Body != "" {
		blocks = append(blocks, section(Quote(CardView{Mask: mask}.mask(c.Body), 1000)))
	}
	foot := T(l, "ask.thread_hint")
	if c.DueAt != nil {
		foot += " " + T(l, "ask.due", DateTag(*c.DueAt, l))
	}
	blocks = append(blocks, contextLine(foot))
	return Message{Text: T(l, "ask.confirm", c.ID, c.Seller), Blocks: blocks}
}

// RelayToAgent carries a seller's reply into the agent's thread, naming
// the seller and mentioning the agent so that the answer is seen.
func RelayToAgent(c *sfp.Case, lang, user, text string, files []string, first bool) Message {
	id := "relay.to_agent"
	if !first {
		id = "relay.to_agent.more"
	}
	head := T(lang, id, Mention(c.Asker.UserID), Escape(c.Seller), Mention(user), c.ID)
	return relayMessage(head, text, files)
}

// RelayToSeller carries the agent's words into the card's thread.
func RelayToSeller(c *sfp.Case, lang, user, text string, files []string) Message {
	return relayMessage(T(lang, "relay.to_seller", Mention(user)), text, files)
}

// AnsweredOutside tells the agent that the seller answered by other means.
func AnsweredOutside(c *sfp.Case, lang, user string) Message {
	s := T(lang, "relay.outside", Mention(c.Asker.UserID), Escape(c.Seller), c.ID, Mention(user))
	return Message{Text: s, Blocks: []slack.Block{section(s)}}
}

func relayMessage(head, text string, files []string) Message {
	blocks := []slack.Block{section(head)}
	if strings.TrimSpace(text) != "" {
		blocks = append(blocks, section(Quote(text, MaxSectionText)))
	}
	if len(files) > 0 {
		var links []string
		for _, f := range files {
			// Slack's own file links; anything that could close the link
			// and open markup of its own is left out.
			if len(links) == 10 || strings.ContainsAny(f, "<>| ") {
				continue
			}
			i := len(links)
			links = append(links, "<"+f+"|"+T("", "relay.file")+" "+fmt.Sprint(i+1)+">")
		}
		blocks = append(blocks, contextLine(":paperclip: "+strings.Join(links, " · ")))
	}
	return Message{Text: Cut(head+"\n"+text, MaxFallbackText), Blocks: blocks}
}

// TakeOverQuestion asks, privately, whether to take a case over from the
// person who has it.
func TakeOverQuestion(caseID, other, lang string) []slack.Block {
	return []slack.Block{
		section(T(lang, "take.confirm.text", Mention(other))),
		slack.NewActionBlock(BlockTakeOver, button(ActionTake, T(lang, "take.confirm.yes"), caseID, slack.StyleDanger)),
	}
}

// ErasedMessage replaces a message of ours that quoted a buyer once their
// data is erased.
func ErasedMessage(lang string) Message {
	s := T(lang, "purge.erased")
	return Message{Text: s, Blocks: []slack.Block{contextLine(s)}}
}

// noResponseURL is an e-mail case's Seller Central link, only ever to
// Seller Central and within Slack's limit on a button's URL.
func noResponseURL(c *sfp.Case) string {
	if c.Mail == nil || len(c.Mail.NoResponseURL) > 3000 || !strings.HasPrefix(c.Mail.NoResponseURL, "https://sellercentral") {
		return ""
	}
	return c.Mail.NoResponseURL
}
