package commands

import (
	"context"
	"fmt"

	"github.com/storybot/storybot/retrieve"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// Library is everything the commands read of the stored stories.
// *sqlite.DB and *postgres.DB satisfy it.
type Library interface {
	Stories
	retrieve.Index // for /ask
	Titles         // for autocomplete
}

// Gate orders the commands' reads and writes behind a transport's more
// urgent work (the acknowledgements Discord wants within 3 seconds): Wait
// returns when they may go, or when ctx ends.
type Gate interface {
	Wait(ctx context.Context)
}

// Gated returns l with every read but the titles for autocomplete (which
// answers at once) waiting for gate, then for one of slots reads at once.
func Gated(l Library, gate Gate, slots int) Library {
	return &gated{l: l, gate: gate, slots: make(chan struct{}, max(slots, 1))}
}

type gated struct {
	l     Library
	gate  Gate
	slots chan struct{}
}

func (g *gated) acquire(ctx context.Context) error {
	g.gate.Wait(ctx)
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for a lookup slot: %w", ctx.Err())
	}
}

func (g *gated) release() { <-g.slots }

func (g *gated) Get(ctx context.Context, id string) (store.Story, error) {
	if err := g.acquire(ctx); err != nil {
		return store.Story{}, err
	}
	defer g.release()
	return g.l.Get(ctx, id)
}

func (g *gated) Search(ctx context.Context, query string, limit int) ([]store.Hit, error) {
	if err := g.acquire(ctx); err != nil {
		return nil, err
	}
	defer g.release()
	return g.l.Search(ctx, query, limit)
}

func (g *gated) Latest(ctx context.Context, limit int) ([]store.Title, error) {
	if err := g.acquire(ctx); err != nil {
		return nil, err
	}
	defer g.release()
	return g.l.Latest(ctx, limit)
}

func (g *gated) SearchAny(ctx context.Context, terms []string, limit int) ([]store.Hit, error) {
	if err := g.acquire(ctx); err != nil {
		return nil, err
	}
	defer g.release()
	return g.l.SearchAny(ctx, terms, limit)
}

func (g *gated) DocFreq(ctx context.Context, terms []string) (store.DocFreq, error) {
	if err := g.acquire(ctx); err != nil {
		return store.DocFreq{}, err
	}
	defer g.release()
	return g.l.DocFreq(ctx, terms)
}

func (g *gated) Titles(ctx context.Context, prefix string, limit int) ([]store.Title, error) {
	return g.l.Titles(ctx, prefix, limit)
}

// GatedBudgets returns b with each model call's reservation, a write,
// waiting for gate.
func GatedBudgets(b Budgets, gate Gate) Budgets { return &gatedBudgets{Budgets: b, gate: gate} }

type gatedBudgets struct {
	Budgets
	gate Gate
}

func (b *gatedBudgets) ReserveCall(ctx context.Context, guildID, userID, day string, budget store.Budget) (string, error) {
	b.gate.Wait(ctx)
	return b.Budgets.ReserveCall(ctx, guildID, userID, day, budget)
}

// Poster posts new stories from feeds with their brief summary (from the
// summary cache when it is there): feed.Poster. Send delivers the reply to
// a channel and returns the message's ID.
type Poster struct {
	Summarizer Summarizer
	Send       func(ctx context.Context, channelID string, r StoryReply) (string, error)
}

// Post summarizes s in brief and sends it to channelID. A summary that
// fails is an error whose NotSent reports true: nothing was sent.
func (p Poster) Post(ctx context.Context, channelID string, s store.Story) (string, error) {
	in := summarize.Input{ID: s.ID, Title: s.Title, Body: s.Body, Hash: s.Hash}
	sum, err := p.Summarizer.Summarize(ctx, in, summarize.Brief, summarize.Options{})
	if err != nil {
		return "", notSent{fmt.Errorf("summarize story %s: %w", s.ID, err)}
	}
	return p.Send(ctx, channelID, StoryReply{Story: s, Summary: sum})
}

// notSent is an error before anything was sent.
type notSent struct{ error }

func (e notSent) Unwrap() error { return e.error }
func (notSent) NotSent() bool   { return true }
