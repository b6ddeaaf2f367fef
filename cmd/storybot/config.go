package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	cmds "github.com/storybot/storybot/commands"

	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/feed"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/store"
)

//go:generate sh -c "go run . env-example > ../../.env.example"

// Config is every setting storybot reads from the environment, each read
// and checked once, by loadConfig, through the table settings.
type Config struct {
	DB      string     // DATABASE_URL; --db wins (see storeFlags.open)
	LLMMode string     // LLM_MODE: openai, mock, off, or "" (see Config.model)
	LLM     llm.Config // LLM_BASE_URL, LLM_API_KEY, LLM_MODEL, LLM_TIMEOUT, …
	Prompts string     // PROMPTS_DIR
	// Bot holds the DISCORD_* and BOT_* settings; Config.discord checks
	// what "storybot run" needs of them together.
	Bot              bot.Config
	MaxModelCalls    int    // BOT_MAX_MODEL_CALLS: llm.Limit's cap on the model calls at once
	InteractionsAddr string // DISCORD_INTERACTIONS_ADDR; "" for none
	Gateway          string // DISCORD_GATEWAY: on, off or "" (see Config.discord)
	shardID, shards  string // DISCORD_SHARD_ID and DISCORD_SHARD_COUNT, checked by Config.discord
	Feeds            feedSettings
	LogLevel         *slog.Level // LOG_LEVEL; nil: the command's own default
	LogJSON          bool        // LOG_FORMAT=json
	HTTPAddr         string      // HTTP_ADDR; "" when off
}

// String describes c without its secrets.
// GoString is String: %#v never prints a secret either.
func (c Config) GoString() string { return c.String() }

// LogValue is String, for log/slog: a Config logged never shows a secret.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func (c Config) String() string {
	return fmt.Sprintf("DATABASE_URL=%s LLM_MODE=%q %v PROMPTS_DIR=%q %v DISCORD_INTERACTIONS_ADDR=%q FEEDS=%d HTTP_ADDR=%q",
		redactURL(c.DB), c.LLMMode, c.LLM, c.Prompts, c.Bot, c.InteractionsAddr, len(c.Feeds.sources), c.HTTPAddr)
}

// feedSettings are the FEED* settings.
type feedSettings struct {
	sources      []feed.Source
	interval     time.Duration
	allowPrivate bool
}

// setting is one environment variable: its name, the default .env.example
// shows (and that applies when it is unset or empty), what it means, and
// parse, which checks a value and stores it in a Config. parse's errors
// are one line, without the name; they never quote a secret.
type setting struct {
	section string // starts a section of .env.example
	name    string
	def     string
	help    string // comment lines; empty to share the one above
	raw     bool   // the value is not trimmed (a key may have spaces)
	parse   func(c *Config, v string) error
}

