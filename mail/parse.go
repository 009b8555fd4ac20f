package mail

import (
	"html"
	"io"
	"mime"
	"net/mail"
	"regexp"
	"strings"
	"time"

	"github.com/emersion/go-message"
	// ISO-8859-1 and Windows-1252 bodies are common in the European
	// marketplaces; without the charset tables they cannot be decoded.
	_ "github.com/emersion/go-message/charset"
	gomail "github.com/emersion/go-message/mail"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// Class is what a piece of mail is.
type Class string

// Classes.
const (
	// ClassBuyerMessage is a buyer's message relayed by Amazon.
	ClassBuyerMessage Class = "buyer_message"
	// ClassReplyCopy is Amazon's copy of a reply the seller typed in
	// Seller Central: the buyer has been answered there.
	ClassReplyCopy Class = "reply_copy"
	ClassRefund    Class = "refund_issued"
	ClassReturn    Class = "return_request"
	ClassAToZ      Class = "a_to_z_claim"
	// ClassNotSent is a bounce or Amazon's notice that one of our replies
	// did not reach the buyer; NotSent names it.
	ClassNotSent Class = "not_sent"
	// ClassTriage is mail from Amazon that could not be read with
	// confidence; Why says what was missing.
	ClassTriage Class = "triage"
	// ClassIgnored is mail not from Amazon.
	ClassIgnored Class = "ignored"
)

// Case kinds (DESIGN §4.4) that mail becomes.
const (
	KindPreOrderQuestion = "pre_order_question"
	KindProductQuestion  = "product_question"
	KindOrderQuestion    = "order_question"
	KindRefundNotice     = "refund_notice"
	KindReturnRequested  = "return_requested"
	KindAToZClaim        = "a_to_z_claim"
)

// Amazon's notification types, from the X-Space-Notification-Type header.
const (
	typeBuyerMessage = "BBC_MESSAGE_SENT_TO_MERCHANT"
	typeReplyCopy    = "BBC_MESSAGE_CONFIRMATION_TO_MERCHANT"
	typeReturn       = "RETURN_REQUEST"
	typeRefund       = "REFUND_ISSUED"
	typeAToZ         = "A_Z_CLAIM_RESPONDENT_NOTIFY"
)

// Limits on what is read of one message. Slack shows far less than this;
// the rest of a body or an attachment is counted, never kept.
const (
	maxText    = 64 << 10
	maxHeaders = 64 << 10
)

// Attachment is a file the buyer sent, listed by name and size; its bytes
// are never kept.
type Attachment struct {
	Name string `json:"name"`
	Type string `json:"type,omitempty"`
	Size int64  `json:"size"`
}

// Message is what a case needs from one piece of mail. It holds buyer
// data (names, the alias, the text): it must not be logged.
type Message struct {
	Class Class
	// Kind is the case kind a message of this class becomes, "" for the
	// classes that make no case of their own.
	Kind string
	// Why says, for ClassTriage, what could not be read.
	Why string

	MessageID  string
	InReplyTo  []string
	References []string
	Date       time.Time
	Subject    string
	// From is the sender's address.
	From string
	// NotificationType is Amazon's X-Space-Notification-Type, if any.
	NotificationType string
	Marketplace      sfp.Marketplace

	OrderID string
	ASIN    string
	// BuyerName is the first word of the From name ("Claire - Amazon
	// Marketplace" gives "Claire").
	BuyerName string
	// ReplyTo is the buyer's relay alias: a reply to it reaches the buyer.
	ReplyTo string
	// Text is the buyer's words (between Amazon's markers, without the
	// footer or quoted history), the seller's words in a reply copy, or
	// the notice's text.
	Text        string
	Attachments []Attachment
	// NoResponseURL is the Seller Central "no response needed" link of
	// the footer, only ever a Seller Central address.
	NoResponseURL string

	// Amount is the refund or claim amount, nil where none was read.
	Amount *sfp.Money
	// Reason is the reason as Amazon wrote it; RefundReason its reading
	// as one of the contract's reasons, "" when none fits.
	Reason       string
	RefundReason sfp.RefundReason

	// NotSent lists the Message-IDs a bounce names.
	NotSent []string
}

// Refs lists every Message-ID the message answers (In-Reply-To first,
// then References), for finding the case a follow-up belongs to.
func (m *Message) Refs() []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range append(append([]string(nil), m.InReplyTo...), m.References...) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Parse reads one message. It returns an error only when r fails; mail it
// cannot make sense of comes back as ClassTriage or ClassIgnored.
func Parse(r io.Reader) (*Message, error) {
	er := &errReader{r: r}
	m, err := parse(er)
	if er.err != nil {
		return nil, er.err
	}
	if err != nil {
		return nil, err
	}
	return m, nil
}

// errReader tells the reader's own failures apart from malformed mail.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF {
		e.err = err
	}
	return n, err
}

