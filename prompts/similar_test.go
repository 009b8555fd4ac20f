package prompts

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMostSimilar(t *testing.T) {
	at := func(d int) time.Time { return time.Date(2026, 10, d, 9, 0, 0, 0, time.UTC) }
	ex := []Example{
		{Question: "Quelle est la hauteur de la lampe ?", Answer: "Elle mesure 45 cm de hauteur.", At: at(1)},
		{Question: "La lampe accepte-t-elle une ampoule E27 ?", Answer: "Non, la LED est intégrée : pas d'ampoule.", At: at(2)},
		{Question: "Livrez-vous en Belgique ?", Answer: "Oui, Amazon livre en Belgique.", At: at(3)},
		{Question: "Peut-on changer l'ampoule ?", Answer: "Non, la LED intégrée ne se change pas.", At: at(4)},
		{Question: "Existe-t-elle en blanc ?", Answer: "Oui, en noir et en blanc.", At: at(5)},
	}
	got := MostSimilar("Bonjour, peut-on mettre une ampoule E27 dans cette lampe ?", ex, 3)
	var qs []string
	for _, e := range got {
		qs = append(qs, e.Question)
	}
	want := []string{"La lampe accepte-t-elle une ampoule E27 ?", "Peut-on changer l'ampoule ?", "Quelle est la hauteur de la lampe ?"}
	if diff := cmp.Diff(want, qs); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := MostSimilar("Le câble USB fait quelle longueur ?", ex, 3); len(got) != 0 {
		t.Errorf("examples sharing no word: %+v", got)
	}
	if got := MostSimilar("ampoule", ex, 0); got != nil {
		t.Errorf("n=0: %+v", got)
	}
}
