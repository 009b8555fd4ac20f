package prompts

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// This file finds personal data and contact details in a text. The checker
// uses it to flag e-mail addresses, phone numbers and links; the redactor to
// replace personal data. Both must agree on what a datum is, so there is one
// detector for each.

// piiKind is the kind of a datum found in a text.
type piiKind uint8

const (
	kindNone piiKind = iota
	kindName
	kindEmail
	kindPhone
	kindAddress
	kindIBAN
	kindCard
	kindOrder
	kindURL // only for the checker: a number inside a link belongs to the link
)

// redactedKinds are the kinds that get placeholders, in the order of their
// counts in logs.
var redactedKinds = []piiKind{kindName, kindEmail, kindPhone, kindAddress, kindIBAN, kindCard, kindOrder}

func (k piiKind) label() string {
	switch k {
	case kindName:
		return "NAME"
	case kindEmail:
		return "EMAIL"
	case kindPhone:
		return "PHONE"
	case kindAddress:
		return "ADDRESS"
	case kindIBAN:
		return "IBAN"
	case kindCard:
		return "CARD"
	case kindOrder:
		return "ORDER"
	case kindURL:
		return "URL"
	}
	return ""
}

func kindFromLabel(s string) piiKind {
	for _, k := range redactedKinds {
		if k.label() == s {
			return k
		}
	}
	return kindNone
}

// span is a candidate datum text[start:end]. Where candidates overlap, the
// lower rank wins, then the longer one.
type span struct {
	start, end int
	kind       piiKind
	rank       int
}

// Ranks: what is most certain wins an overlap. An e-mail address or an order
// id is unmistakable; a name next to them is a guess.
const (
	rankLiteral = iota // a placeholder already in the text
	rankKnown          // a value the case gave us (the buyer's name, address)
	rankEmail
	rankOrder
	rankIBAN
	rankCard
	rankURL
	rankPhone
	rankAddress
	rankName
)

// resolve keeps non-overlapping spans, preferring lower rank, then longer
// spans, then earlier ones, and returns them in text order.
func resolve(cands []span) []span {
	slices.SortStableFunc(cands, func(a, b span) int {
		if a.rank != b.rank {
			return a.rank - b.rank
		}
		if la, lb := a.end-a.start, b.end-b.start; la != lb {
			return lb - la
		}
		return a.start - b.start
	})
	var kept []span // sorted by start
	for _, c := range cands {
		if c.end <= c.start {
			continue
		}
		i, _ := slices.BinarySearchFunc(kept, c.start, func(s span, start int) int { return s.start - start })
		if i > 0 && kept[i-1].end > c.start {
			continue
		}
		if i < len(kept) && kept[i].start < c.end {
			continue
		}
		kept = slices.Insert(kept, i, c)
	}
	return kept
}

// piiCandidates returns every datum candidate in text, overlapping. For the
// checker (contacts), links are candidates too, so that digits inside a link
// are not taken for a phone number, and names and addresses, which the
// messaging rules do not forbid, are not looked for.
func piiCandidates(text string, contacts bool) []span {
	var out []span
	out = findEmails(text, out)
	for _, loc := range orderIDRE().FindAllStringIndex(text, -1) {
		out = append(out, span{loc[0], loc[1], kindOrder, rankOrder})
	}
	out = scanIBANs(text, out)
	out = scanCards(text, out)
	if contacts {
		out = findURLs(text, out)
	}
	out = scanPhones(text, out)
	if !contacts {
		out = findAddresses(text, out)
		out = findNames(text, out)
	}
	return out
}

// detect returns the data found in text, without overlaps, in text order.
func detect(text string, contacts bool) []span {
	return resolve(piiCandidates(text, contacts))
}

// ---- helpers on runes ----

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isAlnumRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// runeBefore and runeAfter return the rune next to byte offset i, or -1.
func runeBefore(s string, i int) rune {
	if i <= 0 {
		return -1
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r
}

func runeAfter(s string, i int) rune {
	if i >= len(s) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r
}

// ---- order ids ----

// Amazon order ids as Seller Central shows them (DESIGN §4.4).
var orderIDRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`\b\d{3}-\d{7}-\d{7}\b`)
})

// ---- e-mail addresses ----

