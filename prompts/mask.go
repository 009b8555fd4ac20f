package prompts

import "strings"

// Masks shown in place of contact data. They are not placeholders: nothing
// restores them.
var maskLabels = map[string]string{
	"EMAIL":   "‹e-mail hidden›",
	"PHONE":   "‹phone hidden›",
	"ADDRESS": "‹address hidden›",
	"IBAN":    "‹IBAN hidden›",
	"CARD":    "‹card number hidden›",
}

// Mask prepares a buyer's text for Slack, where a seller's whole team
// reads it: contact data (e-mail addresses, phone numbers, postal
// addresses, bank and card numbers) is hidden, names are cut to their first
// word, and order ids stay, because the seller needs them. Amazon's data
// protection policy lets the seller use buyer data only to fulfil the
// order; a card needs none of these to be answered.
func Mask(text string, known KnownPII) string {
	m := NewMapping(known)
	red := m.Redact(text)
	st := m.state()
	first := ""
	if f := strings.Fields(known.Name); len(f) > 1 {
		first = f[0]
	}
	return placeholderRE.ReplaceAllStringFunc(red, func(ph string) string {
		orig, ok := st.original[ph]
		if !ok {
			return ph
		}
		if placeholderRE.MatchString(orig) {
			return orig // the buyer typed something shaped like a placeholder
		}
		kind := placeholderRE.FindStringSubmatch(ph)[1]
		switch kind {
		case "NAME":
			f := strings.Fields(orig)
			switch {
			case len(f) > 1:
				return f[0]
			case len(f) == 1 && (first == "" || strings.EqualFold(f[0], first)):
				return f[0]
			}
			// A lone word of the known name other than the first name
			// is the surname.
			return ""
		case "ORDER":
			return orig
		}
		return maskLabels[kind]
	})
}
