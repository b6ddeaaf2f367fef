package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storybot/storybot/answer"
	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/internal/fakediscord"
	"github.com/storybot/storybot/internal/shared"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/llm/mock"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/store/sqlite"
	"github.com/storybot/storybot/summarize"
)

var day = time.Date(2026, 11, 2, 18, 42, 0, 0, time.UTC)

// testStories: the newest is the storm; one holds "@everyone".
var testStories = []article.Article{
	{Title: "Council approves 240 riverside homes", Body: "Hollinsford council approved 240 homes by the River Wend on Monday.\nResidents warned that the land floods every winter.", Published: day, URL: "https://example.com/homes", Author: "Tom Okafor"},
	{Title: "Storm cuts power to 9,000 homes", Body: "About 9,000 homes lost power overnight as Storm Imogen hit.\nEngineers worked through the night to restore supplies.", Published: day.Add(72 * time.Hour)},
	{Title: "Library reopens after fire", Body: "The library in Tonbridge reopened two years after a fire.\nVisitors queued from early morning.", Published: day.Add(24 * time.Hour)},
	{Title: "Fans told @everyone welcome at open day", Body: "The club posted \"@everyone is welcome\" on its page on Friday.\nThe open day starts at 10am at the ground.", Published: day.Add(-24 * time.Hour)},
}

// fakeOptions returns options for the fake, with the shared schemas when
// they are here (the docs-only checks run either way).
func fakeOptions(t testing.TB) fakediscord.Options {
	if _, ok := shared.Find(); !ok {
		t.Log("shared discord-api data absent: validating limits only, not schemas")
		return fakediscord.Options{}
	}
	return fakediscord.Options{
		Spec:   shared.Path(t, "discord-api", "discord-openapi-subset.json"),
		Limits: shared.Path(t, "discord-api", "limits.json"),
	}
}

type harness struct {
	bot   *bot.Bot
	fake  *fakediscord.Server
	db    *sqlite.DB
	calls *atomic.Int32
	stop  func()
}

type setup struct {
	chunkDelay time.Duration // pause between the mock's streamed chunks
	model      string
	timeout    time.Duration // model timeout; default 2 s
	extra      []article.Article
	config     func(*bot.Config)
	// extractiveAnswers leaves the bot without an Answerer: /ask quotes.
	extractiveAnswers bool
	fake              *fakediscord.Server // reuse this fake (a restart)
	db                *sqlite.DB
	// noUsage makes the model server report no token usage, as some do.
	noUsage bool
	// modelCalls and modelWait are the model's cap on calls at once
	// (llm.NewLimit; zero: its defaults).
	modelCalls int
	modelWait  time.Duration
	// wrapModel, when set, wraps the mock model's handler (to watch it).
	wrapModel func(http.Handler) http.Handler
}

// start runs a bot against a fake Discord, a mock model and a real SQLite
// store. Cleanup stops the bot and fails the test if any body the bot sent
// broke a schema or a limit.
func start(t testing.TB, s setup) *harness {
	t.Helper()
	if testing.Short() {
		t.Skip("end to end against the fake Discord and the mock model: the second tier, run without -short")
	}
	ctx := context.Background()
	h := &harness{fake: s.fake, db: s.db, calls: new(atomic.Int32)}
	if h.fake == nil {
		f, err := fakediscord.Start(fakeOptions(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(f.Close)
		t.Cleanup(func() {
			for _, r := range f.Requests() {
				if len(r.Problems) > 0 {
					t.Errorf("%s %s broke Discord's rules: %q\n%s", r.Method, r.Path, r.Problems, r.Body)
				}
			}
		})
		h.fake = f
	}
	if h.db == nil {
		db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		if _, err := db.Put(ctx, append(append([]article.Article(nil), testStories...), s.extra...)); err != nil {
			t.Fatal(err)
		}
		h.db = db
	}
	if s.model == "" {
		s.model = mock.Model
	}
	if s.timeout == 0 {
		s.timeout = 2 * time.Second
	}
	var mh http.Handler = mock.NewServer(mock.Options{ChunkDelay: s.chunkDelay})
	if s.noUsage {
		mh = withoutUsage(mh)
	}
	if s.wrapModel != nil {
		mh = s.wrapModel(mh)
	}
	msrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.calls.Add(1)
		mh.ServeHTTP(w, r)
	}))
	log := slog.New(slog.DiscardHandler)
	c, err := llm.New(llm.Config{BaseURL: msrv.URL + "/v1", Model: s.model, Timeout: s.timeout}, llm.WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	cfg := bot.Config{Token: h.fake.Token(), AppID: h.fake.AppID(), APIURL: h.fake.APIURL(), UserBurst: 1000, Grace: 10 * time.Second, Log: log}
	if s.config != nil {
		s.config(&cfg)
	}
	limited := llm.NewLimit(c, s.modelCalls, s.modelWait)
	svc := summarize.NewService(summarize.Config{Prompts: set, Model: limited, Timeout: s.timeout, Cache: h.db, Log: log})
	if !s.extractiveAnswers {
		cfg.Answerer = answer.NewService(answer.Config{Prompts: set, Model: limited, Timeout: s.timeout, Cache: h.db, Log: log})
	}
	b, err := bot.New(cfg, h.db, svc)
	if err != nil {
		t.Fatal(err)
	}
	h.bot = b
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- b.Run(rctx) }()
	var stopped bool
	h.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		msrv.CloseClientConnections()
		msrv.Close()
	}
	t.Cleanup(h.stop)
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	connected := make(chan error, 1)
	go func() {
		var err error
		if !cfg.HTTPOnly {
			err = h.fake.WaitConnected(wctx)
		}
		if err == nil {
			select {
			case <-b.Ready():
			case <-wctx.Done():
				err = wctx.Err()
			}
		}
		connected <- err
	}()
	select {
	case err := <-connected:
		if err != nil {
			t.Fatal(err)
		}
	case err := <-done:
		stopped = true
		t.Fatalf("run ended before connecting: %v", err)
	}
	return h
}

