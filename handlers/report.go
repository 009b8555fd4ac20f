package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/report"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// DueReport is the weekly report of the seller named in the entry's
// Detail; it has no case. Each seller has one such entry in the due index,
// and firing it writes the next: the report goes out once a week across
// restarts, and once after downtime however many weeks it missed.
const DueReport = "report"

// reportWeeks is how many weeks the chart shows.
const reportWeeks = 8

// ScheduleReports gives every routed seller its next weekly report, unless
// it has one: at start, and when a seller is routed.
func (a *App) ScheduleReports(ctx context.Context) error {
	a.init()
	err := a.Store.Update(ctx, a.scheduleReports)
	if err == nil && a.Due != nil {
		a.Due.Notify()
	}
	return err
}

func (a *App) scheduleReports(tx store.Tx) error {
	sc := a.Settings.Report
	if sc == nil {
		return nil
	}
	entries, err := tx.DueForCase("")
	if err != nil {
		return err
	}
	has := map[string]bool{}
	for _, e := range entries {
		if e.Kind == DueReport {
			has[e.Detail] = true
		}
	}
	sellers, err := tx.Sellers()
	if err != nil {
		return err
	}
	now := a.Clock.Now()
	for _, s := range sellers {
		if has[s.Name] || len(reportChannels(s)) == 0 {
			continue
		}
		if err := tx.PutDue(store.DueEntry{At: sc.Next(now, a.prefs(tx, s.Name).loc), Kind: DueReport, Detail: s.Name}); err != nil {
			return err
		}
	}
	return nil
}

// reportChannels are the seller's channels, each once.
func reportChannels(s *sfp.Seller) []string {
	var out []string
	for _, r := range s.Routes {
		if r.Channel != "" && !slices.Contains(out, r.Channel) {
			out = append(out, r.Channel)
		}
	}
	return out
}

// chartUpload is what an OpUpload message of the weekly report carries:
// the chart is drawn when it is sent, from the store, as `sfpdesk report`
// draws it.
type chartUpload struct {
	Seller string `json:"seller"`
	Week   string `json:"week"`
}

// fireReport queues the week's report in each of the seller's channels,
// and the next week's report in the due index. With SFPDESK_REPORT off,
// or a seller no longer routed, the entry goes without a successor. The
// figures and the chart are read and drawn when the outbox sends the
// report, outside the scheduler's write transaction: every seller's report
// falls due at the same minute.
func (a *App) fireReport(tx store.Tx, e store.DueEntry, now time.Time) error {
	sc := a.Settings.Report
	s, err := tx.Seller(e.Detail)
	if errors.Is(err, store.ErrNotFound) || sc == nil {
		return nil
	}
	if err != nil {
		return err
	}
	channels := reportChannels(s)
	if len(channels) == 0 {
		return nil
	}
	p := a.prefs(tx, s.Name)
	week := report.ReportedWeek(e.At, p.loc)
	payload, err := json.Marshal(chartUpload{Seller: s.Name, Week: week.String()})
	if err != nil {
		return err
	}
	for _, ch := range channels {
		if _, err := tx.Enqueue(&store.OutboxMessage{Channel: ch, Op: store.OpUpload, Blocks: payload, CreatedAt: now}); err != nil {
			return err
		}
	}
	// After downtime the missed weeks are not caught up: the next report
	// is the schedule's next time from now.
	from := e.At
	if now.After(from) {
		from = now
	}
	return tx.PutDue(store.DueEntry{At: sc.Next(from, p.loc), Kind: DueReport, Detail: s.Name})
}

// weekText is the report's words: the week's figures, as the channel
// reads them above the chart.
func weekText(l, seller string, f report.Figures, loc *time.Location) string {
	rate := bot.T(l, "stats.na")
	if r, ok := f.Response.LateRate(); ok {
		rate = bot.T(l, "stats.rate", percent(l, r), f.Response.Late, f.Response.Counted)
	}
	avg := bot.T(l, "stats.na")
	if d, ok := f.Response.AverageResponse(); ok {
		avg = bot.Duration(d, l)
	}
	lines := []string{
		"*" + bot.T(l, "report.title", bot.Escape(seller), f.Week.String()) + "*",
		bot.T(l, "report.questions", f.Questions, f.OnTime, rate, avg),
		bot.T(l, "report.atoz", f.AToZ),
		bot.T(l, "report.refunds", amounts(l, f.Refunds)),
		bot.T(l, "report.claims", amounts(l, f.Filed), amounts(l, f.Paid), amounts(l, f.AtStake)),
		"_" + bot.T(l, "report.footer", loc.String()) + "_",
	}
	return strings.Join(lines, "\n")
}

