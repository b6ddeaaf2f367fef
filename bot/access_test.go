package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/internal/fakediscord"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/sqlite"
)

// withoutUsage serves next, a model server, as one that reports no token
// usage: it asks for none in streams and drops it from whole replies.
func withoutUsage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req map[string]any
		body, _ := io.ReadAll(r.Body)
		if json.Unmarshal(body, &req) != nil {
			r.Body = io.NopCloser(bytes.NewReader(body))
			next.ServeHTTP(w, r)
			return
		}
		delete(req, "stream_options")
		body, _ = json.Marshal(req)
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		if stream, _ := req["stream"].(bool); stream {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		out := rec.Body.Bytes()
		var rep map[string]any
		if json.Unmarshal(out, &rep) == nil {
			delete(rep, "usage")
			out, _ = json.Marshal(rep)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(out)
	})
}

// A server's budget of calls holds when commands come at once: with one
// call a day for the user, three /story at the same moment make one model
// call, and the other two say the budget is used up.
func TestBudgetConcurrentCommands(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
	putSettings(t, db, store.Settings{Budget: store.Budget{UserCalls: store.Cap(1)}})
	h := start(t, setup{db: db, model: "mock-slow-300ms", timeout: 5 * time.Second, config: func(c *bot.Config) { c.Settings = db }})

	queries := []string{"storm", "library", "riverside homes"} // three stories: no shared model call
	var ins []fakediscord.Interaction
	for _, q := range queries {
		ins = append(ins, h.send(t, command("story", user(1), "query", q)))
	}
	var footers []string
	for _, in := range ins {
		footers = append(footers, footer(decode(t, h.wait(t, final(in.ID)).Body)))
	}
	if n := h.calls.Load(); n != 1 {
		t.Errorf("got %d model calls, want 1 (user_calls=1)", n)
	}
	var model, spent int
	for _, f := range footers {
		switch {
		case strings.HasPrefix(f, "Summarized by mock"):
			model++
		case strings.Contains(f, "your daily model budget is used up"):
			spent++
		}
	}
	if model != 1 || spent != 2 {
		t.Errorf("got footers %q, want one by the model and two saying the budget is used up", footers)
	}
	if s, _, _ := db.UsageOn(context.Background(), guild, "", store.Day(time.Now())); s.Calls != 1 || s.Tokens == 0 {
		t.Errorf("got usage %+v, want 1 call with its tokens", s)
	}
}

// A reserved call is given back when the model was not asked (a cached
// reply) or gave no answer (an error): only answers use the budget.
func TestBudgetReservationGivenBack(t *testing.T) {
	t.Run("cached", func(t *testing.T) {
		db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
		putSettings(t, db, store.Settings{Budget: store.Budget{UserCalls: store.Cap(2)}})
		h := withSettings(t, db, nil, nil)
		for _, step := range []struct{ query, want string }{
			{"storm", "Summarized by mock"},
			{"storm", "Summarized by mock (cached)"}, // costs nothing
			{"library", "Summarized by mock"},
			{"riverside homes", "Offline summary (extractive): your daily model budget is used up"},
		} {
			if _, m := storyReply(t, h, command("story", user(1), "query", step.query)); !strings.HasPrefix(footer(m), step.want) {
				t.Errorf("%s: got footer %q, want %q…", step.query, footer(m), step.want)
			}
		}
		if s, _, _ := db.UsageOn(context.Background(), guild, "", store.Day(time.Now())); s.Calls != 2 {
			t.Errorf("got %d calls counted, want 2", s.Calls)
		}
	})
	t.Run("model error", func(t *testing.T) {
		db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
		putSettings(t, db, store.Settings{Budget: store.Budget{UserCalls: store.Cap(1)}})
		h := start(t, setup{db: db, model: "mock-error-500", config: func(c *bot.Config) { c.Settings = db }})
		for _, q := range []string{"storm", "library"} {
			_, m := storyReply(t, h, command("story", user(1), "query", q))
			if f := footer(m); !strings.HasPrefix(f, "Offline summary (extractive)") || strings.Contains(f, "budget") {
				t.Errorf("%s: got footer %q, want the model's failure, not the budget", q, f)
			}
		}
		if s, _, _ := db.UsageOn(context.Background(), guild, "", store.Day(time.Now())); s.Calls != 0 {
			t.Errorf("got %d calls counted, want 0 for failed calls", s.Calls)
		}
	})
}

