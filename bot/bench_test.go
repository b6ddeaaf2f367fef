package bot_test

import (
	"context"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/internal/fakediscord"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/sqlite"
)

// BenchmarkDeferLatency measures, at the fake Discord, the time from an
// INTERACTION_CREATE being written to the gateway to the deferred callback
// arriving, with 200 /story interactions in flight per round and a model
// that takes 5 seconds. It reports the p50 and p99 in milliseconds.
func BenchmarkDeferLatency(b *testing.B) { deferLatency(b, false) }

// BenchmarkDeferLatencySettings is BenchmarkDeferLatency with per-server
// settings, which each command reads before it is acknowledged.
func BenchmarkDeferLatencySettings(b *testing.B) { deferLatency(b, true) }

func deferLatency(b *testing.B, settings bool) {
	const inFlight = 200
	var db *sqlite.DB
	if settings {
		db = openDB(b, filepath.Join(b.TempDir(), "s.db"))
		if err := db.PutGuildSettings(context.Background(), store.Settings{GuildID: guild, Style: "brief", Budget: store.Budget{UserCalls: store.Cap(1000)}}); err != nil {
			b.Fatal(err)
		}
	}
	h := start(b, setup{model: "mock-slow-5s", timeout: 10 * time.Second, db: db, config: func(c *bot.Config) {
		c.Grace = 100 * time.Millisecond
		c.MaxModelCalls = inFlight
		if settings {
			c.Settings = db
		}
	}})
	var lat []time.Duration
	b.ResetTimer()
	for b.Loop() {
		ins := make([]fakediscord.Interaction, inFlight)
		for i := range ins {
			ins[i] = h.send(b, command("story", user(i), "query", "storm"))
		}
		// One Wait collects the callbacks, looking at each request once:
		// the fake stamps every request on arrival, so how the benchmark
		// waits changes no figure, and 200 waiters woken by every request
		// would take CPU from the bot.
		want := make(map[string]bool, inFlight)
		for _, in := range ins {
			want[in.ID] = true
		}
		got := make(map[string]time.Time, inFlight)
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		_, err := h.fake.Wait(ctx, func(r fakediscord.Request) bool {
			if r.Kind == fakediscord.KindCallback && r.Status/100 == 2 && want[r.InteractionID] {
				got[r.InteractionID] = r.Received
			}
			return len(got) == len(want)
		})
		cancel()
		if err != nil {
			b.Fatalf("got %d of %d callbacks: %v", len(got), len(want), err)
		}
		for id, received := range got {
			sent, _ := h.fake.Dispatched(id)
			lat = append(lat, received.Sub(sent))
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	}
}
