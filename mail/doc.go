// Package mail is the seller's mailbox: it reads the buyer messages and
// Seller Central notices that Amazon sends to a mailbox (IMAP) and sends the
// seller's replies to the buyer's relay alias (SMTP).
//
// # Basics
//
// Parse turns one message into a Message without I/O of its own: what kind
// of mail it is (a buyer message, the copy of a reply typed in Seller
// Central, a refund, return or A-to-z notice, a bounce of one of our
// replies), and what a case needs from it. Amazon has no API for buyer
// messages, so the mail is all there is; Parse reads it by the
// X-Space-Notification-Type header first, then by sender and subject in
// every marketplace's language. Mail from Amazon that cannot be read with
// confidence is ClassTriage, never dropped; mail not from Amazon is
// ClassIgnored.
//
// Reader follows one mailbox over IMAP and hands each new message to a
// handler that commits the case and the mailbox's cursor in one store
// transaction, so that a crash between fetch and commit loses nothing and
// doubles nothing. Sender sends replies over SMTP, one at a time per
// mailbox.
//
// # Caveats
//
// The mailbox is shared with people: reading uses BODY.PEEK only and never
// sets a flag, moves or deletes. Bodies, names and aliases are buyer data:
// they never go to a log, and the raw message is never stored.
package mail
