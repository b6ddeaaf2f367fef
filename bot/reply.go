package bot

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf16"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/newstext"
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
// newstext.Split, paragraphs kept) followed by trimNote when anything was
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
	for _, s := range newstext.Split(text) {
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
// the title a link when the story has one), within a field's limit: every
// source the answer cites is listed, its title shortened and its link left
// out when they would not all fit.
func sourceLines(srcs []commands.Source) string {
	share := maxFieldValue/len(srcs) - 1 // each line's room, its newline aside
	lines := make([]string, len(srcs))
	for i, s := range srcs {
		date := " · " + discordTime(s.Published.Unix())
		num := fmt.Sprintf("[%d] ", s.N)
		room := share - units(num) - units(date)
		title := escapeMarkdown(escapeLink(cut(s.Title, 200)))
		if u, ok := safeURL(s.URL); ok && units(title)+units(u)+4 <= room {
			lines[i] = num + "[" + title + "](" + u + ")" + date
			continue
		}
		lines[i] = num + cutEscaped(title, room) + date
	}
	return strings.Join(lines, "\n")
}

// cutEscaped cuts escaped text to n units without leaving a lone backslash
// at the end, which would escape what follows.
func cutEscaped(s string, n int) string {
	s = cut(s, max(n, 1))
	if t := strings.TrimSuffix(s, "…"); strings.HasSuffix(t, `\`) && !strings.HasSuffix(t, `\\`) {
		s = strings.TrimSuffix(t, `\`) + "…"
	}
	return s
}

// safeURL returns u fit for a markdown link: an absolute http or https URL
// of at most 512 units, with the characters that could end the link or open
// another ("(", ")", "<", ">", spaces) percent-encoded.
func safeURL(u string) (string, bool) {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return "", false
	}
	out := strings.NewReplacer("(", "%28", ")", "%29", "<", "%3C", ">", "%3E", " ", "%20", "[", "%5B", "]", "%5D").Replace(p.String())
	return out, units(out) <= 512
}

func escapeLink(s string) string {
	return strings.NewReplacer("[", "(", "]", ")").Replace(s)
}

// markdownEscaper puts a backslash before each character Discord's
// markdown gives a meaning to, "<" included, so no mention, channel,
// emoji, command or timestamp tag is drawn (nothing pings anyway:
// allowed_mentions is empty).
var markdownEscaper = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`,
	">", `\>`, "#", `\#`, "-", `\-`, "<", `\<`,
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
