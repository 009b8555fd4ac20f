package prompts

import (
	"slices"
	"strings"
	"testing"
)

// Buyers' texts are untrusted: whatever they hold, the checker and the
// redactor must not panic, must quote only what is there, and Restore must
// give back exactly what was redacted.

const maxFuzzLen = 8 << 10

func FuzzCheck(f *testing.F) {
	for _, tc := range loadReplies(f) {
		f.Add(tc.Reply, tc.Lang, tc.Kind)
	}
	f.Add("\xff\xfe www.\xc3.fr 06 12 34 56 78 [at] avis 5 étoiles", "fr", "return_received")
	known := map[RuleID]bool{}
	for _, r := range Rules() {
		known[r.ID] = true
	}
	f.Fuzz(func(t *testing.T, reply, lang, kind string) {
		if len(reply) > maxFuzzLen {
			t.Skip()
		}
		for _, fd := range Check(reply, lang, kind) {
			if !known[fd.Rule] {
				t.Errorf("unknown rule %q", fd.Rule)
			}
			if !strings.Contains(reply, fd.Quote) {
				t.Errorf("%s quote %q is not in the reply %q", fd.Rule, fd.Quote, reply)
			}
		}
	})
}

func FuzzRedact(f *testing.F) {
	for _, tc := range loadJSONL[redactionCase](f, "testdata/redaction.jsonl") {
		for _, text := range tc.Texts {
			f.Add(text, tc.Known.Name, strings.Join(tc.Known.Address, "\n"))
		}
	}
	for _, tc := range loadReplies(f) {
		f.Add(tc.Reply, "", "")
	}
	f.Add("[NAME_1] Bonjour Marie,\n[PHONE_2] 06 12 34 56 78\xff", "Marie Curie", "12 rue\xff des Lilas")
	f.Fuzz(func(t *testing.T, text, name, address string) {
		if len(text) > maxFuzzLen || len(name) > 200 || len(address) > 400 {
			t.Skip()
		}
		known := KnownPII{Name: name, Address: strings.Split(address, "\n")}
		red, m := Redact(text, known)
		if back := m.Restore(red); back != text {
			t.Fatalf("Restore(Redact(x)) != x\n x    %q\n red  %q\n back %q", text, red, back)
		}
		checkNothingLeft(t, text, red, m)

		// The same mapping on a second text: what it learned from the first
		// (names, values) may find more, never less, and still restores.
		red2 := m.Redact(text)
		if back := m.Restore(red2); back != text {
			t.Fatalf("Restore of the second redaction differs:\n x    %q\n red  %q\n back %q", text, red2, back)
		}
		checkNothingLeft(t, text, red2, m)
	})
}

// checkNothingLeft runs the detectors again on the redacted text: none of
// the data it finds may be one that was replaced.
func checkNothingLeft(t *testing.T, text, red string, m *Mapping) {
	t.Helper()
	if m.st == nil {
		return
	}
	var originals []string
	for _, o := range m.st.original {
		if placeholderRE.FindString(o) == o {
			continue // a placeholder-looking text of the input, kept as a datum
		}
		originals = append(originals, o)
	}
	for _, s := range detect(red, false) {
		v := red[s.start:s.end]
		if slices.Contains(originals, v) {
			t.Fatalf("%s %q found again after redaction\n x   %q\n red %q", s.kind.label(), v, text, red)
		}
	}
}
