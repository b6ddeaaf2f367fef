package storetest

import (
	"context"
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
	FeedChannels(ctx context.Context) (map[string]string, error)
	AddUsage(ctx context.Context, guildID, userID, day string, calls, tokens int64) error
	UsageOn(ctx context.Context, guildID, userID, day string) (server, user store.Usage, err error)
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
