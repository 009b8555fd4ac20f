package main

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// TestCommandHelp runs every command with --help and -h in an empty
// directory with no settings: each must print its own usage on stdout and
// exit 0 without doing anything — serve would otherwise stop on the missing
// token with 1, backup on the missing database, and so on.
func TestCommandHelp(t *testing.T) {
	for _, c := range commandHelp {
		for _, flag := range []string{"--help", "-h"} {
			t.Run(c.name+flag, func(t *testing.T) {
				dir := t.TempDir()
				t.Chdir(dir)
				t.Setenv("SFPDESK_DB", "help.db")
				var out, errb bytes.Buffer
				if code := run([]string{c.name, flag}, &out, &errb); code != 0 {
					t.Fatalf("exit %d, want 0; stderr:\n%s", code, errb.String())
				}
				if want := "Usage: sfpdesk " + c.name; !strings.HasPrefix(out.String(), want) {
					t.Errorf("stdout does not start with %q:\n%s", want, out.String())
				}
				if errb.Len() > 0 {
					t.Errorf("stderr not empty:\n%s", errb.String())
				}
				if ents, _ := os.ReadDir(dir); len(ents) > 0 {
					t.Errorf("--help left %s in the working directory", ents[0].Name())
				}
			})
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"help", "backup"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "Usage: sfpdesk backup --out FILE") {
		t.Errorf("help backup: exit %d, stdout:\n%s", code, out.String())
	}
}

func TestWrongUsageExitsTwo(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "now"},
		{"check", "--fast"},
		{"version", "--short"},
		{"backup"},
		{"backup", "--out", "x.db", "extra"},
		{"purge"},
		{"demo", "--lang", "de"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if !strings.Contains(errb.String(), "Usage: sfpdesk "+args[0]) || out.Len() > 0 {
			t.Errorf("%q: want the usage on stderr only; stdout %q, stderr %q", args, out.String(), errb.String())
		}
	}
}

func TestVersion(t *testing.T) {
	for _, arg := range []string{"version", "--version"} {
		var out, errb bytes.Buffer
		if code := run([]string{arg}, &out, &errb); code != 0 {
			t.Fatalf("%s: exit %d: %s", arg, code, errb.String())
		}
		line := out.String()
		if strings.Count(line, "\n") != 1 || !strings.HasPrefix(line, "sfpdesk ") || !strings.HasSuffix(line, runtime.Version()+"\n") {
			t.Errorf("%s printed %q, want one line ending with the Go version %s", arg, line, runtime.Version())
		}
	}
	info := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.3"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
		{Key: "vcs.modified", Value: "true"},
	}}
	if got, want := versionLine(info, true), "sfpdesk v1.2.3 commit 0123456789ab (modified) go1.26.0"; got != want {
		t.Errorf("versionLine = %q, want %q", got, want)
	}
	buildVersion, buildCommit = "v0.9.0", "fedcba9"
	defer func() { buildVersion, buildCommit = "", "" }()
	if got, want := versionLine(&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}}, true), "sfpdesk v0.9.0 commit fedcba9 go1.26.0"; got != want {
		t.Errorf("versionLine from link-time values = %q, want %q", got, want)
	}
}

// TestBackupErrorsSayWhatToDo: each failure is one line that names the
// command once and ends with the fix.
func TestBackupErrorsSayWhatToDo(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct {
		name string
		db   string
		out  string
		fix  string
	}{
		{"no database", "missing.db", "copy.db", "set SFPDESK_DB to the bot's database file"},
		{"no such directory", "/dev/null", "nowhere/copy.db", "create it, or give --out a file in an existing directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SFPDESK_DB", tc.db)
			var out, errb bytes.Buffer
			if code := run([]string{"backup", "--out", tc.out}, &out, &errb); code != 1 {
				t.Fatalf("exit %d, want 1: %s", code, errb.String())
			}
			msg := errb.String()
			if strings.Count(msg, "\n") != 1 || strings.Count(msg, "backup") != 1 || !strings.Contains(msg, tc.fix) {
				t.Errorf("stderr %q: want one line naming backup once, with the fix %q", msg, tc.fix)
			}
		})
	}
}
