package mail

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/sfpdesk/sfpdesk/sfp"
)

// read is what a case takes from a message; the table compares it whole.
type read struct {
	Class         Class
	Kind          string
	Marketplace   sfp.Marketplace
	OrderID       string
	ASIN          string
	BuyerName     string
	ReplyTo       string
	Text          string
	Attachments   []Attachment
	NoResponseURL string
	Amount        *sfp.Money
	Reason        string
	RefundReason  sfp.RefundReason
	NotSent       []string
	Refs          []string
}

func readOf(m *Message) read {
	return read{m.Class, m.Kind, m.Marketplace, m.OrderID, m.ASIN, m.BuyerName, m.ReplyTo, m.Text,
		m.Attachments, m.NoResponseURL, m.Amount, m.Reason, m.RefundReason, m.NotSent, m.Refs()}
}

func eur(minor int64) *sfp.Money { return &sfp.Money{Minor: minor, Currency: "EUR"} }

func TestParseCorpus(t *testing.T) {
	tests := []struct {
		file string
		want read
		// why is a word the triage reason must hold.
		why string
	}{
		{file: "fr_buyer_order.eml", want: read{
			Class: ClassBuyerMessage, Kind: KindOrderQuestion, Marketplace: "amazon.fr",
			OrderID: "402-1234567-1234567", ASIN: "B08XYZ1234", BuyerName: "Claire",
			ReplyTo:       "8xk2m4q9z3r7w1t@marketplace.amazon.fr",
			Text:          "Bonjour,\nMa commande n'est toujours pas arrivée, pouvez-vous me donner le suivi ?\nMerci, Claire",
			NoResponseURL: "https://sellercentral.amazon.fr/messaging/no-response-needed?t=AbC123xYz&mk=A13V1IB3VIYZZH",
		}},
		{file: "fr_buyer_preorder_latin1_qp.eml", want: read{
			Class: ClassBuyerMessage, Kind: KindPreOrderQuestion, Marketplace: "amazon.fr",
			BuyerName: "Jérôme", ReplyTo: "q7w8e9r0t1y2u3i@marketplace.amazon.fr",
			Text:          "Bonjour, livrez-vous en Corse ? Et sous combien de jours ?",
			NoResponseURL: "https://sellercentral.amazon.fr/messaging/no-response-needed?t=AbC123xYz&mk=A13V1IB3VIYZZH",
		}},
		{file: "de_buyer_order_base64_cp1252.eml", want: read{
			Class: ClassBuyerMessage, Kind: KindOrderQuestion, Marketplace: "amazon.de",
			OrderID: "302-7654321-7654321", BuyerName: "Hans", ReplyTo: "z1x2c3v4b5n6m7a@marketplace.amazon.de",
			Text:          "Guten Tag, der Artikel kam beschädigt an. Können Sie mir „schnell“ Ersatz schicken?",
			NoResponseURL: "https://sellercentral.amazon.de/messaging/no-response-needed?t=DeTok987",
		}},
		{file: "es_buyer_product_html.eml", want: read{
			Class: ClassBuyerMessage, Kind: KindProductQuestion, Marketplace: "amazon.es",
			ASIN: "B07ABCDEF1", BuyerName: "Lucía", ReplyTo: "m5n6b7v8c9x0z1l@marketplace.amazon.es",
			Text:          "Hola, ¿esta funda es compatible con el modelo 2024?\nGracias",
			NoResponseURL: "https://sellercentral.amazon.es/messaging/no-response-needed?t=EsTok1",
		}},
		{file: "it_buyer_attachment.eml", want: read{
			Class: ClassBuyerMessage, Kind: KindOrderQuestion, Marketplace: "amazon.it",
			OrderID: "403-1111111-2222222", BuyerName: "Giulia", ReplyTo: "p0o9i8u7y6t5r4e@marketplace.amazon.it",
			Text:        "Buongiorno, allego la foto del pacco arrivato rotto.",
			Attachments: []Attachment{{Name: "pacco.jpg", Type: "image/jpeg", Size: 2048}},
		}},
		{file: "en_buyer_followup.eml", want: read{
			Class: ClassBuyerMessage, Kind: KindOrderQuestion, Marketplace: "amazon.co.uk",
			OrderID: "204-5555555-6666666", BuyerName: "Sam", ReplyTo: "k3j4h5g6f7d8s9a@marketplace.amazon.co.uk",
			Text:          "Thanks, but the tracking still shows nothing.",
			NoResponseURL: "https://sellercentral.amazon.co.uk/messaging/no-response-needed?t=UkTok",
			Refs:          []string{"sfpdesk.SFP-1001.1@shop.example.co.uk", "uk-first@eu-west-1.amazonses.com"},
		}},
		{file: "fr_reply_copy_html.eml", want: read{
			Class: ClassReplyCopy, Marketplace: "amazon.fr", OrderID: "402-1234567-1234567",
			ReplyTo: "8xk2m4q9z3r7w1t@marketplace.amazon.fr",
			Text:    "Bonjour Claire,\nvotre colis est parti ce matin, suivi : 1Z999.",
		}},
		{file: "de_reply_copy.eml", want: read{
			Class: ClassReplyCopy, Marketplace: "amazon.de", OrderID: "302-7654321-7654321",
			Text: "Guten Tag Hans, der Ersatz ist unterwegs.",
		}},
		{file: "fr_refund.eml", want: read{
			Class: ClassRefund, Kind: KindRefundNotice, Marketplace: "amazon.fr", OrderID: "402-1234567-1234567",
			Amount: eur(3990), Reason: "Livraison tardive", RefundReason: sfp.ReasonLateDelivery,
		}},
		{file: "en_refund_eur_dot.eml", want: read{
			Class: ClassRefund, Kind: KindRefundNotice, Marketplace: "amazon.co.uk", OrderID: "204-5555555-6666666",
			Amount: eur(3990), Reason: "Item arrived damaged", RefundReason: sfp.ReasonDamaged,
		}},
		{file: "de_refund_thousands.eml", want: read{
			Class: ClassRefund, Kind: KindRefundNotice, Marketplace: "amazon.de", OrderID: "302-7654321-7654321",
			Amount: eur(123450), Reason: "Artikel defekt", RefundReason: sfp.ReasonDefective,
		}},
		{file: "es_refund.eml", want: read{
			Class: ClassRefund, Kind: KindRefundNotice, Marketplace: "amazon.es", OrderID: "405-2222222-3333333",
			Amount: eur(1250), Reason: "El cliente ya no lo necesita", RefundReason: sfp.ReasonNoLongerNeeded,
		}},
		{file: "unknown_charset.eml", want: read{
			Class: ClassRefund, Kind: KindRefundNotice, Marketplace: "amazon.it", OrderID: "403-8888888-9999999",
			Amount: eur(999),
		}},
		{file: "fr_return.eml", want: read{
			Class: ClassReturn, Kind: KindReturnRequested, Marketplace: "amazon.fr", OrderID: "402-9999999-8888888",
			Reason: "Article défectueux", RefundReason: sfp.ReasonDefective,
		}},
		{file: "de_return.eml", want: read{
			Class: ClassReturn, Kind: KindReturnRequested, Marketplace: "amazon.de", OrderID: "302-1212121-3434343",
			Reason: "Falscher Artikel geliefert", RefundReason: sfp.ReasonWrongItem,
		}},
		{file: "es_return.eml", want: read{
			Class: ClassReturn, Kind: KindReturnRequested, Marketplace: "amazon.es", OrderID: "405-4444444-5555555",
			Reason: "Ya no lo necesita", RefundReason: sfp.ReasonNoLongerNeeded,
		}},
		{file: "it_return.eml", want: read{
			Class: ClassReturn, Kind: KindReturnRequested, Marketplace: "amazon.it", OrderID: "403-6666666-7777777",
			Reason: "Articolo danneggiato", RefundReason: sfp.ReasonDamaged,
		}},
		{file: "en_return.eml", want: read{
			Class: ClassReturn, Kind: KindReturnRequested, Marketplace: "amazon.com", OrderID: "112-3333333-4444444",
			Reason: "No longer needed", RefundReason: sfp.ReasonNoLongerNeeded,
		}},
		{file: "fr_atoz.eml", want: read{
			Class: ClassAToZ, Kind: KindAToZClaim, Marketplace: "amazon.fr", OrderID: "402-1234567-1234567",
			Amount: eur(3990), Reason: "Article non reçu",
		}},
		{file: "de_atoz_no_header.eml", want: read{
			Class: ClassAToZ, Kind: KindAToZClaim, Marketplace: "amazon.de", OrderID: "302-7654321-7654321",
			Amount: eur(5999),
		}},
		{file: "en_atoz.eml", want: read{
			Class: ClassAToZ, Kind: KindAToZClaim, Marketplace: "amazon.com", OrderID: "112-3333333-4444444",
			Amount: &sfp.Money{Minor: 2499, Currency: "USD"}, Reason: "Item not received",
		}},
		{file: "bounce_dsn.eml", want: read{
			Class:   ClassNotSent,
			Reason:  "The mail system could not deliver your message: 550 5.1.1 Recipient address rejected.",
			NotSent: []string{"sfpdesk.SFP-1001.1@exemple.fr"},
		}},
		{file: "fr_not_sent.eml", want: read{
			Class: ClassNotSent, Marketplace: "amazon.fr", OrderID: "402-1234567-1234567",
			Reason:  "Votre message n'a pas pu être envoyé à l'acheteur : il contient une adresse e-mail, ce qui n'est pas autorisé. Commande : 402-1234567-1234567",
			NotSent: []string{"sfpdesk.SFP-1002.1@exemple.fr"},
			Refs:    []string{"sfpdesk.SFP-1002.1@exemple.fr"},
		}},
		{file: "fr_unknown_notice.eml", why: "ACCOUNT_HEALTH_UPDATE", want: read{Class: ClassTriage, Marketplace: "amazon.fr"}},
		{file: "es_buyer_no_markers.eml", why: "markers", want: read{Class: ClassTriage, Marketplace: "amazon.es"}},
		{file: "it_refund_no_amount.eml", why: "amount", want: read{Class: ClassTriage, Marketplace: "amazon.it", OrderID: "403-1111111-2222222"}},
		{file: "not_amazon.eml", want: read{Class: ClassIgnored}},
	}
	files, _ := filepath.Glob("testdata/*.eml")
	covered := map[string]bool{}
	for _, tc := range tests {
		covered["testdata/"+tc.file] = true
		t.Run(strings.TrimSuffix(tc.file, ".eml"), func(t *testing.T) {
			f, err := os.Open(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			m, err := Parse(f)
			if err != nil {
				t.Fatal(err)
			}
			got := readOf(m)
			// Notices keep their whole text for the card; the table checks
			// the buyer's and the seller's words, which must be exact.
			if m.Class != ClassBuyerMessage && m.Class != ClassReplyCopy {
				got.Text = ""
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
			if m.Class == ClassTriage && (m.Subject == "" || !strings.Contains(m.Why, tc.why)) {
				t.Errorf("triage subject %q, why %q; want a subject and %q", m.Subject, m.Why, tc.why)
			}
			if m.MessageID == "" {
				t.Error("no Message-ID read")
			}
		})
	}
	for _, f := range files {
		if !covered[f] {
			t.Errorf("%s is in the corpus but not in the table", f)
		}
	}
}

// A reader that fails is an error, not a triage: the message is fetched
// again rather than filed as unreadable.
func TestParseReaderError(t *testing.T) {
	raw, _ := os.ReadFile("testdata/fr_buyer_order.eml")
	boom := errors.New("connection reset")
	r := io.MultiReader(bytes.NewReader(raw[:200]), iotest.ErrReader(boom))
	if _, err := Parse(r); !errors.Is(err, boom) {
		t.Fatalf("Parse = %v, want %v", err, boom)
	}
}

func TestParseGarbageIsTriage(t *testing.T) {
	m, err := Parse(strings.NewReader("\x00\x01 not a header\n\nbody"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Class != ClassTriage && m.Class != ClassIgnored {
		t.Fatalf("class %q", m.Class)
	}
}

// The footer link only becomes a button when it leads to Seller Central.
func TestNoResponseLinkOnlySellerCentral(t *testing.T) {
	raw, _ := os.ReadFile("testdata/fr_buyer_order.eml")
	s := strings.Replace(string(raw), "https://sellercentral.amazon.fr/", "https://sellercentral.amazon.fr.evil.example/", 1)
	m, err := Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	if m.NoResponseURL != "" {
		t.Fatalf("NoResponseURL = %q, want none", m.NoResponseURL)
	}
}

func TestMoneyFormats(t *testing.T) {
	for in, want := range map[string]sfp.Money{
		"EUR 39.9":    {Minor: 3990, Currency: "EUR"},
		"39,90 €":     {Minor: 3990, Currency: "EUR"},
		"€ 39,90":     {Minor: 3990, Currency: "EUR"},
		"£12.50":      {Minor: 1250, Currency: "GBP"},
		"1.234,56 €":  {Minor: 123456, Currency: "EUR"},
		"1,234.56 $":  {Minor: 123456, Currency: "USD"},
		"12 EUR":      {Minor: 1200, Currency: "EUR"},
		"19,99 zł":    {Minor: 1999, Currency: "PLN"},
		"USD 1,000":   {Minor: 100000, Currency: "USD"},
		"2 345,00 kr": {Minor: 234500, Currency: "SEK"},
	} {
		got := moneyIn(in, "amazon.fr")
		if got == nil || *got != want {
			t.Errorf("moneyIn(%q) = %v, want %v", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("Parse of bytes failed: %v", err)
		}
		switch m.Class {
		case ClassBuyerMessage:
			if m.ReplyTo == "" || m.Kind == "" {
				t.Fatalf("buyer message without reply address or kind: %+v", m)
			}
		case ClassRefund:
			if m.OrderID == "" || m.Amount == nil {
				t.Fatalf("refund without order or amount: %+v", m)
			}
		case ClassNotSent:
			if len(m.NotSent) == 0 {
				t.Fatal("bounce naming nothing")
			}
		case ClassTriage, ClassIgnored:
			if m.Kind != "" {
				t.Fatalf("%s with a kind", m.Class)
			}
		}
		if len(m.Text) > maxText || len(m.Subject) > len(b) {
			t.Fatalf("text %d bytes", len(m.Text))
		}
		if m.NoResponseURL != "" && !strings.HasPrefix(m.NoResponseURL, "https://sellercentral") {
			t.Fatalf("link %q", m.NoResponseURL)
		}
	})
}

// bigAttachmentMail is a buyer message with a 10 MB video attached.
func bigAttachmentMail() []byte {
	big := make([]byte, 10<<20)
	for i := range big {
		big[i] = byte(i * 7)
	}
	raw := "From: Claire - Amazon Marketplace <8xk2m4q9z3r7w1t@marketplace.amazon.fr>\r\n" +
		"Subject: Colis abîmé (Commande : 402-1234567-1234567)\r\nMessage-ID: <big@amazonses.com>\r\n" +
		"X-Space-Notification-Type: BBC_MESSAGE_SENT_TO_MERCHANT\r\n" +
		"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n" +
		"------------- Début du message -------------\r\nVoici la vidéo.\r\n------------- Fin du message -------------\r\n" +
		"\r\n--b\r\nContent-Type: video/mp4; name=\"colis.mp4\"\r\nContent-Disposition: attachment; filename=\"colis.mp4\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(big) + "\r\n--b--\r\n"
	return []byte(raw)
}

// An attachment is measured as it streams past, never held: reading a
// 10 MB one allocates a small fraction of it.
func TestParseNeverHoldsAnAttachment(t *testing.T) {
	raw := bigAttachmentMail()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	m, err := Parse(bytes.NewReader(raw))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Size != 10<<20 || m.Text != "Voici la vidéo." {
		t.Fatalf("read %+v, %q", m.Attachments, m.Text)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 2<<20 {
		t.Errorf("parsing allocated %d bytes for a 10 MB attachment", alloc)
	}
}

func BenchmarkParseLargeAttachment(b *testing.B) {
	raw := bigAttachmentMail()
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for range b.N {
		if _, err := Parse(bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
}
