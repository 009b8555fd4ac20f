package bot

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscape(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"a mention attempt stays text", "<!channel> hello", "&lt;!channel&gt; hello"},
		{"a disguised link stays text", "<https://evil.example|amazon.fr>", "&lt;https://evil.example|amazon.fr&gt;"},
		{"ampersands", "Tom & Jerry", "Tom &amp; Jerry"},
		{"already escaped by Slack is escaped again after unescape", Unescape("a &lt;b&gt;"), "a &lt;b&gt;"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Escape(tc.in); got != tc.want {
				t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestCut(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short text is untouched", "Bonjour", 10, "Bonjour"},
		{"cut on a rune boundary", "éééé", 3, "éé…"},
		{"emoji are one character", "😀😀😀😀", 2, "😀…"},
		{"invalid UTF-8 is repaired", "a\xffb", 10, "a\uFFFDb"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Cut(tc.in, tc.max); got != tc.want {
				t.Errorf("Cut(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}

func TestEscapeCutNeverSplitsAnEntity(t *testing.T) {
	s := strings.Repeat("<&>", 2000)
	got := EscapeCut(s, MaxSectionText)
	if n := utf8.RuneCountInString(got); n > MaxSectionText {
		t.Fatalf("len = %d > %d", n, MaxSectionText)
	}
	trimmed := strings.TrimSuffix(got, "…")
	if Escape(Unescape(trimmed)) != trimmed {
		t.Fatalf("an entity was split: ...%q", trimmed[len(trimmed)-10:])
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "<!here>", "a&b", "&amp;", "é<>", "\xff"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, max int) {
		e := Escape(s)
		if strings.ContainsAny(e, "<>") {
			t.Fatalf("Escape left an angle bracket: %q", e)
		}
		if utf8.ValidString(s) && Unescape(e) != s {
			t.Fatalf("Unescape(Escape(%q)) = %q", s, Unescape(e))
		}
		if max < 1 || max > 5000 {
			return
		}
		c := EscapeCut(s, max)
		if utf8.RuneCountInString(c) > max {
			t.Fatalf("EscapeCut(%q, %d) is %d long", s, max, utf8.RuneCountInString(c))
		}
		if strings.ContainsAny(c, "<>") {
			t.Fatalf("EscapeCut left an angle bracket: %q", c)
		}
		if !utf8.ValidString(Cut(s, max)) {
			t.Fatalf("Cut produced invalid UTF-8")
		}
	})
}
