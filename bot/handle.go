package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// Responder sends an interaction's replies to Discord: restResponder over
// REST, httpResponder for an interaction that came over HTTP.
type Responder interface {
	// Respond sends the interaction's initial response (callback).
	Respond(ctx context.Context, i *discordgo.Interaction, r *discordgo.InteractionResponse) error
	// Edit edits the original response.
	Edit(ctx context.Context, i *discordgo.Interaction, e *discordgo.WebhookEdit) error
	// FollowUp sends a follow-up message.
	FollowUp(ctx context.Context, i *discordgo.Interaction, p *discordgo.WebhookParams) error
	// DeleteOriginal deletes the original response.
	DeleteOriginal(ctx context.Context, i *discordgo.Interaction) error
}

// restTimeout bounds one REST call to Discord, retries on 429 included.
const restTimeout = 30 * time.Second

// Handle answers one interaction: autocomplete at once; a command with a
// deferred response at once, then an edit with the reply, or a short
// ephemeral message when it fails. It returns when the interaction is done.
func (b *Bot) Handle(r Responder, i *discordgo.Interaction) {
	start, name, outcome := time.Now(), "unknown", OutcomeError
	switch i.Type {
	case discordgo.InteractionApplicationCommandAutocomplete:
		name = "autocomplete"
	case discordgo.InteractionApplicationCommand:
		if n := i.ApplicationCommandData().Name; n == "story" || n == "ask" || n == "storybot" {
			name = n
		}
	}
	if b.cfg.Observer != nil {
		defer func() { b.cfg.Observer.ObserveInteraction(name, outcome, time.Since(start)) }()
	}
	b.mu.Lock()
	closing := b.closing
	if !closing {
		b.inflight.Add(1)
	}
	b.mu.Unlock()
	log := b.log.With("interaction", i.ID, "user", userID(i))
	if closing {
		if i.Type == discordgo.InteractionApplicationCommand {
			b.ephemeral(r, i, log, "storybot is restarting. Please try again in a minute.")
		}
		outcome = OutcomeRestarting
		return
	}
	defer b.inflight.Done()
	if i.Type == discordgo.InteractionApplicationCommand {
		// Counted until acknowledged: lookups wait for the count to be 0.
		b.acks.add()
		ar := &ackingResponder{Responder: r, acks: b.acks}
		defer ar.release()
		r = ar
	}
	ctx, cancel := context.WithTimeout(b.work, b.cfg.ReplyTimeout)
	defer cancel()
	switch i.Type {
	case discordgo.InteractionApplicationCommandAutocomplete:
		outcome = b.autocomplete(ctx, r, i, log)
	case discordgo.InteractionApplicationCommand:
		outcome = b.command(ctx, r, i, log)
	}
}

// userID is who sent i: the member's user in a server, the user in a DM.
func userID(i *discordgo.Interaction) string {
	switch {
	case i.Member != nil && i.Member.User != nil:
		return i.Member.User.ID
	case i.User != nil:
		return i.User.ID
	}
	return ""
}

// options returns a command's string options by name, and the focused one.
func options(d discordgo.ApplicationCommandInteractionData) (map[string]string, *discordgo.ApplicationCommandInteractionDataOption) {
	m := map[string]string{}
	var focused *discordgo.ApplicationCommandInteractionDataOption
	for _, o := range d.Options {
		if s, ok := o.Value.(string); ok {
			m[o.Name] = s
		}
		if o.Focused {
			focused = o
		}
	}
	return m, focused
}

// autocomplete answers an autocomplete interaction and returns its outcome.
func (b *Bot) autocomplete(ctx context.Context, r Responder, i *discordgo.Interaction, log *slog.Logger) string {
	_, focused := options(i.ApplicationCommandData())
	prefix := ""
	if focused != nil {
		prefix, _ = focused.Value.(string)
	}
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	var ts []store.Title
	var err error
	// A refused user gets no choices, nor does a channel where the
	// server keeps storybot quiet (its settings are usually kept: see
	// serverSettings), nor any when they are unknown.
	if b.cfg.Access.refusal(i) == "" {
		if s, known := b.serverSettings(ctx, i, log); known && channelRefusal(s, i) == "" {
			ts, err = b.stories.Titles(ctx, strings.TrimSpace(prefix), maxChoices)
		}
	}
	if err != nil {
		log.Error("autocomplete lookup", "err", err)
	}
	for _, t := range ts {
		choices = append(choices, choice(t.Title, t.ID))
	}
	resp := &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restTimeout)
	defer cancel()
	if err := r.Respond(rctx, i, resp); err != nil {
		log.Error("answer autocomplete", "err", err)
		return OutcomeDiscord
	}
	return OutcomeOK
}

