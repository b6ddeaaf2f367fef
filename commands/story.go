// Package commands holds storybot's commands (/story, /ask, /storybot) as
// plain functions that take their dependencies and return the reply as
// data, and the Router every transport answers through: handlers that take
// a typed Request and return a Reply, behind middleware that is the
// policy (the operator's access lists, a rate limit per user, each
// server's channels, the model's gate with its daily budgets). The Discord
// bot and the terminal call the same handlers and render the reply their
// own way. Adding a command is a handler here and its definition in the
// transport.
package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// Stories is the story store the commands read. *sqlite.DB satisfies it.
type Stories interface {
	Get(ctx context.Context, id string) (store.Story, error)
	Search(ctx context.Context, query string, limit int) ([]store.Hit, error)
	Latest(ctx context.Context, limit int) ([]store.Title, error)
}

// Summarizer writes summaries. *summarize.Service satisfies it.
type Summarizer interface {
	Summarize(ctx context.Context, in summarize.Input, style summarize.Style, o summarize.Options) (summarize.Summary, error)
}

// Deps are what the commands need.
type Deps struct {
	Stories    Stories
	Summarizer Summarizer
	// Draft, when set, gets the model's answer so far while it writes,
	// whole sentences that passed the checks (summarize.Options.Draft), for
	// a reply that is edited live.
	Draft func(text string)
	// Offline, when set, keeps the model out of this reply: the summary is
	// extractive and says why (summarize.Options.Offline).
	Offline *generate.Fallback
}

// Errors for a /story that finds nothing; the message is fit to show.
var (
	ErrNoStories = errors.New("no stories are stored yet")
	ErrNoMatch   = errors.New("no story matches")
)

// How a story was picked, in StoryReply.Picked.
const (
	PickedNewest = "newest" // no query: the newest story
	PickedID     = "id"     // the query was a story's ID
	PickedSearch = "search" // the best search hit for the query
)

// StoryReply is the answer to /story: the story and its summary.
type StoryReply struct {
	Story   store.Story
	Summary summarize.Summary
	Picked  string // PickedNewest, PickedID or PickedSearch
}

// Story picks a story and summarizes it in style. An empty query picks the
// newest story; a query that is a story's ID picks that story; any other
// query picks the best full-text search hit. fresh skips the summary cache.
//
// It fails with ErrNoStories or ErrNoMatch (wrapped, with the query) when
// there is nothing to summarize; a failing model is not an error (the reply
// holds the extractive summary and says why).
func Story(ctx context.Context, d Deps, query string, style summarize.Style, fresh bool) (StoryReply, error) {
	s, picked, err := pick(ctx, d.Stories, strings.TrimSpace(query))
	if err != nil {
		return StoryReply{}, err
	}
	in := summarize.Input{ID: s.ID, Title: s.Title, Body: s.Body, Hash: s.Hash}
	sum, err := d.Summarizer.Summarize(ctx, in, style, summarize.Options{Fresh: fresh, Draft: d.Draft, Offline: d.Offline})
	if err != nil {
		return StoryReply{}, fmt.Errorf("story %s: %w", s.ID, err)
	}
	return StoryReply{Story: s, Summary: sum, Picked: picked}, nil
}

func pick(ctx context.Context, st Stories, query string) (store.Story, string, error) {
	if query == "" {
		ts, err := st.Latest(ctx, 1)
		if err != nil {
			return store.Story{}, "", err
		}
		if len(ts) == 0 {
			return store.Story{}, "", ErrNoStories
		}
		s, err := st.Get(ctx, ts[0].ID)
		return s, PickedNewest, err
	}
	if looksLikeID(query) {
		s, err := st.Get(ctx, query)
		if err == nil {
			return s, PickedID, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.Story{}, "", err
		}
	}
	hits, err := st.Search(ctx, query, 1)
	if err != nil {
		return store.Story{}, "", err
	}
	if len(hits) == 0 {
		return store.Story{}, "", fmt.Errorf("%w %q", ErrNoMatch, query)
	}
	return hits[0].Story, PickedSearch, nil
}

// looksLikeID reports whether q could be a story ID: one word of at least
// store.IDLen letters and digits.
func looksLikeID(q string) bool {
	if len(q) < store.IDLen {
		return false
	}
	for _, r := range q {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// EngineNote says who wrote the summary, for a reply's footer:
// "Summarized by MODEL", "Summarized by MODEL (cached)", or "Offline summary
// (extractive): REASON", with "configuration problem:" before a reason that
// names a setting to fix.
func (r StoryReply) EngineNote() string {
	s := r.Summary
	if s.Fallback == nil {
		if s.Cached {
			return "Summarized by " + s.Engine + " (cached)"
		}
		return "Summarized by " + s.Engine
	}
	reason := s.Fallback.Reason
	if s.Fallback.Setting != "" {
		reason = "configuration problem: " + reason
	}
	return "Offline summary (extractive): " + reason
}