const (
	emailLocal = `[\p{L}\p{N}._%+\-]+`
	emailLabel = `[\p{L}\p{N}\-]+`
	// Top-level domains spelt out in obfuscated addresses ("dot com").
	emailTLD = `(?:com|fr|de|es|it|net|org|eu|be|nl|pl|se|ch|at|lu|ie|pt|uk|info|biz|io|me|co|shop|store|online|site|dk|fi|no|cz|us|ca)\b`
	// "[at]", "(at)", "{@}", "<arobase>".
	atBracket = `[ \t]*[\[\(\{<][ \t]*(?:at|@|arobase|arroba|chiocciola|ät)[ \t]*[\]\)\}>][ \t]*`
	// Words that mean "@" and nothing else.
	atWord    = `[ \t]+(?:arobase|arroba|chiocciola)[ \t]+`
	atSpaced  = `[ \t]*@[ \t]*`
	dotBr     = `[ \t]*[\[\(\{<][ \t]*(?:dot|point|punkt|punto)[ \t]*[\]\)\}>][ \t]*`
	dotWord   = `[ \t]+(?:dot|point|punkt|punto)[ \t]+`
	dotPlain  = `[ \t]*\.[ \t]*`
	dotAny    = `(?:` + dotBr + `|` + dotWord + `|` + dotPlain + `)`
	dotStrict = `(?:` + dotBr + `|` + dotWord + `)`
)

var (
	emailRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(emailLocal + `@` + emailLabel + `(?:\.` + emailLabel + `)*\.\p{L}{2,24}`)
	})
	// An unmistakable "at" (bracketed, spelt arobase, or a spaced @) takes
	// any spelling of the dot.
	emailObfRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)` + emailLocal + `(?:` + atBracket + `|` + atWord + `|` + atSpaced + `)` +
			emailLabel + `(?:` + dotAny + emailLabel + `)*?` + dotAny + emailTLD)
	})
	// A bare "at" is an English word ("available at amazon.fr"), so the dot
	// must be spelt out too: "name at domain dot com".
	emailAtWordRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)` + emailLocal + `[ \t]+at[ \t]+` +
			emailLabel + `(?:` + dotStrict + emailLabel + `)*?` + dotStrict + emailTLD)
	})
)

func findEmails(text string, out []span) []span {
	for _, re := range []*regexp.Regexp{emailRE(), emailObfRE(), emailAtWordRE()} {
		for _, loc := range re.FindAllStringIndex(text, -1) {
			start, end := loc[0], loc[1]
			// Trailing dots and hyphens belong to the sentence.
			for end > start && strings.ContainsRune(".-", rune(text[end-1])) {
				end--
			}
			out = append(out, span{start, end, kindEmail, rankEmail})
		}
	}
	return out
}

// ---- links ----

var (
	schemeURLRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\b(?:https?|ftp)://[^\s<>"'\x60\[\]{}|\\^]+`)
	})
	wwwURLRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i)\bwww\.[^\s<>"'\x60\[\]{}|\\^]+`)
	})
	// A domain without scheme ("monshop.com/promo"). The top-level domain is
	// matched in lower case only: "fin.De plus" is a missing space, not a link.
	bareURLRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+` +
			`(com|fr|de|es|it|net|org|eu|be|nl|pl|se|ch|at|lu|ie|pt|uk|info|biz|io|me|co|shop|store|online|site|app|dev|xyz|ly|gl|to|us|ca|tv|link|club|boutique|dk|fi|cz)` +
			`(/[^\s<>"'\x60\[\]{}|\\^]*)?`)
	})
)

// Top-level domains that are also short words in the five languages: a bare
// domain ending in one of them needs a path or a longer name to count.
var wordTLDs = map[string]bool{"de": true, "es": true, "it": true, "be": true, "at": true, "to": true, "me": true, "co": true, "se": true, "us": true, "ca": true, "ly": true}

