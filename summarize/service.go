package summarize

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/check"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/newstext"
	"github.com/storybot/storybot/prompts"
)

// Config configures a Service. Only Prompts is required.
type Config struct {
	// Prompts renders the summary prompt (prompts.Load; PROMPTS_DIR).
	Prompts *prompts.Set
	// Model writes summaries. Nil means the model is off: every summary is
	// extractive, with fallback code "off".
	Model llm.Model
	// Timeout is the model's per-call timeout (llm.Config.Timeout,
	// LLM_TIMEOUT); zero means llm.DefaultTimeout. The model client enforces
	// it; the Service stops waiting Grace later whatever the client does, so
	// a summary is always there within Timeout + Grace.
	Timeout time.Duration
	// Grace is how long past Timeout the Service waits for a model call
	// before it falls back anyway; zero means DefaultGrace.
	Grace time.Duration
	// Cache keeps accepted model summaries. Nil means no cache.
	Cache generate.Cache
	// Log receives one Warn record per fallback (default slog.Default()),
	// with attribute component=summarize. It never gets the prompt, the
	// article or an API key.
	Log *slog.Logger
	// Observer is told how each summary was made, for metrics. Nil means
	// none.
	Observer Observer
}

// Observer is told how each summary was made. metrics.Metrics satisfies it.
type Observer interface {
	// ObserveSummary is called once for every Summarize call that returns a
	// summary, when it is done. It must return quickly and must not call
	// back into the Service.
	ObserveSummary(o Observation)
}

// Observation is one finished Summarize call.
type Observation struct {
	// Summary is what Summarize returned.
	Summary Summary
	// Duration is how long the call took, cache lookup and model call
	// included.
	Duration time.Duration
	// CacheChecked reports that the cache was read for this call: a hit
	// when Summary.Cached, else a miss. It is false when there is no cache
	// or no model, and with Options.Fresh.
	CacheChecked bool
}

// Service writes summaries: from the cache, else from the model under a
// deadline, else extractive. It is safe for concurrent use.
type Service struct {
	prompts *prompts.Set
	kernel  *generate.Kernel
	log     *slog.Logger
	obs     Observer
}

// NewService returns a Service for cfg.
func NewService(cfg Config) *Service {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	log := cfg.Log.With("component", "summarize")
	return &Service{
		prompts: cfg.Prompts,
		kernel:  generate.New(generate.Config{Model: cfg.Model, Timeout: cfg.Timeout, Grace: cfg.Grace, Cache: cfg.Cache, Log: log}),
		log:     log,
		obs:     cfg.Observer,
	}
}

// Input is the story to summarize.
type Input struct {
	ID    string // for log lines only
	Title string
	Body  string // one paragraph a line
	// Hash is the article's content hash (article.Article.ContentHash,
	// store.Story.Hash), the cache key's first part. Computed when empty.
	Hash string
}

// Options change one Summarize call.
type Options struct {
	// Fresh skips the cache lookup and asks the model again; an accepted
	// answer still replaces the cached one.
	Fresh bool
	// Draft, when set and the model can stream (llm.Streamer), is called
	// while the model writes with the summary so far that has passed every
	// check, whole sentences only (generate.Job.Draft). The final summary
	// may still fall back. It runs on the model call's goroutine and must
	// return quickly.
	Draft func(text string)
	// Offline, when set, keeps this call from the model and the cache: the
	// summary is the extractive one, with this Fallback saying why (a user
	// whose roles lack model access, a spent daily budget: FallbackNoAccess,
	// FallbackBudget).
	Offline *generate.Fallback
}

// Summary is a summary and how it was made.
type Summary struct {
	Text  string
	Style Style
	generate.Meta
}

// ErrNoText is returned for a story with no words to summarize.
var ErrNoText = errors.New("the story has no text to summarize")

// Summarize returns a summary of in, in style. The order: the cache (unless
// o.Fresh), then the model, then, when the model is off, fails, times out,
// is skipped by its breaker or writes something the checks reject, the
// extractive summary with a Fallback saying why.
//
// The model's answer is cleaned (reasoning in <think> tags, a "Here is a
// summary:" preamble and extra white space removed), then rejected when
// empty, cut off or over generate.TooLongFactor × the style's word budget, or when
// the one check finds in it a name, number or quotation the story lacks,
// an echo of the prompt, or a link or mention the story lacks (package
// check); one a little over the budget is cut back to the whole sentences
// that fit. Only accepted answers are cached, so a model that recovers is
// used at the next request. Concurrent identical requests share one model
// call (generate.Run).
//
// It returns within the model's timeout plus the grace period. The error is
// non-nil only for an invalid style, a story without text, or ctx canceled.
// Each call that returns a summary is reported to Config.Observer.
func (s *Service) Summarize(ctx context.Context, in Input, style Style, o Options) (Summary, error) {
	if s.obs == nil {
		sum, _, err := s.summarize(ctx, in, style, o)
		return sum, err
	}
	start := time.Now()
	sum, checked, err := s.summarize(ctx, in, style, o)
	if err == nil {
		s.obs.ObserveSummary(Observation{Summary: sum, Duration: time.Since(start), CacheChecked: checked})
	}
	return sum, err
}

