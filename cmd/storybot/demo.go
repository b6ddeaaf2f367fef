package main

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"text/tabwriter"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/samples"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/summarize"
)

func init() {
	register(command{name: "demo", summary: "try storybot on bundled sample stories (no tokens needed)", run: runDemo})
}

// demoDB is the demo's own database, so the demo never mixes its made-up
// stories into a real store.
const demoDB = "data/demo.db"

func runDemo(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "demo", "demo [--db FILE]", `
Loads the sample stories bundled with storybot (made-up local news) into a
database of their own, then shows what storybot does with them: the list of
stories, a search, and a story with its summary. Needs no Discord token, no
API key and no network.`)
	db := fs.String("db", demoDB, "SQLite database `file` for the demo")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("demo takes no arguments (got %q)", pos[0])
	}
	sf := storeFlags{db: *db}
	st, err := sf.open(ctx, env)
	if err != nil {
		return err
	}
	defer st.Close()

	as, err := sampleArticles()
	if err != nil {
		return err
	}
	res, err := st.Put(ctx, as)
	if err != nil {
		return err
	}
	added := 0
	for _, r := range res {
		if r.Outcome == store.Added {
			added++
		}
	}
	w := env.Out
	fmt.Fprintf(w, "== storybot demo: %d sample stories in %s (%d new)\n\n", len(as), *db, added)

	fmt.Fprintf(w, "== The newest stories  (storybot list --db %s)\n\n", *db)
	if err := runList(ctx, env, []string{"--db", *db, "--limit", "5"}); err != nil {
		return err
	}

	const query = "flood homes"
	fmt.Fprintf(w, "\n== A search  (storybot search --db %s %q)\n\n", *db, query)
	if err := runSearch(ctx, env, []string{"--db", *db, "--limit", "3", query}); err != nil {
		return err
	}

	hits, err := st.Search(ctx, query, 1)
	if err != nil || len(hits) == 0 {
		return fmt.Errorf("demo search found nothing: %v", err)
	}
	s := hits[0].Story
	fmt.Fprintf(w, "\n== Summaries of the best match, by the built-in extractive summarizer\n\n")
	fmt.Fprintf(w, "%s  [%s]\n%s · %s\n\n", clean(s.Title), s.ID, s.Published.Format("2 January 2006 15:04 MST"), clean(s.Author))
	for _, style := range []summarize.Style{summarize.Brief, summarize.Standard} {
		sum := summarize.Extract(s.Title, s.Body, style)
		fmt.Fprintf(w, "%s summary (extractive):\n  %s\n\n", strings.ToUpper(style.String()[:1])+style.String()[1:], clean(strings.Join(sum, " ")))
	}
	fmt.Fprintf(w, "== Next\n")
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintf(tw, "  storybot search --db %s WORDS\tsearch the sample stories\n", *db)
	fmt.Fprintf(tw, "  storybot show --db %s %s\tread one in full\n", *db, s.ID)
	fmt.Fprintf(tw, "  storybot ingest PATH...\tadd your own articles (.txt or .jsonl) to %s\n", defaultDB)
	fmt.Fprintf(tw, "  storybot --help\teverything else\n")
	return tw.Flush()
}

// sampleArticles parses the bundled sample stories.
func sampleArticles() ([]article.Article, error) {
	names, err := fs.Glob(samples.FS, "*.txt")
	if err != nil {
		return nil, err
	}
	as := make([]article.Article, 0, len(names))
	for _, n := range names {
		f, err := samples.FS.Open(n)
		if err != nil {
			return nil, err
		}
		a, err := article.ParseText(n, f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("bundled sample: %w", err)
		}
		as = append(as, a)
	}
	return as, nil
}
