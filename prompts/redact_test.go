package prompts

import (
	"bytes"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"testing"
)

// redactionCase is one line of testdata/redaction.jsonl: texts redacted in
// turn with one Mapping, the known fields of the case, and what must come
// out: the exact redacted texts (want), strings that must be gone, strings
// that must stay.
type redactionCase struct {
	ID    string   `json:"id"`
	Texts []string `json:"texts"`
	Known struct {
		Name    string   `json:"name"`
		Address []string `json:"address"`
		Email   string   `json:"email"`
		Phone   string   `json:"phone"`
	} `json:"known"`
	Want []string `json:"want"`
	Gone []string `json:"gone"`
	Keep []string `json:"keep"`
	Note string   `json:"note"`
}

func TestRedactFixtures(t *testing.T) {
	for _, tc := range loadJSONL[redactionCase](t, "testdata/redaction.jsonl") {
		t.Run(tc.ID, func(t *testing.T) {
			m := NewMapping(KnownPII{Name: tc.Known.Name, Address: tc.Known.Address, Email: tc.Known.Email, Phone: tc.Known.Phone})
			for i, text := range tc.Texts {
				got := m.Redact(text)
				if tc.Want != nil && got != tc.Want[i] {
					t.Errorf("text %d:\n in   %q\n got  %q\n want %q", i, text, got, tc.Want[i])
				}
				for _, g := range tc.Gone {
					if strings.Contains(got, g) {
						t.Errorf("text %d: %q still in %q", i, g, got)
					}
				}
				for _, k := range tc.Keep {
					if strings.Contains(text, k) && !strings.Contains(got, k) {
						t.Errorf("text %d: %q was redacted: %q", i, k, got)
					}
				}
				if back := m.Restore(got); back != text {
					t.Errorf("text %d: Restore(Redact(x)) = %q, want %q", i, back, text)
				}
			}
		})
	}
}

func TestRedactFixturesAreEnough(t *testing.T) {
	if n := len(loadJSONL[redactionCase](t, "testdata/redaction.jsonl")); n < 35 {
		t.Errorf("%d redaction cases, want at least 35", n)
	}
	if n := len(loadReplies(t)); n < 70 {
		t.Errorf("%d replies, want at least 70", n)
	}
}

func TestRestoreAnswer(t *testing.T) {
	m := NewMapping(KnownPII{Name: "Jean Dupont"})
	q := m.Redact("Bonjour, je suis Jean Dupont, commande 402-1234567-1234567, tél 06 12 34 56 78.")
	if want := "Bonjour, je suis [NAME_1], commande [ORDER_1], tél [PHONE_1]."; q != want {
		t.Fatalf("Redact = %q, want %q", q, want)
	}
	answer := "Bonjour [NAME_1], votre commande [ORDER_1] part demain. [NAME_7] [EMAIL_1] [name_1] [NAME_1"
	got := m.Restore(answer)
	want := "Bonjour Jean Dupont, votre commande 402-1234567-1234567 part demain. [NAME_7] [EMAIL_1] [name_1] [NAME_1"
	if got != want {
		t.Errorf("Restore = %q, want %q", got, want)
	}
}

func TestMappingNeverPrintsOriginals(t *testing.T) {
	secrets := []string{"Jean Dupont", "Dupont", "jean.dupont@gmail.com", "06 12 34 56 78", "FR76 3000 6000 0112 3456 7890 189"}
	_, m := Redact("Bonjour Jean Dupont, jean.dupont@gmail.com, 06 12 34 56 78, FR76 3000 6000 0112 3456 7890 189",
		KnownPII{Name: "Jean Dupont"})
	var logged bytes.Buffer
	slog.New(slog.NewTextHandler(&logged, nil)).Info("draft", "mapping", m)
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("draft", "mapping", m)
	outputs := []string{
		m.String(), fmt.Sprint(m), fmt.Sprintf("%v %+v %#v %s %q %x", m, m, m, m, m, m),
		fmt.Sprintf("%+v %#v", *m, *m), logged.String(),
	}
	for _, out := range outputs {
		for _, s := range secrets {
			if strings.Contains(out, s) {
				t.Errorf("%q reveals %q", out, s)
			}
		}
	}
	if want := "prompts.Mapping{NAME:1 EMAIL:1 PHONE:1 IBAN:1}"; m.String() != want {
		t.Errorf("String = %q, want %q", m.String(), want)
	}
	if !strings.Contains(logged.String(), "mapping.name=1") || !strings.Contains(logged.String(), `"placeholders":4`) {
		t.Errorf("log lacks the counts: %s", logged.String())
	}
	var nilMapping *Mapping
	if nilMapping.String() != "prompts.Mapping{}" || nilMapping.Restore("[NAME_1]") != "[NAME_1]" || nilMapping.Len() != 0 {
		t.Error("a nil Mapping must print empty and restore nothing")
	}
}

func TestZeroMappingRedacts(t *testing.T) {
	var m Mapping
	got := m.Redact("Call me on 07700 900123")
	if got != "Call me on [PHONE_1]" || m.Restore(got) != "Call me on 07700 900123" {
		t.Errorf("zero Mapping: %q", got)
	}
}

