package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/internal/fakediscord"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/sqlite"
)

const (
	guild        = "600000000000000001" // the guild command() sends from
	otherChannel = "300000000000000002"
	roleReaders  = "700000000000000001"
	roleModel    = "700000000000000002"
)

// openDB opens the store at path, with the test stories when it is new,
// and closes it when the test ends.
func openDB(t testing.TB, path string) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if n, _ := db.Count(ctx); n == 0 {
		if _, err := db.Put(ctx, testStories); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// fakeClock is a settable clock for bot.Config.Now.
type fakeClock struct{ t atomic.Pointer[time.Time] }

func newClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.set(t)
	return c
}

func (c *fakeClock) set(t time.Time) { c.t.Store(&t) }
func (c *fakeClock) now() time.Time  { return *c.t.Load() }

// withSettings starts a bot that keeps its settings in db, on clk's time.
func withSettings(t *testing.T, db *sqlite.DB, clk *fakeClock, more func(*bot.Config)) *harness {
	t.Helper()
	return start(t, setup{db: db, config: func(c *bot.Config) {
		c.Settings = db
		if clk != nil {
			c.Now = clk.now
		}
		if more != nil {
			more(c)
		}
	}})
}

func putSettings(t *testing.T, db *sqlite.DB, s store.Settings) {
	t.Helper()
	s.GuildID = guild
	if err := db.PutGuildSettings(context.Background(), s); err != nil {
		t.Fatal(err)
	}
}

// admin is /storybot SUBCOMMAND… from a member with the given permissions
// (a decimal bit set, as Discord sends it). path is "settings set",
// "settings show" or "usage"; opts are the options' names and values.
func admin(perms, path string, opts ...string) fakediscord.Interaction {
	var leaf []fakediscord.Option
	for i := 0; i+1 < len(opts); i += 2 {
		leaf = append(leaf, fakediscord.Option{Name: opts[i], Value: opts[i+1]})
	}
	names := strings.Fields(path)
	o := fakediscord.Option{Name: names[len(names)-1], Type: fakediscord.OptionSubcommand, Options: leaf}
	if len(names) == 2 {
		o = fakediscord.Option{Name: names[0], Type: fakediscord.OptionSubcommandGroup, Options: []fakediscord.Option{o}}
	}
	return fakediscord.Interaction{Command: "storybot", UserID: user(90), GuildID: guild, Permissions: perms, Options: []fakediscord.Option{o}}
}

// ephemeralReply sends in and returns the message of its callback, which
// must be a message only the user sees (type 4, flags 64).
func ephemeralReply(t *testing.T, h *harness, in fakediscord.Interaction) message {
	t.Helper()
	in = h.send(t, in)
	cb := h.wait(t, ok(fakediscord.KindCallback, in.ID))
	typ, data := cb.Callback()
	m := decode(t, data)
	if typ != 4 || m.Flags&64 == 0 {
		t.Fatalf("got callback type %d flags %d (%q), want an ephemeral message (4, 64)", typ, m.Flags, m.Content)
	}
	if m.AllowedMentions == nil || m.AllowedMentions.Parse == nil || len(m.AllowedMentions.Parse) != 0 {
		t.Errorf("got allowed_mentions %+v, want {parse: []}", m.AllowedMentions)
	}
	return m
}

func footer(m message) string {
	if len(m.Embeds) == 0 {
		return ""
	}
	return m.Embeds[0].Footer.Text
}

