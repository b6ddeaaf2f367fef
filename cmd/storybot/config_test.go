package main

import (
	"strings"
	"testing"
)

func TestRedactURL(t *testing.T) {
	for _, in := range []string{
		"postgres://u:hunter2@db:5432/s",
		"postgres://db/s?password=hunter2&sslmode=require",
		"postgres://db/s?sslkey=k.pem&sslpassword=hunter2&password=hunter2",
		"postgres://db/s?PASSWORD=hunter2",
		"host=db user=me password=hunter2 dbname=s",
		"host=db password='hunter2 with spaces' dbname=s",
		"dbname=s sslpassword=hunter2 host=db",
	} {
		got := redactURL(in)
		if strings.Contains(got, "hunter2") || !strings.Contains(got, "db") {
			t.Errorf("redactURL(%q) = %q, want the host and no password", in, got)
		}
	}
}

// A keyword-form PostgreSQL address is PostgreSQL, never a SQLite file
// named after it.
func TestKeywordFormIsPostgres(t *testing.T) {
	for _, v := range []string{"host=db user=me password=hunter2 dbname=s", " dbname=s host=/tmp", "HOST=db"} {
		if !isPostgres(v) {
			t.Errorf("isPostgres(%q) = false, want true", v)
		}
		if _, err := sqlitePath(v, "DATABASE_URL"); err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("sqlitePath(%q): got %v, want an error without the password", v, err)
		}
	}
	for _, v := range []string{"data/storybot.db", "sqlite:data/x.db", "my host=db.db"} {
		if isPostgres(v) {
			t.Errorf("isPostgres(%q) = true, want a SQLite file", v)
		}
	}
}

// A key pasted into the wrong setting is not quoted back.
func TestBadSettingHidesKey(t *testing.T) {
	const key = "sk-proj-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"
	for _, name := range []string{"BOT_USER_BURST", "LLM_TEMPERATURE", "LOG_LEVEL"} {
		_, err := loadConfig(func(n string) string {
			if n == name {
				return key
			}
			return ""
		})
		if err == nil || !strings.Contains(err.Error(), name) || strings.Contains(err.Error(), key) || strings.Contains(err.Error(), "4f9a8b7c") {
			t.Errorf("%s=KEY: got %v, want an error naming %s without the key", name, err, name)
		}
	}
	if _, err := loadConfig(func(n string) string {
		if n == "BOT_USER_BURST" {
			return "lots"
		}
		return ""
	}); err == nil || !strings.Contains(err.Error(), `"lots"`) {
		t.Errorf("BOT_USER_BURST=lots: got %v, want the value quoted back", err)
	}
}

// A feed's key in FEEDS or FEED_CHANNELS is never quoted in a settings
// error.
func TestFeedSettingsHideKeys(t *testing.T) {
	for name, value := range map[string]string{
		"FEEDS":         "ftp://u:hunter2@example.com/f?token=sekrit",
		"FEED_CHANNELS": "https://u:hunter2@example.com/f?token=sekrit=notachannel",
	} {
		_, err := loadConfig(func(n string) string {
			if n == name {
				return value
			}
			return ""
		})
		if err == nil || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "sekrit") {
			t.Errorf("%s: got %v, want an error without the key", name, err)
		}
	}
}
