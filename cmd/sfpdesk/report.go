package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/sfpdesk/sfpdesk/handlers"
	"github.com/sfpdesk/sfpdesk/report"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
	"github.com/sfpdesk/sfpdesk/store/postgres"
)

const reportUsage = "usage: sfpdesk report --seller S [--week YYYY-Www] --out FILE.png"

// runReport writes the weekly report's chart of a seller to a PNG file:
// from the database directly when no bot holds it, else through the
// running bot's admin listener, as backup does.
func runReport(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("report")
	seller := fs.String("seller", "", "the seller, as routed with /sfp seller add")
	weekFlag := fs.String("week", "", "the last week shown, YYYY-Www (default: the last whole week)")
	out := fs.String("out", "", "PNG file to write")
	if code, ok := parseFlags(fs, args, stdout, stderr, false); !ok {
		return code
	}
	name, ok := sfp.ParseSeller(*seller)
	if !ok || *out == "" {
		fmt.Fprintln(stderr, reportUsage)
		return 2
	}
	cfg, _ := LoadConfig(os.LookupEnv, ".env")
	var week report.Week
	if *weekFlag != "" {
		w, err := report.ParseWeek(*weekFlag)
		if err != nil {
			fmt.Fprintf(stderr, "sfpdesk: --week %v\n%s\n", err, reportUsage)
			return 2
		}
		week = w
	}
	png, via, err := chartFor(cfg, name, week, http.DefaultClient)
	if err == nil {
		_, err = bolt.WriteFileAtomic(*out, true, func(w io.Writer) (int64, error) {
			n, err := w.Write(png)
			return int64(n), err
		})
	}
	if err != nil {
		fmt.Fprintf(stderr, "sfpdesk: report: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "chart of %s written to %s (%d bytes, %s)\n", name, *out, len(png), via)
	return 0
}

// chartFor draws the chart from the database, or asks the running bot.
// A zero week means the last whole week. PostgreSQL serves many clients:
// its chart is always drawn here, beside any running replicas.
func chartFor(cfg *Config, seller string, week report.Week, client *http.Client) ([]byte, string, error) {
	var db store.Store
	var err error
	if postgres.IsURL(cfg.DBPath) {
		db, _, err = openStore(context.Background(), cfg.DBPath, nil)
	} else {
		if _, err := os.Stat(cfg.DBPath); err != nil {
			return nil, "", fmt.Errorf("no database at %s (SFPDESK_DB)", cfg.DBPath)
		}
		db, err = bolt.Open(cfg.DBPath, &bolt.Options{ReadOnly: true, Timeout: 200 * time.Millisecond})
	}
	if err == nil {
		defer db.Close()
		png, err := reportApp(cfg, db).WeeklyChart(context.Background(), seller, week)
		if sfp.ErrorCode(err) == sfp.ENOTFOUND {
			err = fmt.Errorf("no seller %q in %s", seller, dbName(cfg.DBPath))
		}
		return png, "read directly", err
	}
	if !errors.Is(err, store.ErrInUse) {
		return nil, "", err
	}
	q := url.Values{"seller": {seller}}
	if week != (report.Week{}) {
		q.Set("week", week.String())
	}
	u := "http://" + dialAddr(cfg.AdminAddr) + "/admin/report?" + q.Encode()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	if cfg.AdminToken != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.AdminToken)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("the database is in use and the running bot's admin listener (%s) did not answer: %v", dialAddr(cfg.AdminAddr), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("the running bot answered %s: %s", resp.Status, string(body))
	}
	return body, "through the running bot", nil
}

// reportApp is just enough of the App to draw charts: the store and the
// seller defaults.
func reportApp(cfg *Config, db store.Store) *handlers.App {
	return &handlers.App{Store: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Settings: handlers.Settings{Lang: cfg.Lang, Location: cfg.Location}}
}

// adminReport is GET /admin/report?seller=…[&week=YYYY-Www] on the admin
// listener: the chart as a PNG.
func (m *Main) adminReport(w http.ResponseWriter, r *http.Request) {
	seller, ok := sfp.ParseSeller(r.URL.Query().Get("seller"))
	if !ok {
		http.Error(w, "seller: missing or not a seller name", http.StatusBadRequest)
		return
	}
	var week report.Week
	if s := r.URL.Query().Get("week"); s != "" {
		var err error
		if week, err = report.ParseWeek(s); err != nil {
			http.Error(w, "week: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	png, err := m.App.WeeklyChart(r.Context(), seller, week)
	switch {
	case sfp.ErrorCode(err) == sfp.ENOTFOUND:
		http.Error(w, fmt.Sprintf("no seller %q", seller), http.StatusNotFound)
		return
	case err != nil:
		m.Log.Error("report chart failed", "seller", seller, "err", err)
		http.Error(w, "the chart could not be drawn", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Write(png)
}
