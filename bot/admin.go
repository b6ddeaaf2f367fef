package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/store"
)

// adminPermission is what /storybot needs: Manage Server. Discord hides the
// command from members without it (default_member_permissions), and every
// call is checked again, since a member's permissions can change after the
// command was registered and a server can override who sees it.
const adminPermission = discordgo.PermissionManageGuild

// adminDefinition is /storybot: settings show, settings set, usage.
func adminDefinition() *discordgo.ApplicationCommand {
	perm := int64(adminPermission)
	guildOnly := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	str := func(name, desc string, choices ...string) *discordgo.ApplicationCommandOption {
		o := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: desc, MaxLength: 600}
		for _, c := range choices {
			o.Choices = append(o.Choices, &discordgo.ApplicationCommandOptionChoice{Name: c, Value: c})
		}
		if len(choices) > 0 {
			o.MaxLength = 0
		}
		return o
	}
	budget := " a day: a whole number, 0 for none, or none for no limit"
	return &discordgo.ApplicationCommand{
		Name:                     "storybot",
		Description:              "storybot's settings for this server (Manage Server only)",
		DefaultMemberPermissions: &perm,
		Contexts:                 &guildOnly,
		Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommandGroup, Name: "settings", Description: "Show or change storybot's settings for this server",
				Options: []*discordgo.ApplicationCommandOption{
					{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "show", Description: "Show storybot's settings for this server"},
					{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "set", Description: "Change storybot's settings for this server",
						Options: []*discordgo.ApplicationCommandOption{
							str(commands.SettingStyle, "Default summary length for /story", "brief", "standard", "detailed"),
							str(commands.SettingChannels, "Channels where storybot answers (#mentions or IDs), or all"),
							str(commands.SettingModelRoles, "Roles whose members get the model's replies (@mentions or IDs), or everyone"),
							str(commands.SettingServerCalls, "Model calls for the whole server"+budget),
							str(commands.SettingServerTokens, "Model tokens for the whole server"+budget),
							str(commands.SettingUserCalls, "Model calls for each member"+budget),
							str(commands.SettingUserTokens, "Model tokens for each member"+budget),
							// A channel option: Discord offers only this server's text
							// and announcement channels (feedChannelRefusal checks).
							{Type: discordgo.ApplicationCommandOptionChannel, Name: commands.SettingFeedChannel, Description: "Channel for new stories from feeds",
								ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews}},
							{Type: discordgo.ApplicationCommandOptionBoolean, Name: optionNoFeedChannel, Description: "True: post no new stories from feeds on this server"},
						}},
				}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "usage", Description: "Model use on this server: today and the last 7 days"},
		},
	}
}

// optionNoFeedChannel is the /storybot settings set option that removes
// the feed channel: feed_channel, a channel option, cannot say none.
const optionNoFeedChannel = "no_feed_channel"

