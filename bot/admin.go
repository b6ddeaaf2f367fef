package bot

import (
	"context"
	"errors"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/commands"
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
							// and announcement channels (checkFeedChannel checks).
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

// checkFeedChannel checks a feed channel set from Discord
// (commands.FeedChannelChecker): storybot posts there, so it must be a
// channel of guild. Discord offers only the server's own channels for the
// option, but the bot does not take the interaction's word for it: it asks
// Discord for the channel (GET /channels/{id}). The terminal's "storybot
// settings set" is the operator's own and is not checked.
func (b *Bot) checkFeedChannel(ctx context.Context, guild, channel string) (refusal, outcome string) {
	ch, err := b.session.Channel(channel, discordgo.WithContext(ctx))
	var re *discordgo.RESTError
	switch {
	case errors.As(err, &re) && re.Response != nil && (re.Response.StatusCode == http.StatusNotFound || re.Response.StatusCode == http.StatusForbidden):
		b.log.Info("refused a feed channel storybot cannot see", "guild", guild, "channel", channel)
		return "storybot cannot see that feed channel. Pick one of this server's text or announcement channels that storybot can read.", OutcomeRefused
	case err != nil:
		b.log.Error("look up the feed channel", "guild", guild, "channel", channel, "err", err)
		return "storybot could not check that feed channel with Discord. Please try again in a minute.", OutcomeDiscord
	case ch.GuildID != guild:
		b.log.Warn("refused a feed channel of another server", "guild", guild, "channel", channel, "channel_guild", ch.GuildID)
		return "That feed channel is not on this server. Pick one of this server's text or announcement channels.", OutcomeRefused
	}
	return "", ""
}
