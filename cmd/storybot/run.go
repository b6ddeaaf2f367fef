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
	"github.com/storybot/storybot/metrics"
	"github.com/storybot/storybot/summarize"
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

HTTP_ADDR (default 127.0.0.1:8080; empty or "off" turns it off) is where it
serves /healthz (200 while the process is up), /readyz (200 once the store
answers and the bot is connected to Discord, else 503 with the reason) and
/metrics (Prometheus). Check it with "storybot healthcheck".`

// readBotConfig reads the DISCORD_* and BOT_* variables. The token is
// never printed.
func readBotConfig(getenv func(string) string) (bot.Config, error) {
	get := func(n string) string { return strings.TrimSpace(getenv(n)) }
	c := bot.Config{Token: get("DISCORD_TOKEN"), AppID: get("DISCORD_APP_ID"), GuildID: get("DISCORD_GUILD_ID"), APIURL: get("DISCORD_API_URL")}
	if c.Token == "" {
		return c, usagef("DISCORD_TOKEN is not set: put the bot token from the Discord developer portal in .env (see README)")
	}
	if v := get("BOT_USER_BURST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, usagef("BOT_USER_BURST: %q is not a whole number of at least 1", v)
		}
		c.UserBurst = n
	}
	if v := get("BOT_MAX_MODEL_CALLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return c, usagef("BOT_MAX_MODEL_CALLS: %q is not a whole number of at least 1", v)
		}
		c.MaxModelCalls = n
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"BOT_USER_EVERY", &c.UserEvery}, {"BOT_SHUTDOWN_GRACE", &c.Grace}} {
		if v := get(d.name); v != "" {
			t, err := time.ParseDuration(v)
			if err != nil || t <= 0 {
				return c, usagef("%s: %q is not a positive duration such as 10s", d.name, v)
			}
			*d.to = t
		}
	}
	return c, nil
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
	cfg, err := readBotConfig(env.Getenv)
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
	db, err := sf.open(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	log := env.logger(slog.LevelInfo)
	m := metrics.New()
	// Only real model calls take one of the bot's BOT_MAX_MODEL_CALLS slots.
	sum, err := newMeteredSummarizer(settings, db, log, m, func(mod summarize.Model) summarize.Model { return cfg.LimitModel(mod) })
	if err != nil {
		return err
	}
	defer sum.Close()
	cfg.Log, cfg.Observer = log, m
	b, err := bot.New(cfg, db, sum)
	if err != nil {
		return usageError{err}
	}
	if httpAddr != "" {
		h := health.Handler(health.Config{
			Checks: []health.Check{
				{Name: "store", Func: db.Ping},
				{Name: "discord", Func: health.Ready(b.Ready(), "not connected to Discord yet")},
			},
			Metrics: m.Handler(),
		})
		stop, err := startHTTP(ctx, httpAddr, h, log.With("component", "http"))
		if err != nil {
			return err
		}
		defer stop()
	}
	if err := b.Run(ctx); err != nil {
		return fmt.Errorf("discord: %w", err)
	}
	return nil
}

var _ bot.Observer = (*metrics.Metrics)(nil)
