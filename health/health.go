// Package health serves storybot's operational HTTP endpoints: /healthz
// (the process is up), /readyz (its dependencies are ready) and, when given,
// /metrics. It is meant for a loopback or private address, not the internet.
package health

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// Check is one readiness check: Func returns nil when Name is ready, else
// an error whose text is a short reason ("not connected to Discord yet").
type Check struct {
	Name string
	Func func(ctx context.Context) error
}

// Config configures Handler.
type Config struct {
	// Checks must all pass for /readyz to answer 200.
	Checks []Check
	// CheckTimeout bounds each check; zero means DefaultCheckTimeout.
	CheckTimeout time.Duration
	// Metrics serves /metrics; nil leaves it out.
	Metrics http.Handler
}

// DefaultCheckTimeout bounds a readiness check unless Config says otherwise.
const DefaultCheckTimeout = 2 * time.Second

// Handler returns the handler of /healthz, /readyz and /metrics.
//
// /healthz answers 200 "ok" while the process serves HTTP at all. /readyz
// runs the checks in order and answers 200 "ready" when all pass, else 503
// with "not ready: NAME: REASON" for the first that failed.
func Handler(cfg Config) http.Handler {
	if cfg.CheckTimeout <= 0 {
		cfg.CheckTimeout = DefaultCheckTimeout
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		text(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		for _, c := range cfg.Checks {
			if err := run(r.Context(), c, cfg.CheckTimeout); err != nil {
				text(w, http.StatusServiceUnavailable, fmt.Sprintf("not ready: %s: %s", c.Name, oneLine(err.Error())))
				return
			}
		}
		text(w, http.StatusOK, "ready")
	})
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", cfg.Metrics)
	}
	return mux
}

func run(ctx context.Context, c Check, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return c.Func(ctx)
}

func text(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	fmt.Fprintln(w, body)
}

// oneLine keeps a reason short: its first line, at most 200 bytes.
func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// Ready returns a check that passes once ready is closed (bot.Bot.Ready).
func Ready(ready <-chan struct{}, reason string) func(context.Context) error {
	return func(context.Context) error {
		select {
		case <-ready:
			return nil
		default:
			return errors.New(reason)
		}
	}
}

// ShutdownTimeout is how long Serve waits for requests in progress once ctx
// ends.
const ShutdownTimeout = 5 * time.Second

// Serve serves h on ln until ctx ends, then shuts down gracefully (waiting
// up to ShutdownTimeout for requests in progress) and returns nil. It
// returns an error only when serving fails. It closes ln.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }() // ends when Shutdown is called
	log.Info("serving health and metrics", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve http on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve http on %s: %w", ln.Addr(), err)
	}
	return nil
}
