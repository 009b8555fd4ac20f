// Package store defines how sfpdesk keeps its state, free of any database's
// types, so that a second backend (PostgreSQL, for several replicas) can
// stand behind the same interface and pass the same conformance suite
// (package storetest).
//
// Everything a change owes — the case, its audit events, its due entries and
// the Slack messages it must post — is written through one Tx, so that it is
// all there after a crash or none of it is. The bbolt backend lives in
// store/bolt.
package store