// bound is how long a test waits for an event before it gives up: a
// safeguard against a hang, not a measurement.
const bound = 60 * time.Second

func (h *harness) send(t testing.TB, in fakediscord.Interaction) fakediscord.Interaction {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	in, err := h.fake.Send(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func (h *harness) wait(t testing.TB, match func(fakediscord.Request) bool) fakediscord.Request {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	r, err := h.fake.Wait(ctx, match)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// ok matches a request of kind for interaction id that was answered 2xx.
func ok(kind, id string) func(fakediscord.Request) bool {
	return func(r fakediscord.Request) bool {
		return r.Kind == kind && r.InteractionID == id && r.Status/100 == 2
	}
}

// final matches the reply to interaction id, answered 2xx: the first
// response when the reply was ready within the acknowledgement window
// (a callback of type 4), else the edit of the deferred response that is
// not a draft (drafts show while the model writes, footed "Writing…").
func final(id string) func(fakediscord.Request) bool {
	return func(r fakediscord.Request) bool {
		if ok(fakediscord.KindCallback, id)(r) {
			typ, _ := r.Callback()
			return typ == 4
		}
		return ok(fakediscord.KindEdit, id)(r) && !isDraft(r)
	}
}

// isDraft reports whether r is an edit that shows a draft.
func isDraft(r fakediscord.Request) bool {
	return r.Kind == fakediscord.KindEdit && strings.Contains(string(r.Body), "Writing…")
}

// message is the part of a message body the tests read.
type message struct {
	Content string `json:"content"`
	Flags   int    `json:"flags"`
	Embeds  []struct {
		Title       string `json:"title"`
		URL         string `json:"url"`
		Description string `json:"description"`
		Fields      []struct {
			Name  string `json:"name"`
			Value string `json:"value"`
		} `json:"fields"`
		Footer struct {
			Text string `json:"text"`
		} `json:"footer"`
	} `json:"embeds"`
	AllowedMentions *struct {
		Parse []string `json:"parse"`
	} `json:"allowed_mentions"`
	Choices []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"choices"`
}

// decode reads a message from a request body: an edit's, or the data of
// a callback.
func decode(t testing.TB, b []byte) message {
	t.Helper()
	var cb struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(b, &cb) == nil && cb.Type != 0 && len(cb.Data) > 0 {
		b = cb.Data
	}
	var m message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return m
}

// command is a /story or /ask in a guild from user.
func command(name, user string, opts ...string) fakediscord.Interaction {
	in := fakediscord.Interaction{Command: name, UserID: user, GuildID: "600000000000000001"}
	for i := 0; i+1 < len(opts); i += 2 {
		in.Options = append(in.Options, fakediscord.Option{Name: opts[i], Value: opts[i+1]})
	}
	return in
}

func user(n int) string { return fmt.Sprintf("4000000000%08d", n) }
