package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// Titles finds stories by the start of their title, for autocomplete.
// *sqlite.DB and *postgres.DB satisfy it.
type Titles interface {
	Titles(ctx context.Context, prefix string, limit int) ([]store.Title, error)
}

// maxChoices is the most autocomplete choices a reply holds (Discord's
// limit).
const maxChoices = 25

// choices answers an autocomplete with the titles that start with what the
// user typed.
func choices(ctx context.Context, t Titles, r *Request) (Reply, error) {
	if t == nil {
		return Reply{}, nil
	}
	ts, err := t.Titles(ctx, strings.TrimSpace(r.Option(r.Focused)), maxChoices)
	if err != nil {
		return Reply{}, fmt.Errorf("autocomplete: %w", err)
	}
	return Reply{Choices: ts}, nil
}

// StoryHandler answers /story (options query and style; the server's
// default style when none is given) and its autocomplete.
func StoryHandler(d Deps, t Titles) Handler {
	return HandlerFunc(func(ctx context.Context, r *Request) (Reply, error) {
		if r.Autocomplete {
			return choices(ctx, t, r)
		}
		style := summarize.Standard
		name := r.Option("style")
		if name == "" {
			name = r.Settings.Style
		}
		if name != "" {
			if st, err := summarize.ParseStyle(name); err == nil {
				style = st
			}
		}
		d := d
		d.Draft, d.Offline = r.Draft, r.Offline
		rep, err := Story(ctx, d, r.Option("query"), style, r.Fresh)
		if err != nil {
			return Reply{}, err
		}
		return Reply{Story: &rep}, nil
	})
}

// AskHandler answers /ask (options question and story) and its
// autocomplete.
func AskHandler(d AskDeps, t Titles) Handler {
	return HandlerFunc(func(ctx context.Context, r *Request) (Reply, error) {
		if r.Autocomplete {
			return choices(ctx, t, r)
		}
		d := d
		d.Offline = r.Offline
		rep, err := Ask(ctx, d, r.Option("question"), r.Option("story"))
		if err != nil {
			return Reply{}, err
		}
		return Reply{Ask: &rep}, nil
	})
}

// FeedChannelChecker says whether a channel may be a server's feed
// channel: storybot posts there, so it must be one of that server's
// channels storybot can see. It returns the reason to tell the admin when
// not, with the outcome, else "".
type FeedChannelChecker func(ctx context.Context, guild, channel string) (refusal, outcome string)

// AdminConfig is what /storybot needs.
type AdminConfig struct {
	// Store keeps the settings; nil means this storybot keeps none.
	Store SettingsStore
	// Policy is told about a change, so it applies at once here.
	Policy *Policy
	// CheckFeedChannel, when set, checks a feed channel set from Discord.
	CheckFeedChannel FeedChannelChecker
	Now              func() time.Time
	Log              *slog.Logger
}

// adminTimeout bounds /storybot's reads and writes.
const adminTimeout = 2 * settingsTimeout

// AdminHandler answers /storybot: settings show, settings set and usage,
// in a server, for its admins, with a message only they see.
func AdminHandler(c AdminConfig) Handler {
	now := c.Now
	if now == nil {
		now = time.Now
	}
	return HandlerFunc(func(ctx context.Context, r *Request) (Reply, error) {
		if r.Autocomplete {
			return Reply{}, nil // no option of /storybot completes; never a write
		}
		if r.Guild == "" {
			return refuse(OutcomeBadInput, "/storybot works in a server: its settings are the server's."), nil
		}
		if !r.Admin {
			c.Log.Info("refused /storybot: no Manage Server permission", "guild", r.Guild)
			return refuse(OutcomeRefused, "You need the Manage Server permission to use /storybot. Ask this server's admins."), nil
		}
		if c.Store == nil {
			return refuse(OutcomeError, "This storybot keeps no per-server settings. Ask its operator."), nil
		}
		ctx, cancel := context.WithTimeout(ctx, adminTimeout)
		defer cancel()
		var (
			msg string
			err error
		)
		switch r.Path {
		case "settings show":
			var s store.Settings
			if s, err = c.Store.GuildSettings(ctx, r.Guild); err == nil {
				msg = "**storybot's settings for this server**\n" + DescribeSettings(s, DiscordRefs) +
					"Change them with `/storybot settings set` (none removes a budget). Budgets count model calls and tokens per UTC day; cached replies cost nothing."
			}
		case "settings set":
			if c.CheckFeedChannel != nil {
				if ch := feedChannel(r.Changes); ch != "" {
					if refusal, outcome := c.CheckFeedChannel(ctx, r.Guild, ch); refusal != "" {
						return refuse(outcome, "Nothing was changed. "+refusal), nil
					}
				}
			}
			var s store.Settings
			if s, err = SetSettings(ctx, c.Store, r.Guild, r.User, r.Changes, now()); err == nil {
				names := make([]string, len(r.Changes))
				for k, ch := range r.Changes {
					names[k] = ch.Name
				}
				if c.Policy != nil {
					c.Policy.Remember(s)
				}
				c.Log.Info("server settings changed", "guild", r.Guild, "settings", strings.Join(names, ","))
				msg = "Saved. storybot's settings for this server are now:\n" + DescribeSettings(s, DiscordRefs)
			}
		case "usage":
			var rep UsageReport
			if rep, err = Usage(ctx, c.Store, r.Guild, now()); err == nil {
				msg = "**Model use on this server**\n" + rep.Describe(DiscordRefs) +
					fmt.Sprintf("Today's budgets start again <t:%d:R> (midnight UTC).", rep.Resets.Unix())
			}
		default:
			return refuse(OutcomeUnknown, "storybot does not know that subcommand. Try /storybot settings show."), nil
		}
		var se *SettingError
		switch {
		case errors.As(err, &se):
			m := se.Error()
			if se.Name == "" {
				m = capitalize(m)
			}
			return refuse(OutcomeBadInput, "Nothing was changed. "+m+"."), nil
		case err != nil:
			c.Log.Error("/storybot failed", "subcommand", r.Path, "guild", r.Guild, "err", err)
			return refuse(OutcomeError, "storybot could not read or save this server's settings. Please try again in a minute."), nil
		}
		return Reply{Message: msg, Ephemeral: true}, nil
	})
}

// feedChannel returns the feed channel a settings change sets, if any
// ("none" and invalid values need no check: SetSettings words them).
func feedChannel(changes []Change) string {
	for _, c := range changes {
		var s store.Settings
		if c.Name == SettingFeedChannel && ApplySetting(&s, c.Name, c.Value) == nil && s.FeedChannel != "" {
			return s.FeedChannel
		}
	}
	return ""
}
