package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

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

// readBotConfig reads the DISCORD_* and BOT_* variables: the bot's
// configuration and where to serve the HTTP interactions endpoint ("" for
// nowhere). The token is never printed.
func readBotConfig(getenv func(string) string) (c bot.Config, interactionsAddr string, err error) {
	get := func(n string) string { return strings.TrimSpace(getenv(n)) }
	c = bot.Config{Token: get("DISCORD_TOKEN"), AppID: get("DISCORD_APP_ID"), GuildID: get("DISCORD_GUILD_ID"), APIURL: get("DISCORD_API_URL")}
	if c.Token == "" {
		return c, "", usagef("DISCORD_TOKEN is not set: put the bot token from the Discord developer portal in .env (see README)")
	}
	if v := get("BOT_USER_BURST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, "", usagef("BOT_USER_BURST: %q is not a whole number of at least 1", v)
		}
		c.UserBurst = n
	}
	if v := get("BOT_MAX_MODEL_CALLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, "", usagef("BOT_MAX_MODEL_CALLS: %q is not a whole number of at least 1", v)
		}
		c.MaxModelCalls = n
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"BOT_USER_EVERY", &c.UserEvery}, {"BOT_SHUTDOWN_GRACE", &c.Grace}, {"DISCORD_TIMESTAMP_WINDOW", &c.TimestampWindow}} {
		if v := get(d.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return c, "", usagef("%s: %q is not a positive duration such as 10s", d.name, v)
			}
			*d.to = t
		}
	}
	if err := readAccessLists(get, &c); err != nil {
		return c, "", err
	}
	if err := readInteractions(get, &c, &interactionsAddr); err != nil {
		return c, "", err
	}
	if err := readShards(get, &c); err != nil {
		return c, "", err
	}
	return c, interactionsAddr, nil
}

// readInteractions reads DISCORD_INTERACTIONS_ADDR, DISCORD_PUBLIC_KEY and
// DISCORD_GATEWAY.
func readInteractions(get func(string) string, c *bot.Config, addr *string) error {
	if v := get("DISCORD_INTERACTIONS_ADDR"); v != "" {
		if err := checkHostPort(v); err != nil {
			return usagef("DISCORD_INTERACTIONS_ADDR: %q is not host:port (%v); want e.g. 127.0.0.1:8081", v, err)
		}
		*addr = v
	}
	if v := get("DISCORD_PUBLIC_KEY"); v != "" {
		k, err := bot.ParsePublicKey(v)
		if err != nil { // the value is never quoted: it might be a secret pasted in the wrong place
			return usagef("DISCORD_PUBLIC_KEY: %v; copy the Public Key from the developer portal (General Information)", err)
		}
		c.PublicKey = k
	}
	if *addr != "" && c.PublicKey == nil {
		return usagef("DISCORD_PUBLIC_KEY is not set: the HTTP interactions endpoint (DISCORD_INTERACTIONS_ADDR) checks every request with it; copy it from the developer portal (General Information)")
	}
	gateway := *addr == ""
	switch v := strings.ToLower(get("DISCORD_GATEWAY")); v {
	case "":
	case "on":
		gateway = true
	case "off":
		gateway = false
	default:
		return usagef("DISCORD_GATEWAY: %q is not on or off", v)
	}
	if !gateway && *addr == "" {
		return usagef("DISCORD_GATEWAY is off and DISCORD_INTERACTIONS_ADDR is not set: no interactions would reach storybot")
	}
	c.HTTPOnly = !gateway
	if c.HTTPOnly && c.AppID == "" {
		return usagef("DISCORD_APP_ID is not set: without the gateway storybot cannot learn it, and registering the commands needs it")
	}
	return nil
}

// readShards reads DISCORD_SHARD_ID and DISCORD_SHARD_COUNT.
func readShards(get func(string) string, c *bot.Config) error {
	id, count := get("DISCORD_SHARD_ID"), get("DISCORD_SHARD_COUNT")
	if id == "" && count == "" {
		return nil
	}
	if id == "" || count == "" {
		return usagef("DISCORD_SHARD_ID and DISCORD_SHARD_COUNT go together: set both or neither")
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 {
		return usagef("DISCORD_SHARD_COUNT: %q is not a whole number of at least 1", count)
	}
	i, err := strconv.Atoi(id)
	if err != nil || i < 0 || i >= n {
		return usagef("DISCORD_SHARD_ID: %q is not a whole number from 0 to %d (DISCORD_SHARD_COUNT less one)", id, n-1)
	}
	if c.HTTPOnly {
		return usagef("DISCORD_SHARD_ID and DISCORD_SHARD_COUNT shard the gateway connection, and DISCORD_GATEWAY is off")
	}
	c.ShardID, c.ShardCount = i, n
	return nil
}

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
	cfg, interactionsAddr, err := readBotConfig(env.Getenv)
	if err != nil {
		return err
	}
	settings, err := readLLMSettings(env.Getenv, "")
	if err != nil {
		return err
	}
	httpAddr, err := readHTTPAddr(env.Getenv)
	if err != nil {
		return err
	}
	feeds, err := readFeedSettings(env.Getenv)
	if err != nil {
		return err
	}
	db, err := sf.open(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	log := env.logger(slog.LevelInfo)
	m := metrics.New()
	// Only real model calls take one of the bot's BOT_MAX_MODEL_CALLS slots.
	sum, err := newMeteredSummarizer(settings, db, log, m, func(mod llm.Model) llm.Model { return cfg.LimitModel(mod) })
	if err != nil {
		return err
	}
	defer sum.Close()
	cfg.Log, cfg.Observer, cfg.Answerer = log, m, sum.Answers
	if st, ok := db.(bot.Settings); ok { // every backend is one: see settingscmd.go
		cfg.Settings = st // per-server settings and model usage (/storybot)
	}
	b, err := bot.New(cfg, db, sum)
	if err != nil {
		return usageError{err}
	}
	if httpAddr != "" {
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
	if interactionsAddr != "" {
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
		stopFeeds := startFeeds(ctx, feeds, db, b, log)
		defer stopFeeds()
	}
	if err := b.Run(ctx); err != nil {
		return fmt.Errorf("discord: %w", err)
	}
	return nil
}

var _ bot.Observer = (*metrics.Metrics)(nil)
