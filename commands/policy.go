package commands

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/store"
)

// The policy the Discord transports share, as middleware: the operator's
// access lists, a rate limit per user, the server's channels, and the
// model's gate with its daily budgets. The lists, the channels and a rate
// limit of its own apply to autocomplete too, where a refusal means no
// choices; the budgets do not.

// AccessLists are the operator's allow and deny lists (BOT_ALLOW_USERS,
// BOT_DENY_USERS, BOT_ALLOW_ROLES, BOT_DENY_ROLES, BOT_ALLOW_GUILDS,
// BOT_DENY_GUILDS), for a storybot run by one operator. They apply to every
// command, before any server's settings: a user who is denied, or not
// allowed, gets a short refusal only they see, and no autocomplete. A deny
// list wins over an allow list. An empty allow list allows everyone; users
// and roles allow together (a user in AllowUsers or with a role in
// AllowRoles is allowed). With AllowGuilds set, direct messages are refused.
type AccessLists struct {
	AllowUsers, DenyUsers   []string
	AllowRoles, DenyRoles   []string
	AllowGuilds, DenyGuilds []string
}

// Refusals, as the user sees them.
const (
	refuseUser  = "You can't use storybot here. If you think that is a mistake, ask this server's admins."
	refuseGuild = "storybot is not available here. If you think that is a mistake, ask this server's admins."
)

// Refusal returns what to tell r's user when the lists refuse them, else "".
func (a AccessLists) Refusal(r *Request) string {
	hasRole := func(list []string) bool {
		return slices.ContainsFunc(r.Roles, func(role string) bool { return slices.Contains(list, role) })
	}
	switch {
	case slices.Contains(a.DenyGuilds, r.Guild) && r.Guild != "",
		len(a.AllowGuilds) > 0 && !slices.Contains(a.AllowGuilds, r.Guild):
		return refuseGuild
	case slices.Contains(a.DenyUsers, r.User), hasRole(a.DenyRoles):
		return refuseUser
	case len(a.AllowUsers)+len(a.AllowRoles) > 0 && !slices.Contains(a.AllowUsers, r.User) && !hasRole(a.AllowRoles):
		return refuseUser
	}
	return ""
}

// Access is the middleware that applies the access lists.
func Access(a AccessLists, log *slog.Logger) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, r *Request) (Reply, error) {
			if msg := a.Refusal(r); msg != "" {
				if r.Autocomplete {
					return Reply{Outcome: OutcomeRefused}, nil
				}
				log.Info("refused by the access lists", "command", r.Command, "guild", r.Guild, "user", r.User)
				return refuse(OutcomeRefused, msg), nil
			}
			return next.Serve(ctx, r)
		})
	}
}

// Autocomplete's own rate limit per user: a burst as long as a title typed
// quickly, then four a second. Discord asks as the user types, so this is
// far above what a person sends, and far below a flood of lookups.
const (
	AutocompleteBurst = 20
	AutocompleteEvery = 250 * time.Millisecond
)

// RateLimit is the middleware that lets each user run burst commands at
// once and one more every every (a token bucket per user). Autocomplete
// has a bucket of its own (AutocompleteBurst, AutocompleteEvery), so
// typing never costs a command; one over its limit gets no choices. A user
// over the commands' limit is told when to try again.
func RateLimit(burst int, every time.Duration, now func() time.Time, log *slog.Logger) Middleware {
	l := newUserLimiter(burst, every, now)
	auto := newUserLimiter(AutocompleteBurst, AutocompleteEvery, now)
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, r *Request) (Reply, error) {
			if r.Autocomplete {
				if ok, _ := auto.allow(r.User); !ok {
					return Reply{Outcome: OutcomeRateLimited}, nil
				}
				return next.Serve(ctx, r)
			}
			if ok, retry := l.allow(r.User); !ok {
				log.Info("rate limited", "command", r.Command, "user", r.User)
				return refuse(OutcomeRateLimited, fmt.Sprintf("You're sending commands quickly. Please try again <t:%d:R>.", retry.Add(time.Second).Unix())), nil
			}
			return next.Serve(ctx, r)
		})
	}
}

