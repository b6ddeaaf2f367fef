package commands

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// MaxQuestion is the longest question /ask takes, in characters; Discord's
// option for it has the same max_length.
const MaxQuestion = 300

// ErrQuestion is returned for an empty or over-long question; the message is
// fit to show.
var ErrQuestion = fmt.Errorf("a question needs 1 to %d characters", MaxQuestion)

// AskReply is the answer to /ask. Until retrieval over several stories
// lands it is extractive: the sentences of one story that share the most
// words with the question, quoted as they stand, with the story as source [1].
type AskReply struct {
	Question string
	// Quotes are one to three sentences of Story, in story order; empty
	// when the story does not answer the question.
	Quotes []string
	// Story is the source [1]; zero when no story was found.
	Story  store.Story
	Picked string // PickedID, PickedSearch; empty when no story was found
}

// Answered reports whether the reply quotes a story.
func (r AskReply) Answered() bool { return len(r.Quotes) > 0 }

// Text is the answer as plain text: the quotes each followed by [1], or
// "The stored stories don't say."
func (r AskReply) Text() string {
	if !r.Answered() {
		return "The stored stories don't say."
	}
	var b strings.Builder
	for i, q := range r.Quotes {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "“%s” [1]", q)
	}
	return b.String()
}

// EngineNote says how the answer was made, for a reply's footer.
func (r AskReply) EngineNote() string {
	return "Extractive answer: sentences quoted from the source"
}

// Ask answers question from the stored stories: from the story storyQuery
// picks (as /story picks one) when it is not empty, else from the best search
// hit for the question. A story found but not answering the question gives
// a reply with no quotes, as does a question no story matches; ErrNoMatch is
// returned only when storyQuery matches nothing, ErrQuestion for a bad
// question.
func Ask(ctx context.Context, st Stories, question, storyQuery string) (AskReply, error) {
	question = strings.TrimSpace(question)
	if question == "" || len([]rune(question)) > MaxQuestion {
		return AskReply{}, ErrQuestion
	}
	r := AskReply{Question: question}
	var err error
	if q := strings.TrimSpace(storyQuery); q != "" {
		r.Story, r.Picked, err = pick(ctx, st, q)
		if err != nil {
			return AskReply{}, err
		}
	} else {
		hits, err := st.Search(ctx, question, 1)
		if err != nil {
			return AskReply{}, fmt.Errorf("ask: %w", err)
		}
		if len(hits) == 0 {
			return r, nil
		}
		r.Story, r.Picked = hits[0].Story, PickedSearch
	}
	r.Quotes = bestSentences(question, r.Story.Body, 3)
	return r, nil
}

// bestSentences returns up to n sentences of body sharing the most words
// with question (at least one), in the order they appear in body.
func bestSentences(question, body string, n int) []string {
	want := map[string]bool{}
	for _, t := range store.Terms(question) {
		if !askStop[t] {
			want[t] = true
		}
	}
	type scored struct {
		i, score int
	}
	sents := summarize.Split(body)
	var ss []scored
	for i, s := range sents {
		seen := map[string]bool{}
		score := 0
		for _, t := range store.Terms(s) {
			if want[t] && !seen[t] {
				seen[t] = true
				score++
			}
		}
		if score > 0 {
			ss = append(ss, scored{i, score})
		}
	}
	sort.SliceStable(ss, func(a, b int) bool { return ss[a].score > ss[b].score })
	if len(ss) > n {
		ss = ss[:n]
	}
	sort.Slice(ss, func(a, b int) bool { return ss[a].i < ss[b].i })
	out := make([]string, len(ss))
	for k, s := range ss {
		out[k] = sents[s.i]
	}
	return out
}

// askStop are question words that say nothing about the answer.
var askStop = map[string]bool{
	"what": true, "why": true, "who": true, "when": true, "where": true, "how": true, "which": true,
	"did": true, "does": true, "do": true, "is": true, "are": true, "was": true, "were": true,
	"the": true, "a": true, "an": true, "of": true, "to": true, "in": true, "on": true, "for": true,
	"and": true, "or": true, "it": true, "its": true, "be": true, "by": true, "at": true, "with": true,
	"about": true, "from": true, "that": true, "this": true, "there": true, "they": true, "has": true, "have": true,
}

// IsNotFound reports whether err means a command found nothing to work on
// (ErrNoStories or ErrNoMatch): the user's query, not a failure.
func IsNotFound(err error) bool {
	return errors.Is(err, ErrNoStories) || errors.Is(err, ErrNoMatch)
}
