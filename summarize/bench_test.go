package summarize_test

import (
	"context"
	"io/fs"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/newstext"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/samples"
	"github.com/storybot/storybot/summarize"
)

// timedModel measures the time spent inside the model call, so a benchmark
// can report storybot's own overhead around it.
type timedModel struct {
	m  llm.Model
	in time.Duration
}

func (m *timedModel) Model() string { return m.m.Model() }

func (m *timedModel) Complete(ctx context.Context, req llm.Request) (llm.Reply, error) {
	start := time.Now()
	rep, err := m.m.Complete(ctx, req)
	m.in += time.Since(start)
	return rep, err
}

// benchInputs returns the longest bundled sample story and, as a long
// article, all of them run together.
func benchInputs(b *testing.B) map[string]summarize.Input {
	names, err := fs.Glob(samples.FS, "*.txt")
	if err != nil {
		b.Fatal(err)
	}
	var longest, all summarize.Input
	var bodies []string
	for _, n := range names {
		f, _ := samples.FS.Open(n)
		a, err := article.ParseText(n, f)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if newstext.Words(a.Body) > newstext.Words(longest.Body) {
			longest = summarize.Input{ID: "sample", Title: a.Title, Body: a.Body}
		}
		bodies = append(bodies, a.Body)
	}
	all = summarize.Input{ID: "all", Title: longest.Title, Body: strings.Join(bodies, "\n")}
	return map[string]summarize.Input{
		"words=" + strconv.Itoa(newstext.Words(longest.Body)): longest,
		"words=" + strconv.Itoa(newstext.Words(all.Body)):     all,
	}
}

// reportPercentiles reports the 50th and 99th percentiles of ds in ms.
func reportPercentiles(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	at := func(p float64) float64 {
		i := min(int(p*float64(len(ds))), len(ds)-1)
		return float64(ds[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkSummarizeOverhead measures what storybot adds around a model call
// that misses the cache: prompt rendering, the cache lookup and write
// (SQLite), singleflight, cleaning and the checks. The mock answers at once
// over loopback; the time inside the model call is subtracted per call.
// Target: p99 at most 2 ms.
func BenchmarkSummarizeOverhead(b *testing.B) {
	for name, in := range benchInputs(b) {
		b.Run(name, func(b *testing.B) {
			e := newEnv(b, setup{})
			set, _ := prompts.Load("")
			tm := &timedModel{m: e.model}
			svc := summarize.NewService(summarize.Config{Prompts: set, Model: tm, Cache: e.db, Timeout: 5 * time.Second, Log: discard()})
			ctx := context.Background()
			ds := make([]time.Duration, 0, 1024)
			i := 0
			for b.Loop() {
				i++
				in.Hash = "bench-" + strconv.Itoa(i) // a new story for the cache each time
				tm.in = 0
				start := time.Now()
				s, err := svc.Summarize(ctx, in, summarize.Standard, summarize.Options{})
				total := time.Since(start)
				if err != nil || s.Fallback != nil || s.Cached {
					b.Fatalf("got %+v, %v; want a fresh model summary", s, err)
				}
				ds = append(ds, total-tm.in)
			}
			b.StopTimer()
			reportPercentiles(b, ds)
			b.ReportMetric(float64(e.mock.calls.Load())/float64(i), "model-calls/op")
		})
	}
}

// BenchmarkSummarizeCacheHit measures a repeated request: a cache hit, with
// no model call (model-calls/op must be 0).
func BenchmarkSummarizeCacheHit(b *testing.B) {
	e := newEnv(b, setup{})
	ctx := context.Background()
	if _, err := e.svc.Summarize(ctx, story, summarize.Standard, summarize.Options{}); err != nil {
		b.Fatal(err)
	}
	before := e.mock.calls.Load()
	ds := make([]time.Duration, 0, 1024)
	n := 0
	for b.Loop() {
		n++
		start := time.Now()
		s, err := e.svc.Summarize(ctx, story, summarize.Standard, summarize.Options{})
		ds = append(ds, time.Since(start))
		if err != nil || !s.Cached {
			b.Fatalf("got %+v, %v; want a cache hit", s, err)
		}
	}
	b.StopTimer()
	reportPercentiles(b, ds)
	b.ReportMetric(float64(e.mock.calls.Load()-before)/float64(n), "model-calls/op")
}

// BenchmarkCheck measures cleaning and checking one model answer as
// Summarize does: the summary's rules and the one check, with the prompt's
// instructions.
func BenchmarkCheck(b *testing.B) {
	set, err := prompts.Load("")
	if err != nil {
		b.Fatal(err)
	}
	svc := summarize.NewService(summarize.Config{Prompts: set, Log: discard()})
	for name, in := range benchInputs(b) {
		b.Run(name, func(b *testing.B) {
			reply := strings.Join(summarize.Extract(in.Title, in.Body, summarize.Detailed), " ")
			for b.Loop() {
				if _, fb, _, err := svc.Check(in, summarize.Detailed, reply); fb != nil || err != nil {
					b.Fatalf("got %+v, %v", fb, err)
				}
			}
		})
	}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }
