package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
	"github.com/sfpdesk/sfpdesk/store/postgres"
)

// runBackup copies the database: directly when no bot holds the file, else
// through the running bot's admin listener. Either way the copy is written
// to a temp file and renamed, so a half-written backup never has the name.
func runBackup(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("backup")
	out := fs.String("out", "", "`FILE` to write the backup to")
	force := fs.Bool("force", false, "overwrite FILE if it exists")
	if code, ok := parseFlags(fs, args, stdout, stderr, false); !ok {
		return code
	}
	if *out == "" {
		fmt.Fprintln(stderr, "sfpdesk backup: --out FILE is missing: say where to write the copy")
		fs.Usage()
		return 2
	}
	cfg, _ := LoadConfig(os.LookupEnv, ".env")
	n, via, err := backup(cfg, *out, *force, http.DefaultClient)
	if err != nil {
		fmt.Fprintf(stderr, "sfpdesk backup: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "backup of %s written to %s (%d bytes, %s)\n", cfg.DBPath, *out, n, via)
	return 0
}

// pgBackupHint is the answer to a backup of a PostgreSQL store.
const pgBackupHint = `SFPDESK_DB is a PostgreSQL database: back it up with pg_dump (pg_dump --format=custom --file=sfpdesk.dump "$SFPDESK_DB"); sfpdesk backup copies a bbolt file`

// backup's errors say what to do, for the person at the terminal.
func backup(cfg *Config, out string, force bool, client *http.Client) (int64, string, error) {
	if postgres.IsURL(cfg.DBPath) {
		return 0, "", errors.New(pgBackupHint)
	}
	if _, err := os.Stat(cfg.DBPath); errors.Is(err, fs.ErrNotExist) {
		abs, _ := filepath.Abs(cfg.DBPath)
		return 0, "", fmt.Errorf("there is no database at %s: set SFPDESK_DB to the bot's database file, or run this in the directory the bot runs in", abs)
	}
	if st, err := os.Stat(filepath.Dir(out)); err != nil || !st.IsDir() {
		return 0, "", fmt.Errorf("the directory %s does not exist: create it, or give --out a file in an existing directory", filepath.Dir(out))
	}
	n, err := bolt.BackupFile(cfg.DBPath, out, force)
	switch {
	case err == nil:
		return n, "read directly", nil
	case errors.Is(err, fs.ErrPermission):
		return 0, "", fmt.Errorf("%v: run the backup as the user the bot runs as, or give --out a file in a directory that user can write to", err)
	case !errors.Is(err, store.ErrInUse):
		return 0, "", err
	}
	url := "http://" + dialAddr(cfg.AdminAddr) + "/admin/backup"
	n, err = bolt.WriteFileAtomic(out, force, func(w io.Writer) (int64, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
		defer cancel()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		if cfg.AdminToken != "" {
			req.Header.Set("Authorization", "Bearer "+cfg.AdminToken)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, fmt.Errorf("the database is in use and the running bot's admin listener (%s) did not answer: %v", url, err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return 0, fmt.Errorf("the running bot refused the backup: %s", resp.Status)
		}
		n, err := io.Copy(w, resp.Body)
		if err == nil && n == 0 {
			err = errors.New("the running bot sent an empty backup")
		}
		return n, err
	})
	return n, "through the running bot", err
}

// dialAddr turns a listen address such as ":9090" into one to dial.
func dialAddr(addr string) string {
	if len(addr) > 0 && addr[0] == ':' {
		return "127.0.0.1" + addr
	}
	return addr
}
