package bot_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storybot/storybot/bot"
)

// recorder is a cheap stand-in for Discord's REST API: it counts the edits
// of original responses and answers every call with a minimal valid body.
type recorder struct {
	srv   *httptest.Server
	edits atomic.Int64
	other atomic.Int64 // anything but an edit or the registration
}

func startRecorder(tb testing.TB) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		io.Copy(io.Discard, q.Body)
		w.Header().Set("Content-Type", "application/json")
		switch {
		case q.Method == http.MethodPatch && strings.HasSuffix(q.URL.Path, "/messages/@original"):
			r.edits.Add(1)
			io.WriteString(w, `{"id":"1","channel_id":"2","content":""}`)
		case strings.HasSuffix(q.URL.Path, "/commands"):
			io.WriteString(w, `[]`)
		default:
			r.other.Add(1)
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	tb.Cleanup(r.srv.Close)
	return r
}

// waitEdits waits until n edits have arrived, or fails after bound.
func (r *recorder) waitEdits(tb testing.TB, n int64) {
	tb.Helper()
	deadline := time.Now().Add(bound)
	for r.edits.Load() < n {
		if time.Now().After(deadline) {
			tb.Fatalf("got %d edits, want %d", r.edits.Load(), n)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// BenchmarkSignedInteractions measures the signed /story interactions one
// process answers a second: each is a POST over loopback to the HTTP
// endpoint, signed with the application's key, for one of the stored
// stories by its ID (what autocomplete fills in) with its summary cached;
// the endpoint checks the signature and answers in the HTTP reply itself
// when the summary is ready within the acknowledgement window (a cached
// one is), else acknowledges there and sends the edit with the summary to
// a recorder on loopback. Many clients post at once, as Discord does. The
// rate counts every interaction from the first POST to the last reply's
// arrival; the clients and the recorder run in the
// same process and take part of the CPU, which cpu-µs/interaction counts.
func BenchmarkSignedInteractions(b *testing.B) {
	rec := startRecorder(b)
	e := startEndpoint(b, setup{config: func(c *bot.Config) {
		c.APIURL = rec.srv.URL + "/api/v9/"
		c.UserBurst = 1 << 30
	}})
	titles, err := e.db.Titles(context.Background(), "", 10)
	if err != nil {
		b.Fatal(err)
	}
	// A signed request for each interaction (the endpoint refuses one it
	// has seen), one story each in turn, many users; made before timing.
	pool := b.N + len(titles)
	bodies := make([][]byte, pool)
	for i := range bodies {
		_, bodies[i] = e.interaction(b, command("story", user(i), "query", titles[i%len(titles)].ID))
	}
	sigs := make([]string, pool)
	ts := strconv.FormatInt(clock.Unix(), 10)
	for i, body := range bodies {
		sigs[i] = sign(appKey, ts, body)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}
	post := func(i int) {
		r, err := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(bodies[i]))
		if err != nil {
			b.Error(err)
			return
		}
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Signature-Ed25519", sigs[i])
		r.Header.Set("X-Signature-Timestamp", ts)
		resp, err := client.Do(r)
		if err != nil {
			b.Error(err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK && bytes.HasPrefix(body, []byte(`{"type":4,`)):
			rec.edits.Add(1) // answered in the HTTP reply: counted as its edit would be
		case resp.StatusCode == http.StatusOK && string(body) == `{"type":5}`:
		default:
			b.Errorf("got %d %s, want 200 with the reply or {\"type\":5}", resp.StatusCode, body)
		}
	}
	// Warm up: every story's summary into the cache, connections open.
	for i := range len(titles) {
		post(b.N + i)
	}
	rec.waitEdits(b, int64(len(titles)))

	const clients = 64
	b.SetParallelism(max(1, clients/runtime.GOMAXPROCS(0)))
	start, before := time.Now(), rec.edits.Load()
	cpu0, cpuOK := cpuTime()
	var next atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			post(int(next.Add(1) - 1))
		}
	})
	rec.waitEdits(b, before+int64(b.N))
	b.StopTimer()
	took := time.Since(start)
	b.ReportMetric(float64(b.N)/took.Seconds(), "interactions/s")
	if cpu1, ok := cpuTime(); ok && cpuOK {
		// CPU time per interaction, the clients' included: on a shared
		// machine a steadier figure than the rate. 2 s of CPU a second
		// over this is what two idle cores would answer.
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/interaction")
	}
	if n := rec.other.Load(); n > 0 {
		b.Errorf("got %d REST calls other than edits, want none (a failure message?)", n)
	}
}