func findURLs(text string, out []span) []span {
	add := func(start, end int) {
		end = trimURLEnd(text, start, end)
		if end > start {
			out = append(out, span{start, end, kindURL, rankURL})
		}
	}
	for _, re := range []*regexp.Regexp{schemeURLRE(), wwwURLRE()} {
		for _, loc := range re.FindAllStringIndex(text, -1) {
			add(loc[0], loc[1])
		}
	}
	for _, loc := range bareURLRE().FindAllStringSubmatchIndex(text, -1) {
		start, end := loc[0], loc[1]
		if r := runeBefore(text, start); isAlnumRune(r) || strings.ContainsRune(".@-_/:", r) {
			continue // part of a longer token, an e-mail address or a scheme URL
		}
		if r := runeAfter(text, loc[3]); isAlnumRune(r) {
			continue
		}
		tld := text[loc[2]:loc[3]]
		hasPath := loc[4] >= 0
		if wordTLDs[tld] && !hasPath {
			labels := strings.Split(text[start:loc[2]-1], ".")
			if len(labels) == 1 && utf8.RuneCountInString(labels[0]) < 4 {
				continue
			}
		}
		add(start, end)
	}
	return out
}

// trimURLEnd drops the sentence's punctuation from the end of a link.
func trimURLEnd(text string, start, end int) int {
	for end > start {
		c := text[end-1]
		if strings.IndexByte(".,;:!?'\"", c) >= 0 {
			end--
			continue
		}
		if c == ')' && !strings.Contains(text[start:end], "(") {
			end--
			continue
		}
		break
	}
	return end
}

// amazonDomains are Amazon's own sites, its short links and Seller Central.
// Links to them are what the messaging guidelines allow.
var amazonDomains = []string{
	"amazon.fr", "amazon.de", "amazon.es", "amazon.it", "amazon.co.uk", "amazon.com",
	"amazon.nl", "amazon.com.be", "amazon.pl", "amazon.se", "amazon.eu", "amazon.ie",
	"amazon.com.tr", "amazon.ca", "amazon.com.mx", "amazon.com.br", "amazon.co.jp",
	"amazon.in", "amazon.com.au", "amazon.sg", "amazon.ae", "amazon.sa", "amazon.eg",
	"amzn.to", "amzn.eu", "amzn.com", "amzn.asia", "a.co",
	"media-amazon.com", "ssl-images-amazon.com", "sellercentral.amazon.com",
}

// urlHost returns the lower-case host of a link as written in a text.
func urlHost(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	if i := strings.LastIndexByte(u, '@'); i >= 0 {
		u = u[i+1:]
	}
	if i := strings.IndexByte(u, ':'); i >= 0 {
		u = u[:i]
	}
	return strings.TrimSuffix(strings.ToLower(u), ".")
}

func isAmazonHost(host string) bool {
	for _, d := range amazonDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// ---- phone numbers ----

// scanPhones finds phone numbers as the marketplaces write them: national
// numbers with a trunk 0 (FR, DE, IT, UK, NL, BE, SE), international ones with
// + or 00, and grouped numbers without prefix (ES, PL, IT mobiles, US).
// Groups may be separated by one space, dot, hyphen or slash, and the area
// code may sit in parentheses: "+33 (0)6 12 34 56 78", "(555) 123-4567".
func scanPhones(text string, out []span) []span {
	for i := 0; i < len(text); {
		c := text[i]
		if c != '+' && c != '(' && !isDigit(c) {
			i++
			continue
		}
		if insideToken(text, i) || runeBefore(text, i) == '+' || runeBefore(text, i) == '@' {
			i = skipToken(text, i)
			continue
		}
		end, ok := parsePhone(text, i)
		if ok && afterReferenceWord(text, i) {
			ok = false
		}
		if ok {
			out = append(out, span{i, end, kindPhone, rankPhone})
			i = end
			continue
		}
		if end > i {
			i = end
		} else {
			i++
		}
	}
	return out
}

// insideToken reports whether a number starting at text[i] continues a
// longer token: "B08N5WRWNW", "v1.2", "12.5", "XR-200", "HF-2024". After an
// abbreviation's dot ("Tél.0612345678") the number stands on its own.
func insideToken(text string, i int) bool {
	r := runeBefore(text, i)
	switch {
	case isAlnumRune(r) || r == '_':
		return true
	case r == '.' || r == ',':
		return unicode.IsDigit(runeBefore(text, i-1))
	case r == '-' || r == '/':
		return isAlnumRune(runeBefore(text, i-1))
	}
	return false
}

// Words after which a number is a reference, not a phone number.
var referenceWords = toSet(`référence reference réf ref ref. réf. référence: modèle model modell modelo modello ean gtin isbn
	sku asin upc mpn suivi tracking sendungsnummer seguimiento spedizione artikelnummer bestellnummer artículo articolo
	codice código série serial serie facture invoice rechnung factura fattura`)

// afterReferenceWord reports whether one of the two words before text[i]
// announces a reference: "référence 0451 2000 33".
func afterReferenceWord(text string, i int) bool {
	start := max(0, i-40)
	for start < i && !utf8.RuneStart(text[start]) {
		start++
	}
	ws := strings.FieldsFunc(strings.ToLower(text[start:i]), func(r rune) bool { return !isAlnumRune(r) })
	if len(ws) > 2 {
		ws = ws[len(ws)-2:]
	}
	for _, w := range ws {
		if referenceWords[w] {
			return true
		}
	}
	return false
}

func skipToken(text string, i int) int {
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if !isAlnumRune(r) && !strings.ContainsRune("+.-/()_", r) {
			break
		}
		i += size
	}
	return i
}

