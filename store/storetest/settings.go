package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/storybot/storybot/store"
)

// SettingsStore is what every backend offers for per-server settings and
// model usage.
type SettingsStore interface {
	GuildSettings(ctx context.Context, guildID string) (store.Settings, error)
	PutGuildSettings(ctx context.Context, s store.Settings) error
	UpdateGuildSettings(ctx context.Context, guildID string, apply func(*store.Settings) error) (store.Settings, error)
	FeedChannels(ctx context.Context) (map[string]string, error)
	AddUsage(ctx context.Context, guildID, userID, day string, calls, tokens int64) error
	UsageOn(ctx context.Context, guildID, userID, day string) (server, user store.Usage, err error)
	ReserveCall(ctx context.Context, guildID, userID, day string, b store.Budget) (spent string, err error)
	GuildUsage(ctx context.Context, guildID, from, to string) ([]store.Usage, error)
	TopUsers(ctx context.Context, guildID, day string, limit int) ([]store.UserUsage, error)
}

// RunSettings runs the shared tests of settings and usage, each as a
// subtest on a new, empty store from open (as for Run).
func RunSettings(t *testing.T, open func(t *testing.T) SettingsStore) {
	tests := []struct {
		name string
		test func(t *testing.T, db SettingsStore)
	}{
		{"SettingsDefaults", testSettingsDefaults},
		{"SettingsPutGet", testSettingsPutGet},
		{"UsageCounts", testUsageCounts},
		{"UsageConcurrent", testUsageConcurrent},
		{"UpdateSettings", testUpdateSettings},
		{"UpdateSettingsConcurrent", testUpdateSettingsConcurrent},
		{"ReserveCall", testReserveCall},
		{"ReserveCallConcurrent", testReserveCallConcurrent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open(t)) })
	}
}

const (
	guildA = "600000000000000001"
	guildB = "600000000000000002"
	userA  = "400000000000000001"
	userB  = "400000000000000002"
)

func testSettingsDefaults(t *testing.T, db SettingsStore) {
	got, err := db.GuildSettings(context.Background(), guildA)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.Settings{GuildID: guildA}, got); diff != "" {
		t.Errorf("settings never set (-want +got):\n%s", diff)
	}
	chs, err := db.FeedChannels(context.Background())
	if err != nil || len(chs) != 0 {
		t.Errorf("got feed channels %v, %v; want none", chs, err)
	}
}

func testSettingsPutGet(t *testing.T, db SettingsStore) {
	ctx := context.Background()
	when := time.Date(2026, 11, 2, 18, 42, 7, 0, time.UTC)
	want := store.Settings{
		GuildID:     guildA,
		Style:       "brief",
		Channels:    []string{"300000000000000001", "300000000000000002"},
		ModelRoles:  []string{"700000000000000001"},
		Budget:      store.Budget{ServerCalls: store.Cap(100), ServerTokens: store.Cap(0), UserTokens: store.Cap(5000)},
		FeedChannel: "300000000000000009",
		Updated:     when,
		UpdatedBy:   userA,
	}
	if err := db.PutGuildSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := db.PutGuildSettings(ctx, store.Settings{GuildID: guildB, Style: "detailed", Updated: when}); err != nil {
		t.Fatal(err)
	}
	got, err := db.GuildSettings(ctx, guildA)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings as stored (-want +got):\n%s", diff)
	}

	// A second put replaces the first: lists emptied, limits removed.
	want = store.Settings{GuildID: guildA, Style: "standard", Budget: store.Budget{UserCalls: store.Cap(3)}, Updated: when.Add(time.Hour), UpdatedBy: "terminal"}
	if err := db.PutGuildSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err = db.GuildSettings(ctx, guildA)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings replaced (-want +got):\n%s", diff)
	}
	if b, _ := db.GuildSettings(ctx, guildB); b.Style != "detailed" {
		t.Errorf("got server B's style %q, want detailed (servers are apart)", b.Style)
	}

	if err := db.PutGuildSettings(ctx, store.Settings{GuildID: guildB, FeedChannel: "300000000000000007", Updated: when}); err != nil {
		t.Fatal(err)
	}
	chs, err := db.FeedChannels(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{guildB: "300000000000000007"}, chs); diff != "" {
		t.Errorf("feed channels (-want +got):\n%s", diff)
	}
}

