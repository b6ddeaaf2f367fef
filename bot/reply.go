package bot

import (
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/summarize"
)

// Discord's message limits (../shared/discord-api/limits.json), in
// characters counted as UTF-16 code units, the stricter reading.
const (
	maxContent     = 2000
	maxTitle       = 256
	maxDescription = 4096
	maxFieldName   = 256
	maxFieldValue  = 1024
	maxFooter      = 2048
	maxEmbedTotal  = 6000
	maxURL         = 2048
	maxChoices     = 25
	maxChoiceName  = 100
	maxChoiceValue = 100
)

// trimNote ends a description that was cut to fit.
const trimNote = "\n\n*(Trimmed to fit Discord's limits.)*"

// noMentions lets a message ping no one: {"parse": []}. A nil Parse would
// be sent as null, which Discord reads as its default (users are pinged).
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// units counts s as Discord's limits do (UTF-16 code units).
func units(s string) int { return len(utf16.Encode([]rune(s))) }

// cut returns s cut to at most n units, at a word boundary when there is
// one in the last part, with "…" added when anything was cut.
func cut(s string, n int) string {
	if units(s) <= n {
		return s
	}
	if n <= 1 {
		return ""
	}
	rs := []rune(s)
	k, used := 0, 0
	for k < len(rs) {
		w := len(utf16.Encode(rs[k : k+1]))
		if used+w > n-1 {
			break
		}
		used += w
		k++
	}
	out := string(rs[:k])
	if i := strings.LastIndexAny(out, " \n"); i > len(out)/2 {
		out = out[:i]
	}
	return strings.TrimSpace(out) + "…"
}

// fitSentences returns text within n units: whole sentences (split with
// summarize.Split, paragraphs kept) followed by trimNote when anything was
// left out, or cut text when not even one sentence fits.
func fitSentences(text string, n int) string {
	if units(text) <= n {
		return text
	}
	room := n - units(trimNote)
	if room <= 0 {
		return cut(text, n)
	}
	end, pos := 0, 0
	for _, s := range summarize.Split(text) {
		i := strings.Index(text[pos:], s)
		if i < 0 {
			break
		}
		e := pos + i + len(s)
		if units(text[:e]) > room {
			break
		}
		end, pos = e, e
	}
	if end == 0 {
		return cut(text, room) + trimNote
	}
	return strings.TrimSpace(text[:end]) + trimNote
}

// fit makes e obey every embed limit: each field's own, then the 6000 in
// all, taken from the description (at a sentence boundary).
func fit(e *discordgo.MessageEmbed) {
	e.Title = cut(e.Title, maxTitle)
	if units(e.URL) > maxURL || !(strings.HasPrefix(e.URL, "https://") || strings.HasPrefix(e.URL, "http://")) {
		e.URL = ""
	}
	if len(e.Fields) > 25 {
		e.Fields = e.Fields[:25]
	}
	others := units(e.Title)
	for _, f := range e.Fields {
		f.Name, f.Value = cut(f.Name, maxFieldName), cut(f.Value, maxFieldValue)
		others += units(f.Name) + units(f.Value)
	}
	if e.Footer != nil {
		e.Footer.Text = cut(e.Footer.Text, maxFooter)
		others += units(e.Footer.Text)
	}
	if e.Author != nil {
		e.Author.Name = cut(e.Author.Name, maxTitle)
		others += units(e.Author.Name)
	}
	room := min(maxDescription, maxEmbedTotal-others)
	e.Description = fitSentences(e.Description, room)
}

// embedTotal is the characters e counts toward the 6000 limit.
func embedTotal(e *discordgo.MessageEmbed) int {
	n := units(strings.TrimSpace(e.Title)) + units(strings.TrimSpace(e.Description))
	for _, f := range e.Fields {
		n += units(strings.TrimSpace(f.Name)) + units(strings.TrimSpace(f.Value))
	}
	if e.Footer != nil {
		n += units(strings.TrimSpace(e.Footer.Text))
	}
	if e.Author != nil {
		n += units(strings.TrimSpace(e.Author.Name))
	}
	return n
}

