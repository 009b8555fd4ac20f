package main

import (
	"cmp"
	"fmt"
	"io"
	"runtime/debug"
)

// version and commit may be set at link time (-ldflags "-X main.buildVersion=…
// -X main.buildCommit=…") for builds the toolchain cannot stamp itself, such as
// one from a source tree without its Git history; the build information
// wins where it has them.
var buildVersion, buildCommit string

// versionLine is what `sfpdesk version` prints: the module version, the
// commit and the Go version, all from the build information the Go
// toolchain writes into the binary, so that no release step can forget them.
func versionLine(info *debug.BuildInfo, ok bool) string {
	if !ok {
		info = &debug.BuildInfo{GoVersion: "(unknown Go version)"}
	}
	version, commit, modified := info.Main.Version, buildCommit, false
	if version == "" || version == "(devel)" {
		version = cmp.Or(buildVersion, "(devel)")
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	switch {
	case commit == "":
		commit = "unknown commit"
	case len(commit) > 12:
		commit = "commit " + commit[:12]
	default:
		commit = "commit " + commit
	}
	if modified {
		commit += " (modified)"
	}
	return fmt.Sprintf("sfpdesk %s %s %s", version, commit, info.GoVersion)
}

func runVersion(args []string, stdout, stderr io.Writer) int {
	if code, ok := parseFlags(newFlags("version"), args, stdout, stderr, false); !ok {
		return code
	}
	fmt.Fprintln(stdout, versionLine(debug.ReadBuildInfo()))
	return 0
}
