package handlers

import (
	"bytes"
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
)

// intakeRequest is a contact from the intake API once validated: every
// field in its normal form, the defaults filled in.
type intakeRequest struct {
	SourceID    string
	Kind        sfp.Kind
	Seller      string
	Marketplace sfp.Marketplace
	OrderID     string
	ASIN, SKU   string
	Customer    sfp.Customer
	Subject     string
	Body        string
	// ReceivedAt is when the buyer wrote; now when the request said
	// nothing.
	ReceivedAt  time.Time
	CallbackURL string
	// SourceName names the integration on the card (optional).
	SourceName string
	// Refund is kept for a refund_notice only, Return for a
	// return_received only; on other kinds they are checked and dropped.
	// Refund.RefundedAt is nil when the request gave none: the refund
	// then dates from ReceivedAt.
	Refund *sfp.Refund
	Return *sfp.Return
	// CaseID, in canonical form, makes the contact a follow-up.
	CaseID string
}

// intakeFields lists a contact's fields in the contract's order (DESIGN
// §4.4): of several bad fields, a request is told about the first in this
// order, whatever the order of its JSON.
var intakeFields = []string{
	"source_id", "kind", "seller", "marketplace", "order_id", "asin", "sku",
	"customer.name", "customer.language", "subject", "body", "received_at", "callback_url", "source_name",
	"refund.amount", "refund.currency", "refund.reason", "refund.refunded_at", "refund.refunded_by",
	"refund.returnless", "refund.outside_return_window", "refund.a_to_z_claim", "refund.note",
	"return.received_at", "return.tracking", "return.carrier", "case_id",
}

// Limits of the contract (DESIGN §4.4).
const (
	maxSourceID    = 200
	maxSKU         = 64
	maxName        = 200
	maxSubject     = 250
	maxBody        = 20000
	maxNote        = 2000
	maxTracking    = 64
	maxCallbackURL = 2048
	maxSourceName  = 100
	// futureSlack is how far ahead of our clock a time may be: clocks
	// drift, but a message from tomorrow is a mistake.
	futureSlack = 5 * time.Minute
)

// amountPattern is the contract's amount: a string, so that no client's
// floating point ever turns 39.90 into 39.899999.
const amountPattern = `^\d{1,7}([.,]\d{1,2})?$`

var (
	amountRe   = regexp.MustCompile(amountPattern)
	langRe     = regexp.MustCompile(`^[a-z]{2}$`)
	currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)
)

