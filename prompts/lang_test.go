package prompts

import (
	"strings"
	"testing"
)

func TestDetectLanguage(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		lang      string
		confident bool
	}{
		{"fr question", "Bonjour, est-ce que ce produit est compatible avec mon ancien modèle ? Merci", "fr", true},
		{"en question", "Hello, is this item compatible with the older model? Thank you", "en", true},
		{"de question", "Hallo, ist der Artikel mit dem alten Modell kompatibel? Vielen Dank", "de", true},
		{"es question", "Hola, ¿el producto es compatible con el modelo anterior? Muchas gracias", "es", true},
		{"it question", "Buongiorno, il prodotto è compatibile con il modello precedente? Grazie mille", "it", true},
		{"fr without accents", "bonjour je n ai pas recu ma commande et le colis est perdu", "fr", true},
		{"de with eszett", "Die Größe passt nicht, bitte um Rückruf. Grüße", "de", true},
		{"es with ñ and ¿", "¿Tienen la talla pequeña? Gracias", "es", true},
		{"Oui, merci", "Oui, merci", "fr", true},
		{"one word", "Merci", "fr", false},
		{"no known word", "XR-200 4K HDMI", "", false},
		{"empty", "", "", false},
		{"product names only", "Samsung Galaxy S23 Ultra 256 GB", "", false},
		{"invalid UTF-8", "Bonjour \xff\xfe je voudrais savoir si le colis est parti", "fr", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lang, confident := DetectLanguage(tt.text)
			if tt.lang != "" && lang != tt.lang {
				t.Errorf("DetectLanguage(%q) = %q, want %q", tt.text, lang, tt.lang)
			}
			if confident != tt.confident {
				t.Errorf("DetectLanguage(%q) confident = %v, want %v (lang %q)", tt.text, confident, tt.confident, lang)
			}
		})
	}
}

func TestDetectLanguageBoundsWork(t *testing.T) {
	long := strings.Repeat("the ", 100000) + strings.Repeat("le ", 500000)
	if lang, _ := DetectLanguage(long); lang != "en" {
		t.Errorf("a long text is judged on its first %d words: got %q", maxLangWords, lang)
	}
}

func TestNormalizeLang(t *testing.T) {
	for in, want := range map[string]string{"fr": "fr", "FR": "fr", "fr-FR": "fr", "de_AT": "de", " en ": "en", "": ""} {
		if got := normalizeLang(in); got != want {
			t.Errorf("normalizeLang(%q) = %q, want %q", in, got, want)
		}
	}
}
