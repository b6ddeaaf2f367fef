package commands_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/storybot/storybot/commands"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/sqlite"
)

var _ commands.SettingsStore = (*sqlite.DB)(nil)

func TestApplySetting(t *testing.T) {
	const ch1, ch2, role = "300000000000000001", "300000000000000002", "700000000000000001"
	tests := []struct {
		name, value string
		want        store.Settings // from the zero settings
		wantErr     string         // in the error; "" for none
	}{
		{"style", " Brief ", store.Settings{Style: "brief"}, ""},
		{"style", "long", store.Settings{}, `style: "long" is not a style`},
		{"channels", "<#" + ch1 + ">, " + ch2 + " " + ch1, store.Settings{Channels: []string{ch1, ch2}}, ""},
		{"channels", "ALL", store.Settings{}, ""},
		{"channels", "#general", store.Settings{}, `channels: "#general" is not a channel ID`},
		{"channels", " , ", store.Settings{}, "is empty"},
		{"channels", strings.Repeat(ch1+" ", 26), store.Settings{}, "lists 26; at most 25"},
		{"model_roles", "<@&" + role + ">", store.Settings{ModelRoles: []string{role}}, ""},
		{"model_roles", "everyone", store.Settings{}, ""},
		{"model_roles", "@everyone", store.Settings{}, ""},
		{"model_roles", "1234567890123456789012", store.Settings{}, "is not a role ID"},
		{"server_calls", "0", store.Settings{Budget: store.Budget{ServerCalls: store.Cap(0)}}, ""},
		{"server_tokens", "250_000", store.Settings{Budget: store.Budget{ServerTokens: store.Cap(250000)}}, ""},
		{"user_calls", "none", store.Settings{}, ""},
		{"user_tokens", "-5", store.Settings{}, `user_tokens: "-5" is not a whole number of 0 or more`},
		{"user_tokens", "1.5", store.Settings{}, "is not a whole number"},
		{"user_tokens", "99999999999999999999", store.Settings{}, "is not a whole number"},
		{"feed_channel", ch1, store.Settings{FeedChannel: ch1}, ""},
		{"feed_channel", "none", store.Settings{}, ""},
		{"feed_channel", ch1 + "," + ch2, store.Settings{}, "more than one channel"},
		{"colour", "red", store.Settings{}, `"colour" is not a setting; the settings are style, channels`},
	}
	for _, tt := range tests {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) {
			var s store.Settings
			err := commands.ApplySetting(&s, tt.name, tt.value)
			if tt.wantErr != "" {
				var se *commands.SettingError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got error %v, want a *SettingError containing %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, s); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetSettingsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const g = "600000000000000001"
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	_, err = commands.SetSettings(ctx, db, g, "terminal", []commands.Change{{"style", "brief"}, {"user_calls", "x"}}, now)
	if err == nil {
		t.Fatal("got no error for an invalid change, want one")
	}
	if s, _ := db.GuildSettings(ctx, g); s.Style != "" {
		t.Errorf("got style %q stored, want nothing stored when any change is invalid", s.Style)
	}
	s, err := commands.SetSettings(ctx, db, g, "terminal", []commands.Change{{"style", "brief"}, {"user_calls", "3"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := db.GuildSettings(ctx, g)
	if diff := cmp.Diff(s, got); diff != "" || got.UpdatedBy != "terminal" || !got.Updated.Equal(now) {
		t.Errorf("stored settings (-returned +stored):\n%s\n%+v", diff, got)
	}
	if _, err := commands.ParseGuildID("my server"); err == nil {
		t.Error("got no error for a server ID that is not one")
	}
}

// racingStore holds each settings read until a second one has been made
// (or a while has passed), as happens when two admins change settings at
// the same moment: a SetSettings that read, changed and wrote back the
// settings would then lose one of the two changes.
type racingStore struct {
	*sqlite.DB
	mu    sync.Mutex
	reads int
	both  chan struct{}
}

func (r *racingStore) GuildSettings(ctx context.Context, guildID string) (store.Settings, error) {
	s, err := r.DB.GuildSettings(ctx, guildID)
	r.mu.Lock()
	if r.reads++; r.reads == 2 {
		close(r.both)
	}
	r.mu.Unlock()
	select {
	case <-r.both:
	case <-time.After(2 * time.Second):
	}
	return s, err
}

// Two admins changing different settings at once both keep their change.
func TestSetSettingsConcurrent(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const g = "600000000000000001"
	now := time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC)
	if _, err := commands.SetSettings(ctx, db, g, "terminal", []commands.Change{{"feed_channel", "300000000000000009"}}, now); err != nil {
		t.Fatal(err)
	}
	st := &racingStore{DB: db, both: make(chan struct{})}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for k, c := range []commands.Change{{"style", "brief"}, {"user_calls", "3"}} {
		wg.Go(func() {
			_, errs[k] = commands.SetSettings(ctx, st, g, "40000000000000000"+strconv.Itoa(k+1), []commands.Change{c}, now)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := db.GuildSettings(ctx, g)
	if err != nil {
		t.Fatal(err)
	}
	if got.Style != "brief" || got.Budget.UserCalls != store.Cap(3) || got.FeedChannel != "300000000000000009" {
		t.Errorf("after two changes at once: got style %q, user_calls %v, feed_channel %q; want brief, 3 and the feed channel kept",
			got.Style, got.Budget.UserCalls, got.FeedChannel)
	}
}

func TestUsageReport(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const g = "600000000000000001"
	for _, u := range []struct {
		user, day     string
		calls, tokens int64
	}{
		{"400000000000000001", "2026-11-03", 2, 1500},
		{"400000000000000002", "2026-11-03", 1, 400},
		{"400000000000000001", "2026-10-31", 1, 900},
		{"400000000000000001", "2026-10-27", 5, 5000}, // 8 days before: not in the report
	} {
		if err := db.AddUsage(ctx, g, u.user, u.day, u.calls, u.tokens); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Date(2026, 11, 3, 9, 30, 0, 0, time.UTC)
	r, err := commands.Usage(ctx, db, g, now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Today != (store.Usage{Day: "2026-11-03", Calls: 3, Tokens: 1900}) {
		t.Errorf("got today %+v, want 3 calls, 1900 tokens", r.Today)
	}
	if len(r.Days) != commands.UsageDays || r.Days[6].Day != "2026-10-28" || r.Days[3] != (store.Usage{Day: "2026-10-31", Calls: 1, Tokens: 900}) {
		t.Errorf("got days %+v, want 7 from 2026-11-03 back to 2026-10-28", r.Days)
	}
	if !r.Resets.Equal(time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("got reset %v, want the next midnight UTC", r.Resets)
	}
	text := r.Describe(commands.PlainRefs)
	for _, want := range []string{"Today (2026-11-03, UTC): 3 model calls, 1,900 tokens.", "Most today: 400000000000000001: 2 model calls, 1,500 tokens; 400000000000000002: 1 model call, 400 tokens.", "Daily budget: server no limit"} {
		if !strings.Contains(text, want) {
			t.Errorf("got report\n%s\nwant it to contain %q", text, want)
		}
	}
}
