package mail

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/mail/mailtest"
	"github.com/sfpdesk/sfpdesk/store"
)

// The figures of docs/PERFORMANCE.md, against the in-process servers on
// loopback and a real bbolt file (fsync on):
//
//	go test ./mail -run '^$' -bench 'MailToCommit' -benchtime 200x
//	go test ./mail -run '^$' -bench 'Backlog' -benchtime 1x
//	go test ./mail -run '^$' -bench 'ReplyToSMTP' -benchtime 200x

// commitOne is what the bot's handler does with a message, less the case:
// the Message-ID and the cursor in one transaction.
func commitOne(st store.Store) Handler {
	return func(ctx context.Context, f *Fetched) error {
		return st.Update(ctx, func(tx store.Tx) error {
			if _, ok, err := f.Seen(tx); err != nil || ok {
				return err
			}
			return f.Commit(tx, f.Message.Subject, time.Now())
		})
	}
}

func percentiles(lat []time.Duration) (p50, p99 time.Duration) {
	slices.Sort(lat)
	return lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
}

func reportLatency(b *testing.B, lat []time.Duration) {
	p50, p99 := percentiles(lat)
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// New mail to its commit, with IDLE: from the message's arrival in the
// mailbox to the commit of its cursor.
func BenchmarkMailToCommit(b *testing.B) {
	srv := newIMAPServer(b)
	st := openStore(b)
	committed := make(chan struct{}, 1)
	inner := commitOne(st)
	r := &Reader{Account: srv.account(srv.addr), Store: st, Poll: time.Hour, Handle: func(ctx context.Context, f *Fetched) error {
		err := inner(ctx, f)
		committed <- struct{}{}
		return err
	}}
	stop := runReader(b, r)
	defer stop()
	waitFor(b, "the reader to idle", func() bool { return r.Status().Idle })
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		raw := buyerMail(fmt.Sprintf("bench-%d@amazonses.com", i), "Bonjour, où en est ma commande ?")
		t0 := time.Now()
		srv.deliver(b, raw, t0)
		<-committed
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportLatency(b, lat)
}

// heapBytes is the heap the last collection found live, read without
// stopping the world: what is held, not what awaits collection.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// A backlog imported at once: messages a second, and the peak live heap
// above what it was with the backlog in the server, with and without a
// 10 MB attachment among the messages. The in-memory server builds each
// body it serves in a byte slice: the attachment's share of the figure is
// the server's, not the reader's (BenchmarkParseLargeAttachment).
func BenchmarkBacklog(b *testing.B) {
	for _, n := range []int{1000, 5000} {
		for _, attach := range []bool{false, true} {
			name := fmt.Sprintf("%d messages", n)
			if attach {
				name += " and a 10 MB attachment"
			}
			b.Run(name, func(b *testing.B) {
				for range b.N {
					backlog(b, n, attach)
				}
			})
		}
	}
}

func backlog(b *testing.B, n int, attach bool) {
	b.StopTimer()
	srv := newIMAPServer(b)
	st := openStore(b)
	now := time.Now()
	big := make([]byte, 10<<20)
	rand.Read(big)
	for i := range n {
		raw := buyerMail(fmt.Sprintf("backlog-%d@amazonses.com", i), fmt.Sprintf("Message %d du stock.", i))
		if attach && i == n/2 {
			raw = strings.Replace(raw, "Content-Type: text/plain; charset=UTF-8\r\n\r\n", "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n", 1) +
				"\r\n--b\r\nContent-Type: video/mp4; name=\"colis.mp4\"\r\nContent-Disposition: attachment; filename=\"colis.mp4\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
				base64.StdEncoding.EncodeToString(big) + "\r\n--b--\r\n"
		}
		srv.deliver(b, raw, now)
	}
	big = nil
	runtime.GC()
	base := heapBytes()
	var done atomic.Int64
	var peak atomic.Uint64
	inner := commitOne(st)
	r := &Reader{Account: srv.account(srv.addr), Store: st, Poll: time.Hour, Handle: func(ctx context.Context, f *Fetched) error {
		if err := inner(ctx, f); err != nil {
			return err
		}
		done.Add(1)
		return nil
	}}
	sample := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-sample:
				return
			case <-t.C:
				if h := heapBytes(); h > peak.Load() {
					peak.Store(h)
				}
			}
		}
	}()
	b.StartTimer()
	t0 := time.Now()
	stop := runReader(b, r)
	for deadline := time.Now().Add(10 * time.Minute); done.Load() < int64(n); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d messages imported", done.Load(), n)
		}
	}
	elapsed := time.Since(t0)
	b.StopTimer()
	stop()
	close(sample)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/(1<<20), "peak-heap-MB")
	b.ReportMetric(0, "ns/op")
}

// A reply's commit to the SMTP server's acceptance.
func BenchmarkReplyToSMTP(b *testing.B) {
	smtpSrv, err := mailtest.NewSMTPServer(testUser, testPassword)
	if err != nil {
		b.Fatal(err)
	}
	defer smtpSrv.Close()
	accepted := make(chan struct{}, 1)
	smtpSrv.OnAccept(func(mailtest.Accepted) { accepted <- struct{}{} })
	st := openStore(b)
	s := &Sender{
		Seller: "boutique", Store: st, Hostname: "mail.exemple.fr",
		SMTP: Account{Seller: "boutique", Scheme: "smtp", Addr: smtpSrv.Addr, User: testUser, Password: testPassword},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		now := time.Now()
		m := &store.MailOut{
			Seller: "boutique", CaseID: "SFP-1001", MessageID: NewMessageID("SFP-1001", testUser),
			From: testUser, To: "8xk2m4q9z3r7w1t@marketplace.amazon.fr", Subject: "Re: Question",
			Text: fmt.Sprintf("Bonjour, réponse %d.", i), Date: now, CreatedAt: now,
		}
		if err := st.Update(ctx, func(tx store.Tx) error { _, err := tx.EnqueueMail(m); return err }); err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		s.Notify()
		<-accepted
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportLatency(b, lat)
}
