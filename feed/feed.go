// Package feed reads RSS and Atom feeds into the store: it fetches a feed
// (conditionally, with its ETag and Last-Modified), fetches each new
// entry's page and extracts its main text with go-readability (falling back
// to the feed's own content), and stores the stories as files are stored,
// with the same IDs, deduplication and outcomes. A Poller reads feeds on a
// schedule, backs off from failing ones, and posts new stories to Discord
// channels, each at most once.
//
// Fetching is safe and polite: http and https only; private, loopback and
// link-local addresses refused at connection time (so DNS tricks and
// redirects cannot reach them) unless Config.AllowPrivate; limits on time,
// size and redirects; a User-Agent naming storybot; one request at a time
// per host.
package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/mmcdole/gofeed"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/ingest"
	"github.com/storybot/storybot/store"
)

// Defaults for Config.
const (
	DefaultUserAgent    = "storybot/1 (news bot; +https://github.com/storybot/storybot)"
	DefaultTimeout      = 30 * time.Second
	DefaultMaxFeedBytes = 10 << 20 // a feed carrying the full text of a hundred stories
	DefaultMaxPageBytes = 5 << 20  // a news page, scripts and markup included, is well under this
	DefaultMaxRedirects = 5
	DefaultMaxItems     = 100
	DefaultHostDelay    = 500 * time.Millisecond
	DefaultRetryMin     = time.Minute
	DefaultRetryMax     = 6 * time.Hour
	DefaultPageBudget   = 3 * time.Minute
)

// Config configures a Reader. The zero value is usable: every field has a
// default.
type Config struct {
	UserAgent    string        // sent with every request (default DefaultUserAgent)
	Timeout      time.Duration // one request, body included (default DefaultTimeout)
	MaxFeedBytes int64         // a larger feed is refused (default DefaultMaxFeedBytes)
	MaxPageBytes int64         // a larger page is not read; the feed's text is used (default DefaultMaxPageBytes)
	MaxRedirects int           // redirects followed per request (default DefaultMaxRedirects)
	MaxItems     int           // the newest entries read from a feed (default DefaultMaxItems)
	// HostDelay is the pause between two requests to the same host
	// (default DefaultHostDelay; negative for none).
	HostDelay time.Duration
	// AllowPrivate lets feeds and pages be fetched from private, loopback
	// and link-local addresses (FEED_ALLOW_PRIVATE). Off by default: a feed
	// URL or a link in a feed must not reach into the operator's network.
	AllowPrivate bool
	// After a failed read a feed is tried again RetryMin later, then twice
	// as long after each further failure, up to RetryMax (defaults
	// DefaultRetryMin, DefaultRetryMax); longer when the server asks with
	// Retry-After.
	RetryMin, RetryMax time.Duration
	// PageBudget bounds the time one read spends on entries' pages (default
	// DefaultPageBudget): once it has passed, no other page is fetched in
	// that read. The remaining entries keep the feed's own text, or, when
	// the feed has none, fail and are tried again on the next read. So a
	// feed full of links to a host that stalls costs PageBudget and one
	// Timeout, not a Timeout per entry.
	PageBudget time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log gets the records of a Poller (component=feed; default slog.Default()).
	Log *slog.Logger

	// allowAddr, when set, decides which addresses may be dialed (tests).
	allowAddr func(netip.AddrPort) error
}

