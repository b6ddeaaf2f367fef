package metrics

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/storybot/storybot/llm"
)

// Model returns next counting its calls by outcome, the tokens they used
// and how long they took. Each call is counted once however many Summarize
// calls shared it, and a cached summary's tokens are not counted again.
func (m *Metrics) Model(next llm.Model) llm.Model {
	return &model{next: next, m: m}
}

// model is a llm.Model that counts what passes through it.
type model struct {
	next llm.Model
	m    *Metrics
}

func (c *model) Model() string { return c.next.Model() }

func (c *model) Complete(ctx context.Context, req llm.Request) (llm.Reply, error) {
	start := c.m.now()
	rep, err := c.next.Complete(ctx, req)
	return c.record(start, rep, err)
}

// Stream streams through next when it can (else completes), counted like
// Complete.
func (c *model) Stream(ctx context.Context, req llm.Request, onDelta func(string)) (llm.Reply, error) {
	st, ok := c.next.(llm.Streamer)
	if !ok {
		return c.Complete(ctx, req)
	}
	start := c.m.now()
	rep, err := st.Stream(ctx, req, onDelta)
	return c.record(start, rep, err)
}

// record counts one finished call.
func (c *model) record(start time.Time, rep llm.Reply, err error) (llm.Reply, error) {
	c.m.modelTime.Observe(c.m.now().Sub(start).Seconds())
	c.m.modelCalls.WithLabelValues(Outcome(err)).Inc()
	if rep.Usage.PromptTokens > 0 {
		c.m.tokens.WithLabelValues("prompt").Add(float64(rep.Usage.PromptTokens))
	}
	if rep.Usage.CompletionTokens > 0 {
		c.m.tokens.WithLabelValues("completion").Add(float64(rep.Usage.CompletionTokens))
	}
	return rep, err
}

// Outcome is the outcome label of a model call that returned err: "ok",
// the llm.Kind in kebab case ("rate-limited", "breaker-open"), "timeout"
// for a deadline without an llm.Error, else "error".
func Outcome(err error) string {
	if err == nil {
		return "ok"
	}
	var e *llm.Error
	if errors.As(err, &e) {
		return strings.ReplaceAll(e.Kind.String(), " ", "-")
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	return "error"
}

// Breaker reports a circuit breaker's state. *llm.Client satisfies it.
type Breaker interface {
	Breaker() (llm.State, int)
}

// WatchBreaker adds the gauges storybot_llm_breaker_state{state} (1 for the
// state b is in, 0 for the others) and
// storybot_llm_breaker_consecutive_failures, read from b at each scrape. It
// fails when called a second time.
func (m *Metrics) WatchBreaker(b Breaker) error {
	var cs []prometheus.Collector
	for _, s := range []llm.State{llm.Closed, llm.Open, llm.HalfOpen} {
		cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: Namespace, Name: "llm_breaker_state",
			Help:        "The model's circuit breaker: 1 for the state it is in (closed, open or half-open), 0 for the others.",
			ConstLabels: prometheus.Labels{"state": s.String()},
		}, func() float64 {
			if now, _ := b.Breaker(); now == s {
				return 1
			}
			return 0
		}))
	}
	cs = append(cs, prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "llm_breaker_consecutive_failures",
		Help: "Consecutive failed model calls counted by the circuit breaker.",
	}, func() float64 {
		_, n := b.Breaker()
		return float64(n)
	}))
	for _, c := range cs {
		if err := m.reg.Register(c); err != nil {
			return fmt.Errorf("watch the breaker: %w", err)
		}
	}
	return nil
}
