package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/sfpdesk/sfpdesk/handlers"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
	"github.com/sfpdesk/sfpdesk/store/postgres"
)

// purgeReport is what a purge says it did, and its proof: the erased values
// were looked for in the raw database file after compaction.
type purgeReport struct {
	Cases       []string `json:"cases"`
	BytesBefore int64    `json:"bytes_before"`
	BytesAfter  int64    `json:"bytes_after"`
	Checked     int      `json:"values_checked"`
	Remaining   int      `json:"values_remaining"`
	Error       string   `json:"error,omitempty"`
	// Vacuumed is set on PostgreSQL, where the tables the purge touched
	// were written afresh (VACUUM FULL) instead of a file being scanned.
	Vacuumed bool `json:"vacuumed,omitempty"`
}

func (r purgeReport) String() string {
	if r.Error != "" {
		return "purge failed: " + r.Error
	}
	if r.Vacuumed {
		return fmt.Sprintf("erased the buyer data of %s; the tables it was in were rewritten with VACUUM FULL (%d to %d bytes), so no dead row keeps it", strings.Join(r.Cases, ", "), r.BytesBefore, r.BytesAfter)
	}
	s := fmt.Sprintf("erased the buyer data of %s; database compacted from %d to %d bytes; ", strings.Join(r.Cases, ", "), r.BytesBefore, r.BytesAfter)
	if r.Remaining == 0 {
		return s + fmt.Sprintf("proof: none of the %d erased values is left in the file", r.Checked)
	}
	return s + fmt.Sprintf("WARNING: %d of %d erased values are still in the file", r.Remaining, r.Checked)
}

// purgeAndProve purges through app, then scans the file at path for every
// erased value, as JSON stores it and as typed.
func purgeAndProve(ctx context.Context, app *handlers.App, path, caseID, orderID, by string) purgeReport {
	res, err := app.Purge(ctx, caseID, orderID, by)
	if err != nil {
		return purgeReport{Error: sfp.ErrorMessage(err)}
	}
	rep := purgeReport{Cases: res.Cases, BytesBefore: res.BytesBefore, BytesAfter: res.BytesAfter}
	if res.CompactFailed != nil {
		rep.Error = "compaction failed: " + res.CompactFailed.Error()
		return rep
	}
	if path == "" {
		rep.Vacuumed = true
		return rep
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		rep.Error = err.Error()
		return rep
	}
	for _, v := range res.Erased {
		rep.Checked++
		if stillIn(raw, v) {
			rep.Remaining++
		}
	}
	return rep
}

// stillIn reports whether v is in raw, either as typed or as encoding/json
// writes it inside a string.
func stillIn(raw []byte, v string) bool {
	if bytes.Contains(raw, []byte(v)) {
		return true
	}
	enc, _ := json.Marshal(v)
	return bytes.Contains(raw, bytes.Trim(enc, `"`))
}

// runPurge erases one buyer's data at once: directly when no bot holds the
// database, else through the running bot's admin listener.
func runPurge(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("purge")
	caseID := fs.String("case", "", "the case, e.g. SFP-1001")
	orderID := fs.String("order", "", "every case of an order, e.g. 171-1234567-1234567")
	if code, ok := parseFlags(fs, args, stdout, stderr, false); !ok {
		return code
	}
	if (*caseID == "") == (*orderID == "") {
		fmt.Fprintln(stderr, "sfpdesk purge: give either --case or --order")
		fs.Usage()
		return 2
	}
	if *caseID != "" {
		id, _, ok := sfp.ParseCaseID(*caseID)
		if !ok {
			fmt.Fprintf(stderr, "sfpdesk: %q is not a case id (SFP-1001)\n", *caseID)
			return 2
		}
		*caseID = id
	}
	if *orderID != "" && !sfp.ValidOrderID(*orderID) {
		fmt.Fprintf(stderr, "sfpdesk: %q is not an Amazon order id (123-1234567-1234567)\n", *orderID)
		return 2
	}
	cfg, _ := LoadConfig(os.LookupEnv, ".env")
	rep := purge(cfg, *caseID, *orderID, http.DefaultClient)
	if rep.Error != "" {
		fmt.Fprintf(stderr, "sfpdesk: %s\n", rep)
		return 1
	}
	fmt.Fprintln(stdout, rep)
	if rep.Remaining > 0 {
		return 1
	}
	return 0
}

func purge(cfg *Config, caseID, orderID string, client *http.Client) purgeReport {
	if postgres.IsURL(cfg.DBPath) {
		// A shared database: the purge runs here, beside any running bot.
		ctx := context.Background()
		st, _, err := openStore(ctx, cfg.DBPath, nil)
		if err != nil {
			return purgeReport{Error: err.Error()}
		}
		defer st.Close()
		app := &handlers.App{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Settings: handlers.Settings{Lang: cfg.Lang, Location: cfg.Location}}
		return purgeAndProve(ctx, app, "", caseID, orderID, "purge command")
	}
	if _, err := os.Stat(cfg.DBPath); err != nil {
		return purgeReport{Error: fmt.Sprintf("no database at %s", cfg.DBPath)}
	}
	db, err := bolt.Open(cfg.DBPath, &bolt.Options{Timeout: 200 * time.Millisecond})
	if err == nil {
		defer db.Close()
		app := &handlers.App{Store: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Settings: handlers.Settings{Lang: cfg.Lang, Location: cfg.Location}}
		return purgeAndProve(context.Background(), app, cfg.DBPath, caseID, orderID, "purge command")
	}
	if !errors.Is(err, store.ErrInUse) {
		return purgeReport{Error: err.Error()}
	}
	q := url.Values{}
	if caseID != "" {
		q.Set("case", caseID)
	} else {
		q.Set("order", orderID)
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+dialAddr(cfg.AdminAddr)+"/admin/purge?"+q.Encode(), nil)
	if cfg.AdminToken != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.AdminToken)
	}
	resp, err := client.Do(req)
	if err != nil {
		return purgeReport{Error: fmt.Sprintf("the database is in use and the running bot's admin listener did not answer: %v", err)}
	}
	defer resp.Body.Close()
	var rep purgeReport
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		return purgeReport{Error: "the running bot answered " + resp.Status}
	}
	return rep
}

// adminPurge is POST /admin/purge?case=… or ?order=… on the admin listener.
func (m *Main) adminPurge(w http.ResponseWriter, r *http.Request) {
	caseID, orderID := r.URL.Query().Get("case"), r.URL.Query().Get("order")
	w.Header().Set("Content-Type", "application/json")
	if (caseID == "") == (orderID == "") {
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(purgeReport{Error: "give case or order"})
		return
	}
	path := "" // PostgreSQL: the purge vacuums instead
	if m.DB != nil {
		path = m.DB.Path()
	}
	rep := purgeAndProve(r.Context(), m.App, path, caseID, orderID, "admin")
	if rep.Error != "" {
		w.WriteHeader(http.StatusUnprocessableEntity)
	}
	json.NewEncoder(w).Encode(rep)
}
