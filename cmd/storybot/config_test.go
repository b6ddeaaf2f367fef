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