func percent(l string, r float64) string {
	pct := strconv.FormatFloat(r*100, 'f', 1, 64)
	if l == bot.LangFR {
		pct = strings.Replace(pct, ".", ",", 1)
	}
	return pct
}

// amounts writes counts and totals per currency: "2 (79,80 €) · 1 (£12.00)".
func amounts(l string, a report.Amounts) string {
	if len(a) == 0 {
		return bot.T(l, "report.none")
	}
	var out []string
	for _, cur := range a.Currencies() {
		x := a[cur]
		out = append(out, bot.T(l, "report.amount", x.N, sfp.Money{Minor: x.Minor, Currency: cur}.Format(marketplaceOf(cur))))
	}
	return strings.Join(out, " · ")
}

// marketplaceOf picks a marketplace that writes the currency, for its
// format only.
func marketplaceOf(currency string) sfp.Marketplace {
	switch currency {
	case "GBP":
		return "amazon.co.uk"
	case "USD":
		return "amazon.com"
	}
	return sfp.DefaultMarketplace
}

// WeeklyChart draws the chart of the reportWeeks weeks ending with week
// (the zero Week: the last whole week), in the seller's language and time
// zone: the chart the weekly report uploads, and `sfpdesk report` writes.
func (a *App) WeeklyChart(ctx context.Context, seller string, week report.Week) ([]byte, error) {
	weeks, p, err := a.weeks(ctx, seller, week)
	if err != nil {
		return nil, err
	}
	return chart(weeks, seller, p.lang)
}

// weeks reads the figures of the reportWeeks weeks ending with week.
func (a *App) weeks(ctx context.Context, seller string, week report.Week) ([]report.Figures, sellerPrefs, error) {
	a.init()
	var weeks []report.Figures
	var p sellerPrefs
	err := a.Store.View(ctx, func(tx store.Tx) error {
		if _, err := tx.Seller(seller); errors.Is(err, store.ErrNotFound) {
			return sfp.Errorf(sfp.ENOTFOUND, "no seller %q", seller)
		} else if err != nil {
			return err
		}
		p = a.prefs(tx, seller)
		if week == (report.Week{}) {
			week = report.ReportedWeek(a.Clock.Now(), p.loc)
		}
		var err error
		weeks, err = report.Weeks(tx, seller, week, reportWeeks, p.loc, a.Clock.Now())
		return err
	})
	return weeks, p, err
}

func chart(weeks []report.Figures, seller, l string) ([]byte, error) {
	last := weeks[len(weeks)-1].Week
	return report.Chart(weeks, report.Labels{
		Title:  bot.T(l, "report.chart", seller, weeks[0].Week.Number, last.Number),
		Rate:   bot.T(l, "report.chart_rate"),
		Volume: bot.T(l, "report.chart_vol"),
		Week:   func(w report.Week) string { return bot.T(l, "report.chart_week", w.Number) },
	})
}

// uploadChart sends a weekly report: the chart, with the week's figures as
// its comment, into the channel.
func (a *App) uploadChart(ctx context.Context, m *store.OutboxMessage) error {
	var up chartUpload
	if err := json.Unmarshal(m.Blocks, &up); err != nil {
		return slack.SlackErrorResponse{Err: "invalid_arguments"}
	}
	week, err := report.ParseWeek(up.Week)
	if err != nil {
		return slack.SlackErrorResponse{Err: "invalid_arguments"}
	}
	weeks, p, err := a.weeks(ctx, up.Seller, week)
	if err != nil {
		return err
	}
	png, err := chart(weeks, up.Seller, p.lang)
	if err != nil {
		return err
	}
	_, err = a.Slack.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(png), FileSize: len(png),
		Filename: fmt.Sprintf("sfpdesk-%s-%s.png", up.Seller, up.Week),
		Title:    bot.T(p.lang, "report.title", up.Seller, up.Week),
		AltTxt:   bot.T(p.lang, "report.chart_alt"),
		Channel:  m.Channel, InitialComment: weekText(p.lang, up.Seller, weeks[len(weeks)-1], p.loc),
	})
	return err
}
