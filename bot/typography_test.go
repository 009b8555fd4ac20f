package bot

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// hidden are the parts of a message typography does not apply to: code
// the person types as is, Slack's emoji codes, links, format verbs, and
// the names of things that keep their English name in French.
var hidden = regexp.MustCompile("`[^`]*`|:[a-z_]+:|https?://\\S+|%\\[\\d\\][a-z]|%[-+# 0-9.]*[a-zA-Z]|Seller Central|Amazon|Slack|Prime")

// englishInFrench are English words a French seller would never read in
// the bot's French. "route" is French too, but not for what the bot means:
// a seller's channel is attributed (« attribué »), not routed.
var englishInFrench = regexp.MustCompile(`(?i)\b(left|days?|hours?|claims?|cases?|drafts?|refunds?|sellers?|orders?|templates?|prompts?|callbacks?|triage|reply|replies|deadline|sent|intake|router|routée?s?|routez|routage|routes?|shortcut)\b`)

// TestFrenchTypography: a narrow no-break space (U+202F) before ; : ! ?
// and inside « », a no-break space between a number and its unit, and no
// English word in the French strings.
func TestFrenchTypography(t *testing.T) {
	const nnbsp, nbsp = "\u202f", "\u00a0"
	unit := regexp.MustCompile(`(\d|%d|%s) (h|min|€|%%|jours?|heures?)\b`)
	for _, id := range MessageIDs(LangFR) {
		s := catalogFR[id]
		plain := hidden.ReplaceAllString(s, "")
		for i, r := range []rune(plain) {
			runes := []rune(plain)
			switch r {
			case ';', ':', '!', '?':
				if i == 0 || string(runes[i-1]) != nnbsp {
					t.Errorf("%s: %q needs a narrow no-break space before %q: %q", id, string(r), string(r), s)
				}
			case '«':
				if i+1 >= len(runes) || string(runes[i+1]) != nnbsp {
					t.Errorf("%s: « needs a narrow no-break space after it: %q", id, s)
				}
			case '»':
				if i == 0 || string(runes[i-1]) != nnbsp {
					t.Errorf("%s: » needs a narrow no-break space before it: %q", id, s)
				}
			}
		}
		if m := unit.FindString(s); m != "" {
			t.Errorf("%s: %q needs a no-break space (%q) between the number and its unit: %q", id, m, nbsp, s)
		}
		if m := englishInFrench.FindString(plain); m != "" {
			t.Errorf("%s: English word %q in French: %q", id, m, s)
		}
	}
}

// TestNoPluralInParentheses: a count takes a real plural (Tn), never "(s)".
func TestNoPluralInParentheses(t *testing.T) {
	for lang, m := range catalog {
		for id, s := range m {
			if strings.Contains(s, "(s)") || strings.Contains(s, "(es)") {
				t.Errorf("%s %s: %q", lang, id, s)
			}
		}
	}
	for _, tc := range []struct {
		lang string
		n    int
		want string
	}{
		{LangEN, 1, "1 open case, soonest deadline first"},
		{LangEN, 2, "2 open cases, soonest deadline first"},
		{LangEN, 0, "0 open cases, soonest deadline first"},
		{LangFR, 0, "0 dossier ouvert, échéance la plus proche d'abord"},
		{LangFR, 1, "1 dossier ouvert, échéance la plus proche d'abord"},
		{LangFR, 3, "3 dossiers ouverts, échéance la plus proche d'abord"},
	} {
		if got := Tn(tc.lang, "lookup.open_title", tc.n, tc.n); got != tc.want {
			t.Errorf("Tn(%s, %d) = %q, want %q", tc.lang, tc.n, got, tc.want)
		}
	}
}

// TestOneDateStylePerLanguage: a time shows the same whatever its location
// is called — fresh in Europe/Paris ("CET"), read back from the store with
// only its offset ("+0100") — and each language has its own style.
func TestOneDateStylePerLanguage(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	at := time.Date(2026, 11, 24, 9, 40, 0, 0, paris)
	stored := at.In(time.FixedZone("", 3600))
	for lang, want := range map[string]string{LangEN: "Tue 24 Nov 09:40 UTC+1", LangFR: "mar. 24 nov. 09:40 UTC+1"} {
		if got := PlainDate(at, lang); got != want {
			t.Errorf("%s: PlainDate = %q, want %q", lang, got, want)
		}
		if a, b := PlainDate(at, lang), PlainDate(stored, lang); a != b {
			t.Errorf("%s: %q fresh, %q read back", lang, a, b)
		}
		if tag := DateTag(at, lang); !strings.HasSuffix(tag, "|"+want+">") {
			t.Errorf("%s: DateTag fallback %q, want %q", lang, tag, want)
		}
	}
	if got := PlainDate(at.UTC(), LangEN); got != "Tue 24 Nov 08:40 UTC" {
		t.Errorf("UTC: %q", got)
	}
}
