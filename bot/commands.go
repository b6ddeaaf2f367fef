package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/commands"
)

// Definitions returns the slash commands storybot registers.
func Definitions() []*discordgo.ApplicationCommand {
	min := 1
	// /story and /ask answer in servers and in DMs with the bot, where no
	// server's settings apply (see Config.NoDMModel).
	serverOrDM := []discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	return []*discordgo.ApplicationCommand{
		{
			Name:        "story",
			Description: "Summarize a stored news story (the newest when no query is given)",
			Contexts:    &serverOrDM,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "query", Description: "A title, a story ID or words to search for", Autocomplete: true, MaxLength: 200},
				{Type: discordgo.ApplicationCommandOptionString, Name: "style", Description: "How long a summary", Choices: []*discordgo.ApplicationCommandOptionChoice{
					{Name: "brief", Value: "brief"}, {Name: "standard", Value: "standard"}, {Name: "detailed", Value: "detailed"},
				}},
			},
		},
		{
			Name:        "ask",
			Description: "Ask a question answered from the stored stories",
			Contexts:    &serverOrDM,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "question", Description: "Your question", Required: true, MinLength: &min, MaxLength: commands.MaxQuestion},
				{Type: discordgo.ApplicationCommandOptionString, Name: "story", Description: "Answer from this story only (default: all stored stories)", Autocomplete: true, MaxLength: 200},
			},
		},
		adminDefinition(),
	}
}

// register bulk-overwrites the commands (in the guild when one is
// configured, else globally) unless Discord already has the same
// definitions: it compares what GET returns with Definitions, field by
// field that storybot sets, so a restart costs one GET and no write.
func (b *Bot) register(ctx context.Context, s *discordgo.Session, appID string) error {
	want := Definitions()
	if b.cfg.GuildID != "" {
		for _, c := range want {
			c.Contexts = nil // only for global commands
		}
	}
	have, err := s.ApplicationCommands(appID, b.cfg.GuildID, discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("list the registered commands: %w", err)
	}
	scope := "global"
	if b.cfg.GuildID != "" {
		scope = "guild " + b.cfg.GuildID
	}
	if sameCommands(have, want) {
		b.log.Info("commands up to date", "scope", scope)
		return nil
	}
	if _, err := s.ApplicationCommandBulkOverwrite(appID, b.cfg.GuildID, want, discordgo.WithContext(ctx)); err != nil {
		return fmt.Errorf("register the commands: %w", err)
	}
	b.log.Info("commands registered", "scope", scope, "count", len(want))
	return nil
}

// sameCommands reports whether have and want define the same commands,
// ignoring what Discord adds (IDs, versions, defaults it fills in): a
// command's contexts are compared when want sets them.
func sameCommands(have, want []*discordgo.ApplicationCommand) bool {
	contexts := map[string]bool{}
	for _, c := range want {
		contexts[c.Name] = c.Contexts != nil
	}
	return commandKey(have, contexts) == commandKey(want, contexts)
}

// optionKey is the part of a command option that commandKey compares,
// subcommands' options included.
type optionKey struct {
	Type         int
	Name, Desc   string
	Required     bool
	Autocomplete bool
	MinLength    int
	MaxLength    int
	ChannelTypes []int
	Choices      []string
	Options      []optionKey
}

func optionKeys(os []*discordgo.ApplicationCommandOption) []optionKey {
	var out []optionKey
	for _, o := range os {
		ko := optionKey{Type: int(o.Type), Name: o.Name, Desc: o.Description, Required: o.Required, Autocomplete: o.Autocomplete, MaxLength: o.MaxLength, Options: optionKeys(o.Options)}
		if o.MinLength != nil {
			ko.MinLength = *o.MinLength
		}
		for _, t := range o.ChannelTypes {
			ko.ChannelTypes = append(ko.ChannelTypes, int(t))
		}
		slices.Sort(ko.ChannelTypes)
		for _, ch := range o.Choices {
			ko.Choices = append(ko.Choices, fmt.Sprint(ch.Name, "=", ch.Value))
		}
		out = append(out, ko)
	}
	return out
}

// commandKey is what sameCommands compares of cs: the contexts of the
// commands named in contexts with true.
func commandKey(cs []*discordgo.ApplicationCommand, contexts map[string]bool) string {
	type cmd struct {
		Name, Desc  string
		Permissions string // default_member_permissions; "" for none
		Contexts    []int  // nil for none, or when not compared
		Options     []optionKey
	}
	byName := map[string]cmd{}
	for _, c := range cs {
		k := cmd{Name: c.Name, Desc: c.Description, Options: optionKeys(c.Options)}
		if c.DefaultMemberPermissions != nil {
			k.Permissions = fmt.Sprint(*c.DefaultMemberPermissions)
		}
		if contexts[c.Name] && c.Contexts != nil {
			k.Contexts = []int{}
			for _, x := range *c.Contexts {
				k.Contexts = append(k.Contexts, int(x))
			}
			slices.Sort(k.Contexts)
		}
		byName[c.Name] = k
	}
	out, _ := json.Marshal(byName) // map keys are sorted
	return string(out)
}
