// Package bot connects storybot's commands to Discord with discordgo: the
// gateway session (Guilds intent only), command registration, interaction
// routing, deferred replies and edits, Discord's message limits, allowed
// mentions, per-user rate limits, a cap on concurrent model calls and
// graceful shutdown. The handlers are written against the small Responder
// interface, so they run without discordgo's session in tests.
package bot

import (
	"context"
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
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// DefaultAPIURL is Discord's REST base, the default of Config.APIURL.
const DefaultAPIURL = "https://discord.com/api/v9/"

// Defaults for Config.
const (
	DefaultUserBurst     = 3
	DefaultUserEvery     = 10 * time.Second
	DefaultMaxModelCalls = 4
	DefaultModelWait     = 5 * time.Second
	DefaultGrace         = 15 * time.Second
	DefaultReplyTimeout  = 2 * time.Minute
	DefaultDraftEvery    = time.Second
)

// Observer is told about every interaction the bot handles, once it is
// done. command is "story", "ask", "autocomplete" or "unknown"; outcome is
// one of the Outcome constants; took runs from the interaction's arrival to
// its last response. It must return quickly.
type Observer interface {
	ObserveInteraction(command, outcome string, took time.Duration)
}

// Interaction outcomes, as reported to an Observer.
const (
	OutcomeOK          = "ok"           // the reply was sent
	OutcomeNotFound    = "not-found"    // no story matched, or none is stored
	OutcomeBadInput    = "bad-input"    // the question was empty or too long
	OutcomeRateLimited = "rate-limited" // the user sent commands too quickly
	OutcomeTimeout     = "timeout"      // the reply ran out of time
	OutcomeRestarting  = "restarting"   // turned away during shutdown
	OutcomeUnknown     = "unknown"      // a command storybot does not know
	OutcomeDiscord     = "discord"      // a call to Discord failed (defer, edit or follow-up)
	OutcomeError       = "error"        // anything else
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
	// MaxModelCalls caps the model calls in flight, and ModelWait is how
	// long a call waits for one of them to end before the summary falls
	// back to the extractive one. They take effect through LimitModel,
	// which wraps the model of the summarize.Service given to New: cached
	// summaries take no slot.
	MaxModelCalls int
	ModelWait     time.Duration
	// Grace is how long shutdown waits for replies in flight before it
	// cancels them (they then get a short "try again" message).
	Grace time.Duration
	// ReplyTimeout bounds one command's work, queueing included.
	ReplyTimeout time.Duration
	// DraftEvery is how often the reply is edited to show the model's
	// answer while it writes (default DefaultDraftEvery; Discord asks for
	// no more than about one edit a second).
	DraftEvery time.Duration
	// Observer, when set, is told the command, outcome and latency of every
	// interaction (for metrics).
	Observer Observer
	// HTTPClient makes the REST calls; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// Log gets the bot's records (component=bot); nil means slog.Default().
	Log *slog.Logger
}

// String describes c without the token.
func (c Config) String() string {
	tok := "unset"
	if c.Token != "" {
		tok = "REDACTED"
	}
	return fmt.Sprintf("bot.Config{Token:%s AppID:%q GuildID:%q APIURL:%q UserBurst:%d UserEvery:%v MaxModelCalls:%d ModelWait:%v Grace:%v}",
		tok, c.AppID, c.GuildID, c.APIURL, c.UserBurst, c.UserEvery, c.MaxModelCalls, c.ModelWait, c.Grace)
}

// LimitModel returns m limited to c.MaxModelCalls calls at once, each
// waiting at most c.ModelWait for a slot (defaults when unset). Use it as
// the Model of the summarize.Service passed to New:
//
//	cfg.Model = botCfg.LimitModel(client)
func (c Config) LimitModel(m summarize.Model) *ModelLimit {
	n, wait := c.MaxModelCalls, c.ModelWait
	if n <= 0 {
		n = DefaultMaxModelCalls
	}
	if wait <= 0 {
		wait = DefaultModelWait
	}
	return NewModelLimit(m, n, wait)
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
	if c.MaxModelCalls <= 0 {
		c.MaxModelCalls = DefaultMaxModelCalls
	}
	if c.ModelWait <= 0 {
		c.ModelWait = DefaultModelWait
	}
	if c.Grace <= 0 {
		c.Grace = DefaultGrace
	}
	if c.DraftEvery <= 0 {
		c.DraftEvery = DefaultDraftEvery
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
	return c, nil
}

// maxConns bounds the default client's connections to the REST API.
const maxConns = 64

// Stories is the story store the bot reads. *sqlite.DB satisfies it.
type Stories interface {
	commands.Stories
	// Titles returns up to limit titles starting with prefix, newest first
	// when prefix is empty: the autocomplete lookup.
	Titles(ctx context.Context, prefix string, limit int) ([]store.Title, error)
}

// Bot answers /story and /ask on Discord. Create it with New and start it
// with Run.
type Bot struct {
	cfg      Config
	stories  Stories   // for autocomplete, which answers at once
	lookups  *lookups  // stories for the commands: after the acknowledgements
	acks     *ackQueue // commands not yet acknowledged
	sum      commands.Summarizer
	log      *slog.Logger
	limiter  *userLimiter
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
// sum. Give sum's model a cap with cfg.LimitModel.
func New(cfg Config, stories Stories, sum commands.Summarizer) (*Bot, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	work, cancel := context.WithCancel(context.Background())
	acks := newAckQueue()
	return &Bot{
		cfg:     cfg,
		stories: stories,
		lookups: &lookups{s: stories, acks: acks, slots: make(chan struct{}, runtime.GOMAXPROCS(0))},
		acks:    acks,
		sum:     sum,
		log:     cfg.Log.With("component", "bot"),
		limiter: newUserLimiter(cfg.UserBurst, cfg.UserEvery, time.Now),
		work:    work,
		cancel:  cancel,
		ready:   make(chan struct{}),
	}, nil
}

// Run connects to Discord, registers the commands when they changed and
// answers interactions until ctx ends; then it stops taking new ones, waits
// up to the grace period for those in flight, and closes the session.
func (b *Bot) Run(ctx context.Context) error {
	s, err := discordgo.New("Bot " + b.cfg.Token)
	if err != nil {
		return fmt.Errorf("discord session: %w", err)
	}
	s.Client = &http.Client{
		Transport: &rebase{from: discordgo.EndpointAPI, to: b.cfg.APIURL, next: transportOf(b.cfg.HTTPClient)},
		Timeout:   b.cfg.HTTPClient.Timeout,
	}
	s.Identify.Intents = discordgo.IntentsGuilds
	s.LogLevel = -1 // discordgo's own logger is off; we log what we handle
	s.StateEnabled = false
	// discordgo reads and decodes gateway events one at a time; with
	// SyncEvents off (the default, set here to say so) each handler runs
	// in its own goroutine, so a slow reply never holds up the next event.
	s.SyncEvents = false

	ready := make(chan string, 1)
	s.AddHandlerOnce(func(_ *discordgo.Session, r *discordgo.Ready) {
		id := ""
		if r.Application != nil {
			id = r.Application.ID
		}
		ready <- id
	})
	resp := sessionResponder{s}
	s.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
		b.Handle(resp, ic.Interaction)
	})
	if err := s.Open(); err != nil {
		return fmt.Errorf("connect to the discord gateway: %w", err)
	}
	b.log.Info("connected to the gateway", "api", b.cfg.APIURL)

	appID := b.cfg.AppID
	if appID == "" {
		select {
		case appID = <-ready:
		case <-ctx.Done():
		case <-time.After(30 * time.Second):
		}
	}
	if appID == "" && ctx.Err() == nil {
		b.shutdown(s)
		return errors.New("the application ID is unknown: set DISCORD_APP_ID")
	}
	if appID != "" {
		if err := b.register(ctx, s, appID); err != nil {
			b.shutdown(s)
			if ctx.Err() != nil {
				return nil // stopped while registering
			}
			return err
		}
	}
	close(b.ready)
	<-ctx.Done()
	b.shutdown(s)
	return nil
}

// Ready is closed once Run has connected and the commands are registered
// (or found up to date).
func (b *Bot) Ready() <-chan struct{} { return b.ready }

// shutdown stops taking interactions, lets those in flight finish within
// the grace period, cancels the rest and closes the session.
func (b *Bot) shutdown(s *discordgo.Session) {
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
	if err := s.Close(); err != nil {
		b.log.Warn("close the session", "err", err)
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
