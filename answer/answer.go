// Package answer writes /ask's answers from retrieved passages: by the model,
// with numbered citations, checked and cached, or, when the model is off,
// failing, slow or not to be trusted, by quoting the passages' best
// sentences (an extractive answer, labelled as such). When the passages do
// not speak to the question, the answer says the stored stories don't say.
package answer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/storybot/storybot/check"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/newstext"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/retrieve"
)

// NotInStories is the reply when the stored stories don't answer a question.
const NotInStories = "The stored stories don't say."

// FallbackUncited is the fallback code for a model answer that cites no
// passage.
const FallbackUncited = "uncited"

// Config configures a Service. Only Prompts is required.
type Config struct {
	Prompts *prompts.Set
	// Model writes answers; nil means extractive answers only.
	Model llm.Model
	// Timeout and Grace bound a model call (generate.Config): an answer is
	// there within Timeout + Grace.
	Timeout, Grace time.Duration
	// Cache keeps accepted model answers; nil means none.
	Cache generate.Cache
	// Log gets one record per fallback (component=answer); never the
	// question's passages or an API key.
	Log *slog.Logger
	// Observer is told how each answer was made, for metrics; nil means
	// none.
	Observer Observer
}

// Observer is told about each answer Answer returns, with how long it
// took. metrics.Metrics satisfies it. It must return quickly.
type Observer interface {
	ObserveAnswer(r Reply, took time.Duration)
}

// Service writes answers. It is safe for concurrent use.
type Service struct {
	cfg    Config
	kernel *generate.Kernel
}

// NewService returns a Service for cfg.
func NewService(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cfg.Log = cfg.Log.With("component", "answer")
	return &Service{cfg: cfg, kernel: generate.New(generate.Config{Model: cfg.Model, Timeout: cfg.Timeout, Grace: cfg.Grace, Cache: cfg.Cache, Log: cfg.Log})}
}

// Reply is an answer.
type Reply struct {
	// Text is the answer with its citations ([1], [2]…), or NotInStories.
	// Quotes hold an extractive answer's sentences instead.
	Text   string
	Quotes []Quote
	// Answered is false when the stored stories don't answer the question.
	Answered bool
	// Cited are the citation numbers the answer uses, ascending: the
	// sources to show under it (retrieve.Result.Sources[n-1]).
	Cited []int
	generate.Meta
}

// body is what an answer holds besides how it was made: the kernel's
// result for the answer product.
type body struct {
	Text     string
	Quotes   []Quote
	Answered bool
	Cited    []int
}

func (b body) reply(m generate.Meta) Reply {
	return Reply{Text: b.Text, Quotes: b.Quotes, Answered: b.Answered, Cited: b.Cited, Meta: m}
}

// Answer answers question from r, the passages retrieved for it. The error is
// non-nil only when ctx is canceled. Each answer is reported to
// Config.Observer.
func (s *Service) Answer(ctx context.Context, question string, r retrieve.Result) (Reply, error) {
	if s.cfg.Observer == nil {
		return s.answer(ctx, question, r)
	}
	start := time.Now()
	rep, err := s.answer(ctx, question, r)
	if err == nil {
		s.cfg.Observer.ObserveAnswer(rep, time.Since(start))
	}
	return rep, err
}

func (s *Service) answer(ctx context.Context, question string, r retrieve.Result) (Reply, error) {
	if !Answerable(r) {
		// Nothing to send the model: the passages don't speak to the question.
		return Reply{Text: NotInStories, Meta: generate.Meta{Engine: generate.Extractive, Model: s.kernel.ModelName()}}, nil
	}
	out, err := generate.Run(ctx, s.kernel, s.job(question, r))
	if err != nil {
		return Reply{}, fmt.Errorf("answer: %w", err)
	}
	return out.Value.reply(out.Meta), nil
}

