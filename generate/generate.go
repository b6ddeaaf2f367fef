// Package generate is storybot's one way to ask the model for text: a
// cached, single-flight, cross-replica-locked, deadline-bound model call
// whose reply passes the one check (package check) before anyone sees it,
// with the product's own extractive result whenever the model is off,
// failing, slow or not to be trusted.
//
// A product (a summary, an answer, …) supplies a Job: its prompt, its cache
// key, the source its text must be supported by, its own rules for the
// reply's form (Job.Check), and its extractive result. Run does the rest
// and returns the product's value with a Meta saying how it was made. The
// order: the cache, then the model under a deadline, then the extractive
// result with a Fallback saying why. Only accepted records are cached, as
// structured records (text, answered or not, citations, usage), so a model
// that recovers is used at the next request; identical requests in flight
// share one model call, and replicas sharing a cache that can lock a key
// (KeyLocker) share one among them.
package generate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/storybot/storybot/check"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/store"
)

// Cache keeps accepted model records. *sqlite.DB and *postgres.DB satisfy
// it.
type Cache interface {
	// CachedSummary returns the record stored under key and whether there
	// is one; a miss is not an error.
	CachedSummary(ctx context.Context, key string) (store.Summary, bool, error)
	// PutSummary stores r under key, replacing what was there.
	PutSummary(ctx context.Context, key string, r store.Summary) error
}

// KeyLocker is a Cache shared by several processes that can lock a key
// among them all; *postgres.DB is one. After a cache miss, the kernel takes
// the key's lock, reads the cache again (another process may have just
// written the record), asks the model, stores the answer and unlocks: one
// model call per key at a time across processes, as singleflight gives
// within one.
type KeyLocker interface {
	// LockKey waits until key is free, takes it and returns the function
	// that frees it. It returns an error, holding nothing, when ctx ends
	// first.
	LockKey(ctx context.Context, key string) (unlock func(), err error)
}

// DefaultGrace is how long past the model's timeout the kernel waits before
// it falls back regardless (see Config.Grace).
const DefaultGrace = 500 * time.Millisecond

// Config configures a Kernel. Everything is optional.
type Config struct {
	// Model writes the text. Nil means the model is off: every result is
	// extractive, with fallback code "off".
	Model llm.Model
	// Timeout is the model's per-call timeout (llm.Config.Timeout); zero
	// means llm.DefaultTimeout. The model client enforces it; the kernel
	// stops waiting Grace later whatever the client does, so a result is
	// always there within Timeout + Grace.
	Timeout time.Duration
	// Grace is how long past Timeout the kernel waits for a model call
	// before it falls back anyway; zero means DefaultGrace.
	Grace time.Duration
	// Cache keeps accepted records. Nil means no cache.
	Cache Cache
	// Log receives one Warn record per fallback (default slog.Default()),
	// unless a Job brings its own. It never gets the prompt, the sources
	// or an API key.
	Log *slog.Logger
}

// Kernel runs Jobs. It is safe for concurrent use.
type Kernel struct {
	model   llm.Model
	timeout time.Duration
	grace   time.Duration
	cache   Cache
	log     *slog.Logger
	flights singleflight.Group
}

