package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/retrieve"
	"github.com/storybot/storybot/store"
)

// Discord wants every command acknowledged within 3 seconds; the work after
// the acknowledgement (the story lookup, the summary) has 15 minutes. On a
// small machine a burst of commands would otherwise run its lookups (CPU
// work: SQLite in Go) alongside the acknowledgements still to be sent, and
// delay them all. So acknowledgements come first: a lookup waits until no
// received command is still unacknowledged (at most maxAckWait, so a steady
// stream cannot starve the lookups), and only a few lookups run at once.

// maxAckWait bounds how long a lookup waits for acknowledgements.
const maxAckWait = 250 * time.Millisecond

// ackQueue counts the commands received and not yet acknowledged.
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

// add counts a command received.
func (q *ackQueue) add() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.pending == 0 {
		q.idle = make(chan struct{})
	}
	q.pending++
}

// done counts a command acknowledged.
func (q *ackQueue) done() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.pending--
	if q.pending == 0 {
		close(q.idle)
	}
}

// wait returns once no command is waiting for its acknowledgement, after
// at most d, or when ctx ends.
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

// ackingResponder tells the queue when the interaction's initial response
// (the acknowledgement) has been sent; release covers the paths that send
// none.
type ackingResponder struct {
	Responder
	acks *ackQueue
	once sync.Once
}

func (r *ackingResponder) Respond(ctx context.Context, i *discordgo.Interaction, resp *discordgo.InteractionResponse) error {
	defer r.release()
	return r.Responder.Respond(ctx, i, resp)
}

func (r *ackingResponder) release() { r.once.Do(r.acks.done) }

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
