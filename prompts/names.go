package prompts

import (
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Names are found where letters put them: after a greeting ("Bonjour Marie,",
// "Dear John Smith", "Hallo Herr Müller"), after a title ("Mme Durand",
// "Sig. Rossi"), and under a closing ("Cordialement,\nJean Dupont"). The
// case's known name is matched wherever it appears (see redact.go).

const (
	// A capitalised word of a name, or an initial ("J.").
	nameWord = `\p{Lu}[\p{L}'’\-]*\.?`
	nameRun  = `(` + nameWord + `(?:[ \t]+` + nameWord + `){0,2})`

	greetings = `bonjour|bonsoir|salut|coucou|chère|cher|chers|hello|hi|hey|dear|good[ \t]+(?:morning|afternoon|evening)|` +
		`hallo|guten[ \t]+(?:tag|morgen|abend)|sehr[ \t]+geehrte[rs]?|liebe[rs]?|moin|servus|` +
		`hola|buen[oa]s[ \t]+(?:días|dias|tardes|noches)|estimad[oa]s?|querid[oa]s?|` +
		`ciao|buongiorno|buonasera|salve|gentil(?:e|issim[oa])|car[oa]|hej|beste|geachte`
	titles = `m\.|mme\.?|mlle\.?|monsieur|madame|mademoiselle|mr\.?|mrs\.?|ms\.?|miss|dr\.?|herr|frau|` +
		`sr\.?|sra\.?|srta\.?|señor|señora|señorita|don|doña|sig\.ra|sig\.na|sig\.?|signor|signora|signorina|` +
		`dott\.ssa|dott\.?|prof\.?|mevrouw|meneer|dhr\.?|mw\.?`
	closings = `bien[ \t]+cordialement|cordialement|bien[ \t]+à[ \t]+vous|sincères[ \t]+salutations|salutations(?:[ \t]+distinguées)?|` +
		`bonne[ \t]+(?:journée|soirée|continuation)|merci(?:[ \t]+(?:beaucoup|d['’]avance|encore))?|à[ \t]+bientôt|` +
		`best(?:[ \t]+(?:regards|wishes))?|kind[ \t]+regards|warm[ \t]+regards|regards|many[ \t]+thanks|` +
		`thanks(?:[ \t]+(?:again|in[ \t]+advance))?|thank[ \t]+you|cheers|sincerely|yours[ \t]+(?:sincerely|faithfully|truly)|` +
		`mit[ \t]+freundlichen[ \t]+grü(?:ß|ss)en|freundliche[ \t]+grü(?:ß|ss)e|viele[ \t]+grü(?:ß|ss)e|beste[ \t]+grü(?:ß|ss)e|` +
		`liebe[ \t]+grü(?:ß|ss)e|grü(?:ß|ss)e|mfg|lg|vielen[ \t]+dank|danke(?:[ \t]+schön)?|` +
		`saludos(?:[ \t]+cordiales)?|un[ \t]+(?:cordial[ \t]+)?saludo|atentamente|cordialmente|muchas[ \t]+gracias|gracias|` +
		`un[ \t]+(?:caro[ \t]+|cordiale[ \t]+)?saluto|cordiali[ \t]+saluti|distinti[ \t]+saluti|saluti|grazie(?:[ \t]+mille)?|a[ \t]+presto|` +
		`bises|bisous|amitiés|à[ \t]+plus|met[ \t]+vriendelijke[ \t]+groet(?:en)?|groeten|hälsningar|pozdrawiam`
)

var (
	salutationRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?m)^[ \t]*(?i:` + greetings + `)[ \t,]+(?:(?i:` + titles + `)(?:[ \t]+|\b))?` +
			nameRun + `[ \t]*(?:[,!:;.]|\r?$)`)
	})
	signatureRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?m)^[ \t]*(?i:` + closings + `)[ \t]*[,.!]?[ \t]*(?:\r?\n[ \t]*){0,2}` +
			nameRun + `[ \t]*[.!]?[ \t]*\r?$`)
	})
	// A closing after the last sentence on the same line takes a comma:
	// "… warranty? Thanks, Greg Walker".
	inlineSignatureRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?m)[.!?…][ \t]+(?i:` + closings + `)[ \t]*,[ \t]*` +
			nameRun + `[ \t]*[.!]?[ \t]*\r?$`)
	})
	// A name given for the buyer, or by the writer for themself: "the
	// customer Paul Martin asks", "le client : Mme Jeanne Dupont", "je
	// suis Jeanne Dupont", "my name is Ann Lee". Agents name buyers so in
	// what they ask a seller, and buyers introduce themselves so.
	introducedNameRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`(?i:\b(?:buyer|customer|client|cliente|clienta|acheteur|acheteuse|acquéreur|kunde|kundin|käufer|käuferin|` +
			`comprador|compradora|acquirente|klant|koper|je[ \t]+suis|je[ \t]+m['’]appelle|my[ \t]+name[ \t]+is|i[ \t]+am|i['’]m|` +
			`ich[ \t]+bin|ich[ \t]+hei(?:ß|ss)e|me[ \t]+llamo|soy|mi[ \t]+chiamo|mijn[ \t]+naam[ \t]+is|ik[ \t]+ben))` +
			`[ \t]*[:,]?[ \t]+(?:(?i:` + titles + `)(?:[ \t]+|\b))?` + nameRun)
	})
	// A title in the middle of a sentence: "M. Dupont a appelé".
	titledNameRE = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`\b(?:M\.|Mme|Mlle|Monsieur|Madame|Mademoiselle|Mr\.?|Mrs\.?|Ms\.?|Herr|Frau|Sr\.|Sra\.|Srta\.|Señor|Señora|Doña|Sig\.ra|Sig\.|Signor|Signora|Dott\.ssa|Dott\.)(?:[ \t]+|\b)` +
			`(` + nameWord + `)(?:[ \t]+(` + nameWord + `))?`)
	})
)

// genericWords are capitalised words that follow a greeting or a closing
// without being anyone's name.
var genericWords = toSet(`amazon team équipe equipe l'équipe l’équipe the service client clients clientèle customer customers
	support shop store boutique seller sellers vendeur vendeuse verkäufer vendedor venditore kundenservice kundendienst
	kunde kundin cliente clienti sir sirs madam all everyone tous toutes todos tutti zusammen damen herren messieurs
	mesdames prime sfp sarl sas eurl gmbh ltd srl sl inc sav monsieur madame mademoiselle herr frau señor señora
	signore signora bonne journée soirée continuation semaine week-end weekend regards wishes grüße gruß saludos saluti
	again advance merci thanks thank danke gracias grazie bonjour hello hallo hola ciao oui non yes no ja nein sí si
	sì ok okay dear cher chère liebe lieber estimado estimada gentile caro cara there friend friends ami amis freund freunde
	amigo amigos amico amici`)

var titleWords = toSet(`m m. mme mme. mlle mlle. monsieur madame mademoiselle mr mr. mrs mrs. ms ms. miss dr dr. herr frau
	sr sr. sra sra. srta srta. señor señora señorita don doña sig sig. sig.ra sig.na signor signora signorina dott dott.
	dott.ssa prof prof. mevrouw meneer dhr dhr. mw mw.`)

func toSet(words string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(words) {
		m[w] = true
	}
	return m
}

// isCommonWord reports whether w (any case) is a function word of one of the
// five languages, a title or a generic word: never a name on its own.
func isCommonWord(w string) bool {
	l := strings.ToLower(w)
	if genericWords[l] || titleWords[l] {
		return true
	}
	_, ok := langWeight[l]
	return ok
}

func findNames(text string, out []span) []span {
	for _, re := range []*regexp.Regexp{salutationRE(), signatureRE(), inlineSignatureRE(), introducedNameRE()} {
		for _, loc := range re.FindAllStringSubmatchIndex(text, -1) {
			out = appendName(text, loc[2], loc[3], out)
		}
	}
	for _, loc := range titledNameRE().FindAllStringSubmatchIndex(text, -1) {
		end := loc[3]
		// A second capitalised word belongs to the name unless it is a word
		// of the sentence ("Herr Müller Ihre Bestellung").
		if loc[4] >= 0 && !isCommonWord(strings.TrimSuffix(text[loc[4]:loc[5]], ".")) {
			end = loc[5]
		}
		out = appendName(text, loc[2], end, out)
	}
	return out
}

// appendName adds the name in text[start:end] without the titles and
// generic words around it; a run that holds a generic word ("Service
// Client", "The Team") is no name at all.
func appendName(text string, start, end int, out []span) []span {
	type word struct{ s, e int }
	var words []word
	for i := start; i < end; {
		for i < end && (text[i] == ' ' || text[i] == '\t') {
			i++
		}
		j := i
		for j < end && text[j] != ' ' && text[j] != '\t' {
			j++
		}
		if j > i {
			words = append(words, word{i, j})
		}
		i = j
	}
	for len(words) > 0 && titleWords[strings.ToLower(text[words[0].s:words[0].e])] {
		words = words[1:]
	}
	if len(words) == 0 {
		return out
	}
	for _, w := range words {
		lw := strings.ToLower(strings.TrimRight(text[w.s:w.e], ".'’-"))
		if genericWords[lw] || titleWords[lw] {
			return out
		}
	}
	s, e := words[0].s, words[len(words)-1].e
	// A sentence's full stop is not part of the name; an initial's is.
	if e-s > 2 && text[e-1] == '.' {
		e--
	}
	if len(words) == 1 && isCommonWord(text[s:e]) {
		return out
	}
	if !hasLetter(text[s:e]) {
		return out
	}
	return append(out, span{s, e, kindName, rankName})
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// nameParts splits a full name into the words worth finding on their own:
// "Jean-Pierre Le Gall" gives "Jean-Pierre" and "Gall"; "Le" is a word of
// every French sentence.
func nameParts(name string) []string {
	var parts []string
	for _, w := range strings.Fields(name) {
		w = strings.Trim(w, ",;:!?")
		if utf8.RuneCountInString(w) < 2 || isCommonWord(w) || strings.HasSuffix(w, ".") {
			continue
		}
		parts = append(parts, w)
	}
	return parts
}
