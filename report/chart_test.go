package report

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/sfpdesk/sfpdesk/sfp"
)

var update = flag.Bool("update", false, "rewrite the golden chart")

// goldenWeeks are eight weeks of a seller whose late-response rate climbs
// over the Christmas rush, with an empty week (no rate) in the middle.
func goldenWeeks() []Figures {
	counts := []struct{ questions, counted, late int }{
		{42, 40, 2}, {55, 52, 3}, {0, 0, 0}, {61, 60, 6}, {80, 78, 12}, {120, 118, 25}, {96, 90, 9}, {64, 50, 1},
	}
	out := make([]Figures, len(counts))
	for i, c := range counts {
		out[i] = Figures{Week: Week{2026, 42 + i}, Questions: c.questions,
			Response: sfp.Figures{Counted: c.counted, Late: c.late}}
	}
	return out
}

func goldenLabels() Labels {
	return Labels{Title: "acme · semaines 42 à 49", Rate: "Réponses en retard (%)", Volume: "Questions",
		Week: func(w Week) string { return fmt.Sprintf("S%d", w.Number) }}
}

// The chart of fixed figures matches the golden image but for anti-aliasing
// noise: a few pixels off by a little, none of the drawing missing.
func TestChartMatchesGolden(t *testing.T) {
	got, err := Chart(goldenWeeks(), goldenLabels())
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "chart.golden.png")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (go test ./report -run Golden -update writes it)", err)
	}
	if frac, err := differentPixels(got, want); err != nil {
		t.Fatal(err)
	} else if frac > 0.002 {
		os.WriteFile(filepath.Join(t.TempDir(), "chart.png"), got, 0o644)
		t.Errorf("%.2f %% of the pixels differ from the golden chart, want at most 0.2 %%", 100*frac)
	}
}

// Another week's figures draw another chart: the comparison can fail.
func TestChartShowsTheFigures(t *testing.T) {
	weeks := goldenWeeks()
	weeks[5].Response.Late, weeks[5].Questions = 2, 20
	got, err := Chart(weeks, goldenLabels())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := os.ReadFile(filepath.Join("testdata", "chart.golden.png"))
	if frac, err := differentPixels(got, want); err != nil {
		t.Fatal(err)
	} else if frac < 0.005 {
		t.Errorf("changed figures changed only %.2f %% of the pixels", 100*frac)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Width != 960 || cfg.Height != 960 {
		t.Errorf("chart is %d×%d, want 960×960", cfg.Width, cfg.Height)
	}
}

// differentPixels is the share of pixels whose colour differs by more than
// a small step in any channel.
func differentPixels(a, b []byte) (float64, error) {
	pa, ra, err := pixels(a)
	if err != nil {
		return 0, err
	}
	pb, rb, err := pixels(b)
	if err != nil {
		return 0, err
	}
	if ra != rb {
		return 1, nil
	}
	diff := 0
	for i := 0; i+3 < len(pa); i += 4 {
		for c := range 3 {
			if d := int(pa[i+c]) - int(pb[i+c]); d > 24 || d < -24 {
				diff++
				break
			}
		}
	}
	return float64(diff) / float64(ra.Dx()*ra.Dy()), nil
}

// pixels decodes a PNG into 8-bit RGBA.
func pixels(b []byte) ([]uint8, image.Rectangle, error) {
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, image.Rectangle{}, err
	}
	rgba := image.NewRGBA(img.Bounds())
	draw.Draw(rgba, rgba.Bounds(), img, img.Bounds().Min, draw.Src)
	return rgba.Pix, rgba.Bounds(), nil
}
