package prompts

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// RuleID names a buyer-seller messaging rule. The ids are stable: the UI,
// the docs and stored findings use them.
type RuleID string

const (
	RuleExternalLink   RuleID = "external_link"
	RuleEmailAddress   RuleID = "email_address"
	RulePhoneNumber    RuleID = "phone_number"
	RuleMarketing      RuleID = "marketing"
	RuleReviewRequest  RuleID = "review_request"
	RuleContactOutside RuleID = "contact_outside"
	RuleDirectRefund   RuleID = "direct_refund"
	RuleWrongLanguage  RuleID = "wrong_language"
	RuleEmptyReply     RuleID = "empty_reply"
)

// Rule describes one rule and the policy it comes from.
type Rule struct {
	ID          RuleID
	Description string // what the rule forbids, in one English sentence
	Policy      string // the Amazon policy it comes from
}

// Finding is one broken rule in a reply.
type Finding struct {
	Rule    RuleID
	Quote   string // the words that broke the rule, exactly as in the reply
	Message string // what to do about it, in English
}

const (
	policyMessaging = "Amazon Buyer-Seller Messaging Guidelines (Communication Guidelines): prohibited content"
	policyConduct   = "Amazon Seller Code of Conduct and Communication Guidelines: contact buyers only through Buyer-Seller Messaging"
	policyReviews   = "Amazon Communication Guidelines and Customer Product Reviews policy: no requests for positive reviews or feedback, no incentives, no requests to change or remove one"
	policySFP       = "Seller Fulfilled Prime programme policy: Amazon Customer Service handles returns, refunds and cancellations"
	policySFPLang   = "Seller Fulfilled Prime programme policy: customer service in the marketplace's local language"
	policySFPAnswer = "Seller Fulfilled Prime programme policy and Buyer-Seller Messaging: answer buyers' questions within 24 hours; a reply that answers nothing is no answer"
)

var rules = []Rule{
	{RuleExternalLink, "No links to websites other than Amazon's.", policyMessaging},
	{RuleEmailAddress, "No e-mail addresses, however spelt out.", policyMessaging},
	{RulePhoneNumber, "No phone numbers.", policyMessaging},
	{RuleMarketing, "No marketing: coupons, discount or promo codes, newsletters, social media, promotion of other products.", policyMessaging},
	{RuleReviewRequest, "No request for a positive review or feedback, no incentive for one, no request to change or remove one.", policyReviews},
	{RuleContactOutside, "No invitation to contact the seller outside Amazon (phone calls, WhatsApp, the seller's own website or e-mail).", policyConduct},
	{RuleDirectRefund, "No direct offer of a refund, a return or a cancellation: point the buyer to Amazon Customer Service.", policySFP},
	{RuleWrongLanguage, "Reply in the buyer's language.", policySFPLang},
	{RuleEmptyReply, "A reply must answer: not empty, not only thanks or greetings.", policySFPAnswer},
}

var ruleMessages = map[RuleID]string{
	RuleExternalLink:   "Remove the link: only links to Amazon are allowed in messages to buyers.",
	RuleEmailAddress:   "Remove the e-mail address: buyers are contacted only through Amazon's messaging.",
	RulePhoneNumber:    "Remove the phone number: buyers are contacted only through Amazon's messaging.",
	RuleMarketing:      "Remove the promotion: marketing, coupons and promotion of other products are not allowed in messages to buyers.",
	RuleReviewRequest:  "Remove the review request: asking for a positive review, offering something for one or asking to change one is not allowed.",
	RuleContactOutside: "Do not invite the buyer to contact you outside Amazon.",
	RuleDirectRefund:   "Under Seller Fulfilled Prime, refunds, returns and cancellations go through Amazon Customer Service: point the buyer there instead.",
	RuleWrongLanguage:  "Write in the buyer's language.",
	RuleEmptyReply:     "The reply answers nothing: answer the question, or mark the case \"No response needed\".",
}

// Rules lists the rules Check applies, in a stable order.
func Rules() []Rule { return slices.Clone(rules) }

