package feed

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/internal/fakediscord"
	"github.com/storybot/storybot/internal/shared"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/postgres"
	"github.com/storybot/storybot/store/sqlite"
	"github.com/storybot/storybot/summarize"
)

var _ Poster = commands.Poster{}

var (
	_ Store     = (*sqlite.DB)(nil)
	_ PollStore = (*sqlite.DB)(nil)
	_ Store     = (*postgres.DB)(nil)
	_ PollStore = (*postgres.DB)(nil)
)

// TestBackoff: a failing feed is read again after 1, 2, 4… minutes (or
// what Retry-After asks), not before, and is read on schedule again once it
// recovers.
func TestBackoff(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	var mu sync.Mutex
	status, retryAfter := http.StatusInternalServerError, ""
	s.handle("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if status != http.StatusOK {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(status)
			return
		}
		w.Write([]byte(rss(item("a", "Back again", "/none", t0, "The feed works again."))))
	})
	set := func(code int, ra string) {
		mu.Lock()
		defer mu.Unlock()
		status, retryAfter = code, ra
	}
	db, _ := testDB(t)
	c := newClock()
	r := New(testConfig(c), db)
	p := NewPoller(r, db, PollConfig{Sources: []Source{{URL: s.url("/feed.xml")}}, Interval: 15 * time.Minute})

	reads := 0
	step := func(advance time.Duration, wantRead bool, wantNext time.Duration) {
		t.Helper()
		c.Add(advance)
		next := p.Poll(ctx)
		if wantRead {
			reads++
		}
		if got := s.count("/feed.xml"); got != reads {
			t.Fatalf("at +%v: got %d reads, want %d", c.Now().Sub(t0), got, reads)
		}
		if got := next.Sub(c.Now()); got != wantNext {
			t.Fatalf("at +%v: next read in %v, want %v", c.Now().Sub(t0), got, wantNext)
		}
	}
	step(0, true, time.Minute)                  // failure 1: retry in 1m
	step(30*time.Second, false, 30*time.Second) // not yet
	step(30*time.Second, true, 2*time.Minute)   // failure 2: 2m
	step(2*time.Minute, true, 4*time.Minute)    // failure 3: 4m
	set(http.StatusServiceUnavailable, "600")
	step(4*time.Minute, true, 10*time.Minute) // failure 4: the server asks for 10m, more than 8m
	st, _ := db.FeedState(ctx, s.url("/feed.xml"))
	if st.Failures != 4 || !strings.Contains(st.LastError, "503") {
		t.Errorf("got state %+v, want 4 failures, the last a 503", st)
	}
	set(http.StatusOK, "")
	step(10*time.Minute, true, 15*time.Minute) // recovered: every Interval again
	step(15*time.Minute, true, 15*time.Minute)
	if st, _ := db.FeedState(ctx, s.url("/feed.xml")); st.Failures != 0 || st.LastError != "" {
		t.Errorf("got state %+v, want no failures", st)
	}
	if got := (Config{}).withDefaults().backoff(20); got != DefaultRetryMax {
		t.Errorf("got a backoff of %v after 20 failures, want the cap %v", got, DefaultRetryMax)
	}
}

// fakePoster records posts and fails as told.
type fakePoster struct {
	mu    sync.Mutex
	posts []string // channel/story
	errs  []error  // returned by the next posts, in order
}

func (f *fakePoster) Post(ctx context.Context, channel string, s store.Story) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return "", err
	}
	f.posts = append(f.posts, channel+"/"+s.ID)
	return fmt.Sprint("m", len(f.posts)), nil
}

type notSentError struct{}

func (notSentError) Error() string { return "discord said no" }
func (notSentError) NotSent() bool { return true }

// newsroom is a site with a feed whose entries the test adds.
type newsroom struct {
	*site
	mu      sync.Mutex
	entries []string
}

func newNewsroom(t *testing.T) *newsroom {
	n := &newsroom{site: newSite(t)}
	n.handle("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		defer n.mu.Unlock()
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(rss(n.entries...)))
	})
	return n
}

// add publishes a story with its page.
func (n *newsroom) add(slug, title string, published time.Time, paras ...string) {
	n.serve("/"+slug, "text/html", htmlPage(title, paras...))
	n.mu.Lock()
	defer n.mu.Unlock()
	n.entries = append(n.entries, item(slug, title, "/"+slug, published, paras[0]))
}

