package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/storybot/storybot/health"
)

// startInteractions serves h, the HTTP interactions endpoint, on addr until
// stop is called; stop waits up to health.ShutdownTimeout for requests in
// progress (each is answered within about 3 s). A failure to listen is
// returned at once; a later failure is logged. Unlike the health server it
// does not stop with the context: "storybot run" stops it once the bot has
// shut down, so that interactions arriving during the grace period are told
// storybot is restarting rather than finding no server.
func startInteractions(addr string, h http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("DISCORD_INTERACTIONS_ADDR: %w", err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			log.Error("the interactions endpoint stopped", "err", err)
		}
	}()
	log.Info("serving the HTTP interactions endpoint", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), health.ShutdownTimeout)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			srv.Close()
		}
		<-done
	}, nil
}
