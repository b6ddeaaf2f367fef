package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/article"
	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/discordtext"
	"github.com/storybot/storybot/internal/fakediscord"
	"github.com/storybot/storybot/internal/hostile"
	"github.com/storybot/storybot/newstext"
	"github.com/storybot/storybot/prompts"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/sqlite"
	"github.com/storybot/storybot/summarize"
)

// poster returns a bot (not connected) that posts through apiURL, with
// the extractive summarizer, and a stored story that says "@everyone".
func poster(t *testing.T, apiURL string, timeout time.Duration) (commands.Poster, store.Story) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	a := article.Article{Title: "Fans told @everyone welcome at open day", URL: "https://example.com/open-day",
		Body:      strings.Repeat("The club posted \"@everyone is welcome\" on its page on Friday. The open day starts at 10am at the ground.\n", 80),
		Published: day, Author: "Ann Lee"}
	res, err := db.Put(ctx, []article.Article{a})
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.Get(ctx, res[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	set, err := prompts.Load("")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	sum := summarize.NewService(summarize.Config{Prompts: set, Cache: db, Log: log})
	b, err := bot.New(bot.Config{Token: "test-token", AppID: "100000000000000001", APIURL: apiURL, Log: log,
		HTTPClient: &http.Client{Timeout: timeout}}, db, sum)
	if err != nil {
		t.Fatal(err)
	}
	return commands.Poster{Summarizer: sum, Send: b.PostReply}, s
}

func TestPost(t *testing.T) {
	fake, err := fakediscord.Start(fakeOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	b, s := poster(t, fake.APIURL(), 30*time.Second)
	const channel = "700000000000000001"
	id, err := b.Post(context.Background(), channel, s)
	if err != nil {
		t.Fatal(err)
	}
	var sent []fakediscord.Request
	for _, r := range fake.Requests() {
		if r.Kind == fakediscord.KindMessage {
			sent = append(sent, r)
		}
	}
	if len(sent) != 1 {
		t.Fatalf("got %d messages, want 1", len(sent))
	}
	r := sent[0]
	if r.Status != 200 || len(r.Problems) > 0 {
		t.Fatalf("got status %d, problems %q\n%s", r.Status, r.Problems, r.Body)
	}
	if r.Channel != channel || id == "" {
		t.Errorf("got channel %q message %q, want %q and an ID", r.Channel, id, channel)
	}
	m := decode(t, r.Body)
	if m.AllowedMentions == nil || m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Errorf("got allowed_mentions %s, want {\"parse\": []}", r.Body)
	}
	if len(m.Embeds) != 1 {
		t.Fatalf("got %d embeds, want 1", len(m.Embeds))
	}
	e := m.Embeds[0]
	if want := discordtext.Markdown(s.Title); e.Title != want || e.URL != s.URL {
		t.Errorf("got title %q url %q, want %q %q", e.Title, e.URL, want, s.URL)
	}
	if n := newstext.Words(e.Description); n == 0 || n > summarize.Brief.Budget().MaxWords {
		t.Errorf("got a summary of %d words, want a brief one: %q", n, e.Description)
	}
}

func TestPostErrorSaysWhetherSent(t *testing.T) {
	forbidden := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"message": "Missing Permissions", "code": 50013}`))
	}))
	defer forbidden.Close()
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(release)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	tests := []struct {
		name        string
		url         string
		wantNotSent bool
	}{
		{"discord refused", forbidden.URL + "/api/v9/", true},
		{"no connection", closed.URL + "/api/v9/", true},
		{"no answer in time", hanging.URL + "/api/v9/", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, s := poster(t, tt.url, 200*time.Millisecond)
			_, err := b.Post(context.Background(), "700000000000000001", s)
			var pe *bot.PostError
			if !errors.As(err, &pe) {
				t.Fatalf("got %v, want a *bot.PostError", err)
			}
			if pe.NotSent() != tt.wantNotSent {
				t.Errorf("got NotSent %v, want %v (%v)", pe.NotSent(), tt.wantNotSent, err)
			}
			if tt.name == "discord refused" && !strings.Contains(err.Error(), "the bot needs View Channel, Send Messages and Embed Links") {
				t.Errorf("got %v, want it to say which permissions the bot needs", err)
			}
		})
	}
}

// TestPostHostile: a feed post of a hostile story (title, body, author)
// shows plain text, within Discord's limits (the fake checks them), with
// the story's URL its one link.
func TestPostHostile(t *testing.T) {
	fake, err := fakediscord.Start(fakeOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	b, _ := poster(t, fake.APIURL(), 30*time.Second)
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const storyURL = "https://example.com/hostile"
	posted := 0
	for _, c := range hostile.Cases() {
		title := strings.ToValidUTF8(c.Text, "?")
		if r := []rune(title); len(r) > 400 {
			title = string(r[:400])
		}
		a := article.Article{Title: title, URL: storyURL, Author: title, Published: day,
			Body: c.Text + "\nThe council met on Monday to discuss the plan.\n" + c.Text}
		res, err := db.Put(context.Background(), []article.Article{a})
		if err != nil {
			t.Logf("%s: not stored (%v)", c.Name, err)
			continue
		}
		s, err := db.Get(context.Background(), res[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Post(context.Background(), "700000000000000001", s); err != nil {
			t.Errorf("%s: %v", c.Name, err)
			continue
		}
		posted++
	}
	if posted < len(hostile.Cases())/2 {
		t.Fatalf("only %d of %d hostile stories posted", posted, len(hostile.Cases()))
	}
	for _, r := range fake.Requests() {
		if r.Kind != fakediscord.KindMessage {
			continue
		}
		if len(r.Problems) > 0 {
			t.Errorf("broke Discord's rules: %q", r.Problems)
		}
		e := decode(t, r.Body).Embeds[0]
		check := func(field, s string) {
			s = strings.TrimSuffix(s, discordtext.TrimNote)
			if p := hostile.Renders(s, hostile.Options{Links: []string{storyURL}}); len(p) > 0 {
				t.Errorf("%s: %q\n%.300q", field, p, s)
			}
		}
		check("title", e.Title)
		check("description", e.Description)
		for _, f := range e.Fields {
			if f.Name != "Published" && f.Name != "Updated" {
				check("field "+f.Name, f.Value)
			}
		}
		if p := hostile.Literal(e.Footer.Text, hostile.Options{}); len(p) > 0 {
			t.Errorf("footer: %q", p)
		}
		if e.URL != storyURL {
			t.Errorf("URL %q, want the story's", e.URL)
		}
	}
}
