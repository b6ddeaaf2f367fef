package summarize

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/newstext"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/store"
)

// Model is the language model a Service asks for summaries. *llm.Client
// satisfies it.
type Model interface {
	// Complete returns the model's whole answer to req.
	Complete(ctx context.Context, req llm.Request) (llm.Reply, error)
	// Model returns the configured model name; it is part of the cache key.
	Model() string
}

// Streamer is a Model that can also stream its answer; *llm.Client is one.
// onDelta gets each piece of text as it arrives.
type Streamer interface {
	Stream(ctx context.Context, req llm.Request, onDelta func(text string)) (llm.Reply, error)
}

// Cache keeps model-written summaries. *sqlite.DB and *postgres.DB satisfy
// it.
type Cache interface {
	// CachedSummary returns the summary stored under key and whether there
	// is one; a miss is not an error.
	CachedSummary(ctx context.Context, key string) (store.Summary, bool, error)
	// PutSummary stores s under key, replacing what was there.
	PutSummary(ctx context.Context, key string, s store.Summary) error
}

// KeyLocker is a Cache shared by several processes that can lock a key
// among them all; *postgres.DB is one. After a cache miss, a Service that
// has one takes the key's lock, reads the cache again (another process may
// have just written the summary), asks the model, stores the answer and
// unlocks: one model call per key at a time across processes, as
// singleflight gives within one.
type KeyLocker interface {
	// LockKey waits until key is free, takes it and returns the function
	// that frees it. It returns an error, holding nothing, when ctx ends
	// first.
	LockKey(ctx context.Context, key string) (unlock func(), err error)
}

// SharedCall runs call once for every concurrent caller with the same key
// in g, detached from ctx's cancellation (a caller that gives up does not
// fail the others) but bounded by deadline, and waits for it at most
// deadline. ok is false when the wait ran out, on deadline or on ctx's own;
// err is non-nil only when ctx was canceled.
func SharedCall[T any](ctx context.Context, g *singleflight.Group, key string, deadline time.Duration, call func(context.Context) T) (v T, ok bool, err error) {
	ch := g.DoChan(key, func() (any, error) {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), deadline)
		defer cancel()
		return call(cctx), nil
	})
	timer := time.NewTimer(deadline)
	defer timer.Stop()
	select {
	case res := <-ch:
		return res.Val.(T), true, nil
	case <-timer.C:
		return v, false, nil
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.Canceled) {
			return v, false, ctx.Err()
		}
		return v, false, nil
	}
}

// LockShared takes key's lock among processes when cache is a KeyLocker,
// before a model call whose answer will be cached under key. locked reports
// that the lock is held: read the cache again before calling the model,
// since another process may have written it meanwhile. Call unlock when the
// answer is stored (a no-op when nothing was locked). The error is non-nil
// only when ctx ended while waiting, that is, another process has been
// asking the model for as long as this call may take: fall back as on a
// timeout. A lock that fails otherwise is logged and the call goes on
// without it.
func LockShared(ctx context.Context, cache Cache, key string, log *slog.Logger) (locked bool, unlock func(), err error) {
	l, ok := cache.(KeyLocker)
	if !ok {
		return false, func() {}, nil
	}
	unlock, err = l.LockKey(ctx, key)
	switch {
	case err == nil:
		return true, unlock, nil
	case ctx.Err() != nil:
		return false, func() {}, fmt.Errorf("wait for another process's model call: %w", err)
	}
	log.Warn("cache key lock failed; asking the model without it", "err", err)
	return false, func() {}, nil
}