var wordDecoder = &mime.WordDecoder{CharsetReader: message.CharsetReader}

func parse(r io.Reader) (*Message, error) {
	mr, err := gomail.CreateReader(r)
	if err != nil && !message.IsUnknownCharset(err) {
		// A header that cannot be read could be anyone's; it goes to a
		// person rather than away.
		return &Message{Class: ClassTriage, Why: "unreadable header"}, nil
	}
	h := mr.Header
	m := &Message{NotificationType: strings.TrimSpace(h.Get("X-Space-Notification-Type"))}
	m.Subject, _ = h.Subject()
	if m.Subject == "" {
		m.Subject = h.Get("Subject")
	}
	m.Subject = cleanLine(m.Subject)
	m.MessageID, _ = h.MessageID()
	m.InReplyTo, _ = h.MsgIDList("In-Reply-To")
	m.References, _ = h.MsgIDList("References")
	m.Date, _ = h.Date()
	var fromName string
	if from, err := h.AddressList("From"); err == nil && len(from) > 0 {
		m.From = strings.ToLower(from[0].Address)
		fromName = from[0].Name
	} else if a, err := mail.ParseAddress(h.Get("From")); err == nil {
		m.From = strings.ToLower(a.Address)
		fromName, _ = wordDecoder.DecodeHeader(a.Name)
	}
	ctype, _, _ := h.ContentType()

	body := readBody(mr, m)

	local, domain, _ := strings.Cut(m.From, "@")
	amazon := amazonDomain.MatchString(domain)
	bounce := ctype == "multipart/report" || local == "mailer-daemon" || local == "postmaster"
	if !amazon && !bounce {
		m.Class = ClassIgnored
		return m, nil
	}
	m.Marketplace = marketplaceOf(h.Get("X-Marketplace-ID"), domain)
	m.NoResponseURL = noResponseRe.FindString(body.raw)

	class := classify(m, local, domain, amazon, bounce)
	switch class {
	case ClassBuyerMessage:
		readBuyerMessage(m, body, fromName, domain)
	case ClassReplyCopy:
		readReplyCopy(m, body)
	case ClassRefund:
		readNotice(m, body, KindRefundNotice, true)
	case ClassReturn:
		readNotice(m, body, KindReturnRequested, false)
	case ClassAToZ:
		readNotice(m, body, KindAToZClaim, false)
	case ClassNotSent:
		readNotSent(m, body, amazon)
	default:
		m.Class, m.Why = ClassTriage, "unknown kind of notice"
		if m.NotificationType != "" {
			m.Why = "unknown notification type " + cut(m.NotificationType, 64)
		}
	}
	if m.Class == ClassTriage || m.Class == ClassIgnored {
		m.Kind = ""
	}
	return m, nil
}

// body is the readable text of a message.
type body struct {
	// text is the text/plain part, or the HTML part made text.
	text string
	// raw is every text part as it came, for links and Message-IDs.
	raw string
	// headers is what a bounce quotes of the original message.
	headers string
}

