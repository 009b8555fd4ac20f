package main

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/bot"
	"github.com/sfpdesk/sfpdesk/handlers"
	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
	"github.com/sfpdesk/sfpdesk/store/postgres"
)

// shutdownGrace is how long in-flight requests and transactions get after
// a signal (DESIGN §4.1).
const shutdownGrace = 10 * time.Second

// Main is the running bot: every part wired once, here and nowhere else.
// Tests start it on ":0" with a temp database and the fake Slack.
type Main struct {
	Config     *Config
	Clock      sfp.Clock
	Log        *slog.Logger
	HTTPClient *http.Client

	// Store is SFPDESK_DB's store; DB is the same when it is a bbolt
	// file, nil on PostgreSQL.
	Store   store.Store
	DB      *bolt.DB
	Slack   *slack.Client
	Metrics *bot.Metrics
	Outbox  *bot.Outbox
	App     *handlers.App
	Socket  *bot.SocketTransport
	// Scheduler fires reminders, escalations and closings from the due
	// index.
	Scheduler *bot.Scheduler
	// Callbacks delivers sellers' answers to intake integrations.
	Callbacks *bot.Callbacks
	// Mail reads the sellers' mailboxes and sends their replies by e-mail.
	Mail *mailboxes
	// mailTLS, when set, is the TLS configuration of IMAP and SMTP (tests
	// trust their own servers with it).
	mailTLS *tls.Config

	public, admin     *http.Server
	publicLn, adminLn net.Listener
	// storeOptions tune the database (nil: the defaults). The load
	// programs switch fsync off with it, to tell the disk's share of a
	// figure from the bot's.
	storeOptions *bolt.Options
	// leader elects the replica that runs the workers (PostgreSQL only);
	// leading says whether this one does now.
	leader  *postgres.Leader
	leading atomic.Bool

	slackCheck struct {
		sync.Mutex
		at  time.Time
		err error
	}
}

// PublicAddr and AdminAddr are the listeners' actual addresses.
func (m *Main) PublicAddr() string { return m.publicLn.Addr().String() }
func (m *Main) AdminAddr() string  { return m.adminLn.Addr().String() }

