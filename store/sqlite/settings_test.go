package sqlite

import (
	"context"
	"testing"

	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/storetest"
)

// TestSettings runs the settings and usage tests every backend shares.
func TestSettings(t *testing.T) {
	storetest.RunSettings(t, func(t *testing.T) storetest.SettingsStore {
		db, _ := openTest(t)
		return db
	})
}

// Settings and usage are kept in the file: a reopened store has them.
func TestSettingsSurviveReopen(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t)
	want := store.Settings{GuildID: "600000000000000001", Style: "brief", Channels: []string{"300000000000000001"}, Budget: store.Budget{UserCalls: store.Cap(2)}}
	if err := db.PutGuildSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	if err := db.AddUsage(ctx, want.GuildID, "400000000000000001", "2026-11-02", 1, 50); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := db.GuildSettings(ctx, want.GuildID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Style != "brief" || len(got.Channels) != 1 || got.Budget.UserCalls != store.Cap(2) {
		t.Errorf("after reopening: got %+v, want %+v", got, want)
	}
	if u, _, err := db.UsageOn(ctx, want.GuildID, "", "2026-11-02"); err != nil || u.Tokens != 50 {
		t.Errorf("usage after reopening: got %+v, %v; want 50 tokens", u, err)
	}
}

// BenchmarkGuildSettings is the read every /story and /ask makes before it
// is acknowledged (a server with settings).
func BenchmarkGuildSettings(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, b.TempDir()+"/b.db")
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	s := store.Settings{GuildID: "600000000000000001", Channels: []string{"300000000000000001"}, Budget: store.Budget{UserCalls: store.Cap(20)}}
	if err := db.PutGuildSettings(ctx, s); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := db.GuildSettings(ctx, s.GuildID); err != nil {
			b.Fatal(err)
		}
	}
}