// settings are every setting storybot reads, in .env.example's order. A
// parse may read the fields set by those above it.
var settings = []setting{
	{section: "Storage", name: "DATABASE_URL", def: defaultDB, help: `
The store. A SQLite file (a path, or sqlite:PATH / file:PATH) for one storybot
process, or a PostgreSQL database that several processes (replicas) share:
postgres://USER:PASSWORD@HOST:5432/DATABASE?sslmode=require (pool_max_conns=N and
search_path=SCHEMA are optional). The password is never printed or logged.
The --db flag wins.`, parse: func(c *Config, v string) error { c.DB = v; return nil }},

	{section: "Language model", name: "LLM_MODE", help: `
openai: an OpenAI-compatible server at LLM_BASE_URL (OpenAI, Ollama /v1, llama.cpp, vLLM, OpenRouter)
mock:   storybot's built-in mock model, run in-process (no network; LLM_MODEL picks a fault, e.g. mock-hang)
off:    no model; the built-in extractive summarizer only
Unset: openai when LLM_BASE_URL is set, else off. ("storybot demo" uses mock unless this is set.)`,
		parse: func(c *Config, v string) error {
			switch c.LLMMode = strings.ToLower(v); c.LLMMode {
			case "", modeOpenAI, modeMock, modeOff:
				return nil
			}
			return fmt.Errorf("%q is not a mode; want openai, mock or off", v)
		}},
	{name: "LLM_BASE_URL", help: "API root with its version path, e.g. http://127.0.0.1:11434/v1 (Ollama) or https://api.openai.com/v1",
		parse: func(c *Config, v string) error { c.LLM.BaseURL = v; return nil }},
	{name: "LLM_API_KEY", help: "Bearer key; local servers need none. Never logged or printed.", raw: true,
		parse: func(c *Config, v string) error { c.LLM.APIKey = v; return nil }},
	{name: "LLM_MODEL", help: `Model name the server knows (required for openai; default "mock" in mock mode)`,
		parse: func(c *Config, v string) error { c.LLM.Model = v; return nil }},
	{name: "LLM_TIMEOUT", def: "30s", help: "Longest a model call may take (Go duration); the extractive summary is shown within this plus 1s",
		parse: duration(func(c *Config) *time.Duration { return &c.LLM.Timeout }, true)},
	{name: "LLM_MAX_TOKENS", def: "400", help: "Reply length cap in tokens",
		parse: integer(func(c *Config) *int { return &c.LLM.MaxTokens }, 1)},
	{name: "LLM_TEMPERATURE", def: "0", help: "Sampling temperature, 0 to 2 (0 = most likely text; sent as 1e-6 with a seed, see llm.Config)",
		parse: func(c *Config, v string) error {
			t, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(t) || t < 0 || t > 2 {
				return fmt.Errorf("%q is not a number from 0 to 2", v)
			}
			c.LLM.Temperature = t
			return nil
		}},
	{name: "LLM_SEED", def: "42", help: "Seed sent with every request",
		parse: integer(func(c *Config) *int { return &c.LLM.Seed }, math.MinInt)},
	{name: "LLM_BREAKER_FAILURES", def: "3", help: "Consecutive failures after which storybot skips the model, and for how long",
		parse: integer(func(c *Config) *int { return &c.LLM.BreakerFailures }, 1)},
	{name: "LLM_BREAKER_COOLDOWN", def: "30s",
		parse: duration(func(c *Config) *time.Duration { return &c.LLM.BreakerCooldown }, false)},
	{name: "PROMPTS_DIR", help: "Folder with summary_system.tmpl / summary_user.tmpl overriding the built-in prompts",
		parse: func(c *Config, v string) error { c.Prompts = v; return nil }},

	{section: "Discord (storybot run)", name: "DISCORD_TOKEN", help: "The bot's token (developer portal → Bot → Reset Token). Required for run; never printed or logged.",
		parse: func(c *Config, v string) error { c.Bot.Token = v; return nil }},
	{name: "DISCORD_APP_ID", help: "The application ID (General Information); taken from the gateway's READY when empty",
		parse: func(c *Config, v string) error { c.Bot.AppID = v; return nil }},
	{name: "DISCORD_GUILD_ID", help: "A server ID: register /story and /ask there at once (for trying out); empty = globally",
		parse: func(c *Config, v string) error { c.Bot.GuildID = v; return nil }},
	{name: "DISCORD_API_URL", def: bot.DefaultAPIURL, help: "Base of every REST call, e.g. a nirn-proxy; the gateway address is asked from it",
		parse: func(c *Config, v string) error { c.Bot.APIURL = v; return nil }},
	{name: "BOT_USER_BURST", def: "3", help: "Per user: this many commands at once, then one more every BOT_USER_EVERY",
		parse: atLeastOne(func(c *Config) *int { return &c.Bot.UserBurst })},
	{name: "BOT_USER_EVERY", def: "10s", parse: positive(func(c *Config) *time.Duration { return &c.Bot.UserEvery })},
	{name: "BOT_MAX_MODEL_CALLS", def: "4", help: "Summaries written by the model at once; the rest wait their turn",
		parse: atLeastOne(func(c *Config) *int { return &c.MaxModelCalls })},
	{name: "BOT_SHUTDOWN_GRACE", def: "15s", help: `
On SIGINT/SIGTERM, how long replies in flight may take to finish (keep it well
under your supervisor's kill timeout: docker-compose.yml gives 60s)`,
		parse: positive(func(c *Config) *time.Duration { return &c.Bot.Grace })},

	{section: `Who may use storybot (single-operator setups; see README, "Server owners")`, name: "BOT_ALLOW_USERS", help: `
Discord IDs separated by spaces or commas (Developer Mode: right-click, Copy ID). These apply
before any server's settings (/storybot). A deny list wins over an allow list; an empty allow
list allows everyone; a user is allowed by BOT_ALLOW_USERS or by a role in BOT_ALLOW_ROLES.
A refused user sees a short message only they can see. BOT_ALLOW_GUILDS also refuses DMs.`,
		parse: ids("user", func(c *Config) *[]string { return &c.Bot.Access.AllowUsers })},
	{name: "BOT_DENY_USERS", parse: ids("user", func(c *Config) *[]string { return &c.Bot.Access.DenyUsers })},
	{name: "BOT_ALLOW_ROLES", parse: ids("role", func(c *Config) *[]string { return &c.Bot.Access.AllowRoles })},
	{name: "BOT_DENY_ROLES", parse: ids("role", func(c *Config) *[]string { return &c.Bot.Access.DenyRoles })},
	{name: "BOT_ALLOW_GUILDS", parse: ids("server", func(c *Config) *[]string { return &c.Bot.Access.AllowGuilds })},
	{name: "BOT_DENY_GUILDS", parse: ids("server", func(c *Config) *[]string { return &c.Bot.Access.DenyGuilds })},
	{name: "BOT_DM_MODEL", def: "on", help: `
Whether the model writes /story and /ask replies in direct messages (on or off). A DM has no
server, so no server's model_roles or budgets apply there: off gives DMs extractive replies.`,
		parse: func(c *Config, v string) error {
			on, err := onOff(v)
			c.Bot.NoDMModel = !on
			return err
		}},
	{name: "BOT_DM_USER_CALLS", def: "5", help: `
Model calls a day for each user in direct messages, where no server's budget applies: a whole
number (0 allows none), or none for no limit. Use: storybot settings usage --guild dm`,
		parse: func(c *Config, v string) (err error) {
			c.Bot.DM.UserCalls, err = cmds.ParseLimit("BOT_DM_USER_CALLS", v)
			return err
		}},
	{name: "BOT_DM_CALLS", def: "100", help: `
Model calls a day in all direct messages together: a whole number (0 allows none), or none.`,
		parse: func(c *Config, v string) (err error) {
			c.Bot.DM.Calls, err = cmds.ParseLimit("BOT_DM_CALLS", v)
			return err
		}},

	{section: "Discord over HTTP (the Interactions Endpoint URL; see README)", name: "DISCORD_INTERACTIONS_ADDR", help: `
host:port where run serves Discord's HTTP interactions endpoint (any path), behind an
HTTPS reverse proxy; empty = none. When set, the gateway is off unless DISCORD_GATEWAY=on.`,
		parse: func(c *Config, v string) error {
			if err := checkHostPort(v); v != "" && err != nil {
				return fmt.Errorf("%q is not host:port (%v); want e.g. 127.0.0.1:8081", v, err)
			}
			c.InteractionsAddr = v
			return nil
		}},
	{name: "DISCORD_PUBLIC_KEY", help: `
The application's Public Key (General Information; 64 hex digits). Required with
DISCORD_INTERACTIONS_ADDR: every request must carry its Ed25519 signature.`,
		parse: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			k, err := bot.ParsePublicKey(v)
			if err != nil { // the value is never quoted: it might be a secret pasted in the wrong place
				return fmt.Errorf("%v; copy the Public Key from the developer portal (General Information)", err)
			}
			c.Bot.PublicKey = k
			return nil
		}},
	{name: "DISCORD_TIMESTAMP_WINDOW", def: "5m", help: "How far a signed request's timestamp may be from this machine's clock, either way",
		parse: positive(func(c *Config) *time.Duration { return &c.Bot.TimestampWindow })},
	{name: "DISCORD_GATEWAY", help: `
on or off: connect to the gateway too. Default: off when DISCORD_INTERACTIONS_ADDR is set,
else on. With it off, DISCORD_APP_ID is required (no READY to learn it from).`,
		parse: func(c *Config, v string) error {
			c.Gateway = strings.ToLower(v)
			if v == "" {
				return nil
			}
			_, err := onOff(v)
			return err
		}},

	{section: "Gateway sharding (large bots: one process per shard; set both or neither)", name: "DISCORD_SHARD_ID",
		help:  "This process's shard, 0 to DISCORD_SHARD_COUNT-1; only shard 0 registers the commands",
		parse: func(c *Config, v string) error { c.shardID = v; return nil }},
	{name: "DISCORD_SHARD_COUNT", help: "How many shards in all (Discord requires one per 2,500 servers)",
		parse: func(c *Config, v string) error { c.shards = v; return nil }},

	{section: `Feeds (storybot run; see README, "Feeds")`, name: "FEEDS", help: `
RSS or Atom feed URLs, separated by spaces or commas (quote the value when it has spaces).
Each new entry's page is fetched and its main text stored. Empty = no feeds.`,
		parse: func(c *Config, v string) error {
			for _, u := range splitList(v) {
				if !isFeedURL(u) {
					return fmt.Errorf("%q is not an http:// or https:// URL", feed.Redact(u))
				}
				if !slices.ContainsFunc(c.Feeds.sources, func(s feed.Source) bool { return s.URL == u }) {
					c.Feeds.sources = append(c.Feeds.sources, feed.Source{URL: u})
				}
			}
			return nil
		}},
	{name: "FEED_CHANNELS", help: `
Where new stories are posted: FEED_URL=CHANNEL_ID pairs separated by spaces or commas,
e.g. https://example.com/news.rss=123456789012345678. The URL must be in FEEDS; a feed
may have several channels. Feeds without a channel are stored only. The bot needs View
Channel, Send Messages and Embed Links there. A feed's stories at its first read are not posted.`,
		parse: func(c *Config, v string) error {
			for _, pair := range splitList(v) {
				u, ch, ok := cutLast(pair, "=")
				switch n := slices.IndexFunc(c.Feeds.sources, func(s feed.Source) bool { return s.URL == u }); {
				case !ok:
					return fmt.Errorf("%q is not FEED_URL=CHANNEL_ID", feed.Redact(pair))
				case !store.IsSnowflake(ch):
					return fmt.Errorf("in %q, %q is not a channel ID (17 to 20 digits: in Discord, right-click the channel and Copy Channel ID)", feed.Redact(pair), ch)
				case n < 0:
					return fmt.Errorf("%s is not in FEEDS; list it there too", feed.Redact(u))
				case !slices.Contains(c.Feeds.sources[n].Channels, ch):
					c.Feeds.sources[n].Channels = append(c.Feeds.sources[n].Channels, ch)
				}
			}
			return nil
		}},
	{name: "FEED_INTERVAL", def: "15m", help: "How often each feed is read (Go duration, at least 1m); a failing feed is retried sooner, then less often",
		parse: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < time.Minute {
				return fmt.Errorf("%q is not a duration of at least 1m, such as 15m", v)
			}
			c.Feeds.interval = d
			return nil
		}},
	{name: "FEED_ALLOW_PRIVATE", def: "false", help: `
true lets feeds and their links reach private, loopback and link-local addresses
(a feed on your own network); false refuses them (also for "storybot ingest URL")`,
		parse: func(c *Config, v string) (err error) {
			if c.Feeds.allowPrivate, err = strconv.ParseBool(v); err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			return nil
		}},

	{section: "Logs (standard error)", name: "LOG_LEVEL", help: "debug, info, warn or error; default: warn for terminal commands, info for run, debug for mock-llm",
		parse: func(c *Config, v string) error {
			if v == "" {
				return nil
			}
			c.LogLevel = new(slog.Level)
			if err := c.LogLevel.UnmarshalText([]byte(v)); err != nil {
				return fmt.Errorf("%q is not a level; want debug, info, warn or error", v)
			}
			return nil
		}},
	{name: "LOG_FORMAT", def: "text", help: "text or json",
		parse: func(c *Config, v string) error {
			switch v = strings.ToLower(v); v {
			case "text", "json":
				c.LogJSON = v == "json"
				return nil
			}
			return fmt.Errorf("%q is not a format; want text or json", v)
		}},

	{section: "Health and metrics (storybot run)", name: "HTTP_ADDR", def: defaultHTTPAddr, help: `
Where run serves /healthz, /readyz and /metrics (Prometheus): host:port. Empty or "off"
turns it off. No authentication: keep it on loopback or a private network.
(The Docker image and docker-compose.yml set 0.0.0.0:8080 inside the container.)`,
		parse: func(c *Config, v string) error {
			if strings.EqualFold(v, httpOff) {
				return nil
			}
			if err := checkHostPort(v); err != nil {
				return fmt.Errorf("%q is not host:port (%v); want e.g. 127.0.0.1:8080, or \"off\" to turn the HTTP server off", v, err)
			}
			c.HTTPAddr = v
			return nil
		}},
}