func TestPostRetries(t *testing.T) {
	ctx := context.Background()
	n := newNewsroom(t)
	n.add("old", "Old story", t0.Add(-time.Hour), story("The old road")...)
	db, _ := testDB(t)
	c := newClock()
	fp := &fakePoster{}
	src := []Source{{URL: n.url("/feed.xml"), Channels: []string{"c1", "c2"}}}
	p := NewPoller(New(testConfig(c), db), db, PollConfig{Sources: src, Poster: fp})
	p.Poll(ctx) // the first read: the backlog is stored, not posted
	if len(fp.posts) != 0 {
		t.Fatalf("got posts %v of the backlog, want none", fp.posts)
	}

	n.add("new", "New story", t0, story("The new road")...)
	// c1's first attempt fails surely not sent (tried again next round);
	// c2's may have been sent (never tried again).
	fp.errs = []error{notSentError{}, errors.New("connection reset")}
	c.Add(DefaultInterval)
	p.Poll(ctx)
	if len(fp.posts) != 0 {
		t.Fatalf("got posts %v, want none yet", fp.posts)
	}
	c.Add(DefaultInterval)
	p.Poll(ctx)
	c.Add(DefaultInterval)
	p.Poll(ctx)
	id, _ := db.StoryIDByURL(ctx, n.url("/new"))
	if want := []string{"c1/" + id}; fmt.Sprint(fp.posts) != fmt.Sprint(want) {
		t.Errorf("got posts %v, want %v", fp.posts, want)
	}
}

