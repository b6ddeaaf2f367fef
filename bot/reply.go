package bot

import (
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/discordtext"
)

// Discord's limits, from the output policy (package discordtext).
const (
	maxContent     = discordtext.MaxContent
	maxTitle       = discordtext.MaxTitle
	maxDescription = discordtext.MaxDescription
	maxFieldName   = discordtext.MaxFieldName
	maxFieldValue  = discordtext.MaxFieldValue
	maxFooter      = discordtext.MaxFooter
	maxAuthorName  = discordtext.MaxAuthorName
	maxEmbedTotal  = discordtext.MaxEmbedTotal
	maxChoices     = discordtext.MaxChoices
	maxChoiceName  = discordtext.MaxChoiceName
	maxChoiceValue = discordtext.MaxChoiceValue
)

// noMentions lets a message ping no one: {"parse": []}. A nil Parse would
// be sent as null, which Discord reads as its default (users are pinged).
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// units and cut count and cut text as Discord's limits do.
func units(s string) int         { return discordtext.Units(s) }
func cut(s string, n int) string { return discordtext.Cut(s, n) }

// fit makes e obey every embed limit: each field's own, then the 6000 in
// all, taken from the description (at a sentence boundary). The title,
// description and fields hold markdown text (discordtext.Markdown), cut
// without leaving a lone backslash; the footer and author name are plain;
// a URL that is not a safe absolute http(s) URL is dropped.
func fit(e *discordgo.MessageEmbed) {
	e.Title = discordtext.CutEscaped(e.Title, maxTitle)
	if e.Title == "…" {
		e.Title = ""
	}
	if u, ok := discordtext.SafeURL(e.URL); ok {
		e.URL = u
	} else {
		e.URL = ""
	}
	if len(e.Fields) > discordtext.MaxFields {
		e.Fields = e.Fields[:discordtext.MaxFields]
	}
	others := units(e.Title)
	for _, f := range e.Fields {
		f.Name, f.Value = discordtext.CutEscaped(f.Name, maxFieldName), discordtext.CutEscaped(f.Value, maxFieldValue)
		others += units(f.Name) + units(f.Value)
	}
	if e.Footer != nil {
		e.Footer.Text = cut(e.Footer.Text, maxFooter)
		others += units(e.Footer.Text)
	}
	if e.Author != nil {
		e.Author.Name = cut(e.Author.Name, maxAuthorName)
		others += units(e.Author.Name)
	}
	room := min(maxDescription, maxEmbedTotal-others)
	e.Description = discordtext.FitSentences(e.Description, room)
}

// storyEmbed renders a /story reply (and a feed post): the title (linked
// to the story's URL when it is a safe http(s) URL, the one link in the
// embed), the summary, the dates and author, and who wrote the summary.
// Every text from the story or the model goes through the output policy
// (package discordtext): markdown fields escaped, the footer plain.
func storyEmbed(r commands.StoryReply) *discordgo.MessageEmbed {
	s := r.Story
	e := &discordgo.MessageEmbed{
		Title:       discordtext.MarkdownHead(discordtext.Plain(s.Title), maxTitle),
		URL:         s.URL,
		Description: discordtext.MarkdownHead(strings.TrimSpace(r.Summary.Text), maxDescription),
		Footer:      &discordgo.MessageEmbedFooter{Text: discordtext.Plain(r.EngineNote())},
	}
	e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Published", Value: discordTime(s.Published.Unix()), Inline: true})
	if !s.Updated.IsZero() {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Updated", Value: discordTime(s.Updated.Unix()), Inline: true})
	}
	if a := discordtext.Plain(s.Author); a != "" {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Author", Value: discordtext.MarkdownHead(a, maxFieldValue), Inline: true})
	}
	fit(e)
	return e
}

// askEmbed renders an /ask reply: the question, the answer with its
// citations (an extractive answer as quotes), and the sources it cites
// under it, numbered as cited. Text from the user, the stories or the
// model goes through the output policy (discordtext.Markdown), so it reads
// as plain text and cannot break the embed's layout or add a link.
func askEmbed(r commands.AskReply) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Title:  "Q: " + discordtext.MarkdownHead(discordtext.Plain(r.Question), maxTitle),
		Footer: &discordgo.MessageEmbedFooter{Text: discordtext.Plain(r.EngineNote())},
	}
	if qs := r.Answer.Quotes; len(qs) > 0 {
		var b strings.Builder
		for _, q := range qs {
			fmt.Fprintf(&b, "> %s [%d]\n", discordtext.MarkdownHead(discordtext.Plain(q.Text), maxDescription), q.Source)
		}
		e.Description = strings.TrimSpace(b.String())
	} else {
		e.Description = discordtext.MarkdownHead(strings.TrimSpace(r.Text()), maxDescription)
	}
	if srcs := r.Sources(); len(srcs) > 0 {
		name := "Source"
		if len(srcs) > 1 {
			name = "Sources"
		}
		e.Fields = []*discordgo.MessageEmbedField{{Name: name, Value: sourceLines(srcs)}}
	}
	fit(e)
	return e
}

// sourceLines lists an answer's sources, one a line ("[n] title · date",
// the title a link to the story when it has a safe URL), within a field's
// limit: every source the answer cites is listed, its title shortened and
// its link left out when they would not all fit. A title that cannot be a
// link's text as it is (discordtext.LinkText) is shown escaped, followed by
// a "link" to the story.
func sourceLines(srcs []commands.Source) string {
	share := maxFieldValue/len(srcs) - 1 // each line's room, its newline aside
	lines := make([]string, len(srcs))
	for i, s := range srcs {
		date := " · " + discordTime(s.Published.Unix())
		num := fmt.Sprintf("[%d] ", s.N)
		room := share - units(num) - units(date)
		u, linked := discordtext.SafeURL(s.URL)
		linked = linked && units(u) <= maxSourceURL
		plain := discordtext.Plain(s.Title)
		if lt, ok := discordtext.LinkText(cut(plain, 200)); ok && linked && units(lt)+units(u)+4 <= room {
			lines[i] = num + "[" + lt + "](" + u + ")" + date
			continue
		}
		title := discordtext.Markdown(cut(plain, 200))
		if link := " · [link](" + u + ")"; linked && units(title)+units(link) <= room {
			lines[i] = num + title + link + date
			continue
		}
		lines[i] = num + discordtext.CutEscaped(title, room) + date
	}
	return strings.Join(lines, "\n")
}

// maxSourceURL is the longest URL a source's link may have, in units.
const maxSourceURL = 512

// discordTime is a timestamp Discord shows in each reader's time zone.
func discordTime(unix int64) string { return fmt.Sprintf("<t:%d:f>", unix) }

// choice makes an autocomplete choice within the name and value limits.
// A choice's name is shown literally: it is plain text (discordtext.Plain).
func choice(name, value string) *discordgo.ApplicationCommandOptionChoice {
	name = discordtext.Plain(name)
	if name == "" {
		name = value
	}
	return &discordgo.ApplicationCommandOptionChoice{Name: cut(name, maxChoiceName), Value: cut(value, maxChoiceValue)}
}
