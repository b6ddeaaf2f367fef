package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/storybot/storybot/feed"
	"github.com/storybot/storybot/ingest"
)

// feedStore is what reading and polling feeds need of the store.
type feedStore interface {
	feed.Store
	feed.PollStore
}

// startFeeds starts the poller when feeds are configured, posting with
// poster, and returns the function that stops it and waits for it.
func startFeeds(ctx context.Context, s feedSettings, db feedStore, poster feed.Poster, log *slog.Logger) (stop func()) {
	if len(s.sources) == 0 {
		return func() {}
	}
	r := feed.New(feed.Config{AllowPrivate: s.allowPrivate, Log: log}, db)
	pc := feed.PollConfig{Sources: s.sources, Interval: s.interval, Poster: poster}
	if fc, ok := db.(interface {
		FeedChannels(ctx context.Context) (map[string]string, error)
	}); ok {
		pc.ServerChannels = fc.FeedChannels
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		poll := func(ctx context.Context) { feed.NewPoller(r, db, pc).Run(ctx) }
		if l, shared := db.(feed.Locker); shared { // replicas: one reads the feeds
			feed.Leader{Locker: l, Log: log}.Run(ctx, poll)
		} else {
			poll(ctx)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// splitURLArgs splits ingest's arguments into paths and feed URLs
// (http:// or https://).
func splitURLArgs(args []string) (paths, urls []string) {
	for _, a := range args {
		if l := strings.ToLower(a); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
			urls = append(urls, a)
		} else {
			paths = append(paths, a)
		}
	}
	return paths, urls
}

// feedReport is what reading one feed did, for ingest's output.
type feedReport struct {
	URL          string `json:"url"`
	NotModified  bool   `json:"not_modified"`
	Entries      int    `json:"entries"`
	Added        int    `json:"added"`
	Updated      int    `json:"updated"`
	Unchanged    int    `json:"unchanged"`
	Duplicate    int    `json:"duplicate"`
	Failed       int    `json:"failed"`
	TextFromFeed int    `json:"text_from_feed"` // entries whose page could not be read
	Error        string `json:"error,omitempty"`
}

// ingestFeeds reads each feed URL with r and adds what happened to stats:
// entries as articles, an unreadable feed as a failure. The error is
// non-nil only when ctx ended.
func ingestFeeds(ctx context.Context, env *Env, r *feed.Reader, urls []string, stats *ingest.Stats, quiet bool) ([]feedReport, error) {
	var reports []feedReport
	for _, u := range urls {
		shown := feed.Redact(u) // a private feed's URL may hold its key
		if !quiet {
			fmt.Fprintf(env.Err, "ingest: reading %s\n", clean(shown))
		}
		res, err := r.Read(ctx, u, nil)
		if ctx.Err() != nil {
			return reports, ctx.Err()
		}
		stats.Added += res.Added
		stats.Updated += res.Updated
		stats.Unchanged += res.Unchanged
		stats.Duplicate += res.Duplicate
		stats.Failed += res.Failed
		stats.Failures = append(stats.Failures, res.Failures...)
		stats.Elapsed += res.Elapsed
		rep := feedReport{URL: shown, NotModified: res.NotModified, Entries: res.Entries, Added: res.Added, Updated: res.Updated,
			Unchanged: res.Unchanged, Duplicate: res.Duplicate, Failed: res.Failed, TextFromFeed: res.FromFeed}
		if err != nil {
			stats.Failed++
			stats.Failures = append(stats.Failures, ingest.Failure{Source: shown, Reason: feedReason(err)})
			rep.Error = err.Error()
		}
		reports = append(reports, rep)
	}
	return reports, nil
}

// feedReason words a feed's failure for the operator: what happened and
// what to do.
func feedReason(err error) string {
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, ": "); ok && strings.HasPrefix(msg, "read feed ") {
		msg = after // the URL is already the failure's source
	}
	switch {
	case errors.Is(err, feed.ErrBlocked):
		return msg + " (set FEED_ALLOW_PRIVATE=true to read feeds on your own network)"
	case errors.Is(err, feed.ErrTooLarge), errors.Is(err, feed.ErrTooManyRedirects):
		return msg + " (check the URL is the feed's)"
	}
	return msg + "; try again later (storybot run retries a failing feed with backoff)"
}

// printFeeds writes one line per feed.
func printFeeds(w io.Writer, reports []feedReport) {
	for _, r := range reports {
		switch {
		case r.Error != "":
			fmt.Fprintf(w, "Feed %s: not read (see Failed).\n", clean(r.URL))
		case r.NotModified:
			fmt.Fprintf(w, "Feed %s: not modified since the last read.\n", clean(r.URL))
		default:
			line := fmt.Sprintf("Feed %s: %d entries, %d added, %d updated, %d already stored", clean(r.URL), r.Entries, r.Added, r.Updated, r.Unchanged)
			if r.TextFromFeed > 0 {
				line += fmt.Sprintf(", %d with the feed's text (their page could not be read)", r.TextFromFeed)
			}
			fmt.Fprintln(w, line+".")
		}
	}
}
