package handlers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/sfpdesk/sfpdesk/sfp"
	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
)

// The figures' benchmarks run against a store that grew with its history:
// 1,000 questions a day across the benchmark's sellers, most answered within
// hours and closed, so that 100,000 cases are 100 days and 1,000,000 are
// nearly three years, and 30 days hold the same 30,000 questions at both
// sizes. See docs/PERFORMANCE.md, "Figures".
//
//	go test ./handlers/ -run '^$' -bench Figures -benchmem
//	SFPDESK_BENCH_MILLION=1 go test ./handlers/ -run '^$' -bench Figures -benchmem -timeout 60m

const benchPerDay = 1000

// buildHistoryDB writes n cases received benchPerDay a day up to t0.
func buildHistoryDB(b *testing.B, path string, n int, t0 time.Time) {
	b.Helper()
	start := time.Now()
	db, err := bolt.Open(path, &bolt.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	err = db.Update(ctx, func(tx store.Tx) error {
		for s := range benchSellers {
			name := "seller" + strconv.Itoa(s)
			if err := tx.PutSeller(&sfp.Seller{Name: name, TimeZone: "Europe/Paris", Lang: "en",
				Routes: []sfp.Route{{Seller: name, Channel: fmt.Sprintf("C0SELLER%02d", s)}}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	body := strings.Repeat("Bonjour, le chargeur est-il compatible avec la version 2019 ? ", 4)
	step := 24 * time.Hour / benchPerDay
	const perTx = 10_000
	for done := 0; done < n; done += perTx {
		err := db.Update(ctx, func(tx store.Tx) error {
			for i := done; i < min(done+perTx, n); i++ {
				num, err := tx.NextCaseNumber()
				if err != nil {
					return err
				}
				received := t0.Add(-time.Duration(n-i) * step)
				due := received.Add(24 * time.Hour)
				seller := "seller" + strconv.Itoa(i%benchSellers)
				ch := fmt.Sprintf("C0SELLER%02d", i%benchSellers)
				c := &sfp.Case{
					ID: sfp.CaseID(num), Number: num, Kind: sfp.KindProductQuestion, State: sfp.StateClosed,
					Seller: seller, Marketplace: sfp.DefaultMarketplace, Channel: ch, Source: sfp.SourceIntake,
					SourceID: "bench-" + strconv.Itoa(i), Customer: sfp.Customer{Name: "Marie", Language: "fr"},
					Subject: "Compatibilité", Body: body, ASIN: "B0BENCH001",
					ReceivedAt: received, CreatedAt: received, DueAt: &due,
					Card: sfp.MessageRef{Channel: ch, TS: fmt.Sprintf("%d.%06d", received.Unix(), i%1_000_000), OutboxID: num},
				}
				c.AddEvent(received, sfp.EventCreated, "intake", "intake")
				c.AddEvent(received, sfp.EventPosted, "", "")
				// One question in ten answered a day and a half late.
				answered := received.Add(time.Duration(1+i%7) * time.Hour)
				if i%10 == 0 {
					answered = received.Add(36 * time.Hour)
				}
				if answered.Before(t0) {
					closed := answered.Add(7 * 24 * time.Hour)
					c.AnsweredAt, c.AnsweredBy = &answered, "U0SELLER"
					c.AddEvent(answered, sfp.EventAnswered, "U0SELLER", "")
					if closed.Before(t0) {
						c.ClosedAt = &closed
						c.AddEvent(closed, sfp.EventClosed, "", "")
					} else {
						c.State = sfp.StateAnswered
					}
				} else {
					c.State = sfp.StateOpen
				}
				if err := tx.PutCase(c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		b.Fatal(err)
	}
	fi, _ := os.Stat(path)
	b.Logf("built %d cases over %d days in %v: %.0f MB", n, n/benchPerDay, time.Since(start).Round(time.Second), float64(fi.Size())/1e6)
}

func BenchmarkFigures(b *testing.B) {
	sizes := []int{100_000}
	if os.Getenv("SFPDESK_BENCH_MILLION") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("cases=%d", n), func(b *testing.B) {
			t0 := time.Now().Truncate(time.Minute)
			path := filepath.Join(b.TempDir(), "history.db")
			buildHistoryDB(b, path, n, t0)
			db := openBench(b, path)
			defer db.Close()
			a, _ := benchApp(db, sfp.NewFakeClock(t0))
			for _, q := range []struct{ text, want string }{{"stats", "seller0"}, {"stats seller7 7d", "seller7"}} {
				b.Run(strings.ReplaceAll(q.text, " ", "_"), func(b *testing.B) {
					for range b.N {
						reply := a.Command(context.Background(), slack.SlashCommand{Command: "/sfp", Text: q.text, UserID: "U0ADMIN"})
						if m, ok := reply.(*slack.Msg); !ok || !strings.Contains(m.Text, q.want) {
							b.Fatalf("stats answered %+v", reply)
						}
					}
				})
			}
		})
	}
}
