package handlers

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
)

// argKind is how one word of a slash command is read.
type argKind int

const (
	argSeller      argKind = iota // a seller name
	argOrderOpt                   // "order <id>", only when the next token looks like an order id
	argOrder                      // an order id
	argCaseOrOrder                // SFP-1001 or an order id
	argRest                       // the rest of the line, as typed
	argAmount                     // 39,90 or 39.90
	argReason                     // a refund reason
	argFlag                       // a literal word, e.g. "returnless"
	argDate                       // YYYY-MM-DD
	argChannel                    // <#C…|name>, <#C…> or C…
	argMarketplace                // amazon.fr …
	argPeriod                     // 7d, 30d, 90d
	argSetting                    // timezone, lang, oncall, region
	argWord                       // one word, as typed
)

// arg is one argument of a command. Its name is what the usage shows and
// what errors name.
type arg struct {
	name     string
	kind     argKind
	optional bool
}

func (a arg) usage() string {
	var s string
	switch a.kind {
	case argOrderOpt:
		return "[order <id>]"
	case argFlag:
		s = a.name
	case argPeriod:
		s = "7d|30d|90d"
	case argSetting:
		s = "timezone|lang|oncall|region"
	case argChannel:
		s = "<#channel>"
	case argCaseOrOrder:
		s = "<case-id|order-id>"
	default:
		s = "<" + a.name + ">"
	}
	if a.optional {
		return "[" + s + "]"
	}
	return s
}

// Args are a parsed command's arguments by name, normalised (seller in
// lower case, channel as an id, amount in minor units as digits, text
// unescaped once).
type Args map[string]string

// parseError says which argument was wrong, in the catalogue's words.
type parseError struct {
	field string
	msg   string // catalogue id
	val   string // the offending token
	extra []any
}

func (e *parseError) Error() string { return e.field + ": " + e.msg }

// text returns the message in lang.
// text is the error in mrkdwn: the token the person typed is shown as
// typed, never as the mention or link it may spell.
func (e *parseError) text(lang string) string {
	args := append([]any{bot.Escape(e.val)}, e.extra...)
	if strings.Count(bot.T(lang, e.msg), "%") == 0 {
		return bot.T(lang, e.msg)
	}
	return bot.T(lang, e.msg, args...)
}

var (
	channelLinkRe = regexp.MustCompile(`^<#([CG][A-Z0-9]{2,})(?:\|[^>]*)?>$`)
	dateRe        = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	// almostOrderIDRe is a token after "order" that was meant as an order
	// id but is cut short or run together (171-123, 17155501237654321): it
	// gets the order id's error rather than silently opening the question.
	almostOrderIDRe = regexp.MustCompile(`^(\d+(-\d*)+|\d{10,})$`)
	// channelNameRe is a channel name as Slack allows it, after "#".
	channelNameRe = regexp.MustCompile(`^#[\p{Ll}\p{Lu}\p{N}_-]{1,80}$`)
)

// nextToken splits off the first word of s.
func nextToken(s string) (tok, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i:]
}

// parseArgs reads s against the argument list. It is pure and total: any
// input gives either Args or a *parseError, never a panic (a fuzz test
// holds it to that).
func parseArgs(spec []arg, s string) (Args, *parseError) {
	out := Args{}
	for i, a := range spec {
		tok, rest := nextToken(s)
		if a.kind == argRest {
			text := strings.TrimSpace(bot.Unescape(s))
			if text == "" && !a.optional {
				return nil, &parseError{field: a.name, msg: "arg.question"}
			}
			out[a.name] = text
			return out, nil
		}
		if tok == "" {
			if a.optional || a.kind == argOrderOpt {
				continue
			}
			if a.kind == argWord {
				return nil, &parseError{field: a.name, msg: "arg.value"}
			}
			return nil, &parseError{field: a.name, msg: "arg.missing", val: a.name}
		}
		consumed, err := readArg(a, tok, rest, spec[i+1:], out)
		if err != nil {
			return nil, err
		}
		switch consumed {
		case 1:
			s = rest
		case 2:
			_, s = nextToken(rest)
		}
	}
	if tok, _ := nextToken(s); tok != "" {
		return nil, &parseError{field: "", msg: "arg.extra", val: bot.Unescape(tok)}
	}
	return out, nil
}

