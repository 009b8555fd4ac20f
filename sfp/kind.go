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
	KindReturnReceived   Kind = "return_received"
)

// Kinds lists every kind in the order the contract gives them.
var Kinds = []Kind{
	KindPreOrderQuestion, KindProductQuestion, KindOrderQuestion,
	KindCSContact, KindRefundNotice, KindReturnReceived,
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

// NeedsOrder reports whether a contact of this kind must name an order.
func (k Kind) NeedsOrder() bool {
	switch k {
	case KindOrderQuestion, KindRefundNotice, KindReturnReceived:
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