// A reply is counted on the day its budget was checked, even when the
// model finishes after midnight UTC.
func TestUsageCountedOnTheDayChecked(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
	putSettings(t, db, store.Settings{Budget: store.Budget{UserCalls: store.Cap(5)}})
	clk := newClock(time.Date(2026, 11, 2, 23, 59, 59, 0, time.UTC))
	h := start(t, setup{db: db, model: "mock-slow-500ms", timeout: 5 * time.Second, config: func(c *bot.Config) {
		c.Settings, c.Now = db, clk.now
	}})
	in := h.send(t, command("story", user(1), "query", "storm"))
	for h.calls.Load() == 0 { // the call is reserved before the model is asked
		select {
		case <-time.After(time.Millisecond):
		case <-t.Context().Done():
			t.Fatal("the model was not called")
		}
	}
	clk.set(time.Date(2026, 11, 3, 0, 0, 1, 0, time.UTC))
	h.wait(t, final(in.ID))
	h.stop() // the usage is written before the reply ends
	got, err := db.GuildUsage(context.Background(), guild, "2026-11-01", "2026-11-04")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Day != "2026-11-02" || got[0].Calls != 1 || got[0].Tokens == 0 {
		t.Errorf("got usage %+v, want 1 call with its tokens on 2026-11-02, the day checked", got)
	}
}

// A model that answers without reporting its token usage still uses a
// call of the budget, whether its answer is shown or rejected.
func TestModelAnsweredWithoutUsage(t *testing.T) {
	for _, tt := range []struct{ model, footer string }{
		{"mock", "Summarized by mock"},
		{"mock-hallucinate", "Offline summary (extractive): the model's answer had names"},
	} {
		t.Run(tt.model, func(t *testing.T) {
			db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
			putSettings(t, db, store.Settings{Budget: store.Budget{UserCalls: store.Cap(1)}})
			h := start(t, setup{db: db, model: tt.model, noUsage: true, config: func(c *bot.Config) { c.Settings = db }})
			if _, m := storyReply(t, h, command("story", user(1), "query", "storm")); !strings.HasPrefix(footer(m), tt.footer) {
				t.Fatalf("got footer %q, want %q…", footer(m), tt.footer)
			}
			if s, _, _ := db.UsageOn(context.Background(), guild, "", store.Day(time.Now())); s.Calls != 1 || s.Tokens != 0 {
				t.Errorf("got usage %+v, want 1 call and no tokens (none reported)", s)
			}
			_, m := storyReply(t, h, command("story", user(1), "query", "library"))
			if !strings.Contains(footer(m), "your daily model budget is used up") {
				t.Errorf("second story: got footer %q, want the budget used up", footer(m))
			}
			if n := h.calls.Load(); n != 1 {
				t.Errorf("got %d model calls, want 1", n)
			}

			_, m = storyReply(t, h, command("ask", user(2), "question", "How many homes lost power?"))
			if f := footer(m); strings.Contains(f, "budget") {
				t.Fatalf("/ask: got footer %q, want the model asked", f)
			}
			if _, u, _ := db.UsageOn(context.Background(), guild, user(2), store.Day(time.Now())); u.Calls != 1 || u.Tokens != 0 {
				t.Errorf("/ask (footer %q): got usage %+v, want 1 call and no tokens", footer(m), u)
			}
		})
	}
}

// failingStore is a settings store whose reads can be made to fail, as a
// store that is down or too slow would.
type failingStore struct {
	*sqlite.DB
	settingsDown, usageDown atomic.Bool
}

var errDown = errors.New("store down")

func (f *failingStore) GuildSettings(ctx context.Context, guildID string) (store.Settings, error) {
	if f.settingsDown.Load() {
		return store.Settings{}, errDown
	}
	return f.DB.GuildSettings(ctx, guildID)
}

func (f *failingStore) ReserveCall(ctx context.Context, guildID, userID, day string, b store.Budget) (string, error) {
	if f.usageDown.Load() {
		return "", errDown
	}
	return f.DB.ReserveCall(ctx, guildID, userID, day, b)
}