// phoneSep reports the length of a separator between digit groups at
// text[i:]: up to two spaces (including no-break spaces) around at most one
// of . - /. It returns 0 when there is none.
func phoneSep(text string, i int) (n int, mark byte) {
	j, spaces := i, 0
loop:
	for j < len(text) {
		switch {
		case text[j] == ' ' || text[j] == '\t':
			spaces++
			j++
		case strings.HasPrefix(text[j:], "\u00a0"), strings.HasPrefix(text[j:], "\u202f"):
			spaces++
			_, size := utf8.DecodeRuneInString(text[j:])
			j += size
		case strings.IndexByte(".-/", text[j]) >= 0 && mark == 0:
			mark = text[j]
			j++
		default:
			break loop
		}
		if spaces > 2 {
			return 0, 0
		}
	}
	if mark == 0 && spaces == 0 {
		return 0, 0
	}
	return j - i, mark
}

// parsePhone reads a phone-number candidate at text[start:] and reports its
// end and whether it is one. On failure end is where scanning may resume.
func parsePhone(text string, start int) (end int, ok bool) {
	j := start
	plus := false
	if text[j] == '+' {
		plus = true
		j++
		if j < len(text) && text[j] == ' ' {
			j++
		}
	}
	var groups []int
	var marks []byte
	digits := 0
	first := -1 // index of the first digit
	end = start
	for len(groups) <= 12 {
		k := j
		open := k < len(text) && text[k] == '('
		if open {
			k++
		}
		n := 0
		for k+n < len(text) && isDigit(text[k+n]) {
			n++
		}
		if n == 0 {
			break
		}
		if first < 0 {
			first = k
		}
		k += n
		if open {
			if k < len(text) && text[k] == ')' {
				k++
			} else {
				return k, false
			}
		}
		groups = append(groups, n)
		digits += n
		j, end = k, k
		sep, mark := phoneSep(text, j)
		if sep == 0 {
			break
		}
		next := j + sep
		if next < len(text) && (isDigit(text[next]) || text[next] == '(') {
			marks = append(marks, mark)
			j = next
			continue
		}
		break
	}
	if len(groups) == 0 || len(groups) > 8 {
		return end, false
	}
	// A letter, digit or currency right after: a quantity, a price, a code.
	if r := runeAfter(text, end); isAlnumRune(r) || strings.ContainsRune("%€$£°", r) {
		return end, false
	}
	if r := runeAfter(text, end); (r == ',' || r == '.') && end+1 < len(text) && isDigit(text[end+1]) {
		return end, false
	}
	if looksLikeDate(groups, marks) {
		return end, false
	}
	lead := text[first]
	switch {
	case plus:
		return end, digits >= 8 && digits <= 15
	case lead == '0' && first+1 < len(text) && text[first+1] == '0' && groups[0] >= 2:
		return end, digits >= 10 && digits <= 15 // 0044 20 7946 0958
	case lead == '0':
		return end, digits >= 9 && digits <= 12 // 06 12 34 56 78, 030 12345678
	}
	// Without a prefix only grouped numbers count: a bare run of digits is a
	// tracking number or a reference far more often than a phone.
	if len(groups) < 2 || digits < 9 || digits > 11 || groups[0] > 4 {
		return end, false
	}
	for i, g := range groups {
		if g < 2 && !(i == 0 && g == 1 && lead == '1' && len(groups) == 4) {
			return end, false
		}
	}
	return end, true
}