// Minimum size of a reply before its language is judged: "Oui, merci" is
// French and English buyers understand it; a paragraph is another matter.
const (
	minLangWords   = 6
	minLangLetters = 30
)

// Check returns the rules that reply breaks, in the order their quotes
// appear. lang is the buyer's language (ISO 639-1, may be empty: the
// language rule is then skipped), kind the case's kind (see sfp.Kind): a
// return_received case may tell the buyer the return is being refunded,
// since that refund is the seller's to make.
func Check(reply string, lang string, kind string) []Finding {
	if thanksOnly(reply) {
		return []Finding{{RuleEmptyReply, clip(strings.TrimSpace(reply), 160), ruleMessages[RuleEmptyReply]}}
	}
	c := checker{text: reply, kind: kind}
	c.sentences = sentenceSpans(reply)
	c.contactDetails()
	c.phrases(RuleMarketing, marketingRE(), nil)
	c.contactOutside()
	c.directRefund()
	c.reviewRequest()
	c.language(lang)
	return c.result()
}

type checker struct {
	text      string
	kind      string
	sentences [][2]int
	blocked   []span // links and e-mail addresses: their words are not phrases
	found     []foundAt
	viaAmazon map[int]bool // amazonChannel's answer by sentence start
}

type foundAt struct {
	pos int
	Finding
}

func (c *checker) add(rule RuleID, start, end int) {
	c.found = append(c.found, foundAt{start, Finding{rule, c.text[start:end], ruleMessages[rule]}})
}

func (c *checker) result() []Finding {
	order := func(id RuleID) int {
		return slices.IndexFunc(rules, func(r Rule) bool { return r.ID == id })
	}
	slices.SortStableFunc(c.found, func(a, b foundAt) int {
		if a.pos != b.pos {
			return a.pos - b.pos
		}
		return order(a.Rule) - order(b.Rule)
	})
	var out []Finding
	seen := map[[2]string]bool{}
	for _, f := range c.found {
		key := [2]string{string(f.Rule), f.Quote}
		if !seen[key] {
			seen[key] = true
			out = append(out, f.Finding)
		}
	}
	return out
}

// contactDetails flags e-mail addresses, phone numbers and links outside
// Amazon, with the same detectors the redactor uses.
func (c *checker) contactDetails() {
	for _, s := range detect(c.text, true) {
		switch s.kind {
		case kindEmail:
			c.add(RuleEmailAddress, s.start, s.end)
			c.blocked = append(c.blocked, s)
			c.invitedTo(s)
		case kindPhone:
			c.add(RulePhoneNumber, s.start, s.end)
			c.invitedTo(s)
		case kindURL:
			c.blocked = append(c.blocked, s)
			if !isAmazonHost(urlHost(c.text[s.start:s.end])) {
				c.add(RuleExternalLink, s.start, s.end)
			}
		}
	}
}

// invitedTo flags "write to", "call" and the like right before an e-mail
// address or a phone number: the reply then asks the buyer to leave Amazon's
// messaging, which the Seller Code of Conduct forbids.
func (c *checker) invitedTo(s span) {
	from := c.sentenceOf(s.start)[0]
	from = max(from, s.start-40)
	for from < s.start && !utf8.RuneStart(c.text[from]) {
		from++
	}
	ms := wordMatches(contactVerbRE(), c.text[from:s.start])
	if len(ms) == 0 {
		return
	}
	v := ms[len(ms)-1]
	if c.negated(from+v[0], from+v[1]) {
		return
	}
	c.add(RuleContactOutside, from+v[0], s.end)
}

func (c *checker) isBlocked(start, end int) bool {
	return slices.ContainsFunc(c.blocked, func(s span) bool { return s.start < end && start < s.end })
}

// phrases flags each match of re that is not negated ("nous ne proposons pas
// de code promo") and passes keep.
func (c *checker) phrases(rule RuleID, re *regexp.Regexp, keep func(start, end int) bool) {
	for _, m := range wordMatches(re, c.text) {
		if c.isBlocked(m[0], m[1]) || c.negated(m[0], m[1]) {
			continue
		}
		if keep != nil && !keep(m[0], m[1]) {
			continue
		}
		c.add(rule, m[0], m[1])
	}
}

