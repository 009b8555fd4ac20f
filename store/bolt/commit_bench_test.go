package bolt

import (
	"slices"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// BenchmarkCommit is the smallest durable write, one at a time: a key put
// and committed, which bbolt makes with two fsyncs (the pages, then the
// meta page that points at them). An acknowledgement sent after its commit
// waits at least this long, and under load often for the commit before
// its own too: the percentiles are the disk's floor under the ack figures.
func BenchmarkCommit(b *testing.B) {
	db, err := bbolt.Open(b.TempDir()+"/commit.db", 0o600, &bbolt.Options{FreelistType: bbolt.FreelistMapType})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket([]byte("b")); return err })
	var took []time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if err := db.Update(func(tx *bbolt.Tx) error { return tx.Bucket([]byte("b")).Put(u64(uint64(i)), []byte("v")) }); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	at := func(p float64) float64 { return float64(took[int(p*float64(len(took)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(at(1), "max-ms")
}
