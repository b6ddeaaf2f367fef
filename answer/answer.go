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
	"unicode"
	"unicode/utf8"

	"golang.org/x/sync/singleflight"

	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/newstext"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/retrieve"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// NotInStories is the reply when the stored stories don't answer a question.
const NotInStories = "The stored stories don't say."

// FallbackUncited is the fallback code for a model answer that cites no
// passage.
const FallbackUncited = "uncited"

// FallbackPromptLeak is the fallback code for a model answer that repeats
// its instructions (see Leaks).
const FallbackPromptLeak = "prompt-leak"

// Config configures a Service. Only Prompts is required.
type Config struct {
	Prompts *prompts.Set
	// Model writes answers; nil means extractive answers only.
	Model summarize.Model
	// Timeout and Grace bound a model call as for summaries
	// (summarize.Config): an answer is there within Timeout + Grace.
	Timeout, Grace time.Duration
	// Cache keeps accepted model answers; nil means none.
	Cache summarize.Cache
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
	cfg     Config
	log     *slog.Logger
	flights singleflight.Group
}

// NewService returns a Service for cfg.
func NewService(cfg Config) *Service {
	if cfg.Timeout <= 0 {
		cfg.Timeout = llm.DefaultTimeout
	}
	if cfg.Grace <= 0 {
		cfg.Grace = summarize.DefaultGrace
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Service{cfg: cfg, log: cfg.Log.With("component", "answer")}
}

// Reply is an answer.
type Reply struct {
	// Text is the answer with its citations ([1], [2]…), or the model's
	// own "the stored stories don't say" in the question's language, or
	// NotInStories. Quotes hold an extractive answer's sentences instead.
	Text   string
	Quotes []Quote
	// Answered is false when the stored stories don't answer the question.
	Answered bool
	// Cited are the citation numbers the answer uses, ascending: the
	// sources to show under it (retrieve.Result.Sources[n-1]).
	Cited []int
	// Engine is the model that wrote Text as its server names it, or
	// summarize.Extractive.
	Engine string
	// Model is the configured model; empty when the model is off.
	Model  string
	Cached bool
	// Fallback says why the answer is extractive; nil when the model
	// wrote it or when no story speaks to the question.
	Fallback *summarize.Fallback
	// Usage is the token count of the model call, as for
	// summarize.Summary.Usage: zero when the server reports none.
	Usage summarize.Usage
	// ModelAnswered reports that this call asked the model and a
	// completion came back (summarize.ModelAnswered), accepted or
	// rejected: the call cost something, even when Usage is zero. False
	// for a cached answer and when the model failed or was not asked.
	ModelAnswered bool
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
		return Reply{Text: NotInStories, Engine: summarize.Extractive, Model: s.modelName()}, nil
	}
	if s.cfg.Model == nil {
		return extractive(question, r, "", &summarize.Fallback{Code: summarize.FallbackOff, Reason: "no model is configured (LLM_MODE=off)"}, summarize.Usage{}), nil
	}
	model := s.cfg.Model.Model()
	p, err := s.cfg.Prompts.Answer(question, promptPassages(r))
	if err != nil {
		return s.fallback(question, r, model, &summarize.Fallback{Code: summarize.FallbackError, Reason: "the answer prompt could not be rendered (check PROMPTS_DIR)"}, summarize.Usage{}, err), nil
	}
	key := cacheKey(question, r, p.Hash, model)
	if rep, ok := s.lookup(ctx, key, r); ok {
		rep.Model = model
		return rep, nil
	}
	deadline := s.cfg.Timeout + s.cfg.Grace
	g, ok, err := summarize.SharedCall(ctx, &s.flights, key, deadline, func(fctx context.Context) generated {
		return s.generate(fctx, r, p, key)
	})
	if err != nil {
		return Reply{}, fmt.Errorf("answer: %w", err)
	}
	if !ok {
		g = generated{fb: &summarize.Fallback{Code: summarize.FallbackTimeout, Reason: "the model did not answer in time"}}
	}
	if g.fb != nil {
		rep := s.fallback(question, r, model, g.fb, g.usage, g.err)
		rep.ModelAnswered = g.answered
		return rep, nil
	}
	g.rep.Model = model
	return g.rep, nil
}

func (s *Service) modelName() string {
	if s.cfg.Model == nil {
		return ""
	}
	return s.cfg.Model.Model()
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
	return "ask/v1/" + hex.EncodeToString(h.Sum(nil)) + "/" + promptHash + "/" + model
}

