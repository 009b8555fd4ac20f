package bot

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/sfp"
)

var (
	refundNow     = time.Date(2026, 11, 2, 11, 0, 0, 0, time.UTC)
	refundClaimBy = refundNow.Add(30 * 24 * time.Hour)
	// A catalogue id shows itself when it is missing from the catalogue.
	missingIDRe = regexp.MustCompile(`\b(refund|claim|claims|return|refund_mark|card|btn|state)\.[a-z_]+`)
)

func refundCase(reason sfp.RefundReason, by sfp.RefundedBy, atoz bool) *sfp.Case {
	by2 := refundClaimBy
	return &sfp.Case{
		ID: "SFP-1001", Number: 1001, Kind: sfp.KindRefundNotice, State: sfp.StateOpen,
		Seller: "acme", Marketplace: "amazon.fr", Channel: "C0ACME", OrderID: "171-1234567-1234567",
		Source: sfp.SourceIntake, ReceivedAt: refundNow, CreatedAt: refundNow, ClaimBy: &by2,
		Refund: &sfp.Refund{
			Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, Reason: string(reason),
			RefundedBy: string(by), AToZClaim: atoz,
		},
	}
}

// render is every text a message shows, one per line, as Slack receives
// it: the fallback text, then each text of its blocks.
func render(t *testing.T, m Message) string {
	t.Helper()
	raw, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		t.Fatal(err)
	}
	texts := []string{m.Text}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				texts = append(texts, s)
			}
			for _, k := range []string{"text", "fields", "elements", "accessory"} {
				walk(v[k])
			}
		case []any:
			for _, e := range v {
				walk(e)
			}
		}
	}
	walk(tree)
	return strings.Join(texts, "\n")
}

func actionIDs(m Message) []string {
	var ids []string
	for _, b := range m.Blocks {
		if ab, ok := b.(*slack.ActionBlock); ok {
			for _, e := range ab.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					ids = append(ids, btn.ActionID+"="+btn.Value)
				}
			}
		}
	}
	return ids
}

// refundExpectation is the policy in the words of DESIGN §1, written apart
// from sfp.NextStep so that the card is checked against the policy and not
// against itself: losses and damage in transit go to the carrier whoever
// refunded; otherwise only refunds by Amazon CS qualify, none on an order
// with an A-to-z claim, and missing tracking is the seller's own doing.
func refundExpectation(reason sfp.RefundReason, by sfp.RefundedBy, atoz bool) (button string, why sfp.NoClaimReason, hint sfp.Hint) {
	switch reason {
	case sfp.ReasonLostInTransit, sfp.ReasonDamagedInTransit:
		return ActionCarrierClaim, sfp.NoClaimCarrierLoss, sfp.HintContactCarrier
	}
	switch {
	case by == sfp.RefundedBySeller:
		return "", sfp.NoClaimSellerRefund, ""
	case by == sfp.RefundedByAmazon:
		return "", sfp.NoClaimAutomaticRefund, ""
	case atoz:
		return "", sfp.NoClaimAToZ, ""
	}
	switch reason {
	case sfp.ReasonNoTracking:
		return "", sfp.NoClaimNoTracking, ""
	case sfp.ReasonDefective, sfp.ReasonDamaged, sfp.ReasonMissingParts, sfp.ReasonWrongItem:
		return ActionClaimFile, "", sfp.HintItemCondition
	case sfp.ReasonNoLongerNeeded:
		return ActionClaimFile, "", sfp.HintReturnShipping
	case sfp.ReasonDeliveredNotReceived:
		return ActionClaimFile, "", sfp.HintProofOfDelivery
	case sfp.ReasonNotReturned:
		return ActionClaimFile, "", sfp.HintReturnNotScanned
	}
	return ActionClaimFile, "", ""
}