// userLimiter is a token bucket per user: burst commands at once, then one
// more every every.
type userLimiter struct {
	burst int
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]bucket
	checks  int
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newUserLimiter(burst int, every time.Duration, now func() time.Time) *userLimiter {
	return &userLimiter{burst: burst, every: every, now: now, buckets: map[string]bucket{}}
}

// allow takes a token for user; when there is none it reports when the next
// one comes.
func (l *userLimiter) allow(user string) (ok bool, retry time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.checks++
	if l.checks%1024 == 0 {
		l.prune(now)
	}
	b, found := l.buckets[user]
	if !found {
		b = bucket{tokens: float64(l.burst), at: now}
	}
	b.tokens += float64(now.Sub(b.at)) / float64(l.every)
	if b.tokens > float64(l.burst) {
		b.tokens = float64(l.burst)
	}
	b.at = now
	if b.tokens < 1 {
		l.buckets[user] = b
		return false, now.Add(time.Duration((1 - b.tokens) * float64(l.every)))
	}
	b.tokens--
	l.buckets[user] = b
	return true, time.Time{}
}

// prune forgets users whose bucket is full again.
func (l *userLimiter) prune(now time.Time) {
	full := time.Duration(l.burst) * l.every
	for u, b := range l.buckets {
		if now.Sub(b.at) > full {
			delete(l.buckets, u)
		}
	}
}

// Budgets keeps per-server settings and counts the model's use.
// *sqlite.DB and *postgres.DB satisfy it.
type Budgets interface {
	SettingsStore
	// ReserveCall counts one model call for userID on server guildID on
	// day (store.Day) unless what was used that day has reached one of b's
	// budgets, which it then returns (store.ServerBudget or
	// store.UserBudget) without counting anything. Reservations made at
	// the same time never pass a call budget.
	ReserveCall(ctx context.Context, guildID, userID, day string, b store.Budget) (spent string, err error)
	// AddUsage adds to what userID used on server guildID on day; calls
	// is -1 to give back a reserved call.
	AddUsage(ctx context.Context, guildID, userID, day string, calls, tokens int64) error
}

// Policy is the server-side policy: each server's settings (its channels,
// its model roles, its budgets) and the operator's choice for direct
// messages. Its Middleware reads the settings once per request (kept for
// SettingsTTL), turns away a command in a channel the server keeps
// storybot out of, and decides whether the model may write the reply; it
// settles the reply's cost on the server's and user's budgets afterwards.
type Policy struct {
	// Store keeps the settings and the usage; nil means no per-server
	// settings: every server has the defaults and no budget.
	Store Budgets
	// NoDMModel keeps the model out of replies in direct messages.
	NoDMModel bool
	// DM is the operator's daily budget for the model in direct messages,
	// which no server's settings cover: a call budget for each user and
	// one for all of them together. Its use is counted under the server ID
	// DMUsage. The zero value is no limit.
	DM DMBudget
	// Now is the clock (time.Now when nil).
	Now func() time.Time
	Log *slog.Logger

	settings settingsCache
}

// DMBudget is the operator's daily budget of model calls in direct
// messages (BOT_DM_USER_CALLS, BOT_DM_CALLS).
type DMBudget struct {
	UserCalls store.Limit // each user's
	Calls     store.Limit // all direct messages' together
}

// DMUsage is the server ID under which the model's use in direct messages
// is counted ("storybot settings usage --guild dm").
const DMUsage = "dm"

// usageGuild is the server r's model use is counted on.
func usageGuild(r *Request) string {
	if r.Guild == "" {
		return DMUsage
	}
	return r.Guild
}

// SettingsTTL is how long a server's settings are kept: a change made by
// /storybot on this process applies at once (Policy.Remember), one made on
// another replica or in the terminal within this time.
const SettingsTTL = 10 * time.Second

// settingsTimeout bounds a settings read made before a command is
// answered.
const settingsTimeout = time.Second

// usageTimeout bounds a usage write: a model call's reservation and the
// record of what it cost.
const usageTimeout = 10 * time.Second

func (p *Policy) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

// Remember keeps s as its server's settings from now: a change this
// process made applies to the next command at once.
func (p *Policy) Remember(s store.Settings) { p.settings.put(s, p.now()) }

