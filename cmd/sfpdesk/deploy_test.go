package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/handlers"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

const deployDir = "../../deploy"

// TestAlertRulesNameRealMetrics: every sfpdesk_ metric an alert reads is
// one the bot registers (a histogram by its _bucket, _sum or _count), and
// every label value it matches on is one the bot writes. A misspelt name
// would make an alert that never fires.
func TestAlertRulesNameRealMetrics(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(deployDir, "prometheus", "sfpdesk.rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(t.TempDir(), "m.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	reg := bot.NewMetrics(db, sfp.NewFakeClock(time.Now())).Registry
	// The mailbox's metrics are registered beside the others when serve
	// starts, mailboxes or not.
	(&Main{Config: &Config{}}).openMail(reg, nil)
	// Registering a probe under a name the registry already has fails:
	// that is how the registry says the name exists.
	registered := func(name string) bool {
		probe := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "probe"})
		if err := reg.Register(probe); err != nil {
			return true
		}
		reg.Unregister(probe)
		return false
	}
	nameRe := regexp.MustCompile(`\bsfpdesk_[a-z0-9_]+`)
	alerts, exprs := 0, 0
	var block []string
	check := func() {
		if len(block) == 0 {
			return
		}
		text := strings.Join(block, "\n")
		for _, want := range []string{"expr: ", "severity: ", "summary: "} {
			if !strings.Contains(text, want) {
				t.Errorf("alert lacks %q:\n%s", want, text)
			}
		}
		block = nil
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "- alert: ") {
			check()
			alerts++
		}
		if alerts > 0 {
			block = append(block, trimmed)
		}
		expr, ok := strings.CutPrefix(trimmed, "expr: ")
		if !ok {
			continue
		}
		exprs++
		for _, name := range nameRe.FindAllString(expr, -1) {
			base := name
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				if b, ok := strings.CutSuffix(name, suffix); ok && registered(b) {
					base = b
				}
			}
			if !registered(base) {
				t.Errorf("alert expression %q reads %s, which sfpdesk does not export", expr, name)
			}
		}
	}
	check()
	if alerts < 8 || exprs != alerts {
		t.Fatalf("%d alerts with %d expressions: the file was not read as rules", alerts, exprs)
	}
	for _, v := range []string{`kind="` + handlers.DueEscalate + `"`, `result=~"` + bot.DueOnTime + `|` + bot.DueLate + `"`, `result="` + bot.DueRetried + `"`} {
		if !strings.Contains(string(raw), v) {
			t.Errorf("the rules do not match on %s, a label value sfpdesk writes", v)
		}
	}
}

// TestServiceFilesKeepTheContract: the image and the unit run sfpdesk as
// the contract wants it run: not as root, the database on a volume or in
// a state directory, stopped with SIGTERM and time to drain.
func TestServiceFilesKeepTheContract(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(deployDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cf := read("Containerfile")
	for _, want := range []string{"\nFROM scratch\n", "\nUSER 10001:10001\n", "\nVOLUME /data\n", "SFPDESK_DB=/data/sfpdesk.db",
		`CMD ["/usr/local/bin/sfpdesk", "healthcheck"]`, "COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt"} {
		if !strings.Contains(cf, want) {
			t.Errorf("Containerfile lacks %q", want)
		}
	}
	unit := read("systemd/sfpdesk.service")
	settings := map[string]string{}
	for line := range strings.SplitSeq(unit, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			settings[k] = v
		}
	}
	for k, want := range map[string]string{"User": "sfpdesk", "StateDirectory": "sfpdesk", "EnvironmentFile": "/etc/sfpdesk/sfpdesk.env",
		"Restart": "on-failure", "KillSignal": "SIGTERM", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "ExecStart": "/usr/local/bin/sfpdesk serve"} {
		if settings[k] != want {
			t.Errorf("sfpdesk.service: %s=%q, want %q", k, settings[k], want)
		}
	}
	stop, err := time.ParseDuration(settings["TimeoutStopSec"])
	if err != nil || stop <= 10*time.Second {
		t.Errorf("sfpdesk.service: TimeoutStopSec=%q must leave more than serve's 10 s drain", settings["TimeoutStopSec"])
	}
}

func TestHealthcheckCommand(t *testing.T) {
	h := newHarness(t, false, nil)
	var out, errb strings.Builder
	if code := runHealthcheck([]string{"--url", h.URL("/healthz")}, &out, &errb); code != 0 {
		t.Fatalf("healthcheck of a running bot: exit %d: %s", code, errb.String())
	}
	addr := h.Main.PublicAddr()
	h.Stop()
	errb.Reset()
	if code := runHealthcheck([]string{"--url", "http://" + addr + "/healthz"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "no answer") {
		t.Errorf("healthcheck of a stopped bot: exit %d, %q", code, errb.String())
	}
}