func TestRefundCardByReasonIssuerAndAToZ(t *testing.T) {
	for _, reason := range sfp.RefundReasons {
		for _, by := range sfp.RefundIssuers {
			for _, atoz := range []bool{false, true} {
				name := string(reason) + " refunded by " + string(by)
				if atoz {
					name += " on an A-to-z order"
				}
				t.Run(name, func(t *testing.T) {
					button, why, hint := refundExpectation(reason, by, atoz)
					for _, lang := range []string{LangEN, LangFR} {
						m := RefundCard(refundCase(reason, by, atoz), CardView{Lang: lang, Now: refundNow})
						got := render(t, m)
						want := []string{
							"39,90 €", "171-1234567-1234567",
							T(lang, "refund.reason."+string(reason)),
							T(lang, "refund.means."+string(reason)),
							T(lang, "refund.by."+string(by)),
							T(lang, "refund.final"),
						}
						switch button {
						case ActionClaimFile:
							want = append(want, T(lang, "refund.step.claim", DateTag(refundClaimBy, lang)),
								T(lang, "refund.evidence."+string(reason)))
						case ActionCarrierClaim:
							want = append(want, T(lang, "refund.step.carrier"), T(lang, "refund.evidence."+string(reason)))
						default:
							want = append(want, T(lang, "refund.step.none"))
						}
						if why != "" {
							want = append(want, T(lang, "refund.noclaim."+string(why)))
						}
						if hint != "" {
							want = append(want, T(lang, "refund.hint."+string(hint)))
						}
						if atoz {
							want = append(want, T(lang, "refund.atoz"))
						}
						for _, w := range want {
							if !strings.Contains(got, w) {
								t.Errorf("%s: card lacks %q:\n%s", lang, w, got)
							}
						}
						var wantIDs []string
						if button != "" {
							wantIDs = append(wantIDs, button+"=SFP-1001")
						}
						wantIDs = append(wantIDs, ActionReturnReceived+"=SFP-1001")
						if ids := strings.Join(actionIDs(m), " "); ids != strings.Join(wantIDs, " ") {
							t.Errorf("%s: buttons %q, want %q", lang, ids, strings.Join(wantIDs, " "))
						}
						if bad := missingIDRe.FindString(got); bad != "" || strings.Contains(got, "%!") {
							t.Errorf("%s: an unknown catalogue id or a bad verb (%q) in:\n%s", lang, bad, got)
						}
					}
				})
			}
		}
	}
}