func readBody(mr *gomail.Reader, m *Message) body {
	var plain, html, headers strings.Builder
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil && !message.IsUnknownCharset(err) {
			break
		}
		if p == nil {
			break
		}
		var (
			t      string
			params map[string]string
			name   string
			inline bool
		)
		switch ph := p.Header.(type) {
		case *gomail.InlineHeader:
			t, params, _ = ph.ContentType()
			name, inline = params["name"], true
		case *gomail.AttachmentHeader:
			t, params, _ = ph.ContentType()
			if name, _ = ph.Filename(); name == "" {
				name = params["name"]
			}
		}
		switch {
		case t == "message/rfc822" || t == "text/rfc822-headers" || t == "message/delivery-status":
			// What a bounce quotes of the original, for its Message-ID.
			readLimited(&headers, p.Body, maxHeaders)
		case inline && t == "text/plain" && plain.Len() == 0:
			readLimited(&plain, p.Body, maxText)
		case inline && t == "text/html" && html.Len() == 0:
			readLimited(&html, p.Body, maxText)
		case inline && strings.HasPrefix(t, "text/"):
			discard(p.Body)
		default:
			m.Attachments = append(m.Attachments, Attachment{Name: cut(cleanLine(name), 255), Type: t, Size: discard(p.Body)})
		}
	}
	b := body{raw: plain.String() + "\n" + html.String(), headers: headers.String()}
	b.text = plain.String()
	if strings.TrimSpace(b.text) == "" {
		b.text = htmlText(html.String())
	}
	b.text = strings.ReplaceAll(b.text, "\r\n", "\n")
	return b
}

// readLimited keeps the first max bytes of r and drains the rest, so that
// the next part can be read.
func readLimited(w *strings.Builder, r io.Reader, max int64) {
	io.Copy(w, io.LimitReader(r, max))
	discard(r)
}

// discard drains r and says how many bytes it had: attachments are
// measured, never held.
func discard(r io.Reader) int64 {
	n, _ := io.Copy(io.Discard, r)
	return n
}

// Sender and marketplace.

var amazonDomain = regexp.MustCompile(`^(?:[a-z0-9-]+\.)*amazon\.(?:fr|de|es|it|co\.uk|com|nl|com\.be|pl|se)$`)

// marketplaceIDs are Amazon's public marketplace identifiers.
var marketplaceIDs = map[string]sfp.Marketplace{
	"A13V1IB3VIYZZH": "amazon.fr",
	"A1PA6795UKMFR9": "amazon.de",
	"A1RKKUPIHCS9HS": "amazon.es",
	"APJ6JRA9NG5V4":  "amazon.it",
	"A1F83G8C2ARO7P": "amazon.co.uk",
	"ATVPDKIKX0DER":  "amazon.com",
	"A1805IZSGTT6HS": "amazon.nl",
	"AMEN7PMS3EDWL":  "amazon.com.be",
	"A1C3SOZRARQ6R3": "amazon.pl",
	"A2NODRKZP88ZB9": "amazon.se",
}

func marketplaceOf(id, domain string) sfp.Marketplace {
	if mp, ok := marketplaceIDs[strings.ToUpper(strings.TrimSpace(id))]; ok {
		return mp
	}
	if i := strings.Index(domain, "amazon."); i >= 0 {
		if mp, ok := sfp.ParseMarketplace(domain[i:]); ok {
			return mp
		}
	}
	return ""
}

// Classification: the notification header first, then sender and subject.

