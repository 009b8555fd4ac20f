package prompts

import (
	"regexp"
	"slices"
	"strings"
	"sync"
)

// Postal addresses as buyers write them on the marketplaces sfpdesk serves:
// a street line (number first in French and English, last in German, Dutch,
// Spanish, Italian, Polish and Swedish), then a postcode and a city.

const (
	// A word of a street or city name: capitalised, or a number ("rue du
	// 8 Mai"), with an elided article in front ("l'Église", "d'Alsace").
	streetWord = `(?:[ldLD]['’])?[\p{Lu}\d][\p{L}\d'’\-]*`
	anyWord    = `(?:[ldLD]['’])?[\p{L}\d][\p{L}\d'’\-]*`
	capWord    = `(?:[ldLD]['’])?\p{Lu}[\p{L}'’\-]*`
	frLink     = `(?:de|du|des|la|le|les|aux|au|en|sur|sous)`
	esLink     = `(?:de|del|la|las|los|el|y)`
	itLink     = `(?:dei|degli|delle|della|del|di|da|de|le|la|lo|il|san|santa|santo)`
	cityName   = `(?:(?:Le|La|Les|L['’]|El|Los|Las|Il|Lo|Den|De|Bad|Sankt|St\.?|Saint|Sainte|San|Santa|Santo|New|Nieuw)[ \t]+)?` +
		`\p{Lu}[\p{L}'’\-]*(?:[ \t]+(?:sur|sous|en|lès|les|de|du|des|am|an|der|im|del|di|on|upon|la|le)[ \t]+\p{Lu}[\p{L}'’\-]*)?` +
		`(?:[ \t]+(?i:cedex)(?:[ \t]+\d{1,2})?)?`
	ukPostcode = `(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)[ \t]?\d[A-Z]{2}`
)

// The words that name a street, by country. Every match of a street
// pattern holds one, which lets a text without any skip the pattern.
var (
	frStreetWords = []string{"rue", "avenue", "av.", "bd", "boulevard", "bvd", "allée", "allee", "impasse", "imp.", "chemin", "place", "quai", "route", "rte", "cours", "passage", "square", "sentier", "voie", "résidence", "residence", "lotissement", "hameau", "lieu-dit", "faubourg", "fbg", "parvis", "rond-point", "esplanade", "promenade", "chaussée", "chaussee", "cité", "villa", "clos", "montée", "traverse"}
	beStreetWords = []string{"Rue", "Avenue", "Av.", "Boulevard", "Bd", "Chaussée", "Place", "Quai", "Chemin", "Allée", "Impasse", "Square", "Drève", "Clos"}
	// German, Dutch and Swedish streets end in these, joined to the name.
	deStreetSuffixes = []string{"straße", "strasse", "str.", "weg", "gasse", "platz", "allee", "damm", "ufer", "chaussee", "pfad", "steig", "straat", "gracht", "laan", "plein", "kade", "singel", "dijk", "gatan", "vägen", "vagen", "torget", "gränd"}
	deHyphenated     = []string{"Ring", "Weg", "Platz", "Straße", "Strasse", "Allee", "Damm", "Ufer", "Gasse"}
	deStreetWords    = []string{"Straße", "Strasse", "Str.", "Weg", "Gasse", "Platz", "Allee", "Ring", "Damm", "Ufer", "Chaussee"}
	plStreetWords    = []string{"ul.", "al.", "os."}
	esStreetWords    = []string{"calle", "c/", "avenida", "avda.", "plaza", "pza.", "paseo", "camino", "carretera", "ctra.", "ronda", "travesía", "travesia", "pasaje", "glorieta", "rambla"}
	itStreetWords    = []string{"via", "viale", "v.le", "piazza", "p.zza", "piazzale", "corso", "c.so", "largo", "vicolo", "strada", "lungomare", "contrada", "borgo", "salita", "località", "loc."}
)

// alt is the words as a regexp alternation, in order (the first that
// lets the rest match wins).
func alt(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = regexp.QuoteMeta(w)
	}
	return strings.Join(q, "|")
}

// streetPatterns pair each street pattern with the words it needs: fold
// when they match in any case.
var streetPatterns = sync.OnceValue(func() []streetPattern {
	return []streetPattern{
		{frStreetRE(), frStreetWords, true},
		{beStreetRE(), beStreetWords, false},
		{enStreetRE(), nil, false}, // its words follow capitalised names: cheap already
		{deStreetRE(), slices.Concat(deStreetSuffixes, deHyphenated, deStreetWords), false},
		{plStreetRE(), plStreetWords, true},
		{esStreetRE(), esStreetWords, true},
		{itStreetRE(), itStreetWords, true},
	}
})

type streetPattern struct {
	re    *regexp.Regexp
	words []string // nil: always run
	fold  bool
}