func TestRefundCardSituations(t *testing.T) {
	late := func(c *sfp.Case) *sfp.Case { return c }
	tests := []struct {
		name    string
		edit    func(c *sfp.Case) *sfp.Case
		now     time.Time
		want    []string
		notWant []string
		buttons string
	}{
		{"a note from customer service is escaped once",
			func(c *sfp.Case) *sfp.Case {
				c.Refund.Note = "Buyer says <!channel> & <https://evil.example|amazon.fr>"
				return c
			}, refundNow,
			[]string{"> Buyer says &lt;!channel&gt; &amp; &lt;https://evil.example|amazon.fr&gt;"},
			[]string{"<!channel>", "<https://evil"},
			"claim_file=SFP-1001 return_received=SFP-1001"},
		{"the filing window has closed",
			late, refundClaimBy.Add(time.Second),
			[]string{"No claim can succeed.", "The window to file a reimbursement claim closed (" + DateTag(refundClaimBy, LangEN) + ")"},
			[]string{"File reimbursement claim"},
			"return_received=SFP-1001"},
		{"the last second of the window still lets the claim be filed",
			late, refundClaimBy,
			[]string{"File a reimbursement claim under the SFP reimbursement policy by"}, nil,
			"claim_file=SFP-1001 return_received=SFP-1001"},
		{"its own claim is filed: the status and a way to move it",
			func(c *sfp.Case) *sfp.Case {
				c.Claim = &sfp.Claim{ID: "CLM-1001", CaseID: c.ID, Type: sfp.ClaimTypeReimbursement, Status: "filed", Amount: sfp.Money{Minor: 2500, Currency: "EUR"}}
				return c
			}, refundNow,
			[]string{"Claim *CLM-1001* (reimbursement claim) is *Filed*, for 25,00 €"},
			[]string{"already on this order"},
			"claim_status=CLM-1001 return_received=SFP-1001"},
		{"its own claim is paid: nothing left to move",
			func(c *sfp.Case) *sfp.Case {
				c.Claim = &sfp.Claim{ID: "CLM-1001", CaseID: c.ID, Type: sfp.ClaimTypeReimbursement, Status: "paid", Amount: c.Refund.Amount}
				return c
			}, refundNow,
			[]string{"is *Paid*"}, nil,
			"return_received=SFP-1001"},
		{"another refund of the order has the claim",
			func(c *sfp.Case) *sfp.Case {
				c.Claim = &sfp.Claim{ID: "CLM-1001", CaseID: "SFP-0999", Type: sfp.ClaimTypeReimbursement, Status: "filed"}
				return c
			}, refundNow,
			[]string{"Claim *CLM-1001* is already on this order, filed on refund SFP-0999 in <#C0ACME> (`/sfp case SFP-0999` links to it)"},
			[]string{"File reimbursement claim"},
			"return_received=SFP-1001"},
		{"a returnless refund expects no parcel back",
			func(c *sfp.Case) *sfp.Case { c.Refund.Returnless = true; return c }, refundNow,
			[]string{"returnless: the buyer keeps the item"}, nil,
			"claim_file=SFP-1001"},
		{"outside the return window",
			func(c *sfp.Case) *sfp.Case { c.Refund.OutsideReturnWindow = true; return c }, refundNow,
			[]string{"the buyer sends the item back · outside the return window"}, nil,
			"claim_file=SFP-1001 return_received=SFP-1001"},
		{"in triage, it can be routed and nothing else leaves the triage channel",
			func(c *sfp.Case) *sfp.Case { c.Triage = true; return c }, refundNow,
			nil, nil,
			"claim_file=SFP-1001 case_route=SFP-1001"},
		{"a pound refund on amazon.co.uk",
			func(c *sfp.Case) *sfp.Case {
				c.Marketplace = "amazon.co.uk"
				c.Refund.Amount = sfp.Money{Minor: 1250, Currency: "GBP"}
				return c
			}, refundNow,
			[]string{"*£12.50*", "SFP-1001: refund of £12.50 on order 171-1234567-1234567 (Late delivery)"}, nil,
			"claim_file=SFP-1001 return_received=SFP-1001"},
		{"posted from Slack by an agent",
			func(c *sfp.Case) *sfp.Case {
				c.Source = sfp.SourceSlack
				c.AddEvent(refundNow, sfp.EventCreated, "U0AGENT", "slack")
				return c
			}, refundNow,
			[]string{"Amazon customer service · posted by <@U0AGENT>"}, nil,
			"claim_file=SFP-1001 return_received=SFP-1001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.edit(refundCase(sfp.ReasonLateDelivery, sfp.RefundedByAmazonCS, false))
			m := CaseCard(c, CardView{Lang: LangEN, Now: tc.now})
			got := render(t, m)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("card lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tc.notWant {
				if strings.Contains(got, w) {
					t.Errorf("card shows %q:\n%s", w, got)
				}
			}
			if ids := strings.Join(actionIDs(m), " "); ids != tc.buttons {
				t.Errorf("buttons %q, want %q", ids, tc.buttons)
			}
		})
	}
}

func returnCase() *sfp.Case {
	arrived := time.Date(2026, 12, 24, 10, 0, 0, 0, time.UTC)
	due := time.Date(2026, 12, 29, 22, 59, 59, 0, time.UTC)
	return &sfp.Case{
		ID: "SFP-1002", Number: 1002, Kind: sfp.KindReturnReceived, State: sfp.StateOpen,
		Seller: "acme", Marketplace: "amazon.fr", Channel: "C0ACME", OrderID: "171-1234567-1234567",
		ReceivedAt: arrived, CreatedAt: arrived, DueAt: &due,
		Return: &sfp.Return{ReceivedAt: arrived, Tracking: "1Z<b>", Carrier: "UPS & co"},
	}
}