// contactOutside flags invitations to reach the seller another way than
// Amazon's messaging. "Write to us through Amazon's messaging" is fine.
func (c *checker) contactOutside() {
	c.phrases(RuleContactOutside, contactAlwaysRE(), nil)
	c.phrases(RuleContactOutside, contactRE(), func(start, _ int) bool { return !c.amazonChannel(start) })
}

// directRefund flags a seller offering a refund, a return or a
// cancellation itself. Sentences that hand the matter to Amazon Customer
// Service are fine; so is refunding a return the seller has received.
func (c *checker) directRefund() {
	c.phrases(RuleDirectRefund, refundRE(), func(start, end int) bool {
		if c.amazonChannel(start) {
			return false
		}
		if c.kind == string(sfp.KindReturnReceived) && refundClass(c.text[start:end]) == "refund" {
			return false
		}
		return true
	})
}

// reviewRequest flags, in a sentence about a review: a request to change or
// remove it, or a request for one that is positive, rewarded or asked only
// of satisfied buyers. "J'aimerais avoir votre avis sur la couleur" is none
// of these.
func (c *checker) reviewRequest() {
	nouns := wordMatches(reviewNounRE(), c.text)
	verbs := wordMatches(requestVerbRE(), c.text)
	c.phrases(RuleReviewRequest, changeReviewRE(), func(start, _ int) bool {
		return c.inSameSentence(start, nouns) >= 0
	})
	// A positive review or a top rating names the review itself.
	for _, t := range wordMatches(positiveReviewRE(), c.text) {
		if !c.isBlocked(t[0], t[1]) && !c.negated(t[0], t[1]) && c.inSameSentence(t[0], verbs) >= 0 {
			c.add(RuleReviewRequest, t[0], t[1])
		}
	}
	// A reward offered, or a request made only if the buyer is happy, in a
	// sentence about a review.
	triggers := wordMatches(incentiveRE(), c.text)
	for _, t := range wordMatches(conditionalRE(), c.text) {
		if c.inSameSentence(t[0], verbs) >= 0 {
			triggers = append(triggers, t)
		}
	}
	for _, t := range triggers {
		if c.isBlocked(t[0], t[1]) || c.negated(t[0], t[1]) {
			continue
		}
		n := c.inSameSentence(t[0], nouns)
		if n < 0 {
			continue
		}
		c.add(RuleReviewRequest, min(t[0], nouns[n][0]), max(t[1], nouns[n][1]))
	}
}

// language flags a reply of some length written in another language than
// the buyer's, unless the buyer's language is there too (a bilingual reply).
func (c *checker) language(lang string) {
	li := langIndex(normalizeLang(lang))
	if li < 0 {
		return
	}
	p := profileLanguage(c.text)
	if p.words < minLangWords || p.letters < minLangLetters || !p.confident || p.best == li {
		return
	}
	if p.score[li]*3 > p.score[p.best] {
		return
	}
	// Quote the first real sentence, not a lone "Hallo,".
	s := c.sentences[0]
	for i, sp := range c.sentences {
		if n := len(words(c.text[sp[0]:sp[1]])); n >= 3 || (n > 0 && i == len(c.sentences)-1) {
			s = sp
			break
		}
	}
	quote := clip(c.text[s[0]:s[1]], 120)
	start := s[0] + strings.Index(c.text[s[0]:s[1]], quote)
	f := foundAt{start, Finding{RuleWrongLanguage, quote,
		"The reply reads as " + langNames[detectedLangs[p.best]] + "; the buyer writes " + langNames[detectedLangs[li]] + ". " + ruleMessages[RuleWrongLanguage]}}
	c.found = append(c.found, f)
}

// clip returns the first n bytes of quote, cut on a rune boundary and
// trimmed: still a substring of what quote was cut from.
func clip(quote string, n int) string {
	if len(quote) > n {
		i := n
		for i > 0 && !utf8.RuneStart(quote[i]) {
			i--
		}
		quote = quote[:i]
	}
	return strings.TrimSpace(quote)
}