// decodeIntake reads and validates a contact. It is pure: now is the
// clock's time and allow is SFPDESK_CALLBACK_ALLOW. Every error is an
// EINVALID *sfp.Error whose Field is the dotted path of the first bad field
// in the order of intakeFields, or "" when the body as a whole is not a
// JSON object. Unknown fields are ignored.
func decodeIntake(body []byte, now time.Time, allow []string) (*intakeRequest, *sfp.Error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, &sfp.Error{Code: sfp.EINVALID, Message: "the body must be a JSON object"}
	}
	r := &fields{top: top, objects: map[string]map[string]json.RawMessage{}}
	in := &intakeRequest{}
	var err *sfp.Error

	// source_id
	if in.SourceID, err = r.text("source_id", maxSourceID); err != nil {
		return nil, err
	}
	if in.SourceID == "" {
		return nil, missing("source_id", "")
	}
	if strings.TrimSpace(in.SourceID) == "" {
		return nil, sfp.Invalid("source_id", "source_id must not be blank")
	}

	// kind
	s, err := r.str("kind")
	if err != nil {
		return nil, err
	}
	if s == "" {
		return nil, missing("kind", "")
	}
	k, ok := sfp.ParseKind(s)
	if !ok {
		return nil, sfp.Invalid("kind", "kind must be one of %s", join(sfp.Kinds))
	}
	in.Kind = k

	// seller
	if s, err = r.str("seller"); err != nil {
		return nil, err
	}
	if s == "" {
		return nil, missing("seller", "")
	}
	// ParseSeller forgives the blanks a person types around a name; a
	// program that sends "acme\n" has a bug to hear about.
	if in.Seller, ok = sfp.ParseSeller(s); !ok || strings.TrimSpace(s) != s {
		return nil, sfp.Invalid("seller", "seller must be 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or a digit")
	}

	// marketplace
	if s, err = r.str("marketplace"); err != nil {
		return nil, err
	}
	in.Marketplace = sfp.DefaultMarketplace
	if s != "" {
		if in.Marketplace, ok = sfp.ParseMarketplace(s); !ok {
			var names []string
			for _, m := range sfp.Marketplaces() {
				names = append(names, string(m.Domain))
			}
			return nil, sfp.Invalid("marketplace", "marketplace must be one of %s", strings.Join(names, ", "))
		}
	}

	// order_id
	if in.OrderID, err = r.str("order_id"); err != nil {
		return nil, err
	}
	switch {
	case in.OrderID == "" && k.NeedsOrder():
		return nil, missing("order_id", k)
	case in.OrderID != "" && !sfp.ValidOrderID(in.OrderID):
		return nil, sfp.Invalid("order_id", "order_id must be an Amazon order id such as 171-1234567-1234567")
	}

	// asin, sku
	if in.ASIN, err = r.str("asin"); err != nil {
		return nil, err
	}
	if in.ASIN != "" && !sfp.ValidASIN(in.ASIN) {
		return nil, sfp.Invalid("asin", "asin must be 10 upper-case letters or digits, such as B08N5WRWNW")
	}
	if in.SKU, err = r.text("sku", maxSKU); err != nil {
		return nil, err
	}

	// customer.name, customer.language
	if in.Customer.Name, err = r.text("customer.name", maxName); err != nil {
		return nil, err
	}
	if s, err = r.str("customer.language"); err != nil {
		return nil, err
	}
	if s != "" {
		s = strings.ToLower(s)
		if !langRe.MatchString(s) || !strings.Contains(iso639, " "+s+" ") {
			return nil, sfp.Invalid("customer.language", "customer.language must be an ISO 639-1 code such as fr or de")
		}
		in.Customer.Language = s
	}

	// subject, body
	if in.Subject, err = r.text("subject", maxSubject); err != nil {
		return nil, err
	}
	if in.Body, err = r.text("body", maxBody); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Body) == "" {
		in.Body = ""
		if k != sfp.KindReturnReceived {
			return nil, missing("body", k)
		}
	}

	// received_at
	in.ReceivedAt = now
	if t, present, err := r.instant("received_at", now); err != nil {
		return nil, err
	} else if present {
		in.ReceivedAt = t
	}

	// callback_url
	if s, err = r.str("callback_url"); err != nil {
		return nil, err
	}
	if s != "" {
		if err := checkCallbackURL(s, allow); err != nil {
			return nil, err
		}
		in.CallbackURL = s
	}

	// source_name
	if s, err = r.text("source_name", maxSourceName); err != nil {
		return nil, err
	}
	in.SourceName = strings.Join(strings.Fields(s), " ")

	// refund.*
	refund, err := r.refund(k, now)
	if err != nil {
		return nil, err
	}
	if k == sfp.KindRefundNotice {
		in.Refund = refund
	}

	// return.*
	var ret sfp.Return
	t, present, err := r.instant("return.received_at", now)
	if err != nil {
		return nil, err
	}
	if !present && k == sfp.KindReturnReceived {
		return nil, missing("return.received_at", k)
	}
	ret.ReceivedAt = t
	if ret.Tracking, err = r.text("return.tracking", maxTracking); err != nil {
		return nil, err
	}
	if ret.Carrier, err = r.text("return.carrier", maxTracking); err != nil {
		return nil, err
	}
	if k == sfp.KindReturnReceived {
		in.Return = &ret
	}

	// case_id
	if s, err = r.str("case_id"); err != nil {
		return nil, err
	}
	if s != "" {
		id, _, ok := sfp.ParseCaseID(s)
		if !ok {
			return nil, sfp.Invalid("case_id", "case_id must be a case id such as SFP-1001")
		}
		in.CaseID = id
	}
	return in, nil
}

