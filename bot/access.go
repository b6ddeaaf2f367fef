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
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
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
	// UsageOn returns what server guildID used on day (store.Day), in all
	// and by userID.
	UsageOn(ctx context.Context, guildID, userID, day string) (server, user store.Usage, err error)
	// AddUsage adds to what userID used on server guildID on day.
	AddUsage(ctx context.Context, guildID, userID, day string, calls, tokens int64) error
}

// settingsTimeout bounds a settings or usage read made before a command is
// acknowledged, and the usage write after it.
const settingsTimeout = time.Second

// serverSettings returns the settings of i's server: the defaults in a DM,
// without a Settings store, or when the store fails (logged; the command
// is not held up by a failing store). They are read before the command is
// acknowledged, so they are kept for settingsTTL: a burst of commands
// reads them once.
func (b *Bot) serverSettings(ctx context.Context, i *discordgo.Interaction, log *slog.Logger) store.Settings {
	s := store.Settings{GuildID: i.GuildID}
	if b.cfg.Settings == nil || i.GuildID == "" {
		return s
	}
	if got, ok := b.settings.get(i.GuildID); ok {
		return got
	}
	ctx, cancel := context.WithTimeout(ctx, settingsTimeout)
	defer cancel()
	got, err := b.cfg.Settings.GuildSettings(ctx, i.GuildID)
	if err != nil {
		log.Error("read the server's settings; using the defaults", "guild", i.GuildID, "err", err)
		return s
	}
	b.settings.put(got)
	return got
}

// settingsTTL is how long the bot keeps a server's settings: a change made
// by /storybot on this process applies at once, one made on another
// replica or in the terminal within this time.
const settingsTTL = 10 * time.Second

// maxCachedSettings bounds the servers whose settings are kept.
const maxCachedSettings = 10_000

// settingsCache keeps servers' settings for settingsTTL.
type settingsCache struct {
	mu sync.Mutex
	m  map[string]cachedSettings
}

type cachedSettings struct {
	s  store.Settings
	at time.Time
}

func (c *settingsCache) get(guild string) (store.Settings, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[guild]
	if !ok || time.Since(e.at) > settingsTTL {
		return store.Settings{}, false
	}
	return e.s, true
}

func (c *settingsCache) put(s store.Settings) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCachedSettings {
		c.m = map[string]cachedSettings{}
	}
	c.m[s.GuildID] = cachedSettings{s: s, at: time.Now()}
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

// modelGate decides whether the model may write the reply to i, from the
// server's model roles and daily budgets: nil when it may, else the
// Fallback saying why not, and a note for the reply (the budget's reset,
// as a Discord timestamp).
func (b *Bot) modelGate(ctx context.Context, s store.Settings, i *discordgo.Interaction, log *slog.Logger) (fb *summarize.Fallback, note string) {
	if b.cfg.Settings == nil || i.GuildID == "" {
		return nil, ""
	}
	if len(s.ModelRoles) > 0 && !slices.Contains(s.ModelRoles, i.GuildID) && // the @everyone role's ID is the server's
		!slices.ContainsFunc(memberRoles(i), func(r string) bool { return slices.Contains(s.ModelRoles, r) }) {
		return &summarize.Fallback{Code: summarize.FallbackNoAccess, Reason: "on this server the model's replies are for some roles only"}, ""
	}
	bu := s.Budget
	if !bu.ServerCalls.Set && !bu.ServerTokens.Set && !bu.UserCalls.Set && !bu.UserTokens.Set {
		return nil, ""
	}
	now := b.cfg.Now()
	ctx, cancel := context.WithTimeout(ctx, settingsTimeout)
	defer cancel()
	server, user, err := b.cfg.Settings.UsageOn(ctx, i.GuildID, userID(i), store.Day(now))
	if err != nil {
		log.Error("read the model usage; not enforcing the budget for this reply", "guild", i.GuildID, "err", err)
		return nil, ""
	}
	whose := ""
	switch {
	case bu.ServerCalls.Reached(server.Calls), bu.ServerTokens.Reached(server.Tokens):
		whose = "this server's"
	case bu.UserCalls.Reached(user.Calls), bu.UserTokens.Reached(user.Tokens):
		whose = "your"
	default:
		return nil, ""
	}
	reason := whose + " daily model budget is used up (it starts again at midnight UTC)"
	note = fmt.Sprintf("%s daily model budget is used up, so this reply was written without the model. It starts again <t:%d:R>.",
		strings.ToUpper(whose[:1])+whose[1:], store.NextDay(now).Unix())
	log.Info("model budget used up", "guild", i.GuildID, "whose", whose)
	return &summarize.Fallback{Code: summarize.FallbackBudget, Reason: reason}, note
}

// cost is what one reply cost: a model call and its tokens when the model
// answered (whether its answer passed the checks or not); nothing for a
// cached reply, an extractive one, or a call that failed.
func cost(engine string, cached bool, fb *summarize.Fallback, u summarize.Usage) (calls, tokens int64) {
	tokens = int64(u.PromptTokens + u.CompletionTokens)
	if cached || (fb != nil || engine == summarize.Extractive) && tokens == 0 {
		return 0, 0
	}
	return 1, tokens
}

// record adds what a reply to i cost to its server's and user's use today.
func (b *Bot) record(ctx context.Context, i *discordgo.Interaction, log *slog.Logger, calls, tokens int64) {
	if b.cfg.Settings == nil || i.GuildID == "" || calls == 0 && tokens == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), settingsTimeout)
	defer cancel()
	if err := b.cfg.Settings.AddUsage(ctx, i.GuildID, userID(i), store.Day(b.cfg.Now()), calls, tokens); err != nil {
		log.Error("record the model usage", "guild", i.GuildID, "calls", calls, "tokens", tokens, "err", err)
	}
}
