// Package metrics collects storybot's Prometheus metrics in a registry of its
// own and serves them: summaries and /ask answers (by source, fallback
// reason, cache hit or miss, latency), model calls (by outcome, tokens, latency, the circuit
// breaker's state) and Discord interactions (by command and outcome, reply
// latency). The packages it measures do not import Prometheus: they call
// small hooks (summarize.Observer, llm.Model, bot.Observer).
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/storybot/storybot/answer"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/summarize"
)

// Namespace prefixes every storybot metric name.
const Namespace = "storybot"

// latencyBuckets are in seconds: from a cache hit to a slow local model.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60, 120}

// Metrics holds storybot's metrics. Create it with New; it is safe for
// concurrent use.
type Metrics struct {
	reg *prometheus.Registry
	now func() time.Time

	summaries    *prometheus.CounterVec
	fallbacks    *prometheus.CounterVec
	cache        *prometheus.CounterVec
	summaryTime  *prometheus.HistogramVec
	modelCalls   *prometheus.CounterVec
	tokens       *prometheus.CounterVec
	modelTime    prometheus.Histogram
	interactions *prometheus.CounterVec
	replyTime    *prometheus.HistogramVec
	answers      *prometheus.CounterVec
	answerFalls  *prometheus.CounterVec
	answerTime   *prometheus.HistogramVec
}

// Summary and answer sources: the value of the source label.
const (
	SourceNone       = "none"       // an answer: no stored story speaks to the question
	SourceModel      = "model"      // written by the model for this request
	SourceCache      = "cache"      // a model summary from the cache
	SourceExtractive = "extractive" // the extractive fallback
)

// New returns Metrics with every storybot metric registered in a new
// registry, with the Go runtime's and the process's own metrics.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		now: time.Now,
		summaries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "summaries_total",
			Help: "Summaries written, by source: model, cache or extractive.",
		}, []string{"source"}),
		fallbacks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "summary_fallbacks_total",
			Help: "Summaries that fell back to the extractive one, by reason (the fallback code).",
		}, []string{"reason"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "summary_cache_lookups_total",
			Help: "Summary cache lookups, by result: hit or miss.",
		}, []string{"result"}),
		summaryTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "summary_duration_seconds",
			Help:    "How long a summary took to write, by source.",
			Buckets: latencyBuckets,
		}, []string{"source"}),
		modelCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "llm_calls_total",
			Help: "Model calls, by outcome: ok or the kind of failure (breaker-open: refused without a call).",
		}, []string{"outcome"}),
		tokens: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "llm_tokens_total",
			Help: "Tokens the model server reported, by kind: prompt or completion.",
		}, []string{"kind"}),
		modelTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "llm_call_duration_seconds",
			Help:    "How long a model call took, whatever its outcome.",
			Buckets: latencyBuckets,
		}),
		interactions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: "interactions_total",
			Help: "Discord interactions handled, by command and outcome.",
		}, []string{"command", "outcome"}),
		replyTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace, Name: "reply_duration_seconds",
			Help:    "From a Discord interaction's arrival to its reply, by command.",
			Buckets: latencyBuckets,
		}, []string{"command"}),
	}
	m.answers = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "answers_total",
		Help: "/ask answers, by source: model, cache, extractive (the model off or failing), or none (no stored story speaks to the question).",
	}, []string{"source"})
	m.answerFalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: Namespace, Name: "answer_fallbacks_total",
		Help: "/ask answers that fell back to the extractive one, by reason (the fallback code).",
	}, []string{"reason"})
	m.answerTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "answer_duration_seconds",
		Help:    "How long an /ask answer took to write (retrieval not included), by source.",
		Buckets: latencyBuckets,
	}, []string{"source"})
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.summaries, m.fallbacks, m.cache, m.summaryTime,
		m.modelCalls, m.tokens, m.modelTime,
		m.interactions, m.replyTime,
		m.answers, m.answerFalls, m.answerTime,
	)
	// Series that exist from the start, so that rate() sees the first one.
	for _, s := range []string{SourceModel, SourceCache, SourceExtractive} {
		m.summaries.WithLabelValues(s)
		m.answers.WithLabelValues(s)
	}
	m.answers.WithLabelValues(SourceNone)
	for _, r := range []string{"hit", "miss"} {
		m.cache.WithLabelValues(r)
	}
	for _, k := range []string{"prompt", "completion"} {
		m.tokens.WithLabelValues(k)
	}
	return m
}

// Registry returns the registry the metrics are in, to add more or to
// gather them in a test.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format (GET /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

var _ summarize.Observer = (*Metrics)(nil)

// ObserveSummary counts one finished summary (summarize.Observer). Tokens
// are counted by the model wrapper (Model), once per call, not here.
func (m *Metrics) ObserveSummary(o summarize.Observation) {
	source := SourceModel
	switch {
	case o.Summary.Cached:
		source = SourceCache
	case o.Summary.Fallback != nil:
		source = SourceExtractive
		m.fallbacks.WithLabelValues(o.Summary.Fallback.Code).Inc()
	}
	if o.CacheChecked {
		result := "miss"
		if o.Summary.Cached {
			result = "hit"
		}
		m.cache.WithLabelValues(result).Inc()
	}
	m.summaries.WithLabelValues(source).Inc()
	m.summaryTime.WithLabelValues(source).Observe(o.Duration.Seconds())
}

var _ answer.Observer = (*Metrics)(nil)

// ObserveAnswer counts one /ask answer (answer.Observer).
func (m *Metrics) ObserveAnswer(r answer.Reply, took time.Duration) {
	source := SourceModel
	switch {
	case r.Cached:
		source = SourceCache
	case r.Fallback != nil:
		source = SourceExtractive
		m.answerFalls.WithLabelValues(r.Fallback.Code).Inc()
	case r.Engine == generate.Extractive:
		source = SourceNone
	}
	m.answers.WithLabelValues(source).Inc()
	m.answerTime.WithLabelValues(source).Observe(took.Seconds())
}