// New returns a Kernel for cfg.
func New(cfg Config) *Kernel {
	if cfg.Timeout <= 0 {
		cfg.Timeout = llm.DefaultTimeout
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	return &Kernel{model: cfg.Model, timeout: cfg.Timeout, grace: cfg.Grace, cache: cfg.Cache, log: cfg.Log}
}

// ModelName is the configured model's name; empty when the model is off.
func (k *Kernel) ModelName() string {
	if k.model == nil {
		return ""
	}
	return k.model.Model()
}

// Record is what a model call produces once accepted, and what the cache
// keeps.
type Record struct {
	// Text is the text to show, cleaned and checked.
	Text string
	// Answered is false when the text says the sources don't answer the
	// question (an answer's refusal, written by storybot, not the model);
	// true for every summary.
	Answered bool
	// Cited are the citation numbers Text uses, ascending; nil for a
	// summary.
	Cited []int
	// Engine is the model that wrote it, as its server names it.
	Engine string
	// Usage is what the model call that wrote it cost.
	Usage llm.Usage
}

// Checked is a product's verdict on a model's reply (Job.Check).
type Checked struct {
	// Record is the reply as it will be shown, when accepted; Engine and
	// Usage are the kernel's to fill in.
	Record Record
	// Claims is the text the one check must accept: the whole reply as
	// the model wrote it, before any cut to length, so that a model that
	// invented something in its last sentence is not trusted with the
	// first. Give it with a rejected reply too, so that the log names a
	// leak or a link rather than only the form. Empty when nothing of the
	// model's would be shown (an answer's refusal).
	Claims string
	// Fallback, when set, rejects the reply, and Err says why for the log.
	Fallback *Fallback
	Err      error
}

// Job is one product's request to the kernel. Every func field is
// required except Draft.
type Job[T any] struct {
	// Name says what is made ("summary", "answer"), for the log.
	Name string
	// Log, when set, replaces the kernel's logger for this job (a
	// product's child logger with its own attributes: the story, the
	// style).
	Log *slog.Logger
	// Prompt renders the prompt. An error falls back with code "error".
	Prompt func() (prompts.Prompt, error)
	// Key is the cache key for the rendered prompt and the configured
	// model's name: everything the record depends on, versioned.
	Key func(p prompts.Prompt, model string) string
	// Source is what the model's text must be supported by: the story's
	// title and text, or the passages an answer may cite.
	Source string
	// SourceName names Source in a Fallback's reason, which users read:
	// "the story", "the stories".
	SourceName string
	// Check holds the product's own rules for the form of a reply (its
	// length, how it ends, its citations), given the reply cleaned by
	// check.Clean. The kernel runs the one check (check.Checker) on
	// Checked.Claims after it.
	Check func(reply string) Checked
	// Result turns an accepted record (from the model or the cache) into
	// the product's value. A record that does not answer (Refusals) has
	// no text: the product says so in its own words.
	Result func(Record) T
	// Refusals reports that the product's records may say the sources
	// don't answer (Record.Answered false). For any other product such a
	// record in the cache is not used.
	Refusals bool
	// Claims, when set, gives what the one check must accept of a cached
	// record, read again from the cache (an answer's text without its
	// citations); nil means the record's Text.
	Claims func(Record) string
	// Extractive is the product's value without a model.
	Extractive func() T
	// Fresh skips the cache lookup and asks the model again; an accepted
	// answer still replaces the cached one.
	Fresh bool
	// Draft, when set and the model can stream (llm.Streamer), is called
	// while the model writes with the text so far that has passed the
	// product's check and the one check, as it will be shown: whole
	// sentences only, each checked as it completes. Once a sentence fails,
	// no further draft comes. Draft is not called for a cached record, for
	// a call that shares another's model call, or after the model is done.
	// It runs on the model call's goroutine and must return quickly.
	Draft func(text string)
	// Offline, when set, keeps this job from the model and the cache: the
	// result is extractive, with this Fallback saying why (a user whose
	// roles lack model access, a spent daily budget).
	Offline *Fallback
}

// Meta says how a result was made.
type Meta struct {
	// Engine is the model that wrote the text, as its server names it, or
	// Extractive.
	Engine string `json:"engine"`
	// Model is the configured model name, set even when the result fell
	// back to the extractive one; empty when the model is off.
	Model string `json:"model,omitempty"`
	// Cached reports that the text came from the cache: no model call was
	// made.
	Cached bool `json:"cached"`
	// Fallback says why the result is extractive; nil when the model wrote
	// it.
	Fallback *Fallback `json:"fallback,omitempty"`
	// Usage is the token count of the model call that wrote the text (for
	// a cached one, the call that wrote it then), or of the call whose
	// answer was rejected; zero when no call was made, and when the server
	// reports no usage.
	Usage llm.Usage `json:"usage"`
	// ModelAnswered reports that a model call made for this result (by
	// this request, or by an identical one it shared the call with) got a
	// completion back (see modelAnswered), whether it was accepted or
	// rejected: the call cost something, even when Usage is zero. False
	// for a cached result and when the model failed or was not asked.
	ModelAnswered bool `json:"-"`
}

// Outcome is what Run returns: the product's value and how it was made.
type Outcome[T any] struct {
	Value T
	Meta
	// CacheChecked reports that the cache was read: a hit when Cached,
	// else a miss. False without a cache or a model, and with Job.Fresh.
	CacheChecked bool
	// Findings are what the one check found in a rejected model text.
	Findings []check.Finding
}

// Run makes job's result: from the cache (unless job.Fresh), else from the
// model under the kernel's deadline, checked, else job's extractive result
// with a Fallback saying why. It returns within the model's timeout plus
// the grace period; the error is non-nil only when ctx is canceled.
func Run[T any](ctx context.Context, k *Kernel, job Job[T]) (Outcome[T], error) {
	log := job.Log
	if log == nil {
		log = k.log
	}
	if k.model == nil {
		log.Debug(job.Name + ": extractive, the model is off")
		return extractive(job, "", &Fallback{Code: FallbackOff, Reason: "no model is configured (LLM_MODE=off)"}), nil
	}
	model := k.model.Model()
	if job.Offline != nil {
		return extractive(job, model, job.Offline), nil
	}
	p, err := job.Prompt()
	if err != nil {
		fb := &Fallback{Code: FallbackError, Reason: "the " + job.Name + " prompt could not be rendered (check PROMPTS_DIR)"}
		return fallback(log, job, model, call{fb: fb, err: err}), nil
	}
	key := job.Key(p, model)
	chk := check.New(job.Source, p.System)
	var checked bool
	if !job.Fresh && k.cache != nil {
		checked = true
		if rec, ok := lookup(ctx, k, log, job, key, chk); ok {
			out := accepted(job, rec, model)
			out.Cached, out.CacheChecked = true, true
			return out, nil
		}
	}
	flightKey := key
	if job.Fresh {
		flightKey += "\x00fresh"
	}
	// The call runs detached from ctx's cancellation, so a caller that
	// gives up does not fail the others waiting on the same call; it is
	// still bounded by the timeout and the grace period.
	c, ok, err := sharedCall(ctx, &k.flights, flightKey, k.timeout+k.grace, func(cctx context.Context) call {
		return modelCall(cctx, k, log, job, p, key, chk)
	})
	switch {
	case err != nil:
		return Outcome[T]{}, fmt.Errorf("%s: %w", job.Name, err)
	case !ok && ctx.Err() != nil:
		c = call{fb: timedOut(), err: ctx.Err()}
	case !ok:
		c = call{fb: timedOut(), err: fmt.Errorf("no answer %v after the model's %v timeout", k.grace, k.timeout)}
	}
	var out Outcome[T]
	if c.fb != nil {
		out = fallback(log, job, model, c)
	} else {
		out = accepted(job, c.rec, model)
		out.Cached = c.cached
		out.ModelAnswered = !c.cached
	}
	out.CacheChecked = checked
	return out, nil
}

// call is the outcome of one model call, shared by everyone waiting on it.
type call struct {
	rec      Record    // when accepted
	cached   bool      // rec came from the cache after all
	fb       *Fallback // when not
	usage    llm.Usage
	answered bool // a completion came back (modelAnswered)
	err      error
	findings []check.Finding
}

// modelCall asks the model, checks the reply and caches it when accepted.
func modelCall[T any](ctx context.Context, k *Kernel, log *slog.Logger, job Job[T], p prompts.Prompt, key string, chk *check.Checker) call {
	if !job.Fresh {
		// Another call may have stored it since this one looked.
		if rec, ok := lookup(ctx, k, log, job, key, chk); ok {
			return call{rec: rec, cached: true}
		}
	}
	locked, unlock, err := lockShared(ctx, k.cache, key, log)
	if err != nil {
		return call{fb: timedOut(), err: err}
	}
	defer unlock()
	if locked && !job.Fresh {
		// Another process may have stored it while this one waited.
		if rec, ok := lookup(ctx, k, log, job, key, chk); ok {
			return call{rec: rec, cached: true}
		}
	}
	req := llm.Request{System: p.System, User: p.User}
	var rep llm.Reply
	if st, ok := k.model.(llm.Streamer); ok && job.Draft != nil {
		d := drafter[T]{job: job, chk: chk, log: log}
		rep, err = st.Stream(ctx, req, d.delta)
	} else {
		rep, err = k.model.Complete(ctx, req)
	}
	usage := llm.Usage{PromptTokens: rep.Usage.PromptTokens, CompletionTokens: rep.Usage.CompletionTokens}
	if err != nil {
		return call{fb: fallbackFor(err), usage: usage, answered: modelAnswered(err), err: err}
	}
	c, findings := verdict(job, check.Clean(rep.Text), chk)
	if c.Fallback != nil {
		return call{fb: c.Fallback, usage: usage, answered: true, err: c.Err, findings: findings}
	}
	rec := c.Record
	rec.Engine, rec.Usage = rep.Model, usage
	if rec.Engine == "" {
		rec.Engine = k.model.Model()
	}
	if k.cache != nil {
		err := k.cache.PutSummary(ctx, key, store.Summary{Text: rec.Text, Model: rec.Engine, Answered: rec.Answered, Cited: rec.Cited,
			PromptTokens: usage.PromptTokens, CompletionTokens: usage.CompletionTokens})
		if err != nil {
			log.Warn(job.Name+" cache write failed", "err", err)
		}
	}
	return call{rec: rec}
}

// Check decides, as Run would, whether reply may be shown for job: the
// product's rules, then the one check against job's source and its
// prompt's instructions. It is Run's verdict without the model and the
// cache, for evaluations and benchmarks. A prompt that cannot be rendered
// is an error.
func Check[T any](job Job[T], reply string) (Checked, []check.Finding, error) {
	p, err := job.Prompt()
	if err != nil {
		return Checked{}, nil, fmt.Errorf("%s prompt: %w", job.Name, err)
	}
	c, f := verdict(job, check.Clean(reply), check.New(job.Source, p.System))
	return c, f, nil
}

// verdict runs the product's check on a cleaned reply, then the one check
// on what it claims. A reply both rules reject is reported by the one
// check's finding (a leak or a link says more than "too long").
func verdict[T any](job Job[T], reply string, chk *check.Checker) (Checked, []check.Finding) {
	c := job.Check(reply)
	if c.Claims == "" {
		return c, nil
	}
	findings := chk.Text(c.Claims)
	if len(findings) == 0 {
		return c, nil
	}
	c.Fallback, c.Err = rejection(findings, job.SourceName), nil
	return c, findings
}

// rejection is the Fallback for a text the one check did not accept: the
// worst of its findings decides the code.
func rejection(findings []check.Finding, sources string) *Fallback {
	fb := &Fallback{Code: FallbackUnfaithful, Reason: "the model's answer had names, numbers or quotations that are not in " + sources}
	for _, f := range findings {
		switch f.Rule {
		case check.RuleLeak:
			return &Fallback{Code: FallbackPromptLeak, Reason: "the model's answer repeated its instructions"}
		case check.RuleLink:
			fb = &Fallback{Code: FallbackLink, Reason: "the model's answer held a link or mention that is not in " + sources}
		}
	}
	return fb
}

// lookup reads the cache; a failing cache is logged and treated as a miss,
// and so is a record that today's check does not accept (it was checked
// when stored, perhaps by an older, more lenient check) or that job's
// product cannot have written (a refusal where there are none).
func lookup[T any](ctx context.Context, k *Kernel, log *slog.Logger, job Job[T], key string, chk *check.Checker) (Record, bool) {
	if k.cache == nil {
		return Record{}, false
	}
	c, ok, err := k.cache.CachedSummary(ctx, key)
	if err != nil {
		log.Warn(job.Name+" cache read failed", "err", err)
		return Record{}, false
	}
	if !ok {
		return Record{}, false
	}
	rec := Record{Text: c.Text, Answered: c.Answered, Cited: c.Cited, Engine: c.Model,
		Usage: llm.Usage{PromptTokens: c.PromptTokens, CompletionTokens: c.CompletionTokens}}
	if !rec.Answered {
		if !job.Refusals {
			log.Warn("a cached " + job.Name + " says nothing is answered; asking the model again")
			return Record{}, false
		}
		rec.Text, rec.Cited = "", nil // nothing of the model's is shown
		return rec, true
	}
	claims := rec.Text
	if job.Claims != nil {
		claims = job.Claims(rec)
	}
	if f := chk.Text(claims); len(f) > 0 {
		log.Warn("a cached "+job.Name+" fails today's check; asking the model again", "findings", findingList(f))
		return Record{}, false
	}
	return rec, true
}

// accepted is the outcome for a record the checks accepted.
func accepted[T any](job Job[T], rec Record, model string) Outcome[T] {
	return Outcome[T]{Value: job.Result(rec), Meta: Meta{Engine: rec.Engine, Model: model, Usage: rec.Usage}}
}

// extractive is the outcome without the model.
func extractive[T any](job Job[T], model string, fb *Fallback) Outcome[T] {
	return Outcome[T]{Value: job.Extractive(), Meta: Meta{Engine: Extractive, Model: model, Fallback: fb}}
}

// fallback logs why the model's text is not used and returns the
// extractive outcome.
func fallback[T any](log *slog.Logger, job Job[T], model string, c call) Outcome[T] {
	fb := c.fb
	attrs := []any{"model", model, "reason", fb.Code}
	if fb.Setting != "" {
		attrs = append(attrs, "setting", fb.Setting)
	}
	if len(c.findings) > 0 {
		attrs = append(attrs, "findings", findingList(c.findings))
	}
	var e *llm.Error
	switch {
	case errors.As(c.err, &e) && e.Kind == llm.Auth:
		// The server's message may echo part of the key.
		attrs = append(attrs, "status", e.Status)
	case c.err != nil:
		attrs = append(attrs, "err", c.err.Error())
	}
	attrs = append(attrs, "detail", fb.Reason)
	log.Warn(job.Name+" fell back to extractive", attrs...)
	out := extractive(job, model, fb)
	out.Usage, out.ModelAnswered, out.Findings = c.usage, c.answered, c.findings
	return out
}

// findingList words findings for the log: each rule with the words that
// made it fire, cut to a few words, so that no log line holds a prompt
// the model repeated; with a prompt leak among them, the rules only.
func findingList(fs []check.Finding) string {
	leak := false
	for _, f := range fs {
		leak = leak || f.Rule == check.RuleLeak
	}
	s := make([]string, len(fs))
	for i, f := range fs {
		switch {
		case f.Rule == check.RuleLeak:
			s[i] = f.String() // names a place, never the words
		case leak:
			s[i] = f.Rule
		default:
			text := f.Text
			if len(text) > maxFindingText {
				text = strings.ToValidUTF8(text[:maxFindingText], "") + "…"
			}
			s[i] = check.Finding{Rule: f.Rule, Text: text}.String()
		}
	}
	return strings.Join(s, ", ")
}

// maxFindingText is how much of a finding's words the log gets, in bytes.
const maxFindingText = 40
