// Package bolt is the bbolt backend of package store: one file, one writer
// process, memory-mapped reads.
//
// Basics: Open takes a lock on the file with a timeout, so that a second
// process gets store.ErrInUse instead of hanging. Records are JSON in
// buckets; numeric keys are big-endian so that bbolt's byte order is their
// numeric order (cases by number, outbox by id, the due index by time).
//
// Caveats: bbolt keeps deleted data in free pages until the file is
// compacted, so erasing personal data means compacting the file, not only
// deleting keys.
package bolt
