package postgres_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/sfpdesk/sfpdesk/store"
	"github.com/sfpdesk/sfpdesk/store/bolt"
	"github.com/sfpdesk/sfpdesk/store/postgres"
	"github.com/sfpdesk/sfpdesk/store/postgres/pgtest"
	"github.com/sfpdesk/sfpdesk/store/storetest"
)

var ctx = context.Background()

func open(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(ctx, pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func openBolt(t *testing.T) store.Store {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "sfpdesk.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// A bbolt file moves to PostgreSQL and back with every record.
func TestMoveFromBoltAndBack(t *testing.T) {
	storetest.Move(t, openBolt, func(t *testing.T) store.Store { return open(t) })
}

// PostgreSQL moves to a bbolt file and back.
func TestMoveToBoltAndBack(t *testing.T) {
	storetest.Move(t, func(t *testing.T) store.Store { return open(t) }, openBolt)
}