func (c Config) withDefaults() Config {
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxFeedBytes <= 0 {
		c.MaxFeedBytes = DefaultMaxFeedBytes
	}
	if c.MaxPageBytes <= 0 {
		c.MaxPageBytes = DefaultMaxPageBytes
	}
	if c.MaxRedirects <= 0 {
		c.MaxRedirects = DefaultMaxRedirects
	}
	if c.MaxItems <= 0 {
		c.MaxItems = DefaultMaxItems
	}
	if c.HostDelay == 0 {
		c.HostDelay = DefaultHostDelay
	}
	if c.RetryMin <= 0 {
		c.RetryMin = DefaultRetryMin
	}
	if c.RetryMax < c.RetryMin {
		c.RetryMax = max(DefaultRetryMax, c.RetryMin)
	}
	if c.PageBudget <= 0 {
		c.PageBudget = DefaultPageBudget
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// backoff is how long to wait before reading a feed again after its
// failures-th failure in a row.
func (c Config) backoff(failures int) time.Duration {
	d := c.RetryMin
	for i := 1; i < failures && d < c.RetryMax; i++ {
		d *= 2
	}
	return min(d, c.RetryMax)
}

// Store is what a Reader needs of the store. *sqlite.DB satisfies it.
type Store interface {
	ingest.Putter
	// StoryIDByURL returns the ID of the story stored under url, or an
	// error wrapping store.ErrNotFound.
	StoryIDByURL(ctx context.Context, url string) (string, error)
	// FeedState returns what is remembered about a feed (zero when never read).
	FeedState(ctx context.Context, url string) (store.FeedState, error)
	PutFeedState(ctx context.Context, s store.FeedState) error
	// FeedItem returns a stored entry by feed and GUID, and whether there is one.
	FeedItem(ctx context.Context, feed, guid string) (store.FeedItem, bool, error)
	// PutFeedItems records entries and queues their stories for posting to
	// channels, in one transaction.
	PutFeedItems(ctx context.Context, feed string, items []store.FeedItem, channels []string) error
}

// Reader reads feeds into a store. It is safe for concurrent use.
type Reader struct {
	cfg   Config
	st    Store
	fetch *fetcher
}

// New returns a Reader that stores what it reads in st.
func New(cfg Config, st Store) *Reader {
	cfg = cfg.withDefaults()
	return &Reader{cfg: cfg, st: st, fetch: newFetcher(cfg)}
}

// Result is what one read of a feed did.
type Result struct {
	// Stats counts the entries as ingest counts articles: added, updated
	// (the feed said an entry changed), unchanged (already stored: seen in
	// this feed before, or stored under the same URL), duplicate (the same
	// text is stored under another identity), and failed entries with why.
	ingest.Stats
	NotModified bool // the server answered 304: nothing new
	Entries     int  // entries read from the feed
	FromFeed    int  // stored entries whose text came from the feed, their page being unreadable
}

// Read fetches the feed at feedURL and stores its new and updated entries.
// Entries new to a feed that was read before are queued for posting to
// channels; on a feed's first read they are only stored, so adding a feed
// does not flood its channels with its backlog. An entry that cannot be
// stored is counted in Result.Failures and tried again on the next read.
//
// The error is non-nil when the feed itself could not be read or stored;
// the failure is recorded in the feed's state, which sets when a Poller
// tries it again (see Config.RetryMin). Errors name the feed by its URL
// with its secrets (user information, token=… and the like) redacted.
func (r *Reader) Read(ctx context.Context, feedURL string, channels []string) (Result, error) {
	start := r.cfg.Now()
	res := Result{Stats: ingest.Stats{Failures: []ingest.Failure{}, Skips: []string{}}}
	st, err := r.st.FeedState(ctx, feedURL)
	if err != nil {
		return res, fmt.Errorf("read feed %s: %w", Redact(feedURL), err)
	}
	res, err = r.read(ctx, st, channels, start.Add(r.cfg.PageBudget), res)
	res.Elapsed = r.cfg.Now().Sub(start)
	if err == nil {
		return res, nil
	}
	if ctx.Err() != nil { // stopped, not the feed's failure
		return res, fmt.Errorf("read feed %s: %w", Redact(feedURL), err)
	}
	// Record the failure for the backoff; a store that fails here is
	// reported with it, and the feed is tried again on the next round.
	// The error may quote the server's bytes (a status line): it is made
	// text any store takes.
	now := r.cfg.Now()
	st.Checked, st.Failures, st.LastError = now, st.Failures+1, plain(err.Error())
	wait := r.cfg.backoff(st.Failures)
	var se *StatusError
	if errors.As(err, &se) && se.RetryAfter > wait {
		wait = min(se.RetryAfter, r.cfg.RetryMax)
	}
	st.NextTry = now.Add(wait)
	if serr := r.st.PutFeedState(context.WithoutCancel(ctx), st); serr != nil {
		err = errors.Join(err, serr)
	}
	return res, fmt.Errorf("read feed %s: %w", Redact(feedURL), err)
}

// State returns what is remembered about the feed at feedURL.
func (r *Reader) State(ctx context.Context, feedURL string) (store.FeedState, error) {
	return r.st.FeedState(ctx, feedURL)
}

// Feed content types, best first.
const acceptFeed = "application/rss+xml, application/atom+xml, application/feed+json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1"

// read reads the feed of st, fetching entries' pages until pagesUntil.
func (r *Reader) read(ctx context.Context, st store.FeedState, channels []string, pagesUntil time.Time, res Result) (Result, error) {
	hdr := http.Header{"Accept": {acceptFeed}}
	if st.ETag != "" {
		hdr.Set("If-None-Match", st.ETag)
	}
	if st.LastModified != "" {
		hdr.Set("If-Modified-Since", st.LastModified)
	}
	resp, err := r.fetch.get(ctx, st.URL, hdr, r.cfg.MaxFeedBytes)
	if err != nil {
		return res, err
	}
	if resp.notModified {
		res.NotModified = true
		return res, r.succeeded(ctx, st, nil)
	}
	f, err := gofeed.NewParser().Parse(bytes.NewReader(resp.body))
	switch {
	case errors.Is(err, gofeed.ErrFeedTypeNotDetected):
		return res, errors.New("not an RSS, Atom or JSON feed")
	case err != nil:
		return res, fmt.Errorf("not a well-formed feed: %w", err)
	}
	first := st.OK.IsZero()
	if first {
		channels = nil // the backlog is stored, not posted
	}
	res, err = r.entries(ctx, st.URL, f, resp.url, channels, pagesUntil, res)
	if err != nil {
		return res, err
	}
	validators := resp.header
	if res.Failed > 0 {
		// The old validators are kept, so that the next read gets the
		// feed again (not a 304) and tries the failed entries again.
		validators = nil
	}
	return res, r.succeeded(ctx, st, validators)
}

// succeeded records a successful read, with the validators for the next
// conditional GET from hdr (the response's headers); nil keeps the old
// ones.
func (r *Reader) succeeded(ctx context.Context, st store.FeedState, hdr http.Header) error {
	now := r.cfg.Now()
	if hdr != nil {
		st.ETag, st.LastModified = hdr.Get("ETag"), hdr.Get("Last-Modified")
	}
	st.Checked, st.OK, st.Failures, st.NextTry, st.LastError = now, now, 0, time.Time{}, ""
	return r.st.PutFeedState(ctx, st)
}

// entry is a feed entry being read.
type entry struct {
	it      *gofeed.Item
	guid    string
	link    string // absolute http(s) URL, or ""
	updated time.Time
	known   bool // stored from this feed before (then being updated)
}

// entries stores the feed's new and updated entries, oldest first,
// fetching their pages until pagesUntil.
func (r *Reader) entries(ctx context.Context, feedURL string, f *gofeed.Feed, base *url.URL, channels []string, pagesUntil time.Time, res Result) (Result, error) {
	items := newest(f.Items, r.cfg.MaxItems)
	res.Entries = len(items)
	source := htmlLine(f.Title)
	if source == "" {
		source = base.Hostname()
	}
	var (
		arts         []article.Article
		pending      []entry // for arts, in order
		added, again []store.FeedItem
	)
	for _, it := range items {
		e := entry{it: it, link: link(it, base), updated: timeOf(it.UpdatedParsed)}
		e.guid = guid(it, e.link)
		seen, known, err := r.st.FeedItem(ctx, feedURL, e.guid)
		if err != nil {
			return res, err
		}
		if known && !e.updated.Truncate(time.Second).After(seen.Updated) {
			res.Unchanged++
			continue
		}
		e.known = known
		if !known && e.link != "" {
			// The same URL stored before (from a file, another feed, or
			// under another GUID): no need to fetch the page again.
			id, err := r.st.StoryIDByURL(ctx, e.link)
			if err == nil {
				res.Unchanged++
				added = append(added, store.FeedItem{GUID: e.guid, StoryID: id, Updated: e.updated})
				continue
			}
			if !errors.Is(err, store.ErrNotFound) {
				return res, err
			}
		}
		a, fromFeed, err := r.article(ctx, e, source, r.cfg.Now().Before(pagesUntil))
		if err != nil {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			res.Failed++
			res.Failures = append(res.Failures, ingest.Failure{Source: describeEntry(e), Reason: err.Error()})
			continue
		}
		if fromFeed {
			res.FromFeed++
		}
		arts, pending = append(arts, a), append(pending, e)
	}
	if len(arts) > 0 {
		prs, err := r.st.Put(ctx, arts)
		if err != nil {
			return res, err
		}
		for i, pr := range prs {
			switch pr.Outcome {
			case store.Added:
				res.Added++
			case store.Updated:
				res.Updated++
			case store.Unchanged:
				res.Unchanged++
			case store.Duplicate:
				res.Duplicate++
			}
			fi := store.FeedItem{GUID: pending[i].guid, StoryID: pr.ID, Updated: pending[i].updated}
			if pending[i].known {
				again = append(again, fi)
			} else {
				added = append(added, fi)
			}
		}
	}
	if len(added) > 0 {
		if err := r.st.PutFeedItems(ctx, feedURL, added, channels); err != nil {
			return res, err
		}
	}
	if len(again) > 0 {
		if err := r.st.PutFeedItems(ctx, feedURL, again, nil); err != nil {
			return res, err
		}
	}
	return res, nil
}