// defaultHTTPAddr is where "storybot run" serves /healthz, /readyz and
// /metrics unless HTTP_ADDR says otherwise: loopback only.
const defaultHTTPAddr = "127.0.0.1:8080"

// httpOff is the HTTP_ADDR value that turns the server off. main passes it
// for an HTTP_ADDR that is set but empty (see emptyMeans).
const httpOff = "off"

// loadConfig reads every setting with getenv. Every bad value gives one
// line naming its variable; the error is a usage error (exit status 2).
func loadConfig(getenv func(string) string) (*Config, error) {
	c := &Config{}
	var errs []error
	for _, s := range settings {
		v := getenv(s.name)
		if !s.raw {
			v = strings.TrimSpace(v)
		}
		if v == "" {
			v = s.def
		}
		if err := s.parse(c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s", s.name, hideKey(err.Error(), v)))
		}
	}
	if len(errs) > 0 {
		return nil, usageError{errors.Join(errs...)}
	}
	return c, nil
}

// hideKey returns msg, a bad setting's message, without v, the value, when
// v looks like a key or token pasted into the wrong setting: never quoted
// back to a terminal or a log.
func hideKey(msg, v string) string {
	if !looksLikeKey(v) {
		return msg
	}
	return strings.ReplaceAll(msg, v, "(a value that looks like a key or token, not shown)")
}

