package health_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/storybot/storybot/health"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestHandler(t *testing.T) {
	ok := func(context.Context) error { return nil }
	closed := make(chan struct{})
	close(closed)
	tests := []struct {
		name     string
		cfg      health.Config
		path     string
		wantCode int
		wantBody string
	}{
		{"healthz", health.Config{Checks: []health.Check{{"store", func(context.Context) error { return errors.New("down") }}}}, "/healthz", 200, "ok\n"},
		{"ready", health.Config{Checks: []health.Check{{"store", ok}, {"discord", health.Ready(closed, "not connected")}}}, "/readyz", 200, "ready\n"},
		{"no checks", health.Config{}, "/readyz", 200, "ready\n"},
		{"bot not ready", health.Config{Checks: []health.Check{{"store", ok}, {"discord", health.Ready(make(chan struct{}), "not connected to Discord yet")}}}, "/readyz", 503, "not ready: discord: not connected to Discord yet\n"},
		{"store down", health.Config{Checks: []health.Check{{"store", func(context.Context) error { return errors.New("ping store: database is closed\nmore") }}}}, "/readyz", 503, "not ready: store: ping store: database is closed\n"},
		{"check deadline", health.Config{Checks: []health.Check{{"store", func(ctx context.Context) error {
			if _, ok := ctx.Deadline(); !ok {
				return errors.New("no deadline")
			}
			return nil
		}}}}, "/readyz", 200, "ready\n"},
		{"no metrics", health.Config{}, "/metrics", 404, "404 page not found\n"},
		{"metrics", health.Config{Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "m 1\n") })}, "/metrics", 200, "m 1\n"},
		{"unknown", health.Config{}, "/", 404, "404 page not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(health.Handler(tt.cfg))
			defer srv.Close()
			code, body := get(t, srv.URL+tt.path)
			if code != tt.wantCode || body != tt.wantBody {
				t.Errorf("GET %s: got %d %q, want %d %q", tt.path, code, body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestServeStopsWhenContextEnds(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- health.Serve(ctx, ln, health.Handler(health.Config{}), slog.New(slog.DiscardHandler)) }()
	if code, body := get(t, "http://"+addr+"/healthz"); code != 200 || strings.TrimSpace(body) != "ok" {
		t.Errorf("got %d %q, want 200 ok", code, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("got %v, want nil after ctx ended", err)
	}
	if c, err := net.Dial("tcp", addr); err == nil {
		c.Close()
		t.Errorf("the listener at %s is still open", addr)
	}
}

func TestServeReportsAFailingListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	if err := health.Serve(context.Background(), ln, health.Handler(health.Config{}), slog.New(slog.DiscardHandler)); err == nil {
		t.Error("got nil, want an error for a closed listener")
	}
}
