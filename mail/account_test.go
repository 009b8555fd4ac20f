package mail

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAccounts(t *testing.T) {
	got, err := ParseAccounts("Boutique=imaps://shop%40exemple.fr:p%2Cw%40rd@imap.exemple.fr/Amazon, bridge=imap://me:pw@127.0.0.1:1143", "imap")
	if err != nil {
		t.Fatal(err)
	}
	want := []Account{
		{Seller: "boutique", Scheme: "imaps", Addr: "imap.exemple.fr:993", User: "shop@exemple.fr", Password: "p,w@rd", Mailbox: "Amazon"},
		{Seller: "bridge", Scheme: "imap", Addr: "127.0.0.1:1143", User: "me", Password: "pw", Mailbox: "INBOX"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if !got[1].Plain() || got[0].Plain() {
		t.Error("plain only to loopback")
	}
	remote, _ := ParseAccount("x", "imap://u:p@imap.exemple.fr", "imap")
	if remote.Plain() || remote.TLS() {
		t.Error("imap:// to another host must use STARTTLS")
	}
	for _, s := range []string{got[0].String(), fmt.Sprint(got[0]), got[0].Key()} {
		if strings.Contains(s, "p,w@rd") || strings.Contains(s, "p%2Cw%40rd") {
			t.Errorf("%q shows the password", s)
		}
	}
	smtp, err := ParseAccounts("boutique=smtp://mail.exemple.fr?from=ventes@exemple.fr", "smtp")
	if err != nil || smtp[0].Addr != "mail.exemple.fr:587" || smtp[0].From != "ventes@exemple.fr" {
		t.Errorf("smtp = %+v, %v", smtp, err)
	}
}

func TestParseAccountsErrorsHideThePassword(t *testing.T) {
	for _, in := range []string{
		"boutique=imaps://u:se%zzcret@host/INBOX",
		"boutique=pop3://u:secret@host",
		"boutique=imaps://:secret@host",
		"=imaps://u:secret@host",
		"boutique=imaps://u:secret@host,boutique=imaps://u:secret@host2",
		"boutique=smtp://u:secret@host?from=nobody",
	} {
		kind := "imap"
		if strings.Contains(in, "smtp") {
			kind = "smtp"
		}
		_, err := ParseAccounts(in, kind)
		if err == nil {
			t.Errorf("%q accepted", in)
			continue
		}
		if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: error %q shows the password", in, err)
		}
	}
}
