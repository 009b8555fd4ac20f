package prompts

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"text/template"
	"unicode/utf8"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// Templates drafts without a model: a reply in the buyer's language that
// thanks, says what the question is about and leaves a marked gap where the
// seller writes the facts. After-sale matters get the Seller Fulfilled Prime
// answer in full (Amazon Customer Service handles them), and a refund
// question on a return already received says the refund is being made.
// Every such draft passes the messaging rules.
type Templates struct{}

var _ Drafter = Templates{}

// fallbackLangs are the languages with a template; a buyer writing another
// gets English.
var fallbackLangs = []string{"fr", "en", "de", "es", "it"}

type fallbackSet struct {
	tmpl    *template.Template
	version string
}

var fallbackTemplates = sync.OnceValues(func() (map[string]fallbackSet, error) {
	out := map[string]fallbackSet{}
	for _, l := range fallbackLangs {
		name := "fallback_" + l + ".tmpl"
		b, err := templateFS.ReadFile("templates/" + name)
		if err != nil {
			return nil, err
		}
		t, err := template.New(name).Option("missingkey=error").Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
		out[l] = fallbackSet{t, fileVersion(b)}
	}
	return out, nil
})

// fallbackData is what the phrases of a template draft are filled with.
type fallbackData struct {
	Name      string // the buyer's name; empty for an agent
	Product   string // the product's title, from the catalogue
	Order     bool   // the buyer has ordered
	TopicText string
}

