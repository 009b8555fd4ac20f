package report

import (
	"bytes"
	"fmt"
	"image/color"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Labels are the chart's words, in the seller's language.
type Labels struct {
	// Title names the seller and the weeks, e.g. "acme · weeks 42–49".
	Title string
	// Rate and Volume title the two panels and their vertical axes.
	Rate, Volume string
	// Week labels a week on the horizontal axis, e.g. "W49" or "S49".
	Week func(Week) string
}

// The chart is drawn for a phone held upright: about as tall as wide, and
// large type, since Slack shows it at the width of the screen.
const (
	chartWidth  = 8 * vg.Inch
	chartHeight = 8 * vg.Inch
	chartDPI    = 120
)

// sans is Liberation Sans, embedded by gonum's plot: plainer on a small
// screen than its default serif.
const sans = "Sans"

var (
	rateColor   = color.RGBA{R: 0xc6, G: 0x28, B: 0x28, A: 0xff} // late is red
	volumeColor = color.RGBA{R: 0x1e, G: 0x63, B: 0xb4, A: 0xff}
	gridColor   = color.Gray{Y: 0xdd}
)

// Chart draws the weeks' late-response rate (top) and question volume
// (bottom) and returns the PNG. A week with no question counted has no
// rate: its point is left out rather than drawn at 0 %.
func Chart(weeks []Figures, l Labels) ([]byte, error) {
	names := make([]string, len(weeks))
	for i, w := range weeks {
		names[i] = l.Week(w.Week)
	}

	rate := newPanel(l.Rate, names)
	rate.Title.Text = l.Title
	rate.Title.TextStyle.Font.Size = vg.Points(22)
	rate.Title.Padding = vg.Points(10)
	rate.Y.Min, rate.Y.Max = 0, 10
	var pts plotter.XYs
	for i, w := range weeks {
		if r, ok := w.Response.LateRate(); ok {
			pts = append(pts, plotter.XY{X: float64(i), Y: 100 * r})
			rate.Y.Max = max(rate.Y.Max, 100*r*1.25)
		}
	}
	if len(pts) > 0 {
		line, marks, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, err
		}
		line.Color, line.Width = rateColor, vg.Points(4)
		marks.Color, marks.Shape, marks.Radius = rateColor, draw.CircleGlyph{}, vg.Points(6)
		rate.Add(line, marks)
		labels, err := plotter.NewLabels(pointLabels(pts, "%.0f %%"))
		if err != nil {
			return nil, err
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].Font.Size = vg.Points(15)
			labels.TextStyle[i].Color = rateColor
			labels.TextStyle[i].XAlign = draw.XCenter
			labels.TextStyle[i].Font.Variant = sans
			labels.TextStyle[i].Font.Weight = xfont.WeightBold
		}
		labels.Offset = vg.Point{Y: vg.Points(14)}
		rate.Add(labels)
	}
	rate.X.Min, rate.X.Max = -0.5, float64(len(weeks))-0.5
	rate.Y.Tick.Marker = wholeTicks{suffix: " %"}

	volume := newPanel(l.Volume, names)
	counts := make(plotter.Values, len(weeks))
	top := 5.0
	for i, w := range weeks {
		counts[i] = float64(w.Questions)
		top = max(top, counts[i]*1.2)
	}
	bars, err := plotter.NewBarChart(counts, vg.Points(34))
	if err != nil {
		return nil, err
	}
	bars.Color, bars.LineStyle.Width = volumeColor, 0
	volume.Add(bars)
	vpts := make(plotter.XYs, len(weeks))
	for i, v := range counts {
		vpts[i] = plotter.XY{X: float64(i), Y: v}
	}
	vlabels, err := plotter.NewLabels(pointLabels(vpts, "%.0f"))
	if err != nil {
		return nil, err
	}
	for i := range vlabels.TextStyle {
		vlabels.TextStyle[i].Font.Size = vg.Points(15)
		vlabels.TextStyle[i].XAlign = draw.XCenter
		vlabels.TextStyle[i].Font.Variant = sans
	}
	vlabels.Offset = vg.Point{Y: vg.Points(4)}
	volume.Add(vlabels)
	volume.Y.Min, volume.Y.Max = 0, top
	volume.Y.Tick.Marker = wholeTicks{}
	volume.X.Min, volume.X.Max = -0.5, float64(len(weeks))-0.5

	img := vgimg.NewWith(vgimg.UseWH(chartWidth, chartHeight), vgimg.UseDPI(chartDPI),
		vgimg.UseBackgroundColor(color.White))
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadX: vg.Points(10), PadY: vg.Points(24),
		PadTop: vg.Points(10), PadBottom: vg.Points(10), PadLeft: vg.Points(10), PadRight: vg.Points(20)}
	plots := [][]*plot.Plot{{rate}, {volume}}
	canvases := plot.Align(plots, tiles, dc)
	rate.Draw(canvases[0][0])
	volume.Draw(canvases[1][0])
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newPanel is one of the chart's two plots: weeks along the bottom, a
// light grid, type large enough for a phone.
func newPanel(ylabel string, weeks []string) *plot.Plot {
	p := plot.New()
	for _, f := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font, &p.X.Tick.Label.Font, &p.Y.Tick.Label.Font} {
		f.Variant = sans
	}
	p.Y.Label.Text = ylabel
	p.Y.Label.TextStyle.Font.Size = vg.Points(17)
	p.Y.Tick.Label.Font.Size = vg.Points(14)
	p.X.Tick.Label.Font.Size = vg.Points(14)
	p.NominalX(weeks...)
	p.X.Tick.Width = 0
	grid := plotter.NewGrid()
	grid.Vertical.Width = 0
	grid.Horizontal.Color = gridColor
	p.Add(grid)
	return p
}

func pointLabels(pts plotter.XYs, format string) plotter.XYLabels {
	out := plotter.XYLabels{XYs: pts, Labels: make([]string, len(pts))}
	for i, p := range pts {
		out.Labels[i] = fmt.Sprintf(format, p.Y)
	}
	return out
}

// wholeTicks marks a vertical axis from 0 in whole steps of 1, 2 or 5 times
// a power of ten, four or five of them: counts and percentages, never
// "25.00".
type wholeTicks struct{ suffix string }

func (w wholeTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1.0
	for hi/step > 5 {
		switch {
		case hi/(step*2) <= 5:
			step *= 2
		case hi/(step*5) <= 5:
			step *= 5
		default:
			step *= 10
		}
	}
	var out []plot.Tick
	for v := 0.0; v <= hi; v += step {
		if v >= lo {
			out = append(out, plot.Tick{Value: v, Label: fmt.Sprintf("%.0f%s", v, w.suffix)})
		}
	}
	return out
}