// looksLikeDate tells "12/03/2024 14" or "01.02.2024" from a phone number.
func looksLikeDate(groups []int, marks []byte) bool {
	if len(groups) < 3 || len(marks) < 2 {
		return false
	}
	return groups[0] <= 2 && groups[1] <= 2 && groups[2] == 4 && marks[0] != 0 && marks[0] == marks[1]
}

// ---- IBANs ----

// ibanLengths are the IBAN lengths of the SEPA countries.
var ibanLengths = map[string]int{
	"AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
	"EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27, "HR": 21, "HU": 28,
	"IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31,
	"NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
}

func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

func isASCIIAlnum(c byte) bool { return isDigit(c) || isASCIILetter(c) }

// scanIBANs finds IBANs written in one block or in groups of four, and keeps
// those whose length fits the country and whose mod-97 check holds.
func scanIBANs(text string, out []span) []span {
	for i := 0; i+4 <= len(text); i++ {
		if !isASCIILetter(text[i]) || !isASCIILetter(text[i+1]) || !isDigit(text[i+2]) || !isDigit(text[i+3]) {
			continue
		}
		if isAlnumRune(runeBefore(text, i)) {
			continue
		}
		want := ibanLengths[strings.ToUpper(text[i:i+2])]
		if want == 0 {
			continue
		}
		var b []byte
		j := i
		for j < len(text) && len(b) < want {
			c := text[j]
			switch {
			case isASCIIAlnum(c):
				b = append(b, c)
				j++
				continue
			case (c == ' ' || c == '-') && len(b) >= 4 && j+1 < len(text) && isASCIIAlnum(text[j+1]) && isASCIIAlnum(text[j-1]):
				j++
				continue
			}
			break
		}
		if len(b) != want || (j < len(text) && isASCIIAlnum(text[j])) {
			continue
		}
		if ibanValid(b) {
			out = append(out, span{i, j, kindIBAN, rankIBAN})
			i = j - 1
		}
	}
	return out
}

// ibanValid applies ISO 13616's check: the number moved to put the country
// last, letters as 10..35, must be 1 modulo 97.
func ibanValid(b []byte) bool {
	s := append(append([]byte{}, b[4:]...), b[:4]...)
	n := 0
	for _, c := range s {
		switch {
		case isDigit(c):
			n = (n*10 + int(c-'0')) % 97
		case isASCIILetter(c):
			n = (n*100 + int(c|0x20-'a'+10)) % 97
		default:
			return false
		}
	}
	return n == 1
}

// ---- card numbers ----

// scanCards finds 13 to 19 digits, in one block or in groups, that start like
// a payment card (2 to 6) and pass the Luhn check.
func scanCards(text string, out []span) []span {
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i++
			continue
		}
		if insideToken(text, i) || runeBefore(text, i) == '+' {
			i = skipToken(text, i)
			continue
		}
		var digits []byte
		var ends []int // byte end of each group
		var counts []int
		j := i
		for {
			for j < len(text) && isDigit(text[j]) && len(digits) < 24 {
				digits = append(digits, text[j])
				j++
			}
			ends = append(ends, j)
			counts = append(counts, len(digits))
			if len(digits) >= 24 || len(ends) > 8 {
				break
			}
			if j+1 < len(text) && (text[j] == ' ' || text[j] == '-') && isDigit(text[j+1]) {
				j++
				continue
			}
			break
		}
		runEnd := j
		if isAlnumRune(runeAfter(text, runEnd)) {
			i = skipToken(text, runEnd)
			continue
		}
		for g := len(ends) - 1; g >= 0; g-- {
			n := counts[g]
			if n < 13 || n > 19 {
				continue
			}
			if digits[0] >= '2' && digits[0] <= '6' && luhnValid(digits[:n]) {
				out = append(out, span{i, ends[g], kindCard, rankCard})
				break
			}
		}
		i = runEnd
	}
	return out
}

func luhnValid(d []byte) bool {
	sum := 0
	double := false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}
