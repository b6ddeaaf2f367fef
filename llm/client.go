// Package llm calls a language model through any OpenAI-compatible chat
// completions endpoint (OpenAI, Ollama's /v1, llama.cpp, vLLM, LM Studio, the
// mock in llm/mock), as a thin layer over github.com/sashabaranov/go-openai.
//
// It adds what storybot needs around a call: a deadline on every call
// (Config.Timeout), errors classified by Kind so the caller can fall back to
// the extractive summarizer and tell an operator which setting to fix, a
// circuit breaker that skips a failing model for a cool-down, and streaming
// for live edits. It knows nothing of prompts or stories: the caller renders
// the prompt (package prompts) and checks the answer.
//
// A Client is safe for concurrent use. It never logs or returns the API key
// or the prompt.
package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Client calls one model at one endpoint. Create it with New.
type Client struct {
	cfg Config
	// reasoning is set for OpenAI reasoning models (o1, o3, gpt-5, …),
	// which refuse max_tokens and a temperature other than the default.
	reasoning bool
	oa        *openai.Client
	br        *breaker
	log       *slog.Logger
}

// Option changes how New builds a Client.
type Option func(*options)

type options struct {
	hc  *http.Client
	now func() time.Time
	log *slog.Logger
}

// WithHTTPClient makes the Client send its requests with hc (default: a new
// http.Client without a timeout of its own; Config.Timeout bounds each call).
func WithHTTPClient(hc *http.Client) Option { return func(o *options) { o.hc = hc } }

// WithClock makes the circuit breaker read the time from now (default
// time.Now). Per-call timeouts use real time regardless.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithLogger makes the Client log through l (default: slog.Default()). The
// Client logs each call at Debug and breaker changes at Warn and Info, with
// attribute component=llm.
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// New returns a Client for cfg, with the defaults filled in. It fails with
// cfg.Validate's error when cfg is invalid.
func New(cfg Config, opts ...Option) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	o := options{hc: &http.Client{}, now: time.Now, log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	oc.BaseURL = cfg.BaseURL
	oc.HTTPClient = doer{hc: o.hc, now: o.now}
	c := &Client{
		cfg: cfg,
		// go-openai knows which models those are, and checks before sending.
		//lint:ignore SA1019 max_tokens is what the validator looks for: it tells the reasoning models apart.
		reasoning: openai.NewReasoningValidator().Validate(openai.ChatCompletionRequest{Model: cfg.Model, MaxTokens: 1}) != nil,
		oa:        openai.NewClientWithConfig(oc),
		log:       o.log.With("component", "llm"),
	}
	c.br = &breaker{
		threshold: cfg.BreakerFailures,
		cooldown:  cfg.BreakerCooldown,
		now:       o.now,
		onChange: func(from, to State, failures int) {
			lvl := slog.LevelInfo
			if to == Open {
				lvl = slog.LevelWarn
			}
			c.log.Log(context.Background(), lvl, "llm circuit breaker", "from", from.String(), "to", to.String(), "consecutive_failures", failures)
		},
	}
	return c, nil
}

// Config returns the client's configuration with defaults filled in. It holds
// the API key: print it only with its String method.
func (c *Client) Config() Config { return c.cfg }

// Model returns the configured model name, for "written by MODEL" notes.
func (c *Client) Model() string { return c.cfg.Model }

// Breaker returns the circuit breaker's state now and the number of
// consecutive failed calls, e.g. for /healthz or /metrics.
func (c *Client) Breaker() (State, int) { return c.br.snapshot() }

// Request is one chat completion: a system and a user message.
type Request struct {
	System string // may be empty
	User   string
	// MaxTokens overrides Config.MaxTokens for this call when positive.
	MaxTokens int
}

// Usage is the token count the server reports; zero when it reports none.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens,omitempty"`
}

// Reply is a model's answer.
type Reply struct {
	// Text is the answer with surrounding space trimmed. With a Truncated
	// or Timeout error it holds what arrived before the cut.
	Text string
	// Model is the model as the server names it (it may differ from the
	// configured name, e.g. a resolved version; the mock answers "mock…").
	Model string
	// FinishReason is the server's: "stop", "length", "content_filter", …;
	// empty if it sent none.
	FinishReason string
	Usage        Usage
}

// Complete asks for a whole answer in one response. It returns within
// Config.Timeout (plus the time to classify), or when ctx ends.
//
// On failure the error is an *Error; Reply may hold partial text (see
// Reply.Text). An empty answer is an Empty error, finish_reason "length" a
// Truncated one. While the breaker is open, Complete returns a BreakerOpen
// error at once, without a request.
func (c *Client) Complete(ctx context.Context, req Request) (Reply, error) {
	return c.call(ctx, req, nil)
}