// Middleware applies the policy.
func (p *Policy) Middleware(next Handler) Handler {
	return HandlerFunc(func(ctx context.Context, r *Request) (rep Reply, err error) {
		if r.Command == "storybot" && !r.Autocomplete {
			return next.Serve(ctx, r) // the server's admins, wherever they are
		}
		s, known := p.serverSettings(ctx, r)
		r.Settings = s
		if msg := channelRefusal(s, r.Channel); msg != "" {
			if r.Autocomplete {
				return Reply{Outcome: OutcomeRefused}, nil
			}
			p.Log.Info("refused: not an allowed channel", "command", r.Command, "guild", r.Guild, "channel", r.Channel)
			return refuse(OutcomeRefused, msg), nil
		}
		if r.Autocomplete {
			if !known {
				return Reply{Outcome: OutcomeRefused}, nil // the server may keep storybot out of this channel
			}
			return next.Serve(ctx, r)
		}
		g := p.gate(ctx, s, known, r)
		r.Offline = g.offline
		// Settled however the handler ends, a panic included: a reserved
		// call the model did not answer is given back.
		defer func() { p.settle(ctx, r, g, rep) }()
		rep, err = next.Serve(ctx, r)
		if rep.Note == "" {
			rep.Note = g.note
		}
		return rep, err
	})
}

// serverSettings returns the settings of r's server, and whether they are
// known. In a DM, and without a store, they are the defaults. They are
// kept for SettingsTTL: a burst of commands reads them once. When the
// store fails or is slow the settings last read are used, however old (and
// kept for another SettingsTTL); when there are none, known is false and s
// is the defaults: the model is then kept out of the reply, since the
// server may restrict it.
func (p *Policy) serverSettings(ctx context.Context, r *Request) (s store.Settings, known bool) {
	s = store.Settings{GuildID: r.Guild}
	if p.Store == nil || r.Guild == "" {
		return s, true
	}
	last, fresh, ok := p.settings.get(r.Guild, p.now())
	if fresh {
		return last, true
	}
	ctx, cancel := context.WithTimeout(ctx, settingsTimeout)
	defer cancel()
	got, err := p.Store.GuildSettings(ctx, r.Guild)
	switch {
	case err == nil:
		p.settings.put(got, p.now())
		return got, true
	case ok:
		p.Log.Warn("read the server's settings; using those read before", "guild", r.Guild, "err", err)
		p.settings.put(last, p.now()) // try the store again after SettingsTTL, not on every command
		return last, true
	}
	p.Log.Error("read the server's settings; none read before, so no model for this reply", "guild", r.Guild, "err", err)
	return s, false
}

// maxCachedSettings bounds the servers whose settings are kept.
const maxCachedSettings = 10_000

// settingsCache keeps servers' settings: fresh for SettingsTTL, and after
// that for when the store fails.
type settingsCache struct {
	mu sync.Mutex
	m  map[string]cachedSettings
}

type cachedSettings struct {
	s  store.Settings
	at time.Time
}

// get returns guild's settings, whether they were put at most SettingsTTL
// before now, and whether there are any.
func (c *settingsCache) get(guild string, now time.Time) (s store.Settings, fresh, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[guild]
	return e.s, ok && now.Sub(e.at) <= SettingsTTL, ok
}

// put keeps s, as of now.
func (c *settingsCache) put(s store.Settings, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedSettings {
		c.m = map[string]cachedSettings{}
	}
	c.m[s.GuildID] = cachedSettings{s: s, at: now}
}

// channelRefusal returns what to tell a user in a channel where the
// server's settings keep storybot quiet, else "".
func channelRefusal(s store.Settings, channel string) string {
	if len(s.Channels) == 0 || slices.Contains(s.Channels, channel) {
		return ""
	}
	shown := s.Channels[:min(len(s.Channels), 5)]
	refs := make([]string, len(shown))
	for k, id := range shown {
		refs[k] = DiscordRefs.Channel(id)
	}
	more := ""
	if len(s.Channels) > len(shown) {
		more = " and others"
	}
	return fmt.Sprintf("storybot answers only in %s%s on this server. Please ask there.", strings.Join(refs, ", "), more)
}

// gate is what the policy decided for one reply.
type gate struct {
	// offline, when set, keeps the model out of the reply and says why.
	offline *generate.Fallback
	// note is for the reply: when a spent budget starts again.
	note string
	// day is the UTC day (store.Day) of the budget check: the reply's
	// cost is counted on it, even when the reply ends the day after.
	day string
	// reserved reports that a model call was counted for the reply
	// (ReserveCall), to give back when the model gave no answer.
	reserved bool
}