// readArg reads one argument from tok (and, for "order <id>", the token
// after it). It returns how many tokens it used: 0 when an optional
// argument is absent and tok belongs to the next one.
func readArg(a arg, tok, rest string, next []arg, out Args) (int, *parseError) {
	raw := bot.Unescape(tok)
	switch a.kind {
	case argSeller:
		if a.optional && !sellerFits(raw, next) {
			return 0, nil
		}
		name, ok := sfp.ParseSeller(raw)
		if !ok {
			return 0, &parseError{field: a.name, msg: "arg.seller", val: raw}
		}
		out[a.name] = name
	case argOrderOpt:
		id, _ := nextToken(rest)
		if !strings.EqualFold(raw, "order") || !(sfp.LooksLikeOrderID(id) || almostOrderIDRe.MatchString(id)) {
			return 0, nil
		}
		if !sfp.ValidOrderID(id) {
			return 0, &parseError{field: "order_id", msg: "arg.order", val: id}
		}
		out["order_id"] = id
		return 2, nil
	case argOrder:
		if !sfp.ValidOrderID(raw) {
			return 0, &parseError{field: a.name, msg: "arg.order", val: raw}
		}
		out[a.name] = raw
	case argCaseOrOrder:
		if id, _, ok := sfp.ParseCaseID(raw); ok {
			out["case_id"] = id
		} else if sfp.ValidOrderID(raw) {
			out["order_id"] = raw
		} else {
			return 0, &parseError{field: a.name, msg: "arg.case", val: raw}
		}
	case argAmount:
		minor, ok := sfp.ParseAmount(raw)
		if !ok || minor <= 0 {
			return 0, &parseError{field: a.name, msg: "arg.amount", val: raw}
		}
		out[a.name] = itoa(minor)
	case argReason:
		r, ok := sfp.ParseRefundReason(raw)
		if !ok {
			var names []string
			for _, r := range sfp.RefundReasons {
				names = append(names, string(r))
			}
			return 0, &parseError{field: a.name, msg: "arg.reason", val: raw, extra: []any{strings.Join(names, ", ")}}
		}
		out[a.name] = string(r)
	case argFlag:
		if !strings.EqualFold(raw, a.name) {
			if a.optional && len(next) > 0 {
				// "refund … 39,90 late_delivery 2026-11-02": the flag
				// is left out and the word is the next argument's.
				return 0, nil
			}
			return 0, &parseError{field: a.name, msg: "arg.extra", val: raw}
		}
		out[a.name] = "true"
	case argDate:
		if a.optional && (raw[0] < '0' || raw[0] > '9') {
			return 0, nil // no date: the word is the next argument's, or one too many
		}
		if !dateRe.MatchString(raw) {
			return 0, &parseError{field: a.name, msg: "arg.date", val: raw}
		}
		out[a.name] = raw
	case argChannel:
		if m := channelLinkRe.FindStringSubmatch(raw); m != nil {
			out[a.name] = m[1]
		} else if sfp.ValidChannelID(raw) && raw[0] != 'D' {
			out[a.name] = raw
		} else if channelNameRe.MatchString(raw) {
			// A typed #name, which Slack sends as typed: the command
			// looks it up (channelByName).
			out[a.name] = strings.ToLower(raw)
		} else if strings.HasPrefix(raw, "#") {
			return 0, &parseError{field: a.name, msg: "arg.channel_hint", val: raw}
		} else {
			return 0, &parseError{field: a.name, msg: "arg.channel", val: raw}
		}
	case argMarketplace:
		m, ok := sfp.ParseMarketplace(raw)
		if !ok {
			return 0, &parseError{field: a.name, msg: "arg.marketplace", val: raw, extra: []any{marketplaceList()}}
		}
		out[a.name] = string(m)
	case argPeriod:
		switch strings.ToLower(raw) {
		case "7d", "30d", "90d":
			out[a.name] = strings.ToLower(raw)
		default:
			return 0, &parseError{field: a.name, msg: "arg.period", val: raw}
		}
	case argSetting:
		switch strings.ToLower(raw) {
		case "timezone", "lang", "oncall", "region":
			out[a.name] = strings.ToLower(raw)
		default:
			return 0, &parseError{field: a.name, msg: "arg.setting", val: raw}
		}
	case argWord:
		out[a.name] = raw
	}
	return 1, nil
}

// sellerFits decides whether an optional seller is present: "stats 30d"
// has no seller even though "30d" would be a valid seller name.
func sellerFits(tok string, next []arg) bool {
	for _, n := range next {
		if n.kind == argPeriod {
			switch strings.ToLower(tok) {
			case "7d", "30d", "90d":
				return false
			}
		}
	}
	return true
}

func marketplaceList() string {
	var names []string
	for _, m := range sfp.Marketplaces() {
		names = append(names, string(m.Domain))
	}
	return strings.Join(names, ", ")
}

func itoa(n int64) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	neg := n < 0
	if neg {
		n = -n
	}
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
