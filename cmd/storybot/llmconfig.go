package main

import (
	"context"
	"log/slog"

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

// llmSettings is the model a command uses.
type llmSettings struct {
	mode       string
	cfg        llm.Config // BaseURL is filled in when the mock starts
	promptsDir string
}

// model returns the model settings of a command. When LLM_MODE is unset
// the mode is defaultMode if given, else openai when LLM_BASE_URL is set
// and off when it is not: a fresh install works offline and makes no
// network call, and setting LLM_BASE_URL is all it takes to use a model.
func (c *Config) model(defaultMode string) llmSettings {
	s := llmSettings{mode: c.LLMMode, cfg: c.LLM, promptsDir: c.Prompts}
	switch {
	case s.mode != "":
	case defaultMode != "":
		s.mode = defaultMode
	case s.cfg.BaseURL != "":
		s.mode = modeOpenAI
	default:
		s.mode = modeOff
	}
	if s.mode == modeMock {
		s.cfg.BaseURL = "" // the mock's own address, once started
		if s.cfg.Model == "" {
			s.cfg.Model = mock.Model
		}
	}
	return s
}

// summarizer is the summary service and the /ask answer service with the
// model they share.
type summarizer struct {
	*summarize.Service
	Answers *answer.Service
	mode    string
	model   string      // the configured model name; empty when off
	client  *llm.Client // nil when off
	prompts *prompts.Set
	log     *slog.Logger
	stop    func() // stops the in-process mock, if any
}

// Close stops what newSummarizer started.
func (s *summarizer) Close() {
	if s.stop != nil {
		s.stop()
	}
}

// newSummarizer loads the prompts and makes the model client for s,
// starting the mock in-process in mock mode: every check of the model
// settings (llm.New's), before the store is opened. Call serve before use
// and Close when done.
func newSummarizer(s llmSettings, log *slog.Logger) (*summarizer, error) {
	set, err := prompts.Load(s.promptsDir)
	if err != nil {
		return nil, usagef("PROMPTS_DIR: %v", err)
	}
	out := &summarizer{mode: s.mode, prompts: set, log: log}
	if s.mode == modeOff {
		return out, nil
	}
	if s.mode == modeMock {
		base, stop, err := startMock()
		if err != nil {
			return nil, err
		}
		s.cfg.BaseURL, out.stop = base, stop
	}
	if out.client, err = llm.New(s.cfg, llm.WithLogger(log)); err != nil {
		out.Close()
		return nil, usageError{err}
	}
	out.model = out.client.Model()
	return out, nil
}

// serve starts the summary and answer services, caching in cache (may be
// nil) and reporting to m (may be nil): the summaries, the model calls and
// the model's circuit breaker. limit, when not nil, wraps the model (the
// bot's cap on model calls at once); it sits outside the metrics, so a call
// refused for want of a slot is not counted as a model call.
func (s *summarizer) serve(cache generate.Cache, m *metrics.Metrics, limit func(llm.Model) llm.Model) error {
	cfg := summarize.Config{Prompts: s.prompts, Cache: cache, Log: s.log}
	ac := answer.Config{Prompts: s.prompts, Cache: cache, Log: s.log}
	if m != nil {
		cfg.Observer, ac.Observer = m, m
	}
	if s.client != nil {
		cfg.Model, cfg.Timeout = s.client, s.client.Config().Timeout
		if m != nil {
			cfg.Model = m.Model(s.client)
			if err := m.WatchBreaker(s.client); err != nil {
				return err
			}
		}
		if limit != nil {
			cfg.Model = limit(cfg.Model)
		}
	}
	ac.Model, ac.Timeout = cfg.Model, cfg.Timeout
	s.Service, s.Answers = summarize.NewService(cfg), answer.NewService(ac)
	return nil
}

// openSummarizer makes the model client (failing before anything is
// opened when a model setting is bad), opens the store and starts a
// summarizer that caches in it, as the terminal commands need. The caller
// closes both.
func (sf *storeFlags) openSummarizer(ctx context.Context, env *Env) (storyStore, *summarizer, error) {
	sum, err := newSummarizer(env.cfg.model(""), newLogger(env))
	if err != nil {
		return nil, nil, err
	}
	db, err := sf.open(ctx, env)
	if err == nil {
		err = sum.serve(db, nil, nil)
	}
	if err != nil {
		sum.Close()
		return nil, nil, err
	}
	return db, sum, nil
}
