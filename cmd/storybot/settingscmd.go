package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	cmds "github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/postgres"
	"github.com/storybot/storybot/store/sqlite"
)

// Every backend keeps per-server settings and model usage.
var (
	_ cmds.Budgets = (*sqlite.DB)(nil)
	_ cmds.Budgets = (*postgres.DB)(nil)
)

func init() {
	register(command{name: "settings", summary: "show or change a Discord server's settings, or its model usage", run: runSettings})
}

const settingsAbout = `
The settings /storybot changes on Discord, for one server (its ID: with
Developer Mode on, right-click the server icon and Copy Server ID), with the
same checks. --guild defaults to DISCORD_GUILD_ID.

  show                 the server's settings
  set NAME=VALUE...    change settings (all or none: an invalid one changes nothing)
  usage                model calls and tokens today and over the last 7 days (UTC days)

Settings (see README, "Server owners"):
  style=brief|standard|detailed    /story's default summary length
  channels=ID,ID… | all            where storybot answers
  model_roles=ID,ID… | everyone    roles whose members get the model's replies
  server_calls=N | none            daily model calls for the whole server (0: none)
  server_tokens=N | none           daily model tokens for the whole server
  user_calls=N | none              daily model calls for each member
  user_tokens=N | none             daily model tokens for each member
  feed_channel=ID | none           the channel for new stories from feeds (not checked with
                                   Discord here: /storybot accepts only the server's own)

Example: storybot settings set --guild 123456789012345678 style=brief user_calls=20 channels=234567890123456789`

func runSettings(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "settings", "settings show|set|usage [NAME=VALUE...] --guild ID [--db FILE] [--json]", settingsAbout)
	var sf storeFlags
	sf.add(fs)
	guild := fs.String("guild", "", "the Discord server's `ID` (default $DISCORD_GUILD_ID)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("settings needs show, set or usage, for example: storybot settings show --guild ID")
	}
	sub, rest := pos[0], pos[1:]
	if sub != "set" && len(rest) > 0 {
		return usagef("settings %s takes no arguments (got %q)", sub, rest[0])
	}
	var changes []cmds.Change
	switch sub {
	case "show", "usage":
	case "set":
		for _, a := range rest {
			name, value, ok := strings.Cut(a, "=")
			if !ok {
				return usagef("settings set: %q is not NAME=VALUE (the settings are %s)", a, strings.Join(cmds.SettingNames, ", "))
			}
			changes = append(changes, cmds.Change{Name: strings.TrimSpace(name), Value: value})
		}
	default:
		return usagef("settings: %q is not show, set or usage", sub)
	}
	id := *guild
	if id == "" {
		id = env.cfg.Bot.GuildID
	}
	if strings.TrimSpace(id) == "" {
		return usagef("settings needs the server: --guild ID (or DISCORD_GUILD_ID)")
	}
	switch {
	case id == cmds.DMUsage && sub == "usage": // the model's use in direct messages
	case id == cmds.DMUsage:
		return usagef("--guild dm has no settings: the direct messages' budget is BOT_DM_USER_CALLS and BOT_DM_CALLS")
	default:
		if id, err = cmds.ParseGuildID(id); err != nil {
			return usageError{err}
		}
	}
	db, err := sf.open(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	st, ok := db.(cmds.Budgets)
	if !ok {
		return errors.New("this store keeps no per-server settings")
	}
	now := time.Now()
	switch sub {
	case "show":
		s, err := st.GuildSettings(ctx, id)
		if err != nil {
			return err
		}
		return printSettings(env, sf.json, "Settings of server "+id+":", s)
	case "set":
		s, err := cmds.SetSettings(ctx, st, id, "terminal", changes, now)
		var se *cmds.SettingError
		if errors.As(err, &se) {
			return usagef("nothing was changed: %v", se)
		}
		if err != nil {
			return err
		}
		return printSettings(env, sf.json, "Saved. Settings of server "+id+":", s)
	}
	r, err := cmds.Usage(ctx, st, id, now)
	if err != nil {
		return err
	}
	if sf.json {
		return writeJSON(env.Out, usageJSON{GuildID: id, Today: r.Today, Days: r.Days, Top: r.Top, Budget: newBudgetJSON(r.Budget), Resets: r.Resets})
	}
	where := "server " + id
	if id == cmds.DMUsage {
		where = "direct messages (budgets: BOT_DM_USER_CALLS, BOT_DM_CALLS)"
	}
	fmt.Fprintf(env.Out, "Model use in %s:\n%sToday's budgets start again at %s.\n", where, r.Describe(cmds.PlainRefs), r.Resets.Format("2006-01-02 15:04 MST"))
	return nil
}

func printSettings(env *Env, asJSON bool, title string, s store.Settings) error {
	if asJSON {
		return writeJSON(env.Out, newSettingsJSON(s))
	}
	fmt.Fprintf(env.Out, "%s\n%s", title, cmds.DescribeSettings(s, cmds.PlainRefs))
	return nil
}

type settingsJSON struct {
	GuildID     string     `json:"guild_id"`
	Style       string     `json:"style"`
	Channels    []string   `json:"channels"`    // empty: every channel
	ModelRoles  []string   `json:"model_roles"` // empty: everyone
	Budget      budgetJSON `json:"budget"`
	FeedChannel string     `json:"feed_channel,omitempty"`
	Updated     *time.Time `json:"updated,omitempty"`
	UpdatedBy   string     `json:"updated_by,omitempty"`
}

// budgetJSON holds the daily limits; null is no limit.
type budgetJSON struct {
	ServerCalls  *int64 `json:"server_calls"`
	ServerTokens *int64 `json:"server_tokens"`
	UserCalls    *int64 `json:"user_calls"`
	UserTokens   *int64 `json:"user_tokens"`
}

func newSettingsJSON(s store.Settings) settingsJSON {
	j := settingsJSON{GuildID: s.GuildID, Style: s.Style, Channels: s.Channels, ModelRoles: s.ModelRoles,
		Budget: newBudgetJSON(s.Budget), FeedChannel: s.FeedChannel, UpdatedBy: s.UpdatedBy}
	if j.Style == "" {
		j.Style = "standard"
	}
	if j.Channels == nil {
		j.Channels = []string{}
	}
	if j.ModelRoles == nil {
		j.ModelRoles = []string{}
	}
	if !s.Updated.IsZero() {
		j.Updated = &s.Updated
	}
	return j
}

func newBudgetJSON(b store.Budget) budgetJSON {
	n := func(l store.Limit) *int64 {
		if !l.Set {
			return nil
		}
		return &l.N
	}
	return budgetJSON{ServerCalls: n(b.ServerCalls), ServerTokens: n(b.ServerTokens), UserCalls: n(b.UserCalls), UserTokens: n(b.UserTokens)}
}

type usageJSON struct {
	GuildID string            `json:"guild_id"`
	Today   store.Usage       `json:"today"`
	Days    []store.Usage     `json:"days"`
	Top     []store.UserUsage `json:"top_users_today"`
	Budget  budgetJSON        `json:"budget"`
	Resets  time.Time         `json:"resets"`
}
