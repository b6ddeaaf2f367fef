package bot_test

import (
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
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
	h := start(b, setup{model: "mock-slow-5s", timeout: 10 * time.Second, db: db, modelCalls: inFlight, config: func(c *bot.Config) {
		c.Grace = 100 * time.Millisecond
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

// BenchmarkDraftLatency measures, for a model streaming a word every 30 ms
// (about 33 tokens a second), the time from the model sending the end of
// its first sentence to the fake Discord receiving the first draft, which
// shows that sentence checked. A sentence is known to be whole only when
// the next word arrives, so one word's delay is part of the figure. Each
// round is a new bot with an empty cache. It reports the p50 and p99 in
// milliseconds.
func BenchmarkDraftLatency(b *testing.B) {
	var lat []time.Duration
	for b.Loop() {
		var mu sync.Mutex
		var sentenceEnd time.Time
		watch := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				next.ServeHTTP(&endWatcher{ResponseWriter: w, seen: func(t time.Time) {
					mu.Lock()
					defer mu.Unlock()
					if sentenceEnd.IsZero() {
						sentenceEnd = t
					}
				}}, r)
			})
		}
		h := start(b, setup{chunkDelay: 30 * time.Millisecond, timeout: 10 * time.Second, wrapModel: watch})
		in := h.send(b, command("story", user(1), "style", "detailed"))
		d := h.wait(b, func(r fakediscord.Request) bool {
			return ok(fakediscord.KindEdit, in.ID)(r) && strings.Contains(string(r.Body), "Writing")
		})
		mu.Lock()
		if sentenceEnd.IsZero() {
			b.Fatal("the model sent no sentence end")
		}
		lat = append(lat, d.Received.Sub(sentenceEnd))
		mu.Unlock()
		h.wait(b, final(in.ID))
		h.stop()
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[(len(lat)-1)*99/100].Microseconds())/1000, "p99-ms")
}

// sentenceEnd matches a streamed chunk whose text ends a sentence.
var sentenceEnd = regexp.MustCompile(`"content":"[^"]*[.!?]"`)

// endWatcher calls seen with the time of each write holding a sentence end.
type endWatcher struct {
	http.ResponseWriter
	seen func(time.Time)
}

func (w *endWatcher) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	if sentenceEnd.Match(p) {
		w.seen(time.Now())
	}
	return n, err
}

func (w *endWatcher) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// BenchmarkCachedStory measures a /story whose summary is cached: the time
// from the INTERACTION_CREATE being written to the gateway to the reply
// arriving at the fake Discord, in the first response (a callback of type
// 4: no "thinking…" state). One at a time. It reports the p50 and p99 in
// milliseconds, and the share answered in the first response.
func BenchmarkCachedStory(b *testing.B) {
	firstResponse(b, setup{config: func(c *bot.Config) { c.UserBurst = 1 << 30 }}, command("story", user(2), "query", "storm"))
}

// BenchmarkExtractiveAnswer is BenchmarkCachedStory for an /ask answered
// without the model (quoted from the stories).
func BenchmarkExtractiveAnswer(b *testing.B) {
	firstResponse(b, setup{extractiveAnswers: true, config: func(c *bot.Config) { c.UserBurst = 1 << 30 }},
		command("ask", user(2), "question", "How many homes lost power?"))
}

func firstResponse(b *testing.B, s setup, cmd fakediscord.Interaction) {
	h := start(b, s)
	prime := h.send(b, cmd)
	h.wait(b, final(prime.ID))
	var lat []time.Duration
	first := 0
	for b.Loop() {
		in := h.send(b, cmd)
		cb := h.wait(b, ok(fakediscord.KindCallback, in.ID))
		if typ, _ := cb.Callback(); typ == 4 {
			first++
		} else {
			h.wait(b, final(in.ID))
		}
		sent, _ := h.fake.Dispatched(in.ID)
		lat = append(lat, cb.Received.Sub(sent))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[(len(lat)-1)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(first)/float64(len(lat)), "first-response")
}
