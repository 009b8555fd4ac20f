package handlers

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/sfp"
)

func TestGrammar(t *testing.T) {
	table := commandTable()
	tests := []struct {
		name      string
		text      string
		command   string
		args      Args
		errField  string
		errSubstr string
	}{
		{name: "ask with an order", text: "ask ACME order 171-1234567-1234567 Is it USB-C?", command: "ask",
			args: Args{"seller": "acme", "order_id": "171-1234567-1234567", "question": "Is it USB-C?"}},
		{name: "the word order that is not followed by an order id is part of the question", text: "ask acme order more cables please", command: "ask",
			args: Args{"seller": "acme", "question": "order more cables please"}},
		{name: "an order-looking id of the wrong shape is refused", text: "ask acme order 1-2-3 hello", command: "ask", errField: "order_id", errSubstr: "1-2-3"},
		{name: "a question keeps its lines and is unescaped once", text: "ask acme line one\nline &lt;two&gt; &amp;amp;", command: "ask",
			args: Args{"seller": "acme", "question": "line one\nline <two> &amp;"}},
		{name: "a case id in any case", text: "case sfp-1001", command: "case", args: Args{"case_id": "SFP-1001"}},
		{name: "an order id", text: "case 171-1234567-1234567", command: "case", args: Args{"order_id": "171-1234567-1234567"}},
		{name: "a channel link", text: "seller add acme <#C0ACME|acme-support> amazon.de", command: "seller add",
			args: Args{"seller": "acme", "channel": "C0ACME", "marketplace": "amazon.de"}},
		{name: "a bare channel id", text: "seller add acme C0ACME", command: "seller add", args: Args{"seller": "acme", "channel": "C0ACME"}},
		{name: "an order id cut short after order", text: "ask acme order 171-123 Where is it?", command: "ask", errField: "order_id", errSubstr: "171-123"},
		{name: "an order id run together after order", text: "ask acme order 17155501237654321 Where is it?", command: "ask", errField: "order_id", errSubstr: "17155501237654321"},
		{name: "order as a word of the question", text: "ask acme order 2 more?", command: "ask", args: Args{"seller": "acme", "question": "order 2 more?"}},
		{name: "a typed channel name is kept to be looked up", text: "seller add acme #Acme-Support", command: "seller add", args: Args{"seller": "acme", "channel": "#acme-support"}},
		{name: "a hash without a name gets a hint", text: "seller add acme #", command: "seller add", errField: "channel", errSubstr: "channel name"},
		{name: "a bad seller name", text: "ask Ac/me hello", command: "ask", errField: "seller", errSubstr: "Ac/me"},
		{name: "something extra", text: "seller add acme C0ACME amazon.fr extra", command: "seller add", errSubstr: "extra"},
		{name: "open with no seller", text: "open", command: "open", args: Args{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd, rest := findCommand(table, tc.text)
			if cmd == nil || cmd.name != tc.command {
				t.Fatalf("command = %v, want %s", cmd, tc.command)
			}
			args, perr := parseArgs(cmd.args, rest)
			if tc.errSubstr != "" || tc.errField != "" {
				if perr == nil {
					t.Fatalf("no error; args = %v", args)
				}
				if perr.field != tc.errField || !strings.Contains(perr.text(bot.LangEN), tc.errSubstr) {
					t.Fatalf("error = field %q %q", perr.field, perr.text(bot.LangEN))
				}
				return
			}
			if perr != nil {
				t.Fatalf("error: %s", perr.text(bot.LangEN))
			}
			if len(args) != len(tc.args) {
				t.Fatalf("args = %v, want %v", args, tc.args)
			}
			for k, v := range tc.args {
				if args[k] != v {
					t.Errorf("%s = %q, want %q", k, args[k], v)
				}
			}
		})
	}
}

// Help is generated from the same table that parses: every command is in
// it with its usage.
func TestHelpComesFromTheTable(t *testing.T) {
	a := &App{}
	a.init()
	msg := a.cmdHelp(nil, &call{lang: bot.LangEN}).(*slack.Msg)
	for _, c := range a.table {
		if !strings.Contains(msg.Text, c.usage()) {
			t.Errorf("help lacks %q", c.usage())
		}
		if c.example == "" || !strings.HasPrefix(c.example, "/sfp "+c.name) {
			t.Errorf("%s has no example of itself: %q", c.name, c.example)
		}
	}
}

func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"ask acme order 171-1234567-1234567 hello", "case SFP-1", "seller add a <#C1|x>", "seller set a oncall <!subteam^S1|@x>",
		"open 30d", "ask", "", "seller", "ask acme order", "ask acme order 1-2-3", "\xff\xfe", "ask a &lt;&gt;&amp;",
		"refund a 171-1234567-1234567 1 not_returned returnless 2026-01-01", "refund a 171-1234567-1234567 1 other 2026-01-01",
		"refund a 171-1234567-1234567 1 other returnless x", "seller set a region es-md",
		"seller add a #acme-support amazon.fr", "seller add a #", "seller add a #Été", "ask a order 171-123 where?", "ask a order 12345678901 x",
	} {
		f.Add(s)
	}
	table := commandTable()
	f.Fuzz(func(t *testing.T, text string) {
		cmd, rest := findCommand(table, text)
		if cmd == nil {
			return
		}
		args, perr := parseArgs(cmd.args, rest)
		if perr != nil {
			for _, lang := range []string{bot.LangEN, bot.LangFR} {
				msg := perr.text(lang)
				// A typed "%!" is echoed back; only one the formatting made is a fault.
				if msg == "" || strings.Count(msg, "%!") > strings.Count(text, "%!") {
					t.Fatalf("bad error text %q for %q", msg, text)
				}
			}
			return
		}
		for k, v := range args {
			if k != "question" && k != "value" && strings.ContainsAny(v, " \t\n") {
				t.Fatalf("%s = %q holds white space", k, v)
			}
			if utf8.ValidString(text) && !utf8.ValidString(v) {
				t.Fatalf("%s = %q is not valid UTF-8", k, v)
			}
		}
		// A channel is an ID, or a typed name the command looks up; an
		// order id that parsed is a real one.
		if ch, ok := args["channel"]; ok && !sfp.ValidChannelID(ch) && !channelNameRe.MatchString(ch) {
			t.Fatalf("channel = %q from %q", ch, text)
		}
		if id, ok := args["order_id"]; ok && !sfp.ValidOrderID(id) {
			t.Fatalf("order_id = %q from %q", id, text)
		}
	})
}
