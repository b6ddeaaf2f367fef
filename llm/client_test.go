package llm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/llm/mock"
	"github.com/storybot/storybot/prompts"
)

// callTimeout is the per-call timeout in these tests; every call must come
// back within it plus one second (hangGuard is only a guard against a hang,
// not a timing assertion).
const (
	callTimeout = 200 * time.Millisecond
	hangGuard   = callTimeout + time.Second
)

const article = `The city council approved 300 new homes on Monday after a four-hour debate.
Residents of Brixton objected to the height of the towers. "We were not asked," said Ana Silva.
Work starts in spring 2026.`

// recorder wraps the mock, counting requests and keeping their bodies.
type recorder struct {
	h      http.Handler
	calls  atomic.Int32
	mu     sync.Mutex
	bodies [][]byte
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.calls.Add(1)
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(b))
	r.h.ServeHTTP(w, req)
}

func (r *recorder) last(t *testing.T) map[string]any {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var m map[string]any
	if err := json.Unmarshal(r.bodies[len(r.bodies)-1], &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// startMock serves the mock on 127.0.0.1 and returns its /v1 base URL.
func startMock(t testing.TB, opts mock.Options) (string, *recorder) {
	t.Helper()
	rec := &recorder{h: mock.NewServer(opts)}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1", rec
}

func newClient(t testing.TB, cfg llm.Config, opts ...llm.Option) *llm.Client {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = callTimeout
	}
	opts = append([]llm.Option{llm.WithLogger(slog.New(slog.DiscardHandler))}, opts...)
	c, err := llm.New(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func summaryRequest(t testing.TB) llm.Request {
	t.Helper()
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	p, err := set.Summary("Homes approved", article, "brief")
	if err != nil {
		t.Fatal(err)
	}
	return llm.Request{System: p.System, User: p.User}
}

// call runs Complete or Stream and fails the test if it does not return
// within hangGuard.
func call(t *testing.T, c *llm.Client, ctx context.Context, req llm.Request, stream bool) (llm.Reply, []string, error) {
	t.Helper()
	type result struct {
		rep    llm.Reply
		err    error
		deltas []string
	}
	done := make(chan result, 1)
	go func() {
		var r result
		if stream {
			r.rep, r.err = c.Stream(ctx, req, func(d string) { r.deltas = append(r.deltas, d) })
		} else {
			r.rep, r.err = c.Complete(ctx, req)
		}
		done <- r
	}()
	select {
	case r := <-done:
		return r.rep, r.deltas, r.err
	case <-time.After(hangGuard):
		t.Fatalf("call did not return within %v", hangGuard)
		return llm.Reply{}, nil, nil
	}
}

func kindOf(err error) (llm.Kind, *llm.Error) {
	var e *llm.Error
	if !errors.As(err, &e) {
		return -1, nil
	}
	return e.Kind, e
}

func TestFaultsAreClassified(t *testing.T) {
	base, _ := startMock(t, mock.Options{})
	req := summaryRequest(t)
	tests := []struct {
		model       string
		complete    llm.Kind
		stream      llm.Kind
		wantStatus  int
		wantRetry   time.Duration
		wantSetting string
		partialText bool // Stream returns the text that came before the cut
	}{
		{model: "mock-slow-10s", complete: llm.Timeout, stream: llm.Timeout},
		{model: mock.FaultHang, complete: llm.Timeout, stream: llm.Timeout},
		{model: mock.FaultError500, complete: llm.Server, stream: llm.Server, wantStatus: 500},
		{model: mock.FaultRateLimit, complete: llm.RateLimited, stream: llm.RateLimited, wantStatus: 429, wantRetry: 2 * time.Second},
		{model: mock.FaultAuth, complete: llm.Auth, stream: llm.Auth, wantStatus: 401, wantSetting: "LLM_API_KEY"},
		{model: mock.FaultNoModel, complete: llm.UnknownModel, stream: llm.UnknownModel, wantStatus: 404, wantSetting: "LLM_MODEL"},
		{model: mock.FaultMalformed, complete: llm.Malformed, stream: llm.Malformed},
		{model: mock.FaultCutStream, complete: llm.Malformed, stream: llm.Truncated, partialText: true},
		{model: mock.FaultStreamError, complete: llm.Server, stream: llm.Server, partialText: true},
		{model: mock.FaultEmpty, complete: llm.Empty, stream: llm.Empty},
	}
	for _, tt := range tests {
		for _, stream := range []bool{false, true} {
			want := tt.complete
			name := tt.model + "/complete"
			if stream {
				want, name = tt.stream, tt.model+"/stream"
			}
			t.Run(name, func(t *testing.T) {
				// A fresh client each time, so the breaker stays closed.
				c := newClient(t, llm.Config{BaseURL: base, Model: tt.model})
				rep, deltas, err := call(t, c, context.Background(), req, stream)
				kind, e := kindOf(err)
				if e == nil {
					t.Fatalf("got error %v (reply %q), want an *llm.Error of kind %v", err, rep.Text, want)
				}
				if kind != want {
					t.Fatalf("got kind %v (%v), want %v", kind, err, want)
				}
				if tt.wantStatus != 0 && e.Status != tt.wantStatus {
					t.Errorf("got status %d, want %d", e.Status, tt.wantStatus)
				}
				if e.RetryAfter != tt.wantRetry {
					t.Errorf("got RetryAfter %v, want %v", e.RetryAfter, tt.wantRetry)
				}
				if got := e.Kind.Setting(); got != tt.wantSetting {
					t.Errorf("got setting %q, want %q", got, tt.wantSetting)
				}
				if tt.wantSetting != "" && !strings.Contains(e.Reason(), tt.wantSetting) {
					t.Errorf("got reason %q, want it to name %s", e.Reason(), tt.wantSetting)
				}
				if e.Model != tt.model {
					t.Errorf("got model %q in the error, want %q", e.Model, tt.model)
				}
				if stream && tt.partialText && (rep.Text == "" || rep.Text != strings.TrimSpace(strings.Join(deltas, ""))) {
					t.Errorf("got partial text %q from deltas %q, want the text that came", rep.Text, deltas)
				}
			})
		}
	}
}

func TestCompleteAndStreamAgree(t *testing.T) {
	base, rec := startMock(t, mock.Options{})
	req := summaryRequest(t)
	want := mock.Reply(req.System, req.User)
	for _, model := range []string{mock.Model, "mock-slow-20ms", mock.FaultHallucinate} {
		c := newClient(t, llm.Config{BaseURL: base, Model: model})
		full, _, err := call(t, c, context.Background(), req, false)
		if err != nil {
			t.Fatalf("%s: Complete: %v", model, err)
		}
		streamed, deltas, err := call(t, c, context.Background(), req, true)
		if err != nil {
			t.Fatalf("%s: Stream: %v", model, err)
		}
		if model == mock.FaultHallucinate {
			want := want + " " + mock.Hallucination
			if full.Text != want {
				t.Errorf("got %q, want %q", full.Text, want)
			}
		} else if full.Text != want {
			t.Errorf("%s: got %q, want %q", model, full.Text, want)
		}
		if streamed.Text != full.Text || strings.Join(deltas, "") != full.Text {
			t.Errorf("%s: got streamed %q (deltas %q), want %q", model, streamed.Text, deltas, full.Text)
		}
		if len(deltas) < 5 {
			t.Errorf("%s: got %d deltas, want one a word", model, len(deltas))
		}
		for _, r := range []llm.Reply{full, streamed} {
			if !strings.HasPrefix(r.Model, "mock") || r.FinishReason != "stop" || r.Usage.PromptTokens == 0 || r.Usage.CompletionTokens == 0 ||
				r.Usage.TotalTokens != r.Usage.PromptTokens+r.Usage.CompletionTokens {
				t.Errorf("%s: got %+v, want a mock model, finish stop and usage", model, r)
			}
		}
		if full.Usage != streamed.Usage {
			t.Errorf("%s: got usage %+v streamed, want %+v as in Complete", model, streamed.Usage, full.Usage)
		}
	}
	so, _ := rec.last(t)["stream_options"].(map[string]any)
	if so["include_usage"] != true {
		t.Errorf("got stream_options %v, want include_usage true", so)
	}
}

func TestTemperatureZeroIsSent(t *testing.T) {
	base, rec := startMock(t, mock.Options{})
	tests := []struct {
		temp float64
		want float64
	}{
		{0, 1e-6},
		{0.7, 0.7},
	}
	for _, tt := range tests {
		c := newClient(t, llm.Config{BaseURL: base, Model: mock.Model, Temperature: tt.temp, MaxTokens: 123})
		if _, err := c.Complete(context.Background(), llm.Request{User: "Hi."}); err != nil {
			t.Fatal(err)
		}
		body := rec.last(t)
		got, ok := body["temperature"].(float64)
		if !ok || float32(got) != float32(tt.want) {
			t.Errorf("temperature %v: got %v sent, want %v", tt.temp, body["temperature"], tt.want)
		}
		if body["seed"] != float64(llm.DefaultSeed) || body["max_tokens"] != float64(123) {
			t.Errorf("got seed %v, max_tokens %v; want %d, 123", body["seed"], body["max_tokens"], llm.DefaultSeed)
		}
		if msgs, _ := body["messages"].([]any); len(msgs) != 1 {
			t.Errorf("got %d messages, want only the user's when System is empty", len(msgs))
		}
	}
}

func TestReasoningModelParameters(t *testing.T) {
	base, rec := startMock(t, mock.Options{})
	c := newClient(t, llm.Config{BaseURL: base, Model: "o3-mini", MaxTokens: 300})
	rep, err := c.Complete(context.Background(), llm.Request{System: "Be brief.", User: "Hi."})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Model != "mock" {
		t.Errorf("got model %q, want mock", rep.Model)
	}
	body := rec.last(t)
	if body["max_completion_tokens"] != float64(300) || body["max_tokens"] != nil || body["temperature"] != nil {
		t.Errorf("got max_completion_tokens %v, max_tokens %v, temperature %v; want 300 and the other two left out",
			body["max_completion_tokens"], body["max_tokens"], body["temperature"])
	}
}

func TestLengthIsTruncated(t *testing.T) {
	base, _ := startMock(t, mock.Options{})
	c := newClient(t, llm.Config{BaseURL: base, Model: mock.Model})
	req := summaryRequest(t)
	req.MaxTokens = 6
	for _, stream := range []bool{false, true} {
		rep, _, err := call(t, c, context.Background(), req, stream)
		if kind, _ := kindOf(err); kind != llm.Truncated || rep.FinishReason != "length" || rep.Text == "" {
			t.Errorf("stream=%v: got %v, %+v; want Truncated with the partial text and finish length", stream, err, rep)
		}
	}
}

func TestConfigErrorsNameTheVariable(t *testing.T) {
	base, _ := startMock(t, mock.Options{APIKey: "sk-right"})
	tests := []struct {
		name    string
		cfg     llm.Config
		want    llm.Kind
		setting string
	}{
		{"wrong key", llm.Config{BaseURL: base, Model: mock.Model, APIKey: "sk-wrong"}, llm.Auth, "LLM_API_KEY"},
		{"no key", llm.Config{BaseURL: base, Model: mock.Model}, llm.Auth, "LLM_API_KEY"},
		{"unknown model", llm.Config{BaseURL: base, Model: mock.FaultNoModel, APIKey: "sk-right"}, llm.UnknownModel, "LLM_MODEL"},
		{"base URL without /v1", llm.Config{BaseURL: strings.TrimSuffix(base, "/v1"), Model: mock.Model, APIKey: "sk-right"}, llm.BadEndpoint, "LLM_BASE_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, tt.cfg)
			_, _, err := call(t, c, context.Background(), llm.Request{User: "Hi."}, false)
			kind, e := kindOf(err)
			if kind != tt.want {
				t.Fatalf("got %v (%v), want %v", kind, err, tt.want)
			}
			if !strings.Contains(e.Error(), tt.setting) || !strings.Contains(e.Reason(), tt.setting) {
				t.Errorf("got error %q, reason %q; want both to name %s", e.Error(), e.Reason(), tt.setting)
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now: connection refused
	c := newClient(t, llm.Config{BaseURL: "http://" + addr + "/v1", Model: mock.Model})
	for _, stream := range []bool{false, true} {
		_, _, err := call(t, c, context.Background(), llm.Request{User: "Hi."}, stream)
		if kind, _ := kindOf(err); kind != llm.Unreachable {
			t.Errorf("stream=%v: got %v, want Unreachable", stream, err)
		}
	}
}

func TestSecretNeverShown(t *testing.T) {
	const key = "sk-test-TOPSECRET-4242"
	// The mock echoes a wrong key in its 401 message, as OpenAI does.
	base, _ := startMock(t, mock.Options{APIKey: "sk-other"})
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newClient(t, llm.Config{BaseURL: base, Model: mock.Model, APIKey: key, BreakerFailures: 1}, llm.WithLogger(logger))
	var shown []string
	for _, stream := range []bool{false, true, false} { // the third meets the open breaker
		_, _, err := call(t, c, context.Background(), llm.Request{User: "Hi."}, stream)
		if err == nil {
			t.Fatal("got no error, want Auth")
		}
		var e *llm.Error
		errors.As(err, &e)
		shown = append(shown, err.Error(), fmt.Sprintf("%v|%+v|%#v", err, err, err), e.Reason())
		if e.Err != nil {
			shown = append(shown, e.Err.Error())
		}
	}
	shown = append(shown, c.Config().String(), fmt.Sprintf("%v %+v %#v", c.Config(), c.Config(), c.Config()), logs.String())
	for _, s := range shown {
		if strings.Contains(s, key) || strings.Contains(s, "TOPSECRET") {
			t.Errorf("found the API key in %q", strings.ReplaceAll(s, key, "<KEY>"))
		}
	}
	if !strings.Contains(shown[0], "REDACTED") {
		t.Errorf("got %q, want the echoed key replaced by REDACTED", shown[0])
	}
}

func TestBreakerSkipsTheServer(t *testing.T) {
	base, rec := startMock(t, mock.Options{})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	c := newClient(t, llm.Config{BaseURL: base, Model: mock.FaultError500, BreakerFailures: 2, BreakerCooldown: time.Minute}, llm.WithClock(clock))
	for range 2 {
		_, _, err := call(t, c, context.Background(), llm.Request{User: "Hi."}, false)
		if kind, _ := kindOf(err); kind != llm.Server {
			t.Fatalf("got %v, want Server", err)
		}
	}
	if s, n := c.Breaker(); s != llm.Open || n != 2 {
		t.Fatalf("got breaker %v with %d failures, want open with 2", s, n)
	}
	_, _, err := call(t, c, context.Background(), llm.Request{User: "Hi."}, true)
	kind, e := kindOf(err)
	if kind != llm.BreakerOpen || e.RetryAfter != time.Minute {
		t.Fatalf("got %v, want BreakerOpen with RetryAfter 1m", err)
	}
	if got := rec.calls.Load(); got != 2 {
		t.Errorf("got %d requests to the server, want 2 (none while open)", got)
	}
	advance(time.Minute)
	_, _, err = call(t, c, context.Background(), llm.Request{User: "Hi."}, false)
	if kind, _ := kindOf(err); kind != llm.Server || rec.calls.Load() != 3 {
		t.Errorf("got %v after %d requests, want the probe sent and failing with Server", err, rec.calls.Load())
	}
	if s, _ := c.Breaker(); s != llm.Open {
		t.Errorf("got breaker %v after a failed probe, want open", s)
	}
}

func TestRateLimitOpensBreakerForRetryAfter(t *testing.T) {
	base, rec := startMock(t, mock.Options{})
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newClient(t, llm.Config{BaseURL: base, Model: mock.FaultRateLimit, BreakerCooldown: time.Hour}, llm.WithClock(func() time.Time { return now }))
	call(t, c, context.Background(), llm.Request{User: "Hi."}, false)
	_, _, err := call(t, c, context.Background(), llm.Request{User: "Hi."}, false)
	if kind, e := kindOf(err); kind != llm.BreakerOpen || e.RetryAfter != mock.RetryAfterSeconds*time.Second {
		t.Errorf("got %v, want BreakerOpen for the server's Retry-After", err)
	}
	if got := rec.calls.Load(); got != 1 {
		t.Errorf("got %d requests, want 1", got)
	}
}

func TestCanceledByCaller(t *testing.T) {
	base, _ := startMock(t, mock.Options{})
	c := newClient(t, llm.Config{BaseURL: base, Model: mock.FaultHang, Timeout: 10 * time.Second, BreakerFailures: 1})
	for range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		_, _, err := call(t, c, ctx, llm.Request{User: "Hi."}, true)
		cancel()
		if kind, _ := kindOf(err); kind != llm.Canceled {
			t.Fatalf("got %v, want Canceled", err)
		}
	}
	if s, n := c.Breaker(); s != llm.Closed || n != 0 {
		t.Errorf("got breaker %v with %d failures, want closed: a caller's cancel is not the model's fault", s, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Complete(ctx, llm.Request{User: "Hi."}); !errors.Is(err, context.Canceled) {
		t.Errorf("got %v for a canceled context, want it to wrap context.Canceled", err)
	}
}

func TestConcurrentCalls(t *testing.T) {
	base, _ := startMock(t, mock.Options{})
	c := newClient(t, llm.Config{BaseURL: base, Model: mock.Model, Timeout: 5 * time.Second})
	req := summaryRequest(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			var err error
			if i%2 == 0 {
				_, err = c.Complete(context.Background(), req)
			} else {
				_, err = c.Stream(context.Background(), req, func(string) {})
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestKindNames(t *testing.T) {
	for k := llm.Unknown; k <= llm.Canceled; k++ {
		e := &llm.Error{Kind: k}
		if strings.HasPrefix(k.String(), "Kind(") || e.Reason() == "" || e.Error() != "llm: "+k.String()+settingSuffix(k) {
			t.Errorf("kind %d: got name %q, reason %q, error %q", int(k), k.String(), e.Reason(), e.Error())
		}
	}
}

func settingSuffix(k llm.Kind) string {
	if s := k.Setting(); s != "" {
		return ", check " + s
	}
	return ""
}
