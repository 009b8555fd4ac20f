// Package handlers is sfpdesk's inbound side: the /sfp command and its
// grammar, @mentions and other Slack events, buttons and modals, the
// intake API, and the mail read from the sellers' mailboxes (HandleMail). App implements bot.Handler, so the same code serves Slack's
// HTTP mode and Socket Mode.
//
// Every entry point validates, commits one transaction (the case, its
// events, its due entries and the messages it owes) and answers; Slack
// messages are posted afterwards by the outbox, and slow work runs in
// goroutines the App owns and waits for on Close.
package handlers