// ---- sentences ----

// sentenceSpans cuts text after . ! ? followed by a space, and at line
// breaks. It is rough ("M. Dupont" ends a sentence) and only decides which
// words belong together.
func sentenceSpans(text string) [][2]int {
	var out [][2]int
	start := 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		end := -1
		switch {
		case c == '\n':
			end = i
		case (c == '.' || c == '!' || c == '?') && (i+1 == len(text) || text[i+1] == ' ' || text[i+1] == '\t' || text[i+1] == '\r'):
			end = i + 1
		}
		if end >= 0 {
			out = append(out, [2]int{start, end})
			start = i + 1
		}
	}
	out = append(out, [2]int{start, len(text)})
	return out
}

func (c *checker) sentenceOf(pos int) [2]int {
	i, _ := slices.BinarySearchFunc(c.sentences, pos, func(s [2]int, p int) int {
		if s[1] <= p {
			return -1
		}
		if s[0] > p {
			return 1
		}
		return 0
	})
	if i >= len(c.sentences) {
		return c.sentences[len(c.sentences)-1]
	}
	return c.sentences[i]
}

// inSameSentence returns the index of the match nearest to pos in pos's
// sentence, or -1.
func (c *checker) inSameSentence(pos int, ms [][2]int) int {
	s := c.sentenceOf(pos)
	best, dist := -1, 0
	for i, m := range ms {
		if m[0] < s[0] || m[1] > s[1] {
			continue
		}
		d := m[0] - pos
		if d < 0 {
			d = -d
		}
		if best < 0 || d < dist {
			best, dist = i, d
		}
	}
	return best
}

// ---- words ----

// wordRE compiles phrases (case-insensitive regexp fragments) into one
// regexp whose group 1 is a phrase standing as whole words. Go's \b knows
// only ASCII letters, so the boundaries are spelt out: "avis" must not match
// in "avisé", nor "sale" in "salé". The boundary after is part of the match,
// so that when a longer alternative fails on it a shorter one is tried.
func wordRE(phrases ...string) *regexp.Regexp {
	return regexp.MustCompile(`(?i)(?:^|[^\p{L}\p{N}])(` + strings.Join(phrases, "|") + `)(?:[^\p{L}\p{N}]|$)`)
}

// wordMatches returns the byte ranges of the phrases re finds in text. Each
// search starts on the boundary after the previous phrase, so that two
// phrases one space apart are both found.
func wordMatches(re *regexp.Regexp, text string) [][2]int {
	var out [][2]int
	for pos := 0; pos <= len(text); {
		loc := re.FindStringSubmatchIndex(text[pos:])
		if loc == nil {
			break
		}
		s, e := pos+loc[2], pos+loc[3]
		if pos > 0 && loc[2] == 0 {
			// "^" matched the cut, not the start of the text: the phrase
			// follows the previous one without a boundary.
			_, size := utf8.DecodeRuneInString(text[pos:])
			pos += max(size, 1)
			continue
		}
		out = append(out, [2]int{s, e})
		pos = max(e, s+1)
	}
	return out
}

// Words that negate what follows them (or, in German, what precedes them):
// "we don't offer discounts", "wir erstatten nicht".
var negators = toSet(`ne n pas jamais aucun aucune ni not no never cannot t don doesn didn won isn aren nor
	nicht kein keine keinen keinem keiner nie niemals nunca ningún ninguna tampoco non mai nessun nessuna né`)

var germanAfterNegators = toSet(`nicht nie niemals`)