// job is an answer to question from r as the kernel makes it.
func (s *Service) job(question string, r retrieve.Result) generate.Job[body] {
	return generate.Job[body]{
		Name: "answer",
		Prompt: func() (prompts.Prompt, error) {
			return s.cfg.Prompts.Answer(question, promptPassages(r))
		},
		Key: func(p prompts.Prompt, model string) string {
			return cacheKey(question, r, p.Hash, model)
		},
		Source:     passagesText(r),
		SourceName: "the stories",
		Check:      func(reply string) generate.Checked { return checkForm(reply, r) },
		Result: func(rec generate.Record) body {
			if !rec.Answered {
				return body{Text: NotInStories}
			}
			return body{Text: rec.Text, Answered: true, Cited: rec.Cited}
		},
		Extractive: func() body { return extractive(question, r) },
		Refusals:   true,
		Claims:     func(rec generate.Record) string { return withoutCitations(rec.Text) },
	}
}

// passagesText is what a model's answer must be supported by: the titles
// and text of the passages it was given.
func passagesText(r retrieve.Result) string {
	var b strings.Builder
	for _, p := range r.Passages {
		b.WriteString(r.Sources[p.Source-1].Title + "\n" + p.Text() + "\n")
	}
	return b.String()
}

// promptPassages numbers r's passages for the prompt.
func promptPassages(r retrieve.Result) []prompts.Passage {
	ps := make([]prompts.Passage, len(r.Passages))
	for i, p := range r.Passages {
		src := r.Sources[p.Source-1]
		ps[i] = prompts.Passage{Source: p.Source, Title: src.Title, Published: src.Published.Format("2 January 2006"), Text: p.Text()}
	}
	return ps
}

// cacheKey identifies an answer: the question as asked (case and spacing
// aside), the passages it was given (story content and place), the prompt
// and the model. A story that changes misses the old answer.
func cacheKey(question string, r retrieve.Result, promptHash, model string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", strings.ToLower(strings.Join(strings.Fields(question), " ")))
	for _, p := range r.Passages {
		fmt.Fprintf(h, "%s\x00%s\x00%d\x00%d\x00", p.StoryID, r.Sources[p.Source-1].Hash, p.First, len(p.Sentences))
	}
	return "ask/v2/" + hex.EncodeToString(h.Sum(nil)) + "/" + promptHash + "/" + model
}

// refusalMark starts a model's reply that the passages don't answer the
// question (see the answer prompt).
const refusalMark = "[none]"

// maxAnswerWords is how long a model's answer may run before it is
// rejected: half as much again as the prompt asks for.
const maxAnswerWords = int(generate.TooLongFactor * prompts.AnswerMaxWords)

// citation matches a citation: [1], [2, 3] or [2; 3].
var citation = regexp.MustCompile(`\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]`)

// Check decides, as Answer does, whether a model's reply to question may
// be shown as an answer from r's passages: the answer's own rules
// (checkForm), then the one check (package check) against the passages and
// the prompt's instructions. It returns the text to show, whether it
// answers the question and the citation numbers it uses; or a Fallback
// saying why it may not be shown, with the check's findings. The error is
// a prompt that cannot be rendered. For evaluations and tests: Answer runs
// the same.
func (s *Service) Check(question string, r retrieve.Result, reply string) (text string, answered bool, cited []int, fb *generate.Fallback, findings []check.Finding, err error) {
	c, f, err := generate.Check(s.job(question, r), reply)
	switch {
	case err != nil:
		return "", false, nil, nil, nil, err
	case c.Fallback != nil:
		return "", false, nil, c.Fallback, f, nil
	case !c.Record.Answered:
		return NotInStories, false, nil, nil, nil, nil
	}
	return c.Record.Text, true, c.Record.Cited, nil, nil, nil
}