// Config configures a Service. Only Prompts is required.
type Config struct {
	// Prompts renders the summary prompt (prompts.Load; PROMPTS_DIR).
	Prompts *prompts.Set
	// Model writes summaries. Nil means the model is off: every summary is
	// extractive, with fallback code "off".
	Model Model
	// Timeout is the model's per-call timeout (llm.Config.Timeout,
	// LLM_TIMEOUT); zero means llm.DefaultTimeout. The model client enforces
	// it; the Service stops waiting Grace later whatever the client does, so
	// a summary is always there within Timeout + Grace.
	Timeout time.Duration
	// Grace is how long past Timeout the Service waits for a model call
	// before it falls back anyway; zero means DefaultGrace.
	Grace time.Duration
	// Cache keeps accepted model summaries. Nil means no cache.
	Cache Cache
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

// DefaultGrace is how long past the model's timeout a Service waits before
// it falls back regardless (see Config.Grace).
const DefaultGrace = 500 * time.Millisecond

// Service writes summaries: from the cache, else from the model under a
// deadline, else extractive. It is safe for concurrent use.
type Service struct {
	prompts *prompts.Set
	model   Model
	timeout time.Duration
	grace   time.Duration
	cache   Cache
	log     *slog.Logger
	obs     Observer
	flights singleflight.Group
}

// NewService returns a Service for cfg.
func NewService(cfg Config) *Service {
	if cfg.Timeout <= 0 {
		cfg.Timeout = llm.DefaultTimeout
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Service{
		prompts: cfg.Prompts,
		model:   cfg.Model,
		timeout: cfg.Timeout,
		grace:   cfg.Grace,
		cache:   cfg.Cache,
		log:     cfg.Log.With("component", "summarize"),
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
	// Draft, when set and the model can stream (Streamer), is called with
	// the answer so far, reasoning removed, each time it grows while this
	// call asks the model. A draft is not checked: it may yet be rejected,
	// so show it as a draft. Draft is not called for a cached summary, for
	// a call that shares another's model call, or after the model is done.
	// It runs on the model call's goroutine and must return quickly.
	Draft func(text string)
	// Offline, when set, keeps this call from the model and the cache: the
	// summary is the extractive one, with this Fallback saying why (a user
	// whose roles lack model access, a spent daily budget: FallbackNoAccess,
	// FallbackBudget).
	Offline *Fallback
}

// Engine names for a Summary written without a model.
const Extractive = "extractive"

// Summary is a summary and how it was made.
type Summary struct {
	Text  string
	Style Style
	// Engine is the model that wrote Text, as its server names it, or
	// Extractive.
	Engine string
	// Model is the configured model name, set even when the summary fell
	// back to the extractive one; empty when the model is off.
	Model string
	// Cached reports that Text came from the cache: no model call was made.
	Cached bool
	// Fallback says why the summary is extractive; nil when the model wrote it.
	Fallback *Fallback
	// Usage is the token count of the model call that wrote Text (for a
	// cached summary, the call that wrote it then), or of the call whose
	// answer was rejected; zero when no call was made, and when the server
	// reports no usage.
	Usage Usage
	// ModelAnswered reports that this call asked the model and a
	// completion came back (see ModelAnswered), whether it was accepted
	// or rejected: the call cost something, even when Usage is zero.
	// False for a cached summary and when the model failed or was not
	// asked.
	ModelAnswered bool
}

// Usage is a model call's token count, as the server reported it.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// Fallback says why a summary is extractive.
type Fallback struct {
	// Code is short and stable, for programs and metrics: one of the
	// Fallback… constants.
	Code string `json:"code"`
	// Reason is a sentence for people, with no detail from the server; for
	// a configuration problem it names the variable to fix.
	Reason string `json:"reason"`
	// Setting is the environment variable to fix when Code is FallbackConfig
	// (LLM_API_KEY, LLM_MODEL or LLM_BASE_URL), else empty.
	Setting string `json:"setting,omitempty"`
}

// Fallback codes.
const (
	FallbackOff         = "off"          // no model configured
	FallbackTimeout     = "timeout"      // no answer within the timeout
	FallbackBreakerOpen = "breaker-open" // the model failed repeatedly and is skipped for a while
	FallbackConfig      = "config"       // 401, 403 or 404: a setting is wrong (Fallback.Setting)
	FallbackUnreachable = "unreachable"  // no connection to the model server
	FallbackRateLimited = "rate-limited" // 429
	FallbackBusy        = "busy"         // storybot's own cap on model calls at once was reached
	FallbackServer      = "server-error" // 5xx, or an error inside a stream
	FallbackBadRequest  = "bad-request"  // another 4xx
	FallbackMalformed   = "malformed"    // a reply that is not the JSON promised
	FallbackEmpty       = "empty"        // no text once reasoning and preamble are removed
	FallbackTruncated   = "truncated"    // cut off by max_tokens or mid-sentence
	FallbackTooLong     = "too-long"     // far over the style's word budget
	FallbackUnfaithful  = "unfaithful"   // names, numbers or quotations not in the article
	FallbackError       = "error"        // anything else
	FallbackNoAccess    = "no-access"    // the server's settings keep this user from the model (Options.Offline)
	FallbackBudget      = "budget"       // the server's or user's daily model budget is spent (Options.Offline)
)

// ErrNoText is returned for a story with no words to summarize.
var ErrNoText = errors.New("the story has no text to summarize")

// Summarize returns a summary of in, in style. The order: the cache (unless
// o.Fresh), then the model, then, when the model is off, fails, times out,
// is skipped by its breaker or writes something the checks reject, the
// extractive summary with a Fallback saying why.
//
// The model's answer is cleaned (reasoning in <think> tags, a "Here is a
// summary:" preamble and extra white space removed), then rejected when empty,
// cut off, over TooLongFactor × the style's word budget, or unfaithful
// (see Unsupported); one a little over the budget is cut back to the whole
// sentences that fit. Only accepted answers are cached, so a model that
// recovers is used at the next request. Concurrent identical requests share
// one model call.
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
	if s.model == nil {
		s.log.Debug("extractive summary: the model is off", "story", in.ID, "style", style.String())
		return s.extractive(in, style, "", &Fallback{Code: FallbackOff, Reason: "no model is configured (LLM_MODE=off)"}, Usage{}), false, nil
	}
	model := s.model.Model()
	if o.Offline != nil {
		return s.extractive(in, style, model, o.Offline, Usage{}), false, nil
	}
	p, err := s.prompts.Summary(in.Title, in.Body, style.String())
	if err != nil {
		return s.fallback(in, style, model, &Fallback{Code: FallbackError, Reason: "the summary prompt could not be rendered (check PROMPTS_DIR)"}, Usage{}, err), false, nil
	}
	if in.Hash == "" {
		in.Hash = article.Article{Title: in.Title, Body: in.Body}.ContentHash()
	}
	key := CacheKey(in.Hash, style, p.Hash, model)
	if !o.Fresh && s.cache != nil {
		checked = true
		if sum, ok := s.lookup(ctx, key, in.ID); ok {
			sum.Style = style
			sum.Model = model
			return sum, checked, nil
		}
	}

	// The call runs detached from ctx's cancellation, so a caller that
	// gives up does not fail the others waiting on the same call; it is
	// still bounded by the timeout and the grace period.
	deadline := s.timeout + s.grace
	flightKey := key
	if o.Fresh {
		flightKey += "\x00fresh"
	}
	r, ok, err := SharedCall(ctx, &s.flights, flightKey, deadline, func(fctx context.Context) result {
		return s.generate(fctx, in, style, p, key, o.Fresh, o.Draft)
	})
	switch {
	case err != nil:
		return Summary{}, checked, fmt.Errorf("summarize %s: %w", in.ID, err)
	case !ok && ctx.Err() != nil:
		r = result{fb: &Fallback{Code: FallbackTimeout, Reason: "the model did not answer in time"}, err: ctx.Err()}
	case !ok:
		r = result{fb: &Fallback{Code: FallbackTimeout, Reason: "the model did not answer in time"},
			err: fmt.Errorf("no answer %v after the model's %v timeout", s.grace, s.timeout)}
	}
	if r.fb != nil {
		sum := s.fallback(in, style, model, r.fb, r.usage, r.err, r.findings...)
		sum.ModelAnswered = r.answered
		return sum, checked, nil
	}
	r.sum.Style, r.sum.Model = style, model
	return r.sum, checked, nil
}

// CacheKey returns the summary cache key for an article with the given
// content hash, summarized in style with the prompt whose hash is promptHash
// (prompts.Prompt.Hash) by model (the configured name). A change to any of
// them misses the old entry. The key is readable ("v1/standard/HASH/HASH/gpt-4o-mini"),
// unambiguous (only the model, last, may hold a slash) and versioned.
func CacheKey(contentHash string, style Style, promptHash, model string) string {
	return "v1/" + style.String() + "/" + contentHash + "/" + promptHash + "/" + model
}

// result is the outcome of one model call, shared by everyone waiting on it.
type result struct {
	sum      Summary   // when accepted
	fb       *Fallback // when not
	usage    Usage
	answered bool      // a completion came back (ModelAnswered)
	err      error     // for the log
	findings []Finding // for the log, when unfaithful
}

// generate asks the model, checks the answer and caches it when accepted.
func (s *Service) generate(ctx context.Context, in Input, style Style, p prompts.Prompt, key string, fresh bool, draft func(string)) result {
	if !fresh {
		// Another call may have stored it since this one looked.
		if sum, ok := s.lookup(ctx, key, in.ID); ok {
			return result{sum: sum}
		}
	}
	locked, unlock, err := LockShared(ctx, s.cache, key, s.log.With("story", in.ID))
	if err != nil {
		return result{fb: &Fallback{Code: FallbackTimeout, Reason: "the model did not answer in time"}, err: err}
	}
	defer unlock()
	if locked && !fresh {
		// Another process may have stored it while this one waited.
		if sum, ok := s.lookup(ctx, key, in.ID); ok {
			return result{sum: sum}
		}
	}
	req := llm.Request{System: p.System, User: p.User}
	var rep llm.Reply
	if st, ok := s.model.(Streamer); ok && draft != nil {
		var text strings.Builder
		rep, err = st.Stream(ctx, req, func(delta string) {
			text.WriteString(delta)
			if d := strings.TrimSpace(StripThink(text.String())); d != "" {
				draft(d)
			}
		})
	} else {
		rep, err = s.model.Complete(ctx, req)
	}
	usage := Usage{PromptTokens: rep.Usage.PromptTokens, CompletionTokens: rep.Usage.CompletionTokens}
	if err != nil {
		return result{fb: FallbackFor(err), usage: usage, answered: ModelAnswered(err), err: err}
	}
	text, fb, findings := Check(rep.Text, in.Title+"\n"+in.Body, style)
	if fb != nil {
		return result{fb: fb, usage: usage, answered: true, findings: findings}
	}
	engine := rep.Model
	if engine == "" {
		engine = s.model.Model()
	}
	sum := Summary{Text: text, Engine: engine, Usage: usage, ModelAnswered: true}
	if s.cache != nil {
		err := s.cache.PutSummary(ctx, key, store.Summary{Text: text, Model: engine, PromptTokens: usage.PromptTokens, CompletionTokens: usage.CompletionTokens})
		if err != nil {
			s.log.Warn("summary cache write failed", "story", in.ID, "err", err)
		}
	}
	return result{sum: sum}
}

// lookup reads the cache; a failing cache is logged and treated as a miss.
func (s *Service) lookup(ctx context.Context, key, id string) (Summary, bool) {
	if s.cache == nil {
		return Summary{}, false
	}
	c, ok, err := s.cache.CachedSummary(ctx, key)
	if err != nil {
		s.log.Warn("summary cache read failed", "story", id, "err", err)
		return Summary{}, false
	}
	if !ok {
		return Summary{}, false
	}
	return Summary{
		Text:   c.Text,
		Engine: c.Model,
		Cached: true,
		Usage:  Usage{PromptTokens: c.PromptTokens, CompletionTokens: c.CompletionTokens},
	}, true
}

// Check cleans a model's reply and decides whether it may be shown as a
// summary of source (the article's title and text) in style. It returns the
// text to show, or a Fallback saying why not (with the faithfulness findings
// when that is the reason). See Service.Summarize for the rules.
func Check(reply, source string, style Style) (string, *Fallback, []Finding) {
	text := clean(reply)
	if text == "" {
		return "", &Fallback{Code: FallbackEmpty, Reason: "the model gave an empty answer"}, nil
	}
	if !endsSentence(text) {
		return "", &Fallback{Code: FallbackTruncated, Reason: "the model's answer stopped mid-sentence"}, nil
	}
	// The whole answer is checked before any cut: a model that invented
	// something in its last sentence is not trusted with the first.
	if f := Unsupported(text, source); len(f) > 0 {
		return "", &Fallback{Code: FallbackUnfaithful, Reason: "the model's answer had names, numbers or quotations that are not in the story"}, f
	}
	text, ok := fitBudget(text, style.Budget().MaxWords)
	if !ok {
		return "", &Fallback{Code: FallbackTooLong, Reason: fmt.Sprintf("the model's answer was far over the %d-word limit", style.Budget().MaxWords)}, nil
	}
	return text, nil, nil
}

// ModelAnswered reports whether a model call that returned err got a
// completion back from the server, whatever it was worth: err is nil, or
// says the reply was empty, cut short or malformed. Such a call is one
// the server may charge for, whether or not it reported its token usage;
// one that failed before any answer (a timeout, no connection, an error
// status, the breaker or storybot's own cap) is not.
func ModelAnswered(err error) bool {
	if err == nil {
		return true
	}
	var e *llm.Error
	return errors.As(err, &e) && (e.Kind == llm.Empty || e.Kind == llm.Truncated || e.Kind == llm.Malformed)
}

// FallbackFor turns a model error into a Fallback saying why the model's
// answer could not be used.
func FallbackFor(err error) *Fallback {
	var e *llm.Error
	if !errors.As(err, &e) {
		if errors.Is(err, context.DeadlineExceeded) {
			return &Fallback{Code: FallbackTimeout, Reason: "the model did not answer in time"}
		}
		return &Fallback{Code: FallbackError, Reason: "the model call failed"}
	}
	fb := &Fallback{Reason: e.Reason(), Setting: e.Kind.Setting()}
	switch e.Kind {
	case llm.Timeout, llm.Canceled:
		// Canceled here means the Service's own deadline ended the call.
		fb.Code = FallbackTimeout
		fb.Reason = "the model did not answer in time"
	case llm.BreakerOpen:
		fb.Code = FallbackBreakerOpen
	case llm.Auth, llm.UnknownModel, llm.BadEndpoint:
		fb.Code = FallbackConfig
	case llm.Unreachable:
		fb.Code = FallbackUnreachable
	case llm.RateLimited:
		fb.Code = FallbackRateLimited
	case llm.Busy:
		fb.Code = FallbackBusy
	case llm.Server:
		fb.Code = FallbackServer
	case llm.BadRequest:
		fb.Code = FallbackBadRequest
	case llm.Malformed:
		fb.Code = FallbackMalformed
	case llm.Empty:
		fb.Code = FallbackEmpty
	case llm.Truncated:
		fb.Code = FallbackTruncated
	default:
		fb.Code = FallbackError
	}
	return fb
}

// fallback logs why and returns the extractive summary.
func (s *Service) fallback(in Input, style Style, model string, fb *Fallback, usage Usage, err error, findings ...Finding) Summary {
	attrs := []any{"story", in.ID, "style", style.String(), "model", model, "reason", fb.Code}
	if fb.Setting != "" {
		attrs = append(attrs, "setting", fb.Setting)
	}
	if len(findings) > 0 {
		fs := make([]string, len(findings))
		for i, f := range findings {
			fs[i] = f.String()
		}
		attrs = append(attrs, "unsupported", strings.Join(fs, ", "))
	}
	var e *llm.Error
	switch {
	case errors.As(err, &e) && e.Kind == llm.Auth:
		// The server's message may echo part of the key.
		attrs = append(attrs, "status", e.Status)
	case err != nil:
		attrs = append(attrs, "err", err.Error())
	}
	attrs = append(attrs, "detail", fb.Reason)
	s.log.Warn("summary fell back to extractive", attrs...)
	return s.extractive(in, style, model, fb, usage)
}

func (s *Service) extractive(in Input, style Style, model string, fb *Fallback, usage Usage) Summary {
	return Summary{
		Text:     strings.Join(Extract(in.Title, in.Body, style), " "),
		Style:    style,
		Engine:   Extractive,
		Model:    model,
		Fallback: fb,
		Usage:    usage,
	}
}