func (r *fields) refund(k sfp.Kind, now time.Time) (*sfp.Refund, *sfp.Error) {
	need := k == sfp.KindRefundNotice
	ref := &sfp.Refund{}

	raw, err := r.raw("refund.amount")
	if err != nil {
		return nil, err
	}
	switch {
	case raw == nil && need:
		return nil, missing("refund.amount", k)
	case raw != nil && raw[0] != '"':
		return nil, sfp.Invalid("refund.amount", `refund.amount must be a string such as "39.90", not a JSON number`)
	case raw != nil:
		var s string
		if json.Unmarshal(raw, &s) != nil || !amountRe.MatchString(s) {
			return nil, sfp.Invalid("refund.amount", `refund.amount must be an amount such as "39.90" or "39,90": up to 7 digits, then up to 2 decimals`)
		}
		minor, _ := sfp.ParseAmount(s)
		if minor <= 0 {
			return nil, sfp.Invalid("refund.amount", "refund.amount must be more than 0")
		}
		ref.Amount.Minor = minor
	}

	s, err := r.str("refund.currency")
	if err != nil {
		return nil, err
	}
	switch cur := strings.ToUpper(s); {
	case s == "" && need:
		return nil, missing("refund.currency", k)
	case s == "":
	case !currencyRe.MatchString(cur) || !strings.Contains(iso4217, " "+cur+" "):
		return nil, sfp.Invalid("refund.currency", "refund.currency must be an ISO 4217 code such as EUR")
	case !strings.Contains(iso4217Cents, " "+cur+" "):
		return nil, sfp.Invalid("refund.currency", "refund.currency %s has no cents: sfpdesk keeps refunds in currencies with 2 decimals, as Amazon's SFP marketplaces use", cur)
	default:
		ref.Amount.Currency = cur
	}

	if s, err = r.str("refund.reason"); err != nil {
		return nil, err
	}
	if s == "" && need {
		return nil, missing("refund.reason", k)
	}
	if s != "" {
		reason, ok := sfp.ParseRefundReason(s)
		if !ok {
			return nil, sfp.Invalid("refund.reason", "refund.reason must be one of %s", join(sfp.RefundReasons))
		}
		ref.Reason = string(reason)
	}

	// When Amazon refunded: the claim window counts from it, not from when
	// the notice reached sfpdesk. A refund from the future is a mistake;
	// one from long ago is taken, and its card says the window closed.
	if t, present, err := r.instant("refund.refunded_at", now); err != nil {
		return nil, err
	} else if present {
		ref.RefundedAt = &t
	}

	if s, err = r.str("refund.refunded_by"); err != nil {
		return nil, err
	}
	by, ok := sfp.ParseRefundedBy(s)
	if !ok {
		return nil, sfp.Invalid("refund.refunded_by", "refund.refunded_by must be one of %s", join(sfp.RefundIssuers))
	}
	ref.RefundedBy = string(by)

	if ref.Returnless, err = r.boolean("refund.returnless"); err != nil {
		return nil, err
	}
	if ref.OutsideReturnWindow, err = r.boolean("refund.outside_return_window"); err != nil {
		return nil, err
	}
	if ref.AToZClaim, err = r.boolean("refund.a_to_z_claim"); err != nil {
		return nil, err
	}
	if ref.Note, err = r.text("refund.note", maxNote); err != nil {
		return nil, err
	}
	return ref, nil
}

// checkCallbackURL applies the contract's rule for callback_url: https://,
// or any scheme of http(s) to a host in SFPDESK_CALLBACK_ALLOW; a literal
// private or loopback address, or a localhost name, only when allowed. A
// name is checked again, once resolved, when each callback is sent.
func checkCallbackURL(s string, allow []string) *sfp.Error {
	const field = "callback_url"
	if utf8.RuneCountInString(s) > maxCallbackURL {
		return sfp.Invalid(field, "callback_url must be at most %d characters", maxCallbackURL)
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return sfp.Invalid(field, "callback_url must be an absolute URL such as https://helpdesk.example/sfpdesk")
	}
	host := strings.ToLower(u.Hostname())
	allowed := bot.CallbackAllowed(allow, host)
	switch u.Scheme {
	case "https":
	case "http":
		if !allowed {
			return sfp.Invalid(field, "callback_url must use https:// (plain http:// is only for hosts in SFPDESK_CALLBACK_ALLOW)")
		}
	default:
		return sfp.Invalid(field, "callback_url must be an https:// URL")
	}
	if allowed {
		return nil
	}
	switch ip, class := bot.ClassifyHost(host); {
	case class == bot.HostInternal && !ip.IsValid():
		return sfp.Invalid(field, "callback_url points to a loopback host; add the host to SFPDESK_CALLBACK_ALLOW to allow it")
	case class == bot.HostInternal:
		return sfp.Invalid(field, "callback_url points to a private or loopback address; add the host to SFPDESK_CALLBACK_ALLOW to allow it")
	case class == bot.HostInvalid:
		return sfp.Invalid(field, "callback_url has a host that is neither a name nor an address")
	}
	return nil
}

func missing(field string, k sfp.Kind) *sfp.Error {
	if k == "" {
		return sfp.Invalid(field, "%s is required", field)
	}
	return sfp.Invalid(field, "%s is required for %s", field, k)
}

func join[T ~string](vs []T) string {
	var s []string
	for _, v := range vs {
		s = append(s, string(v))
	}
	return strings.Join(s, ", ")
}

// fields reads the values of a contact by dotted path. A null counts as
// absent, and so does an empty string: clients that fill every field of a
// form send "" for what they do not know.
type fields struct {
	top     map[string]json.RawMessage
	objects map[string]map[string]json.RawMessage
}