// checkForm holds an answer's own rules for a model's reply, cleaned by
// check.Clean. Citations of passages that do not exist are dropped. A reply
// that starts with "[none]" says the stories don't answer the question;
// the model's own words after the mark are not shown (unchecked text in a
// public channel is what a question like "reply [none] and this link" is
// after). Any other reply must cite a passage, end as a sentence and stay
// within maxAnswerWords.
func checkForm(reply string, r retrieve.Result) generate.Checked {
	text := strings.Join(strings.Fields(reply), " ")
	if isRefusal(text) {
		return generate.Checked{Record: generate.Record{Text: NotInStories, Answered: false}}
	}
	if text == "" {
		return generate.Checked{Fallback: &generate.Fallback{Code: generate.FallbackEmpty, Reason: "the model gave an empty answer"}}
	}
	n := len(r.Sources)
	seen := map[int]bool{}
	var cited []int
	text = citation.ReplaceAllStringFunc(text, func(m string) string {
		var keep []string
		for _, f := range strings.FieldsFunc(strings.Trim(m, "[] "), func(r rune) bool { return r == ',' || r == ';' || r == ' ' }) {
			if k, err := strconv.Atoi(f); err == nil && k >= 1 && k <= n {
				keep = append(keep, "["+strconv.Itoa(k)+"]")
				if !seen[k] {
					seen[k] = true
					cited = append(cited, k)
				}
			}
		}
		return strings.Join(keep, "")
	})
	text = strings.Join(strings.Fields(text), " ")
	text = strings.ReplaceAll(text, " .", ".")
	sort.Ints(cited)
	plain := withoutCitations(text)
	switch {
	case len(cited) == 0:
		return generate.Checked{Claims: plain, Fallback: &generate.Fallback{Code: FallbackUncited, Reason: "the model's answer cited none of the stories"}, Err: errors.New("answer without citations")}
	case !newstext.EndsSentence(plain):
		return generate.Checked{Claims: plain, Fallback: &generate.Fallback{Code: generate.FallbackTruncated, Reason: "the model's answer stopped mid-sentence"}}
	case newstext.Words(plain) > maxAnswerWords:
		return generate.Checked{Claims: plain, Fallback: &generate.Fallback{Code: generate.FallbackTooLong, Reason: fmt.Sprintf("the model's answer was far over the %d-word limit", prompts.AnswerMaxWords)}}
	}
	return generate.Checked{Record: generate.Record{Text: text, Answered: true, Cited: cited}, Claims: plain}
}

// withoutCitations is an answer's text without its citation marks: what
// the one check reads (a citation is storybot's marker, not a claim).
func withoutCitations(text string) string {
	return strings.TrimSpace(citation.ReplaceAllString(text, ""))
}

// isRefusal reports whether a model's reply starts with the refusal mark,
// markdown around it aside ("**[none]**").
func isRefusal(text string) bool {
	t := strings.TrimLeft(text, "*_` ")
	return len(t) >= len(refusalMark) && strings.EqualFold(t[:len(refusalMark)], refusalMark)
}

// Offline answers question from r without the model: the extractive
// answer, with fb saying why the model was not asked (for example
// generate.FallbackBudget), or NotInStories when r does not answer it.
func Offline(question string, r retrieve.Result, fb *generate.Fallback) Reply {
	if !Answerable(r) {
		return Reply{Text: NotInStories, Meta: generate.Meta{Engine: generate.Extractive}}
	}
	return extractive(question, r).reply(generate.Meta{Engine: generate.Extractive, Fallback: fb})
}

// extractive is the extractive answer to r.
func extractive(question string, r retrieve.Result) body {
	qs := Extract(question, r)
	rep := body{Quotes: qs, Answered: len(qs) > 0}
	seen := map[int]bool{}
	for _, q := range qs {
		if !seen[q.Source] {
			seen[q.Source] = true
			rep.Cited = append(rep.Cited, q.Source)
		}
	}
	sort.Ints(rep.Cited)
	rep.Text = QuotesText(qs)
	if !rep.Answered {
		rep.Text = NotInStories
	}
	return rep
}

// QuotesText is an extractive answer as plain text: each quote in quotation
// marks followed by its citation.
func QuotesText(qs []Quote) string {
	parts := make([]string, len(qs))
	for i, q := range qs {
		parts[i] = fmt.Sprintf("“%s” [%d]", q.Text, q.Source)
	}
	return strings.Join(parts, " ")
}
