package summarize_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/llm/mock"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/sqlite"
	"github.com/storybot/storybot/summarize"
)

var (
	_ llm.Model      = (*llm.Client)(nil)
	_ generate.Cache = (*sqlite.DB)(nil)
)

// story is a short article the mock summarizes from its first sentences.
var story = summarize.Input{
	ID:    "abc1234",
	Title: "Council approves 300 homes",
	Body: `The city council approved 300 new homes on Monday after a four-hour debate.
Residents of Brixton objected to the height of the towers. "We were not asked," said Ana Silva, who leads the tenants’ group.
Work starts in spring 2026, the council said.`,
}

// counter is the mock behind a middleware that counts chat completion calls.
type counter struct {
	srv   *httptest.Server
	calls atomic.Int32
}

func newMock(t testing.TB, opts mock.Options) *counter {
	t.Helper()
	c := &counter{}
	h := mock.NewServer(opts)
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/chat/completions") {
			c.calls.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// env is a Service wired to the mock, a real SQLite cache and a log buffer.
type env struct {
	svc   *summarize.Service
	mock  *counter
	db    *sqlite.DB
	logs  *syncBuffer
	model *llm.Client
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type setup struct {
	model   string
	timeout time.Duration
	cfg     func(*llm.Config)
	mockOpt mock.Options
	noCache bool
	obs     summarize.Observer
}

func newEnv(t testing.TB, s setup) *env {
	t.Helper()
	if s.model == "" {
		s.model = mock.Model
	}
	if s.timeout == 0 {
		s.timeout = 2 * time.Second
	}
	e := &env{mock: newMock(t, s.mockOpt), logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := llm.Config{BaseURL: e.mock.srv.URL + "/v1", Model: s.model, Timeout: s.timeout}
	if s.cfg != nil {
		s.cfg(&cfg)
	}
	var err error
	e.model, err = llm.New(cfg, llm.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sc := summarize.Config{Prompts: set, Model: e.model, Timeout: s.timeout, Log: log, Observer: s.obs}
	if !s.noCache {
		e.db, err = sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cache.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.db.Close() })
		sc.Cache = e.db
	}
	e.svc = summarize.NewService(sc)
	return e
}

func (e *env) summarize(t testing.TB, o summarize.Options) summarize.Summary {
	t.Helper()
	s, err := e.svc.Summarize(context.Background(), story, summarize.Brief, o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func extractive(in summarize.Input, style summarize.Style) string {
	return strings.Join(summarize.Extract(in.Title, in.Body, style), " ")
}

func TestSummarizeModelThenCache(t *testing.T) {
	e := newEnv(t, setup{})
	set, _ := prompts.Load("")
	p, _ := set.Summary(story.Title, story.Body, "brief")
	want := mock.Reply(p.System, p.User)

	s := e.summarize(t, summarize.Options{})
	if s.Text != want || s.Engine != "mock" || s.Model != "mock" || s.Cached || s.Fallback != nil || s.Style != summarize.Brief || !s.ModelAnswered {
		t.Errorf("first: got %+v, want the mock's summary %q, not cached, the model answered", s, want)
	}
	if s.Usage.PromptTokens == 0 || s.Usage.CompletionTokens == 0 {
		t.Errorf("first: got usage %+v, want tokens counted", s.Usage)
	}
	if got := e.mock.calls.Load(); got != 1 {
		t.Errorf("first: got %d model calls, want 1", got)
	}

	again := e.summarize(t, summarize.Options{})
	if !again.Cached || again.Text != s.Text || again.Engine != "mock" || again.Usage != s.Usage || again.ModelAnswered {
		t.Errorf("second: got %+v, want the same summary from the cache, the model not asked", again)
	}
	if got := e.mock.calls.Load(); got != 1 {
		t.Errorf("second: got %d model calls, want still 1", got)
	}

	fresh := e.summarize(t, summarize.Options{Fresh: true})
	if fresh.Cached || fresh.Text != s.Text {
		t.Errorf("fresh: got %+v, want a new model summary", fresh)
	}
	if got := e.mock.calls.Load(); got != 2 {
		t.Errorf("fresh: got %d model calls, want 2", got)
	}

	// Another style is another cache entry.
	if s, _ := e.svc.Summarize(context.Background(), story, summarize.Detailed, summarize.Options{}); s.Cached {
		t.Errorf("detailed: got a cache hit, want a model call")
	}
	if got := e.mock.calls.Load(); got != 3 {
		t.Errorf("detailed: got %d model calls, want 3", got)
	}
}

// Every fault the mock can inject yields the extractive summary, within the
// timeout plus one second, with a Warn line saying why, and is not cached.
func TestSummarizeFaults(t *testing.T) {
	const timeout = 300 * time.Millisecond
	tests := []struct {
		model    string
		cfg      func(*llm.Config)
		code     string
		setting  string
		twoCalls bool // whether a second request reaches the model (the breaker is still closed)
		answered bool // whether a completion came back (Summary.ModelAnswered)
	}{
		{model: mock.FaultSlow + "5s", code: generate.FallbackTimeout, twoCalls: true},
		{model: mock.FaultHang, code: generate.FallbackTimeout, twoCalls: true},
		{model: mock.FaultError500, code: generate.FallbackServer, twoCalls: true},
		{model: mock.FaultRateLimit, code: generate.FallbackRateLimited},
		{model: mock.FaultAuth, code: generate.FallbackConfig, setting: "LLM_API_KEY", twoCalls: true},
		{model: mock.FaultNoModel, code: generate.FallbackConfig, setting: "LLM_MODEL", twoCalls: true},
		{model: mock.FaultMalformed, code: generate.FallbackMalformed, twoCalls: true, answered: true},
		{model: mock.FaultCutStream, code: generate.FallbackMalformed, twoCalls: true, answered: true},
		{model: mock.FaultStreamError, code: generate.FallbackServer, twoCalls: true},
		{model: mock.FaultEmpty, code: generate.FallbackEmpty, twoCalls: true, answered: true},
		{model: mock.FaultHallucinate, code: generate.FallbackUnfaithful, twoCalls: true, answered: true},
		{model: mock.FaultEchoPrompt, code: generate.FallbackPromptLeak, twoCalls: true, answered: true},
		{model: mock.FaultLink, code: generate.FallbackLink, twoCalls: true, answered: true},
		{model: "mock-max-tokens-5", cfg: func(c *llm.Config) { c.MaxTokens = 5 }, code: generate.FallbackTruncated, twoCalls: true, answered: true},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, setup{model: tt.model, timeout: timeout, cfg: tt.cfg})
			start := time.Now()
			s := e.summarize(t, summarize.Options{})
			if d := time.Since(start); d > timeout+time.Second {
				t.Errorf("took %v, want at most %v", d, timeout+time.Second)
			}
			if s.Fallback == nil {
				t.Fatalf("got %+v, want a fallback", s)
			}
			if s.Fallback.Code != tt.code || s.Fallback.Setting != tt.setting {
				t.Errorf("got fallback %+v, want code %q setting %q", *s.Fallback, tt.code, tt.setting)
			}
			if tt.setting != "" && !strings.Contains(s.Fallback.Reason, tt.setting) {
				t.Errorf("got reason %q, want it to name %s", s.Fallback.Reason, tt.setting)
			}
			if s.Text != extractive(story, summarize.Brief) || s.Engine != generate.Extractive || s.Model != tt.model || s.Cached {
				t.Errorf("got %+v, want the extractive summary, not cached", s)
			}
			if s.ModelAnswered != tt.answered {
				t.Errorf("got ModelAnswered %v, want %v", s.ModelAnswered, tt.answered)
			}
			logs := e.logs.String()
			for _, want := range []string{"level=WARN", "summary fell back to extractive", "story=" + story.ID, "reason=" + tt.code} {
				if !strings.Contains(logs, want) {
					t.Errorf("log lacks %q:\n%s", want, logs)
				}
			}
			for _, secret := range []string{"Residents of Brixton", "Summarize the article"} {
				if strings.Contains(logs, secret) {
					t.Errorf("log holds prompt text %q:\n%s", secret, logs)
				}
			}

			// Fallbacks are not cached: the next request asks the model
			// again, unless the breaker now skips it.
			s2 := e.summarize(t, summarize.Options{})
			wantCalls := int32(1)
			if tt.twoCalls {
				wantCalls = 2
			}
			if got := e.mock.calls.Load(); got != wantCalls {
				t.Errorf("got %d model calls after two requests, want %d", got, wantCalls)
			}
			if s2.Fallback == nil || s2.Cached {
				t.Errorf("second: got %+v, want a fallback again", s2)
			}
		})
	}
}

func TestSummarizeBreakerOpen(t *testing.T) {
	e := newEnv(t, setup{model: mock.FaultError500, cfg: func(c *llm.Config) { c.BreakerFailures = 2 }})
	for range 2 {
		if s := e.summarize(t, summarize.Options{}); s.Fallback == nil || s.Fallback.Code != generate.FallbackServer {
			t.Fatalf("got %+v, want a server-error fallback", s.Fallback)
		}
	}
	s := e.summarize(t, summarize.Options{})
	if s.Fallback == nil || s.Fallback.Code != generate.FallbackBreakerOpen || s.Engine != generate.Extractive {
		t.Errorf("got %+v, want a breaker-open fallback", s)
	}
	if got := e.mock.calls.Load(); got != 2 {
		t.Errorf("got %d model calls, want 2 (none while the breaker is open)", got)
	}
}

func TestSummarizeModelOff(t *testing.T) {
	var logs syncBuffer
	svc := summarize.NewService(summarize.Config{Log: slog.New(slog.NewTextHandler(&logs, nil))})
	s, err := svc.Summarize(context.Background(), story, summarize.Standard, summarize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.Text != extractive(story, summarize.Standard) || s.Engine != generate.Extractive || s.Model != "" || s.Fallback == nil || s.Fallback.Code != generate.FallbackOff {
		t.Errorf("got %+v, want the extractive summary with fallback off", s)
	}
	if strings.Contains(logs.String(), "WARN") {
		t.Errorf("got a warning for a model that is off by choice:\n%s", logs.String())
	}
}

func TestSummarizeBadInput(t *testing.T) {
	svc := summarize.NewService(summarize.Config{Log: slog.New(slog.DiscardHandler)})
	if _, err := svc.Summarize(context.Background(), summarize.Input{ID: "x", Title: "T", Body: " \n – "}, summarize.Brief, summarize.Options{}); !errors.Is(err, summarize.ErrNoText) {
		t.Errorf("no text: got %v, want ErrNoText", err)
	}
	if _, err := svc.Summarize(context.Background(), story, summarize.Style(0), summarize.Options{}); err == nil {
		t.Errorf("invalid style: got no error, want one")
	}
}

// fakeModel is a Model of func fields, for what the mock cannot do.
type fakeModel struct {
	name     string
	complete func(ctx context.Context, req llm.Request) (llm.Reply, error)
}

func (f *fakeModel) Model() string { return f.name }
func (f *fakeModel) Complete(ctx context.Context, req llm.Request) (llm.Reply, error) {
	return f.complete(ctx, req)
}

// A model client that ignores its context still cannot hold the summary
// past the timeout plus the grace period.
func TestSummarizeModelIgnoringDeadline(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	m := &fakeModel{name: "stuck", complete: func(context.Context, llm.Request) (llm.Reply, error) {
		<-release
		return llm.Reply{}, errors.New("released")
	}}
	set, _ := prompts.Load("")
	const timeout, grace = 100 * time.Millisecond, 100 * time.Millisecond
	svc := summarize.NewService(summarize.Config{Prompts: set, Model: m, Timeout: timeout, Grace: grace, Log: slog.New(slog.DiscardHandler)})
	start := time.Now()
	s, err := svc.Summarize(context.Background(), story, summarize.Brief, summarize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > timeout+time.Second {
		t.Errorf("took %v, want at most %v", d, timeout+time.Second)
	}
	if s.Fallback == nil || s.Fallback.Code != generate.FallbackTimeout {
		t.Errorf("got %+v, want a timeout fallback", s.Fallback)
	}
}

func TestSummarizeCleansAndCachesCleanText(t *testing.T) {
	m := &fakeModel{name: "thinker", complete: func(context.Context, llm.Request) (llm.Reply, error) {
		return llm.Reply{Model: "thinker-v1", Text: "<think>They want 45 words.</think>\nHere is a summary of the article:\nThe city council approved 300 new homes.", FinishReason: "stop"}, nil
	}}
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	set, _ := prompts.Load("")
	svc := summarize.NewService(summarize.Config{Prompts: set, Model: m, Cache: db, Log: slog.New(slog.DiscardHandler)})
	s, err := svc.Summarize(context.Background(), story, summarize.Brief, summarize.Options{})
	if err != nil {
		t.Fatal(err)
	}
	const want = "The city council approved 300 new homes."
	if s.Text != want || s.Engine != "thinker-v1" || s.Model != "thinker" {
		t.Errorf("got %+v, want %q by thinker-v1", s, want)
	}
	set2, _ := prompts.Load("")
	p, _ := set2.Summary(story.Title, story.Body, "brief")
	hash := article.Article{Title: story.Title, Body: story.Body}.ContentHash()
	c, ok, err := db.CachedSummary(context.Background(), summarize.CacheKey(hash, summarize.Brief, p.Hash, "thinker"))
	if err != nil || !ok || c.Text != want || c.Model != "thinker-v1" {
		t.Errorf("cache: got %+v ok=%v err=%v, want the cleaned text", c, ok, err)
	}
}

// A failing cache is a miss, not a failure.
func TestSummarizeCacheFailure(t *testing.T) {
	e := newEnv(t, setup{})
	set, _ := prompts.Load("")
	svc := summarize.NewService(summarize.Config{Prompts: set, Model: e.model, Cache: brokenCache{}, Log: slog.New(slog.NewTextHandler(e.logs, nil))})
	s, err := svc.Summarize(context.Background(), story, summarize.Brief, summarize.Options{})
	if err != nil || s.Fallback != nil || s.Engine != "mock" {
		t.Errorf("got %+v, %v; want the model's summary", s, err)
	}
	if !strings.Contains(e.logs.String(), "summary cache read failed") {
		t.Errorf("log lacks the cache failure:\n%s", e.logs.String())
	}
}

type brokenCache struct{}

func (brokenCache) CachedSummary(context.Context, string) (store.Summary, bool, error) {
	return store.Summary{}, false, errors.New("disk on fire")
}
func (brokenCache) PutSummary(context.Context, string, store.Summary) error {
	return errors.New("disk on fire")
}

func TestSummarizeConcurrentIdenticalRequestsMakeOneCall(t *testing.T) {
	for _, model := range []string{mock.Model, mock.FaultSlow + "50ms"} {
		t.Run(model, func(t *testing.T) {
			e := newEnv(t, setup{model: model})
			var wg sync.WaitGroup
			start := make(chan struct{})
			results := make([]summarize.Summary, 50)
			for i := range results {
				wg.Go(func() {
					<-start
					s, err := e.svc.Summarize(context.Background(), story, summarize.Brief, summarize.Options{})
					if err != nil {
						t.Error(err)
					}
					results[i] = s
				})
			}
			close(start)
			wg.Wait()
			if got := e.mock.calls.Load(); got != 1 {
				t.Errorf("got %d model calls, want exactly 1", got)
			}
			for i, s := range results {
				if s.Text != results[0].Text || s.Fallback != nil {
					t.Errorf("request %d: got %+v, want the model's summary", i, s)
				}
			}
		})
	}
}

// A caller that gives up gets an error at once; others waiting on the same
// call still get the summary.
func TestSummarizeCallerCanceled(t *testing.T) {
	e := newEnv(t, setup{model: mock.FaultSlow + "1s", timeout: 5 * time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := e.svc.Summarize(ctx, story, summarize.Brief, summarize.Options{})
		errc <- err
	}()
	other := make(chan summarize.Summary, 1)
	go func() {
		time.Sleep(20 * time.Millisecond) // join the same call
		s, _ := e.svc.Summarize(context.Background(), story, summarize.Brief, summarize.Options{})
		other <- s
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("canceled caller: got %v, want context.Canceled", err)
	}
	if s := <-other; s.Fallback != nil || s.Engine != mock.FaultSlow+"1s" {
		t.Errorf("other caller: got %+v, want the model's summary", s)
	}
}

// The API key never reaches the log, even when the server echoes it.
func TestSummarizeLogsNoSecret(t *testing.T) {
	const key = "sk-secret-0123456789abcdef"
	e := newEnv(t, setup{mockOpt: mock.Options{APIKey: "sk-the-right-one"}, cfg: func(c *llm.Config) { c.APIKey = key }})
	s := e.summarize(t, summarize.Options{})
	if s.Fallback == nil || s.Fallback.Setting != "LLM_API_KEY" {
		t.Fatalf("got %+v, want a config fallback naming LLM_API_KEY", s.Fallback)
	}
	if logs := e.logs.String(); strings.Contains(logs, key) || strings.Contains(logs, "sk-secret") {
		t.Errorf("log holds the API key:\n%s", logs)
	}
}

func TestCacheKey(t *testing.T) {
	base := summarize.CacheKey("c1", summarize.Brief, "p1", "m1")
	for _, other := range []string{
		summarize.CacheKey("c2", summarize.Brief, "p1", "m1"),
		summarize.CacheKey("c1", summarize.Standard, "p1", "m1"),
		summarize.CacheKey("c1", summarize.Brief, "p2", "m1"),
		summarize.CacheKey("c1", summarize.Brief, "p1", "m2"),
	} {
		if other == base {
			t.Errorf("got the same key %q for different inputs", base)
		}
	}
	if got, want := base, "v1/brief/c1/p1/m1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
