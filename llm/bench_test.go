package llm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/llm/mock"
	"github.com/storybot/storybot/prompts"
)

// benchArticle is about 600 words, a typical news story.
var benchArticle = strings.Repeat(article+"\n\n", 14)

// reportLatency reports the p50 and p99 of per-call durations in ms.
func reportLatency(b *testing.B, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(q float64) float64 {
		i := min(len(d)-1, int(q*float64(len(d))))
		return float64(d[i]) / float64(time.Millisecond)
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

// BenchmarkCall measures a whole call to the in-process mock at zero
// latency over loopback HTTP: "raw-http" is the floor (the same request
// body posted with net/http and decoded), "complete" and "stream" go through
// llm.Client, "render" is prompt rendering alone. storybot's overhead around
// a model call is complete (or stream) minus raw-http, plus render.
//
//	go test ./llm -run '^$' -bench BenchmarkCall -benchtime 2000x
func BenchmarkCall(b *testing.B) {
	base, _ := startMock(b, mock.Options{})
	set, err := prompts.Load("")
	if err != nil {
		b.Fatal(err)
	}
	p, err := set.Summary("Homes approved", benchArticle, "standard")
	if err != nil {
		b.Fatal(err)
	}
	req := llm.Request{System: p.System, User: p.User}
	c := newClient(b, llm.Config{BaseURL: base, Model: mock.Model, Timeout: 10 * time.Second, BreakerFailures: 1 << 30})
	ctx := context.Background()

	run := func(b *testing.B, f func() error) {
		durs := make([]time.Duration, 0, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			start := time.Now()
			if err := f(); err != nil {
				b.Fatal(err)
			}
			durs = append(durs, time.Since(start))
		}
		b.StopTimer()
		reportLatency(b, durs)
	}

	b.Run("render", func(b *testing.B) {
		run(b, func() error {
			_, err := set.Summary("Homes approved", benchArticle, "standard")
			return err
		})
	})
	b.Run("raw-http", func(b *testing.B) {
		hc := &http.Client{}
		body, err := json.Marshal(map[string]any{
			"model":       mock.Model,
			"messages":    []map[string]string{{"role": "system", "content": req.System}, {"role": "user", "content": req.User}},
			"max_tokens":  llm.DefaultMaxTokens,
			"temperature": llm.ZeroTemperature,
			"seed":        llm.DefaultSeed,
		})
		if err != nil {
			b.Fatal(err)
		}
		run(b, func() error {
			resp, err := hc.Post(base+"/chat/completions", "application/json", bytes.NewReader(body))
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			var out struct {
				Choices []struct {
					Message struct{ Content string } `json:"message"`
				} `json:"choices"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			return err
		})
	})
	b.Run("complete", func(b *testing.B) {
		run(b, func() error {
			_, err := c.Complete(ctx, req)
			return err
		})
	})
	b.Run("stream", func(b *testing.B) {
		run(b, func() error {
			_, err := c.Stream(ctx, req, func(string) {})
			return err
		})
	})
}