func TestRedactKeepsInvalidUTF8(t *testing.T) {
	inputs := []string{
		"Bonjour Marie,\xff\xfe tél 06 12 34 56 78 \xc3",
		"\x80Jean\xff Dupont jean@x\xff.fr",
		strings.Repeat("\xe2\x82", 50) + " 4111 1111 1111 1111",
	}
	for _, in := range inputs {
		red, m := Redact(in, KnownPII{Name: "Jean\xff Dupont"})
		if back := m.Restore(red); back != in {
			t.Errorf("Restore(Redact(%q)) = %q", in, back)
		}
		if !strings.Contains(in, "06 12") && !strings.Contains(in, "4111") {
			continue
		}
		if strings.Contains(red, "06 12 34 56 78") || strings.Contains(red, "4111 1111 1111 1111") {
			t.Errorf("datum left in %q", red)
		}
	}
}

func TestIBANAndLuhnChecks(t *testing.T) {
	for _, tt := range []struct {
		iban string
		ok   bool
	}{
		{"FR7630006000011234567890189", true},
		{"DE89370400440532013000", true},
		{"GB29NWBK60161331926819", true},
		{"FR7630006000011234567890188", false},
		{"DE89370400440532013001", false},
	} {
		if got := ibanValid([]byte(tt.iban)); got != tt.ok {
			t.Errorf("ibanValid(%s) = %v, want %v", tt.iban, got, tt.ok)
		}
	}
	for _, tt := range []struct {
		card string
		ok   bool
	}{
		{"4111111111111111", true}, {"5500000000000004", true}, {"378282246310005", true},
		{"4111111111111112", false}, {"1234567812345678", false},
	} {
		if got := luhnValid([]byte(tt.card)); got != tt.ok {
			t.Errorf("luhnValid(%s) = %v, want %v", tt.card, got, tt.ok)
		}
	}
}

func ExampleMapping_Restore() {
	m := NewMapping(KnownPII{Name: "Jean Dupont"})
	question := m.Redact("Bonjour, ici Jean Dupont. Ma commande 402-1234567-1234567 est-elle partie ?")
	fmt.Println(question)
	// The model answers with the placeholders; the person reviewing sees the originals.
	fmt.Println(m.Restore("Bonjour [NAME_1], la commande [ORDER_1] est partie ce matin."))
	fmt.Println(m)
	// Output:
	// Bonjour, ici [NAME_1]. Ma commande [ORDER_1] est-elle partie ?
	// Bonjour Jean Dupont, la commande 402-1234567-1234567 est partie ce matin.
	// prompts.Mapping{NAME:1 ORDER:1}
}

func BenchmarkRedact(b *testing.B) {
	b.Run("message", func(b *testing.B) {
		text := "Bonjour Paul,\n\nJe n'ai pas reçu ma commande 405-1111111-2222222. Mon adresse est 3 bis rue du Moulin, " +
			"44000 Nantes et mon portable le 07 98 76 54 32.\n\nMerci,\nLucie Bernard"
		for b.Loop() {
			Redact(text, KnownPII{Name: "Lucie Bernard"})
		}
	})
	hostile := strings.Repeat("Bonjour Marie Curie,\n06 12 34 56 78 a@b.fr 12 rue Haute, 75002 Paris ", 20000/70)
	b.Run("hostile 20k", func(b *testing.B) {
		for b.Loop() {
			Redact(hostile, KnownPII{Name: "Jean Dupont"})
		}
	})
}

// Pieces of buyers' texts glued together at random, as a hostile or careless
// text would: the fuzzer's byte mutations seldom build a street next to a
// name next to a placeholder, and such neighbours are where redaction goes
// wrong.
var mixPieces = []string{
	"Bonjour Marie,", "Dear John Smith,\n", "Hallo Herr Müller", "Hola Juan", "Ciao Giulia!", "\nCordialement,\nJean Dupont",
	"Best regards,\nJohn", "Marie", "Jean", "Dupont", "jean.dupont@gmail.com", "jean [at] gmail [dot] com", "x at y dot com",
	"06 12 34 56 78", "+33 6 12 34 56 78", "0044 20 7946 0958", "(555) 123-4567", "612 34 56 78", "12 rue de la Paix", "75002 Paris",
	"Hauptstraße 5", "10115 Berlin", "Via Roma 12", "FR76 3000 6000 0112 3456 7890 189", "4111 1111 1111 1111", "402-1234567-1234567",
	"[NAME_1]", "[PHONE_2]", "[EMAIL_1", "]", "[", " ", "\n", ", ", ". ", "-", "\xff", "é", "M. ", "Mme ", "a", "1", "12", "0",
	"www.shop.fr", "https://amazon.fr/x", "Cordialement", "Merci", "rue", "Paris", "IBAN", "@", ".", "at", "dot",
}

func TestRedactPieceMixes(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 100
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range n {
		var b strings.Builder
		for range 1 + r.IntN(8) {
			b.WriteString(mixPieces[r.IntN(len(mixPieces))])
		}
		text := b.String()
		var known KnownPII
		if r.IntN(2) == 0 {
			known.Name = mixPieces[r.IntN(len(mixPieces))] + " " + mixPieces[r.IntN(len(mixPieces))]
		}
		red, m := Redact(text, known)
		if back := m.Restore(red); back != text {
			t.Fatalf("Restore(Redact(x)) != x\n x    %q\n red  %q\n back %q", text, red, back)
		}
		checkNothingLeft(t, text, red, m)
		red2 := m.Redact(text)
		if back := m.Restore(red2); back != text {
			t.Fatalf("second redaction does not restore: %q", red2)
		}
		checkNothingLeft(t, text, red2, m)
	}
}