// Stream asks for the answer as server-sent events and calls onDelta with
// each piece of text as it arrives, in order, from the calling goroutine;
// onDelta should return quickly (throttle message edits in the caller). It
// asks for usage (stream_options.include_usage) and returns the whole Reply
// at the end, like Complete.
//
// A stream that ends without "data: [DONE]" is a Truncated error, an error
// event inside the stream a Server error; Config.Timeout bounds the whole
// stream, not just its start.
func (c *Client) Stream(ctx context.Context, req Request, onDelta func(text string)) (Reply, error) {
	if onDelta == nil {
		onDelta = func(string) {}
	}
	return c.call(ctx, req, onDelta)
}

// call runs one request through the breaker, with the per-call deadline.
// onDelta nil means not streamed.
func (c *Client) call(ctx context.Context, req Request, onDelta func(string)) (Reply, error) {
	if err := ctx.Err(); err != nil {
		kind := Canceled
		if errors.Is(err, context.DeadlineExceeded) {
			kind = Timeout
		}
		return Reply{}, &Error{Kind: kind, Model: c.cfg.Model, Err: err}
	}
	if ok, wait := c.br.allow(); !ok {
		return Reply{}, &Error{Kind: BreakerOpen, Model: c.cfg.Model, RetryAfter: wait}
	}
	start := time.Now()
	callCtx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	tr := &trace{stream: onDelta != nil}
	callCtx = context.WithValue(callCtx, traceKey{}, tr)

	oreq := c.request(req)
	var (
		rep Reply
		err error
	)
	if onDelta == nil {
		rep, err = c.complete(callCtx, oreq)
	} else {
		rep, err = c.stream(callCtx, oreq, tr, onDelta)
	}
	var e *Error
	if err != nil {
		e = classify(ctx, callCtx, err, tr)
		e.Model = c.cfg.Model
		e.Err = scrub(e.Err, c.cfg.APIKey)
	}
	failed, counted, retryAfter := e != nil, e == nil || e.Kind != Canceled, time.Duration(0)
	if e != nil {
		retryAfter = e.RetryAfter
	}
	c.br.done(failed, counted, retryAfter)

	attrs := []any{"model", c.cfg.Model, "stream", onDelta != nil, "duration", time.Since(start)}
	if e != nil {
		attrs = append(attrs, "kind", e.Kind.String(), "status", e.Status)
		c.log.Debug("llm call failed", attrs...)
		return rep, e
	}
	attrs = append(attrs, "finish_reason", rep.FinishReason, "prompt_tokens", rep.Usage.PromptTokens, "completion_tokens", rep.Usage.CompletionTokens)
	c.log.Debug("llm call", attrs...)
	return rep, nil
}

// request builds the go-openai request.
func (c *Client) request(req Request) openai.ChatCompletionRequest {
	msgs := make([]openai.ChatCompletionMessage, 0, 2)
	if req.System != "" {
		msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleSystem, Content: req.System})
	}
	msgs = append(msgs, openai.ChatCompletionMessage{Role: openai.ChatMessageRoleUser, Content: req.User})
	maxTokens := c.cfg.MaxTokens
	if req.MaxTokens > 0 {
		maxTokens = req.MaxTokens
	}
	seed := c.cfg.Seed
	r := openai.ChatCompletionRequest{
		Model:    c.cfg.Model,
		Messages: msgs,
		// max_tokens, not max_completion_tokens: every OpenAI-compatible
		// server knows it.
		//lint:ignore SA1019 deprecated by OpenAI only; Ollama, vLLM and llama.cpp read max_tokens.
		MaxTokens:   maxTokens,
		Temperature: wireTemperature(c.cfg.Temperature),
		Seed:        &seed,
	}
	if c.reasoning {
		// OpenAI's reasoning models want max_completion_tokens (which
		// counts their hidden reasoning too) and the default temperature.
		//lint:ignore SA1019 cleared for the reasoning models, which refuse it.
		r.MaxCompletionTokens, r.MaxTokens, r.Temperature = maxTokens, 0, 0
	}
	return r
}

// wireTemperature returns the temperature to send. go-openai omits a zero
// float32 (omitempty) and Ollama then samples at 1.0, while
// math.SmallestNonzeroFloat32 crashes Ollama's runner; 1e-6 is greedy in
// effect and safe everywhere.
func wireTemperature(t float64) float32 {
	if t <= 0 {
		return ZeroTemperature
	}
	return float32(t)
}

