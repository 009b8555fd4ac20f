// Package bolt is the bbolt backend of package store: one file, one writer
// process, memory-mapped reads.
//
// Basics: Open takes a lock on the file with a timeout, so that a second
// process gets store.ErrInUse instead of hanging. Records are JSON in
// buckets (an outbox message keeps its Block Kit after its JSON, as sent);
// numeric keys are big-endian so that bbolt's byte order is their numeric
// order (cases by number, outbox by id, the due index by time). A case's
// history is not in its record but under keys of its own, an event each in
// a compact binary form (events.go): a reply adds an event, and writes
// that event alone rather than the whole history again.
//
// Writes: Batch is a group commit (batch.go), not bbolt's own Batch. The
// writers that arrive while a transaction commits share the next one, which
// starts as soon as the lock is free; an idle store commits at once. Case
// numbers come from a counter in memory, seeded at Open from the highest
// case written, so that a handler can take one and render a case's
// messages before its transaction, during which every other writer waits.
//
// Caveats: bbolt keeps deleted data in free pages until the file is
// compacted, so erasing personal data means compacting the file, not only
// deleting keys. A number reserved and never written leaves a gap, unless
// it is released before another is reserved.
package bolt
