// Package bot is storybot's Discord transport: the gateway session
// (discordgo, Guilds intent only, sharded on demand) or the HTTP
// interactions endpoint (Ed25519-signed requests), command registration,
// decoding each interaction once into a commands.Request for the router,
// the acknowledgement window (the reply itself as the first response when
// it is ready in time, else a deferred response and an edit, with checked
// drafts meanwhile), rendering within Discord's limits through the output
// policy (discordtext), allowed mentions, and graceful shutdown. Policy
// (access lists, rate limits, servers' settings and budgets) is the
// router's middleware, in package commands. The handlers are written
// against the small Responder interface, so they run without discordgo's
// session in tests.
package bot

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/commands"
)

// DefaultAPIURL is Discord's REST base, the default of Config.APIURL.
const DefaultAPIURL = "https://discord.com/api/v9/"

// Defaults for Config.
const (
	DefaultUserBurst    = 3
	DefaultUserEvery    = 10 * time.Second
	DefaultGrace        = 15 * time.Second
	DefaultReplyTimeout = 2 * time.Minute
	DefaultDraftEvery   = time.Second
	DefaultAckWindow    = 100 * time.Millisecond
)

// Observer is told about every interaction the bot handles, once it is
// done. command is "story", "ask", "storybot", "autocomplete" or "unknown";
// outcome is one of the Outcome constants; took runs from the interaction's
// arrival to its last response. It must return quickly.
type Observer interface {
	ObserveInteraction(command, outcome string, took time.Duration)
}

// Interaction outcomes, as reported to an Observer: the commands' own
// (commands.OutcomeOK …) and the transport's.
const (
	OutcomeOK          = commands.OutcomeOK
	OutcomeNotFound    = commands.OutcomeNotFound
	OutcomeBadInput    = commands.OutcomeBadInput
	OutcomeRateLimited = commands.OutcomeRateLimited
	OutcomeTimeout     = commands.OutcomeTimeout
	OutcomeUnknown     = commands.OutcomeUnknown
	OutcomeRefused     = commands.OutcomeRefused
	OutcomeError       = commands.OutcomeError
	OutcomeRestarting  = "restarting" // turned away during shutdown
	OutcomeDiscord     = "discord"    // a call to Discord failed (defer, edit or follow-up)
)

// Config configures a Bot. Token is required; the rest have defaults.
type Config struct {
	Token   string // the bot token (DISCORD_TOKEN); never logged or printed
	AppID   string // the application ID (DISCORD_APP_ID); empty: taken from READY
	GuildID string // register commands in this guild only (DISCORD_GUILD_ID); empty: globally
	// APIURL is the base of every REST call (DISCORD_API_URL), for a REST
	// proxy or a fake Discord. Empty means DefaultAPIURL.
	APIURL string
	// A user may run UserBurst commands at once, then one more every
	// UserEvery (a token bucket per user; autocomplete is not counted).
	UserBurst int
	UserEvery time.Duration
	// Grace is how long shutdown waits for replies in flight before it
	// cancels them (they then get a short "try again" message).
	Grace time.Duration
	// ReplyTimeout bounds one command's work, queueing included.
	ReplyTimeout time.Duration
	// AckWindow is how long a command may take to answer in its first
	// response (a cache hit, an extractive answer, a refusal) before it is
	// acknowledged with a deferred response and answered by an edit
	// (default DefaultAckWindow; Discord wants an acknowledgement within 3
	// seconds).
	AckWindow time.Duration
	// DraftEvery is how often the reply is edited to show the model's
	// answer while it writes (default DefaultDraftEvery; Discord asks for
	// no more than about one edit a second).
	DraftEvery time.Duration
	// Answerer writes /ask's answers; nil means extractive answers only.
	Answerer commands.Answerer
	// Observer, when set, is told the command, outcome and latency of every
	// interaction (for metrics).
	Observer Observer
	// HTTPClient makes the REST calls; nil means a client with a 30 s timeout.
	HTTPClient *http.Client

	// HTTPOnly keeps Run off the gateway: interactions then arrive only at
	// the HTTP endpoint (Interactions), and Run only registers the
	// commands, which needs AppID, and waits for the end.
	HTTPOnly bool
	// PublicKey is the application's Ed25519 public key (DISCORD_PUBLIC_KEY),
	// which checks the signature of every request to the HTTP endpoint.
	// Required by Interactions.
	PublicKey ed25519.PublicKey
	// TimestampWindow is how far from now a signed request's timestamp may
	// be, either way (DISCORD_TIMESTAMP_WINDOW; default DefaultTimestampWindow).
	TimestampWindow time.Duration
	// MaxBodyBytes caps a request to the HTTP endpoint (default
	// DefaultMaxBodyBytes); a larger one is answered 413.
	MaxBodyBytes int64
	// ShardID and ShardCount shard the gateway connection
	// (DISCORD_SHARD_ID, DISCORD_SHARD_COUNT): this process gets the
	// interactions of the guilds with (guild_id >> 22) % ShardCount ==
	// ShardID, and DMs when ShardID is 0. Only shard 0 registers the
	// commands. ShardCount 0 means 1, no sharding.
	ShardID, ShardCount int
	// Now is the clock of the timestamp check, of the daily model budgets
	// (UTC days) and of how long servers' settings are kept; nil means
	// time.Now.
	Now func() time.Time

	// Settings keeps each server's settings (default style, channels,
	// model roles, daily budgets) and counts the model's use, for /storybot
	// and every command; nil means no per-server settings.
	Settings commands.Budgets
	// Access are the operator's allow and deny lists, applied before any
	// server's settings.
	Access commands.AccessLists
	// NoDMModel keeps the model out of direct messages (BOT_DM_MODEL=off):
	// /story and /ask still answer there, with the extractive engine. A DM
	// has no server, so no server's model roles or budgets apply to it.
	NoDMModel bool
	// DM is the operator's daily budget for the model in direct messages
	// (BOT_DM_USER_CALLS, BOT_DM_CALLS); the zero value is no limit.
	DM commands.DMBudget

	// Log gets the bot's records (component=bot); nil means slog.Default().
	Log *slog.Logger
}

