package fakeslack

import (
	"context"
	"fmt"
	"net/url"
	"time"
)

// Call is one Web API call as the fake saw it.
type Call struct {
	Method string
	// Params holds the arguments however they were encoded (form, JSON body
	// or query), JSON objects as their JSON text; the token is left out.
	Params url.Values
	At     time.Time // the fake's clock
	Status int       // HTTP status answered
	Error  string    // Slack error code, "" when ok
}

// subscriber receives calls as they are answered.
type subscriber struct{ ch chan Call }

// subscriberBuffer bounds what a slow subscriber can hold back; beyond it
// calls are dropped for that subscriber rather than stalling the fake.
const subscriberBuffer = 1024

func (s *Server) recordCallLocked(req *request, res result) {
	status := res.status
	if status == 0 {
		status = 200
	}
	code := res.err
	if status == 429 {
		s.count429++
		code = "ratelimited"
	}
	p := url.Values{}
	for k, vs := range req.p.v {
		if k != "token" {
			p[k] = append([]string(nil), vs...)
		}
	}
	c := Call{Method: req.method, Params: p, At: req.now, Status: status, Error: code}
	s.callCounts[req.method]++
	s.calls = appendBounded(s.calls, c, s.cfg.logLimit)
	for sub := range s.subs {
		select {
		case sub.ch <- c:
		default:
		}
	}
	s.bumpLocked()
}

func appendBounded[T any](xs []T, x T, limit int) []T {
	xs = append(xs, x)
	if limit > 0 && len(xs) > limit {
		xs = append(xs[:0:0], xs[len(xs)-limit:]...)
	}
	return xs
}

// bumpLocked wakes every WaitFor; call it after any change tests may wait on.
func (s *Server) bumpLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Log returns the recorded calls, oldest first (the most recent
// WithLogLimit of them).
func (s *Server) Log() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Calls counts the calls of method, answered with success or not.
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callCounts[method]
}

// Count429 counts the calls answered 429 Too Many Requests.
func (s *Server) Count429() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count429
}

// Subscribe streams each Web API call once it is answered, until ctx ends
// or the server closes (the channel is then closed). A subscriber that
// falls more than 1024 calls behind misses calls; WaitFor never does.
func (s *Server) Subscribe(ctx context.Context) <-chan Call {
	sub := &subscriber{ch: make(chan Call, subscriberBuffer)}
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		close(sub.ch)
		return sub.ch
	default:
	}
	s.subs[sub] = struct{}{}
	s.goLocked(func() {
		select {
		case <-ctx.Done():
		case <-s.done:
		}
		s.mu.Lock()
		if _, live := s.subs[sub]; live {
			delete(s.subs, sub)
			close(sub.ch)
		}
		s.mu.Unlock()
	})
	s.mu.Unlock()
	return sub.ch
}

// WaitFor blocks until cond returns true, re-checking after every change in
// the fake (a call answered, a socket connected, an ack or a delivery), so
// tests need no sleeps. cond may call the Server's inspection methods.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		changed := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			if cond() {
				return nil
			}
			return errClosed
		}
	}
}

// WaitCalls waits until method has been called at least n times.
func (s *Server) WaitCalls(ctx context.Context, method string, n int) error {
	err := s.WaitFor(ctx, func() bool { return s.Calls(method) >= n })
	if err != nil {
		return fmt.Errorf("fakeslack: waiting for %d %s calls, saw %d: %w", n, method, s.Calls(method), err)
	}
	return nil
}