// A failing store does not lift a server's restrictions: the settings read
// before are used, however old; with none, and when the budget cannot be
// checked, the model is kept out.
func TestFailingSettingsStore(t *testing.T) {
	t.Run("settings read before", func(t *testing.T) {
		db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
		putSettings(t, db, store.Settings{ModelRoles: []string{roleModel}})
		st := &failingStore{DB: db}
		clk := newClock(day)
		h := start(t, setup{db: db, config: func(c *bot.Config) { c.Settings, c.Now = st, clk.now }})
		want := "Offline summary (extractive): on this server the model's replies are for some roles only"
		if _, m := storyReply(t, h, command("story", user(1), "query", "storm")); footer(m) != want {
			t.Fatalf("store up: got footer %q, want %q", footer(m), want)
		}
		st.settingsDown.Store(true)
		clk.set(day.Add(time.Minute)) // long after the settings were read
		if _, m := storyReply(t, h, command("story", user(1), "query", "library")); footer(m) != want {
			t.Errorf("store down: got footer %q, want %q (the settings read before)", footer(m), want)
		}
		in := command("story", user(1), "query", "library")
		in.ChannelID = otherChannel
		if _, m := storyReply(t, h, in); footer(m) != want {
			t.Errorf("store down, again: got footer %q, want %q", footer(m), want)
		}
		if n := h.calls.Load(); n != 0 {
			t.Errorf("got %d model calls, want 0", n)
		}
	})
	t.Run("no settings read before", func(t *testing.T) {
		db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
		st := &failingStore{DB: db}
		st.settingsDown.Store(true)
		h := start(t, setup{db: db, config: func(c *bot.Config) { c.Settings = st }})
		for _, in := range []fakediscord.Interaction{command("story", user(1), "query", "storm"), command("ask", user(1), "question", "How many homes lost power?")} {
			_, m := storyReply(t, h, in)
			if f := footer(m); !strings.HasPrefix(f, "Offline") || !strings.Contains(f, "could not read this server's settings") {
				t.Errorf("/%s: got footer %q, want an extractive reply saying the settings could not be read", in.Command, f)
			}
		}
		if n := h.calls.Load(); n != 0 {
			t.Errorf("got %d model calls, want 0", n)
		}
	})
	t.Run("usage", func(t *testing.T) {
		db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
		putSettings(t, db, store.Settings{Budget: store.Budget{ServerCalls: store.Cap(100)}})
		st := &failingStore{DB: db}
		st.usageDown.Store(true)
		h := start(t, setup{db: db, config: func(c *bot.Config) { c.Settings = st }})
		_, m := storyReply(t, h, command("story", user(1), "query", "storm"))
		if f := footer(m); !strings.Contains(f, "could not check this server's daily model budget") {
			t.Errorf("got footer %q, want an extractive reply saying the budget could not be checked", f)
		}
		if n := h.calls.Load(); n != 0 {
			t.Errorf("got %d model calls, want 0", n)
		}
	})
}

// With BOT_DM_MODEL=off, /story and /ask still answer in DMs, without the
// model; by default the model answers there.
func TestDMModel(t *testing.T) {
	dm := func(in fakediscord.Interaction) fakediscord.Interaction {
		in.GuildID = ""
		return in
	}
	db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
	putSettings(t, db, store.Settings{ModelRoles: []string{roleModel}})
	h := withSettings(t, db, nil, func(c *bot.Config) { c.NoDMModel = true })
	_, m := storyReply(t, h, dm(command("story", user(1), "query", "storm")))
	if want := "Offline summary (extractive): this storybot does not use the model in direct messages"; footer(m) != want || m.Embeds[0].Description == "" {
		t.Errorf("DM /story: got footer %q, want %q with the summary", footer(m), want)
	}
	_, m = storyReply(t, h, dm(command("ask", user(1), "question", "How many homes lost power?")))
	if !strings.Contains(footer(m), "does not use the model in direct messages") {
		t.Errorf("DM /ask: got footer %q, want the extractive answer saying why", footer(m))
	}
	if n := h.calls.Load(); n != 0 {
		t.Errorf("got %d model calls in DMs, want 0", n)
	}

	h2 := start(t, setup{config: func(c *bot.Config) { c.Settings = db }})
	if _, m := storyReply(t, h2, dm(command("story", user(1), "query", "storm"))); !strings.HasPrefix(footer(m), "Summarized by mock") {
		t.Errorf("DM by default: got footer %q, want the model's", footer(m))
	}
}

// Autocomplete offers no titles in a channel where the server keeps
// storybot quiet.
func TestAutocompleteDisallowedChannel(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
	putSettings(t, db, store.Settings{Channels: []string{otherChannel}})
	h := withSettings(t, db, nil, nil)
	choices := func(channel string) int {
		in := h.send(t, fakediscord.Interaction{Type: fakediscord.TypeAutocomplete, Command: "story", UserID: user(1), GuildID: guild, ChannelID: channel,
			Options: []fakediscord.Option{{Name: "query", Value: "", Focused: true}}})
		_, data := h.wait(t, ok(fakediscord.KindCallback, in.ID)).Callback()
		return len(decode(t, data).Choices)
	}
	if n := choices(""); n != 0 {
		t.Errorf("in a channel not allowed: got %d choices, want 0", n)
	}
	if n := choices(otherChannel); n == 0 {
		t.Error("in the allowed channel: got no choices, want the titles")
	}
}