// Open opens the database, checks the Slack token and binds the listeners.
// A failure here is fatal and gets one clear line.
func (m *Main) Open(ctx context.Context) error {
	cfg := m.Config
	if m.Clock == nil {
		m.Clock = sfp.RealClock{}
	}
	if m.Log == nil {
		m.Log = slog.Default()
	}
	if m.HTTPClient == nil {
		m.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	db, bdb, err := openStore(ctx, cfg.DBPath, m.storeOptions)
	if err != nil {
		if errors.Is(err, store.ErrInUse) {
			return fmt.Errorf("database %s is in use by another sfpdesk: stop it first, or set SFPDESK_DB to another file", cfg.DBPath)
		}
		return fmt.Errorf("cannot open database %s: %v", dbName(cfg.DBPath), err)
	}
	m.Store, m.DB = db, bdb
	// slack-go's own retries (OptionRetry, OptionRetryConfig) stay off, and
	// must: they retry a 5xx or a dropped connection blindly, so a post
	// whose first try reached Slack appears twice, whereas the outbox looks
	// a message up by its outbox id before it sends it again; they sleep
	// on the wall clock, not the injected one; and a 429 retried inside
	// the client holds a channel's sender without the outbox knowing, so
	// it cannot pause just what the 429 limits. The outbox owns retries.
	m.Slack = slack.New(cfg.SlackBotToken, slack.OptionAPIURL(cfg.SlackAPIURL), slack.OptionHTTPClient(m.HTTPClient), slack.OptionAppLevelToken(cfg.SlackAppToken))
	if err := m.checkToken(ctx); err != nil {
		db.Close()
		return err
	}
	m.Metrics = bot.NewMetrics(db, m.Clock)
	m.registerLeaderMetric()
	m.Outbox = &bot.Outbox{Store: db, API: m.Slack, Clock: m.Clock, Log: m.Log, Metrics: m.Metrics, TriageChannel: cfg.TriageChannel, Admins: cfg.Admins, Lang: cfg.Lang}
	m.App = &handlers.App{
		Store: db, Slack: m.Slack, Outbox: m.Outbox, Clock: m.Clock, Log: m.Log,
		Settings: handlers.Settings{
			Admins: cfg.Admins, TriageChannel: cfg.TriageChannel, EscalationChannel: cfg.EscalationChannel,
			Lang: cfg.Lang, Location: cfg.Location, SLA: cfg.SLA,
			RemindBefore: cfg.RemindBefore, QuietHours: cfg.QuietHours, CloseAfter: cfg.CloseAfter,
			IntakeToken: cfg.IntakeToken, CallbackAllow: cfg.CallbackAllow,
			ClaimWindow: cfg.ClaimWindow, ClaimRemindBefore: cfg.ClaimRemindBefore, Retention: cfg.Retention,
			Report: cfg.Report,
		},
	}
	if d := newDrafter(cfg, m.Clock, m.Log); d != nil {
		m.App.Drafter = d
	}
	if c := openCatalog(cfg, m.Log); c != nil {
		m.App.Catalog = c
	}
	m.Scheduler = &bot.Scheduler{Store: db, Clock: m.Clock, Log: m.Log, Fire: m.App.FireDue, Fired: func(int) { m.Outbox.Notify(); m.App.AfterFire() }, Metrics: m.Metrics}
	m.App.Due = m.Scheduler
	m.Outbox.Rescue = m.App.Rescue
	m.Outbox.Do, m.Outbox.Delivered = m.App.DoOutbox, m.App.Delivered
	if err := m.App.ScheduleReports(ctx); err != nil {
		db.Close()
		return fmt.Errorf("scheduling the weekly reports: %v", err)
	}
	m.Callbacks = &bot.Callbacks{
		Store: db, Clock: m.Clock, Log: m.Log, Token: cfg.IntakeToken, Allow: cfg.CallbackAllow,
		Users: m.Slack, Outbox: m.Outbox, Lang: cfg.Lang, Metrics: m.Metrics,
	}
	m.App.Callbacks = m.Callbacks
	m.Mail = m.openMail(m.Metrics.Registry, m.mailTLS)
	m.App.Mail = m.Mail
	if cfg.SocketMode() {
		m.Socket = &bot.SocketTransport{API: m.Slack, Handler: m.App, Log: m.Log, Metrics: m.Metrics}
		if err := m.Socket.Check(ctx); err != nil {
			db.Close()
			return fmt.Errorf("SLACK_APP_TOKEN: %v: create an app-level token with the connections:write scope under Basic Information → App-Level Tokens", err)
		}
	}
	if m.publicLn, err = net.Listen("tcp", cfg.Addr); err != nil {
		db.Close()
		return fmt.Errorf("cannot listen on SFPDESK_ADDR %s: %v", cfg.Addr, err)
	}
	if m.adminLn, err = net.Listen("tcp", cfg.AdminAddr); err != nil {
		m.publicLn.Close()
		db.Close()
		return fmt.Errorf("cannot listen on SFPDESK_ADMIN_ADDR %s: %v", cfg.AdminAddr, err)
	}
	m.public = &http.Server{Handler: m.publicHandler(), ReadHeaderTimeout: 10 * time.Second}
	m.admin = &http.Server{Handler: m.adminHandler(), ReadHeaderTimeout: 10 * time.Second}
	return nil
}

// checkToken refuses to start with a token Slack rejects. Slack being
// unreachable is not fatal: the outbox waits and /readyz says so.
func (m *Main) checkToken(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := m.Slack.AuthTestContext(ctx)
	var se slack.SlackErrorResponse
	if errors.As(err, &se) || (err != nil && isSlackAuthError(err)) {
		return fmt.Errorf("Slack refused SLACK_BOT_TOKEN (%v): create a new bot token in the app's OAuth & Permissions page", err)
	}
	if err != nil {
		m.Log.Warn("slack not reachable at start; carrying on", "err", err)
	}
	m.slackCheck.at, m.slackCheck.err = time.Now(), err
	return nil
}

func isSlackAuthError(err error) bool {
	s := err.Error()
	return strings.Contains(s, "invalid_auth") || strings.Contains(s, "token_revoked") || strings.Contains(s, "not_authed")
}

// Run serves until ctx is cancelled, then stops taking work, finishes what
// is in flight (at most shutdownGrace) and closes the database.
func (m *Main) Run(ctx context.Context) error {
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	errc := make(chan error, 4)
	var wg sync.WaitGroup
	serve := func(srv *http.Server, ln net.Listener) {
		defer wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- err
		}
	}
	wg.Add(3)
	go serve(m.public, m.publicLn)
	go serve(m.admin, m.adminLn)
	go func() {
		defer wg.Done()
		m.lead(workCtx)
	}()
	m.Mail.run(workCtx, &wg)
	if m.Socket != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.Socket.Run(workCtx); err != nil {
				errc <- fmt.Errorf("socket mode: %w: check SLACK_APP_TOKEN (an app-level token with connections:write)", err)
			}
		}()
	}
	m.Log.Info("sfpdesk serving", "addr", m.PublicAddr(), "admin", m.AdminAddr(), "socket_mode", m.Socket != nil)
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
	}
	m.Log.Info("sfpdesk stopping")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	_ = m.public.Shutdown(sctx)
	_ = m.admin.Shutdown(sctx)
	stopWork()
	done := make(chan struct{})
	go func() { wg.Wait(); m.App.Shutdown(sctx); close(done) }()
	select {
	case <-done:
	case <-sctx.Done():
		m.Log.Warn("work still running after the grace period; closing anyway")
	}
	return runErr
}