// storyEmbed renders a /story reply: the title (linked when the story has a
// URL), the summary, the dates and author, and who wrote the summary.
func storyEmbed(r commands.StoryReply) *discordgo.MessageEmbed {
	s := r.Story
	e := &discordgo.MessageEmbed{
		Title:       s.Title,
		URL:         s.URL,
		Description: r.Summary.Text,
		Footer:      &discordgo.MessageEmbedFooter{Text: r.EngineNote()},
	}
	e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Published", Value: discordTime(s.Published.Unix()), Inline: true})
	if !s.Updated.IsZero() {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Updated", Value: discordTime(s.Updated.Unix()), Inline: true})
	}
	if a := strings.TrimSpace(s.Author); a != "" {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Author", Value: a, Inline: true})
	}
	fit(e)
	return e
}

// askEmbed renders an /ask reply: the question, the answer with its
// citations (an extractive answer as quotes), and the sources it cites
// under it, numbered as cited. Text from the stories or the model has its
// markdown escaped, so it cannot break the embed's layout.
func askEmbed(r commands.AskReply) *discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{
		Title:  "Q: " + escapeMarkdown(r.Question),
		Footer: &discordgo.MessageEmbedFooter{Text: r.EngineNote()},
	}
	if qs := r.Answer.Quotes; len(qs) > 0 {
		var b strings.Builder
		for _, q := range qs {
			fmt.Fprintf(&b, "> %s [%d]\n", escapeMarkdown(q.Text), q.Source)
		}
		e.Description = strings.TrimSpace(b.String())
	} else {
		e.Description = escapeMarkdown(r.Text())
	}
	var b strings.Builder
	for _, s := range r.Sources() {
		line := fmt.Sprintf("[%d] %s", s.N, escapeMarkdown(escapeLink(cut(s.Title, 200))))
		if u := s.URL; u != "" && units(u) <= 512 && strings.HasPrefix(u, "http") {
			line = fmt.Sprintf("[%d] [%s](%s)", s.N, escapeMarkdown(escapeLink(cut(s.Title, 200))), u)
		}
		line += " · " + discordTime(s.Published.Unix())
		if units(b.String())+units(line)+1 > maxFieldValue {
			break
		}
		b.WriteString(line + "\n")
	}
	if b.Len() > 0 {
		name := "Source"
		if len(r.Sources()) > 1 {
			name = "Sources"
		}
		e.Fields = []*discordgo.MessageEmbedField{{Name: name, Value: strings.TrimSpace(b.String())}}
	}
	fit(e)
	return e
}

func escapeLink(s string) string {
	return strings.NewReplacer("[", "(", "]", ")").Replace(s)
}

// markdownEscaper puts a backslash before each character Discord's
// markdown gives a meaning to, and breaks up "<@" and "<#" so no mention
// or channel link is drawn (nothing pings anyway: allowed_mentions is empty).
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`,
	">", `\>`, "#", `\#`, "-", `\-`, "<@", "<\u200b@", "<#", "<\u200b#", "<:", "<\u200b:",
	"](", `]\(`,
)

// escapeMarkdown makes s show as the plain text it is.
func escapeMarkdown(s string) string { return markdownEscaper.Replace(s) }

// discordTime is a timestamp Discord shows in each reader's time zone.
func discordTime(unix int64) string { return fmt.Sprintf("<t:%d:f>", unix) }

// choice makes an autocomplete choice within the name and value limits.
func choice(name, value string) *discordgo.ApplicationCommandOptionChoice {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		name = value
	}
	return &discordgo.ApplicationCommandOptionChoice{Name: cut(name, maxChoiceName), Value: cut(value, maxChoiceValue)}
}