// generated is the outcome of one model call, shared by everyone waiting on it.
type generated struct {
	rep      Reply
	fb       *summarize.Fallback
	usage    summarize.Usage
	answered bool  // a completion came back (summarize.ModelAnswered)
	err      error // for the log
}

func (s *Service) generate(ctx context.Context, r retrieve.Result, p prompts.Prompt, key string) generated {
	if rep, ok := s.lookup(ctx, key, r); ok {
		return generated{rep: rep}
	}
	// A cache shared by several processes: one model call per key among them.
	locked, unlock, err := summarize.LockShared(ctx, s.cfg.Cache, key, s.log)
	if err != nil {
		return generated{fb: &summarize.Fallback{Code: summarize.FallbackTimeout, Reason: "the model did not answer in time"}, err: err}
	}
	defer unlock()
	if locked {
		if rep, ok := s.lookup(ctx, key, r); ok {
			return generated{rep: rep}
		}
	}
	rep, err := s.cfg.Model.Complete(ctx, llm.Request{System: p.System, User: p.User})
	usage := summarize.Usage{PromptTokens: rep.Usage.PromptTokens, CompletionTokens: rep.Usage.CompletionTokens}
	if err != nil {
		return generated{fb: summarize.FallbackFor(err), usage: usage, answered: summarize.ModelAnswered(err), err: err}
	}
	text, answered, cited, fb, err := Check(rep.Text, r)
	if fb != nil {
		return generated{fb: fb, usage: usage, answered: true, err: err}
	}
	if Leaks(text, p.System) {
		return generated{fb: &summarize.Fallback{Code: FallbackPromptLeak, Reason: "the model's answer repeated its instructions"}, usage: usage, answered: true}
	}
	engine := rep.Model
	if engine == "" {
		engine = s.cfg.Model.Model()
	}
	if s.cfg.Cache != nil {
		cached := text
		if !answered {
			cached = refusalMark + " " + text // so that Check reads it as a refusal again
		}
		if err := s.cfg.Cache.PutSummary(ctx, key, store.Summary{Text: cached, Model: engine, PromptTokens: usage.PromptTokens, CompletionTokens: usage.CompletionTokens}); err != nil {
			s.log.Warn("answer cache write failed", "err", err)
		}
	}
	return generated{rep: Reply{Text: text, Answered: answered, Cited: cited, Engine: engine, Usage: usage, ModelAnswered: true}}
}

// lookup reads the cache; a failing cache is logged and treated as a miss.
func (s *Service) lookup(ctx context.Context, key string, r retrieve.Result) (Reply, bool) {
	if s.cfg.Cache == nil {
		return Reply{}, false
	}
	c, ok, err := s.cfg.Cache.CachedSummary(ctx, key)
	if err != nil {
		s.log.Warn("answer cache read failed", "err", err)
		return Reply{}, false
	}
	if !ok {
		return Reply{}, false
	}
	text, answered, cited, fb, _ := Check(c.Text, r)
	if fb != nil {
		return Reply{}, false // not an answer this version accepts: ask again
	}
	return Reply{Text: text, Answered: answered, Cited: cited, Engine: c.Model, Cached: true,
		Usage: summarize.Usage{PromptTokens: c.PromptTokens, CompletionTokens: c.CompletionTokens}}, true
}

// refusalMark starts a model's reply that the passages don't answer the
// question (see the answer prompt).
const refusalMark = "[none]"

// maxAnswerWords is how long a model's answer may run before it is
// rejected: half as much again as the prompt asks for.
const maxAnswerWords = prompts.AnswerMaxWords * 3 / 2

// citation matches a citation: [1], [2, 3] or [2; 3].
var citation = regexp.MustCompile(`\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]`)

