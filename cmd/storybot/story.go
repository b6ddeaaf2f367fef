package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	cmds "github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/summarize"
)

func init() {
	register(command{name: "story", summary: "summarize a stored story (the newest, or the best match for a query)", run: runStory})
}

const storyAbout = `
Prints a stored story's details and a summary of it: the newest story when no
QUERY is given, else the story with that ID, else the best search match.

The summary comes from the summary cache, else from the model (LLM_MODE:
openai, mock or off), else, when the model is off, fails, is slow or writes
something that does not hold up against the story, from the built-in
extractive summarizer. The last line says which. --fresh asks the model
again instead of using the cache.`

// storyOptions are the flags of "storybot story".
type storyOptions struct {
	storeFlags
	style string
	fresh bool
}

func runStory(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "story", "story [QUERY] [--style brief|standard|detailed] [--fresh] [--db FILE] [--json]", storyAbout)
	var o storyOptions
	o.add(fs)
	fs.StringVar(&o.style, "style", "standard", "summary `length`: brief, standard or detailed")
	fs.BoolVar(&o.fresh, "fresh", false, "ask the model again instead of using a cached summary")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	style, err := summarize.ParseStyle(o.style)
	if err != nil {
		return usagef("--style: %v", err)
	}
	db, sum, err := o.openSummarizer(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	defer sum.Close()
	return story(ctx, env, db, sum, strings.Join(pos, " "), style, o.fresh, o.json)
}

// story runs the /story command and prints its reply.
func story(ctx context.Context, env *Env, db storyStore, sum *summarizer, query string, style summarize.Style, fresh, asJSON bool) error {
	r, err := storyReply(ctx, db, sum, query, style, fresh)
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(env.Out, newStoryReplyJSON(r))
	}
	printStoryHeader(env.Out, r)
	printSummary(env.Out, r)
	return nil
}

// storyReply runs the /story command, with its errors worded for a terminal.
func storyReply(ctx context.Context, db storyStore, sum *summarizer, query string, style summarize.Style, fresh bool) (cmds.StoryReply, error) {
	r, err := cmds.Story(ctx, cmds.Deps{Stories: db, Summarizer: sum}, query, style, fresh)
	switch {
	case errors.Is(err, cmds.ErrNoStories):
		return r, errors.New("no stories are stored yet; add some with 'storybot ingest PATH' (or try 'storybot demo')")
	case errors.Is(err, cmds.ErrNoMatch):
		return r, fmt.Errorf("no story matches %q; see what is stored with 'storybot search WORDS' or 'storybot list'", strings.TrimSpace(query))
	}
	return r, err
}

// printSummary prints a /story reply's summary and the line saying who wrote it.
func printSummary(w io.Writer, r cmds.StoryReply) {
	fmt.Fprintf(w, "%s\n\n— %s\n", wrap(clean(r.Summary.Text), 78), clean(r.EngineNote()))
}

// printStoryHeader prints a /story reply's title and details.
func printStoryHeader(w io.Writer, r cmds.StoryReply) {
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

// storyReplyJSON is "storybot story --json".
type storyReplyJSON struct {
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

func newStoryReplyJSON(r cmds.StoryReply) storyReplyJSON {
	s, sum := r.Story, r.Summary
	j := storyReplyJSON{
		ID: s.ID, Title: s.Title, URL: s.URL, Author: s.Author, Published: s.Published,
		Style: sum.Style.String(), Summary: sum.Text, Engine: sum.Engine, Model: sum.Model,
		Cached: sum.Cached, Fallback: sum.Fallback, Usage: sum.Usage, Note: r.EngineNote(),
	}
	if !s.Updated.IsZero() {
		j.Updated = &s.Updated
	}
	return j
}
