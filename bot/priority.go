package bot

import (
	"context"
	"sync"
	"time"
)

// Discord wants every command acknowledged within 3 seconds; the work after
// the acknowledgement (the story lookup, the summary) has 15 minutes. A
// command that is not answered within its acknowledgement window is
// acknowledged with a deferred response. On a small machine a burst of
// commands would otherwise run its lookups (CPU work: SQLite in Go) and
// budget writes alongside those deferred responses, and delay them all. So
// they come first: a lookup or a budget reservation waits until no
// deferred response is being sent (at most maxAckWait, so a steady stream
// cannot starve the lookups), and only a few lookups run at once. A
// command's work within its own window does not wait (nothing of it is
// being deferred yet); after the window, its lookups may wait behind its
// own deferred response, and in a burst more commands then pass their
// window and are deferred: what the window is for.

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

// Wait returns once no deferred response is being sent, after at most
// maxAckWait, or when ctx ends: the commands' gate (commands.Gate).
func (q *ackQueue) Wait(ctx context.Context) { q.wait(ctx, maxAckWait) }

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
