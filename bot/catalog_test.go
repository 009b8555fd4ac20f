package bot

import (
	"regexp"
	"testing"
)

var verbRe = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z%]`)

// Every message exists in every language with the same formatting verbs,
// so that no seller meets a fallback or a "%!s(MISSING)".
func TestCatalogsMatch(t *testing.T) {
	for lang, m := range catalog {
		for id, en := range catalogEN {
			s, ok := m[id]
			if !ok {
				t.Errorf("%s: missing %q", lang, id)
				continue
			}
			if a, b := verbRe.FindAllString(en, -1), verbRe.FindAllString(s, -1); len(a) != len(b) {
				t.Errorf("%s %q: verbs %v, English has %v", lang, id, b, a)
			}
		}
		for id := range m {
			if _, ok := catalogEN[id]; !ok {
				t.Errorf("%s: %q has no English", lang, id)
			}
		}
	}
}