// Close closes the database.
func (m *Main) Close() error {
	if m.Store == nil {
		return nil
	}
	return m.Store.Close()
}

func (m *Main) publicHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("GET /readyz", m.readyz)
	m.App.RegisterIntake(mux)
	if m.Socket == nil {
		(&bot.HTTPTransport{Handler: m.App, SigningSecret: m.Config.SlackSigningSecret, Log: m.Log, Metrics: m.Metrics}).Register(mux)
	}
	return recoverer(m.Log, mux)
}

// readyz reports each check by name. Slack's reachability is cached so
// that probes cost at most one auth.test a minute.
func (m *Main) readyz(w http.ResponseWriter, r *http.Request) {
	checks := map[string]string{}
	ready := true
	if err := m.Store.View(r.Context(), func(store.Tx) error { return nil }); err != nil {
		checks["store"], ready = "error: "+err.Error(), false
	} else {
		checks["store"] = "ok"
	}
	m.slackCheck.Lock()
	if time.Since(m.slackCheck.at) > time.Minute {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		_, err := m.Slack.AuthTestContext(ctx)
		cancel()
		m.slackCheck.at, m.slackCheck.err = time.Now(), err
	}
	if err := m.slackCheck.err; err != nil {
		checks["slack"], ready = "error: "+err.Error(), false
	} else {
		checks["slack"] = "ok"
	}
	m.slackCheck.Unlock()
	if m.Socket != nil {
		ok, why := m.Socket.Ready()
		checks["socket_mode"] = why
		if ok {
			checks["socket_mode"] = "ok"
		} else {
			ready = false
		}
	}
	if !m.Mail.ready(checks) {
		ready = false
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"ready": ready, "checks": checks, "leader": m.Leading()})
}

func (m *Main) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Metrics.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("POST /admin/purge", m.adminPurge)
	mux.HandleFunc("GET /admin/report", m.adminReport)
	mux.HandleFunc("GET /admin/backup", func(w http.ResponseWriter, r *http.Request) {
		if m.DB == nil {
			http.Error(w, pgBackupHint, http.StatusNotImplemented)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", `attachment; filename="sfpdesk.db"`)
		if _, err := m.DB.Backup(r.Context(), w); err != nil {
			m.Log.Error("backup failed", "err", err)
		}
	})
	return recoverer(m.Log, adminAuth(m.Config.AdminToken, mux))
}

// adminAuth keeps the admin listener to loopback callers, or to callers
// with the admin token when one is set: a backup is the whole database,
// buyers' data included.
func adminAuth(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
			if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		} else if host, _, err := net.SplitHostPort(r.RemoteAddr); err != nil || !net.ParseIP(host).IsLoopback() {
			http.Error(w, "forbidden: the admin listener answers loopback only unless SFPDESK_ADMIN_TOKEN is set", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func recoverer(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.Error("handler panicked", "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
