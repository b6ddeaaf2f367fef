package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/storybot/storybot/llm/mock"
)

func init() {
	register(command{name: "mock-llm", summary: "serve a fake OpenAI-compatible model for tests and demos", run: runMockLLM})
}

const mockLLMUsage = "mock-llm [--addr 127.0.0.1:8089] [--chunk-delay DURATION] [--api-key KEY] [--verbose]"

func runMockLLM(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "mock-llm", mockLLMUsage, `
Serves an OpenAI-compatible chat completions API that answers without a
model: for a summary prompt, the first sentences of the article. Point
storybot at it with LLM_BASE_URL (printed at start) and LLM_MODEL=mock.

Faults are chosen by model name: mock-slow-10s (any Go duration), mock-hang,
mock-error-500, mock-429, mock-401, mock-404, mock-malformed, mock-cut-stream,
mock-stream-error, mock-empty, mock-hallucinate. Any other name answers
normally. Runs until interrupted (Ctrl+C).`)
	addr := fs.String("addr", "127.0.0.1:8089", "listen on `host:port` (port 0 picks a free one)")
	chunkDelay := fs.Duration("chunk-delay", 0, "pause between streamed chunks, to watch live edits (e.g. 30ms)")
	apiKey := fs.String("api-key", "", "require this bearer `key` (default: accept any)")
	verbose := fs.Bool("verbose", false, "log each request to standard error")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("mock-llm takes no arguments (got %q)", pos[0])
	}
	if *chunkDelay < 0 {
		return usagef("--chunk-delay must not be negative")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	opts := mock.Options{APIKey: *apiKey, ChunkDelay: *chunkDelay}
	if *verbose {
		opts.Log = env.logger(slog.LevelDebug)
	}
	return serveMockLLM(ctx, env, ln, opts)
}

// serveMockLLM serves the mock on ln until ctx ends, then shuts down. It
// closes ln.
func serveMockLLM(ctx context.Context, env *Env, ln net.Listener, opts mock.Options) error {
	base := "http://" + ln.Addr().String() + "/v1"
	fmt.Fprintf(env.Out, `storybot mock-llm: an OpenAI-compatible mock model is listening.
Point storybot at it with:
  LLM_BASE_URL=%s
  LLM_MODEL=mock
Fault models: %s
Press Ctrl+C to stop.
`, base, strings.Join(mock.Models[1:], ", "))

	if err := serveMock(ctx, ln, opts); err != nil {
		return err
	}
	fmt.Fprintln(env.Err, "storybot mock-llm: stopped")
	return nil
}

// serveMock serves the mock on ln until ctx ends, then shuts down. It
// closes ln. Requests end with ctx, so a mock-hang or mock-slow request
// does not hold up the shutdown.
func serveMock(ctx context.Context, ln net.Listener, opts mock.Options) error {
	srv := &http.Server{
		Handler:           mock.NewServer(opts),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	if serveErr := <-served; !errors.Is(serveErr, http.ErrServerClosed) && err == nil {
		err = serveErr
	}
	if err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// startMock serves llm/mock on a free loopback port and returns its base
// URL and a function that stops it, ending any request in progress (a
// mock-hang request included).
func startMock() (base string, stop func(), err error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, fmt.Errorf("start the mock model: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		serveMock(ctx, ln, mock.Options{})
	}()
	return "http://" + ln.Addr().String() + "/v1", func() {
		cancel()
		<-done
	}, nil
}