// mayMatch reports whether text (or lower, its folded form) holds one of
// the pattern's words.
func (p streetPattern) mayMatch(text, lower string) bool {
	if p.words == nil {
		return true
	}
	in := text
	if p.fold {
		in = lower
	}
	for _, w := range p.words {
		if strings.Contains(in, w) {
			return true
		}
	}
	return false
}

// foldLower folds s as regexp's (?i) does for the street words: lower
// case, and the long s, which folds to s without being upper case.
func foldLower(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, "ſ", "s"))
}

var (
	// "12 rue de la Paix", "3 bis avenue Victor Hugo", "15, bd Haussmann".
	frStreetRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b\d{1,4}(?:[ \t]?(?i:bis|ter|quater|[a-d]))?,?[ \t]+` +
			`(?i:` + alt(frStreetWords) + `)` +
			`(?:[ \t]+` + frLink + `)*[ \t]+` + anyWord +
			`(?:(?:[ \t]+` + frLink + `)*[ \t]+` + streetWord + `){0,5}`)
	})
	// Belgium writes the number last: "Rue de la Loi 16", "Avenue Louise 54 bte 3".
	beStreetRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?:` + alt(beStreetWords) + `)` +
			`(?:[ \t]+` + frLink + `)*[ \t]+` + capWord + `(?:(?:[ \t]+` + frLink + `)*[ \t]+` + capWord + `){0,4},?[ \t]+\d{1,4}(?:[ \t]?(?:bis|[a-d])\b)?(?:[ \t]+(?:bte|boîte|bus)[ \t]*\d{1,4})?`)
	})
	// "221B Baker Street", "10 Downing Street".
	enStreetRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b\d{1,5}[A-Za-z]?,?[ \t]+(?:\p{Lu}[\p{L}'’\-]*[ \t]+){1,4}` +
			`(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Close|Way|Court|Ct|Place|Pl|Crescent|Cres|Terrace|Gardens|Gdns|Boulevard|Blvd|Square|Sq|Row|Mews|Grove|Hill|Parkway|Walk|Green|Park)\b\.?`)
	})
	// "Hauptstraße 5", "Berliner Straße 12a", "Keizersgracht 123", "Storgatan 5".
	deStreetRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?:\p{Lu}[\p{L}\-]*[ \t]+)?\p{Lu}[\p{L}\-]{2,}?` +
			`(?:` + alt(deStreetSuffixes) + `|-(?:` + alt(deHyphenated) + `))` +
			`[ \t]+\d{1,4}(?:[ \t]?[a-zA-Z]\b)?` +
			`|(?:\p{Lu}[\p{L}\-]*[ \t]+){1,2}(?:` + alt(deStreetWords) + `)[ \t]+\d{1,4}(?:[ \t]?[a-zA-Z]\b)?`)
	})
	// "ul. Marszałkowska 12/4".
	plStreetRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i:` + alt(plStreetWords) + `)[ \t]*\p{Lu}[\p{L}\-]*(?:[ \t]+\p{Lu}[\p{L}\-]*){0,3}[ \t]+\d{1,4}[a-zA-Z]?(?:/\d{1,4})?`)
	})
	// "Calle Mayor, 12", "C/ Alcalá 45, 3º B", "Avenida de la Constitución 4".
	esStreetRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i:` + alt(esStreetWords) + `)[ \t]*` +
			`(?:` + esLink + `[ \t]+)*\p{Lu}[\p{L}'’.\-]*(?:[ \t]+(?:` + esLink + `[ \t]+)*\p{Lu}[\p{L}'’\-]*){0,4},?[ \t]*` +
			`(?:(?i:n[º°o]\.?|núm\.?|num\.?)[ \t]*)?\d{1,4}(?:,?[ \t]*\d{1,2}[º°ª](?:[ \t]?[A-Za-z]\b)?)?`)
	})
	// "Via Roma 12", "piazza Garibaldi, 3", "Corso Vittorio Emanuele II 45/b".
	itStreetRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i:` + alt(itStreetWords) + `)[ \t]+` +
			`(?:` + itLink + `[ \t]+)*\p{Lu}[\p{L}'’.\-]*(?:[ \t]+(?:` + itLink + `[ \t]+)*\p{Lu}[\p{L}'’.\-]*){0,4},?[ \t]*` +
			`(?:n\.?[ \t]*)?\d{1,4}(?:[ \t]?/?[a-zA-Z]\b)?`)
	})

	// "75002 Paris", "D-10115 Berlin", "00184 Roma", "13100 Aix-en-Provence".
	postcode5RE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b(?:[A-Z]{1,2}-)?\d{5}[ \t]+` + cityName)
	})
	ukPostcodeRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b` + ukPostcode + `\b`)
	})
	// "1012 AB Amsterdam".
	nlPostcodeRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b[1-9]\d{3}[ \t]?([A-Z]{2})[ \t]+\p{Lu}\p{Ll}[\p{L}'’\-]*`)
	})
	// "00-950 Warszawa".
	plPostcodeRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b\d{2}-\d{3}[ \t]+\p{Lu}[\p{L}'’\-]*`)
	})
	// "Springfield, IL 62704".
	usCityRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\p{Lu}[\p{L}.\-]+(?:[ \t]+\p{Lu}[\p{L}.\-]+)?,[ \t]*[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?\b`)
	})

	// After a street line: the postcodes too short to stand alone (Belgium,
	// Switzerland, Austria, Denmark: 4 digits; Sweden: "114 55"), or a UK
	// city and postcode.
	addressTailRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^[ \t]*(?:,[ \t]*|\r?\n[ \t]*)(?:` +
			`[1-9]\d{3}[ \t]?[A-Z]{2}[ \t]+` + cityName +
			`|(?:(?:[A-Z]{1,2}-)?\d{4}|\d{3}[ \t]\d{2})[ \t]+` + cityName +
			`|\p{Lu}[\p{L}'’\-]*(?:[ \t]+\p{Lu}[\p{L}'’\-]*)?,?[ \t]+` + ukPostcode + `\b)`)
	})
)

