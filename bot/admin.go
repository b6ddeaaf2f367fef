package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
							str(commands.SettingFeedChannel, "Channel for new stories from feeds (#mention or ID), or none"),
						}},
				}},
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "usage", Description: "Model use on this server: today and the last 7 days"},
		},
	}
}

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
		var s store.Settings
		if s, err = commands.SetSettings(ctx, st, i.GuildID, userID(i), opts, b.cfg.Now()); err == nil {
			names := make([]string, len(opts))
			for k, c := range opts {
				names[k] = c.Name
			}
			b.settings.put(s)
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
		if s, ok := o.Value.(string); ok {
			changes = append(changes, commands.Change{Name: o.Name, Value: s})
		}
	}
	return strings.Join(path, " "), changes
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
