package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/storybot/storybot/answer"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/retrieve"
	"github.com/storybot/storybot/store"
)

// MaxQuestion is the longest question /ask takes, in characters; Discord's
// option for it has the same max_length.
const MaxQuestion = 300

// ErrQuestion is returned for an empty or over-long question; the message is
// fit to show.
var ErrQuestion = fmt.Errorf("a question needs 1 to %d characters", MaxQuestion)

// Answerer writes answers from retrieved passages. *answer.Service
// satisfies it.
type Answerer interface {
	Answer(ctx context.Context, question string, r retrieve.Result) (answer.Reply, error)
}

// AskDeps are what /ask needs.
type AskDeps struct {
	Stories Stories        // to pick the story the story option names
	Index   retrieve.Index // to find passages
	// Answerer writes the answer; nil means extractive answers only.
	Answerer Answerer
	// Offline, when set, keeps the model out of this reply: the answer is
	// extractive and says why (answer.Offline).
	Offline *generate.Fallback
}

// AskReply is the answer to /ask, with the passages and sources behind it.
type AskReply struct {
	Question string
	Answer   answer.Reply
	// Retrieved is what retrieval found; citation [n] is
	// Retrieved.Sources[n-1].
	Retrieved retrieve.Result
	// Picked is PickedID or PickedSearch when the story option chose the
	// one story to answer from, else empty.
	Picked string
}

// Answered reports whether the reply answers the question from the stories.
func (r AskReply) Answered() bool { return r.Answer.Answered }

// Text is the answer as plain text, with its citations.
func (r AskReply) Text() string { return r.Answer.Text }

// Source is a story an answer cites, with its citation number.
type Source struct {
	N int
	store.Story
}

// Sources are the stories the answer cites, by citation number.
func (r AskReply) Sources() []Source {
	out := make([]Source, 0, len(r.Answer.Cited))
	for _, n := range r.Answer.Cited {
		if n >= 1 && n <= len(r.Retrieved.Sources) {
			out = append(out, Source{N: n, Story: r.Retrieved.Sources[n-1]})
		}
	}
	return out
}

// EngineNote says how the answer was made, for a reply's footer.
func (r AskReply) EngineNote() string {
	a := r.Answer
	switch {
	case a.Fallback == nil && a.Engine == generate.Extractive:
		return "No stored story speaks to this question"
	case a.Fallback == nil && !a.Answered:
		return a.Engine + " found no answer in the passages of the stored stories"
	case a.Fallback == nil && a.Cached:
		return "Answered by " + a.Engine + " from the stored stories (cached)"
	case a.Fallback == nil:
		return "Answered by " + a.Engine + " from the stored stories"
	}
	reason := a.Fallback.Reason
	if a.Fallback.Setting != "" {
		reason = "configuration problem: " + reason
	}
	return "Offline answer (extractive, quoted from the sources): " + reason
}

// Ask answers question from the stored stories: retrieval finds the
// passages that bear on it, from the one story storyQuery picks (as /story
// picks one) when it is not empty, else from all stories; the Answerer writes
// the answer from them. A question the passages don't answer gives a reply
// saying so. ErrNoMatch is returned only when storyQuery matches nothing,
// ErrQuestion for a bad question.
func Ask(ctx context.Context, d AskDeps, question, storyQuery string) (AskReply, error) {
	question = strings.TrimSpace(question)
	if question == "" || len([]rune(question)) > MaxQuestion {
		return AskReply{}, ErrQuestion
	}
	r := AskReply{Question: question}
	var o retrieve.Options
	if q := strings.TrimSpace(storyQuery); q != "" {
		s, picked, err := pick(ctx, d.Stories, q)
		if err != nil {
			return AskReply{}, err
		}
		o.Story, r.Picked = &s, picked
	}
	var err error
	r.Retrieved, err = retrieve.Retrieve(ctx, d.Index, question, o)
	if err != nil {
		return AskReply{}, fmt.Errorf("ask: %w", err)
	}
	if d.Offline != nil && d.Answerer != nil {
		r.Answer = answer.Offline(question, r.Retrieved, d.Offline)
		return r, nil
	}
	a := d.Answerer
	if a == nil {
		a = answer.NewService(answer.Config{})
	}
	r.Answer, err = a.Answer(ctx, question, r.Retrieved)
	if err != nil {
		return AskReply{}, fmt.Errorf("ask: %w", err)
	}
	return r, nil
}

// IsNotFound reports whether err means a command found nothing to work on
// (ErrNoStories or ErrNoMatch): the user's query, not a failure.
func IsNotFound(err error) bool {
	return errors.Is(err, ErrNoStories) || errors.Is(err, ErrNoMatch)
}
