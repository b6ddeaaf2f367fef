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

// Handle answers one interaction: an autocomplete at once; a command
// through the router (commands.Router), in its first response when the
// reply is ready within the acknowledgement window (Config.AckWindow), else
// with a deferred response at the end of the window and an edit once the
// reply is ready, showing checked drafts meanwhile. A reply only its user
// may see, or a failure, goes in a message only they see. It returns when
// the interaction is done.
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

// request decodes i into the router's Request: its options once, who sent
// it, from where.
func request(i *discordgo.Interaction) *commands.Request {
	d := i.ApplicationCommandData()
	r := &commands.Request{
		Command:      d.Name,
		Options:      map[string]string{},
		Autocomplete: i.Type == discordgo.InteractionApplicationCommandAutocomplete,
		User:         userID(i),
		Guild:        i.GuildID,
		Channel:      i.ChannelID,
	}
	if i.Member != nil {
		r.Roles = i.Member.Roles
		r.Admin = i.Member.Permissions&(adminPermission|discordgo.PermissionAdministrator) != 0
	}
	opts := d.Options
	var path []string
	for len(opts) == 1 && (opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup || opts[0].Type == discordgo.ApplicationCommandOptionSubCommand) {
		path = append(path, opts[0].Name)
		opts = opts[0].Options
	}
	r.Path = strings.Join(path, " ")
	for _, o := range opts {
		switch v := o.Value.(type) {
		case string:
			r.Options[o.Name] = v
			r.Changes = append(r.Changes, commands.Change{Name: o.Name, Value: v})
		case bool:
			if o.Name == optionNoFeedChannel && v {
				r.Changes = append(r.Changes, commands.Change{Name: commands.SettingFeedChannel, Value: "none"})
			}
		}
		if o.Focused {
			r.Focused = o.Name
		}
	}
	return r
}

// autocomplete answers an autocomplete interaction and returns its outcome.
// A user the policy refuses gets no choices, as does one in a channel
// where the server keeps storybot quiet.
func (b *Bot) autocomplete(ctx context.Context, r Responder, i *discordgo.Interaction, log *slog.Logger) string {
	rep, err := b.router.Serve(ctx, request(i))
	if err != nil {
		log.Error("autocomplete lookup", "err", err)
	}
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	for _, t := range rep.Choices {
		choices = append(choices, choice(t.Title, t.ID))
	}
	resp := &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices[:min(len(choices), maxChoices)]},
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restTimeout)
	defer cancel()
	if err := r.Respond(rctx, i, resp); err != nil {
		log.Error("answer autocomplete", "err", err)
		return OutcomeDiscord
	}
	return OutcomeOK
}

// served is what the router answered.
type served struct {
	rep commands.Reply
	err error
}

// command answers a command and returns its outcome.
func (b *Bot) command(ctx context.Context, r Responder, i *discordgo.Interaction, log *slog.Logger) string {
	req := request(i)
	d := newDrafter(log, b.cfg.DraftEvery)
	req.Draft = d.draft
	// The router's own context: canceled when its reply can no longer be
	// delivered, so that no model call runs (or is paid for) in vain.
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan served, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				log.Error("the command panicked", "command", req.Command, "panic", p)
				done <- served{err: fmt.Errorf("command %s panicked", req.Command)}
			}
		}()
		rep, err := b.router.Serve(ctx, req)
		if errors.Is(err, commands.ErrUnknownCommand) {
			log.Info("unknown command", "err", err)
			err = nil // the reply says so
		}
		done <- served{rep, err}
	}()
	window := time.NewTimer(b.cfg.AckWindow)
	defer window.Stop()
	select {
	case s := <-done: // ready within the window: the first response is the reply
		d.stop()
		return b.respond(ctx, r, i, log, req, s)
	case <-window.C:
	}
	// Slow (the model writes, or a store is slow): acknowledge now, and
	// send the reply as an edit. /storybot's replies are for its admin
	// only, so its acknowledgement is too.
	private := req.Command == "storybot"
	deferred := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
	if private {
		deferred.Data = &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}
	}
	b.acks.add()
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restTimeout)
	err := r.Respond(rctx, i, deferred)
	cancel()
	b.acks.done()
	if err != nil {
		log.Error("defer the response", "command", req.Command, "err", err)
		d.stop()
		stop() // nobody will see the reply: stop the work
		<-done // and settle what it cost
		return OutcomeDiscord
	}
	if !private {
		d.start(r, i)
	}
	s := <-done
	d.stop()
	if private && s.err == nil {
		s.rep.Ephemeral = false // the deferred response is already private: edit it
	}
	return b.edit(ctx, r, i, log, req, s)
}