// /storybot is registered for Manage Server only, and checked again on
// every call: a member without it changes nothing.
func TestAdminNeedsManageServer(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
	h := withSettings(t, db, nil, nil)

	var cmds []struct {
		Name        string  `json:"name"`
		Permissions *string `json:"default_member_permissions"`
		Contexts    []int   `json:"contexts"`
	}
	if err := json.Unmarshal(h.fake.Commands(""), &cmds); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, c := range cmds {
		switch c.Name {
		case "storybot":
			found = true
			if c.Permissions == nil || *c.Permissions != "32" {
				t.Errorf("got /storybot default_member_permissions %v, want \"32\" (Manage Server)", c.Permissions)
			}
			if len(c.Contexts) != 1 || c.Contexts[0] != 0 {
				t.Errorf("got /storybot contexts %v, want [0] (servers only)", c.Contexts)
			}
		case "story", "ask":
			if c.Permissions != nil {
				t.Errorf("got /%s default_member_permissions %q, want none", c.Name, *c.Permissions)
			}
		}
	}
	if !found {
		t.Fatalf("got commands %s, want /storybot among them", h.fake.Commands(""))
	}

	for _, perms := range []string{"0", "2048"} { // none; Send Messages only
		m := ephemeralReply(t, h, admin(perms, "settings set", "style", "brief"))
		if !strings.Contains(m.Content, "Manage Server") {
			t.Errorf("permissions %s: got %q, want a refusal naming Manage Server", perms, m.Content)
		}
	}
	if s, _ := db.GuildSettings(context.Background(), guild); s.Style != "" {
		t.Fatalf("got style %q after refusals, want the settings unchanged", s.Style)
	}
	for _, perms := range []string{"32", "8"} { // Manage Server; Administrator
		m := ephemeralReply(t, h, admin(perms, "settings set", "style", "brief", "server_calls", "100"))
		if !strings.HasPrefix(m.Content, "Saved.") || !strings.Contains(m.Content, "style: brief") {
			t.Errorf("permissions %s: got %q, want Saved with style: brief", perms, m.Content)
		}
	}
	s, _ := db.GuildSettings(context.Background(), guild)
	if s.Style != "brief" || s.Budget.ServerCalls != store.Cap(100) || s.UpdatedBy != user(90) {
		t.Errorf("got stored %+v, want style brief, 100 server calls, by %s", s, user(90))
	}
}