// TestInterruptedPostNotResent: a post left sending by a run that stopped
// mid-send is not sent again.
func TestInterruptedPostNotResent(t *testing.T) {
	ctx := context.Background()
	db, path := testDB(t)
	res, err := db.Put(ctx, []article.Article{{Title: "T", Body: "B.", Published: t0}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	if err := db.PutFeedItems(ctx, "f", []store.FeedItem{{GUID: "g", StoryID: id}}, []string{"c1"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.ClaimPost(ctx, "c1", id); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	// storybot stops here, and starts again.
	fp := &fakePoster{}
	NewPoller(New(testConfig(newClock()), db), db, PollConfig{Poster: fp}).Poll(ctx)
	if len(fp.posts) != 0 {
		t.Errorf("got posts %v, want none", fp.posts)
	}
	if got := postState(t, path, "c1", id); got != store.PostUnsure {
		t.Errorf("got state %q, want %q", got, store.PostUnsure)
	}
}

// TestPostForRemovedChannelDropped: a post queued for a channel that is no
// longer configured is not sent.
func TestPostForRemovedChannelDropped(t *testing.T) {
	ctx := context.Background()
	db, _ := testDB(t)
	res, err := db.Put(ctx, []article.Article{{Title: "T", Body: "B.", Published: t0}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutFeedItems(ctx, "f", []store.FeedItem{{GUID: "g", StoryID: res[0].ID}}, []string{"old"}); err != nil {
		t.Fatal(err)
	}
	fp := &fakePoster{}
	NewPoller(New(testConfig(newClock()), db), db, PollConfig{Sources: []Source{{URL: "http://127.0.0.1:1/f", Channels: []string{"new"}}}, Poster: fp}).Poll(ctx)
	if len(fp.posts) != 0 {
		t.Errorf("got posts %v, want none", fp.posts)
	}
	if ps, _ := db.PendingPosts(ctx, 10); len(ps) != 0 {
		t.Errorf("got pending %v, want none", ps)
	}
}

// TestPollerPostsOnce runs the poller with the bot against a fake Discord
// and a real SQLite file: a new story is posted once, /story autocomplete
// and /ask find it at once, and after a restart it is not posted again.
func TestPollerPostsOnce(t *testing.T) {
	ctx := context.Background()
	fake := startFake(t)
	n := newNewsroom(t)
	n.add("market", "Market hall to close for repairs", t0.Add(-24*time.Hour), story("The market hall")...)
	_, path := testDB(t) // the file; each run opens its own connection
	c := newClock()
	const channel = "700000000000000001"
	src := []Source{{URL: n.url("/feed.xml"), Channels: []string{channel}}}

	// run is one storybot run: the bot and the poller over the same file.
	run := func(rounds int) *sqlite.DB {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		_, poster := newBot(t, fake, db)
		p := NewPoller(New(testConfig(c), db), db, PollConfig{Sources: src, Poster: poster})
		for range rounds {
			p.Poll(ctx)
			c.Add(DefaultInterval)
		}
		return db
	}
	db := run(1)
	if got := messages(fake, channel); len(got) != 0 {
		t.Fatalf("got %d posts of the backlog, want none", len(got))
	}
	n.add("zebra", "Zebra crossing approved outside school", t0, story("The zebra crossing")...)
	db.Close()
	db = run(2)
	got := messages(fake, channel)
	if len(got) != 1 {
		t.Fatalf("got %d posts, want 1", len(got))
	}
	if len(got[0].Problems) > 0 || got[0].Status != 200 {
		t.Fatalf("the post broke Discord's rules: %q\n%s", got[0].Problems, got[0].Body)
	}
	if body := string(got[0].Body); !strings.Contains(body, "Zebra crossing approved outside school") || !strings.Contains(body, `"allowed_mentions":{"parse":[]`) {
		t.Errorf("got post %s, want the new story's embed pinging no one", body)
	}

	// The bot sees the story at once.
	b, _ := newBot(t, fake, db)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(rctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	ac := send(t, fake, fakediscord.Interaction{Type: fakediscord.TypeAutocomplete, Command: "story", GuildID: "600000000000000001",
		Options: []fakediscord.Option{{Name: "query", Value: "zebra", Focused: true}}}, fakediscord.KindCallback)
	if !strings.Contains(string(ac.Body), "Zebra crossing approved") {
		t.Errorf("autocomplete: got %s, want the new story", ac.Body)
	}
	ask := send(t, fake, fakediscord.Interaction{Command: "ask", GuildID: "600000000000000001",
		Options: []fakediscord.Option{{Name: "question", Value: "Was the zebra crossing approved?"}}}, fakediscord.KindCallback)
	if typ, _ := ask.Callback(); typ == 5 { // deferred: the reply is an edit
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var err error
		if ask, err = fake.Wait(ctx, fakediscord.For(fakediscord.KindEdit, ask.InteractionID)); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(string(ask.Body), "Zebra crossing") {
		t.Errorf("/ask: got %s, want an answer from the new story", ask.Body)
	}
	db.Close()

	// A restart: the feed still lists the story, and it is not posted again.
	reads := n.count("/feed.xml")
	run(2).Close()
	if got := n.count("/feed.xml"); got != reads+2 {
		t.Errorf("after a restart: the feed was read %d times, want 2", got-reads)
	}
	if got := messages(fake, channel); len(got) != 1 {
		t.Errorf("after a restart: got %d posts, want still 1", len(got))
	}
}

func TestRunStops(t *testing.T) {
	db, _ := testDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		NewPoller(New(testConfig(newClock()), db), db, PollConfig{}).Run(ctx)
		close(done)
	}()
	cancel()
	<-done
}

func startFake(t *testing.T) *fakediscord.Server {
	t.Helper()
	var o fakediscord.Options
	if _, ok := shared.Find(); ok {
		o.Spec = shared.Path(t, "discord-api", "discord-openapi-subset.json")
		o.Limits = shared.Path(t, "discord-api", "limits.json")
	} else {
		t.Log("shared discord-api data absent: validating limits only, not schemas")
	}
	fake, err := fakediscord.Start(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return fake
}

// newBot returns a bot for fake over db with the extractive summarizer,
// and the poster that posts through it.
func newBot(t *testing.T, fake *fakediscord.Server, db *sqlite.DB) (*bot.Bot, commands.Poster) {
	t.Helper()
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	sum := summarize.NewService(summarize.Config{Prompts: set, Cache: db, Log: log})
	b, err := bot.New(bot.Config{Token: fake.Token(), AppID: fake.AppID(), APIURL: fake.APIURL(), Log: log}, db, sum)
	if err != nil {
		t.Fatal(err)
	}
	return b, commands.Poster{Summarizer: sum, Send: b.PostReply}
}

// messages returns the messages posted to channel.
func messages(fake *fakediscord.Server, channel string) []fakediscord.Request {
	var out []fakediscord.Request
	for _, r := range fake.Requests() {
		if r.Kind == fakediscord.KindMessage && r.Channel == channel {
			out = append(out, r)
		}
	}
	return out
}

// send dispatches in and returns the first request of kind answering it.
func send(t *testing.T, fake *fakediscord.Server, in fakediscord.Interaction, kind string) fakediscord.Request {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a safeguard against a hang
	defer cancel()
	in, err := fake.Send(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	r, err := fake.Wait(ctx, fakediscord.For(kind, in.ID))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A server's feed channel (its settings) gets every feed's new stories,
// beside the feed's own channels.
func TestServerFeedChannel(t *testing.T) {
	ctx := context.Background()
	n := newNewsroom(t)
	n.add("old", "Old story", t0.Add(-time.Hour), story("The old road")...)
	db, _ := testDB(t)
	c := newClock()
	fp := &fakePoster{}
	servers := func(context.Context) (map[string]string, error) {
		return map[string]string{"g1": "s1", "g2": "c1"}, nil
	}
	src := []Source{{URL: n.url("/feed.xml"), Channels: []string{"c1"}}}
	p := NewPoller(New(testConfig(c), db), db, PollConfig{Sources: src, Poster: fp, ServerChannels: servers})
	p.Poll(ctx)
	n.add("new", "New story", t0, story("The new road")...)
	c.Add(DefaultInterval)
	p.Poll(ctx)
	id, _ := db.StoryIDByURL(ctx, n.url("/new"))
	if want := []string{"c1/" + id, "s1/" + id}; fmt.Sprint(fp.posts) != fmt.Sprint(want) {
		t.Errorf("got posts %v, want %v", fp.posts, want)
	}
}

// stateless is a store that cannot record a feed's state.
type stateless struct{ *sqlite.DB }

func (stateless) PutFeedState(context.Context, store.FeedState) error {
	return errors.New("disk I/O error")
}

// A feed whose failure cannot be recorded is still not read again before
// RetryMin.
func TestUnrecordedFailureWaits(t *testing.T) {
	ctx := context.Background()
	s := newSite(t) // the feed is missing
	db, _ := testDB(t)
	c := newClock()
	p := NewPoller(New(testConfig(c), stateless{db}), db, PollConfig{Sources: []Source{{URL: s.url("/feed.xml")}}})
	if next := p.Poll(ctx); next.Sub(c.Now()) != DefaultRetryMin {
		t.Errorf("got the next round in %v, want %v", next.Sub(c.Now()), DefaultRetryMin)
	}
	c.Add(DefaultRetryMin / 2)
	p.Poll(ctx)
	if got := s.count("/feed.xml"); got != 1 {
		t.Errorf("got %d reads before RetryMin, want 1", got)
	}
	c.Add(DefaultRetryMin / 2)
	p.Poll(ctx)
	if got := s.count("/feed.xml"); got != 2 {
		t.Errorf("got %d reads after RetryMin, want 2", got)
	}
}

// A failing lookup of the servers' feed channels drops no queued post:
// the post waits for the next round.
func TestServerChannelsLookupFails(t *testing.T) {
	ctx := context.Background()
	db, _ := testDB(t)
	res, err := db.Put(ctx, []article.Article{{Title: "T", Body: "B.", Published: t0}})
	if err != nil {
		t.Fatal(err)
	}
	id := res[0].ID
	if err := db.PutFeedItems(ctx, "f", []store.FeedItem{{GUID: "g", StoryID: id}}, []string{"s1"}); err != nil {
		t.Fatal(err)
	}
	const feedURL = "http://127.0.0.1:1/feed.xml"
	// The feed was just read: these rounds only send.
	if err := db.PutFeedState(ctx, store.FeedState{URL: feedURL, Checked: t0, OK: t0}); err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	servers := func(context.Context) (map[string]string, error) {
		if calls.Add(1) == 1 {
			return nil, errors.New("database is locked")
		}
		return map[string]string{"g1": "s1"}, nil
	}
	fp := &fakePoster{}
	p := NewPoller(New(testConfig(newClock()), db), db, PollConfig{
		Sources: []Source{{URL: feedURL, Channels: []string{"c1"}}}, Poster: fp, ServerChannels: servers})
	p.Poll(ctx)
	if ps, _ := db.PendingPosts(ctx, 10); len(fp.posts) != 0 || len(ps) != 1 {
		t.Fatalf("after a failed lookup: got posts %v, pending %v; want none sent, the post still queued", fp.posts, ps)
	}
	p.Poll(ctx)
	if want := []string{"s1/" + id}; fmt.Sprint(fp.posts) != fmt.Sprint(want) {
		t.Errorf("got posts %v, want %v", fp.posts, want)
	}
}

// A feed's secrets (user information, token=…) are not logged.
func TestSecretsNotLogged(t *testing.T) {
	s := newSite(t) // the feed is missing: its URL is logged with the failure
	feedURL := strings.Replace(s.url("/feed.xml?token=s3cret"), "http://", "http://reader:s3cret@", 1)
	db, _ := testDB(t)
	var buf bytes.Buffer
	cfg := testConfig(newClock())
	cfg.Log = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	NewPoller(New(cfg, db), db, PollConfig{Sources: []Source{{URL: feedURL}}}).Poll(context.Background())
	if log := buf.String(); strings.Contains(log, "s3cret") || !strings.Contains(log, "token=REDACTED") {
		t.Errorf("got log\n%s\nwant the feed named with its secrets redacted", log)
	}
}