// The feed channel set from Discord must be a channel of the server: it
// is a channel option, and the bot asks Discord whose channel it is.
func TestFeedChannelOfThisServer(t *testing.T) {
	const (
		here      = "300000000000000011"
		elsewhere = "300000000000000012"
		unknown   = "300000000000000013"
	)
	db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
	h := withSettings(t, db, nil, nil)
	h.fake.AddChannel(here, guild)
	h.fake.AddChannel(elsewhere, "600000000000000002")

	var cmds []*discordgo.ApplicationCommand
	if err := json.Unmarshal(h.fake.Commands(""), &cmds); err != nil {
		t.Fatal(err)
	}
	var opt *discordgo.ApplicationCommandOption
	for _, c := range cmds {
		if c.Name == "storybot" {
			set := c.Options[0].Options[1] // settings set
			for _, o := range set.Options {
				if o.Name == "feed_channel" {
					opt = o
				}
			}
		}
	}
	if opt == nil || opt.Type != discordgo.ApplicationCommandOptionChannel ||
		!slices.Equal(opt.ChannelTypes, []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews}) {
		t.Errorf("got feed_channel option %+v, want a channel option for text and announcement channels", opt)
	}

	set := func(opts ...fakediscord.Option) message {
		t.Helper()
		in := admin("32", "settings set")
		in.Options[0].Options[0].Options = opts
		return ephemeralReply(t, h, in)
	}
	for _, tt := range []struct{ channel, want string }{
		{elsewhere, "Nothing was changed. That feed channel is not on this server."},
		{unknown, "Nothing was changed. storybot cannot see that feed channel."},
	} {
		m := set(fakediscord.Option{Name: "feed_channel", Type: fakediscord.OptionChannel, Value: tt.channel}, fakediscord.Option{Name: "style", Value: "brief"})
		if !strings.HasPrefix(m.Content, tt.want) {
			t.Errorf("feed channel %s: got %q, want %q…", tt.channel, m.Content, tt.want)
		}
		if s, _ := db.GuildSettings(context.Background(), guild); s.FeedChannel != "" || s.Style != "" {
			t.Errorf("feed channel %s: got %+v stored, want nothing changed", tt.channel, s)
		}
	}
	var looked []string
	for _, r := range h.fake.Requests() {
		if r.Kind == fakediscord.KindChannel {
			looked = append(looked, r.Channel)
		}
	}
	if !slices.Equal(looked, []string{elsewhere, unknown}) {
		t.Errorf("got channel lookups %q, want %q", looked, []string{elsewhere, unknown})
	}

	if m := set(fakediscord.Option{Name: "feed_channel", Type: fakediscord.OptionChannel, Value: here}); !strings.HasPrefix(m.Content, "Saved.") {
		t.Errorf("this server's channel: got %q, want Saved", m.Content)
	}
	if s, _ := db.GuildSettings(context.Background(), guild); s.FeedChannel != here {
		t.Errorf("got feed channel %q stored, want %s", s.FeedChannel, here)
	}
	if m := set(fakediscord.Option{Name: "no_feed_channel", Type: fakediscord.OptionBoolean, Value: "true"}); !strings.Contains(m.Content, "feed_channel: none") {
		t.Errorf("no_feed_channel: got %q, want Saved with feed_channel: none", m.Content)
	}
	if s, _ := db.GuildSettings(context.Background(), guild); s.FeedChannel != "" {
		t.Errorf("got feed channel %q stored, want none", s.FeedChannel)
	}
}

// A registration without the contexts storybot now sets (an older one) is
// replaced; one with them is kept.
func TestRegisterUpdatesContexts(t *testing.T) {
	f, err := fakediscord.Start(fakeOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	old := bot.Definitions()
	for _, c := range old {
		c.Contexts = nil
	}
	body, _ := json.Marshal(old)
	req, _ := http.NewRequest("PUT", f.APIURL()+"applications/"+f.AppID()+"/commands", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bot "+f.Token())
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("seeding the old commands: got status %d", resp.StatusCode)
	}

	puts := func() int {
		n := 0
		for _, r := range f.Requests() {
			if r.Kind == fakediscord.KindCommandsPut {
				n++
			}
		}
		return n
	}
	start(t, setup{fake: f}).stop()
	if n := puts(); n != 2 {
		t.Errorf("got %d bulk overwrites, want 2: the old commands and storybot's update", n)
	}
	var cmds []struct {
		Name     string `json:"name"`
		Contexts []int  `json:"contexts"`
	}
	if err := json.Unmarshal(f.Commands(""), &cmds); err != nil {
		t.Fatal(err)
	}
	for _, c := range cmds {
		want := []int{0, 1} // servers and DMs with the bot
		if c.Name == "storybot" {
			want = []int{0}
		}
		if !slices.Equal(c.Contexts, want) {
			t.Errorf("/%s: got contexts %v, want %v", c.Name, c.Contexts, want)
		}
	}
	start(t, setup{fake: f}).stop()
	if n := puts(); n != 2 {
		t.Errorf("after a restart: got %d bulk overwrites, want still 2", n)
	}
}
