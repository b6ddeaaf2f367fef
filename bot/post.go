package bot

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/commands"
)

// PostReply sends r to a channel as a message holding the /story embed
// (commands.Poster.Send, for new stories from feeds), and returns the
// message's ID. The embed keeps within Discord's limits and the message
// pings no one. It needs no gateway connection, only the bot's View
// Channel, Send Messages and Embed Links permissions in the channel.
//
// A failed PostReply returns a *PostError, which says whether the message
// was surely not created (see PostError.NotSent).
func (b *Bot) PostReply(ctx context.Context, channelID string, r commands.StoryReply) (string, error) {
	s := r.Story
	e := storyEmbed(r)
	msg, err := b.session.ChannelMessageSendComplex(channelID, &discordgo.MessageSend{
		Embeds:          []*discordgo.MessageEmbed{e},
		AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx))
	if err != nil {
		return "", &PostError{Err: fmt.Errorf("post story %s to channel %s%s: %w", s.ID, channelID, postHint(err), err), notSent: surelyNotSent(err)}
	}
	return msg.ID, nil
}

// postHint says what to do about the usual reasons Discord refuses a post.
func postHint(err error) string {
	var re *discordgo.RESTError
	if !errors.As(err, &re) || re.Response == nil {
		return ""
	}
	switch re.Response.StatusCode {
	case http.StatusForbidden:
		return " (the bot needs View Channel, Send Messages and Embed Links there)"
	case http.StatusNotFound:
		return " (no such channel, or the bot is not in its server: check the channel ID)"
	}
	return ""
}

// PostError is a failed Post.
type PostError struct {
	Err     error
	notSent bool
}

func (e *PostError) Error() string { return e.Err.Error() }
func (e *PostError) Unwrap() error { return e.Err }

// NotSent reports whether the message was surely not created: nothing was
// sent yet, Discord answered with an error status (after discordgo's own
// retries of rate limits), or no connection was made. Otherwise (a timeout
// or a connection lost mid-request) Discord may have created it.
func (e *PostError) NotSent() bool { return e.notSent }

func surelyNotSent(err error) bool {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Response != nil {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}
