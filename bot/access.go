package bot

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/store"
)

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

// refusal returns what to tell i's user when the lists refuse them, else "".
func (a AccessLists) refusal(i *discordgo.Interaction) string {
	user, roles := userID(i), memberRoles(i)
	hasRole := func(list []string) bool {
		return slices.ContainsFunc(roles, func(r string) bool { return slices.Contains(list, r) })
	}
	switch {
	case slices.Contains(a.DenyGuilds, i.GuildID) && i.GuildID != "",
		len(a.AllowGuilds) > 0 && !slices.Contains(a.AllowGuilds, i.GuildID):
		return refuseGuild
	case slices.Contains(a.DenyUsers, user), hasRole(a.DenyRoles):
		return refuseUser
	case len(a.AllowUsers)+len(a.AllowRoles) > 0 && !slices.Contains(a.AllowUsers, user) && !hasRole(a.AllowRoles):
		return refuseUser
	}
	return ""
}

// memberRoles are the roles of i's member; none in a DM.
func memberRoles(i *discordgo.Interaction) []string {
	if i.Member == nil {
		return nil
	}
	return i.Member.Roles
}

// Settings keeps per-server settings and counts the model's use.
// *sqlite.DB and *postgres.DB satisfy it.
type Settings interface {
	commands.SettingsStore
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

// settingsTimeout bounds a settings read made before a command is
// acknowledged.
const settingsTimeout = time.Second

// usageTimeout bounds a usage write: a model call's reservation, made
// after the command is acknowledged, and the record of what it cost.
const usageTimeout = 10 * time.Second

// serverSettings returns the settings of i's server, and whether they are
// known. In a DM, and without a Settings store, they are the defaults.
// They are read before the command is acknowledged, so they are kept for
// settingsTTL: a burst of commands reads them once. When the store fails
// or is slow the settings last read are used, however old (and kept for
// another settingsTTL); when there are none, known is false and s is the
// defaults: the caller must then keep the model out of the reply, since
// the server may restrict it.
func (b *Bot) serverSettings(ctx context.Context, i *discordgo.Interaction, log *slog.Logger) (s store.Settings, known bool) {
	s = store.Settings{GuildID: i.GuildID}
	if b.cfg.Settings == nil || i.GuildID == "" {
		return s, true
	}
	last, fresh, ok := b.settings.get(i.GuildID, b.cfg.Now())
	if fresh {
		return last, true
	}
	ctx, cancel := context.WithTimeout(ctx, settingsTimeout)
	defer cancel()
	got, err := b.cfg.Settings.GuildSettings(ctx, i.GuildID)
	switch {
	case err == nil:
		b.settings.put(got, b.cfg.Now())
		return got, true
	case ok:
		log.Warn("read the server's settings; using those read before", "guild", i.GuildID, "err", err)
		b.settings.put(last, b.cfg.Now()) // try the store again after settingsTTL, not on every command
		return last, true
	}
	log.Error("read the server's settings; none read before, so no model for this reply", "guild", i.GuildID, "err", err)
	return s, false
}

// settingsTTL is how long the bot keeps a server's settings: a change made
// by /storybot on this process applies at once, one made on another
// replica or in the terminal within this time.
const settingsTTL = 10 * time.Second

// maxCachedSettings bounds the servers whose settings are kept.
const maxCachedSettings = 10_000

// settingsCache keeps servers' settings: fresh for settingsTTL, and
// after that for when the store fails.
type settingsCache struct {
	mu sync.Mutex
	m  map[string]cachedSettings
}

type cachedSettings struct {
	s  store.Settings
	at time.Time
}

// get returns guild's settings, whether they were put at most settingsTTL
// before now, and whether there are any.
func (c *settingsCache) get(guild string, now time.Time) (s store.Settings, fresh, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[guild]
	return e.s, ok && now.Sub(e.at) <= settingsTTL, ok
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
func channelRefusal(s store.Settings, i *discordgo.Interaction) string {
	if len(s.Channels) == 0 || slices.Contains(s.Channels, i.ChannelID) {
		return ""
	}
	shown := s.Channels[:min(len(s.Channels), 5)]
	refs := make([]string, len(shown))
	for k, id := range shown {
		refs[k] = commands.DiscordRefs.Channel(id)
	}
	more := ""
	if len(s.Channels) > len(shown) {
		more = " and others"
	}
	return fmt.Sprintf("storybot answers only in %s%s on this server. Please ask there.", strings.Join(refs, ", "), more)
}

// gate is what modelGate decided for one reply.
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

// modelGate decides whether the model may write the reply to i, from
// BOT_DM_MODEL in a DM, and else from the server's settings s (known: see
// serverSettings), its model roles and its daily budgets. With a budget
// it reserves the model call at once, so that commands at the same time
// cannot pass a call budget; settle settles it once the reply is written.
// When the settings or the budget cannot be read, the model is kept out.
func (b *Bot) modelGate(ctx context.Context, s store.Settings, known bool, i *discordgo.Interaction, log *slog.Logger) gate {
	now := b.cfg.Now()
	g := gate{day: store.Day(now)}
	switch {
	case i.GuildID == "" && b.cfg.NoDMModel:
		g.offline = &generate.Fallback{Code: generate.FallbackNoAccess, Reason: "this storybot does not use the model in direct messages"}
		return g
	case b.cfg.Settings == nil || i.GuildID == "":
		return g
	case !known:
		g.offline = &generate.Fallback{Code: generate.FallbackError, Reason: "storybot could not read this server's settings; please try again in a minute"}
		return g
	}
	if len(s.ModelRoles) > 0 && !slices.Contains(s.ModelRoles, i.GuildID) && // the @everyone role's ID is the server's
		!slices.ContainsFunc(memberRoles(i), func(r string) bool { return slices.Contains(s.ModelRoles, r) }) {
		g.offline = &generate.Fallback{Code: generate.FallbackNoAccess, Reason: "on this server the model's replies are for some roles only"}
		return g
	}
	if !s.Budget.Any() {
		return g
	}
	b.acks.wait(ctx, maxAckWait) // a write: after the acknowledgements still to send (see priority.go)
	ctx, cancel := context.WithTimeout(ctx, usageTimeout)
	defer cancel()
	spent, err := b.cfg.Settings.ReserveCall(ctx, i.GuildID, userID(i), g.day, s.Budget)
	if err != nil {
		log.Error("reserve a model call; no model for this reply", "guild", i.GuildID, "err", err)
		g.offline = &generate.Fallback{Code: generate.FallbackError, Reason: "storybot could not check this server's daily model budget; please try again in a minute"}
		return g
	}
	if spent == "" {
		g.reserved = true
		return g
	}
	whose := "your"
	if spent == store.ServerBudget {
		whose = "this server's"
	}
	g.offline = &generate.Fallback{Code: generate.FallbackBudget, Reason: whose + " daily model budget is used up (it starts again at midnight UTC)"}
	g.note = fmt.Sprintf("%s daily model budget is used up, so this reply was written without the model. It starts again <t:%d:R>.",
		capitalize(whose), store.NextDay(now).Unix())
	log.Info("model budget used up", "guild", i.GuildID, "whose", spent)
	return g
}

// cost is what one reply cost: a model call and the tokens the server
// reported when the model answered (whether its answer passed the checks
// or not, and whether or not the server reported tokens); nothing for a
// cached reply, an extractive one, or a call that failed before an answer.
func cost(answered bool, u llm.Usage) (calls, tokens int64) {
	if !answered {
		return 0, 0
	}
	return 1, int64(u.PromptTokens + u.CompletionTokens)
}

// settle counts what the reply to i cost (cost) on its server's and user's
// use of g.day: the call reserved for it is kept when the model answered
// and given back when not, and the tokens are added.
func (b *Bot) settle(ctx context.Context, i *discordgo.Interaction, log *slog.Logger, g gate, calls, tokens int64) {
	if b.cfg.Settings == nil || i.GuildID == "" {
		return
	}
	if g.reserved {
		calls-- // counted already
	}
	if calls == 0 && tokens == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), usageTimeout)
	defer cancel()
	if err := b.cfg.Settings.AddUsage(ctx, i.GuildID, userID(i), g.day, calls, tokens); err != nil {
		log.Error("record the model usage", "guild", i.GuildID, "day", g.day, "calls", calls, "tokens", tokens, "err", err)
	}
}