// Letter pairs that follow four digits as units, not Dutch postcodes.
// longestDigitRun is the length of the longest run of ASCII digits in s
// (regexp's \d).
func longestDigitRun(s string) int {
	best, cur := 0, 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			cur++
			best = max(best, cur)
		} else {
			cur = 0
		}
	}
	return best
}

var notNLPostcode = map[string]bool{"MB": true, "GB": true, "KB": true, "TB": true, "KW": true, "MW": true, "HP": true, "PS": true, "CV": true, "EU": true, "UK": true, "US": true, "PC": true, "TV": true, "HZ": true, "MM": true, "CM": true, "KG": true, "ML": true}

// Words that end a number as a quantity or a price, not a city.
var notCity = map[string]bool{"euro": true, "euros": true, "eur": true, "amazon": true, "prime": true, "stück": true, "pièces": true, "pieces": true, "pezzi": true, "unidades": true, "units": true}

func findAddresses(text string, out []span) []span {
	// Every pattern below needs a house number or a postcode, most of them
	// a run of digits of some length: the longest run rules most of them
	// out before any regexp runs, and a text without digits has no
	// address (most product questions).
	run := longestDigitRun(text)
	if run == 0 {
		return out
	}
	var found []span
	add := func(start, end int) {
		for end > start && strings.ContainsRune(" \t,.-'’", rune(text[end-1])) {
			end--
		}
		if end <= start || isAlnumRune(runeBefore(text, start)) {
			return
		}
		if strings.Contains(strings.ToLower(text[start:end]), "amazon") {
			return // "via Amazon 24h" is a channel, not a street
		}
		found = append(found, span{start, end, kindAddress, rankAddress})
	}
	lower := foldLower(text)
	for _, p := range streetPatterns() {
		if !p.mayMatch(text, lower) {
			continue
		}
		for _, loc := range p.re.FindAllStringIndex(text, -1) {
			start, end := loc[0], loc[1]
			if tail := addressTailRE().FindStringIndex(text[end:]); tail != nil {
				end += tail[1]
			}
			add(start, end)
		}
	}
	if run >= 5 {
		for _, loc := range postcode5RE().FindAllStringIndex(text, -1) {
			if city := firstWordAfterDigits(text[loc[0]:loc[1]]); notCity[strings.ToLower(city)] {
				continue
			}
			add(loc[0], loc[1])
		}
	}
	if run >= 4 {
		for _, loc := range nlPostcodeRE().FindAllStringSubmatchIndex(text, -1) {
			if notNLPostcode[text[loc[2]:loc[3]]] {
				continue
			}
			add(loc[0], loc[1])
		}
	}
	postcodes := []*regexp.Regexp{ukPostcodeRE()}
	if run >= 3 {
		postcodes = append(postcodes, plPostcodeRE())
	}
	if run >= 5 {
		postcodes = append(postcodes, usCityRE())
	}
	for _, re := range postcodes {
		for _, loc := range re.FindAllStringIndex(text, -1) {
			add(loc[0], loc[1])
		}
	}
	return append(out, mergeAdjacent(text, found)...)
}

// firstWordAfterDigits returns the first word after the postcode of
// "75002 Paris".
func firstWordAfterDigits(s string) string {
	f := strings.Fields(s)
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

// mergeAdjacent joins overlapping address candidates, and a street line
// with the postcode and city that follow it on the same or the next line, so
// that one address gets one placeholder.
func mergeAdjacent(text string, spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	var out []span
	for _, s := range spans {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if s.start <= last.end {
				last.end = max(last.end, s.end)
				continue
			}
			gap := text[last.end:s.start]
			if len(gap) <= 5 && strings.Trim(gap, " \t,-–\r\n") == "" && strings.Count(gap, "\n") <= 1 {
				last.end = s.end
				continue
			}
		}
		out = append(out, s)
	}
	return out
}