// outcomeOf is the outcome of a reply the router gave.
func outcomeOf(rep commands.Reply) string {
	if rep.Outcome == "" {
		return OutcomeOK
	}
	return rep.Outcome
}

// message renders rep: its embed (a /story or /ask reply) or its plain
// message, and the note above it.
func message(rep commands.Reply) (content string, embeds []*discordgo.MessageEmbed) {
	switch {
	case rep.Story != nil:
		embeds = []*discordgo.MessageEmbed{storyEmbed(*rep.Story)}
	case rep.Ask != nil:
		embeds = []*discordgo.MessageEmbed{askEmbed(*rep.Ask)}
	}
	content = rep.Message
	if rep.Note != "" {
		content = strings.TrimSpace(rep.Note + "\n" + content)
	}
	if content == "" && len(embeds) == 0 {
		content = "storybot has nothing to say to that. Please try again." // Discord refuses an empty message
	}
	return cut(content, maxContent), embeds
}

// respond sends a reply that was ready within the window as the
// interaction's first response.
func (b *Bot) respond(ctx context.Context, r Responder, i *discordgo.Interaction, log *slog.Logger, req *commands.Request, s served) string {
	if s.err != nil {
		b.logFailure(log, req.Command, s.err)
		b.ephemeral(r, i, log, userMessage(s.err))
		return failOutcome(s.err)
	}
	content, embeds := message(s.rep)
	data := &discordgo.InteractionResponseData{Content: content, Embeds: embeds, AllowedMentions: noMentions()}
	if s.rep.Ephemeral {
		data.Flags = discordgo.MessageFlagsEphemeral
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restTimeout)
	defer cancel()
	if err := r.Respond(rctx, i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: data}); err != nil {
		log.Error("send the reply", "command", req.Command, "err", err)
		return OutcomeDiscord
	}
	return outcomeOf(s.rep)
}

// edit sends a reply that came after the deferred response: an edit of
// it, or, for a failure or a reply only its user may see, a message only
// they see in its place.
func (b *Bot) edit(ctx context.Context, r Responder, i *discordgo.Interaction, log *slog.Logger, req *commands.Request, s served) string {
	if s.err != nil {
		b.logFailure(log, req.Command, s.err)
		b.replace(ctx, r, i, log, userMessage(s.err))
		return failOutcome(s.err)
	}
	content, embeds := message(s.rep)
	if s.rep.Ephemeral {
		b.replace(ctx, r, i, log, content)
		return outcomeOf(s.rep)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restTimeout)
	defer cancel()
	edit := &discordgo.WebhookEdit{Embeds: &embeds, AllowedMentions: noMentions()}
	if content != "" {
		edit.Content = &content
	}
	if err := r.Edit(rctx, i, edit); err != nil {
		log.Error("send the reply", "command", req.Command, "err", err)
		return OutcomeDiscord
	}
	return outcomeOf(s.rep)
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

// logFailure logs why a command failed: at Info when it found nothing to
// answer, else as an error.
func (b *Bot) logFailure(log *slog.Logger, name string, err error) {
	if commands.IsNotFound(err) || errors.Is(err, commands.ErrQuestion) {
		log.Info("nothing to answer", "command", name, "err", err)
		return
	}
	log.Error("command failed", "command", name, "err", err)
}

// replace puts msg, in a short follow-up only the user sees, in place of
// the deferred response, which it removes. When the follow-up cannot be
// sent, the public deferred response says only that something went wrong:
// msg may be for the user alone.
func (b *Bot) replace(ctx context.Context, r Responder, i *discordgo.Interaction, log *slog.Logger, msg string) {
	msg = cut(msg, maxContent)
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), restTimeout)
	defer cancel()
	if err := r.FollowUp(rctx, i, &discordgo.WebhookParams{Content: msg, Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()}); err != nil {
		log.Error("send the private message", "err", err)
		content := "storybot could not send its reply. Please try again in a minute."
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
