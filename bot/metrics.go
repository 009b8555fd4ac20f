package bot

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
)

// Metrics are the figures the admin listener serves. A nil *Metrics
// records nothing, so that tests and tools need not build one.
type Metrics struct {
	Registry    *prometheus.Registry
	deliveries  *prometheus.CounterVec
	ratelimited *prometheus.CounterVec
	ack         *prometheus.HistogramVec
	due         *prometheus.CounterVec
	lateness    *prometheus.HistogramVec
	callbacks   *prometheus.CounterVec
}

// NewMetrics registers sfpdesk's metrics. Queue depths and open cases are
// read from the store at scrape time, so they are never out of step with
// what is committed.
func NewMetrics(st store.Store, clock sfp.Clock) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfpdesk_deliveries_total",
			Help: "Outbox deliveries by result: sent; reconciled (found already posted after an unknown outcome); superseded (an update merged into a later one); retried; failed (refused for good); rescued (refused, then delivered another way).",
		}, []string{"result"}),
		ratelimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfpdesk_slack_ratelimited_total",
			Help: "HTTP 429 answers received from Slack, by Web API method.",
		}, []string{"method"}),
		ack: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sfpdesk_ack_latency_seconds",
			Help:    "Time from receiving a Slack request to acknowledging it, by entry point.",
			Buckets: []float64{.001, .0025, .005, .01, .015, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"entry"}),
		due: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfpdesk_due_total",
			Help: "Due entries (reminders, escalations, closings, purges, claim reminders) by kind and result: on_time; late (fired more than a minute after its time); skipped (its deadline had passed too); retried (firing failed, put back for later).",
		}, []string{"kind", "result"}),
		lateness: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sfpdesk_due_lateness_seconds",
			Help:    "Time from a due entry's time to the commit that fired it, by kind.",
			Buckets: []float64{.01, .05, .1, .5, 1, 5, 30, 60, 300, 3600},
		}, []string{"kind"}),
		callbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfpdesk_callback_attempts_total",
			Help: "Callback attempts to intake integrations by what followed: delivered; pending (to be tried again); stopped (refused for good, or given up after a day; the seller is told).",
		}, []string{"result"}),
	}
	m.Registry.MustRegister(m.deliveries, m.ratelimited, m.ack, m.due, m.lateness, m.callbacks,
		&storeCollector{st: st, clock: clock},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Delivered counts one outbox result.
func (m *Metrics) Delivered(result string) {
	if m != nil {
		m.deliveries.WithLabelValues(result).Inc()
	}
}

// RateLimited counts one 429 from Slack.
func (m *Metrics) RateLimited(method string) {
	if m != nil {
		m.ratelimited.WithLabelValues(method).Inc()
	}
}

// ObserveAck records how long an entry point took to acknowledge Slack.
func (m *Metrics) ObserveAck(entry string, d time.Duration) {
	if m != nil {
		m.ack.WithLabelValues(entry).Observe(d.Seconds())
	}
}

// Due counts one due entry the scheduler dealt with; the lateness of one
// that fired is observed too.
func (m *Metrics) Due(kind, result string, lateness time.Duration) {
	if m == nil {
		return
	}
	m.due.WithLabelValues(kind, result).Inc()
	if result == DueOnTime || result == DueLate {
		m.lateness.WithLabelValues(kind).Observe(lateness.Seconds())
	}
}

// Results of a due entry, as sfpdesk_due_total counts them.
const (
	DueOnTime  = "on_time"
	DueLate    = "late"
	DueSkipped = "skipped"
	DueRetried = "retried"
)

// CallbackAttempted counts one callback attempt by the state it left the
// callback in.
func (m *Metrics) CallbackAttempted(state string) {
	if m != nil {
		m.callbacks.WithLabelValues(state).Inc()
	}
}

var (
	descDepth  = prometheus.NewDesc("sfpdesk_outbox_depth", "Messages waiting in the outbox, by channel.", []string{"channel"}, nil)
	descOldest = prometheus.NewDesc("sfpdesk_outbox_oldest_age_seconds", "Age of the oldest waiting message, by channel.", []string{"channel"}, nil)
	descOpen   = prometheus.NewDesc("sfpdesk_open_cases", "Open cases, by seller.", []string{"seller"}, nil)
)

type storeCollector struct {
	st    store.Store
	clock sfp.Clock
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descDepth
	ch <- descOldest
	ch <- descOpen
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	if c.st == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	now := c.clock.Now()
	_ = c.st.View(ctx, func(tx store.Tx) error {
		// Every routed channel and every seller has a series, at 0 when
		// there is nothing: an alert on a series that vanishes when its
		// queue empties could never tell "drained" from "gone".
		sellers, err := tx.Sellers()
		if err != nil {
			return err
		}
		depth := map[string]float64{}
		oldest := map[string]float64{}
		open := map[string]float64{}
		for _, s := range sellers {
			open[s.Name] = 0
			for _, r := range s.Routes {
				if r.Channel != "" {
					depth[r.Channel], oldest[r.Channel] = 0, 0
				}
			}
		}
		chans, err := tx.PendingChannels()
		if err != nil {
			return err
		}
		for _, channel := range chans {
			// The queue of one channel is short (Slack drains it at about a
			// message a second); a bound keeps a scrape cheap regardless.
			msgs, err := tx.Pending(channel, 10000)
			if err != nil || len(msgs) == 0 {
				continue
			}
			depth[channel] = float64(len(msgs))
			oldest[channel] = max(0, now.Sub(msgs[0].CreatedAt).Seconds())
		}
		counts, err := tx.OpenCounts()
		if err != nil {
			return err
		}
		for seller, n := range counts {
			if seller == "" {
				seller = "(triage)"
			}
			open[seller] = float64(n)
		}
		for channel, n := range depth {
			ch <- prometheus.MustNewConstMetric(descDepth, prometheus.GaugeValue, n, channel)
			ch <- prometheus.MustNewConstMetric(descOldest, prometheus.GaugeValue, oldest[channel], channel)
		}
		for seller, n := range open {
			ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, n, seller)
		}
		return nil
	})
}
