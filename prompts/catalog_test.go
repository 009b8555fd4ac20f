package prompts

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseCatalog(t *testing.T) {
	tests := []struct {
		name, format, data string
		want               []Product
	}{
		{"CSV with commas and quotes", "csv", "sku,asin,title,Hauteur,Notes\nLAMP-1,b0aria0001,Lampe Aria,45 cm,\"LED, 8 W\"\n\n",
			[]Product{{SKU: "LAMP-1", ASIN: "B0ARIA0001", Title: "Lampe Aria", Facts: []Fact{{"Hauteur", "45 cm"}, {"Notes", "LED, 8 W"}}}}},
		{"a French spreadsheet with semicolons and a BOM", "", "\xef\xbb\xbfRéférence;Titre;Couleur\nTS-1;T-shirt;vert sauge\n",
			[]Product{{SKU: "TS-1", Title: "T-shirt", Facts: []Fact{{"Couleur", "vert sauge"}}}}},
		{"JSON array", "json", `[{"asin":"B0ARIA0001","title":"Lampe","power":8,"dimmable":true,"colours":["noir","blanc"]}]`,
			[]Product{{ASIN: "B0ARIA0001", Title: "Lampe", Facts: []Fact{{"colours", "noir, blanc"}, {"dimmable", "true"}, {"power", "8"}}}}},
		{"JSON keyed by SKU and ASIN", "", `{"LAMP-1":{"title":"Lampe"},"B0ARIA0002":{"title":"Lampe blanche"}}`,
			[]Product{{ASIN: "B0ARIA0002", Title: "Lampe blanche"}, {SKU: "LAMP-1", Title: "Lampe"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseCatalog(strings.NewReader(tc.data), tc.format)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"title,colour\nLampe,noir\n", `[{"title":"x"}]`, `"lamp"`} {
		if _, err := ParseCatalog(strings.NewReader(bad), ""); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestCatalogReloadsWhenTheFileChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "products.csv")
	write := func(content string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	write("sku,title,height\nLAMP-1,Lampe Aria,45 cm\n", t0)
	c, err := OpenCatalog(path, quiet)
	if err != nil {
		t.Fatal(err)
	}
	fact := func() string {
		p, ok := c.Lookup("LAMP-1", "")
		if !ok {
			return "(none)"
		}
		return p.Facts[0].Value
	}
	if got := fact(); got != "45 cm" {
		t.Fatalf("height = %s", got)
	}
	write("sku,title,height\nLAMP-1,Lampe Aria,46 cm\n", t0.Add(time.Minute))
	if got := fact(); got != "46 cm" {
		t.Errorf("after an edit, height = %s, want 46 cm", got)
	}
	write("sku,title,height\nLAMP-1,\"Lampe Aria,46 cm\n", t0.Add(2*time.Minute))
	write("title,height\nLampe,47 cm\n", t0.Add(3*time.Minute))
	if got := fact(); got != "46 cm" {
		t.Errorf("after a broken edit, height = %s, want the last good 46 cm", got)
	}
	if p, ok := c.Lookup("", "B0NOTHERE1"); ok {
		t.Errorf("found %+v", p)
	}
	var none *Catalog
	if _, ok := none.Lookup("LAMP-1", ""); ok {
		t.Error("a nil catalogue knows a product")
	}
}
