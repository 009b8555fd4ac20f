package prompts

import (
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Example is an earlier question on a product and the answer the seller
// sent to it.
type Example struct {
	Question string
	Answer   string
	At       time.Time
	// Known is what the example's own case says about its buyer: it is
	// redacted from the example as the current buyer's data is from the
	// question, and no draft for another buyer ever gets it back.
	Known KnownPII
}

// maxExamples is how many earlier answers a prompt shows: enough to carry
// the seller's facts and tone, few enough to keep the prompt short.
const maxExamples = 3

// MostSimilar returns up to n examples whose question and answer are
// closest to question, most similar first, by TF-IDF cosine over words
// (the languages' most common words left out). Examples sharing no word
// with the question are left out; ties go to the most recent.
func MostSimilar(question string, examples []Example, n int) []Example {
	if n <= 0 || len(examples) == 0 {
		return nil
	}
	q := termCounts(question)
	if len(q) == 0 {
		return nil
	}
	docs := make([]map[string]float64, len(examples))
	df := map[string]int{}
	for i, e := range examples {
		docs[i] = termCounts(e.Question + "\n" + e.Answer)
		for t := range docs[i] {
			df[t]++
		}
	}
	for t := range q {
		df[t]++
	}
	total := float64(len(examples) + 1)
	weigh := func(tf map[string]float64) (map[string]float64, float64) {
		w := make(map[string]float64, len(tf))
		norm := 0.0
		for t, c := range tf {
			v := (1 + math.Log(c)) * (1 + math.Log(total/float64(df[t])))
			w[t] = v
			norm += v * v
		}
		return w, math.Sqrt(norm)
	}
	qw, qn := weigh(q)
	type scored struct {
		i     int
		score float64
	}
	var out []scored
	for i, d := range docs {
		dw, dn := weigh(d)
		if dn == 0 {
			continue
		}
		dot := 0.0
		for t, v := range qw {
			dot += v * dw[t]
		}
		if dot > 0 {
			out = append(out, scored{i, dot / (qn * dn)})
		}
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].score != out[b].score {
			return out[a].score > out[b].score
		}
		return examples[out[a].i].At.After(examples[out[b].i].At)
	})
	var res []Example
	for _, s := range out {
		if len(res) == n {
			break
		}
		res = append(res, examples[s.i])
	}
	return res
}

// termCounts counts a text's words of two letters or more, lower-cased,
// without the five languages' most common words and without placeholders'
// labels.
func termCounts(text string) map[string]float64 {
	tf := map[string]float64{}
	for _, w := range words(text) {
		if utf8.RuneCountInString(w) < 2 {
			continue
		}
		if _, common := langWeight[w]; common || questionWords[w] {
			continue
		}
		tf[stem(w)]++
	}
	return tf
}

// questionWords are the words every question has, which say nothing of
// what it asks about.
var questionWords = toSet(`quel quelle quels quelles combien comment pourquoi quand est-ce peut-on
	what which how why when does much many long
	welche welcher welches wie warum wann wieviel
	qué cuál cuánto cuánta cómo cuándo por
	quale quali quanto quanta come quando perché`)

// stem folds the commonest plural endings, so that "batteries" meets
// "battery" and "câbles" meets "câble"; crude, and enough for ranking.
func stem(w string) string {
	switch {
	case len(w) > 5 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 4 && (strings.HasSuffix(w, "s") || strings.HasSuffix(w, "x")) && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}