// looksLikeKey reports whether v looks like a secret: a known key prefix,
// or a long run of letters and digits with both in it and no space.
func looksLikeKey(v string) bool {
	v = strings.TrimSpace(v)
	for _, p := range []string{"sk-", "sk_", "xox", "ghp_", "github_pat_", "Bearer ", "Bot "} {
		if strings.HasPrefix(v, p) {
			return true
		}
	}
	if len(v) < 20 || strings.ContainsAny(v, " \t/:") {
		return false
	}
	letters, digits := false, false
	for _, r := range v {
		switch {
		case unicode.IsLetter(r):
			letters = true
		case unicode.IsDigit(r):
			digits = true
		}
	}
	return letters && digits
}

// writeEnvExample writes .env.example: every setting with its default and
// what it means.
func writeEnvExample(w io.Writer) error {
	var b strings.Builder
	b.WriteString("# storybot settings. Copy to .env and edit; real environment variables win over\n" +
		"# this file. Every variable storybot reads is listed here with its default.\n")
	for _, s := range settings {
		if s.section != "" {
			fmt.Fprintf(&b, "\n## %s\n", s.section)
		}
		if h := strings.TrimSpace(s.help); h != "" {
			b.WriteString("# " + strings.ReplaceAll(h, "\n", "\n# ") + "\n")
		}
		fmt.Fprintf(&b, "%s=%s\n", s.name, s.def)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func init() {
	register(command{name: "env-example", summary: "print .env.example: every setting with its default", noConfig: true,
		run: func(_ context.Context, env *Env, args []string) error {
			fs := newFlagSet(env, "env-example", "env-example", "Prints every setting storybot reads, with its default and what it means:\nthe committed .env.example (go generate ./cmd/storybot writes it).")
			if pos, err := parseFlags(fs, args); err != nil || len(pos) > 0 {
				return errors.Join(err, usagef("env-example takes no arguments"))
			}
			return writeEnvExample(env.Out)
		}})
}

// discord returns the bot's configuration once the DISCORD_* settings that
// go together agree: what "storybot run" needs. The token is never printed.
func (c *Config) discord() (bot.Config, error) {
	b := c.Bot
	if b.Token == "" {
		return b, usagef("DISCORD_TOKEN is not set: put the bot token from the Discord developer portal in .env (see README)")
	}
	if c.InteractionsAddr != "" && b.PublicKey == nil {
		return b, usagef("DISCORD_PUBLIC_KEY is not set: the HTTP interactions endpoint (DISCORD_INTERACTIONS_ADDR) checks every request with it; copy it from the developer portal (General Information)")
	}
	b.HTTPOnly = c.Gateway == "off" || c.Gateway == "" && c.InteractionsAddr != ""
	switch {
	case b.HTTPOnly && c.InteractionsAddr == "":
		return b, usagef("DISCORD_GATEWAY is off and DISCORD_INTERACTIONS_ADDR is not set: no interactions would reach storybot")
	case b.HTTPOnly && b.AppID == "":
		return b, usagef("DISCORD_APP_ID is not set: without the gateway storybot cannot learn it, and registering the commands needs it")
	case c.shardID == "" && c.shards == "":
		return b, nil
	case c.shardID == "" || c.shards == "":
		return b, usagef("DISCORD_SHARD_ID and DISCORD_SHARD_COUNT go together: set both or neither")
	}
	n, err := strconv.Atoi(c.shards)
	if err != nil || n < 1 {
		return b, usagef("DISCORD_SHARD_COUNT: %q is not a whole number of at least 1", c.shards)
	}
	i, err := strconv.Atoi(c.shardID)
	if err != nil || i < 0 || i >= n {
		return b, usagef("DISCORD_SHARD_ID: %q is not a whole number from 0 to %d (DISCORD_SHARD_COUNT less one)", c.shardID, n-1)
	}
	if b.HTTPOnly {
		return b, usagef("DISCORD_SHARD_ID and DISCORD_SHARD_COUNT shard the gateway connection, and DISCORD_GATEWAY is off")
	}
	b.ShardID, b.ShardCount = i, n
	return b, nil
}

// duration parses a Go duration into the field to gives, more than zero
// when positive, else at least zero.
func duration(to func(*Config) *time.Duration, positive bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			hint := ""
			if _, err := strconv.ParseFloat(v, 64); err == nil {
				hint = fmt.Sprintf(" (a unit is needed: %ss)", v)
			}
			return fmt.Errorf("%q is not a duration; want e.g. 30s or 1m30s%s", v, hint)
		case d < 0 || positive && d == 0:
			return fmt.Errorf("%q must be more than zero", v)
		}
		*to(c) = d
		return nil
	}
}

