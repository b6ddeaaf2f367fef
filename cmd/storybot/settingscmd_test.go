package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cmds "github.com/storybot/storybot/commands"

	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/sqlite"
)

const testGuild = "600000000000000001"

func TestSettingsCommand(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	run := func(args ...string) (int, string, string) {
		t.Helper()
		return cli(t, "", append(args, "--db", db)...)
	}
	code, out, errs := run("settings", "show", "--guild", testGuild)
	if code != exitOK || !strings.Contains(out, "style: standard (the default)") || !strings.Contains(out, "channels: all") {
		t.Fatalf("show: got exit %d stdout %q stderr %q, want the defaults", code, out, errs)
	}
	code, out, errs = run("settings", "set", "--guild", testGuild, "style=brief", "channels=300000000000000001, 300000000000000002", "user_calls=20")
	if code != exitOK || !strings.HasPrefix(out, "Saved.") || !strings.Contains(out, "user_calls: 20") {
		t.Fatalf("set: got exit %d stdout %q stderr %q, want Saved", code, out, errs)
	}

	// The same checks as /storybot: an invalid value changes nothing.
	tests := []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"settings", "set", "--guild", testGuild, "style=detailed", "server_calls=-3"}, `server_calls: "-3" is not a whole number of 0 or more`},
		{[]string{"settings", "set", "--guild", testGuild, "channels=general"}, `"general" is not a channel ID`},
		{[]string{"settings", "set", "--guild", testGuild, "style"}, `"style" is not NAME=VALUE`},
		{[]string{"settings", "set", "--guild", testGuild}, "nothing to change"},
		{[]string{"settings", "show", "--guild", "my-server"}, `"my-server" is not a server ID`},
		{[]string{"settings", "show"}, "needs the server: --guild ID"},
		{[]string{"settings", "list", "--guild", testGuild}, `"list" is not show, set or usage`},
	}
	for _, tt := range tests {
		code, out, errs := run(tt.args...)
		if code != exitUsage || !strings.Contains(errs, tt.want) || out != "" {
			t.Errorf("%q: got exit %d stdout %q stderr %q, want %d and %q", tt.args, code, out, errs, exitUsage, tt.want)
		}
	}

	code, out, _ = run("settings", "show", "--guild", testGuild, "--json")
	var j settingsJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil || code != exitOK {
		t.Fatalf("show --json: exit %d, %v\n%s", code, err, out)
	}
	if j.Style != "brief" || len(j.Channels) != 2 || j.Budget.UserCalls == nil || *j.Budget.UserCalls != 20 || j.Budget.ServerCalls != nil || j.UpdatedBy != "terminal" {
		t.Errorf("show --json: got %+v, want brief, 2 channels, 20 user calls, no server limit, by terminal", j)
	}
}

func TestSettingsUsageCommand(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	today := store.Day(time.Now())
	if err := db.AddUsage(context.Background(), testGuild, "400000000000000001", today, 2, 1234); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, out, errs := cliEnv(t, map[string]string{"DISCORD_GUILD_ID": testGuild}, "settings", "usage", "--db", path)
	if code != exitOK || !strings.Contains(out, "Today ("+today+", UTC): 2 model calls, 1,234 tokens.") || !strings.Contains(out, "start again at") {
		t.Errorf("usage: got exit %d stdout %q stderr %q, want today's 2 calls", code, out, errs)
	}
}

func TestReadAccessLists(t *testing.T) {
	c, _, err := readBotConfig(func(k string) string {
		return map[string]string{"DISCORD_TOKEN": "t", "BOT_DENY_USERS": "400000000000000001, 400000000000000002", "BOT_ALLOW_GUILDS": "600000000000000001"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	want := cmds.AccessLists{DenyUsers: []string{"400000000000000001", "400000000000000002"}, AllowGuilds: []string{"600000000000000001"}}
	if got := c.Access; len(got.DenyUsers) != 2 || got.DenyUsers[1] != want.DenyUsers[1] || len(got.AllowGuilds) != 1 || len(got.AllowUsers) != 0 {
		t.Errorf("got %+v, want %+v", got, want)
	}
	_, _, err = readBotConfig(func(k string) string {
		return map[string]string{"DISCORD_TOKEN": "t", "BOT_ALLOW_ROLES": "moderators"}[k]
	})
	if err == nil || !strings.Contains(err.Error(), `BOT_ALLOW_ROLES: "moderators" is not a role ID`) {
		t.Errorf("got %v, want BOT_ALLOW_ROLES named", err)
	}
}

func TestReadDMModel(t *testing.T) {
	for _, tt := range []struct {
		value   string
		want    bool // NoDMModel
		wantErr string
	}{
		{"", false, ""},
		{"on", false, ""},
		{"OFF", true, ""},
		{"no", false, `BOT_DM_MODEL: "no" is not on or off`},
	} {
		c, _, err := readBotConfig(func(k string) string {
			return map[string]string{"DISCORD_TOKEN": "t", "BOT_DM_MODEL": tt.value}[k]
		})
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("BOT_DM_MODEL=%s: got error %v, want %q", tt.value, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("BOT_DM_MODEL=%s: %v", tt.value, err)
		case c.NoDMModel != tt.want:
			t.Errorf("BOT_DM_MODEL=%s: got NoDMModel %v, want %v", tt.value, c.NoDMModel, tt.want)
		}
	}
}