// command answers /story, /ask or /storybot and returns its outcome.
func (b *Bot) command(ctx context.Context, r Responder, i *discordgo.Interaction, log *slog.Logger) string {
	data := i.ApplicationCommandData()
	if data.Name != "story" && data.Name != "ask" && data.Name != "storybot" {
		b.ephemeral(r, i, log, "storybot does not know that command. Try /story or /ask.")
		return OutcomeUnknown
	}
	if msg := b.cfg.Access.refusal(i); msg != "" {
		log.Info("refused by the access lists", "command", data.Name, "guild", i.GuildID)
		b.ephemeral(r, i, log, msg)
		return OutcomeRefused
	}
	if ok, retry := b.limiter.allow(userID(i)); !ok {
		log.Info("rate limited", "command", data.Name)
		b.ephemeral(r, i, log, fmt.Sprintf("You're sending commands quickly. Please try again <t:%d:R>.", retry.Add(time.Second).Unix()))
		return OutcomeRateLimited
	}
	if data.Name == "storybot" {
		return b.admin(ctx, r, i, log)
	}
	settings, known := b.serverSettings(ctx, i, log)
	if msg := channelRefusal(settings, i); msg != "" {
		log.Info("refused: not an allowed channel", "command", data.Name, "guild", i.GuildID, "channel", i.ChannelID)
		b.ephemeral(r, i, log, msg)
		return OutcomeRefused
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restTimeout)
	err := r.Respond(rctx, i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource})
	cancel()
	if err != nil {
		log.Error("defer the response", "command", data.Name, "err", err)
		return OutcomeDiscord
	}
	opts, _ := options(data)
	g := b.modelGate(ctx, settings, known, i, log)
	var (
		e             *discordgo.MessageEmbed
		calls, tokens int64
	)
	switch data.Name {
	case "story":
		style := summarize.Standard
		s := opts["style"]
		if s == "" {
			s = settings.Style // the server's default
		}
		if s != "" {
			if style, err = summarize.ParseStyle(s); err != nil {
				style = summarize.Standard
			}
		}
		var rep commands.StoryReply
		d := startDrafter(r, i, log, b.cfg.DraftEvery)
		rep, err = commands.Story(ctx, commands.Deps{Stories: b.lookups, Summarizer: b.sum, Draft: d.draft, Offline: g.offline}, opts["query"], style, false)
		d.stop()
		if err == nil {
			e = storyEmbed(rep)
			calls, tokens = cost(rep.Summary.ModelAnswered, rep.Summary.Usage)
		}
	case "ask":
		var rep commands.AskReply
		rep, err = commands.Ask(ctx, commands.AskDeps{Stories: b.lookups, Index: b.lookups, Answerer: b.cfg.Answerer, Offline: g.offline}, opts["question"], opts["story"])
		if err == nil {
			e = askEmbed(rep)
			calls, tokens = cost(rep.Answer.ModelAnswered, rep.Answer.Usage)
		}
	}
	b.settle(ctx, i, log, g, calls, tokens)
	if err != nil {
		b.fail(ctx, r, i, log, data.Name, err)
		return failOutcome(err)
	}
	rctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), restTimeout)
	defer cancel()
	embeds := []*discordgo.MessageEmbed{e}
	edit := &discordgo.WebhookEdit{Embeds: &embeds, AllowedMentions: noMentions()}
	if g.note != "" {
		edit.Content = &g.note
	}
	if err := r.Edit(rctx, i, edit); err != nil {
		log.Error("send the reply", "command", data.Name, "err", err)
		return OutcomeDiscord
	}
	return OutcomeOK
}

// failOutcome is the outcome of a command that failed with err.
func failOutcome(err error) string {
	switch {
	case commands.IsNotFound(err):
		return OutcomeNotFound
	case errors.Is(err, commands.ErrQuestion):
		return OutcomeBadInput
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return OutcomeTimeout
	}
	return OutcomeError
}

// fail tells the user, in a short ephemeral follow-up, what went wrong and
// what to do, and removes the "thinking…" response; the log gets err.
func (b *Bot) fail(ctx context.Context, r Responder, i *discordgo.Interaction, log *slog.Logger, name string, err error) {
	msg := userMessage(err)
	if commands.IsNotFound(err) || errors.Is(err, commands.ErrQuestion) {
		log.Info("nothing to answer", "command", name, "err", err)
	} else {
		log.Error("command failed", "command", name, "err", err)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restTimeout)
	defer cancel()
	if err := r.FollowUp(rctx, i, &discordgo.WebhookParams{Content: msg, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()}); err != nil {
		log.Error("send the failure message", "err", err)
		content := msg
		r.Edit(rctx, i, &discordgo.WebhookEdit{Content: &content, AllowedMentions: noMentions()})
		return
	}
	if err := r.DeleteOriginal(rctx, i); err != nil {
		log.Warn("delete the deferred response", "err", err)
	}
}

// userMessage words err for the user: short, with what to do, no detail.
func userMessage(err error) string {
	switch {
	case errors.Is(err, commands.ErrNoStories):
		return "No stories are stored yet. Ask the bot's operator to add some (`storybot ingest`)."
	case errors.Is(err, commands.ErrNoMatch):
		return "No stored story matches that. Try fewer words, or pick a title from the list as you type."
	case errors.Is(err, commands.ErrQuestion):
		return cut(fmt.Sprintf("Please ask a question of 1 to %d characters.", commands.MaxQuestion), maxContent)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "storybot ran out of time on this one. Please try again in a minute."
	}
	return "Something went wrong on storybot's side. Please try again later."
}

// ephemeral answers i at once with a message only its user sees.
func (b *Bot) ephemeral(r Responder, i *discordgo.Interaction, log *slog.Logger, msg string) {
	ctx, cancel := context.WithTimeout(context.Background(), restTimeout)
	defer cancel()
	err := r.Respond(ctx, i, &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: cut(msg, maxContent), Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()},
	})
	if err != nil {
		log.Error("send an ephemeral message", "err", err)
	}
}
