// Package report makes the weekly report of a seller: the week's figures,
// counted from the store's index of cases by seller and received time, and
// the chart of the last weeks (late-response rate and volume) as a PNG,
// drawn with gonum.org/v1/plot.
//
// The same chart goes to the seller's channel every SFPDESK_REPORT and to a
// file with `sfpdesk report`. Its words come from the caller (Labels), in
// the seller's language; the package knows no Slack and no catalogue.
package report
