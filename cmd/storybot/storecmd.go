package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/storybot/storybot/discordtext"
	"github.com/storybot/storybot/store"
)

func init() {
	register(command{name: "list", summary: "list stored stories, newest first", run: runList})
	register(command{name: "search", summary: "search stored stories (full text, best first)", run: runSearch})
	register(command{name: "show", summary: "print one stored story by its ID", run: runShow})
}

// storeFlags are the flags every command that reads the store takes.
type storeFlags struct {
	db   string
	json bool
}

func (sf *storeFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&sf.db, "db", "", "SQLite database `file`, or a postgres:// URL (default $DATABASE_URL, else "+defaultDB+")")
	fs.BoolVar(&sf.json, "json", false, "print JSON for programs instead of text")
}

func runList(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "list", "list [--limit N] [--db FILE] [--json]", "Lists stored stories, newest first.")
	var sf storeFlags
	sf.add(fs)
	limit := fs.Int("limit", 20, "show at most `N` stories")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("list takes no arguments (got %q)", pos[0])
	}
	if *limit < 1 {
		return usagef("--limit must be at least 1")
	}
	db, err := sf.open(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	ts, err := db.Latest(ctx, *limit)
	if err != nil {
		return err
	}
	if sf.json {
		out := make([]titleJSON, len(ts))
		for i, t := range ts {
			out[i] = titleJSON{ID: t.ID, Title: t.Title, Published: t.Published}
		}
		return writeJSON(env.Out, out)
	}
	if len(ts) == 0 {
		fmt.Fprintln(env.Out, "No stories stored yet. Add some with: storybot ingest PATH")
		return nil
	}
	tw := tabwriter.NewWriter(env.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPUBLISHED (UTC)\tTITLE")
	for _, t := range ts {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", t.ID, t.Published.Format("2006-01-02 15:04"), clean(t.Title))
	}
	return tw.Flush()
}

func runSearch(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "search", "search QUERY [--limit N] [--db FILE] [--json]",
		"Searches the stored stories' titles and text, best match first. Every word must\nmatch (common words aside); when no story has them all, any word will do.")
	var sf storeFlags
	sf.add(fs)
	limit := fs.Int("limit", 10, "show at most `N` stories")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	query := strings.TrimSpace(strings.Join(pos, " "))
	if query == "" {
		return usagef("search needs a query, for example: storybot search \"Brixton shooting\"")
	}
	if *limit < 1 {
		return usagef("--limit must be at least 1")
	}
	db, err := sf.open(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	hits, err := db.Search(ctx, query, *limit)
	if err != nil {
		return err
	}
	if sf.json {
		out := make([]hitJSON, len(hits))
		for i, h := range hits {
			out[i] = hitJSON{titleJSON: titleJSON{ID: h.ID, Title: h.Title, Published: h.Published}, URL: h.URL, Score: h.Score, Snippet: h.Snippet}
		}
		return writeJSON(env.Out, out)
	}
	if len(hits) == 0 {
		fmt.Fprintf(env.Out, "No stories match %q.\n", query)
		return nil
	}
	for i, h := range hits {
		fmt.Fprintf(env.Out, "%2d. %s  %s  %s\n    %s\n", i+1, h.ID, h.Published.Format("2006-01-02"), clean(h.Title), clean(h.Snippet))
	}
	return nil
}

func runShow(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "show", "show ID [--db FILE] [--json]", "Prints a stored story: its details and its text.")
	var sf storeFlags
	sf.add(fs)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("show needs one story ID (see 'storybot list' or 'storybot search')")
	}
	db, err := sf.open(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := db.Get(ctx, pos[0])
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no story has the ID %q; find IDs with 'storybot list' or 'storybot search WORDS'", pos[0])
	}
	if err != nil {
		return err
	}
	if sf.json {
		return writeJSON(env.Out, newStoryJSON(s))
	}
	printStory(env.Out, s)
	return nil
}

func printStory(w io.Writer, s store.Story) {
	fmt.Fprintf(w, "%s\n\n", clean(s.Title))
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "ID:\t%s\n", s.ID)
	fmt.Fprintf(tw, "Published:\t%s\n", s.Published.Format("2006-01-02 15:04 MST"))
	if !s.Updated.IsZero() {
		fmt.Fprintf(tw, "Updated:\t%s\n", s.Updated.Format("2006-01-02 15:04 MST"))
	}
	for _, f := range [][2]string{{"Author:", s.Author}, {"URL:", s.URL}, {"Source:", s.Source}} {
		if f[1] != "" {
			fmt.Fprintf(tw, "%s\t%s\n", f[0], clean(f[1]))
		}
	}
	tw.Flush()
	for _, p := range s.Paragraphs() {
		fmt.Fprintf(w, "\n%s\n", clean(p))
	}
}

// clean makes text from a story, a feed or a model fit to print, on one
// line: the output policy's discordtext.Terminal (no control characters or
// escape sequences, so the text cannot drive the terminal; no invisible or
// bidirectional control characters; invalid UTF-8 repaired).
func clean(s string) string { return discordtext.Terminal(s) }

type titleJSON struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Published time.Time `json:"published"`
}

type hitJSON struct {
	titleJSON
	URL     string  `json:"url,omitempty"`
	Score   float64 `json:"score"`
	Snippet string  `json:"snippet"`
}

type storyJSON struct {
	ID        string     `json:"id"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	URL       string     `json:"url,omitempty"`
	Author    string     `json:"author,omitempty"`
	Source    string     `json:"source,omitempty"`
	Published time.Time  `json:"published"`
	Updated   *time.Time `json:"updated,omitempty"`
	Hash      string     `json:"hash"`
}

func newStoryJSON(s store.Story) storyJSON {
	j := storyJSON{ID: s.ID, Title: s.Title, Body: s.Body, URL: s.URL, Author: s.Author, Source: s.Source, Published: s.Published, Hash: s.Hash}
	if !s.Updated.IsZero() {
		j.Updated = &s.Updated
	}
	return j
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
