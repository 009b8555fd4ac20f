package bot

import (
	"fmt"
	"sort"
)

// Languages the bot speaks. Keywords of the slash command stay English in
// every language; only the bot's own words change.
const (
	LangFR = "fr"
	LangEN = "en"
)

// catalog holds every sentence the bot says, one map per language, keyed by
// a message id. A test checks that both languages have the same ids and the
// same verbs, so that no French seller ever meets an English fallback.
var catalog = map[string]map[string]string{
	LangEN: catalogEN,
	LangFR: catalogFR,
}

// T returns the message id in lang, formatted with args. An unknown
// language falls back to English; an unknown id shows itself, which a test
// catches.
func T(lang, id string, args ...any) string {
	m, ok := catalog[lang]
	if !ok {
		m = catalog[LangEN]
	}
	s, ok := m[id]
	if !ok {
		s, ok = catalog[LangEN][id]
		if !ok {
			// A key made of a label's name ("rule."+id) shows the name;
			// the name may come from outside, so it is shown as typed.
			return Escape(id)
		}
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// ValidLang reports whether the bot speaks lang.
func ValidLang(lang string) bool {
	_, ok := catalog[lang]
	return ok
}

// MessageIDs lists the ids of a language's catalogue, sorted.
func MessageIDs(lang string) []string {
	var ids []string
	for id := range catalog[lang] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// Tn is T for a sentence about n things: the id's ".one" form when n is
// singular in lang (1 in English; 0 and 1 in French), else the id itself,
// which is the plural. No sentence says "case(s)".
func Tn(lang, id string, n int, args ...any) string {
	one := n == 1
	if lang == LangFR {
		one = n == 0 || n == 1
	}
	if one {
		if _, ok := catalog[LangEN][id+".one"]; ok {
			id += ".one"
		}
	}
	return T(lang, id, args...)
}
