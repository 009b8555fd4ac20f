// Package postgres is the PostgreSQL backend of package store (pgx), for
// sfpdesk on more than one machine: every replica opens the same database.
//
// Schema: embedded, numbered migrations (migrations/*.sql), applied at Open
// in one transaction under an advisory lock, so that replicas starting
// together take turns. Records are the same JSON as the bbolt store's, in
// json columns, with beside them the columns their indexes need; a case's
// history is a row an event. What SQL cannot derive in a migration (a
// case's summary, from its history) is a step in Go run in the migration's
// transaction (goMigrations). The index by received time holds each case's
// summary in the binary form the bbolt store keeps (store.EncodeSummary).
//
// Round trips: a transaction's statements go in pipelines (tx.go): writes
// nobody waits on go with the next statement that must answer, BEGIN with
// the first, COMMIT with the last.
//
// Writes: every Update and Batch is a serialisable transaction. The bbolt
// store relies on one writer at a time; here writers run together and
// PostgreSQL aborts one of two that conflict, which runs again, so a
// transaction's function may run more than once. Case numbers come from a
// sequence, shared by all replicas; claim numbers from a counter row, so
// that a rolled-back claim gives its number back as bbolt does.
//
// Replicas: a commit that leaves work for the workers (outbox, due entries,
// callbacks) notifies the channel sfpdesk_wake (triggers on those tables
// do, whoever writes), and Leader (leader.go)
// elects the one replica that runs those workers with a session-level
// advisory lock on a connection of its own.
//
// Erasing: an updated or deleted row stays in the table's pages until a
// vacuum, and a plain VACUUM does not overwrite it; Compact runs VACUUM
// FULL on the tables a purge touches.
//
// Not through pgbouncer in transaction mode: session advisory locks and
// LISTEN need one server connection for the session's life.
package postgres
