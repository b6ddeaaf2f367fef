package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/storybot/storybot/bot"
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
changed) and answers them until interrupted.

Settings: DISCORD_TOKEN (required), DISCORD_APP_ID, DISCORD_GUILD_ID,
DISCORD_API_URL (default https://discord.com/api/v9/), BOT_USER_BURST
(default 3), BOT_USER_EVERY (default 10s), BOT_MAX_MODEL_CALLS (default 4),
BOT_SHUTDOWN_GRACE (default 15s), and the LLM_* and DATABASE_URL settings.

Interactions over HTTP instead of the gateway: DISCORD_INTERACTIONS_ADDR
(host:port) serves Discord's interactions endpoint there, for the developer
portal's Interactions Endpoint URL (behind an HTTPS reverse proxy). Every
request must be signed with the key in DISCORD_PUBLIC_KEY (required with it)
and dated within DISCORD_TIMESTAMP_WINDOW (default 5m). DISCORD_GATEWAY (on
or off) says whether to connect to the gateway as well: off by default when
DISCORD_INTERACTIONS_ADDR is set, on otherwise. Without the gateway
DISCORD_APP_ID is required.

Access (one operator): BOT_ALLOW_USERS, BOT_DENY_USERS, BOT_ALLOW_ROLES,
BOT_DENY_ROLES, BOT_ALLOW_GUILDS and BOT_DENY_GUILDS, IDs separated by spaces
or commas, apply before any server's settings (/storybot; see README,
"Server owners"); a deny list wins. BOT_DM_MODEL (on or off, default on):
whether the model writes /story and /ask replies in direct messages, where
no server's model roles or budgets apply; off gives DMs extractive replies.

Sharding (large bots): DISCORD_SHARD_ID and DISCORD_SHARD_COUNT, both or
neither, 0 <= ID < COUNT; only shard 0 registers the commands.

FEEDS (feed URLs), FEED_CHANNELS (FEED_URL=CHANNEL_ID pairs), FEED_INTERVAL
(default 15m) and FEED_ALLOW_PRIVATE (default false): new stories from the
feeds are stored and, for a feed with a channel, posted there once (see
README, "Feeds"). Only shard 0 reads feeds.

HTTP_ADDR (default 127.0.0.1:8080; empty or "off" turns it off) is where it
serves /healthz (200 while the process is up), /readyz (200 once the store
answers and the bot is connected to Discord, or without the gateway has
registered the commands, else 503 with the reason) and /metrics
(Prometheus). Check it with "storybot healthcheck".`

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
	if err := sum.serve(db, m, func(mod llm.Model) llm.Model { return cfg.LimitModel(mod) }); err != nil {
		return err
	}
	cfg.Log, cfg.Observer, cfg.Answerer = log, m, sum.Answers
	if st, ok := db.(bot.Settings); ok { // every backend is one: see settingscmd.go
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
		stopFeeds := startFeeds(ctx, env.cfg.Feeds, db, b, log)
		defer stopFeeds()
	}
	if err := b.Run(ctx); err != nil {
		return fmt.Errorf("discord: %w", err)
	}
	return nil
}

var _ bot.Observer = (*metrics.Metrics)(nil)
