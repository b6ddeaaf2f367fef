// Package evaluate measures /ask on a question set: how often /ask's
// retrieval ranks the answering story first or in its top five sources, how many of a correct answer's key words the
// extractive answer holds, and how often a question no story answers gets an
// honest "The stored stories don't say."
//
// Each line of the question set is one question:
//
//	{"q": "…", "article": "<source file name>", "keywords": ["…"]}
//	{"q": "…", "unanswerable": true}
package evaluate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/internal/jsonl"
)

// TopK is how many sources count for hit@5.
const TopK = 5

// Question is one line of a question set.
type Question struct {
	Q string `json:"q"`
	// Article is the source file name of the story that answers Q.
	Article string `json:"article,omitempty"`
	// Keywords are words a correct answer contains, matched ignoring case.
	Keywords     []string `json:"keywords,omitempty"`
	Unanswerable bool     `json:"unanswerable,omitempty"`
}

// ReadJSONL reads a question set. name is used in error messages, which give
// the line number of a bad line. Blank lines are skipped.
func ReadJSONL(name string, r io.Reader) ([]Question, error) {
	return jsonl.Read(name, r, jsonl.Options{What: "a question", Plural: "questions", Strict: true}, func(q *Question) error { return q.check() })
}

func (q Question) check() error {
	n := len([]rune(strings.TrimSpace(q.Q)))
	switch {
	case n == 0:
		return errors.New(`missing "q"`)
	case n > commands.MaxQuestion:
		return fmt.Errorf("question longer than %d characters", commands.MaxQuestion)
	case q.Unanswerable && (q.Article != "" || len(q.Keywords) > 0):
		return errors.New(`an unanswerable question has no "article" or "keywords"`)
	case q.Unanswerable:
		return nil
	case q.Article == "":
		return errors.New(`missing "article" (or "unanswerable": true)`)
	case len(q.Keywords) == 0:
		return errors.New(`missing "keywords"`)
	}
	for _, k := range q.Keywords {
		if strings.TrimSpace(k) == "" {
			return errors.New("empty key word")
		}
	}
	return nil
}

// Result is what happened to one question.
type Result struct {
	Question
	// Rank is the 1-based place of the answering story among the first TopK
	// sources retrieval found; 0 when it is not among them or Q is
	// unanswerable.
	Rank int `json:"rank"`
	// Top is the source file of the first source; empty when none.
	Top string `json:"top,omitempty"`
	// Answer is the text of /ask's reply, and AnswerSource the source file
	// of the first story it cites.
	Answer       string `json:"answer"`
	AnswerSource string `json:"answer_source,omitempty"`
	// Missing are the key words not in Answer.
	Missing []string `json:"missing,omitempty"`
	// Refused is set when the reply is "The stored stories don't say."
	Refused bool `json:"refused"`
}

// Recall is the share of the key words found in the answer.
func (r Result) Recall() float64 {
	if len(r.Keywords) == 0 {
		return 0
	}
	return float64(len(r.Keywords)-len(r.Missing)) / float64(len(r.Keywords))
}

// Miss reports whether the result falls short anywhere: the answering story
// not first, a key word missing, or an unanswerable question answered.
func (r Result) Miss() bool {
	if r.Unanswerable {
		return !r.Refused
	}
	return r.Rank != 1 || len(r.Missing) > 0
}

// Report sums up a run. Each figure is a share between 0 and 1.
type Report struct {
	Answerable   int `json:"answerable"`
	Unanswerable int `json:"unanswerable"`
	// Hit1 and Hit5: share of answerable questions whose story is the first
	// source retrieval found, or among the first TopK.
	Hit1 float64 `json:"hit_at_1"`
	Hit5 float64 `json:"hit_at_5"`
	// KeywordRecall is the mean, over answerable questions, of Result.Recall.
	KeywordRecall float64 `json:"keyword_recall"`
	// HonestRefusals is the share of unanswerable questions refused.
	HonestRefusals float64  `json:"honest_refusals"`
	Results        []Result `json:"results"`
}

// Run asks every question of qs the way /ask does (commands.Ask with no
// story named) and measures the reply and the retrieval behind it.
func Run(ctx context.Context, d commands.AskDeps, qs []Question) (Report, error) {
	var rep Report
	var hit1, hit5, recall, refused float64
	for _, q := range qs {
		if err := ctx.Err(); err != nil {
			return Report{}, err
		}
		r, err := evalOne(ctx, d, q)
		if err != nil {
			return Report{}, err
		}
		if q.Unanswerable {
			rep.Unanswerable++
			if r.Refused {
				refused++
			}
		} else {
			rep.Answerable++
			if r.Rank == 1 {
				hit1++
			}
			if r.Rank > 0 {
				hit5++
			}
			recall += r.Recall()
		}
		rep.Results = append(rep.Results, r)
	}
	if n := float64(rep.Answerable); n > 0 {
		rep.Hit1, rep.Hit5, rep.KeywordRecall = hit1/n, hit5/n, recall/n
	}
	if n := float64(rep.Unanswerable); n > 0 {
		rep.HonestRefusals = refused / n
	}
	return rep, nil
}

func evalOne(ctx context.Context, d commands.AskDeps, q Question) (Result, error) {
	r := Result{Question: q}
	reply, err := commands.Ask(ctx, d, q.Q, "")
	if err != nil {
		return Result{}, fmt.Errorf("ask %q: %w", q.Q, err)
	}
	for i, s := range reply.Retrieved.Sources[:min(TopK, len(reply.Retrieved.Sources))] {
		if i == 0 {
			r.Top = s.Source
		}
		if !q.Unanswerable && r.Rank == 0 && sameSource(s.Source, q.Article) {
			r.Rank = i + 1
		}
	}
	r.Answer, r.Refused = reply.Text(), !reply.Answered()
	if srcs := reply.Sources(); len(srcs) > 0 {
		r.AnswerSource = srcs[0].Source
	}
	answer := strings.ToLower(r.Answer)
	for _, k := range q.Keywords {
		if !strings.Contains(answer, strings.ToLower(k)) {
			r.Missing = append(r.Missing, k)
		}
	}
	return r, nil
}

// sameSource reports whether a story's source is the article file name: the
// store keeps a plain-text file's base name as its source.
func sameSource(source, article string) bool {
	return source == article || filepath.Base(source) == article
}