// String describes c without the token.
// GoString is String: %#v never prints a secret either.
func (c Config) GoString() string { return c.String() }

// LogValue is String, for log/slog: a Config logged never shows a secret.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func (c Config) String() string {
	tok := "unset"
	if c.Token != "" {
		tok = "REDACTED"
	}
	return fmt.Sprintf("bot.Config{Token:%s AppID:%q GuildID:%q APIURL:%q UserBurst:%d UserEvery:%v Grace:%v HTTPOnly:%v PublicKey:%d bytes TimestampWindow:%v Shard:%d/%d}",
		tok, c.AppID, c.GuildID, c.APIURL, c.UserBurst, c.UserEvery, c.Grace, c.HTTPOnly, len(c.PublicKey), c.TimestampWindow, c.ShardID, c.ShardCount)
}

func (c Config) withDefaults() (Config, error) {
	if strings.TrimSpace(c.Token) == "" {
		return c, errors.New("no bot token")
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	u, err := url.Parse(c.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return c, fmt.Errorf("API URL %q is not an http(s) URL", c.APIURL)
	}
	if !strings.HasSuffix(c.APIURL, "/") {
		c.APIURL += "/"
	}
	if c.UserBurst <= 0 {
		c.UserBurst = DefaultUserBurst
	}
	if c.UserEvery <= 0 {
		c.UserEvery = DefaultUserEvery
	}
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	if c.DraftEvery <= 0 {
		c.DraftEvery = DefaultDraftEvery
	}
	if c.AckWindow <= 0 {
		c.AckWindow = DefaultAckWindow
	}
	if c.ReplyTimeout <= 0 {
		c.ReplyTimeout = DefaultReplyTimeout
	}
	if c.HTTPClient == nil {
		// Many interactions answered at once each make a REST call. Over
		// HTTP/1.1 (a REST proxy, the fake) each call in flight needs a
		// connection: a few dozen, kept open between bursts, answer a burst
		// sooner than one per call dialed anew (the default transport keeps
		// only 100 idle in all). Over HTTP/2 (discord.com) one connection
		// carries them all.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxConnsPerHost = maxConns
		t.MaxIdleConnsPerHost = maxConns
		t.MaxIdleConns = maxConns
		c.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: t}
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.PublicKey != nil && len(c.PublicKey) != ed25519.PublicKeySize {
		return c, fmt.Errorf("the public key has %d bytes, want %d", len(c.PublicKey), ed25519.PublicKeySize)
	}
	if c.HTTPOnly && c.AppID == "" {
		return c, errors.New("without the gateway the application ID must be given: set DISCORD_APP_ID")
	}
	if c.HTTPOnly && c.PublicKey == nil {
		return c, errors.New("without the gateway interactions come over HTTP, which needs the public key: set DISCORD_PUBLIC_KEY")
	}
	if c.TimestampWindow <= 0 {
		c.TimestampWindow = DefaultTimestampWindow
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.ShardCount <= 0 {
		c.ShardCount = 1
	}
	if c.ShardID < 0 || c.ShardID >= c.ShardCount {
		return c, fmt.Errorf("shard ID %d is not from 0 to %d (the shard count less one)", c.ShardID, c.ShardCount-1)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}

// maxConns bounds the default client's connections to the REST API.
const maxConns = 64

// Bot answers /story and /ask on Discord. Create it with New and start it
// with Run.
type Bot struct {
	cfg      Config
	router   *commands.Router // the commands, through the policy's middleware
	acks     *ackQueue        // deferred responses being sent
	sum      commands.Summarizer
	log      *slog.Logger
	session  *discordgo.Session // REST calls, and the gateway unless HTTPOnly
	rest     Responder          // callbacks, edits, follow-ups and deletes over REST
	inflight sync.WaitGroup
	mu       sync.Mutex
	closing  bool
	// work is the parent of every handler's context; canceled when the
	// shutdown grace period ends.
	work   context.Context
	cancel context.CancelFunc
	ready  chan struct{} // closed once the commands are registered
}

// New returns a Bot for cfg that reads stories and writes summaries with
// sum. Give sum's model a cap on calls at once with llm.NewLimit.
func New(cfg Config, stories commands.Library, sum commands.Summarizer) (*Bot, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	s, err := newSession(cfg)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	work, cancel := context.WithCancel(context.Background())
	acks := newAckQueue()
	b := &Bot{
		cfg:     cfg,
		session: s,
		rest:    &restResponder{client: cfg.HTTPClient, base: cfg.APIURL, agent: s.UserAgent},
		acks:    acks,
		sum:     sum,
		log:     cfg.Log.With("component", "bot"),
		work:    work,
		cancel:  cancel,
		ready:   make(chan struct{}),
	}
	b.router = b.newRouter(stories)
	return b, nil
}

// newRouter is the commands as the bot serves them: through the operator's
// access lists, the per-user rate limit and the servers' policy, with the
// stories read after the acknowledgements being sent (see priority.go).
func (b *Bot) newRouter(stories commands.Library) *commands.Router {
	cfg, log := b.cfg, b.log
	lk := commands.Gated(stories, b.acks, runtime.GOMAXPROCS(0))
	policy := &commands.Policy{NoDMModel: cfg.NoDMModel, DM: cfg.DM, Now: cfg.Now, Log: log}
	admin := commands.AdminConfig{Policy: policy, CheckFeedChannel: b.checkFeedChannel, Now: cfg.Now, Log: log}
	if cfg.Settings != nil {
		policy.Store = commands.GatedBudgets(cfg.Settings, b.acks)
		admin.Store = cfg.Settings
	}
	rt := &commands.Router{}
	rt.Use(commands.Access(cfg.Access, log), commands.RateLimit(cfg.UserBurst, cfg.UserEvery, time.Now, log), policy.Middleware)
	rt.Handle("story", commands.StoryHandler(commands.Deps{Stories: lk, Summarizer: b.sum}, lk))
	rt.Handle("ask", commands.AskHandler(commands.AskDeps{Stories: lk, Index: lk, Answerer: cfg.Answerer}, lk))
	rt.Handle("storybot", commands.AdminHandler(admin))
	return rt
}

// newSession returns a discordgo session for cfg that makes its REST
// calls with cfg.HTTPClient under cfg.APIURL. It does not connect.
func newSession(cfg Config) (*discordgo.Session, error) {
	s, err := discordgo.New("Bot " + cfg.Token)
	if err != nil {
		return nil, fmt.Errorf("discord session: %w", err)
	}
	s.Client = &http.Client{
		Transport: &rebase{from: discordgo.EndpointAPI, to: cfg.APIURL, next: transportOf(cfg.HTTPClient)},
		Timeout:   cfg.HTTPClient.Timeout,
	}
	s.Identify.Intents = discordgo.IntentsGuilds
	s.ShardID, s.ShardCount = cfg.ShardID, cfg.ShardCount
	s.LogLevel = -1 // discordgo's own logger is off; we log what we handle
	s.StateEnabled = false
	// discordgo reads and decodes gateway events one at a time; with
	// SyncEvents off (the default, set here to say so) each handler runs
	// in its own goroutine, so a slow reply never holds up the next event.
	s.SyncEvents = false
	return s, nil
}

// Run connects to Discord, registers the commands when they changed and
// answers interactions until ctx ends; then it stops taking new ones, waits
// up to the grace period for those in flight, and closes the session.
//
// With Config.HTTPOnly it does not connect to the gateway: it registers the
// commands, then waits for ctx to end and shuts down the same way, while
// the interactions arrive at the handler Interactions returns. Only shard 0
// registers the commands.
func (b *Bot) Run(ctx context.Context) error {
	if b.cfg.HTTPOnly {
		return b.runHTTPOnly(ctx)
	}
	s := b.session
	ready := make(chan string, 1)
	s.AddHandlerOnce(func(_ *discordgo.Session, r *discordgo.Ready) {
		id := ""
		if r.Application != nil {
			id = r.Application.ID
		}
		ready <- id
	})
	s.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
		b.Handle(b.rest, ic.Interaction)
	})
	if err := s.Open(); err != nil {
		return fmt.Errorf("connect to the discord gateway: %w", err)
	}
	b.log.Info("connected to the gateway", "api", b.cfg.APIURL, "shard", b.cfg.ShardID, "shards", b.cfg.ShardCount)

	appID := b.cfg.AppID
	if appID == "" && b.cfg.ShardID == 0 { // only shard 0 registers: the others need no ID
		select {
		case appID = <-ready:
		case <-ctx.Done():
		case <-time.After(30 * time.Second):
		}
	}
	if appID == "" && b.cfg.ShardID == 0 && ctx.Err() == nil {
		b.shutdown()
		return errors.New("the application ID is unknown: set DISCORD_APP_ID")
	}
	return b.serve(ctx, s, appID)
}

// runHTTPOnly is Run without the gateway.
func (b *Bot) runHTTPOnly(ctx context.Context) error {
	b.log.Info("answering interactions over HTTP only (no gateway)", "api", b.cfg.APIURL)
	return b.serve(ctx, b.session, b.cfg.AppID)
}

// serve registers the commands (shard 0 only), reports ready and answers
// until ctx ends, then shuts down.
func (b *Bot) serve(ctx context.Context, s *discordgo.Session, appID string) error {
	if appID != "" && b.cfg.ShardID == 0 {
		if err := b.register(ctx, s, appID); err != nil {
			b.shutdown()
			if ctx.Err() != nil {
				return nil // stopped while registering
			}
			return err
		}
	}
	close(b.ready)
	<-ctx.Done()
	b.shutdown()
	return nil
}

// Ready is closed once Run has connected to the gateway (unless HTTPOnly)
// and the commands are registered (or found up to date).
func (b *Bot) Ready() <-chan struct{} { return b.ready }

// shutdown stops taking interactions, lets those in flight finish within
// the grace period, cancels the rest and closes the gateway connection.
func (b *Bot) shutdown() {
	b.mu.Lock()
	b.closing = true
	b.mu.Unlock()
	done := make(chan struct{})
	go func() {
		b.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(b.cfg.Grace):
		b.log.Warn("grace period over; canceling replies in flight", "grace", b.cfg.Grace)
		b.cancel()
		<-done
	}
	b.cancel()
	if !b.cfg.HTTPOnly {
		if err := b.session.Close(); err != nil {
			b.log.Warn("close the session", "err", err)
		}
	}
	b.log.Info("stopped")
}

// rebase sends requests for URLs under from to the same path under to.
// discordgo builds every REST URL from its package-level Endpoint…
// variables; rewriting them per session here, instead of assigning those
// globals, keeps two bots (or parallel tests) with different API URLs apart.
type rebase struct {
	from, to string
	next     http.RoundTripper
}

func (t *rebase) RoundTrip(r *http.Request) (*http.Response, error) {
	if u := r.URL.String(); t.from != t.to && strings.HasPrefix(u, t.from) {
		nu, err := url.Parse(t.to + strings.TrimPrefix(u, t.from))
		if err != nil {
			return nil, fmt.Errorf("rebase %s: %w", r.URL.Path, err)
		}
		r = r.Clone(r.Context())
		r.URL, r.Host = nu, nu.Host
	}
	return t.next.RoundTrip(r)
}

func transportOf(c *http.Client) http.RoundTripper {
	if c.Transport != nil {
		return c.Transport
	}
	return http.DefaultTransport
}