var (
	refundSubject   = regexp.MustCompile(`(?i)refund|rembours|erstattung|rückerstattung|reembolso|rimborso`)
	returnSubject   = regexp.MustCompile(`(?i)return (request|authori[sz]ation)|demande de retour|autorisation de retour|rücksend|retoure|devoluci[oó]n|\breso\b|richiesta di restituzione`)
	atozSubject     = regexp.MustCompile(`(?i)a-to-z|a à z|a-bis-z|a a la z|dalla a alla z`)
	replyCopySubj   = regexp.MustCompile(`(?i)^(your e-?mail to|votre e-?mail à|ihre e-?mail an|su (correo electrónico|e-?mail) a|tu (correo electrónico|e-?mail) a|la tua e-?mail a|il tuo messaggio a)\b`)
	notSentSubject  = regexp.MustCompile(`(?i)not (been )?(delivered|sent)|undeliver|n'a pas (pu être|été) (envoyé|remis|distribué)|non (remis|distribué|envoyé)|nicht (zugestellt|gesendet|versendet)|unzustellbar|no se (ha )?(podido|pudo) (entregar|enviar)|no entregado|non (è stato|consegnat|inviat)|delivery status notification|mail delivery failed`)
	atozSender      = regexp.MustCompile(`^atoz-guarantee-no-reply$`)
	marketplaceHost = regexp.MustCompile(`^marketplace\.amazon\.`)
)

func classify(m *Message, local, domain string, amazon, bounce bool) Class {
	if amazon {
		switch m.NotificationType {
		case typeBuyerMessage:
			return ClassBuyerMessage
		case typeReplyCopy:
			return ClassReplyCopy
		case typeRefund:
			return ClassRefund
		case typeReturn:
			return ClassReturn
		case typeAToZ:
			return ClassAToZ
		}
	}
	switch {
	case bounce:
		return ClassNotSent
	case atozSender.MatchString(local) || atozSubject.MatchString(m.Subject):
		return ClassAToZ
	case notSentSubject.MatchString(m.Subject):
		return ClassNotSent
	case replyCopySubj.MatchString(m.Subject):
		return ClassReplyCopy
	case marketplaceHost.MatchString(domain):
		return ClassBuyerMessage
	case returnSubject.MatchString(m.Subject):
		return ClassReturn
	case refundSubject.MatchString(m.Subject):
		return ClassRefund
	}
	return ""
}

// Buyer messages.

var (
	beginMarker = regexp.MustCompile(`(?im)^[ \t]*-{3,}[ \t]*(?:begin message|début du message|debut du message|beginn der nachricht|nachricht beginnt|inicio del mensaje|comienzo del mensaje|inizio (?:del )?messaggio)[ \t]*-{3,}[ \t]*$`)
	endMarker   = regexp.MustCompile(`(?im)^[ \t]*-{3,}[ \t]*(?:end message|end of message|fin du message|ende der nachricht|nachricht endet|fin del mensaje|fine (?:del )?messaggio)[ \t]*-{3,}[ \t]*$`)
	// quoteStart is where a buyer's mail client starts quoting history.
	quoteStart = regexp.MustCompile(`(?im)^[ \t]*(?:on .{1,200} wrote:|le .{1,200} a écrit ?:|am .{1,200} schrieb .{0,200}:|el .{1,200} escribió:|il .{1,200} ha scritto:|-{2,}[ \t]*(?:original message|message d'origine|ursprüngliche nachricht|mensaje original|messaggio originale)[ \t]*-{2,})[ \t]*$`)
	orderRe    = regexp.MustCompile(`\b\d{3}-\d{7}-\d{7}\b`)
	asinRe     = regexp.MustCompile(`\bASIN\s*:?\s*([A-Z0-9]{10})\b`)
	productRe  = regexp.MustCompile(`(?i)détails? du produit|product details?|produktdetails|detalles del producto|dettagli (?:del )?prodotto`)
	// noResponseRe takes only a Seller Central address, so that a button
	// made from it never leads anywhere else.
	noResponseRe = regexp.MustCompile(`https://sellercentral(?:-europe)?\.amazon\.(?:fr|de|es|it|co\.uk|com|nl|com\.be|pl|se)/[^\s"'<>\]]*(?i:no-?response-?needed|noresponseneeded)[^\s"'<>\]]*`)
)

