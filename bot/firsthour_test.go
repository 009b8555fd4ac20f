package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// TestSentDraftNoLongerSaysHowToSend: once sent, a draft keeps where it
// came from but loses "fill in the gaps… nothing is sent until…".
func TestSentDraftNoLongerSaysHowToSend(t *testing.T) {
	at := time.Date(2026, 11, 24, 11, 5, 0, 0, time.UTC)
	for _, lang := range []string{LangEN, LangFR} {
		for _, model := range []string{"", "gpt-4o-mini"} {
			d := sfp.Draft{Text: "Bonjour Claire, non.", Lang: "fr", Template: "fallback_fr/v1", Model: model}
			ready := draftText(t, DraftMessage(DraftView{Lang: lang, CaseID: "SFP-1006", Draft: d}))
			d.State, d.SentAt, d.SentBy = sfp.DraftSent, &at, "U0MARIE"
			sent := draftText(t, DraftMessage(DraftView{Lang: lang, CaseID: "SFP-1006", Draft: d}))
			how := T(lang, "draft.by_template", "fallback_fr/v1")
			if model != "" {
				how = T(lang, "draft.by_model", model, "fallback_fr/v1")
			}
			if !strings.Contains(ready, how) {
				t.Errorf("%s %q: a ready draft lacks %q:\n%s", lang, model, how, ready)
			}
			if strings.Contains(sent, how) || !strings.Contains(sent, "fallback_fr/v1") || !strings.Contains(sent, "U0MARIE") {
				t.Errorf("%s %q: a sent draft still says how to send it, or lost where it came from:\n%s", lang, model, sent)
			}
		}
	}
}

func draftText(t *testing.T, m Message) string {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