func fallbackPhrase(lang, name string, d fallbackData) (string, error) {
	sets, err := fallbackTemplates()
	if err != nil {
		return "", err
	}
	set, ok := sets[lang]
	if !ok {
		set = sets["en"]
	}
	var b bytes.Buffer
	if err := set.tmpl.ExecuteTemplate(&b, name, d); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Draft writes the template draft for in.
func (Templates) Draft(_ context.Context, in Input, _ func(string)) (*Draft, error) {
	if !draftable(in.Kind) {
		return nil, sfp.Errorf(sfp.EINVALID, "no draft for a %s", in.Kind)
	}
	sets, err := fallbackTemplates()
	if err != nil {
		return nil, err
	}
	lang := in.Language()
	tl := lang
	if _, ok := sets[tl]; !ok {
		tl = "en"
	}
	text, err := templateText(tl, in)
	if err != nil {
		return nil, err
	}
	return &Draft{
		Text: text, Lang: lang, Template: sets[tl].version,
		Findings: Check(text, lang, in.CheckKind()),
	}, nil
}

func templateText(lang string, in Input) (string, error) {
	topic, after := detectTopics(in.Subject + "\n" + in.Question)
	// On an order, an after-sale matter is the whole answer: what colour or
	// size the buyer mentions is the reason for the return, not a question.
	if in.Kind == sfp.KindOrderQuestion && after.any() && !in.ForAgent {
		topic = ""
	}
	d := fallbackData{Order: in.Kind == sfp.KindOrderQuestion || in.OrderID != ""}
	if !in.ForAgent {
		d.Name = cutRunes(sfp.FirstName(in.Customer.Name), 60)
	}
	if in.Product != nil {
		d.Product = cutRunes(oneLine(in.Product.Title), 80)
	}
	refunding := in.ReturnReceived && after.refund
	// An order question that is only an after-sale matter is answered in
	// full by pointing to Amazon Customer Service; anything else needs the
	// seller's facts.
	answer := in.ForAgent || in.Kind != sfp.KindOrderQuestion || topic != "" || !(after.any() || refunding)

	var paras []string
	var err error
	phrase := func(name string) string {
		if err != nil {
			return ""
		}
		var s string
		s, err = fallbackPhrase(lang, name, d)
		return s
	}
	paras = append(paras, phrase("greeting"))
	var body []string
	if answer {
		if topic != "" {
			d.TopicText = phrase("topic." + topic)
		} else {
			d.TopicText = phrase("topic")
		}
		body = append(body, phrase("thanks"), phrase("gap"))
	} else {
		body = append(body, phrase("thanks.order"))
	}
	switch {
	case refunding && in.ForAgent:
		body = append(body, phrase("refunding.agent"))
	case refunding:
		body = append(body, phrase("refunding"))
	case after.any() && !in.ForAgent:
		line := phrase("pointer")
		if after.sorry != "" {
			line = phrase("sorry."+after.sorry) + " " + line
		}
		body = append(body, line)
	}
	paras = append(paras, strings.Join(body, "\n"), phrase("more"), phrase("closing"))
	if err != nil {
		return "", err
	}
	return strings.Join(paras, "\n\n"), nil
}

// ---- what a question is about ----

// Words that say what a question is about, in the five languages at once
// (a buyer may mix them). Each is matched at the start of a word, so a stem
// such as "compatib" finds "compatible" and "Kompatibilität" alike.
var productTopics = []struct {
	id    string
	words []string
}{
	{"compat", []string{"compatib", "kompatib", "passt=", "fits ", "fit my", "fit on", "fit a", "work with", "works with", "fonctionne avec", "marche avec", "funziona con", "funciona con", "adapt", "support", "unterstützt", "charger un", "charge my", "laden"}},
	{"size", []string{"dimension", "taille", "size", "mesur", "größe", "groß=", "maße", "abmessung", "talla", "tamaño", "medida", "misur", "taglia", "longueur", "length", "long is", "largeur", "width", "wide=", "hauteur", "height", "tall=", "hoch=", "höhe", "breit", "altura", "alto=", "alta=", "ancho", "altezza", "larghezza", "lunghezza", "poids", "weight", "weigh", "gewicht", "peso", "pèse", "litre", "liter", "capacit"}},
	{"colour", []string{"couleur", "colour", "color", "farbe", "colore"}},
	{"material", []string{"matière", "matériau", "composition", "material", "stoff", "tissu", "coton", "cotton", "leather", "cuir", "leder", "plastique", "plastic", "inox", "stainless", "bois", "wood"}},
	{"stock", []string{"stock", "disponib", "available", "availability", "verfügbar", "lieferbar", "restock", "réassort", "back in", "wieder da", "précommande", "pre-order", "preorder", "vorbestell"}},
	{"delivery", []string{"livraison", "livré", "livrer", "délai", "delivery", "deliver", "ship", "lieferung", "lieferzeit", "versand", "envío", "entrega", "spedizion", "consegna", "expédi", "arrive"}},
	{"warranty", []string{"garantie", "warranty", "guarantee", "garantía", "garanzia"}},
	{"care", []string{"entretien", "lavage", "laver", "lave-vaisselle", "wash", "clean", "nettoy", "waschen", "reinig", "lavar", "lavare", "rétréci", "shrink", "pflege", "einlaufen", "lavado", "lavaggio", "dishwasher", "spülmaschine", "lavavajillas", "lavastoviglie"}},
	{"usage", []string{"utilis", "notice", "mode d'emploi", "how to", "how do", "manual", "anleitung", "bedienung", "montage", "assembl", "install"}},
	{"tracking", []string{"suivi", "tracking", "où en est", "where is", "sendungsverfolgung", "seguimiento", "tracciamento", "numéro de colis", "wo ist", "dónde está", "dov'è"}},
}

type afterSale struct {
	refund, cancel, ret bool
	sorry               string // "late" or "damaged"
}

func (a afterSale) any() bool { return a.refund || a.cancel || a.ret || a.sorry != "" }

var afterSaleWords = map[string][]string{
	"refund": {"rembours", "refund", "money back", "erstatt", "geld zurück", "reembols", "devolución del dinero", "rimbors", "soldi indietro"},
	"cancel": {"annul", "cancel", "storn", "anular", "annull"},
	"return": {"retour", "retourner", "renvoyer", "return", "rücksend", "zurückschick", "zurücksend", "retoure", "devolu", "devolver", "reso=", "restituir", "rendere"},
	"damaged": {"cassé", "abîmé", "endommagé", "défectueu", "fendu", "fissuré", "rayé", "cracked", "scratched", "dented", "ne fonctionne pas", "ne marche pas", "broken", "damaged", "defective", "doesn't work", "does not work", "not working", "kaputt", "beschädigt", "defekt", "funktioniert nicht", "roto=", "rota=", "dañado", "defectuos", "no funciona", "rotto", "rotta", "danneggiat", "difettos", "non funziona",
		"manque", "manquant", "missing", "fehlt", "falta", "manca", "mauvais article", "wrong item", "falscher artikel", "artículo equivocado", "articolo sbagliato"},
	"late": {"retard", "rien reçu", "toujours rien", "pas reçu", "pas encore reçu", "jamais reçu", "pas arrivé", "late=", "not arrived", "never arrived", "hasn't arrived", "has not arrived", "still not arrived", "still not received", "still haven't", "not received", "verspät", "nicht angekommen", "nicht erhalten", "retraso", "no ha llegado", "no he recibido", "todavía no ha llegado", "ritardo", "non è arrivato", "non è ancora arrivato", "non ho ricevuto"},
}

// detectTopics returns the product topic mentioned first, if any, and the
// after-sale matters the question raises.
func detectTopics(text string) (topic string, after afterSale) {
	// "De retour en stock" is back in stock, not a return; USB "Power
	// Delivery" is a charging standard, not a parcel.
	low := strings.NewReplacer("de retour en stock", "réassort", "power delivery", "pd").Replace(strings.ToLower(text))
	best := -1
	for _, t := range productTopics {
		if i := firstWordAt(low, t.words); i >= 0 && (best < 0 || i < best) {
			best, topic = i, t.id
		}
	}
	has := func(kind string) bool { return firstWordAt(low, afterSaleWords[kind]) >= 0 }
	after.refund, after.cancel, after.ret = has("refund"), has("cancel"), has("return")
	switch {
	case has("damaged"):
		after.sorry = "damaged"
	case has("late"):
		after.sorry = "late"
	}
	// "When will it be delivered?" is a delivery question; "it arrived
	// broken" or "it never arrived" is Amazon Customer Service's.
	if after.sorry != "" && topic == "delivery" {
		topic = ""
	}
	return topic, after
}

// firstWordAt returns the earliest position where one of words starts a
// word of text, or -1. A word ending in "=" must also end there: "reso" is
// an Italian return, not the start of "resolution".
func firstWordAt(text string, words []string) int {
	best := -1
	for _, w := range words {
		whole := strings.HasSuffix(w, "=")
		w = strings.TrimSuffix(w, "=")
		for from := 0; from < len(text); {
			i := strings.Index(text[from:], w)
			if i < 0 {
				break
			}
			at := from + i
			end := true
			if whole {
				r, _ := utf8.DecodeRuneInString(text[at+len(w):])
				end = at+len(w) == len(text) || !isAlnumRune(r)
			}
			if r, _ := utf8.DecodeLastRuneInString(text[:at]); end && (at == 0 || !isAlnumRune(r)) {
				if best < 0 || at < best {
					best = at
				}
				break
			}
			from = at + len(w)
		}
	}
	return best
}
