package prompts

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// The word gates only skip work: a pattern they skip finds nothing in
// that text. Checked on every fixture, on street words in every case and
// script variant regexp's (?i) folds, and by the fuzzer.
func TestStreetGatesLoseNothing(t *testing.T) {
	var texts []string
	for _, tc := range loadJSONL[redactionCase](t, "testdata/redaction.jsonl") {
		texts = append(texts, tc.Texts...)
	}
	var words []string
	for _, ws := range [][]string{frStreetWords, beStreetWords, deStreetSuffixes, deHyphenated, deStreetWords, plStreetWords, esStreetWords, itStreetWords} {
		words = append(words, ws...)
	}
	r := rand.New(rand.NewPCG(3, 4))
	// Every word in every variant several times over: the fuzz target
	// goes further.
	for range 600 {
		w := words[r.IntN(len(words))]
		switch r.IntN(4) {
		case 0:
			w = strings.ToUpper(w)
		case 1:
			w = strings.ReplaceAll(strings.ReplaceAll(w, "s", "ſ"), "k", "\u212a")
		case 2:
			w = strings.ToUpper(w[:1]) + w[1:]
		}
		name := mixPieces[r.IntN(len(mixPieces))]
		texts = append(texts,
			"12 "+w+" des Lilas", w+" de la Loi 16", "Haupt"+w+" 5", name+" "+w+" Roma 12, 20121 Milano",
			w+" "+name+" 3", "Müller-"+w+" 7")
	}
	for _, text := range texts {
		checkStreetGates(t, text)
	}
}

func FuzzStreetGates(f *testing.F) {
	for _, s := range []string{"12 RUE de la Paix", "Via Roma 12", "Hauptſtraße 5", "C/ Mayor 3", "ul. Długa 5/7", "Rue de la Loi 16"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if len(text) > maxFuzzLen {
			t.Skip()
		}
		checkStreetGates(t, text)
	})
}

func checkStreetGates(t *testing.T, text string) {
	t.Helper()
	lower := foldLower(text)
	for i, p := range streetPatterns() {
		if !p.mayMatch(text, lower) {
			if m := p.re.FindString(text); m != "" {
				t.Fatalf("pattern %d skipped %q, yet it finds %q", i, text, m)
			}
		}
	}
}