// admin answers /storybot with a message only its user sees, and returns
// the outcome.
func (b *Bot) admin(ctx context.Context, r Responder, i *discordgo.Interaction, log *slog.Logger) string {
	if i.GuildID == "" || i.Member == nil {
		b.ephemeral(r, i, log, "/storybot works in a server: its settings are the server's.")
		return OutcomeBadInput
	}
	if i.Member.Permissions&(adminPermission|discordgo.PermissionAdministrator) == 0 {
		log.Info("refused /storybot: no Manage Server permission", "guild", i.GuildID)
		b.ephemeral(r, i, log, "You need the Manage Server permission to use /storybot. Ask this server's admins.")
		return OutcomeRefused
	}
	if b.cfg.Settings == nil {
		b.ephemeral(r, i, log, "This storybot keeps no per-server settings. Ask its operator.")
		return OutcomeError
	}
	path, opts := subcommand(i.ApplicationCommandData())
	ctx, cancel := context.WithTimeout(ctx, 2*settingsTimeout)
	defer cancel()
	st := b.cfg.Settings
	var (
		msg string
		err error
	)
	switch path {
	case "settings show":
		var s store.Settings
		if s, err = st.GuildSettings(ctx, i.GuildID); err == nil {
			msg = "**storybot's settings for this server**\n" + commands.DescribeSettings(s, commands.DiscordRefs) +
				"Change them with `/storybot settings set` (none removes a budget). Budgets count model calls and tokens per UTC day; cached replies cost nothing."
		}
	case "settings set":
		if msg, outcome := b.feedChannelRefusal(ctx, i, opts, log); msg != "" {
			b.ephemeral(r, i, log, "Nothing was changed. "+msg)
			return outcome
		}
		var s store.Settings
		if s, err = commands.SetSettings(ctx, st, i.GuildID, userID(i), opts, b.cfg.Now()); err == nil {
			names := make([]string, len(opts))
			for k, c := range opts {
				names[k] = c.Name
			}
			b.settings.put(s, b.cfg.Now())
			log.Info("server settings changed", "guild", i.GuildID, "settings", strings.Join(names, ","))
			msg = "Saved. storybot's settings for this server are now:\n" + commands.DescribeSettings(s, commands.DiscordRefs)
		}
	case "usage":
		var rep commands.UsageReport
		if rep, err = commands.Usage(ctx, st, i.GuildID, b.cfg.Now()); err == nil {
			msg = "**Model use on this server**\n" + rep.Describe(commands.DiscordRefs) +
				fmt.Sprintf("Today's budgets start again <t:%d:R> (midnight UTC).", rep.Resets.Unix())
		}
	default:
		b.ephemeral(r, i, log, "storybot does not know that subcommand. Try /storybot settings show.")
		return OutcomeUnknown
	}
	var se *commands.SettingError
	switch {
	case errors.As(err, &se):
		msg := se.Error()
		if se.Name == "" {
			msg = capitalize(msg)
		}
		b.ephemeral(r, i, log, "Nothing was changed. "+msg+".")
		return OutcomeBadInput
	case err != nil:
		log.Error("/storybot failed", "subcommand", path, "guild", i.GuildID, "err", err)
		b.ephemeral(r, i, log, "storybot could not read or save this server's settings. Please try again in a minute.")
		return OutcomeError
	}
	b.ephemeral(r, i, log, msg)
	return OutcomeOK
}

// subcommand returns the subcommand's path ("settings set") and its
// options as changes, in the order given.
func subcommand(d discordgo.ApplicationCommandInteractionData) (string, []commands.Change) {
	var path []string
	opts := d.Options
	for len(opts) == 1 && (opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup || opts[0].Type == discordgo.ApplicationCommandOptionSubCommand) {
		path = append(path, opts[0].Name)
		opts = opts[0].Options
	}
	var changes []commands.Change
	for _, o := range opts {
		switch v := o.Value.(type) {
		case string:
			changes = append(changes, commands.Change{Name: o.Name, Value: v})
		case bool:
			if o.Name == optionNoFeedChannel && v {
				changes = append(changes, commands.Change{Name: commands.SettingFeedChannel, Value: "none"})
			}
		}
	}
	return strings.Join(path, " "), changes
}

// feedChannelRefusal checks a feed channel set from Discord: storybot
// posts there, so it must be a channel of i's server. Discord offers only
// the server's own channels for the option, but the bot does not take the
// interaction's word for it: it asks Discord for the channel (GET
// /channels/{id}). It returns what to tell the admin when the channel is
// refused or cannot be checked, and the outcome; else "". The terminal's
// "storybot settings set" is the operator's own and is not checked.
func (b *Bot) feedChannelRefusal(ctx context.Context, i *discordgo.Interaction, changes []commands.Change, log *slog.Logger) (msg, outcome string) {
	for _, c := range changes {
		var s store.Settings
		if c.Name != commands.SettingFeedChannel || commands.ApplySetting(&s, c.Name, c.Value) != nil || s.FeedChannel == "" {
			continue // none needs no check; SetSettings words a wrong value
		}
		ch, err := b.session.Channel(s.FeedChannel, discordgo.WithContext(ctx))
		var re *discordgo.RESTError
		switch {
		case errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode == http.StatusNotFound || re.Response.StatusCode == http.StatusForbidden):
			log.Info("refused a feed channel storybot cannot see", "guild", i.GuildID, "channel", s.FeedChannel)
			return "storybot cannot see that feed channel. Pick one of this server's text or announcement channels that storybot can read.", OutcomeRefused
		case err != nil:
			log.Error("look up the feed channel", "guild", i.GuildID, "channel", s.FeedChannel, "err", err)
			return "storybot could not check that feed channel with Discord. Please try again in a minute.", OutcomeDiscord
		case ch.GuildID != i.GuildID:
			log.Warn("refused a feed channel of another server", "guild", i.GuildID, "channel", s.FeedChannel, "channel_guild", ch.GuildID)
			return "That feed channel is not on this server. Pick one of this server's text or announcement channels.", OutcomeRefused
		}
	}
	return "", ""
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
