package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/internal/corpus"
	"github.com/storybot/storybot/internal/shared"
	"github.com/storybot/storybot/store/sqlite"
)

func TestIngestSharedArticles(t *testing.T) {
	dir := shared.Path(t, "data", "articles")
	db := filepath.Join(t.TempDir(), "s.db")

	code, out, errs := cli(t, "", "ingest", dir, "--db", db)
	if code != 0 || !strings.Contains(out, "251 added, 0 updated, 0 unchanged, 1 skipped, 0 failed") {
		t.Fatalf("first ingest: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = cli(t, "", "ingest", dir, "--db", db)
	if code != 0 || !strings.Contains(out, "Ingested 251 articles") || !strings.Contains(out, "251 unchanged") {
		t.Errorf("second ingest: exit %d\n%s", code, out)
	}

	code, out, _ = cli(t, "", "search", "Brixton shooting", "--db", db, "--json")
	var hits []hitJSON
	if err := json.Unmarshal([]byte(out), &hits); code != 0 || err != nil || len(hits) == 0 {
		t.Fatalf("search: exit %d, %v\n%s", code, err, out)
	}
	const title = "Ex-Metropolitan police officer from Tonbridge, forgives man who shot him"
	if hits[0].Title != title {
		t.Errorf("search: first hit %q, want %q", hits[0].Title, title)
	}

	code, out, _ = cli(t, "", "show", hits[0].ID, "--db", db)
	if code != 0 {
		t.Errorf("show: exit %d\n%s", code, out)
	}
	for _, want := range []string{title, "Published: 2020-08-18 15:59 UTC", "Updated:   2020-08-18 17:27 UTC", "Author:    Katie Heslop", "\nAn ex-police officer from Tonbridge"} {
		if !strings.Contains(out, want) {
			t.Errorf("show: output lacks %q\n%s", want, out)
		}
	}
	for _, unwanted := range []string{"Read more", "More by this author"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("show: output has %q", unwanted)
		}
	}
}

func TestIngestExitStatusAndMessages(t *testing.T) {
	dir := t.TempDir()
	good := "Good story\nPublished: 10:00, 1 May 2020\nBody.\n"
	os.WriteFile(filepath.Join(dir, "good.txt"), []byte(good), 0o644)
	os.WriteFile(filepath.Join(dir, "bad.txt"), []byte("Bad story\nPublished: 1 May 2020\nBody.\n"), 0o644)
	db := filepath.Join(t.TempDir(), "s.db")

	code, out, _ := cli(t, "", "ingest", dir, "--db", db)
	if code != 1 {
		t.Errorf("exit status: got %d, want 1", code)
	}
	for _, want := range []string{"1 added", "1 failed", "bad.txt:2: Published time \"1 May 2020\" is not in the form HH:MM, D Month YYYY"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if code, out, _ := cli(t, "", "list", "--db", db); code != 0 || !strings.Contains(out, "Good story") {
		t.Errorf("the valid article was not kept: exit %d\n%s", code, out)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"ingest"}, "ingest needs at least one file"},
		{[]string{"ingest", "ftp://u:secret@example.com/feed"}, "feeds over http:// and https:// only"},
		{[]string{"search"}, "search needs a query"},
		{[]string{"show"}, "show needs one story ID"},
		{[]string{"list", "--limit", "0"}, "--limit must be at least 1"},
		{[]string{"list", "--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"backup", "copy.db", "--db", "postgres://u:secret@host/db"}, "pg_dump"},
		{[]string{"list", "--db", "postgres://u:secret@host:port/db"}, "invalid port"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, errs := cli(t, "", tt.args...)
			if code != 2 || !strings.Contains(errs, tt.want) {
				t.Errorf("got exit %d, stderr %q; want 2 and %q", code, errs, tt.want)
			}
			if strings.Contains(errs, "secret") {
				t.Errorf("stderr shows the password: %q", errs)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := cli(t, "", "--help")
	if code != 0 || !strings.Contains(out, "ingest") || !strings.Contains(out, "search") {
		t.Errorf("storybot --help: exit %d\n%s", code, out)
	}
	for name := range commands {
		code, _, errs := cli(t, "", name, "--help")
		if code != 0 || !strings.Contains(errs, "Usage:\n  storybot "+name) {
			t.Errorf("storybot %s --help: exit %d\n%s", name, code, errs)
		}
	}
}

// TestKillDuringIngest kills a storybot ingest with SIGKILL while it writes
// and checks that the database opens, passes its integrity checks and holds
// whole batches only.
func TestKillDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: starts a child process")
	}
	dbPath := filepath.Join(t.TempDir(), "k.db")
	const batch = 50
	args, _ := json.Marshal([]string{"ingest", "-", "--db", dbPath, "--batch", fmt.Sprint(batch), "--quiet"})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "STORYBOT_TEST_ARGS="+string(args))
	var childErr bytes.Buffer
	cmd.Stderr = &childErr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Feed articles until the child is killed.
	go func() {
		g := corpus.New(7)
		for {
			a := g.Article(300)
			line, _ := json.Marshal(map[string]string{"title": a.Title, "body": a.Body, "url": a.URL,
				"published": a.Published.Format(time.RFC3339)})
			if _, err := stdin.Write(append(line, '\n')); err != nil {
				return
			}
		}
	}()

	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	created := false
	for {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the child stored fewer than 500 stories in 60s; its stderr:\n%s", childErr.String())
		}
		time.Sleep(50 * time.Millisecond)
		// Open only a database the child created at least one poll ago:
		// opening creates and migrates it, and a child that starts slowly
		// would then find its migration done under it and fail.
		if !created {
			_, err := os.Stat(dbPath)
			created = err == nil
			continue
		}
		db, err := sqlite.Open(ctx, dbPath)
		if err != nil {
			continue // not migrated yet
		}
		n, err := db.Count(ctx)
		db.Close()
		if err == nil && n >= 500 {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	stdin.(io.Closer).Close()

	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatalf("after kill: %v", err)
	}
	n, err := db.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n < 500 || n%batch != 0 {
		t.Errorf("after kill: %d stories, want at least 500 in whole batches of %d", n, batch)
	}
	if hits, err := db.Search(ctx, corpus.New(7).Article(300).Title, 1); err != nil || len(hits) != 1 {
		t.Errorf("search after kill: %v, %v", hits, err)
	}
}
