package bot

import (
	"context"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
)

// nopResponder answers nothing.
type nopResponder struct{ Responder }

func (nopResponder) Respond(context.Context, *discordgo.Interaction, *discordgo.InteractionResponse) error {
	return nil
}

func TestAckQueue(t *testing.T) {
	q := newAckQueue()
	ctx := context.Background()
	q.wait(ctx, time.Hour) // nothing pending: returns at once

	q.add()
	r := &ackingResponder{Responder: nopResponder{}, acks: q}
	done := make(chan struct{})
	go func() {
		q.wait(ctx, time.Hour)
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("wait returned while a command was unacknowledged")
	default:
	}
	r.Respond(ctx, nil, nil)
	<-done
	r.release() // a second release is a no-op
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
