package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/storybot/storybot/bot"
	cmds "github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/health"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/metrics"
)

func init() {
	register(command{name: "run", summary: "answer /story and /ask on Discord (needs DISCORD_TOKEN)", run: runBot})
}

const runAbout = `
Connects to Discord as the bot whose token is in DISCORD_TOKEN, registers
/story and /ask (in DISCORD_GUILD_ID when set, else globally; only when they
changed) and answers them until interrupted. With DISCORD_INTERACTIONS_ADDR
it also (or, with DISCORD_GATEWAY=off, only) serves Discord's HTTP
interactions endpoint there. New stories from FEEDS are stored and posted to
FEED_CHANNELS (only shard 0 reads feeds). HTTP_ADDR serves /healthz, /readyz
(200 once the store answers and Discord is connected) and /metrics; check it
with "storybot healthcheck".

Settings: the DISCORD_*, BOT_*, FEED*, LLM_*, HTTP_ADDR and DATABASE_URL
variables; 'storybot env-example' lists each with its default and meaning.`

func runBot(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "run", "run [--db FILE]", runAbout)
	var sf storeFlags
	sf.add(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("run takes no arguments (got %q)", pos[0])
	}
	cfg, err := env.cfg.discord()
	if err != nil {
		return err
	}
	log := env.logger(slog.LevelInfo)
	sum, err := newSummarizer(env.cfg.model(""), log)
	if err != nil {
		return err
	}
	defer sum.Close()
	db, err := sf.open(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	m := metrics.New()
	// Only real model calls take one of the bot's BOT_MAX_MODEL_CALLS slots.
	if err := sum.serve(db, m, func(mod llm.Model) llm.Model { return llm.NewLimit(mod, env.cfg.MaxModelCalls, 0) }); err != nil {
		return err
	}
	cfg.Log, cfg.Observer, cfg.Answerer = log, m, sum.Answers
	if st, ok := db.(cmds.Budgets); ok { // every backend is one: see settingscmd.go
		cfg.Settings = st // per-server settings and model usage (/storybot)
	}
	b, err := bot.New(cfg, db, sum)
	if err != nil {
		return usageError{err}
	}
	if httpAddr := env.cfg.HTTPAddr; httpAddr != "" {
		notReady := "not connected to Discord yet"
		if cfg.HTTPOnly {
			notReady = "commands not registered yet"
		}
		h := health.Handler(health.Config{
			Checks: []health.Check{
				{Name: "store", Func: db.Ping},
				{Name: "discord", Func: health.Ready(b.Ready(), notReady)},
			},
			Metrics: m.Handler(),
		})
		stop, err := startHTTP(ctx, httpAddr, h, log.With("component", "http"))
		if err != nil {
			return err
		}
		defer stop()
	}
	if interactionsAddr := env.cfg.InteractionsAddr; interactionsAddr != "" {
		h, err := b.Interactions()
		if err != nil {
			return usageError{err}
		}
		// Stopped after Run returns: during the shutdown grace period new
		// interactions are told storybot is restarting.
		stop, err := startInteractions(interactionsAddr, h, log.With("component", "interactions"))
		if err != nil {
			return err
		}
		defer stop()
	}
	if cfg.ShardID == 0 { // one process reads the feeds
		stopFeeds := startFeeds(ctx, env.cfg.Feeds, db, cmds.Poster{Summarizer: sum, Send: b.PostReply}, log)
		defer stopFeeds()
	}
	if err := b.Run(ctx); err != nil {
		return fmt.Errorf("discord: %w", err)
	}
	return nil
}

var _ bot.Observer = (*metrics.Metrics)(nil)

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
