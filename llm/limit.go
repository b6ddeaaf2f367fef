package llm

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrBusy is wrapped by the *Error a Limit returns when no slot came free
// in time.
var ErrBusy = errors.New("every model slot is busy")

// Limit is a Model that lets at most a fixed number of model calls run at
// once: storybot's cap on what it asks of the model server. A call that
// cannot get a slot within its wait fails with an *Error of kind Busy
// wrapping ErrBusy, so the caller falls back to its extractive result
// (fallback code "busy") instead of keeping the user waiting. Only real
// model calls take a slot: cache hits, and requests that join a call
// already in flight, never reach the model.
//
// Its methods are safe for concurrent use.
type Limit struct {
	m     Model
	slots chan struct{}
	wait  time.Duration
}

var _ Model = (*Limit)(nil)

// Defaults for NewLimit.
const (
	DefaultMaxCalls = 4
	DefaultWait     = 5 * time.Second
)

// NewLimit returns m limited to n calls at once, each waiting at most wait
// for a slot; zero or less means DefaultMaxCalls and DefaultWait.
func NewLimit(m Model, n int, wait time.Duration) *Limit {
	if n <= 0 {
		n = DefaultMaxCalls
	}
	if wait <= 0 {
		wait = DefaultWait
	}
	return &Limit{m: m, slots: make(chan struct{}, n), wait: wait}
}

// Model returns the wrapped model's name.
func (l *Limit) Model() string { return l.m.Model() }

// Complete takes a slot, waiting at most the limit's wait, and calls the
// wrapped model.
func (l *Limit) Complete(ctx context.Context, req Request) (Reply, error) {
	if err := l.acquire(ctx); err != nil {
		return Reply{}, err
	}
	defer func() { <-l.slots }()
	return l.m.Complete(ctx, req)
}

// Stream takes a slot like Complete and streams through the wrapped model
// when it can (else completes).
func (l *Limit) Stream(ctx context.Context, req Request, onDelta func(string)) (Reply, error) {
	st, ok := l.m.(Streamer)
	if !ok {
		return l.Complete(ctx, req)
	}
	if err := l.acquire(ctx); err != nil {
		return Reply{}, err
	}
	defer func() { <-l.slots }()
	return st.Stream(ctx, req, onDelta)
}

func (l *Limit) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(l.wait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-t.C:
		return &Error{Kind: Busy, Model: l.m.Model(),
			Err: fmt.Errorf("%w: %d in use, waited %v", ErrBusy, cap(l.slots), l.wait)}
	case <-ctx.Done():
		kind := Canceled
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			kind = Timeout
		}
		return &Error{Kind: kind, Model: l.m.Model(), Err: fmt.Errorf("wait for a model slot: %w", ctx.Err())}
	}
}
