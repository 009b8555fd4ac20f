package sfp

import "time"

// Source is where a contact came in.
type Source string

const (
	SourceSlack  Source = "slack"  // /sfp ask, an @mention or the shortcut
	SourceIntake Source = "intake" // POST /api/v1/contacts
	SourceEmail  Source = "email"
)

// Case is one contact and everything sfpdesk did about it.
type Case struct {
	ID          string      `json:"id"`
	Number      uint64      `json:"number"`
	Kind        Kind        `json:"kind"`
	State       State       `json:"state"`
	Seller      string      `json:"seller"`
	Marketplace Marketplace `json:"marketplace"`
	// Channel is where the case card lives: the seller's channel, or triage
	// while the seller is unknown.
	Channel  string `json:"channel"`
	Triage   bool   `json:"triage,omitempty"`
	OrderID  string `json:"order_id,omitempty"`
	ASIN     string `json:"asin,omitempty"`
	SKU      string `json:"sku,omitempty"`
	Source   Source `json:"source"`
	SourceID string `json:"source_id,omitempty"`

	Customer Customer `json:"customer"`
	Subject  string   `json:"subject,omitempty"`
	Body     string   `json:"body,omitempty"`

	// Asker is the customer-service agent who brought the case from Slack;
	// replies go back to the CS-side thread.
	Asker *Asker `json:"asker,omitempty"`
	// CallbackURL receives the seller's answers for an intake case.
	CallbackURL string `json:"callback_url,omitempty"`
	// SourceName names the integration that sent an intake case, for
	// people: "Zendesk", not its callback's address.
	SourceName string `json:"source_name,omitempty"`
	// Mail is the e-mail thread of a case that came from the mailbox.
	Mail *MailThread `json:"mail,omitempty"`

	// ReceivedAt is the earliest unanswered buyer message: Amazon's clock
	// runs from it, not from when sfpdesk heard of it.
	ReceivedAt time.Time  `json:"received_at"`
	CreatedAt  time.Time  `json:"created_at"`
	DueAt      *time.Time `json:"due_at,omitempty"`
	// ClaimBy is, on a refund notice, the last moment to file a
	// reimbursement claim on its refund (ClaimDeadline): the notice itself
	// has no deadline, its claim has one (DESIGN §4.8). It is fixed when
	// the notice arrives, with the claim window then in force.
	ClaimBy    *time.Time `json:"claim_by,omitempty"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
	// PurgedAt is when the buyer's data was erased, SFPDESK_RETENTION after
	// the case closed or on a data-subject request; the case's skeleton and
	// figures stay.
	PurgedAt *time.Time `json:"purged_at,omitempty"`
	// Breached becomes true once the case is late and stays true, as Amazon
	// keeps counting a late response even after it is sent.
	Breached bool `json:"breached,omitempty"`

	TakenBy    string `json:"taken_by,omitempty"`
	AnsweredBy string `json:"answered_by,omitempty"`

	// Card is the case card in Channel; CSThread is where the agent asked.
	Card     MessageRef `json:"card"`
	CSThread MessageRef `json:"cs_thread"`

	Refund *Refund `json:"refund,omitempty"`
	Return *Return `json:"return,omitempty"`
	// Claim is the order's reimbursement claim (or, in a case stored before
	// carrier claims had their own slot, its one claim of either type);
	// CarrierClaim the order's claim with the carrier.
	Claim        *Claim `json:"claim,omitempty"`
	CarrierClaim *Claim `json:"carrier_claim,omitempty"`

	// Drafts, Held and Answers are the replies proposed, kept back and sent
	// (draft.go): personal data, purged with the rest of the case's.
	Drafts  []Draft     `json:"drafts,omitempty"`
	Held    []HeldReply `json:"held,omitempty"`
	Answers []Answer    `json:"answers,omitempty"`

	Events []Event `json:"events,omitempty"`
}

// Customer is what sfpdesk knows of the buyer. It is personal data: shown as
// a first name at most, redacted for the model, purged after retention.
type Customer struct {
	Name     string `json:"name,omitempty"`
	Language string `json:"language,omitempty"`
}

// Asker is the agent who asked, and where.
type Asker struct {
	UserID      string `json:"user_id"`
	Name        string `json:"name,omitempty"`
	Channel     string `json:"channel"`
	ThreadTS    string `json:"thread_ts,omitempty"`
	ResponseURL string `json:"response_url,omitempty"`
}

// MessageRef points at a message the bot posted (or will post): the outbox
// id is known at once, the ts only once Slack has answered.
type MessageRef struct {
	Channel  string `json:"channel,omitempty"`
	TS       string `json:"ts,omitempty"`
	OutboxID uint64 `json:"outbox_id,omitempty"`
}

// IsZero reports whether the reference points nowhere.
func (r MessageRef) IsZero() bool { return r.Channel == "" }

// Refund is a refund decision, as Amazon CS reports it.
type Refund struct {
	Amount              Money  `json:"amount"`
	Reason              string `json:"reason"`
	RefundedBy          string `json:"refunded_by"`
	Returnless          bool   `json:"returnless"`
	OutsideReturnWindow bool   `json:"outside_return_window"`
	AToZClaim           bool   `json:"a_to_z_claim"`
	Note                string `json:"note,omitempty"`
	// RefundedAt is when the buyer was refunded: on a refund notice the
	// claim window counts from it; for a returned item it stops the refund
	// clock.
	RefundedAt *time.Time `json:"refunded_at,omitempty"`
}

// Return is a returned item reaching the seller's warehouse.
type Return struct {
	ReceivedAt time.Time `json:"received_at"`
	Tracking   string    `json:"tracking,omitempty"`
	Carrier    string    `json:"carrier,omitempty"`
}

// Event is one line of a case's history.
type Event struct {
	At     time.Time `json:"at"`
	Type   string    `json:"type"`
	By     string    `json:"by,omitempty"`
	Detail string    `json:"detail,omitempty"`
}

// Event types.
const (
	EventCreated     = "created"
	EventPosted      = "posted"
	EventTaken       = "taken"
	EventAnswered    = "answered"
	EventReply       = "reply"
	EventNote        = "note"
	EventFollowUp    = "follow_up"
	EventNoResponse  = "no_response_needed"
	EventReopened    = "reopened"
	EventRouted      = "routed"
	EventReminded    = "reminded"
	EventBreached    = "breached"
	EventClosed      = "closed"
	EventDelivery    = "delivery_failed"
	EventCallback    = "callback"
	EventRefunded    = "refunded"
	EventClaimFiled  = "claim_filed"
	EventClaimStatus = "claim_status"
	EventPurged      = "purged"
	// EventAToZ marks a refund notice whose order has an A-to-z claim.
	EventAToZ = "a_to_z_claim"
	// EventReturnBack marks a return request whose parcel came back.
	EventReturnBack = "return_received"
)

// AddEvent appends an event to the case's history.
func (c *Case) AddEvent(at time.Time, typ, by, detail string) {
	c.Events = append(c.Events, Event{At: at, Type: typ, By: by, Detail: detail})
}

// Seller routing.

// Route sends a seller's cases on one marketplace to a channel. A route
// with an empty marketplace serves every marketplace of the seller that has
// no route of its own.
type Route struct {
	Seller      string      `json:"seller"`
	Marketplace Marketplace `json:"marketplace,omitempty"`
	Channel     string      `json:"channel"`
}

// Seller holds a seller's settings.
type Seller struct {
	Name     string `json:"name"`
	TimeZone string `json:"timezone,omitempty"`
	Lang     string `json:"lang,omitempty"`
	OnCall   string `json:"oncall,omitempty"` // <!subteam^S…> user group
	// Region is the ISO 3166-2 code of where the seller's warehouse is
	// (ES-MD, DE-BY): its public holidays join the national ones on the
	// refund clock.
	Region string  `json:"region,omitempty"`
	Routes []Route `json:"routes,omitempty"`
}

// RouteFor picks the channel for a marketplace: its own route, else the
// seller's catch-all route.
func (s *Seller) RouteFor(m Marketplace) (string, bool) {
	var any string
	for _, r := range s.Routes {
		if r.Marketplace == m {
			return r.Channel, true
		}
		if r.Marketplace == "" {
			any = r.Channel
		}
	}
	return any, any != ""
}
