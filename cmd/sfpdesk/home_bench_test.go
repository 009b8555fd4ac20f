package main

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/report"
	"github.com/sfpdesk/sfpdesk/store"
)

// The App Home and the weekly chart: docs/PERFORMANCE.md, "App Home and
// weekly report".
//
//	go test ./cmd/sfpdesk -run '^$' -bench 'HomeView|WeeklyChart' -benchtime 20x

// BenchmarkHomeView builds the Home of a person in 20 seller channels with
// 500 open cases among them (channel members and card links cached, as
// after the first Home), and reports the view's size as Slack receives it.
func BenchmarkHomeView(b *testing.B) {
	h, err := startHarness(ctx, harnessOptions{Dir: b.TempDir(), Start: monday})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Stop()
	h.Fake.AddUser(marie, "marie", "Marie", false)
	t := &testing.T{}
	err = h.Main.DB.Update(ctx, func(tx store.Tx) error { return fillDesk(tx, h, 20, 500, marie) })
	if err != nil || t.Failed() {
		b.Fatal(err)
	}
	view, _, err := h.Main.App.HomeView(context.Background(), marie)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(view)
	b.ResetTimer()
	for range b.N {
		if _, _, err := h.Main.App.HomeView(context.Background(), marie); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(raw)), "view-bytes")
	b.ReportMetric(float64(len(view.Blocks.BlockSet)), "blocks")
}

// BenchmarkWeeklyChart draws the chart of 8 weeks from the store: 1,000
// questions a week for the seller, read from the index by received time.
func BenchmarkWeeklyChart(b *testing.B) {
	h, err := startHarness(ctx, harnessOptions{Dir: b.TempDir(), Start: monday})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Stop()
	err = h.Main.DB.Update(ctx, func(tx store.Tx) error { return fillDesk(tx, h, 1, 8000, marie) })
	if err != nil {
		b.Fatal(err)
	}
	week := report.WeekOf(h.Clock.Now(), time.UTC)
	var png []byte
	b.ResetTimer()
	for range b.N {
		if png, err = h.Main.App.WeeklyChart(context.Background(), "seller0", week); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(len(png)), "png-bytes")
	os.WriteFile("/tmp/glance-chart.png", png, 0o644)
}
