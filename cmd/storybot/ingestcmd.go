package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/storybot/storybot/feed"
	"github.com/storybot/storybot/ingest"
)

func init() {
	register(command{name: "ingest", summary: "add articles from files, folders, standard input or feed URLs", run: runIngest})
}

// maxListed is how many failures and skipped files the text summary names.
const maxListed = 20

func runIngest(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "ingest", "ingest PATH|URL... [--db FILE] [--json]", `
Adds articles to the store. A PATH is a file, a folder (read recursively) or "-"
for standard input. Files ending in .txt are read as one article in the
plain-text export format; files ending in .jsonl as JSON Lines, one article a
line (title, body, url, author, published, updated, source). Other files are
skipped and counted.

A URL (http:// or https://) is an RSS or Atom feed: each new entry's page is
fetched and its main text stored (the feed's own text when the page cannot be
read). Private and loopback addresses are refused unless FEED_ALLOW_PRIVATE=true.
See README, "Feeds".

An article already stored under the same URL (or the same title and published
time) is updated in place and keeps its ID. Bad input is reported with its file,
line and reason, and everything valid is still stored. The exit status is 1 when
anything failed.`)
	var sf storeFlags
	sf.add(fs)
	batch := fs.Int("batch", 500, "articles per transaction")
	quiet := fs.Bool("quiet", false, "no progress lines")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usagef("ingest needs at least one file, folder, feed URL or - (see 'storybot ingest --help')")
	}
	paths, urls := splitURLArgs(paths)
	for _, p := range paths {
		if scheme, _, ok := strings.Cut(p, "://"); ok && !strings.ContainsAny(scheme, `/\.`) {
			return usagef("%s: storybot reads feeds over http:// and https:// only; give a feed URL, a file, a folder or -", feed.Redact(p))
		}
	}
	db, err := sf.open(ctx, env)
	if err != nil {
		return err
	}
	defer db.Close()
	opt := ingest.Options{BatchSize: *batch, Stdin: env.In}
	if !*quiet {
		opt.Progress = func(s ingest.Stats) {
			fmt.Fprintf(env.Err, "ingest: %d articles so far (%.0f/s), %d failed\n",
				s.Articles(), float64(s.Articles())/s.Elapsed.Seconds(), s.Failed)
		}
	}
	stats, runErr := ingest.Run(ctx, db, paths, opt)
	var feeds []feedReport
	if runErr == nil && len(urls) > 0 {
		feeds, runErr = ingestFeeds(ctx, env, feed.New(feed.Config{AllowPrivate: env.cfg.Feeds.allowPrivate, Log: newLogger(env)}, db), urls, &stats, *quiet)
	}
	if sf.json {
		if err := writeJSON(env.Out, ingestJSON{Stats: stats, Feeds: feeds, Seconds: stats.Elapsed.Seconds(), Error: errString(runErr)}); err != nil {
			return err
		}
	} else {
		printIngest(env.Out, stats)
		printFeeds(env.Out, feeds)
	}
	switch {
	case errors.Is(runErr, context.Canceled):
		return fmt.Errorf("interrupted: the %d articles counted above are stored; run the same command again to finish", stats.Articles())
	case runErr != nil:
		return runErr
	case stats.Failed > 0:
		return errSilent
	}
	return nil
}

type ingestJSON struct {
	ingest.Stats
	Feeds   []feedReport `json:"feeds,omitempty"`
	Seconds float64      `json:"seconds"`
	Error   string       `json:"error,omitempty"`
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func printIngest(w io.Writer, s ingest.Stats) {
	parts := []string{
		fmt.Sprintf("%d added", s.Added),
		fmt.Sprintf("%d updated", s.Updated),
		fmt.Sprintf("%d unchanged", s.Unchanged),
	}
	if s.Duplicate > 0 {
		parts = append(parts, fmt.Sprintf("%d duplicates of stored stories", s.Duplicate))
	}
	parts = append(parts, fmt.Sprintf("%d skipped", s.Skipped), fmt.Sprintf("%d failed", s.Failed))
	noun := "articles"
	if s.Articles() == 1 {
		noun = "article"
	}
	fmt.Fprintf(w, "Ingested %d %s in %s: %s.\n", s.Articles(), noun, s.Elapsed.Round(time.Millisecond), strings.Join(parts, ", "))
	if len(s.Skips) > 0 {
		fmt.Fprintf(w, "Skipped (not .txt or .jsonl): %s\n", listSome(s.Skips))
	}
	if len(s.Failures) > 0 {
		fmt.Fprintln(w, "Failed:")
		for i, f := range s.Failures {
			if i == maxListed {
				fmt.Fprintf(w, "  … and %d more (use --json for the full list)\n", len(s.Failures)-maxListed)
				break
			}
			fmt.Fprintf(w, "  %s: %s\n", clean(f.Source), clean(f.Reason))
		}
	}
}

func listSome(xs []string) string {
	if len(xs) <= maxListed {
		return strings.Join(xs, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(xs[:maxListed], ", "), len(xs)-maxListed)
}