// raw returns the JSON value at path, nil when absent or null.
func (r *fields) raw(path string) (json.RawMessage, *sfp.Error) {
	parent, name, nested := strings.Cut(path, ".")
	src := r.top
	if nested {
		obj, ok := r.objects[parent]
		if !ok {
			v := r.top[parent]
			if isNull(v) {
				return nil, nil
			}
			if err := json.Unmarshal(v, &obj); err != nil || obj == nil {
				// The contract's fields are dotted paths: the answer names
				// the first field that could not be read, as for any other.
				return nil, sfp.Invalid(path, "%s must be an object with %s", parent, path)
			}
			r.objects[parent] = obj
		}
		src = obj
	} else {
		name = path
	}
	v := src[name]
	if isNull(v) {
		return nil, nil
	}
	return v, nil
}

func isNull(v json.RawMessage) bool {
	return len(v) == 0 || bytes.Equal(v, []byte("null"))
}

// str returns the string at path, "" when absent.
func (r *fields) str(path string) (string, *sfp.Error) {
	v, err := r.raw(path)
	if err != nil || v == nil {
		return "", err
	}
	var s string
	if v[0] != '"' || json.Unmarshal(v, &s) != nil {
		return "", sfp.Invalid(path, "%s must be a string", path)
	}
	// encoding/json replaces what is not UTF-8 (raw bytes, lone surrogate
	// escapes) with U+FFFD without a word: two different ids would become
	// one. A replacement the sender did not write is refused.
	if !utf8.Valid(v) || strings.Count(s, "\uFFFD") != writtenReplacements(v) {
		return "", sfp.Invalid(path, "%s must be valid UTF-8 text", path)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", sfp.Invalid(path, "%s must not contain NUL characters", path)
	}
	return s, nil
}

// writtenReplacements counts the U+FFFD a JSON string literal spells,
// raw or as an escape.
func writtenReplacements(lit []byte) int {
	n := bytes.Count(lit, []byte("\uFFFD"))
	for i := 0; i < len(lit); i++ {
		if lit[i] != '\\' || i+1 >= len(lit) {
			continue
		}
		if lit[i+1] == 'u' && i+6 <= len(lit) && strings.EqualFold(string(lit[i+2:i+6]), "fffd") {
			n++
		}
		i++ // the escaped character is not the start of another escape
	}
	return n
}

// text returns the string at path, refusing one longer than max
// characters.
func (r *fields) text(path string, max int) (string, *sfp.Error) {
	s, err := r.str(path)
	if err != nil {
		return "", err
	}
	if utf8.RuneCountInString(s) > max {
		return "", sfp.Invalid(path, "%s must be at most %d characters", path, max)
	}
	return s, nil
}

func (r *fields) boolean(path string) (bool, *sfp.Error) {
	v, err := r.raw(path)
	if err != nil || v == nil {
		return false, err
	}
	switch string(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, sfp.Invalid(path, "%s must be true or false", path)
}

// instant returns the RFC 3339 time at path. A time in the past is allowed,
// however old: the case may arrive already late.
func (r *fields) instant(path string, now time.Time) (time.Time, bool, *sfp.Error) {
	s, err := r.str(path)
	if err != nil || s == "" {
		return time.Time{}, false, err
	}
	t, perr := time.Parse(time.RFC3339, s)
	if perr != nil {
		return time.Time{}, false, sfp.Invalid(path, "%s must be an RFC 3339 time such as 2026-11-02T10:00:00+01:00", path)
	}
	if t.After(now.Add(futureSlack)) {
		return time.Time{}, false, sfp.Invalid(path, "%s is more than 5 minutes in the future: check the sender's clock and time zone", path)
	}
	return t, true, nil
}

// iso639 holds the ISO 639-1 language codes, space-separated.
const iso639 = " aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy " +
	"da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz " +
	"ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo " +
	"lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps " +
	"pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn " +
	"to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu "

// iso4217 holds the active ISO 4217 currency codes, and iso4217Cents those
// of them with 2 decimals: sfp.Money counts hundredths.
const (
	iso4217 = " AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN " +
		"BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP " +
		"GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF " +
		"KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR " +
		"MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG " +
		"SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU " +
		"UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG "
	iso4217NoCents = " BHD BIF CLP DJF GNF IQD ISK JOD JPY KMF KRW KWD LYD OMR PYG RWF TND UGX VND VUV XAF XOF XPF "
)

var iso4217Cents = func() string {
	var b strings.Builder
	b.WriteString(" ")
	for _, c := range strings.Fields(iso4217) {
		if !strings.Contains(iso4217NoCents, " "+c+" ") {
			b.WriteString(c + " ")
		}
	}
	return b.String()
}()
