// Package mailtest runs real IMAP and SMTP servers in the process, on
// loopback, for tests and the demo: go-imap's in-memory server and
// go-smtp's server, with what a test needs to see and to break.
package mailtest