// gate decides whether the model may write the reply to r, from NoDMModel
// in a DM, and else from the server's settings s (known: see
// serverSettings), its model roles and its daily budgets. With a budget it
// reserves the model call at once, so that commands at the same time
// cannot pass a call budget; settle settles it once the reply is written.
// When the settings or the budget cannot be read, the model is kept out.
func (p *Policy) gate(ctx context.Context, s store.Settings, known bool, r *Request) gate {
	now := p.now()
	g := gate{day: store.Day(now)}
	switch {
	case r.Guild == "" && p.NoDMModel:
		g.offline = &generate.Fallback{Code: generate.FallbackNoAccess, Reason: "this storybot does not use the model in direct messages"}
		return g
	case p.Store == nil:
		return g
	case r.Guild == "":
		return p.reserve(ctx, r, g, store.Budget{UserCalls: p.DM.UserCalls, ServerCalls: p.DM.Calls}, now)
	case !known:
		g.offline = &generate.Fallback{Code: generate.FallbackError, Reason: "storybot could not read this server's settings; please try again in a minute"}
		return g
	}
	if len(s.ModelRoles) > 0 && !slices.Contains(s.ModelRoles, r.Guild) && // the @everyone role's ID is the server's
		!slices.ContainsFunc(r.Roles, func(role string) bool { return slices.Contains(s.ModelRoles, role) }) {
		g.offline = &generate.Fallback{Code: generate.FallbackNoAccess, Reason: "on this server the model's replies are for some roles only"}
		return g
	}
	return p.reserve(ctx, r, g, s.Budget, now)
}

// reserve reserves the model call for r against budget b, on r's server
// or on DMUsage, and says what to tell the user when b is spent.
func (p *Policy) reserve(ctx context.Context, r *Request, g gate, b store.Budget, now time.Time) gate {
	if !b.Any() {
		return g
	}
	ctx, cancel := context.WithTimeout(ctx, usageTimeout)
	defer cancel()
	spent, err := p.Store.ReserveCall(ctx, usageGuild(r), r.User, g.day, b)
	if err != nil {
		p.Log.Error("reserve a model call; no model for this reply", "guild", r.Guild, "err", err)
		g.offline = &generate.Fallback{Code: generate.FallbackError, Reason: "storybot could not check this server's daily model budget; please try again in a minute"}
		return g
	}
	if spent == "" {
		g.reserved = true
		return g
	}
	whose := "your"
	switch {
	case spent == store.ServerBudget && r.Guild == "":
		whose = "this storybot's direct-message"
	case spent == store.ServerBudget:
		whose = "this server's"
	}
	g.offline = &generate.Fallback{Code: generate.FallbackBudget, Reason: whose + " daily model budget is used up (it starts again at midnight UTC)"}
	g.note = fmt.Sprintf("%s daily model budget is used up, so this reply was written without the model. It starts again <t:%d:R>.",
		capitalize(whose), store.NextDay(now).Unix())
	p.Log.Info("model budget used up", "guild", r.Guild, "whose", spent)
	return g
}

// settle counts what rep cost on its server's and user's use of g.day: a
// model call and the tokens the server reported when the model answered
// (whether its answer passed the checks or not, and whether or not the
// server reported tokens); nothing for a cached reply, an extractive one,
// or a call that failed before an answer. The call reserved for it is kept
// when the model answered and given back when not.
func (p *Policy) settle(ctx context.Context, r *Request, g gate, rep Reply) {
	if p.Store == nil {
		return
	}
	var calls, tokens int64
	if answered, u := rep.cost(); answered {
		calls, tokens = 1, int64(u.PromptTokens+u.CompletionTokens)
	}
	if g.reserved {
		calls-- // counted already
	}
	if calls == 0 && tokens == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), usageTimeout)
	defer cancel()
	if err := p.Store.AddUsage(ctx, usageGuild(r), r.User, g.day, calls, tokens); err != nil {
		p.Log.Error("record the model usage", "guild", r.Guild, "day", g.day, "calls", calls, "tokens", tokens, "err", err)
	}
}

// capitalize returns s with its first letter in upper case.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