func readBuyerMessage(m *Message, b body, fromName, domain string) {
	m.Class = ClassBuyerMessage
	if !marketplaceHost.MatchString(domain) {
		m.Class, m.Why = ClassTriage, "buyer message without a relay alias"
		return
	}
	text, ok := between(b.text)
	if !ok {
		m.Class, m.Why = ClassTriage, "buyer message without Amazon's message markers"
		return
	}
	m.Text = stripQuoted(text)
	m.ReplyTo = m.From
	m.BuyerName = firstName(fromName)
	m.OrderID = orderIn(m.Subject, b.text)
	if a := asinRe.FindStringSubmatch(b.text); a != nil {
		m.ASIN = a[1]
	}
	switch {
	case m.OrderID != "":
		m.Kind = KindOrderQuestion
	case m.ASIN != "" || productRe.MatchString(m.Subject):
		m.Kind = KindProductQuestion
	default:
		m.Kind = KindPreOrderQuestion
	}
}

// between returns the text between Amazon's begin and end markers.
func between(s string) (string, bool) {
	bi := beginMarker.FindStringIndex(s)
	if bi == nil {
		return "", false
	}
	rest := s[bi[1]:]
	ei := endMarker.FindStringIndex(rest)
	if ei == nil {
		return "", false
	}
	return strings.TrimSpace(rest[:ei[0]]), true
}

func stripQuoted(s string) string {
	if i := quoteStart.FindStringIndex(s); i != nil {
		s = s[:i[0]]
	}
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), ">") {
			continue
		}
		out = append(out, strings.TrimRight(line, " \t"))
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// firstName takes the buyer's first name from "Claire Dupont - Amazon
// Marketplace"; a From name that is only Amazon's gives none.
func firstName(name string) string {
	name, _, _ = strings.Cut(name, " - ")
	name = strings.TrimSpace(name)
	if strings.Contains(strings.ToLower(name), "amazon") {
		return ""
	}
	f := strings.Fields(name)
	if len(f) == 0 {
		return ""
	}
	return cut(f[0], 64)
}

func orderIn(subject, text string) string {
	if o := orderRe.FindString(subject); o != "" {
		return o
	}
	return orderRe.FindString(text)
}

// Reply copies.

func readReplyCopy(m *Message, b body) {
	m.Class = ClassReplyCopy
	m.OrderID = orderIn(m.Subject, b.text)
	if a := aliasRe.FindString(b.text); a != "" {
		m.ReplyTo = strings.ToLower(a)
	}
	text, ok := between(b.text)
	if !ok {
		text = b.text
	}
	m.Text = cut(stripQuoted(text), maxText)
	if m.OrderID == "" && m.ReplyTo == "" && len(m.Refs()) == 0 {
		m.Class, m.Why = ClassTriage, "reply copy naming no order, buyer or message"
	}
}

var aliasRe = regexp.MustCompile(`(?i)\b[a-z0-9._%+-]+@marketplace\.amazon\.(?:fr|de|es|it|co\.uk|com|nl|com\.be|pl|se)\b`)

// Notices: refunds, returns, A-to-z claims.

var (
	reasonRe   = regexp.MustCompile(`(?im)^[ \t]*(?:refund reason|return reason|reason for (?:the )?(?:refund|return|claim)|reason|motif(?: du remboursement| du retour| de la réclamation)?|raison|erstattungsgrund|rücksendegrund|grund(?: der erstattung| der rücksendung)?|motivo(?: del reembolso| de la devolución| del rimborso| del reso| della richiesta)?)[ \t]*:[ \t]*(.+?)[ \t]*$`)
	amountLine = regexp.MustCompile(`(?im)^[ \t]*(?:refund amount|amount|total|claim amount|montant(?: du remboursement| total| de la réclamation)?|erstattungsbetrag|betrag|gesamtbetrag|importe(?: del reembolso| total| reclamado)?|importo(?: del rimborso| totale| richiesto)?)[ \t]*:[ \t]*(.+?)[ \t]*$`)
	moneyRe    = regexp.MustCompile(`(?i)(EUR|GBP|USD|PLN|SEK|€|£|\$)[ \t\x{a0}]?(\d{1,3}(?:[.,  \x{a0}]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)\b|(\d{1,3}(?:[.,  \x{a0}]\d{3})*(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)[ \t\x{a0}]?(EUR|GBP|USD|PLN|SEK|€|£|\$|zł|kr)`)
)

