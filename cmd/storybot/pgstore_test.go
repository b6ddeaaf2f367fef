package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/storybot/storybot/internal/pgtest"
)

// With DATABASE_URL=postgres://…, the commands run on PostgreSQL as they do
// on SQLite: the same IDs, search, summaries and cache.
func TestPostgresCommands(t *testing.T) {
	vars := map[string]string{"DATABASE_URL": pgtest.URL(t), "LLM_MODE": "mock"}
	run := func(args ...string) string {
		t.Helper()
		code, out, errs := cliEnv(t, vars, args...)
		if code != 0 {
			t.Fatalf("storybot %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
		}
		return out
	}
	run("ingest", "--quiet", "../../samples")
	if out := run("list"); !strings.Contains(out, floodTitle) || !strings.HasPrefix(strings.Split(out, "\n")[1], newestID) {
		t.Errorf("list: want the newest (%s) first and the flood story:\n%s", newestID, out)
	}
	var hits []hitJSON
	if err := json.Unmarshal([]byte(run("search", "--json", "flood homes")), &hits); err != nil || len(hits) == 0 || hits[0].ID != floodID {
		t.Errorf("search: got %+v (%v), want %s first", hits, err, floodID)
	}
	if out := run("show", strings.ToUpper(floodID)); !strings.Contains(out, floodTitle) {
		t.Errorf("show:\n%s", out)
	}
	for i, cached := range []bool{false, true} {
		j := decodeStoryReply(t, run("story", "--json", floodID))
		if j.ID != floodID || j.Engine != "mock" || j.Cached != cached || j.Fallback != nil {
			t.Errorf("story, run %d: got %+v, want the mock's summary, cached=%v", i+1, j, cached)
		}
	}
	if out := run("ask", "How many homes lost power?"); !strings.Contains(out, "[1]") {
		t.Errorf("ask: want an answer with sources:\n%s", out)
	}
	if code, _, errs := cliEnv(t, vars, "backup", "copy.db"); code != 2 || !strings.Contains(errs, "pg_dump") {
		t.Errorf("backup: exit %d, %q; want 2 and a pointer to pg_dump", code, errs)
	}
}

// A server that does not answer is an error naming it, without the password.
func TestPostgresUnreachableHidesPassword(t *testing.T) {
	const secret = "s3cret-pw"
	vars := map[string]string{"DATABASE_URL": "postgres://storybot:" + secret + "@127.0.0.1:1/storybot?connect_timeout=5"}
	for _, args := range [][]string{{"list"}, {"search", "x"}, {"story"}, {"ingest", "-"}} {
		code, out, errs := cliEnv(t, vars, args...)
		if code != 1 || !strings.Contains(errs, "127.0.0.1:1") || strings.Contains(out+errs, secret) {
			t.Errorf("%s: exit %d, %q; want 1, naming the server without the password", args[0], code, errs)
		}
	}
}