func testUsageCounts(t *testing.T, db SettingsStore) {
	ctx := context.Background()
	add := func(guild, user, day string, calls, tokens int64) {
		t.Helper()
		if err := db.AddUsage(ctx, guild, user, day, calls, tokens); err != nil {
			t.Fatal(err)
		}
	}
	add(guildA, userA, "2026-11-01", 1, 100)
	add(guildA, userA, "2026-11-02", 1, 300)
	add(guildA, userA, "2026-11-02", 1, 200)
	add(guildA, userB, "2026-11-02", 1, 700)
	add(guildB, userA, "2026-11-02", 4, 4000) // another server

	server, user, err := db.UsageOn(ctx, guildA, userA, "2026-11-02")
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Usage{Day: "2026-11-02", Calls: 3, Tokens: 1200}); server != want {
		t.Errorf("server usage: got %+v, want %+v", server, want)
	}
	if want := (store.Usage{Day: "2026-11-02", Calls: 2, Tokens: 500}); user != want {
		t.Errorf("user usage: got %+v, want %+v", user, want)
	}
	server, user, err = db.UsageOn(ctx, guildA, userB, "2026-11-03")
	if err != nil || server.Calls != 0 || user.Tokens != 0 {
		t.Errorf("a day without use: got %+v %+v %v, want zeros", server, user, err)
	}

	days, err := db.GuildUsage(ctx, guildA, "2026-10-27", "2026-11-02")
	if err != nil {
		t.Fatal(err)
	}
	wantDays := []store.Usage{{Day: "2026-11-02", Calls: 3, Tokens: 1200}, {Day: "2026-11-01", Calls: 1, Tokens: 100}}
	if diff := cmp.Diff(wantDays, days); diff != "" {
		t.Errorf("usage by day (-want +got):\n%s", diff)
	}
	if days, _ := db.GuildUsage(ctx, guildA, "2026-11-02", "2026-11-02"); len(days) != 1 {
		t.Errorf("got %d days for one day, want 1", len(days))
	}

	top, err := db.TopUsers(ctx, guildA, "2026-11-02", 1)
	if err != nil {
		t.Fatal(err)
	}
	wantTop := []store.UserUsage{{UserID: userB, Usage: store.Usage{Day: "2026-11-02", Calls: 1, Tokens: 700}}}
	if diff := cmp.Diff(wantTop, top); diff != "" {
		t.Errorf("top users (-want +got):\n%s", diff)
	}
}