func readNotice(m *Message, b body, kind string, needAmount bool) {
	switch kind {
	case KindRefundNotice:
		m.Class = ClassRefund
	case KindReturnRequested:
		m.Class = ClassReturn
	default:
		m.Class = ClassAToZ
	}
	m.Kind = kind
	m.OrderID = orderIn(m.Subject, b.text)
	m.Text = cut(strings.TrimSpace(b.text), maxText)
	if r := reasonRe.FindStringSubmatch(b.text); r != nil {
		m.Reason = cut(r[1], 200)
		m.RefundReason = refundReasonOf(m.Reason)
	}
	if a := amountLine.FindStringSubmatch(b.text); a != nil {
		m.Amount = moneyIn(a[1], m.Marketplace)
	}
	if m.Amount == nil {
		m.Amount = moneyIn(b.text, m.Marketplace)
	}
	switch {
	case m.OrderID == "":
		m.Class, m.Why = ClassTriage, string(m.Class)+" notice without an order id"
	case needAmount && m.Amount == nil:
		m.Class, m.Why = ClassTriage, "refund notice without a readable amount"
	}
}

// moneyIn reads the first amount of s in any marketplace's format: "EUR
// 39.9", "39,90 €", "£12.50", "1.234,56 €".
func moneyIn(s string, mp sfp.Marketplace) *sfp.Money {
	g := moneyRe.FindStringSubmatch(s)
	if g == nil {
		return nil
	}
	cur, num := g[1], g[2]
	if cur == "" {
		num, cur = g[3], g[4]
	}
	minor, ok := sfp.ParseAmount(dropThousands(num))
	if !ok {
		return nil
	}
	return &sfp.Money{Minor: minor, Currency: currencyOf(cur, mp)}
}

var thousands = regexp.MustCompile(`[.,  \x{a0}](\d{3})`)

// dropThousands removes group separators, leaving the decimal one: the
// last separator is decimal when one or two digits follow it.
func dropThousands(s string) string {
	dec := ""
	if i := strings.LastIndexAny(s, ".,"); i >= 0 && len(s)-i-1 <= 2 {
		s, dec = s[:i], s[i:]
	}
	return thousands.ReplaceAllString(s, "$1") + dec
}

func currencyOf(sym string, mp sfp.Marketplace) string {
	switch strings.ToUpper(sym) {
	case "€", "EUR":
		return "EUR"
	case "£", "GBP":
		return "GBP"
	case "$", "USD":
		return "USD"
	case "ZŁ", "PLN":
		return "PLN"
	case "KR", "SEK":
		return "SEK"
	}
	return mp.Info().Currency
}

