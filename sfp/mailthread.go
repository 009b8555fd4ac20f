package sfp

// MailThread is what an e-mail case (Source "email") needs to answer the
// buyer by mail (DESIGN §4.9). The alias and subject are the buyer's
// data, erased with the rest after retention; the Message-IDs stay, as the
// keys that keep a repeat from making a second case.
type MailThread struct {
	// ReplyTo is the buyer's relay alias at Amazon: a reply to it reaches
	// the buyer, and only mail from the seller's registered address does.
	ReplyTo string `json:"reply_to,omitempty"`
	// Subject is the buyer's subject; a reply is "Re: " and it.
	Subject string `json:"subject,omitempty"`
	// MessageIDs are the thread's messages, the buyer's and ours, oldest
	// first: a reply answers the last and names them all.
	MessageIDs []string `json:"message_ids,omitempty"`
	// NoResponseURL is the mail's own Seller Central "no response needed"
	// link: sfpdesk never calls Amazon, the seller follows it.
	NoResponseURL string `json:"no_response_url,omitempty"`
}

// Erase drops the buyer's data and keeps the thread's Message-IDs.
func (m *MailThread) Erase() {
	if m != nil {
		m.ReplyTo, m.Subject, m.NoResponseURL = "", "", ""
	}
}