// integer parses a whole number of at least min.
func integer(to func(*Config) *int, min int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			return fmt.Errorf("%q is not a whole number", v)
		case n < min:
			return fmt.Errorf("%d is too small; want at least %d", n, min)
		}
		*to(c) = n
		return nil
	}
}

// atLeastOne parses a whole number of at least 1 (the bot's wording).
func atLeastOne(to func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("%q is not a whole number of at least 1", v)
		}
		*to(c) = n
		return nil
	}
}

// positive parses a duration of more than zero (the bot's wording).
func positive(to func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("%q is not a positive duration such as 10s", v)
		}
		*to(c) = d
		return nil
	}
}

// ids parses Discord IDs of what (user, role or server), separated by
// spaces or commas.
func ids(what string, to func(*Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, id := range splitList(v) {
			if !store.IsSnowflake(id) {
				return fmt.Errorf("%q is not a %s ID (17 to 20 digits: with Developer Mode on, right-click the %s and Copy ID)", id, what, what)
			}
			*to(c) = append(*to(c), id)
		}
		return nil
	}
}

// onOff parses on or off.
func onOff(v string) (bool, error) {
	switch v = strings.ToLower(v); v {
	case "on", "off":
		return v == "on", nil
	}
	return false, fmt.Errorf("%q is not on or off", v)
}

// splitList splits a list separated by commas or white space.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

// cutLast is strings.Cut at the last sep.
func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func isFeedURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// checkHostPort reports whether addr is host:port with a numeric port.
func checkHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) {
			return errors.New(ae.Err)
		}
		return err
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("the port must be a number from 0 to 65535")
	}
	return nil
}

// emptyMeans returns a getenv for lookup that gives value for the variable
// name when it is set but empty, so that "HTTP_ADDR=" can mean something
// other than unset. Every other variable reads as lookup has it.
func emptyMeans(lookup func(string) (string, bool), name, value string) func(string) string {
	return func(k string) string {
		v, ok := lookup(k)
		if k == name && ok && strings.TrimSpace(v) == "" {
			return value
		}
		return v
	}
}
