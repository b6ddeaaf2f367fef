package bot

import (
	"context"
	"testing"
	"time"
)

func TestAckQueue(t *testing.T) {
	q := newAckQueue()
	ctx := context.Background()
	q.wait(ctx, time.Hour) // nothing pending: returns at once

	q.add()
	done := make(chan struct{})
	go func() {
		q.wait(ctx, time.Hour)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("wait returned while a deferred response was being sent")
	default:
	}
	q.done()
	<-done
	if q.pending != 0 {
		t.Errorf("got %d pending, want 0", q.pending)
	}

	// A lookup does not wait forever behind a stream of commands.
	q.add()
	defer q.done()
	q.wait(ctx, time.Millisecond)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	q.wait(canceled, time.Hour)
}
