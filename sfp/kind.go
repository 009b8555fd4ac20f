package sfp

// Kind is what a contact is about. It decides the clock a case runs on and
// the card it gets.
type Kind string

const (
	KindPreOrderQuestion Kind = "pre_order_question"
	KindProductQuestion  Kind = "product_question"
	KindOrderQuestion    Kind = "order_question"
	KindCSContact        Kind = "cs_contact"
	KindRefundNotice     Kind = "refund_notice"
	// KindReturnRequested is a buyer's return request: nothing is due until
	// the parcel is back, when its Return received starts the refund clock.
	KindReturnRequested Kind = "return_requested"
	KindReturnReceived  Kind = "return_received"
	// KindAToZClaim is an A-to-z Guarantee claim on an order: Amazon waits
	// 72 hours for the seller's answer, then grants it at the seller's cost.
	KindAToZClaim Kind = "a_to_z_claim"
)

// Kinds lists every kind in the order the contract gives them.
var Kinds = []Kind{
	KindPreOrderQuestion, KindProductQuestion, KindOrderQuestion,
	KindCSContact, KindRefundNotice, KindReturnRequested, KindReturnReceived,
	KindAToZClaim,
}

// ParseKind accepts one of the contract's kind names.
func ParseKind(s string) (Kind, bool) {
	for _, k := range Kinds {
		if string(k) == s {
			return k, true
		}
	}
	return "", false
}

// IsQuestion reports whether the kind runs on Amazon's 24-hour response
// clock: a buyer, or CS on a buyer's behalf, is waiting for words.
func (k Kind) IsQuestion() bool {
	switch k {
	case KindPreOrderQuestion, KindProductQuestion, KindOrderQuestion, KindCSContact:
		return true
	}
	return false
}

// AwaitsAnswer reports whether a case of the kind waits for the seller's
// words on a calendar-time clock, with reminders and escalation: the
// questions, and an A-to-z claim, which Amazon grants at the seller's cost
// when it is left unanswered.
func (k Kind) AwaitsAnswer() bool { return k.IsQuestion() || k == KindAToZClaim }

// IsBuyerMessage reports whether the kind is a message a buyer wrote to the
// seller: the only ones Amazon's Contact Response Time counts. A question
// customer service brings on a buyer's behalf is not one.
func (k Kind) IsBuyerMessage() bool {
	switch k {
	case KindPreOrderQuestion, KindProductQuestion, KindOrderQuestion:
		return true
	}
	return false
}

// IsPreOrder reports whether a buyer message came before any order: Seller
// Central shows pre-order and post-order response times apart. A product
// question names no order either.
func (k Kind) IsPreOrder() bool {
	return k == KindPreOrderQuestion || k == KindProductQuestion
}

// NeedsOrder reports whether a contact of this kind must name an order.
func (k Kind) NeedsOrder() bool {
	switch k {
	case KindOrderQuestion, KindRefundNotice, KindReturnRequested, KindReturnReceived, KindAToZClaim:
		return true
	}
	return false
}

// State is where a case is in its life (DESIGN §4.8).
type State string

const (
	StateOpen             State = "open"
	StateAnswered         State = "answered"
	StateNoResponseNeeded State = "no_response_needed"
	StateClosed           State = "closed"
)

// IsOpen reports whether someone still owes the case an action.
func (s State) IsOpen() bool { return s == StateOpen }
