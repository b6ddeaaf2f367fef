package bot_test

import (
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/internal/fakediscord"
)

// BenchmarkDeferLatency measures, at the fake Discord, the time from an
// INTERACTION_CREATE being written to the gateway to the deferred callback
// arriving, with 200 /story interactions in flight per round and a model
// that takes 5 seconds. It reports the p50 and p99 in milliseconds.
func BenchmarkDeferLatency(b *testing.B) {
	const inFlight = 200
	h := start(b, setup{model: "mock-slow-5s", timeout: 10 * time.Second, config: func(c *bot.Config) {
		c.Grace = 100 * time.Millisecond
		c.MaxModelCalls = inFlight
	}})
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		ins := make([]fakediscord.Interaction, inFlight)
		for i := range ins {
			ins[i] = h.send(b, command("story", user(i), "query", "storm"))
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, in := range ins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), bound)
				defer cancel()
				r, err := h.fake.Wait(ctx, ok(fakediscord.KindCallback, in.ID))
				if err != nil {
					b.Error(err)
					return
				}
				sent, _ := h.fake.Dispatched(in.ID)
				mu.Lock()
				lat = append(lat, r.Received.Sub(sent))
				mu.Unlock()
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
