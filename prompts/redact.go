package prompts

import (
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Buyers' personal data never reaches the model (DESIGN §3.7): before a text
// is put into a prompt, names, e-mail addresses, phone numbers, postal
// addresses, IBANs, card numbers and order ids are replaced by placeholders,
// and the originals are put back into the model's answer before a person
// reviews it.

// KnownPII is what a case already says about the buyer. Each value is
// replaced wherever it appears, whatever the detectors make of the text
// around it. Empty fields are ignored.
type KnownPII struct {
	Name    string   // the customer's name as Amazon gives it, e.g. "Jean Dupont"
	Address []string // address lines, e.g. "12 rue de la Paix", "75002 Paris"
	Email   string
	Phone   string
}

// Mapping remembers which placeholder stands for which original. Redacting
// several texts with one Mapping gives the same datum the same placeholder in
// all of them, so that the question, the product facts and earlier answers
// can go into one prompt.
//
// A Mapping holds personal data: it prints and logs as counts per kind only.
// The zero Mapping is ready to use and knows nothing of the case. A Mapping
// is not safe for concurrent use.
type Mapping struct {
	// The state sits behind a pointer so that even printing a Mapping value
	// with %+v shows an address, never an original.
	st *mappingState
}

type valueKey struct {
	kind  piiKind
	value string
}

type mappingState struct {
	known       []knownPattern
	placeholder map[valueKey]string
	original    map[string]string // placeholder → original
	count       map[piiKind]int
	values      []valueKey // every non-name value replaced so far, in order

	names   []string // names to find as whole words in every text
	nameSet map[string]bool
}

type knownPattern struct {
	kind piiKind
	re   *regexp.Regexp
}

// A case has a handful of names; past this many, new ones are still replaced
// where they are found but not looked for elsewhere, which keeps the work on
// a hostile text bounded.
const maxNames = 200

// placeholderRE matches what Redact writes, and what Restore replaces. It is
// small enough to compile at start-up, unlike the detectors.
var placeholderRE = regexp.MustCompile(`\[(NAME|EMAIL|PHONE|ADDRESS|IBAN|CARD|ORDER)_([0-9]{1,9})\]`)

// Redact replaces the personal data in text with placeholders and returns
// the Mapping that restores them. Use Mapping.Redact to redact more texts
// with the same placeholders.
func Redact(text string, known KnownPII) (redacted string, m *Mapping) {
	m = NewMapping(known)
	return m.Redact(text), m
}

// NewMapping returns a Mapping that also replaces the known values.
func NewMapping(known KnownPII) *Mapping {
	m := &Mapping{}
	m.Know(known)
	return m
}

// Know makes the mapping replace these known values too, from the next
// text on: what another case says about its own buyer, when that case's
// words go into the same prompt.
func (m *Mapping) Know(known KnownPII) {
	st := m.state()
	if n := strings.TrimSpace(known.Name); n != "" {
		st.learnName(n)
	}
	add := func(kind piiKind, v, pattern string) {
		if utf8.RuneCountInString(strings.TrimSpace(v)) < 3 || !utf8.ValidString(pattern) {
			return
		}
		if re, err := regexp.Compile(pattern); err == nil {
			st.known = append(st.known, knownPattern{kind, re})
		}
	}
	for _, line := range known.Address {
		add(kindAddress, line, `(?i)`+flexibleSpaces(strings.TrimSpace(line)))
	}
	add(kindEmail, known.Email, `(?i)`+regexp.QuoteMeta(strings.TrimSpace(known.Email)))
	if d := digitsOf(known.Phone); len(d) >= 6 {
		// Any grouping of the same digits: "0612345678" is "06 12 34 56 78".
		var b strings.Builder
		for i, c := range d {
			if i > 0 {
				b.WriteString(`[ .\-/]?`)
			}
			b.WriteRune(c)
		}
		add(kindPhone, known.Phone, `(?:\+|\b)`+b.String()+`\b`)
	}
}

func flexibleSpaces(s string) string {
	f := strings.Fields(s)
	for i := range f {
		f[i] = regexp.QuoteMeta(f[i])
	}
	return strings.Join(f, `[\s,]+`)
}

func digitsOf(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func (m *Mapping) state() *mappingState {
	if m.st == nil {
		m.st = &mappingState{
			placeholder: map[valueKey]string{},
			original:    map[string]string{},
			count:       map[piiKind]int{},
			nameSet:     map[string]bool{},
		}
	}
	return m.st
}

// Redact replaces the personal data in text with placeholders, reusing the
// placeholders of data seen before. Text already looking like a placeholder
// is itself replaced, so that Restore gives back exactly the text redacted.
func (m *Mapping) Redact(text string) string {
	st := m.state()
	out, placed := st.redactPass(text, nil)
	// A datum the detectors passed over because of what stood next to it
	// ("Hauptstraße 5Hauptstraße 5") stands alone once its neighbour is a
	// placeholder. Look again until nothing more is found; each pass
	// replaces some of the text, so this ends, and a few passes suffice.
	for pass := 0; pass < 4 && placed != nil; pass++ {
		var more bool
		out, placed, more = st.redactAgain(out, placed)
		if !more {
			break
		}
	}
	return out
}

// redactPass replaces the data of text. protected are the placeholders
// written by earlier passes: they stay as they are. It returns the new text
// and where its placeholders are.
func (st *mappingState) redactPass(text string, protected [][2]int) (string, [][2]int) {
	var cands []span
	if protected == nil {
		for _, loc := range placeholderRE.FindAllStringSubmatchIndex(text, -1) {
			cands = append(cands, span{loc[0], loc[1], kindFromLabel(text[loc[2]:loc[3]]), rankLiteral})
		}
	}
	for _, p := range protected {
		cands = append(cands, span{p[0], p[1], kindNone, rankLiteral})
	}
	for _, kp := range st.known {
		for _, loc := range kp.re.FindAllStringIndex(text, -1) {
			if wordBounded(text, loc[0], loc[1]) {
				cands = append(cands, span{loc[0], loc[1], kp.kind, rankKnown})
			}
		}
	}
	cands = append(cands, piiCandidates(text, false)...)
	cands = st.appendNameOccurrences(text, cands)

	// What was found is looked for again everywhere: a name from the
	// greeting is also the name in the third paragraph, a phone number is the
	// same wherever the detectors could not see it.
	var newValues []valueKey
	seen := map[valueKey]bool{}
	for _, s := range resolve(slices.Clone(cands)) {
		v := valueKey{s.kind, text[s.start:s.end]}
		switch {
		case s.rank == rankLiteral || seen[v]:
		case s.kind == kindName:
			st.learnName(v.value)
		default:
			newValues = append(newValues, v)
		}
		seen[v] = true
	}
	cands = st.appendNameOccurrences(text, cands)
	cands = appendValueOccurrences(text, st.values, cands)
	cands = appendValueOccurrences(text, newValues, cands)

	var b strings.Builder
	var placed [][2]int
	last := 0
	for _, s := range resolve(cands) {
		b.WriteString(text[last:s.start])
		p := text[s.start:s.end]
		if s.kind != kindNone {
			p = st.placeholderFor(s.kind, p)
		}
		placed = append(placed, [2]int{b.Len(), b.Len() + len(p)})
		b.WriteString(p)
		last = s.end
	}
	b.WriteString(text[last:])
	return b.String(), placed
}

// redactAgain runs another pass over a redacted text and reports whether it
// found more.
func (st *mappingState) redactAgain(text string, placed [][2]int) (string, [][2]int, bool) {
	out, again := st.redactPass(text, placed)
	return out, again, len(again) > len(placed)
}

// Restore puts the originals back in place of the placeholders this Mapping
// wrote. Anything else that looks like a placeholder ("[NAME_9]" when there
// is no ninth name) is left as it is, so that a person sees it. Never restore
// a text that goes to a log or a finding.
func (m *Mapping) Restore(text string) string {
	if m == nil || m.st == nil || len(m.st.original) == 0 {
		return text
	}
	return placeholderRE.ReplaceAllStringFunc(text, func(p string) string {
		if o, ok := m.st.original[p]; ok {
			return o
		}
		return p
	})
}

// original is the datum a placeholder of this Mapping stands for.
func (m *Mapping) original(p string) (string, bool) {
	if m == nil || m.st == nil {
		return "", false
	}
	o, ok := m.st.original[p]
	return o, ok
}

// Len returns the number of placeholders the Mapping has handed out.
func (m *Mapping) Len() int {
	if m == nil || m.st == nil {
		return 0
	}
	return len(m.st.original)
}

// String returns the number of placeholders of each kind, never an original.
func (m *Mapping) String() string {
	var b strings.Builder
	b.WriteString("prompts.Mapping{")
	if m != nil && m.st != nil {
		sep := ""
		for _, k := range redactedKinds {
			if n := m.st.count[k]; n > 0 {
				fmt.Fprintf(&b, "%s%s:%d", sep, k.label(), n)
				sep = " "
			}
		}
	}
	b.WriteString("}")
	return b.String()
}

// Format prints the same as String for every verb, %#v and %+v included.
func (m *Mapping) Format(f fmt.State, _ rune) {
	io.WriteString(f, m.String())
}

// LogValue logs the number of placeholders of each kind, never an original.
func (m *Mapping) LogValue() slog.Value {
	attrs := []slog.Attr{slog.Int("placeholders", m.Len())}
	if m != nil && m.st != nil {
		for _, k := range redactedKinds {
			if n := m.st.count[k]; n > 0 {
				attrs = append(attrs, slog.Int(strings.ToLower(k.label()), n))
			}
		}
	}
	return slog.GroupValue(attrs...)
}

var (
	_ fmt.Stringer   = (*Mapping)(nil)
	_ fmt.Formatter  = (*Mapping)(nil)
	_ slog.LogValuer = (*Mapping)(nil)
)

func (st *mappingState) placeholderFor(kind piiKind, v string) string {
	key := valueKey{kind, v}
	if p, ok := st.placeholder[key]; ok {
		return p
	}
	st.count[kind]++
	p := "[" + kind.label() + "_" + strconv.Itoa(st.count[kind]) + "]"
	st.placeholder[key] = p
	st.original[p] = v
	if kind != kindName {
		st.values = append(st.values, key)
	}
	return p
}

// learnName makes a name, and each word of it that could only be a name,
// something to find in every text.
func (st *mappingState) learnName(n string) {
	n = strings.TrimSpace(n)
	if !utf8.ValidString(n) || !hasLetter(n) {
		return
	}
	add := func(w string) {
		if len(st.names) >= maxNames || st.nameSet[w] {
			return
		}
		st.nameSet[w] = true
		st.names = append(st.names, w)
	}
	if strings.ContainsAny(n, " \t") || !isCommonWord(n) {
		add(n)
	}
	for _, p := range nameParts(n) {
		add(p)
	}
}

// appendNameOccurrences finds the names learned so far as whole words, in
// any case and with any white space between their words. A single word
// counts only when capitalised in the text, so that the buyer Marie Rose
// does not turn "la couleur rose" into a placeholder. Each name is looked
// for on its own, so that "Jean" is still found in "Jean DupontBest" where
// "Jean Dupont" is not a whole word.
func (st *mappingState) appendNameOccurrences(text string, out []span) []span {
	for _, name := range st.names {
		ws := strings.Fields(name)
		first, _ := utf8.DecodeRuneInString(ws[0])
		first = unicode.ToLower(first)
		for i := 0; i < len(text); {
			r, size := utf8.DecodeRuneInString(text[i:])
			if unicode.ToLower(r) != first {
				i += size
				continue
			}
			end, ok := matchWordsFold(text, i, ws)
			if ok && wordBounded(text, i, end) && (len(ws) > 1 || unicode.IsUpper(r)) {
				out = append(out, span{i, end, kindName, rankName})
				i = end
				continue
			}
			i += size
		}
	}
	return out
}

// matchWordsFold reports whether the words ws, in any case and separated by
// white space, start at text[i], and where they end.
func matchWordsFold(text string, i int, ws []string) (end int, ok bool) {
	for k, w := range ws {
		if k > 0 {
			j := i
			for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '\n' || text[j] == '\r') {
				j++
			}
			if j == i {
				return 0, false
			}
			i = j
		}
		if len(text)-i < len(w) || !strings.EqualFold(text[i:i+len(w)], w) {
			return 0, false
		}
		i += len(w)
	}
	return i, true
}

// appendValueOccurrences adds every whole-word occurrence of the values.
func appendValueOccurrences(text string, values []valueKey, out []span) []span {
	for _, v := range values {
		if v.value == "" {
			continue
		}
		for from := 0; from < len(text); {
			i := strings.Index(text[from:], v.value)
			if i < 0 {
				break
			}
			s := from + i
			e := s + len(v.value)
			if wordBounded(text, s, e) {
				out = append(out, span{s, e, v.kind, kindRank(v.kind)})
			}
			from = s + 1
		}
	}
	return out
}

// wordBounded reports whether text[s:e] does not start or end inside a
// word: a value that starts with a letter or digit must not follow one.
func wordBounded(text string, s, e int) bool {
	if r, _ := utf8.DecodeRuneInString(text[s:e]); isAlnumRune(r) && isAlnumRune(runeBefore(text, s)) {
		return false
	}
	if r, _ := utf8.DecodeLastRuneInString(text[s:e]); isAlnumRune(r) && isAlnumRune(runeAfter(text, e)) {
		return false
	}
	return true
}

func kindRank(k piiKind) int {
	switch k {
	case kindEmail:
		return rankEmail
	case kindOrder:
		return rankOrder
	case kindIBAN:
		return rankIBAN
	case kindCard:
		return rankCard
	case kindPhone:
		return rankPhone
	case kindAddress:
		return rankAddress
	case kindURL:
		return rankURL
	}
	return rankName
}