// negated reports whether one of the three words before start, or (for
// German word order) one of the four after end, in the same clause, negates
// the phrase.
func (c *checker) negated(start, end int) bool {
	s := c.sentenceOf(start)
	// Three words fit in 60 bytes; a longer look only costs time.
	s[0] = max(s[0], start-60)
	s[1] = max(min(s[1], end+60), end)
	// A comma ends the clause: "No problem, we will refund you".
	if i := strings.LastIndexAny(c.text[s[0]:start], ",;:"); i >= 0 {
		s[0] += i + 1
	}
	if i := strings.IndexAny(c.text[end:s[1]], ",;:"); i >= 0 {
		s[1] = end + i
	}
	before := words(validFrom(c.text, s[0], start))
	if len(before) > 3 {
		before = before[len(before)-3:]
	}
	for _, w := range before {
		if negators[w] {
			return true
		}
	}
	if end <= s[1] {
		after := words(validFrom(c.text, end, s[1]))
		if len(after) > 4 {
			after = after[:4]
		}
		for _, w := range after {
			if germanAfterNegators[w] {
				return true
			}
		}
	}
	return false
}

// validFrom returns text[i:j] with i moved forward to a rune start.
func validFrom(text string, i, j int) string {
	for i < j && !utf8.RuneStart(text[i]) {
		i++
	}
	return text[i:j]
}

// words splits s into lower-case words of letters and digits.
func words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !isAlnumRune(r) })
}

// amazonChannel reports whether the sentence around pos hands the matter to
// Amazon ("contact Amazon Customer Service", "Amazon will refund you",
// "write to us through Amazon's messaging") and does not tell the buyer to
// go around it ("no need to go through Amazon").
func (c *checker) amazonChannel(pos int) bool {
	s := c.sentenceOf(pos)
	if v, ok := c.viaAmazon[s[0]]; ok {
		return v
	}
	sent := c.text[s[0]:s[1]]
	v := strings.Contains(strings.ToLower(sent), "amazon") &&
		len(wordMatches(bypassRE(), sent)) == 0 && len(wordMatches(amazonServiceRE(), sent)) > 0
	if c.viaAmazon == nil {
		c.viaAmazon = map[int]bool{}
	}
	c.viaAmazon[s[0]] = v
	return v
}

func refundClass(m string) string {
	m = strings.ToLower(m)
	for _, w := range []string{"rembours", "refund", "reimburs", "erstatt", "zurückzahl", "zurückgezahlt", "gutschr", "gutgeschrieben", "reembols", "dinero", "importe", "rimbors"} {
		if strings.Contains(m, w) {
			return "refund"
		}
	}
	for _, w := range []string{"annul", "cancel", "storn", "anul"} {
		if strings.Contains(m, w) {
			return "cancel"
		}
	}
	return "return"
}

// ---- the empty reply ----

// thanksWords are the words of greetings, thanks and closings in the five
// languages: a reply made of nothing else answers nothing.
var thanksWords = toSet(`merci beaucoup bien bonne journée soirée cordialement salutations sincères distinguées
	bonjour bonsoir madame monsieur cher chère à vous votre tous pour message messages de d l la le et encore
	thanks thank you very much many regards kind best hello hi dear cheers sincerely yours for your message
	the again advance in and so lot a
	danke vielen vielmals schön schöne schönen grüße gruß grüßen freundlichen freundliche mit besten liebe lieber hallo
	guten tag einen für ihre ihr nachricht und
	gracias muchas saludos un una saludo cordial cordiales hola buenos buenas días dias buen día atentamente
	por su mensaje y
	grazie mille tante saluti cordiali distinti ciao buongiorno buona giornata ringrazio ringraziamo per il
	suo messaggio e gentile`)

// thanksOnly reports whether reply is empty, or holds only thanks,
// greetings, closings and at most three capitalised words (the names in the
// greeting and the signature).
func thanksOnly(reply string) bool {
	names := 0
	thanks := false
	for _, w := range strings.FieldsFunc(reply, func(r rune) bool { return !isAlnumRune(r) }) {
		lw := strings.ToLower(w)
		switch {
		case thanksWords[lw]:
			thanks = true
		case titleWords[lw]:
			// "Danke, Frau Weber!": a title says whom, not what.
		case strings.ContainsFunc(w, unicode.IsDigit):
			return false
		case unicode.IsUpper([]rune(w)[0]) && !isCommonWord(w):
			names++
		default:
			return false
		}
	}
	if !thanks {
		return names == 0
	}
	return names <= 3
}
