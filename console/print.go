package console

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/discordtext"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
)

// width is the column text is wrapped at.
const width = 78

// clean makes text from a story, a feed or a model fit to print, on one
// line: the output policy's discordtext.Terminal (no control characters or
// escape sequences, so the text cannot drive the terminal; no invisible or
// bidirectional control characters; invalid UTF-8 repaired).
func clean(s string) string { return discordtext.Terminal(s) }

// printReply prints a reply from the router: its note, then the story,
// the answer or the message. A refusal (a message with an outcome other
// than OK) goes to errw, one cleaned line for each of its lines, like an
// error; everything else goes to w.
func printReply(w, errw io.Writer, rep commands.Reply) {
	if rep.Note != "" {
		printLines(w, rep.Note)
		fmt.Fprintln(w)
	}
	switch {
	case rep.Story != nil:
		PrintStoryHeader(w, *rep.Story)
		PrintSummary(w, *rep.Story)
	case rep.Ask != nil:
		printAnswer(w, *rep.Ask)
	case rep.Message != "" && refused(rep):
		printLines(errw, rep.Message)
	case rep.Message != "":
		printLines(w, rep.Message)
	}
}

// refused reports whether rep turns its request away rather than answers
// it: a reply whose outcome is not OK.
func refused(rep commands.Reply) bool {
	return rep.Outcome != "" && rep.Outcome != commands.OutcomeOK
}

// printLines prints text, each of its lines cleaned.
func printLines(w io.Writer, text string) {
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintln(w, clean(line))
	}
}

// PrintStory prints a /story reply: its title, details and summary, or,
// with asJSON, the reply as a StoryJSON.
func PrintStory(w io.Writer, r commands.StoryReply, asJSON bool) error {
	if asJSON {
		return writeJSON(w, NewStoryJSON(r))
	}
	PrintStoryHeader(w, r)
	PrintSummary(w, r)
	return nil
}

// PrintSummary prints a /story reply's summary and the line saying who
// wrote it.
func PrintSummary(w io.Writer, r commands.StoryReply) {
	fmt.Fprintf(w, "%s\n\n— %s\n", wrap(clean(r.Summary.Text), width), clean(r.EngineNote()))
}

// PrintStoryHeader prints a /story reply's title and details.
func PrintStoryHeader(w io.Writer, r commands.StoryReply) {
	s := r.Story
	fmt.Fprintf(w, "%s\n\n", clean(s.Title))
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "ID:\t%s\n", s.ID)
	fmt.Fprintf(tw, "Published:\t%s\n", s.Published.Format("2006-01-02 15:04 MST"))
	if !s.Updated.IsZero() {
		fmt.Fprintf(tw, "Updated:\t%s\n", s.Updated.Format("2006-01-02 15:04 MST"))
	}
	for _, f := range [][2]string{{"Author:", s.Author}, {"URL:", s.URL}} {
		if f[1] != "" {
			fmt.Fprintf(tw, "%s\t%s\n", f[0], clean(f[1]))
		}
	}
	tw.Flush()
	fmt.Fprintln(w)
}

// PrintAnswer prints an /ask reply: the answer, its numbered sources and
// the line saying how the answer was made, or, with asJSON, the reply as
// an AskJSON.
func PrintAnswer(w io.Writer, r commands.AskReply, asJSON bool) error {
	if asJSON {
		return writeJSON(w, NewAskJSON(r))
	}
	printAnswer(w, r)
	return nil
}

func printAnswer(w io.Writer, r commands.AskReply) {
	if qs := r.Answer.Quotes; len(qs) > 0 {
		for _, q := range qs {
			fmt.Fprintln(w, wrap(clean(fmt.Sprintf("“%s” [%d]", q.Text, q.Source)), width))
		}
	} else {
		fmt.Fprintln(w, wrap(clean(r.Text()), width))
	}
	if srcs := r.Sources(); len(srcs) > 0 {
		fmt.Fprint(w, "\nSources:\n")
		for _, s := range srcs {
			fmt.Fprintf(w, "[%d] %s\n    %s", s.N, clean(s.Title), s.Published.Format("2006-01-02"))
			if s.URL != "" {
				fmt.Fprintf(w, "  %s", clean(s.URL))
			}
			fmt.Fprintf(w, "  ID %s\n", s.ID)
		}
	}
	fmt.Fprintf(w, "\n— %s\n", clean(r.EngineNote()))
}