// refundReasons reads Amazon's reason text, in each marketplace's
// language, as one of the contract's reasons.
var refundReasons = []struct {
	re     *regexp.Regexp
	reason sfp.RefundReason
}{
	{regexp.MustCompile(`(?i)damaged in transit|endommagé pendant le transport|transportschaden|dañado durante el transporte|danneggiato durante il trasporto`), sfp.ReasonDamagedInTransit},
	{regexp.MustCompile(`(?i)lost in transit|perdu pendant le transport|colis perdu|verloren|perdido|smarrito|perso durante`), sfp.ReasonLostInTransit},
	{regexp.MustCompile(`(?i)late delivery|arrived late|livraison tardive|livré en retard|verspätet|späte lieferung|entrega tardía|retraso|consegna in ritardo|ritardo`), sfp.ReasonLateDelivery},
	{regexp.MustCompile(`(?i)no tracking|without tracking|pas de suivi|sans suivi|keine sendungsverfolgung|sin seguimiento|senza tracciamento`), sfp.ReasonNoTracking},
	{regexp.MustCompile(`(?i)no longer needed|not needed|plus besoin|nicht mehr benötigt|ya no (lo )?necesita|non più necessario`), sfp.ReasonNoLongerNeeded},
	{regexp.MustCompile(`(?i)defective|does not work|défectueux|ne fonctionne pas|defekt|funktioniert nicht|defectuoso|no funciona|difettoso|non funziona`), sfp.ReasonDefective},
	{regexp.MustCompile(`(?i)missing parts|pièces manquantes|fehlende teile|unvollständig|faltan piezas|piezas que faltan|parti mancanti`), sfp.ReasonMissingParts},
	{regexp.MustCompile(`(?i)wrong item|incorrect item|article erroné|mauvais article|falscher artikel|artículo equivocado|artículo incorrecto|articolo sbagliato|articolo errato`), sfp.ReasonWrongItem},
	{regexp.MustCompile(`(?i)damaged|endommagé|abîmé|beschädigt|dañado|danneggiato`), sfp.ReasonDamaged},
}

func refundReasonOf(s string) sfp.RefundReason {
	for _, r := range refundReasons {
		if r.re.MatchString(s) {
			return r.reason
		}
	}
	return ""
}

// Bounces and Amazon's "not sent" notices.

var msgIDLine = regexp.MustCompile(`(?im)^[ \t]*(?:message-id|original-message-id|x-original-message-id)[ \t]*:[ \t]*(<[^<>\s]{1,250}>)`)

func readNotSent(m *Message, b body, amazon bool) {
	m.Class = ClassNotSent
	seen := map[string]bool{}
	add := func(id string) {
		id = strings.Trim(strings.TrimSpace(id), "<>")
		if id != "" && id != m.MessageID && !seen[id] {
			seen[id] = true
			m.NotSent = append(m.NotSent, id)
		}
	}
	for _, id := range m.Refs() {
		add(id)
	}
	for _, g := range msgIDLine.FindAllStringSubmatch(b.headers+"\n"+b.text, -1) {
		add(g[1])
	}
	m.OrderID = orderIn(m.Subject, b.text)
	m.Text = cut(strings.TrimSpace(b.text), 2000)
	m.Reason = cut(cleanLine(firstLines(b.text, 3)), 300)
	if len(m.NotSent) == 0 {
		if amazon {
			m.Class, m.Why = ClassTriage, "delivery notice naming no message"
		} else {
			m.Class = ClassIgnored
		}
	}
}

func firstLines(s string, n int) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
			if len(out) == n {
				break
			}
		}
	}
	return strings.Join(out, " ")
}

// Text helpers.

var (
	dropBlocks = regexp.MustCompile(`(?is)<(script|style|head)\b.*?</(script|style|head)\s*>`)
	breakTags  = regexp.MustCompile(`(?i)<br\s*/?>|</(p|div|tr|li|h[1-6]|table)\s*>`)
	anyTag     = regexp.MustCompile(`(?s)<[^>]*>`)
	manyBlank  = regexp.MustCompile(`\n[ \t]*\n(?:[ \t]*\n)+`)
	hrefRe     = regexp.MustCompile(`(?i)<a\b[^>]*\bhref\s*=\s*["']([^"']+)["'][^>]*>`)
)

// htmlText makes an HTML-only body readable text: Amazon's reply copies
// often have no text part. Links are kept as text so that the footer's
// Seller Central link can still be found.
func htmlText(s string) string {
	if s == "" {
		return ""
	}
	s = dropBlocks.ReplaceAllString(s, "")
	s = hrefRe.ReplaceAllString(s, " $1 ")
	s = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
	s = breakTags.ReplaceAllString(s, "\n")
	s = anyTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.Join(strings.Fields(l), " ")
	}
	return strings.TrimSpace(manyBlank.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

// cleanLine makes a header value one line of printable text.
func cleanLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r < 0x20 || r == 0x7f
	}), " ")
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