func testUsageConcurrent(t *testing.T, db SettingsStore) {
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() { errs[i] = db.AddUsage(ctx, guildA, userA, "2026-11-02", 1, 10) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	server, _, err := db.UsageOn(ctx, guildA, userA, "2026-11-02")
	if err != nil {
		t.Fatal(err)
	}
	if server.Calls != 8 || server.Tokens != 80 {
		t.Errorf("after 8 concurrent adds: got %+v, want 8 calls, 80 tokens", server)
	}
}

func testUpdateSettings(t *testing.T, db SettingsStore) {
	ctx := context.Background()
	when := time.Date(2026, 11, 2, 18, 42, 7, 0, time.UTC)
	// A failing apply stores nothing, not even a row for a new server.
	errApply := errors.New("refused")
	if _, err := db.UpdateGuildSettings(ctx, guildA, func(s *store.Settings) error {
		s.Style = "brief"
		return errApply
	}); !errors.Is(err, errApply) {
		t.Fatalf("got error %v, want apply's", err)
	}
	if got, _ := db.GuildSettings(ctx, guildA); !cmp.Equal(got, store.Settings{GuildID: guildA}) {
		t.Errorf("after a failed update: got %+v, want the defaults", got)
	}

	// A new server's apply starts from the defaults.
	got, err := db.UpdateGuildSettings(ctx, guildA, func(s *store.Settings) error {
		if diff := cmp.Diff(store.Settings{GuildID: guildA}, *s); diff != "" {
			t.Errorf("apply got (-want +got):\n%s", diff)
		}
		s.Style, s.Updated, s.UpdatedBy = "brief", when, userA
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := store.Settings{GuildID: guildA, Style: "brief", Updated: when, UpdatedBy: userA}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("returned (-want +got):\n%s", diff)
	}
	// Then from what is stored.
	got, err = db.UpdateGuildSettings(ctx, guildA, func(s *store.Settings) error {
		if s.Style != "brief" {
			t.Errorf("apply got style %q, want the stored brief", s.Style)
		}
		s.Budget.UserCalls = store.Cap(3)
		s.Updated = when.Add(time.Hour)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := db.GuildSettings(ctx, guildA)
	if err != nil {
		t.Fatal(err)
	}
	want = store.Settings{GuildID: guildA, Style: "brief", Budget: store.Budget{UserCalls: store.Cap(3)}, Updated: when.Add(time.Hour), UpdatedBy: userA}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("stored (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(stored, got); diff != "" {
		t.Errorf("returned and stored differ (-stored +returned):\n%s", diff)
	}
}

// Updates of different settings at the same time are all kept, for a
// server with settings and for one without.
func testUpdateSettingsConcurrent(t *testing.T, db SettingsStore) {
	ctx := context.Background()
	if err := db.PutGuildSettings(ctx, store.Settings{GuildID: guildB, FeedChannel: "300000000000000009"}); err != nil {
		t.Fatal(err)
	}
	const n = 6
	for _, guild := range []string{guildA, guildB} {
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = db.UpdateGuildSettings(ctx, guild, func(s *store.Settings) error {
					switch i {
					case 0:
						s.Style = "detailed"
					case 1:
						s.Channels = []string{"300000000000000001"}
					case 2:
						s.ModelRoles = []string{"700000000000000001"}
					case 3:
						s.Budget.ServerCalls = store.Cap(10)
					case 4:
						s.Budget.UserTokens = store.Cap(500)
					default:
						s.Budget.UserCalls = store.Cap(2)
					}
					return nil
				})
			})
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.GuildSettings(ctx, guild)
		if err != nil {
			t.Fatal(err)
		}
		got.Updated = time.Time{}
		want := store.Settings{GuildID: guild, Style: "detailed", Channels: []string{"300000000000000001"}, ModelRoles: []string{"700000000000000001"},
			Budget: store.Budget{ServerCalls: store.Cap(10), UserTokens: store.Cap(500), UserCalls: store.Cap(2)}}
		if guild == guildB {
			want.FeedChannel = "300000000000000009"
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("server %s after %d concurrent updates (-want +got):\n%s", guild, n, diff)
		}
	}
}

func testReserveCall(t *testing.T, db SettingsStore) {
	ctx := context.Background()
	const day = "2026-11-02"
	reserve := func(guild, user string, b store.Budget) string {
		t.Helper()
		spent, err := db.ReserveCall(ctx, guild, user, day, b)
		if err != nil {
			t.Fatal(err)
		}
		return spent
	}
	userCalls := store.Budget{UserCalls: store.Cap(2)}
	for i, want := range []string{"", "", store.UserBudget} {
		if got := reserve(guildA, userA, userCalls); got != want {
			t.Errorf("reservation %d of 2: got spent %q, want %q", i+1, got, want)
		}
	}
	if got := reserve(guildA, userB, userCalls); got != "" {
		t.Errorf("another user: got spent %q, want none", got)
	}
	server, user, err := db.UsageOn(ctx, guildA, userA, day)
	if err != nil {
		t.Fatal(err)
	}
	if server.Calls != 3 || user.Calls != 2 || server.Tokens != 0 {
		t.Errorf("got server %+v user %+v, want 3 calls and 2 of them the user's, no tokens", server, user)
	}

	// A call given back can be reserved again.
	if err := db.AddUsage(ctx, guildA, userA, day, -1, 0); err != nil {
		t.Fatal(err)
	}
	if got := reserve(guildA, userA, userCalls); got != "" {
		t.Errorf("after giving one back: got spent %q, want none", got)
	}

	// The server's budget comes first; tokens count as recorded so far.
	if got := reserve(guildA, userB, store.Budget{ServerCalls: store.Cap(3), UserCalls: store.Cap(0)}); got != store.ServerBudget {
		t.Errorf("server budget of 3 after 3 calls: got spent %q, want %q", got, store.ServerBudget)
	}
	if err := db.AddUsage(ctx, guildB, userA, day, 0, 1000); err != nil {
		t.Fatal(err)
	}
	if got := reserve(guildB, userA, store.Budget{UserTokens: store.Cap(1000)}); got != store.UserBudget {
		t.Errorf("token budget of 1000 after 1000 tokens: got spent %q, want %q", got, store.UserBudget)
	}
	if got := reserve(guildB, userB, store.Budget{ServerTokens: store.Cap(1001), UserTokens: store.Cap(1000)}); got != "" {
		t.Errorf("1000 of 1001 server tokens, none of the user's: got spent %q, want none", got)
	}
	if got := reserve(guildB, userA, store.Budget{}); got != "" {
		t.Errorf("no budget: got spent %q, want none", got)
	}
	if server, _, _ := db.UsageOn(ctx, guildB, userA, day); server.Calls != 2 || server.Tokens != 1000 {
		t.Errorf("server B: got %+v, want 2 calls, 1000 tokens", server)
	}
}

// Reservations at the same time never pass a call budget: of 12 at once
// by two users with 5 calls each and 7 for the server, exactly 7 are
// counted, at most 5 by either user.
func testReserveCallConcurrent(t *testing.T, db SettingsStore) {
	ctx := context.Background()
	const day = "2026-11-02"
	b := store.Budget{ServerCalls: store.Cap(7), UserCalls: store.Cap(5)}
	var wg sync.WaitGroup
	spent := make([]string, 12)
	errs := make([]error, len(spent))
	for i := range spent {
		user := userA
		if i%2 == 1 {
			user = userB
		}
		wg.Go(func() { spent[i], errs[i] = db.ReserveCall(ctx, guildA, user, day, b) })
	}
	wg.Wait()
	reserved := 0
	for i := range spent {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if spent[i] == "" {
			reserved++
		}
	}
	server, a, err := db.UsageOn(ctx, guildA, userA, day)
	if err != nil {
		t.Fatal(err)
	}
	_, bu, _ := db.UsageOn(ctx, guildA, userB, day)
	if reserved != 7 || server.Calls != 7 || a.Calls > 5 || bu.Calls > 5 {
		t.Errorf("got %d reserved, %d counted (%d and %d by user), want 7, at most 5 a user", reserved, server.Calls, a.Calls, bu.Calls)
	}
}
