package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/storybot/storybot/health"
)

// startHTTP listens on addr and serves h there until ctx ends or stop is
// called; stop waits for the server to finish. A failure to listen (a port
// in use) is returned at once; a later failure is logged.
func startHTTP(ctx context.Context, addr string, h http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("HTTP_ADDR: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := health.Serve(ctx, ln, h, log); err != nil {
			log.Error("health and metrics server stopped", "err", err)
		}
	}()
	return func() {
		cancel()
		<-done
	}, nil
}
