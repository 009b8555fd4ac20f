package prompts

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The languages DetectLanguage tells apart: those of the marketplaces
// sfpdesk serves first (amazon.fr, .de, .es, .it and the English ones).
var detectedLangs = [...]string{"fr", "en", "de", "es", "it"}

const numLangs = len(detectedLangs)

// Each language's most frequent words, plus the words of this trade (order,
// delivery, parcel) that buyers and sellers write in every message. A word
// listed in several languages counts for each of them by a share, so "la" or
// "de" weigh little and "the", "und" or "gracias" weigh fully.
var langWords = [numLangs]string{
	// fr
	`le la les un une des du de et est en que qui dans pour pas sur au aux avec ce cet
	cette ces il ils elle elles nous vous je j l d qu n s c ne se son sa ses votre vos notre
	nos mais ou où donc car bien très merci bonjour cordialement oui non été être avons avez
	sont sera serait peut pouvez pouvons tout tous toute toutes plus comme aussi si y à ça
	cela ceci leur leurs mon ma mes te me lui eux dont chez sans sous entre après avant
	encore déjà toujours jamais rien même autre autres fait faire madame monsieur produit
	commande livraison colis reçu envoyé taille couleur`,
	// en
	`the a an and is are was were be been being to of in on for with that this these those
	it its you your yours we our us i me my he she they them his her not no yes but or if at
	by from as have has had do does did done will would can could should may might please
	thank thanks hello hi dear regards there here what which who when where how all any
	about just also very don doesn didn isn aren wasn order item product delivery shipping
	received sent size colour color`,
	// de
	`der die das und ist nicht ein eine einen einem einer den dem des zu zum zur mit von für
	auf im in ich sie wir ihr ihnen ihre ihren unser unsere unseren es sich auch noch nur
	aber oder wenn dass daß wie bei aus nach vor über um so sehr bitte danke vielen hallo
	guten tag grüßen grüße freundlichen ja nein sind war wird werden wurde haben hat habe
	kann können gerne leider schon hier diese dieser dieses was will an bestellung artikel
	lieferung paket erhalten versendet herr frau größe farbe`,
	// es
	`el la los las un una unos unas y es en de del que por para con no sí se su sus lo le
	les al como pero o más muy este esta estos estas ese esa usted ustedes nosotros hola
	gracias saludos buenos buenas días tiene tenemos está están estamos ser hay puede
	podemos también ya cuando donde sobre hasta desde pedido producto artículo envío entrega
	recibido enviado atentamente cordial talla tamaño`,
	// it
	`il lo la i gli le un una uno e è di da del della dello dei delle degli in con su per che
	non si sì sono ma o anche come più molto questo questa quello quella ciao grazie buongiorno
	salve saluti cordiali lei suo sua suoi nostro nostra nostri abbiamo ha hanno può
	possiamo essere sia già quando dove al allo alla ai agli alle nel nella nei ordine
	prodotto articolo spedizione consegna ricevuto spedito gentile taglia colore`,
}

// langWeight maps a word to its weight in each language.
var langWeight = buildLangWeights()

func buildLangWeights() map[string][numLangs]float64 {
	in := map[string][numLangs]bool{}
	for l, words := range langWords {
		for _, w := range strings.Fields(words) {
			v := in[w]
			v[l] = true
			in[w] = v
		}
	}
	out := make(map[string][numLangs]float64, len(in))
	for w, v := range in {
		n := 0
		for _, ok := range v {
			if ok {
				n++
			}
		}
		var wt [numLangs]float64
		for l, ok := range v {
			if ok {
				wt[l] = 1 / float64(n)
			}
		}
		out[w] = wt
	}
	return out
}

// maxLangWords bounds the work on a long text: a language shows itself long
// before the 2,000th word.
const maxLangWords = 2000

// langProfile is what DetectLanguage and the wrong_language rule learn from
// a text.
type langProfile struct {
	score     [numLangs]float64
	words     int // words read
	letters   int // letters in those words
	best      int // index into detectedLangs, -1 when no word is known
	confident bool
}

func profileLanguage(text string) langProfile {
	p := langProfile{best: -1}
	var word strings.Builder
	flush := func() {
		if word.Len() == 0 {
			return
		}
		p.words++
		if wt, ok := langWeight[word.String()]; ok {
			for l := range wt {
				p.score[l] += wt[l]
			}
		}
		word.Reset()
	}
	for i := 0; i < len(text) && p.words < maxLangWords; {
		r, size := utf8.DecodeRuneInString(text[i:])
		i += size
		if unicode.IsLetter(r) {
			p.letters++
			word.WriteRune(unicode.ToLower(r))
			// Letters that only one of the five languages writes.
			switch r {
			case 'ß':
				p.score[2] += 0.5
			case 'ñ', 'Ñ':
				p.score[3] += 0.5
			}
			continue
		}
		switch r {
		case '¿', '¡':
			p.score[3] += 0.5
		}
		flush()
	}
	flush()

	second := 0.0
	for l, s := range p.score {
		if p.best < 0 || s > p.score[p.best] {
			p.best = l
		}
	}
	if p.best >= 0 && p.score[p.best] == 0 {
		p.best = -1
		return p
	}
	for l, s := range p.score {
		if l != p.best && s > second {
			second = s
		}
	}
	// Two words and a clear lead: enough for "Oui, merci" or "Thanks a lot",
	// not for a product name that happens to contain "de".
	p.confident = p.score[p.best] >= 2 && p.score[p.best] >= 1.5*second
	return p
}

// DetectLanguage guesses the language of text among fr, en, de, es and it
// from the share of each language's most common words. It returns "" when
// no such word occurs; confident is false when the text is too short or too
// mixed to tell, and callers should then trust the language they already
// know (the buyer's setting, the marketplace's).
func DetectLanguage(text string) (lang string, confident bool) {
	p := profileLanguage(text)
	if p.best < 0 {
		return "", false
	}
	return detectedLangs[p.best], p.confident
}

func langIndex(lang string) int {
	for i, l := range detectedLangs {
		if l == lang {
			return i
		}
	}
	return -1
}

// normalizeLang turns "fr-FR", "FR" or "fr_BE" into "fr".
func normalizeLang(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	return lang
}

var langNames = map[string]string{"fr": "French", "en": "English", "de": "German", "es": "Spanish", "it": "Italian"}