// Explain words the errors of /story and /ask for a terminal: no stories
// stored, and no story matching query (a /story's QUERY, an /ask's story
// QUERY). Any other error is returned as it is.
func Explain(err error, query string) error {
	switch {
	case errors.Is(err, commands.ErrNoStories):
		return errors.New("no stories are stored yet; add some with 'storybot ingest PATH' (or try 'storybot demo')")
	case errors.Is(err, commands.ErrNoMatch):
		return fmt.Errorf("no story matches %q; see what is stored with 'storybot search WORDS' or 'storybot list'", strings.TrimSpace(query))
	}
	return err
}

// CheckQuestion checks a non-empty question against /ask's length limit,
// with a message fit for a terminal.
func CheckQuestion(q string) error {
	if n := len([]rune(strings.TrimSpace(q))); n > commands.MaxQuestion {
		return fmt.Errorf("a question has at most %d characters (this one has %d)", commands.MaxQuestion, n)
	}
	return nil
}

// wrap breaks text into lines of at most width columns, at spaces.
func wrap(text string, width int) string {
	var b strings.Builder
	n := 0
	for i, word := range strings.Fields(text) {
		l := len([]rune(word))
		switch {
		case i == 0:
		case n+1+l > width:
			b.WriteByte('\n')
			n = 0
		default:
			b.WriteByte(' ')
			n++
		}
		b.WriteString(word)
		n += l
	}
	return b.String()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// StoryJSON is a /story reply as JSON ("storybot story --json").
type StoryJSON struct {
	ID        string             `json:"id"`
	Title     string             `json:"title"`
	URL       string             `json:"url"`
	Author    string             `json:"author,omitempty"`
	Published time.Time          `json:"published"`
	Updated   *time.Time         `json:"updated,omitempty"`
	Style     string             `json:"style"`
	Summary   string             `json:"summary"`
	Engine    string             `json:"engine"`
	Model     string             `json:"model"`
	Cached    bool               `json:"cached"`
	Fallback  *generate.Fallback `json:"fallback"`
	Usage     llm.Usage          `json:"usage"`
	Note      string             `json:"note"`
}

// NewStoryJSON returns r as JSON.
func NewStoryJSON(r commands.StoryReply) StoryJSON {
	s, sum := r.Story, r.Summary
	j := StoryJSON{
		ID: s.ID, Title: s.Title, URL: s.URL, Author: s.Author, Published: s.Published,
		Style: sum.Style.String(), Summary: sum.Text, Engine: sum.Engine, Model: sum.Model,
		Cached: sum.Cached, Fallback: sum.Fallback, Usage: sum.Usage, Note: r.EngineNote(),
	}
	if !s.Updated.IsZero() {
		j.Updated = &s.Updated
	}
	return j
}

// AskJSON is an /ask reply as JSON ("storybot ask --json").
type AskJSON struct {
	Question string `json:"question"`
	// Answer is the answer's text with its citations: [n] is the source
	// whose "n" is n.
	Answer string `json:"answer"`
	// Answered is false when the stored stories don't say.
	Answered bool `json:"answered"`
	// Quotes are an extractive answer's sentences, each with its source.
	Quotes []QuoteJSON `json:"quotes"`
	// Engine is the model that wrote the answer, or "extractive".
	Engine   string             `json:"engine"`
	Model    string             `json:"model,omitempty"`
	Cached   bool               `json:"cached"`
	Fallback *generate.Fallback `json:"fallback"`
	Note     string             `json:"note"`
	Sources  []SourceJSON       `json:"sources"` // the sources cited, by n
}

// QuoteJSON is a sentence of an extractive answer.
type QuoteJSON struct {
	Text   string `json:"text"`
	Source int    `json:"source"`
}

// SourceJSON is a story an answer cites.
type SourceJSON struct {
	N         int       `json:"n"`
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Published time.Time `json:"published"`
	URL       string    `json:"url"`
}

// NewAskJSON returns r as JSON.
func NewAskJSON(r commands.AskReply) AskJSON {
	a := r.Answer
	out := AskJSON{
		Question: r.Question, Answer: a.Text, Answered: a.Answered, Quotes: []QuoteJSON{},
		Engine: a.Engine, Model: a.Model, Cached: a.Cached, Fallback: a.Fallback,
		Note: r.EngineNote(), Sources: []SourceJSON{},
	}
	for _, q := range a.Quotes {
		out.Quotes = append(out.Quotes, QuoteJSON{Text: q.Text, Source: q.Source})
	}
	for _, s := range r.Sources() {
		out.Sources = append(out.Sources, SourceJSON{N: s.N, ID: s.ID, Title: s.Title, Published: s.Published, URL: s.URL})
	}
	return out
}
