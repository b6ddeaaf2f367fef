package main

import (
	"context"
	"fmt"
	"io/fs"
	"text/tabwriter"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/console"
	"github.com/storybot/storybot/llm/mock"
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
stories, a search, and a story with its summary: by the mock model (run
in-process unless LLM_MODE is set), then from the summary cache, then the
extractive summary storybot falls back to when the model fails. Needs no
Discord token, no API key and no network.`)
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
	if err := demoSummaries(ctx, env, st, *db, query); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== Next\n")
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintf(tw, "  storybot search --db %s WORDS\tsearch the sample stories\n", *db)
	fmt.Fprintf(tw, "  storybot show --db %s %s\tread one in full\n", *db, s.ID)
	fmt.Fprintf(tw, "  LLM_MODE=mock storybot story --db %s --json %s\tthe summary as JSON: engine, fallback, cache\n", *db, s.ID)
	fmt.Fprintf(tw, "  storybot ingest PATH...\tadd your own articles (.txt or .jsonl) to %s\n", defaultDB)
	fmt.Fprintf(tw, "  storybot --help\teverything else\n")
	return tw.Flush()
}

// demoSummaries shows "storybot story" on the best match for query: a
// summary by the model (the mock, in-process, unless LLM_MODE says
// otherwise), the same again from the cache, then, in mock mode, the
// extractive fallback when the model fails.
func demoSummaries(ctx context.Context, env *Env, st storyStore, db, query string) error {
	w := env.Out
	settings := env.cfg.model(modeMock)
	log := newLogger(env)
	sum, err := newSummarizer(settings, log)
	if err != nil {
		return err
	}
	defer sum.Close()
	if err := sum.serve(st, nil, nil); err != nil {
		return err
	}
	about := "the mock model, running inside storybot (LLM_MODE=mock)"
	switch sum.mode {
	case modeOpenAI:
		about = "your model, " + sum.model + " (LLM_MODE=openai)"
	case modeOff:
		about = "the built-in extractive summarizer (LLM_MODE=off)"
	}
	fmt.Fprintf(w, "\n== The best match, summarized by %s\n   (storybot story --db %s --style brief --fresh %q)\n\n", about, db, query)
	r, err := storyReply(ctx, st, sum, query, summarize.Brief, true)
	if err != nil {
		return err
	}
	console.PrintStoryHeader(w, r)
	console.PrintSummary(w, r)
	fmt.Fprintf(w, "\n== The same again: served from the summary cache, no model call\n   (storybot story --db %s --style brief %q)\n\n", db, query)
	if r, err = storyReply(ctx, st, sum, query, summarize.Brief, false); err != nil {
		return err
	}
	console.PrintSummary(w, r)
	for _, q := range []string{"How many homes lost power?", "Who won the Tour de France?"} {
		fmt.Fprintf(w, "\n== A question, answered from the stored stories with numbered sources\n   (storybot ask --db %s %q)\n\n", db, q)
		if err := ask(ctx, env, st, sum, q, "", false); err != nil {
			return err
		}
	}
	if sum.mode != modeMock {
		return nil
	}
	failing := settings
	failing.cfg.Model = mock.FaultError500
	bad, err := newSummarizer(failing, log)
	if err != nil {
		return err
	}
	defer bad.Close()
	if err := bad.serve(st, nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== When the model fails: the mock answering HTTP 500 (LLM_MODEL=%s)\n", mock.FaultError500)
	fmt.Fprintf(w, "   storybot shows its extractive summary instead, says so, and logs why (standard error)\n   (LLM_MODE=mock LLM_MODEL=%s storybot story --db %s --style brief %q)\n\n", mock.FaultError500, db, query)
	if r, err = storyReply(ctx, st, bad, query, summarize.Brief, false); err != nil {
		return err
	}
	console.PrintSummary(w, r)
	return nil
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