func TestReturnCard(t *testing.T) {
	due := time.Date(2026, 12, 29, 22, 59, 59, 0, time.UTC)
	refunded := due.Add(-2 * time.Hour)
	tests := []struct {
		name    string
		edit    func(c *sfp.Case)
		now     time.Time
		want    []string
		buttons string
	}{
		{"waiting for its refund", func(c *sfp.Case) {}, due.Add(-time.Hour),
			[]string{"SFP-1002 · Return received", "*Refund by*\n" + DateTag(due, LangEN), "UPS &amp; co · 1Z&lt;b&gt;", "within *2 business days*"},
			"refund_mark=SFP-1002"},
		{"past its deadline", func(c *sfp.Case) { c.Breached = true }, due.Add(time.Hour),
			[]string{"⚠ OVERDUE · SFP-1002", ":rotating_light: " + DateTag(due, LangEN)},
			"refund_mark=SFP-1002"},
		{"refunded in time", func(c *sfp.Case) {
			c.State, c.AnsweredBy, c.AnsweredAt = sfp.StateAnswered, "U0SELLER", &refunded
			c.Refund = &sfp.Refund{Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, RefundedBy: "seller", RefundedAt: &refunded}
		}, due,
			[]string{"*Refunded*\n39,90 € by <@U0SELLER> " + DateTag(refunded, LangEN)},
			"case_reopen=SFP-1002"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := returnCase()
			tc.edit(c)
			m := CaseCard(c, CardView{Lang: LangEN, Now: tc.now})
			got := render(t, m)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("card lacks %q:\n%s", w, got)
				}
			}
			if ids := strings.Join(actionIDs(m), " "); ids != tc.buttons {
				t.Errorf("buttons %q, want %q", ids, tc.buttons)
			}
		})
	}
}

// An order question's card offers to record the return of its order.
func TestOrderQuestionCardOffersTheReturn(t *testing.T) {
	c := &sfp.Case{ID: "SFP-1003", Kind: sfp.KindOrderQuestion, State: sfp.StateOpen, Seller: "acme", OrderID: "171-1234567-1234567", Body: "Where do I send it back?"}
	if ids := strings.Join(actionIDs(CaseCard(c, CardView{Lang: LangFR})), " "); !strings.Contains(ids, "return_received=SFP-1003") {
		t.Errorf("buttons %q lack return_received", ids)
	}
	c.OrderID = ""
	if ids := strings.Join(actionIDs(CaseCard(c, CardView{Lang: LangFR})), " "); strings.Contains(ids, "return_received") {
		t.Errorf("a question on no order offers a return: %q", ids)
	}
}

func filedClaim(status sfp.ClaimStatus) *sfp.Claim {
	filed := refundNow.Add(time.Hour)
	return &sfp.Claim{
		ID: "CLM-1001", Number: 1001, CaseID: "SFP-1001", Seller: "acme", Marketplace: "amazon.fr",
		OrderID: "171-1234567-1234567", Type: sfp.ClaimTypeReimbursement, Status: string(status),
		Amount: sfp.Money{Minor: 3990, Currency: "EUR"}, Deadline: &refundClaimBy,
		Evidence: sfp.ClaimEvidence{
			Reason: "late_delivery", Justification: "Handed over on time <@U0EVIL> & scanned",
			Tracking: "1Z999AA10123456784", Carrier: "UPS", DeliveryScan: "2026-10-30",
			Photos: []string{"https://photos.example/1.jpg"},
		},
		History: []sfp.ClaimChange{{At: filed, Status: "filed", By: "U0SELLER"}},
	}
}

