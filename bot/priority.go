package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/retrieve"
	"github.com/storybot/storybot/store"
)

// Discord wants every command acknowledged within 3 seconds; the work after
// the acknowledgement (the story lookup, the summary) has 15 minutes. A
// command that is not answered within its acknowledgement window is
// acknowledged with a deferred response. On a small machine a burst of
// commands would otherwise run its lookups (CPU work: SQLite in Go) and
// budget writes alongside those deferred responses, and delay them all. So
// they come first: a lookup or a budget reservation waits until no
// deferred response is being sent (at most maxAckWait, so a steady stream
// cannot starve the lookups), and only a few lookups run at once.

// maxAckWait bounds how long a lookup waits for acknowledgements.
const maxAckWait = 250 * time.Millisecond

// ackQueue counts the deferred responses being sent.
type ackQueue struct {
	mu      sync.Mutex
	pending int
	idle    chan struct{} // closed while pending is zero
}

func newAckQueue() *ackQueue {
	q := &ackQueue{idle: make(chan struct{})}
	close(q.idle)
	return q
}

// add counts a deferred response about to be sent.
func (q *ackQueue) add() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending == 0 {
		q.idle = make(chan struct{})
	}
	q.pending++
}

// done counts a deferred response sent (or failed).
func (q *ackQueue) done() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending--
	if q.pending == 0 {
		close(q.idle)
	}
}

// wait returns once no deferred response is being sent, after at most d,
// or when ctx ends.
func (q *ackQueue) wait(ctx context.Context, d time.Duration) {
	q.mu.Lock()
	idle := q.idle
	q.mu.Unlock()
	select {
	case <-idle:
		return
	default:
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-idle:
	case <-t.C:
	case <-ctx.Done():
	}
}

// lookups is the story store as the commands use it: each call waits for
// the acknowledgements, then for one of a few slots.
type lookups struct {
	s     Stories
	acks  *ackQueue
	slots chan struct{}
}

var (
	_ commands.Stories = (*lookups)(nil)
	_ retrieve.Index   = (*lookups)(nil)
)

func (l *lookups) acquire(ctx context.Context) error {
	l.acks.wait(ctx, maxAckWait)
	select {
	case l.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for a lookup slot: %w", ctx.Err())
	}
}

func (l *lookups) Get(ctx context.Context, id string) (store.Story, error) {
	if err := l.acquire(ctx); err != nil {
		return store.Story{}, err
	}
	defer func() { <-l.slots }()
	return l.s.Get(ctx, id)
}

func (l *lookups) Search(ctx context.Context, query string, limit int) ([]store.Hit, error) {
	if err := l.acquire(ctx); err != nil {
		return nil, err
	}
	defer func() { <-l.slots }()
	return l.s.Search(ctx, query, limit)
}

func (l *lookups) Latest(ctx context.Context, limit int) ([]store.Title, error) {
	if err := l.acquire(ctx); err != nil {
		return nil, err
	}
	defer func() { <-l.slots }()
	return l.s.Latest(ctx, limit)
}

func (l *lookups) SearchAny(ctx context.Context, terms []string, limit int) ([]store.Hit, error) {
	if err := l.acquire(ctx); err != nil {
		return nil, err
	}
	defer func() { <-l.slots }()
	return l.s.SearchAny(ctx, terms, limit)
}

func (l *lookups) DocFreq(ctx context.Context, terms []string) (store.DocFreq, error) {
	if err := l.acquire(ctx); err != nil {
		return store.DocFreq{}, err
	}
	defer func() { <-l.slots }()
	return l.s.DocFreq(ctx, terms)
}

// budgets is the settings store as the policy uses it: a model call's
// reservation, a write, waits for the deferred responses being sent.
type budgets struct {
	commands.Budgets
	acks *ackQueue
}

func (b *budgets) ReserveCall(ctx context.Context, guildID, userID, day string, budget store.Budget) (string, error) {
	b.acks.wait(ctx, maxAckWait)
	return b.Budgets.ReserveCall(ctx, guildID, userID, day, budget)
}
