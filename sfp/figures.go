package sfp

import (
	"slices"
	"time"
)

// FigurePeriods are the periods Seller Central shows response figures
// over: 7, 30 and 90 days back from now.
var FigurePeriods = []time.Duration{7 * 24 * time.Hour, 30 * 24 * time.Hour, 90 * 24 * time.Hour}

// Figures are one seller's response figures over a period, counted the way
// Seller Central's buyer-messages response times are:
//
//   - only questions count, the contacts on Amazon's 24-hour clock
//     (Kind.IsQuestion), and only those whose clock started (ReceivedAt)
//     within the period;
//   - a question marked "No response needed" leaves the figures: it is
//     counted apart and nowhere else;
//   - a question is late when it was answered after its deadline, or is
//     still unanswered with the deadline gone; the late-response rate is
//     late questions over the questions whose outcome is known (answered,
//     or past their deadline), so that a question still within its 24
//     hours weighs neither way;
//   - the average response time runs from the clock's start to the first
//     answer, over the answered questions.
//
// The zero value counts nothing; NewFigures sets the period. Add one case
// at a time, so that a scan of the store never holds every case at once.
type Figures struct {
	From, To time.Time
	// Kinds, when set, are the kinds that count instead of every question.
	Kinds []Kind

	// Received is every contact whose clock started in the period.
	Received int
	// Counted is the late-response rate's denominator.
	Counted          int
	Late             int
	Answered         int
	NoResponseNeeded int
	// ResponseTotal sums the answered questions' response times.
	ResponseTotal time.Duration
}

// NewFigures starts the figures of the period ending at now.
func NewFigures(now time.Time, period time.Duration) Figures {
	return Figures{From: now.Add(-period), To: now}
}

// Add counts a case, if it is a question whose clock started in the
// period.
func (f *Figures) Add(c *Case) { f.AddSummary(SummaryOf(c)) }

// AddSummary counts a case from its summary, as a store's index by received
// time gives it.
func (f *Figures) AddSummary(c Summary) {
	counts := c.Kind.IsQuestion()
	if f.Kinds != nil {
		counts = slices.Contains(f.Kinds, c.Kind)
	}
	if !counts || c.ReceivedAt.Before(f.From) || !c.ReceivedAt.Before(f.To) {
		return
	}
	f.Received++
	if c.NoResponseNeeded {
		f.NoResponseNeeded++
		return
	}
	answered, due := !c.AnsweredAt.IsZero(), !c.DueAt.IsZero()
	switch {
	case answered:
		f.Counted++
		f.Answered++
		f.ResponseTotal += max(0, c.AnsweredAt.Sub(c.ReceivedAt))
		if due && c.AnsweredAt.After(c.DueAt) {
			f.Late++
		}
	case due && f.To.After(c.DueAt):
		f.Counted++
		f.Late++
	}
}

// LateRate is the share of late responses, from 0 to 1; ok is false when
// no question counts yet.
func (f Figures) LateRate() (rate float64, ok bool) {
	if f.Counted == 0 {
		return 0, false
	}
	return float64(f.Late) / float64(f.Counted), true
}

// AverageResponse is the mean response time of the answered questions; ok
// is false when none was answered.
func (f Figures) AverageResponse() (time.Duration, bool) {
	if f.Answered == 0 {
		return 0, false
	}
	return f.ResponseTotal / time.Duration(f.Answered), true
}

// noResponseNeeded reports whether the case's clock was last stopped by
// "No response needed": still in that state, or closed from it without an
// answer.
func noResponseNeeded(c *Case) bool {
	switch c.State {
	case StateNoResponseNeeded:
		return true
	case StateClosed:
		if c.AnsweredAt != nil {
			return false
		}
		for i := len(c.Events) - 1; i >= 0; i-- {
			switch c.Events[i].Type {
			case EventNoResponse:
				return true
			case EventAnswered, EventReopened:
				return false
			}
		}
	}
	return false
}

// SellerFigures are a seller's figures over a period as Seller Central
// shows them: Amazon's Contact Response Time counts the messages buyers
// wrote (Kind.IsBuyerMessage), not the questions customer service brought
// on a buyer's behalf, and shows pre-order and post-order messages apart.
// Customer service's questions and the answers to A-to-z claims are kept
// on lines of their own.
type SellerFigures struct {
	Buyer, PreOrder, PostOrder Figures
	CS, AToZ                   Figures
}

// NewSellerFigures starts the figures of the period ending at now.
func NewSellerFigures(now time.Time, period time.Duration) SellerFigures {
	mk := func(kinds ...Kind) Figures {
		f := NewFigures(now, period)
		f.Kinds = kinds
		return f
	}
	return SellerFigures{
		Buyer:     mk(KindPreOrderQuestion, KindProductQuestion, KindOrderQuestion),
		PreOrder:  mk(KindPreOrderQuestion, KindProductQuestion),
		PostOrder: mk(KindOrderQuestion),
		CS:        mk(KindCSContact),
		AToZ:      mk(KindAToZClaim),
	}
}

// Add counts a case in each of the figures it belongs to.
func (s *SellerFigures) Add(c *Case) { s.AddSummary(SummaryOf(c)) }

// AddSummary counts a case, from its summary, in each of the figures it
// belongs to.
func (s *SellerFigures) AddSummary(c Summary) {
	for _, f := range []*Figures{&s.Buyer, &s.PreOrder, &s.PostOrder, &s.CS, &s.AToZ} {
		f.AddSummary(c)
	}
}
