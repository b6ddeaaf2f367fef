package feed

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/storybot/storybot/store"
)

// Defaults for PollConfig.
const (
	DefaultInterval = 15 * time.Minute
	DefaultParallel = 4
)

const (
	// maxPostAttempts is how many times a post that surely did not reach
	// Discord is tried before it is given up.
	maxPostAttempts = 10
	// postTimeout bounds one post: the summary (the model's timeout) and
	// the REST call.
	postTimeout = 3 * time.Minute
	// postsPerRound is how many queued posts one round sends.
	postsPerRound = 100
	// failuresForError is when a failing feed's log records become errors.
	failuresForError = 5
)

// Source is a feed a Poller reads, and the Discord channels its new
// stories are posted to (none: stored only).
type Source struct {
	URL      string
	Channels []string
}

// Poster posts a story to a Discord channel and returns the message's ID.
// commands.Poster satisfies it (the bot sends). An error with a method NotSent() bool that returns
// true says the message was surely not created: the post is tried again on
// a later round. After any other error it may have been, and the post is
// not tried again, so a story is never posted twice.
type Poster interface {
	Post(ctx context.Context, channelID string, s store.Story) (messageID string, err error)
}

// PollStore is what a Poller needs of the store beyond a Reader's.
// *sqlite.DB satisfies it.
type PollStore interface {
	Get(ctx context.Context, id string) (store.Story, error)
	// PendingPosts returns up to limit queued posts, oldest first.
	PendingPosts(ctx context.Context, limit int) ([]store.Post, error)
	// ClaimPost moves a pending post to sending; false when it was not pending.
	ClaimPost(ctx context.Context, channel, storyID string) (bool, error)
	// EndPost moves a sending post to state, with a note (message ID or error).
	EndPost(ctx context.Context, channel, storyID string, state store.PostState, note string) error
	// AbandonPosts marks the posts left sending by a previous run unsure.
	AbandonPosts(ctx context.Context) ([]store.Post, error)
}

// PollConfig configures a Poller.
type PollConfig struct {
	Sources  []Source
	Interval time.Duration // how often each feed is read (default DefaultInterval)
	Poster   Poster        // posts new stories; nil: they are stored, not posted
	Parallel int           // feeds read at once, one request at a time per host (default DefaultParallel)
	// ServerChannels, when set, returns the feed channel each Discord
	// server chose (/storybot settings set feed_channel), by server: every
	// feed's new stories are posted there too.
	ServerChannels func(ctx context.Context) (map[string]string, error)
}

// Poller reads feeds on a schedule and posts their new stories.
//
// Posting is at most once. A post is queued in the store in the same
// transaction that records its feed entry, claimed (pending → sending)
// before it is sent and marked sent after. A send that surely failed goes
// back to pending for the next round. A post found still sending at start
// (storybot stopped mid-send) may or may not be on Discord: it is marked
// unsure, logged, and never sent again, because a missing post is a lesser
// harm than a doubled one.
type Poller struct {
	r     *Reader
	st    PollStore
	c     PollConfig
	log   *slog.Logger
	start sync.Once

	mu sync.Mutex
	// notBefore holds, for each feed whose last read failed, when it may
	// be read again: RetryMin after the failure, even when its state (and
	// so its backoff) could not be stored.
	notBefore map[string]time.Time
}

// NewPoller returns a Poller that reads with r and posts from st.
func NewPoller(r *Reader, st PollStore, c PollConfig) *Poller {
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	if c.Parallel <= 0 {
		c.Parallel = DefaultParallel
	}
	return &Poller{r: r, st: st, c: c, log: r.cfg.Log.With("component", "feed"), notBefore: map[string]time.Time{}}
}