func TestClaimMessage(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	c := refundCase(sfp.ReasonLateDelivery, sfp.RefundedByAmazonCS, false)
	tests := []struct {
		lang    string
		status  sfp.ClaimStatus
		want    []string
		buttons string
	}{
		{LangEN, sfp.ClaimFiled, []string{
			"*CLM-1001* · reimbursement claim · *Filed* · 39,90 €",
			"paste this into your reimbursement request",
			"```SFP reimbursement request\nOrder ID: 171-1234567-1234567\nRefund issued by Amazon customer service on 2 Nov 2026: 39,90 € (reason: Late delivery)\nAmount requested: 39,90 €",
			"Details: Handed over on time &lt;@U0EVIL&gt; &amp; scanned",
			"Tracking number: 1Z999AA10123456784", "Delivery scan: 30 Oct 2026", "https://photos.example/1.jpg",
			"Filed by <@U0SELLER>",
		}, "claim_status=CLM-1001"},
		{LangFR, sfp.ClaimFiled, []string{
			"Demande de remboursement Prime Expédié par le vendeur\nNuméro de commande\u202f: 171-1234567-1234567",
			"Montant demandé\u202f: 39,90\u00a0€", "Motif\u202f: Livraison en retard", "Remboursement émis par le service client Amazon le 2 nov. 2026\u202f:", "Déposée par <@U0SELLER>",
		}, "claim_status=CLM-1001"},
		{LangEN, sfp.ClaimPaid, []string{"*Paid*"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.lang+" "+string(tc.status), func(t *testing.T) {
			m := ClaimMessage(filedClaim(tc.status), c, tc.lang, paris)
			got := render(t, m)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("message lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, "<@U0EVIL>") {
				t.Errorf("the seller's words were not escaped:\n%s", got)
			}
			if ids := strings.Join(actionIDs(m), " "); ids != tc.buttons {
				t.Errorf("buttons %q, want %q", ids, tc.buttons)
			}
		})
	}
}

func inputBlocks(v slack.ModalViewRequest) []string {
	var ids []string
	for _, b := range v.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok {
			ids = append(ids, in.BlockID)
		}
	}
	return ids
}

// Each input's block id is its field name, so that response_action errors
// land under the right field (DESIGN §4.7); titles fit Slack's 24
// characters in every language.
func TestClaimModals(t *testing.T) {
	c := refundCase(sfp.ReasonDamaged, sfp.RefundedByAmazonCS, false)
	for _, lang := range []string{LangEN, LangFR} {
		for _, tc := range []struct {
			view     slack.ModalViewRequest
			callback string
			blocks   string
		}{
			{ClaimModal(c, lang), "claim_file", "reason justification tracking carrier delivery_scan_date photos amount"},
			{CarrierClaimModal(c, lang), "carrier_claim", "carrier tracking amount justification photos"},
			{ClaimStatusModal(filedClaim(sfp.ClaimFiled), lang, "2026-11-09"), "claim_status", "status info_by"},
			{RefundMarkModal(returnCase(), sfp.Money{Minor: 3990, Currency: "EUR"}, lang), "refund_mark", "amount"},
		} {
			if tc.view.CallbackID != tc.callback {
				t.Errorf("%s: callback %q, want %q", lang, tc.view.CallbackID, tc.callback)
			}
			if got := strings.Join(inputBlocks(tc.view), " "); got != tc.blocks {
				t.Errorf("%s %s: input blocks %q, want %q", lang, tc.callback, got, tc.blocks)
			}
			for _, title := range []*slack.TextBlockObject{tc.view.Title, tc.view.Submit} {
				if n := len([]rune(title.Text)); n > MaxModalTitle || strings.HasSuffix(title.Text, "…") {
					t.Errorf("%s %s: %q does not fit %d characters", lang, tc.callback, title.Text, MaxModalTitle)
				}
			}
		}
	}
	raw, _ := json.Marshal(ClaimModal(c, LangFR))
	for _, want := range []string{`"initial_value":"39,90"`, `"value":"damaged"`, "Au plus le remboursement\u202f: 39,90\u00a0€"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("claim modal lacks %s: %s", want, raw)
		}
	}
	var status []string
	for _, o := range ClaimStatusModal(filedClaim(sfp.ClaimFiled), LangEN, "2026-11-09").Blocks.BlockSet[1].(*slack.InputBlock).Element.(*slack.SelectBlockElement).Options {
		status = append(status, o.Value)
	}
	if got := strings.Join(status, " "); got != "more_info_requested approved denied" {
		t.Errorf("a filed claim may become %q", got)
	}
}

func TestTotalPerCurrency(t *testing.T) {
	got := Total(map[string]int64{"EUR": 6480, "GBP": 1250}, map[string]sfp.Marketplace{"EUR": "amazon.fr", "GBP": "amazon.co.uk"}, []string{"EUR", "GBP"})
	if got != "64,80 € + £12.50" {
		t.Errorf("Total = %q", got)
	}
}
