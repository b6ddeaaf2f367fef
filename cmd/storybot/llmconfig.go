package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/storybot/storybot/answer"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/llm/mock"
	"github.com/storybot/storybot/metrics"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/summarize"
)

// The model modes (LLM_MODE).
const (
	modeOpenAI = "openai" // an OpenAI-compatible server at LLM_BASE_URL
	modeMock   = "mock"   // llm/mock, started in-process on 127.0.0.1
	modeOff    = "off"    // no model: extractive summaries only
)

// llmSettings is the model configuration read from the environment.
type llmSettings struct {
	mode       string
	cfg        llm.Config // BaseURL is filled in when the mock starts
	promptsDir string
}

// readLLMSettings reads LLM_MODE, the LLM_* variables and PROMPTS_DIR.
// When LLM_MODE is unset the mode is defaultMode if given, else openai when
// LLM_BASE_URL is set and off when it is not: a fresh install works offline
// and makes no network call, and setting LLM_BASE_URL is all it takes to
// use a model. Every bad value gives one line naming its variable; the
// error is a usage error (exit status 2).
func readLLMSettings(getenv func(string) string, defaultMode string) (llmSettings, error) {
	var (
		s    llmSettings
		errs []error
	)
	bad := func(variable, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{variable}, args...)...))
	}
	get := func(name string) string { return strings.TrimSpace(getenv(name)) }

	s.mode = strings.ToLower(get("LLM_MODE"))
	switch s.mode {
	case "":
		switch {
		case defaultMode != "":
			s.mode = defaultMode
		case get("LLM_BASE_URL") != "":
			s.mode = modeOpenAI
		default:
			s.mode = modeOff
		}
	case modeOpenAI, modeMock, modeOff:
	default:
		bad("LLM_MODE", "%q is not a mode; want openai, mock or off", getenv("LLM_MODE"))
	}

	s.cfg.BaseURL = get("LLM_BASE_URL")
	s.cfg.APIKey = getenv("LLM_API_KEY") // as given: a key may not be trimmed
	s.cfg.Model = get("LLM_MODEL")
	if s.mode == modeMock {
		s.cfg.BaseURL = "" // the mock's own address, once started
		if s.cfg.Model == "" {
			s.cfg.Model = mock.Model
		}
	}
	duration := func(name string, positive bool) time.Duration {
		v := get(name)
		if v == "" {
			return 0
		}
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			hint := ""
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				hint = fmt.Sprintf(" (a unit is needed: %ss)", v)
			}
			bad(name, "%q is not a duration; want e.g. 30s or 1m30s%s", v, hint)
		case d < 0 || positive && d == 0:
			bad(name, "%q must be more than zero", v)
		}
		return d
	}
	integer := func(name string, min int) int {
		v := get(name)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			bad(name, "%q is not a whole number", v)
		case n < min:
			bad(name, "%d is too small; want at least %d", n, min)
		}
		return n
	}
	s.cfg.Timeout = duration("LLM_TIMEOUT", true)
	s.cfg.MaxTokens = integer("LLM_MAX_TOKENS", 1)
	if v := get("LLM_TEMPERATURE"); v != "" {
		t, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(t) || t < 0 || t > 2 {
			bad("LLM_TEMPERATURE", "%q is not a number from 0 to 2", v)
		}
		s.cfg.Temperature = t
	}
	s.cfg.Seed = integer("LLM_SEED", math.MinInt)
	s.cfg.BreakerFailures = integer("LLM_BREAKER_FAILURES", 1)
	s.cfg.BreakerCooldown = duration("LLM_BREAKER_COOLDOWN", false)
	s.promptsDir = get("PROMPTS_DIR")

	if len(errs) == 0 && s.mode == modeOpenAI {
		// The client's own checks: a missing or malformed LLM_BASE_URL,
		// a missing LLM_MODEL, a line break in LLM_API_KEY.
		if err := s.cfg.Validate(); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return llmSettings{}, usageError{errors.Join(errs...)}
	}
	return s, nil
}

// summarizer is the summary service and the /ask answer service with the
// model they share.
type summarizer struct {
	*summarize.Service
	Answers *answer.Service
	mode    string
	model   string // the configured model name; empty when off
	stop    func() // stops the in-process mock, if any
}

// Close stops what newSummarizer started.
func (s *summarizer) Close() {
	if s.stop != nil {
		s.stop()
	}
}

// newSummarizer builds the summary service for s, with cache (may be nil),
// starting the mock in-process in mock mode. Call Close when done.
func newSummarizer(s llmSettings, cache generate.Cache, log *slog.Logger) (*summarizer, error) {
	return newMeteredSummarizer(s, cache, log, nil, nil)
}

// openSummarizer reads the model settings (failing before anything is
// opened when one is bad), opens the store and starts a summarizer that
// caches in it, as the terminal commands need. The caller closes both.
func (sf *storeFlags) openSummarizer(ctx context.Context, env *Env) (storyStore, *summarizer, error) {
	settings, err := readLLMSettings(env.Getenv, "")
	if err != nil {
		return nil, nil, err
	}
	db, err := sf.open(ctx, env)
	if err != nil {
		return nil, nil, err
	}
	sum, err := newSummarizer(settings, db, newLogger(env))
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, sum, nil
}

// newMeteredSummarizer is newSummarizer reporting to m: the summaries, the
// model calls and the model's circuit breaker. m may be nil. limit, when not
// nil, wraps the model (the bot's cap on model calls at once); it sits
// outside the metrics, so a call refused for want of a slot is not counted
// as a model call.
func newMeteredSummarizer(s llmSettings, cache generate.Cache, log *slog.Logger, m *metrics.Metrics, limit func(llm.Model) llm.Model) (*summarizer, error) {
	set, err := prompts.Load(s.promptsDir)
	if err != nil {
		return nil, usagef("PROMPTS_DIR: %v", err)
	}
	out := &summarizer{mode: s.mode}
	cfg := summarize.Config{Prompts: set, Cache: cache, Log: log}
	if m != nil {
		cfg.Observer = m
	}
	answers := func() *answer.Service {
		ac := answer.Config{Prompts: set, Model: cfg.Model, Timeout: cfg.Timeout, Cache: cache, Log: log}
		if m != nil {
			ac.Observer = m
		}
		return answer.NewService(ac)
	}
	if s.mode == modeOff {
		out.Service, out.Answers = summarize.NewService(cfg), answers()
		return out, nil
	}
	if s.mode == modeMock {
		base, stop, err := startMock()
		if err != nil {
			return nil, err
		}
		s.cfg.BaseURL, out.stop = base, stop
	}
	client, err := llm.New(s.cfg, llm.WithLogger(log))
	if err != nil {
		out.Close()
		return nil, usageError{err}
	}
	cfg.Model, cfg.Timeout = client, client.Config().Timeout
	if m != nil {
		cfg.Model = m.Model(client)
		if err := m.WatchBreaker(client); err != nil {
			out.Close()
			return nil, err
		}
	}
	if limit != nil {
		cfg.Model = limit(cfg.Model)
	}
	out.Service, out.Answers, out.model = summarize.NewService(cfg), answers(), client.Model()
	return out, nil
}

// startMock serves llm/mock on a free loopback port and returns its base
// URL and a function that stops it, ending any request in progress (a
// mock-hang request included).
func startMock() (base string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("start the mock model: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv := &http.Server{
		Handler:           mock.NewServer(mock.Options{}),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return "http://" + ln.Addr().String() + "/v1", func() {
		cancel()
		srv.Close()
		<-done
	}, nil
}