// Run polls until ctx ends: each round reads the feeds that are due and
// sends the queued posts, then it sleeps until the next feed is due.
func (p *Poller) Run(ctx context.Context) {
	p.log.Info("reading feeds", "feeds", len(p.c.Sources), "interval", p.c.Interval)
	for {
		next := p.Poll(ctx)
		wait := max(next.Sub(p.r.cfg.Now()), time.Second)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// Poll runs one round: it reads every feed that is due (a feed that failed
// is due when its backoff ends, any other one Interval after its last
// read), sends the queued posts, and returns when the next feed is due.
func (p *Poller) Poll(ctx context.Context) (next time.Time) {
	p.start.Do(func() { p.abandon(ctx) })
	now := p.r.cfg.Now()
	next = now.Add(p.c.Interval)
	var mu sync.Mutex
	sooner := func(t time.Time) {
		mu.Lock()
		defer mu.Unlock()
		if t.Before(next) {
			next = t
		}
	}
	var g errgroup.Group
	g.SetLimit(p.c.Parallel)
	for _, src := range p.c.Sources {
		st, err := p.r.State(ctx, src.URL)
		if err != nil {
			p.log.Error("read feed state", "feed", Redact(src.URL), "err", err)
			continue
		}
		if due := p.due(st); due.After(now) {
			sooner(due)
			continue
		}
		g.Go(func() error {
			failed := p.read(ctx, src)
			p.mu.Lock()
			if failed {
				p.notBefore[src.URL] = p.r.cfg.Now().Add(p.r.cfg.RetryMin)
			} else {
				delete(p.notBefore, src.URL)
			}
			p.mu.Unlock()
			if st, err := p.r.State(ctx, src.URL); err == nil {
				sooner(p.due(st))
			}
			return nil
		})
	}
	g.Wait()
	if ctx.Err() == nil {
		p.send(ctx)
	}
	return next
}

// due is when a feed is next read: as its state says, and not before
// RetryMin after a failed read.
func (p *Poller) due(st store.FeedState) time.Time {
	var due time.Time
	switch {
	case st.Failures > 0:
		due = st.NextTry
	case !st.Checked.IsZero():
		due = st.Checked.Add(p.c.Interval)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if nb := p.notBefore[st.URL]; nb.After(due) {
		return nb
	}
	return due
}

// read reads one feed, logs what happened, and reports whether the read
// failed (not when ctx ended).
func (p *Poller) read(ctx context.Context, src Source) (failed bool) {
	log := p.log.With("feed", Redact(src.URL))
	res, err := p.r.Read(ctx, src.URL, p.channels(ctx, src.Channels))
	if err != nil {
		if ctx.Err() != nil {
			return false
		}
		level := slog.LevelWarn
		st, serr := p.r.State(ctx, src.URL)
		if serr == nil && st.Failures >= failuresForError {
			level = slog.LevelError
		}
		log.Log(ctx, level, "feed read failed; will retry", "err", err, "failures", st.Failures, "retry_at", st.NextTry)
		return true
	}
	for _, f := range res.Failures {
		log.Warn("feed entry not stored; will retry on the next read", "entry", f.Source, "reason", f.Reason)
	}
	level := slog.LevelDebug
	if res.Added+res.Updated+res.Failed > 0 {
		level = slog.LevelInfo
	}
	log.Log(ctx, level, "feed read", "not_modified", res.NotModified, "entries", res.Entries,
		"added", res.Added, "updated", res.Updated, "unchanged", res.Unchanged, "duplicate", res.Duplicate,
		"failed", res.Failed, "text_from_feed", res.FromFeed)
	return false
}

// channels returns a feed's channels and the servers' feed channels. A
// failing lookup of the servers' is logged and leaves them out.
func (p *Poller) channels(ctx context.Context, feed []string) []string {
	servers, err := p.serverChannels(ctx)
	if err != nil {
		p.log.Error("read the servers' feed channels", "err", err)
	}
	out := append([]string(nil), feed...)
	for _, ch := range servers {
		if !slices.Contains(out, ch) {
			out = append(out, ch)
		}
	}
	return out
}

// serverChannels returns the servers' feed channels, sorted.
func (p *Poller) serverChannels(ctx context.Context) ([]string, error) {
	if p.c.ServerChannels == nil {
		return nil, nil
	}
	byServer, err := p.c.ServerChannels(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Sorted(maps.Values(byServer)), nil // map order is random
}

// abandon marks the posts a previous run left sending as unsure.
func (p *Poller) abandon(ctx context.Context) {
	ps, err := p.st.AbandonPosts(ctx)
	if err != nil {
		p.log.Error("check for interrupted posts", "err", err)
		return
	}
	for _, po := range ps {
		p.log.Warn("storybot stopped while posting this story: it may or may not be in the channel, and is not posted again",
			"channel", po.Channel, "story", po.StoryID)
	}
}

// send sends the queued posts, oldest first.
func (p *Poller) send(ctx context.Context) {
	if p.c.Poster == nil {
		return
	}
	posts, err := p.st.PendingPosts(ctx, postsPerRound)
	if err != nil {
		p.log.Error("read queued posts", "err", err)
		return
	}
	channels := map[string]bool{}
	for _, src := range p.c.Sources {
		for _, ch := range src.Channels {
			channels[ch] = true
		}
	}
	servers, err := p.serverChannels(ctx)
	known := err == nil // every channel still posted to
	if !known {
		p.log.Error("read the servers' feed channels; no queued post is dropped this round", "err", err)
	}
	for _, ch := range servers {
		channels[ch] = true
	}
	for _, po := range posts {
		if ctx.Err() != nil {
			return
		}
		switch {
		case channels[po.Channel]:
			p.post(ctx, po)
		case known:
			p.drop(ctx, po)
		}
		// Else it may be for a server's channel: it waits for the next round.
	}
}

// drop gives up a post queued for a channel no feed posts to any more.
func (p *Poller) drop(ctx context.Context, po store.Post) {
	if ok, err := p.st.ClaimPost(ctx, po.Channel, po.StoryID); err != nil || !ok {
		return
	}
	const why = "no feed posts to the channel any more"
	if err := p.st.EndPost(ctx, po.Channel, po.StoryID, store.PostFailed, why); err != nil {
		p.log.Error("record post", "channel", po.Channel, "story", po.StoryID, "err", err)
		return
	}
	p.log.Warn("queued post dropped: "+why, "channel", po.Channel, "story", po.StoryID)
}

// post sends one queued post and records the outcome.
func (p *Poller) post(ctx context.Context, po store.Post) {
	log := p.log.With("channel", po.Channel, "story", po.StoryID)
	ok, err := p.st.ClaimPost(ctx, po.Channel, po.StoryID)
	if err != nil {
		log.Error("claim post", "err", err)
		return
	}
	if !ok {
		return // another sender has it, or it is done
	}
	po.Attempts++
	// The outcome is recorded even when ctx ends meanwhile (shutdown).
	rec := context.WithoutCancel(ctx)
	end := func(state store.PostState, note string) {
		err := p.st.EndPost(rec, po.Channel, po.StoryID, state, note)
		switch {
		case errors.Is(err, store.ErrPostNotSending):
			log.Error("post outcome not recorded: the post was no longer sending (another poller may have marked it unsure)",
				"state", state, "note", note, "err", err)
		case err != nil:
			log.Error("record post", "state", state, "note", note, "err", err)
		}
	}
	s, err := p.st.Get(ctx, po.StoryID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			log.Error("post failed: the story is no longer stored", "err", err)
			end(store.PostFailed, err.Error())
			return
		}
		log.Warn("post failed: could not read the story; will retry", "err", err)
		end(store.PostPending, err.Error())
		return
	}
	pctx, cancel := context.WithTimeout(ctx, postTimeout)
	id, err := p.c.Poster.Post(pctx, po.Channel, s)
	cancel()
	switch {
	case err == nil:
		log.Info("story posted", "message", id, "title", s.Title)
		end(store.PostSent, id)
	case notSent(err) && po.Attempts < maxPostAttempts:
		log.Warn("post failed; will retry", "err", err, "attempt", po.Attempts)
		end(store.PostPending, err.Error())
	case notSent(err):
		log.Error("post failed; giving up", "err", err, "attempts", po.Attempts)
		end(store.PostFailed, err.Error())
	default:
		log.Error("post failed after it may have reached Discord; not retried, so the story is never posted twice", "err", err)
		end(store.PostUnsure, err.Error())
	}
}

// notSent reports whether err says a message was surely not created.
func notSent(err error) bool {
	var ns interface{ NotSent() bool }
	return errors.As(err, &ns) && ns.NotSent()
}
