package prompts

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// replyCase is one line of testdata/replies.jsonl: a reply to a buyer and
// the rules it breaks. A known gap is a case the checker is known to get
// wrong; it counts in the precision and recall table but is not asserted.
type replyCase struct {
	ID       string   `json:"id"`
	Lang     string   `json:"lang"`
	Kind     string   `json:"kind"`
	Reply    string   `json:"reply"`
	Want     []RuleID `json:"want"`
	Note     string   `json:"note,omitempty"`
	KnownGap bool     `json:"known_gap,omitempty"`
}

func loadJSONL[T any](t testing.TB, path string) []T {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []T
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var v T
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s:%d: %v", path, line, err)
		}
		out = append(out, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func loadReplies(t testing.TB) []replyCase {
	return loadJSONL[replyCase](t, "testdata/replies.jsonl")
}

func ruleSet(fs []Finding) []RuleID {
	var ids []RuleID
	for _, f := range fs {
		if !slices.Contains(ids, f.Rule) {
			ids = append(ids, f.Rule)
		}
	}
	slices.Sort(ids)
	return ids
}

func TestCheckReplies(t *testing.T) {
	known := map[RuleID]bool{}
	for _, r := range Rules() {
		known[r.ID] = true
	}
	for _, tc := range loadReplies(t) {
		t.Run(tc.ID, func(t *testing.T) {
			for _, id := range tc.Want {
				if !known[id] {
					t.Fatalf("fixture names unknown rule %q", id)
				}
			}
			got := Check(tc.Reply, tc.Lang, tc.Kind)
			for _, f := range got {
				if !strings.Contains(tc.Reply, f.Quote) {
					t.Errorf("%s quote %q is not in the reply", f.Rule, f.Quote)
				}
				if f.Quote == "" && strings.TrimSpace(tc.Reply) != "" {
					t.Errorf("%s has an empty quote", f.Rule)
				}
				if f.Message == "" {
					t.Errorf("%s has no message", f.Rule)
				}
			}
			want := slices.Clone(tc.Want)
			slices.Sort(want)
			if gotIDs := ruleSet(got); !slices.Equal(gotIDs, want) {
				if tc.KnownGap {
					t.Skipf("known gap (%s): got %v, want %v", tc.Note, gotIDs, want)
				}
				t.Errorf("Check(%q, %q, %q)\n got  %v\n want %v\n findings: %+v", tc.Reply, tc.Lang, tc.Kind, gotIDs, want, got)
			} else if tc.KnownGap {
				t.Errorf("known gap now passes: drop known_gap from %q", tc.ID)
			}
		})
	}
}

// ruleScore counts, over the fixture replies, the replies where a rule was
// rightly found (tp), wrongly found (fp) and missed (fn).
type ruleScore struct {
	rule       RuleID
	tp, fp, fn int
}

func (s ruleScore) precision() float64 {
	if s.tp+s.fp == 0 {
		return 0
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s ruleScore) recall() float64 {
	if s.tp+s.fn == 0 {
		return 0
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

type scoreCard struct {
	rules        []ruleScore
	good         int      // replies that break no rule
	goodFlagged  []string // ids of good replies with a finding
	replies      int
	exactReplies int // replies whose rule set is exactly the expected one
}

// Thresholds on the fixture set. They are met with room to spare for one
// miss per rule at most: a rule that stops firing, or fires everywhere,
// fails them (TestScoreCardCatchesBrokenRules).
const (
	minPrecision     = 0.9
	minRecall        = 0.9
	maxGoodFlagged   = 0.05 // share of good replies with any finding
	minExactFraction = 0.95
)

func score(cases []replyCase, check func(reply, lang, kind string) []Finding) scoreCard {
	var sc scoreCard
	idx := map[RuleID]int{}
	for i, r := range Rules() {
		sc.rules = append(sc.rules, ruleScore{rule: r.ID})
		idx[r.ID] = i
	}
	for _, tc := range cases {
		got := ruleSet(check(tc.Reply, tc.Lang, tc.Kind))
		sc.replies++
		want := slices.Clone(tc.Want)
		slices.Sort(want)
		if slices.Equal(got, want) {
			sc.exactReplies++
		}
		if len(tc.Want) == 0 {
			sc.good++
			if len(got) > 0 {
				sc.goodFlagged = append(sc.goodFlagged, tc.ID)
			}
		}
		for _, r := range Rules() {
			g, w := slices.Contains(got, r.ID), slices.Contains(want, r.ID)
			s := &sc.rules[idx[r.ID]]
			switch {
			case g && w:
				s.tp++
			case g:
				s.fp++
			case w:
				s.fn++
			}
		}
	}
	return sc
}

func (sc scoreCard) failures() []string {
	var out []string
	for _, s := range sc.rules {
		if s.precision() < minPrecision {
			out = append(out, fmt.Sprintf("%s: precision %.2f < %.2f", s.rule, s.precision(), minPrecision))
		}
		if s.recall() < minRecall {
			out = append(out, fmt.Sprintf("%s: recall %.2f < %.2f", s.rule, s.recall(), minRecall))
		}
	}
	if sc.good > 0 && float64(len(sc.goodFlagged))/float64(sc.good) > maxGoodFlagged {
		out = append(out, fmt.Sprintf("%d of %d good replies flagged: %v", len(sc.goodFlagged), sc.good, sc.goodFlagged))
	}
	if float64(sc.exactReplies)/float64(sc.replies) < minExactFraction {
		out = append(out, fmt.Sprintf("only %d of %d replies get exactly the expected rules", sc.exactReplies, sc.replies))
	}
	return out
}

func (sc scoreCard) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %9s %4s %4s %4s %9s %6s\n", "rule", "positives", "tp", "fp", "fn", "precision", "recall")
	for _, s := range sc.rules {
		fmt.Fprintf(&b, "%-16s %9d %4d %4d %4d %9.2f %6.2f\n", s.rule, s.tp+s.fn, s.tp, s.fp, s.fn, s.precision(), s.recall())
	}
	fmt.Fprintf(&b, "good replies: %d, flagged: %d %v\n", sc.good, len(sc.goodFlagged), sc.goodFlagged)
	fmt.Fprintf(&b, "replies: %d, exactly right: %d\n", sc.replies, sc.exactReplies)
	return b.String()
}

// TestRulesPrecisionRecall prints, with -v, each rule's precision and recall
// on testdata/replies.jsonl and the false positives among the good replies;
// docs/RULES.md records its output.
func TestRulesPrecisionRecall(t *testing.T) {
	sc := score(loadReplies(t), Check)
	if testing.Verbose() {
		fmt.Print(sc)
	}
	for _, f := range sc.failures() {
		t.Error(f)
	}
}

// The thresholds must catch a broken rule: one that never fires, and one
// that fires on every reply.
func TestScoreCardCatchesBrokenRules(t *testing.T) {
	cases := loadReplies(t)
	checked := map[[3]string][]Finding{}
	for _, tc := range cases {
		checked[[3]string{tc.Reply, tc.Lang, tc.Kind}] = Check(tc.Reply, tc.Lang, tc.Kind)
	}
	check := func(reply, lang, kind string) []Finding {
		return slices.Clone(checked[[3]string{reply, lang, kind}])
	}
	for _, r := range Rules() {
		silent := func(reply, lang, kind string) []Finding {
			return slices.DeleteFunc(check(reply, lang, kind), func(f Finding) bool { return f.Rule == r.ID })
		}
		if len(score(cases, silent).failures()) == 0 {
			t.Errorf("a silent %s passes the thresholds", r.ID)
		}
		noisy := func(reply, lang, kind string) []Finding {
			return append(check(reply, lang, kind), Finding{Rule: r.ID})
		}
		if len(score(cases, noisy).failures()) == 0 {
			t.Errorf("a %s that fires everywhere passes the thresholds", r.ID)
		}
	}
}

func TestRulesAreDescribed(t *testing.T) {
	seen := map[RuleID]bool{}
	for _, r := range Rules() {
		if seen[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		seen[r.ID] = true
		if r.Description == "" || r.Policy == "" || ruleMessages[r.ID] == "" {
			t.Errorf("rule %s lacks a description, a policy or a message", r.ID)
		}
	}
	for _, id := range []RuleID{RuleExternalLink, RuleEmailAddress, RulePhoneNumber, RuleMarketing, RuleReviewRequest,
		RuleContactOutside, RuleDirectRefund, RuleWrongLanguage, RuleEmptyReply} {
		if !seen[id] {
			t.Errorf("rule %s missing from Rules()", id)
		}
	}
}

func TestCheckQuotesTheWords(t *testing.T) {
	tests := []struct {
		name, reply, lang string
		rule              RuleID
		quote             string
	}{
		{"link without scheme", "Voir www.monshop.fr.", "fr", RuleExternalLink, "www.monshop.fr"},
		{"obfuscated e-mail", "Écrivez à nom [at] domaine [dot] fr svp", "fr", RuleEmailAddress, "nom [at] domaine [dot] fr"},
		{"phone with spaces", "Notre numéro : 06 12 34 56 78.", "fr", RulePhoneNumber, "06 12 34 56 78"},
		{"promo code", "Use promo code SPRING for a surprise.", "en", RuleMarketing, "promo code"},
		{"WhatsApp", "Schreiben Sie uns per WhatsApp.", "de", RuleContactOutside, "per WhatsApp"},
		{"refund", "Le reembolsamos el importe.", "es", RuleDirectRefund, "le reembolsamos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(tt.reply, tt.lang, "product_question")
			i := slices.IndexFunc(got, func(f Finding) bool { return f.Rule == tt.rule })
			if i < 0 {
				t.Fatalf("no %s finding in %+v", tt.rule, got)
			}
			if !strings.EqualFold(got[i].Quote, tt.quote) {
				t.Errorf("quote %q, want %q", got[i].Quote, tt.quote)
			}
		})
	}
}

const sampleReply = "Bonjour Marie,\n\nMerci pour votre message. Le modèle est compatible avec la version 2023 ; " +
	"pour un retour ou un remboursement, le service client Amazon s'en charge depuis vos commandes.\n\nCordialement,\nJean"

func BenchmarkCheck(b *testing.B) {
	b.Run("reply", func(b *testing.B) {
		for b.Loop() {
			Check(sampleReply, "fr", "product_question")
		}
	})
	// The largest body the intake accepts, made of the words the rules look for.
	hostile := strings.Repeat("laissez un avis 5 étoiles, code promo, appelez-nous au 06 12 34 56 78 ", 20000/70)
	b.Run("hostile 20k", func(b *testing.B) {
		for b.Loop() {
			Check(hostile, "fr", "product_question")
		}
	})
}
