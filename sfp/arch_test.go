package sfp_test

import (
	"go/build"
	"strings"
	"testing"
)

// The domain must stay free of I/O adapters so that its rules can be read
// and tested on their own (and moved behind another store or chat tool).
func TestDomainImportsNoAdapters(t *testing.T) {
	forbidden := []string{
		"github.com/slack-go/",
		"go.etcd.io/bbolt",
		"github.com/boltdb/",
		"github.com/sashabaranov/go-openai",
		"github.com/sfpdesk/sfpdesk/bot",
		"github.com/sfpdesk/sfpdesk/handlers",
		"github.com/sfpdesk/sfpdesk/store",
		"github.com/sfpdesk/sfpdesk/prompts",
		"net/http",
		"database/sql",
	}
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	imports := append(append([]string{}, pkg.Imports...), pkg.TestImports...)
	for _, imp := range imports {
		for _, f := range forbidden {
			if strings.HasPrefix(imp, f) {
				t.Errorf("package sfp imports %s; the domain must not depend on %s", imp, f)
			}
		}
	}
}
