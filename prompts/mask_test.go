package prompts

import (
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	tests := []struct {
		name       string
		text       string
		known      KnownPII
		want, gone []string
	}{
		{"contact data is hidden, the order id stays",
			"Bonjour, je suis Marie Dupont, joignable au 06 12 34 56 78 ou marie.dupont@example.com. Commande 171-5550123-7654321.",
			KnownPII{Name: "Marie Dupont"},
			[]string{"Marie", "‹phone hidden›", "‹e-mail hidden›", "171-5550123-7654321"},
			[]string{"Dupont", "06 12 34 56 78", "marie.dupont@example.com"}},
		{"a surname alone is hidden, the first name stays",
			"Question Dupont pour Marie", KnownPII{Name: "Marie Dupont"},
			[]string{"Question", "Marie"}, []string{"Dupont"}},
		{"a postal address is hidden",
			"Please send it to 12 rue de la Paix, 75002 Paris instead.",
			KnownPII{Address: []string{"12 rue de la Paix", "75002 Paris"}},
			[]string{"‹address hidden›"},
			[]string{"rue de la Paix", "75002"}},
		{"a text without personal data is unchanged", "Is the charger USB-C?", KnownPII{}, []string{"Is the charger USB-C?"}, nil},
		// An agent's ask names no known buyer: the name is found where the
		// agent puts it, and cut to its first word like any other.
		{"a buyer's full name typed by an agent", "The customer Paul Martin asks whether it fits a 2019 model.", KnownPII{},
			[]string{"Paul", "asks whether it fits"}, []string{"Martin"}},
		{"an agent's French, with a title", "Le client : M. Jean-Paul Durand demande un délai.", KnownPII{},
			[]string{"demande un délai"}, []string{"Durand"}},
		{"a buyer who introduces themself", "je suis Jeanne Dupont et j'attends mon colis", KnownPII{},
			[]string{"Jeanne", "j'attends mon colis"}, []string{"Dupont"}},
		{"a name in German", "Die Kundin Anna Schmidt fragt nach der Größe.", KnownPII{},
			[]string{"Anna", "fragt nach"}, []string{"Schmidt"}},
		{"the customer service is no name", "The customer Service team asks about Prime.", KnownPII{},
			[]string{"The customer Service team asks about Prime."}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Mask(tc.text, tc.known)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q: %q", w, got)
				}
			}
			for _, g := range tc.gone {
				if strings.Contains(got, g) {
					t.Errorf("still shows %q: %q", g, got)
				}
			}
		})
	}
}