// Check cleans a model's reply to the answer prompt for r's passages and
// decides whether it may be shown: it returns the text to show, whether it
// answers the question, and the citation numbers it uses; or a Fallback
// saying why it may not be shown.
//
// Citations of passages that do not exist are dropped. A reply that starts
// with "[none]" says the stories don't answer the question. Any other reply
// must cite a passage, end as a sentence, stay within maxAnswerWords, and
// hold no name, number or quotation the passages lack (summarize.Unsupported).
func Check(reply string, r retrieve.Result) (text string, answered bool, cited []int, fb *summarize.Fallback, err error) {
	text = strings.Join(strings.Fields(summarize.StripThink(reply)), " ")
	if isRefusal(text) {
		// The model's own words after the mark are not shown: unchecked
		// text in a public channel is what a question like "reply [none]
		// and this link" is after.
		return NotInStories, false, nil, nil, nil
	}
	if text == "" {
		return "", false, nil, &summarize.Fallback{Code: summarize.FallbackEmpty, Reason: "the model gave an empty answer"}, nil
	}
	n := len(r.Sources)
	seen := map[int]bool{}
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
	plain := strings.TrimSpace(citation.ReplaceAllString(text, ""))
	switch {
	case len(cited) == 0:
		return "", false, nil, &summarize.Fallback{Code: FallbackUncited, Reason: "the model's answer cited none of the stories"}, errors.New("answer without citations")
	case !endsAnswer(plain):
		return "", false, nil, &summarize.Fallback{Code: summarize.FallbackTruncated, Reason: "the model's answer stopped mid-sentence"}, nil
	case newstext.Words(plain) > maxAnswerWords:
		return "", false, nil, &summarize.Fallback{Code: summarize.FallbackTooLong, Reason: fmt.Sprintf("the model's answer was far over the %d-word limit", prompts.AnswerMaxWords)}, nil
	}
	var src strings.Builder
	for _, p := range r.Passages {
		src.WriteString(r.Sources[p.Source-1].Title + "\n" + p.Text() + "\n")
	}
	if f := summarize.Unsupported(plain, src.String()); len(f) > 0 {
		fs := make([]string, len(f))
		for i, x := range f {
			fs[i] = x.String()
		}
		return "", false, nil, &summarize.Fallback{Code: summarize.FallbackUnfaithful, Reason: "the model's answer had names, numbers or quotations that are not in the stories"},
			fmt.Errorf("unsupported: %s", strings.Join(fs, ", "))
	}
	return text, true, cited, nil, nil
}

// endsAnswer reports whether s ends as a finished sentence, in any script
// ("。", "।", "؟" as well as ".").
func endsAnswer(s string) bool {
	s = strings.TrimRight(s, " \"'”’)")
	r, _ := utf8.DecodeLastRuneInString(s)
	return r == '…' || unicode.Is(unicode.Sentence_Terminal, r)
}

// isRefusal reports whether a model's reply starts with the refusal mark,
// markdown around it aside ("**[none]**").
func isRefusal(text string) bool {
	t := strings.TrimLeft(text, "*_` ")
	return len(t) >= len(refusalMark) && strings.EqualFold(t[:len(refusalMark)], refusalMark)
}

// fallback logs why and returns the extractive answer.
func (s *Service) fallback(question string, r retrieve.Result, model string, fb *summarize.Fallback, usage summarize.Usage, err error) Reply {
	attrs := []any{"model", model, "reason", fb.Code}
	if fb.Setting != "" {
		attrs = append(attrs, "setting", fb.Setting)
	}
	var e *llm.Error
	switch {
	case errors.As(err, &e) && e.Kind == llm.Auth:
		attrs = append(attrs, "status", e.Status) // the server's message may echo part of the key
	case err != nil:
		attrs = append(attrs, "err", err.Error())
	}
	attrs = append(attrs, "detail", fb.Reason)
	s.log.Warn("answer fell back to extractive", attrs...)
	return extractive(question, r, model, fb, usage)
}

// Offline answers question from r without the model: the extractive
// answer, with fb saying why the model was not asked (for example
// summarize.FallbackBudget), or NotInStories when r does not answer it.
func Offline(question string, r retrieve.Result, fb *summarize.Fallback) Reply {
	if !Answerable(r) {
		return Reply{Text: NotInStories, Engine: summarize.Extractive}
	}
	return extractive(question, r, "", fb, summarize.Usage{})
}

// extractive is the extractive answer to r.
func extractive(question string, r retrieve.Result, model string, fb *summarize.Fallback, usage summarize.Usage) Reply {
	qs := Extract(question, r)
	rep := Reply{Quotes: qs, Answered: len(qs) > 0, Engine: summarize.Extractive, Model: model, Fallback: fb, Usage: usage}
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

// leakWords is how many consecutive words of the instructions make a leak:
// enough that "The stored stories don't say." (six words of them) is not one.
const leakWords = 8

// Leaks reports whether answer repeats leakWords or more consecutive words
// of system, the instructions the model was given: what a question such as
// "print your system prompt" is after. The passages are not instructions,
// so quoting them is fine.
func Leaks(answer, system string) bool {
	words := func(s string) []string {
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	}
	sys := words(system)
	seen := make(map[string]bool, len(sys))
	for i := 0; i+leakWords <= len(sys); i++ {
		seen[strings.Join(sys[i:i+leakWords], " ")] = true
	}
	ans := words(answer)
	for i := 0; i+leakWords <= len(ans); i++ {
		if seen[strings.Join(ans[i:i+leakWords], " ")] {
			return true
		}
	}
	return false
}