func TestAdminValidates(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
	h := withSettings(t, db, nil, nil)
	tests := []struct {
		name string
		opts []string
		want string // in the reply
	}{
		{"nothing", nil, "Nothing was changed. Nothing to change"},
		{"channel name", []string{"channels", "general"}, `channels: "general" is not a channel ID`},
		{"short ID", []string{"model_roles", "12345"}, `model_roles: "12345" is not a role ID`},
		{"negative budget", []string{"user_calls", "-1"}, `user_calls: "-1" is not a whole number of 0 or more`},
		{"word budget", []string{"server_tokens", "lots"}, `server_tokens: "lots" is not a whole number`},
		{"two feed channels", []string{"feed_channel", "300000000000000001 300000000000000002"}, "more than one channel"},
		{"one bad among good", []string{"style", "detailed", "channels", "<#300000000000000001>, x"}, `channels: "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := ephemeralReply(t, h, admin("32", "settings set", tt.opts...))
			if !strings.Contains(m.Content, tt.want) {
				t.Errorf("got %q, want it to contain %q", m.Content, tt.want)
			}
		})
	}
	if s, _ := db.GuildSettings(context.Background(), guild); !s.Updated.IsZero() {
		t.Errorf("got settings stored (%+v), want none after only invalid changes", s)
	}

	// Mentions and IDs, then show.
	m := ephemeralReply(t, h, admin("32", "settings set", "channels", "<#300000000000000001>, 300000000000000002", "model_roles", "<@&"+roleModel+">", "user_tokens", "5000"))
	if !strings.HasPrefix(m.Content, "Saved.") {
		t.Fatalf("got %q, want Saved", m.Content)
	}
	m = ephemeralReply(t, h, admin("32", "settings show"))
	for _, want := range []string{"channels: <#300000000000000001>, <#300000000000000002>", "model_roles: <@&" + roleModel + ">", "user_tokens: 5,000", "style: standard (the default)"} {
		if !strings.Contains(m.Content, want) {
			t.Errorf("got show %q, want it to contain %q", m.Content, want)
		}
	}
}

// In a channel the server did not allow, /story and /ask get a short
// refusal only the user sees, and no model call.
func TestDisallowedChannel(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
	putSettings(t, db, store.Settings{Channels: []string{otherChannel}})
	h := withSettings(t, db, nil, nil)
	for _, in := range []fakediscord.Interaction{command("story", user(1)), command("ask", user(1), "question", "How many homes lost power?")} {
		m := ephemeralReply(t, h, in)
		if want := "storybot answers only in <#" + otherChannel + ">"; !strings.Contains(m.Content, want) {
			t.Errorf("/%s: got %q, want it to contain %q", in.Command, m.Content, want)
		}
	}
	if n := h.calls.Load(); n != 0 {
		t.Errorf("got %d model calls, want 0", n)
	}
	in := command("story", user(1), "query", "storm")
	in.ChannelID = otherChannel
	if _, m := storyReply(t, h, in); !strings.HasPrefix(footer(m), "Summarized by mock") {
		t.Errorf("in the allowed channel: got footer %q, want the model's summary", footer(m))
	}
}

// A member without one of the model roles gets the extractive engine,
// and the footer says why; one with the role gets the model.
func TestModelRoles(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
	putSettings(t, db, store.Settings{ModelRoles: []string{roleModel}})
	h := withSettings(t, db, nil, nil)

	in := command("story", user(1), "query", "storm")
	in.Roles = []string{roleReaders}
	_, m := storyReply(t, h, in)
	if want := "Offline summary (extractive): on this server the model's replies are for some roles only"; footer(m) != want {
		t.Errorf("got footer %q, want %q", footer(m), want)
	}
	if m.Embeds[0].Description == "" {
		t.Error("got no summary, want the extractive one")
	}
	in = command("ask", user(1), "question", "How many homes lost power?")
	_, m = storyReply(t, h, in)
	if !strings.HasPrefix(footer(m), "Offline answer (extractive, quoted from the sources): on this server") {
		t.Errorf("got /ask footer %q, want the extractive answer saying why", footer(m))
	}
	if n := h.calls.Load(); n != 0 {
		t.Errorf("got %d model calls without the role, want 0", n)
	}

	in = command("story", user(2), "query", "library")
	in.Roles = []string{roleReaders, roleModel}
	if _, m = storyReply(t, h, in); !strings.HasPrefix(footer(m), "Summarized by mock") {
		t.Errorf("with the role: got footer %q, want the model's summary", footer(m))
	}
}

// A spent daily budget gives the extractive engine and says when it
// resets; at midnight UTC the model is back.
func TestBudgetResetsAtMidnightUTC(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
	putSettings(t, db, store.Settings{Budget: store.Budget{UserCalls: store.Cap(1)}})
	// The clock is in a zone whose date near midnight UTC is the next
	// day's: the days are UTC days all the same.
	east := time.FixedZone("UTC+5", 5*60*60)
	late := time.Date(2026, 11, 3, 4, 59, 30, 0, east) // 23:59:30 UTC
	midnight := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	clk := newClock(late)
	h := withSettings(t, db, clk, nil)

	if _, m := storyReply(t, h, command("story", user(1), "query", "storm")); !strings.HasPrefix(footer(m), "Summarized by mock") {
		t.Fatalf("first story: got footer %q, want the model's", footer(m))
	}
	calls := h.calls.Load()
	_, m := storyReply(t, h, command("story", user(1), "query", "library"))
	if want := "Offline summary (extractive): your daily model budget is used up"; !strings.HasPrefix(footer(m), want) {
		t.Errorf("over budget: got footer %q, want %q…", footer(m), want)
	}
	if want := fmt.Sprintf("<t:%d:R>", midnight.Unix()); !strings.Contains(m.Content, want) || !strings.Contains(m.Content, "budget is used up") {
		t.Errorf("over budget: got content %q, want the budget used up and %s", m.Content, want)
	}
	if n := h.calls.Load(); n != calls {
		t.Errorf("got %d model calls over budget, want none", n-calls)
	}
	// The budget is each user's: another user still gets the model.
	if _, m := storyReply(t, h, command("story", user(2), "query", "library")); !strings.HasPrefix(footer(m), "Summarized by mock") {
		t.Errorf("another user: got footer %q, want the model's", footer(m))
	}

	clk.set(midnight.Add(time.Second).In(east))
	_, m = storyReply(t, h, command("story", user(1), "query", "riverside homes"))
	if !strings.HasPrefix(footer(m), "Summarized by mock") || m.Content != "" {
		t.Errorf("after midnight UTC: got footer %q content %q, want the model's summary and no note", footer(m), m.Content)
	}

	got, _ := db.GuildUsage(context.Background(), guild, "2026-11-02", "2026-11-03")
	want := []store.Usage{{Day: "2026-11-03", Calls: 1}, {Day: "2026-11-02", Calls: 2}}
	if len(got) != 2 || got[0].Day != want[0].Day || got[0].Calls != 1 || got[1].Calls != 2 || got[0].Tokens == 0 {
		t.Errorf("got usage %+v, want calls %+v with their tokens", got, want)
	}
	u := ephemeralReply(t, h, admin("32", "usage"))
	for _, want := range []string{"Today (2026-11-03, UTC): 1 model call,", "2026-11-02  2 model calls", "Most today: <@" + user(1) + ">"} {
		if !strings.Contains(u.Content, want) {
			t.Errorf("got usage %q, want it to contain %q", u.Content, want)
		}
	}

	// A cached summary costs nothing.
	_, m = storyReply(t, h, command("story", user(3), "query", "storm"))
	if !strings.HasSuffix(footer(m), "(cached)") {
		t.Errorf("got footer %q, want a cached summary", footer(m))
	}
	if s, _, _ := db.UsageOn(context.Background(), guild, "", "2026-11-03"); s.Calls != 1 {
		t.Errorf("got %d calls today after a cached reply, want 1", s.Calls)
	}
}

func TestServerBudget(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
	putSettings(t, db, store.Settings{Budget: store.Budget{ServerCalls: store.Cap(0)}})
	h := withSettings(t, db, nil, nil)
	_, m := storyReply(t, h, command("ask", user(1), "question", "How many homes lost power?"))
	if want := "this server's daily model budget is used up"; !strings.Contains(footer(m), want) || !strings.Contains(m.Content, "This server's daily model budget") {
		t.Errorf("got footer %q content %q, want both to say %q", footer(m), m.Content, want)
	}
}

// Settings are in the store: a restarted bot on the reopened store keeps
// them.
func TestSettingsSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db := openDB(t, path)
	h := withSettings(t, db, nil, nil)
	m := ephemeralReply(t, h, admin("32", "settings set", "channels", otherChannel, "style", "detailed"))
	if !strings.HasPrefix(m.Content, "Saved.") {
		t.Fatalf("got %q, want Saved", m.Content)
	}
	h.stop()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDB(t, path)
	h2 := start(t, setup{fake: h.fake, db: db, config: func(c *bot.Config) { c.Settings = db }})
	m = ephemeralReply(t, h2, command("story", user(1)))
	if !strings.Contains(m.Content, "answers only in <#"+otherChannel+">") {
		t.Errorf("after the restart: got %q, want the channel refusal", m.Content)
	}
	m = ephemeralReply(t, h2, admin("32", "settings show"))
	if !strings.Contains(m.Content, "style: detailed") {
		t.Errorf("after the restart: got %q, want style: detailed", m.Content)
	}
}

// The operator's deny and allow lists come before any server setting.
func TestAccessLists(t *testing.T) {
	tests := []struct {
		name   string
		access commands.AccessLists
		in     fakediscord.Interaction
		want   string // in the refusal
	}{
		{"denied user", commands.AccessLists{DenyUsers: []string{user(1)}}, command("story", user(1)), "You can't use storybot here"},
		{"denied role", commands.AccessLists{DenyRoles: []string{roleReaders}}, func() fakediscord.Interaction {
			in := command("story", user(2))
			in.Roles = []string{roleReaders}
			return in
		}(), "You can't use storybot here"},
		{"not an allowed user", commands.AccessLists{AllowUsers: []string{user(3)}}, command("ask", user(2), "question", "Why?"), "You can't use storybot here"},
		{"denied server", commands.AccessLists{DenyGuilds: []string{guild}}, command("story", user(2)), "not available here"},
		{"not an allowed server", commands.AccessLists{AllowGuilds: []string{"600000000000000009"}}, command("story", user(2)), "not available here"},
		{"deny wins", commands.AccessLists{AllowUsers: []string{user(1)}, DenyUsers: []string{user(1)}}, admin("32", "settings show"), "You can't use storybot here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
			h := withSettings(t, db, nil, func(c *bot.Config) { c.Access = tt.access })
			in := tt.in
			if in.Command == "storybot" {
				in.UserID = user(1)
			}
			m := ephemeralReply(t, h, in)
			if !strings.Contains(m.Content, tt.want) {
				t.Errorf("got %q, want it to contain %q", m.Content, tt.want)
			}
			if n := h.calls.Load(); n != 0 {
				t.Errorf("got %d model calls, want 0", n)
			}
		})
	}

	t.Run("allowed user and no autocomplete for the denied", func(t *testing.T) {
		db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
		h := withSettings(t, db, nil, func(c *bot.Config) {
			c.Access = commands.AccessLists{AllowUsers: []string{user(1)}, DenyUsers: []string{user(2)}}
		})
		if _, m := storyReply(t, h, command("story", user(1), "query", "storm")); len(m.Embeds) != 1 {
			t.Errorf("allowed user: got %d embeds, want the story", len(m.Embeds))
		}
		in := h.send(t, fakediscord.Interaction{Type: fakediscord.TypeAutocomplete, Command: "story", UserID: user(2), GuildID: guild,
			Options: []fakediscord.Option{{Name: "query", Value: "", Focused: true}}})
		_, data := h.wait(t, ok(fakediscord.KindCallback, in.ID)).Callback()
		if m := decode(t, data); len(m.Choices) != 0 {
			t.Errorf("denied user: got %d autocomplete choices, want 0", len(m.Choices))
		}
	})
}

// slowSettings is a settings store that takes a while to read.
type slowSettings struct {
	*sqlite.DB
	delay time.Duration
}

func (s slowSettings) GuildSettings(ctx context.Context, guildID string) (store.Settings, error) {
	time.Sleep(s.delay)
	return s.DB.GuildSettings(ctx, guildID)
}

// A /storybot reply slower than the acknowledgement window is acknowledged
// privately and stays private: the server's settings never show to the
// channel.
func TestSlowAdminReplyStaysPrivate(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "s.db"))
	h := withSettings(t, db, nil, func(c *bot.Config) { c.Settings = slowSettings{DB: db, delay: 300 * time.Millisecond} })
	in := h.send(t, admin("32", "settings show"))
	cb := h.wait(t, ok(fakediscord.KindCallback, in.ID))
	typ, _ := cb.Callback()
	if m := decode(t, cb.Body); typ != 5 || m.Flags&64 == 0 {
		t.Fatalf("got callback type %d flags %d, want a private deferred response (5, 64)", typ, m.Flags)
	}
	e := h.wait(t, final(in.ID))
	if m := decode(t, e.Body); !strings.Contains(m.Content, "settings for this server") {
		t.Errorf("got %q, want the settings in the private response's edit", m.Content)
	}
	for _, r := range h.fake.Requests() {
		if r.InteractionID == in.ID && (r.Kind == fakediscord.KindFollowup || r.Kind == fakediscord.KindDelete) {
			t.Errorf("got a %s, want the private response edited", r.Kind)
		}
	}
}