func (c *Client) complete(ctx context.Context, oreq openai.ChatCompletionRequest) (Reply, error) {
	resp, err := c.oa.CreateChatCompletion(ctx, oreq)
	if err != nil {
		return Reply{}, err
	}
	rep := Reply{
		Model: resp.Model,
		Usage: Usage{
			PromptTokens:     resp.Usage.PromptTokens,
			CompletionTokens: resp.Usage.CompletionTokens,
			TotalTokens:      resp.Usage.TotalTokens,
		},
	}
	if len(resp.Choices) == 0 {
		return rep, &Error{Kind: Malformed, Status: http.StatusOK, Err: errors.New("reply has no choices")}
	}
	ch := resp.Choices[0]
	rep.Text = strings.TrimSpace(ch.Message.Content)
	rep.FinishReason = finishReason(ch.FinishReason)
	return rep, checkReply(rep)
}

func (c *Client) stream(ctx context.Context, oreq openai.ChatCompletionRequest, tr *trace, onDelta func(string)) (Reply, error) {
	oreq.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	s, err := c.oa.CreateChatCompletionStream(ctx, oreq)
	if err != nil {
		return Reply{}, err
	}
	defer s.Close()
	var (
		rep  Reply
		text strings.Builder
	)
	for {
		chunk, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			rep.Text = strings.TrimSpace(text.String())
			return rep, err
		}
		if chunk.Model != "" {
			rep.Model = chunk.Model
		}
		if u := chunk.Usage; u != nil {
			rep.Usage = Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
		}
		for _, ch := range chunk.Choices {
			if ch.Index != 0 {
				continue
			}
			if d := ch.Delta.Content; d != "" {
				text.WriteString(d)
				onDelta(d)
			}
			if fr := finishReason(ch.FinishReason); fr != "" {
				rep.FinishReason = fr
			}
		}
	}
	rep.Text = strings.TrimSpace(text.String())
	if !tr.sawDone() {
		// go-openai reports a closed connection as a clean end of
		// stream; only the missing [DONE] tells the two apart.
		return rep, &Error{Kind: Truncated, Status: tr.status, Err: errors.New("stream ended without data: [DONE]")}
	}
	return rep, checkReply(rep)
}

// checkReply reports an empty or length-cut answer.
func checkReply(rep Reply) error {
	switch {
	case rep.FinishReason == string(openai.FinishReasonLength):
		return &Error{Kind: Truncated, Status: http.StatusOK, Err: fmt.Errorf("finish_reason %q after %d completion tokens", rep.FinishReason, rep.Usage.CompletionTokens)}
	case rep.Text == "":
		return &Error{Kind: Empty, Status: http.StatusOK, Err: fmt.Errorf("no text (finish_reason %q)", rep.FinishReason)}
	}
	return nil
}

func finishReason(fr openai.FinishReason) string {
	if fr == openai.FinishReasonNull {
		return ""
	}
	return string(fr)
}

// traceKey keys the per-call *trace in a request's context.
type traceKey struct{}

// trace records what go-openai does not pass on: the HTTP status, the
// Retry-After header and, for a stream, whether it ended with [DONE]. It is
// written and read by the calling goroutine only.
type trace struct {
	stream     bool
	status     int
	retryAfter time.Duration
	tail       []byte // the last bytes of a stream's body
}

func (t *trace) sawDone() bool {
	return strings.HasSuffix(strings.TrimRight(string(t.tail), " \t\r\n"), "data: [DONE]")
}

// doer is go-openai's HTTPDoer: the caller's http.Client, plus the trace.
type doer struct {
	hc  *http.Client
	now func() time.Time
}

func (d doer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.hc.Do(req)
	tr, _ := req.Context().Value(traceKey{}).(*trace)
	if err != nil || tr == nil {
		return resp, err
	}
	tr.status = resp.StatusCode
	tr.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), d.now())
	if tr.stream && resp.StatusCode == http.StatusOK {
		resp.Body = &tailBody{ReadCloser: resp.Body, tr: tr}
	}
	return resp, nil
}

// tailBody keeps the last bytes read from a stream in its trace.
type tailBody struct {
	io.ReadCloser
	tr *trace
}

const tailLen = 32

func (b *tailBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	t := b.tr.tail
	switch {
	case n >= tailLen:
		t = append(t[:0], p[n-tailLen:n]...)
	case n > 0:
		t = append(t, p[:n]...)
		if len(t) > tailLen {
			copy(t, t[len(t)-tailLen:])
			t = t[:tailLen]
		}
	}
	b.tr.tail = t
	return n, err
}
