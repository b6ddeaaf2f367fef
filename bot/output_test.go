package bot

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/answer"
	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/discordtext"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/internal/hostile"
	"github.com/storybot/storybot/internal/shared"
	"github.com/storybot/storybot/retrieve"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

// limits are Discord's, read from ../shared/discord-api/limits.json when
// it is here, else the constants the bot uses.
type limits struct {
	title, description, fieldName, fieldValue, footer, author, total, choiceName, choiceValue int
}

func readLimits(t *testing.T) limits {
	l := limits{maxTitle, maxDescription, maxFieldName, maxFieldValue, maxFooter, maxAuthorName, maxEmbedTotal, maxChoiceName, maxChoiceValue}
	d, ok := shared.Find()
	if !ok {
		t.Log("shared discord-api data absent: checking against the bot's own constants")
		return l
	}
	b, err := os.ReadFile(d + "/discord-api/limits.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Limits []struct {
			ID    string          `json:"id"`
			Value json.RawMessage `json:"value"`
		} `json:"limits"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	want := map[string]*int{
		"embed.title.max": &l.title, "embed.description.max": &l.description, "embed.field.name.max": &l.fieldName,
		"embed.field.value.max": &l.fieldValue, "embed.footer.text.max": &l.footer, "embed.author.name.max": &l.author,
		"embed.total.max": &l.total, "choice.name.length": &l.choiceName, "choice.value.string.max": &l.choiceValue,
	}
	for _, e := range f.Limits {
		p, ok := want[e.ID]
		if !ok {
			continue
		}
		var n int
		var r []int
		switch {
		case json.Unmarshal(e.Value, &n) == nil:
		case json.Unmarshal(e.Value, &r) == nil && len(r) == 2:
			n = r[1]
		default:
			t.Fatalf("limit %s: value %s", e.ID, e.Value)
		}
		*p = n
		delete(want, e.ID)
	}
	if len(want) > 0 {
		t.Fatalf("limits.json lacks %v", want)
	}
	return l
}

// ours are the parts of a rendered field that storybot adds itself: a
// timestamp after a source, the note that a description was trimmed.
var ourTimestamp = regexp.MustCompile(` · <t:\d+:f>$`)

// checkEmbed fails t when a field of e shows anything but plain text
// (hostile.Renders), but links to the URLs in links, or breaks a limit.
func checkEmbed(t *testing.T, path string, e *discordgo.MessageEmbed, l limits, quotes bool, links ...string) {
	t.Helper()
	report := func(field, s string, p []string) {
		if len(p) > 0 {
			t.Errorf("%s %s: %q\n%.400q", path, field, p, s)
		}
	}
	md := func(field, s string, limit int) {
		report(field, s, hostile.Literal(s, hostile.Options{Limit: limit}))
		s = strings.TrimSuffix(s, discordtext.TrimNote)
		if quotes { // an extractive answer: storybot's own "> " quotes
			lines := strings.Split(s, "\n")
			for i, line := range lines {
				lines[i] = strings.TrimPrefix(line, "> ")
			}
			s = strings.Join(lines, "\n")
		}
		report(field, s, hostile.Renders(s, hostile.Options{Links: links}))
	}
	md("title", e.Title, l.title)
	md("description", e.Description, l.description)
	total := units(e.Title) + units(e.Description)
	for _, f := range e.Fields {
		total += units(f.Name) + units(f.Value)
		md("field name", f.Name, l.fieldName)
		if f.Name == "Published" || f.Name == "Updated" {
			continue // storybot's own timestamp
		}
		report("field value", f.Value, hostile.Literal(f.Value, hostile.Options{Limit: l.fieldValue}))
		for _, line := range strings.Split(f.Value, "\n") {
			line = ourTimestamp.ReplaceAllString(line, "")
			report("field value", line, hostile.Renders(line, hostile.Options{Links: links}))
		}
	}
	if e.Footer != nil {
		total += units(e.Footer.Text)
		report("footer", e.Footer.Text, hostile.Literal(e.Footer.Text, hostile.Options{Limit: l.footer}))
	}
	if e.Author != nil {
		total += units(e.Author.Name)
		report("author", e.Author.Name, hostile.Literal(e.Author.Name, hostile.Options{Limit: l.author}))
	}
	if total > l.total {
		t.Errorf("%s: %d units in all, over %d", path, total, l.total)
	}
	if e.URL != "" && !allowedLink(e.URL, links) {
		t.Errorf("%s: URL %q is not the story's", path, e.URL)
	}
}

func allowedLink(u string, links []string) bool {
	for _, l := range links {
		if u == l {
			return true
		}
	}
	return false
}

// TestHostileOutput runs every hostile string through every output path
// of the bot: the /story embed (title, summary, author, model name), which
// feed posts use too, the /ask embed (question, answer, quotes, source
// titles), the draft embed and the autocomplete choices. None may show a
// link to another host, a mention or channel pill, a heading, formatting
// or invisible characters, nor break a limit.
func TestHostileOutput(t *testing.T) {
	l := readLimits(t)
	const storyURL = "https://news.example/story"
	for _, c := range hostile.Cases() {
		t.Run(c.Name, func(t *testing.T) {
			s := store.Story{ID: "abc123", Article: article.Article{Title: c.Text, Body: c.Text, URL: storyURL, Author: c.Text,
				Published: time.Unix(1700000000, 0), Updated: time.Unix(1700003600, 0)}}
			sum := summarize.Summary{Text: c.Text, Meta: generate.Meta{Engine: c.Text}}
			checkEmbed(t, "story", storyEmbed(commands.StoryReply{Story: s, Summary: sum}), l, false, storyURL)
			fb := sum
			fb.Fallback = &generate.Fallback{Code: "x", Reason: c.Text}
			checkEmbed(t, "story (fallback)", storyEmbed(commands.StoryReply{Story: s, Summary: fb}), l, false, storyURL)

			// A story whose own URL is hostile gets no link.
			bad := s
			bad.URL = c.Text
			e := storyEmbed(commands.StoryReply{Story: bad, Summary: sum})
			if u, ok := discordtext.SafeURL(c.Text); ok {
				checkEmbed(t, "story (hostile URL)", e, l, false, u)
			} else {
				checkEmbed(t, "story (hostile URL)", e, l, false)
			}

			srcs := []store.Story{s, {ID: "def", Article: article.Article{Title: c.Text, URL: "https://news.example/other", Published: time.Unix(1700000000, 0)}},
				{ID: "ghi", Article: article.Article{Title: c.Text, URL: c.Text, Published: time.Unix(1700000000, 0)}}}
			links := []string{storyURL, "https://news.example/other"}
			if u, ok := discordtext.SafeURL(c.Text); ok {
				links = append(links, u)
			}
			ret := retrieve.Result{Sources: srcs}
			model := commands.AskReply{Question: c.Text, Retrieved: ret,
				Answer: answer.Reply{Text: c.Text + " [1] [2] [3]", Answered: true, Cited: []int{1, 2, 3}, Meta: generate.Meta{Engine: c.Text}}}
			checkEmbed(t, "ask (model)", askEmbed(model), l, false, links...)
			quoted := commands.AskReply{Question: c.Text, Retrieved: ret,
				Answer: answer.Reply{Quotes: []answer.Quote{{Text: c.Text, Source: 1}, {Text: c.Text, Source: 3}}, Answered: true,
					Cited: []int{1, 3}, Meta: generate.Meta{Engine: generate.Extractive, Fallback: &generate.Fallback{Reason: c.Text}}}}
			checkEmbed(t, "ask (quotes)", askEmbed(quoted), l, true, links...)

			checkEmbed(t, "draft", draftEmbed(c.Text), l, false)

			ch := choice(c.Text, "abc123")
			if p := hostile.Literal(ch.Name, hostile.Options{Limit: l.choiceName}); len(p) > 0 || ch.Name == "" {
				t.Errorf("choice name: %q\n%q", p, ch.Name)
			}
			if v, _ := ch.Value.(string); units(v) > l.choiceValue {
				t.Errorf("choice value over the limit: %q", v)
			}
		})
	}
}

// The policy keeps the story's words: escaped, not dropped.
func TestStoryEmbedKeepsText(t *testing.T) {
	s := store.Story{Article: article.Article{Title: "Fans told @everyone [welcome](https://elsewhere.example/x)", URL: "https://news.example/a",
		Author: "<@123> Ann", Published: time.Unix(1700000000, 0)}}
	e := storyEmbed(commands.StoryReply{Story: s, Summary: summarize.Summary{Text: "# Big news\nSee https://evil.example now.", Meta: generate.Meta{Engine: "m"}}})
	for _, tt := range []struct{ got, want string }{
		{e.Title, `Fans told \@everyone [welcome]\(https\://elsewhere.example/x)`},
		{e.Description, "\\# Big news\nSee https\\://evil.example now."},
		{e.Fields[1].Value, `\<\@123\> Ann`},
		{e.URL, "https://news.example/a"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// Sources: a title fit to be a link's text is the link; another is shown
// escaped with a separate link to the story; none links elsewhere.
func TestSourceLines(t *testing.T) {
	at := time.Unix(1700000000, 0)
	got := sourceLines([]commands.Source{
		{N: 1, Story: store.Story{Article: article.Article{Title: "Storm cuts power [live]", URL: "https://news.example/1", Published: at}}},
		{N: 2, Story: store.Story{Article: article.Article{Title: "Fans told @everyone", URL: "https://news.example/2", Published: at}}},
		{N: 3, Story: store.Story{Article: article.Article{Title: "No URL", Published: at}}},
	})
	want := fmt.Sprintf("[1] [Storm cuts power (live)](https://news.example/1) · <t:%[1]d:f>\n"+
		"[2] Fans told \\@everyone · [link](https://news.example/2) · <t:%[1]d:f>\n"+
		"[3] No URL · <t:%[1]d:f>", at.Unix())
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
