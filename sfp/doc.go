// Package sfp is sfpdesk's domain: cases and their kinds and states, sellers
// and marketplaces, order ids, durations in calendar and business time,
// deadlines, refund reasons and the reimbursement policy.
//
// It performs no I/O and imports no Slack, database or model client, so the
// rules that protect a seller's Amazon metrics can be read and tested on
// their own. A test in this package fails if that ever changes.
//
// Errors the user can act on are *Error values with a Code; everything else
// is internal and is never shown to a person as-is.
package sfp
