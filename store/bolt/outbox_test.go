package bolt

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/sfpdesk/sfpdesk/store"
)

func TestOutboxEncoding(t *testing.T) {
	blocks := json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"line one\nline two"}}]`)
	for _, m := range []store.OutboxMessage{
		{ID: 1, Channel: "C1", Op: store.OpPost, Text: "multi\nline\ntext", Blocks: blocks, State: store.OutboxPending, CreatedAt: time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)},
		{ID: 2, Channel: "C1", Op: store.OpPost, Text: "no blocks", State: store.OutboxSent, TS: "1.2"},
		// A pretty-printed body keeps its own newlines: only the first one
		// ends the head.
		{ID: 3, Channel: "C1", Op: store.OpUpdate, Blocks: json.RawMessage("[\n  {\"type\": \"divider\"}\n]"), State: store.OutboxPending},
	} {
		v, err := encodeOutbox(&m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeOutbox(v)
		if err != nil {
			t.Fatalf("%d: %v", m.ID, err)
		}
		if !reflect.DeepEqual(*got, m) {
			t.Errorf("%d: round trip\n got %+v\nwant %+v", m.ID, *got, m)
		}
	}
	// Values written as one JSON document, blocks inside, still read.
	m := store.OutboxMessage{ID: 4, Channel: "C1", Op: store.OpPost, Text: "old", Blocks: blocks, State: store.OutboxPending}
	old, _ := json.Marshal(&m)
	got, err := decodeOutbox(old)
	if err != nil || got.Text != "old" || !json.Valid(got.Blocks) {
		t.Fatalf("single-document value: %+v, %v", got, err)
	}
}
