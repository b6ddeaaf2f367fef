package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/summarize"
)

// ErrModelBusy is wrapped by the *llm.Error a ModelLimit returns when no
// slot came free in time.
var ErrModelBusy = errors.New("every model slot is busy")

// ModelLimit is a summarize.Model that lets at most a fixed number of model
// calls run at once. A call that cannot get a slot within its wait fails
// with an *llm.Error of kind llm.Busy wrapping ErrModelBusy, so a
// summarize.Service falls back to the extractive summary (fallback code
// "rate-limited") instead of keeping the user waiting. Only real model
// calls take a slot: the Service answers cache hits, and requests that join
// a call already in flight, without calling the model.
//
// Wrap the model of the summarize.Service the bot uses with it (see
// Config.LimitModel). Its methods are safe for concurrent use.
type ModelLimit struct {
	m     summarize.Model
	slots chan struct{}
	wait  time.Duration
}

var _ summarize.Model = (*ModelLimit)(nil)

// NewModelLimit returns m limited to n calls at once (at least 1), each
// waiting at most wait for a slot.
func NewModelLimit(m summarize.Model, n int, wait time.Duration) *ModelLimit {
	return &ModelLimit{m: m, slots: make(chan struct{}, max(n, 1)), wait: wait}
}

// Model returns the wrapped model's name.
func (l *ModelLimit) Model() string { return l.m.Model() }

// Complete takes a slot, waiting at most the limit's wait, and calls the
// wrapped model.
func (l *ModelLimit) Complete(ctx context.Context, req llm.Request) (llm.Reply, error) {
	if err := l.acquire(ctx); err != nil {
		return llm.Reply{}, err
	}
	defer func() { <-l.slots }()
	return l.m.Complete(ctx, req)
}

// Stream takes a slot like Complete and streams through the wrapped model
// when it can (else completes).
func (l *ModelLimit) Stream(ctx context.Context, req llm.Request, onDelta func(string)) (llm.Reply, error) {
	st, ok := l.m.(summarize.Streamer)
	if !ok {
		return l.Complete(ctx, req)
	}
	if err := l.acquire(ctx); err != nil {
		return llm.Reply{}, err
	}
	defer func() { <-l.slots }()
	return st.Stream(ctx, req, onDelta)
}

func (l *ModelLimit) acquire(ctx context.Context) error {
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
		return &llm.Error{Kind: llm.Busy, Model: l.m.Model(),
			Err: fmt.Errorf("%w: %d in use, waited %v", ErrModelBusy, cap(l.slots), l.wait)}
	case <-ctx.Done():
		kind := llm.Canceled
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			kind = llm.Timeout
		}
		return &llm.Error{Kind: kind, Model: l.m.Model(), Err: fmt.Errorf("wait for a model slot: %w", ctx.Err())}
	}
}