// summarize is Summarize; checked reports that the cache was read.
func (s *Service) summarize(ctx context.Context, in Input, style Style, o Options) (sum Summary, checked bool, err error) {
	if style < Brief || style > Detailed {
		return Summary{}, false, fmt.Errorf("summarize %s: invalid style %v", in.ID, style)
	}
	if newstext.Words(in.Body) == 0 {
		return Summary{}, false, fmt.Errorf("summarize %s: %w", in.ID, ErrNoText)
	}
	out, err := generate.Run(ctx, s.kernel, s.job(in, style, o))
	if err != nil {
		return Summary{}, false, fmt.Errorf("summarize %s: %w", in.ID, err)
	}
	return Summary{Text: out.Value, Style: style, Meta: out.Meta}, out.CacheChecked, nil
}

// job is a summary of in in style as the kernel makes it.
func (s *Service) job(in Input, style Style, o Options) generate.Job[string] {
	if in.Hash == "" {
		in.Hash = article.Article{Title: in.Title, Body: in.Body}.ContentHash()
	}
	return generate.Job[string]{
		Name: "summary",
		Log:  s.log.With("story", in.ID, "style", style.String()),
		Prompt: func() (prompts.Prompt, error) {
			return s.prompts.Summary(in.Title, in.Body, style.String())
		},
		Key: func(p prompts.Prompt, model string) string {
			return CacheKey(in.Hash, style, p.Hash, model)
		},
		Source:     in.Title + "\n" + in.Body,
		SourceName: "the story",
		Check:      func(reply string) generate.Checked { return checkForm(reply, style) },
		Result:     func(r generate.Record) string { return r.Text },
		Extractive: func() string { return strings.Join(Extract(in.Title, in.Body, style), " ") },
		Fresh:      o.Fresh,
		Draft:      o.Draft,
		Offline:    o.Offline,
	}
}

// CacheKey returns the summary cache key for an article with the given
// content hash, summarized in style with the prompt whose hash is promptHash
// (prompts.Prompt.Hash) by model (the configured name). A change to any of
// them misses the old entry. The key is readable ("v1/standard/HASH/HASH/gpt-4o-mini"),
// unambiguous (only the model, last, may hold a slash) and versioned.
func CacheKey(contentHash string, style Style, promptHash, model string) string {
	return "v1/" + style.String() + "/" + contentHash + "/" + promptHash + "/" + model
}

// Check decides, as Summarize does, whether a model's reply may be shown
// as a summary of in in style: the summary's own rules (checkForm), then
// the one check (package check) against the story and the prompt's
// instructions. It returns the text to show, or a Fallback saying why not
// with the check's findings; the error is a prompt that cannot be
// rendered. For evaluations and benchmarks: Summarize runs the same.
func (s *Service) Check(in Input, style Style, reply string) (string, *generate.Fallback, []check.Finding, error) {
	c, f, err := generate.Check(s.job(in, style, Options{}), reply)
	if err != nil {
		return "", nil, nil, err
	}
	if c.Fallback != nil {
		return "", c.Fallback, f, nil
	}
	return c.Record.Text, nil, nil, nil
}

// checkForm holds a summary's own rules for a model's reply, cleaned by
// check.Clean: preamble and extra white space removed, then rejected when
// empty, cut off, or over generate.TooLongFactor × the style's word budget; one a
// little over the budget is cut back to the whole sentences that fit. The
// whole reply is what the one check must accept (Checked.Claims), so a
// model that invented something in a sentence that is cut is not trusted
// with the rest.
func checkForm(reply string, style Style) generate.Checked {
	text := clean(reply)
	if text == "" {
		return generate.Checked{Fallback: &generate.Fallback{Code: generate.FallbackEmpty, Reason: "the model gave an empty answer"}}
	}
	if !newstext.EndsSentence(text) {
		return generate.Checked{Claims: text, Fallback: &generate.Fallback{Code: generate.FallbackTruncated, Reason: "the model's answer stopped mid-sentence"}}
	}
	cut, ok := fitBudget(text, style.Budget().MaxWords)
	if !ok {
		return generate.Checked{Claims: text, Fallback: &generate.Fallback{Code: generate.FallbackTooLong, Reason: fmt.Sprintf("the model's answer was far over the %d-word limit", style.Budget().MaxWords)}}
	}
	return generate.Checked{Record: generate.Record{Text: cut, Answered: true}, Claims: text}
}
