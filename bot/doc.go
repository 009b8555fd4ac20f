// Package bot is sfpdesk's Slack side: the transports that carry what Slack
// sends (HTTP with signature checks, or Socket Mode), the durable outbox that
// posts what the bot owes, Block Kit views and the string catalogue, and the
// text rules (escape once on the way out, cut to Block Kit's limits).
//
// A Handler (package handlers implements it) never knows which transport
// called it: both turn Slack's requests into the same three calls and send
// back what the Handler returns as the acknowledgement.
package bot
