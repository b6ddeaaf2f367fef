package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/storybot/storybot/feed"
	"github.com/storybot/storybot/internal/fakediscord"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/sqlite"
)

func TestReadFeedSettings(t *testing.T) {
	const (
		a  = "https://example.com/news.rss"
		b  = "http://example.org/feed?format=atom&x=1"
		c1 = "123456789012345678"
		c2 = "223456789012345678"
	)
	tests := []struct {
		name    string
		vars    map[string]string
		want    feedSettings
		wantErr string
	}{
		{"none", nil, feedSettings{interval: feed.DefaultInterval}, ""},
		{"feeds and channels", map[string]string{
			"FEEDS":              a + ", " + b + "\n" + a,
			"FEED_CHANNELS":      a + "=" + c1 + " " + b + "=" + c2 + "," + a + "=" + c2 + " " + a + "=" + c1,
			"FEED_INTERVAL":      "5m",
			"FEED_ALLOW_PRIVATE": "true",
		}, feedSettings{
			sources:      []feed.Source{{URL: a, Channels: []string{c1, c2}}, {URL: b, Channels: []string{c2}}},
			interval:     5 * time.Minute,
			allowPrivate: true,
		}, ""},
		{"not a URL", map[string]string{"FEEDS": "example.com/feed"}, feedSettings{}, `FEEDS: "example.com/feed" is not an http:// or https:// URL`},
		{"not http", map[string]string{"FEEDS": "ftp://example.com/feed"}, feedSettings{}, "FEEDS:"},
		{"no channel ID", map[string]string{"FEEDS": a, "FEED_CHANNELS": a}, feedSettings{}, "is not FEED_URL=CHANNEL_ID"},
		{"bad channel ID", map[string]string{"FEEDS": a, "FEED_CHANNELS": a + "=general"}, feedSettings{}, `"general" is not a channel ID`},
		{"channel for an unlisted feed", map[string]string{"FEEDS": a, "FEED_CHANNELS": b + "=" + c1}, feedSettings{}, b + " is not in FEEDS"},
		{"interval too short", map[string]string{"FEED_INTERVAL": "10s"}, feedSettings{}, "FEED_INTERVAL"},
		{"interval not a duration", map[string]string{"FEED_INTERVAL": "15"}, feedSettings{}, "FEED_INTERVAL"},
		{"allow private not a bool", map[string]string{"FEED_ALLOW_PRIVATE": "maybe"}, feedSettings{}, "FEED_ALLOW_PRIVATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadConfig(func(k string) string { return tt.vars[k] })
			if tt.wantErr != "" {
				var ue usageError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ue) {
					t.Fatalf("got %v, want a usage error saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, c.Feeds, cmp.AllowUnexported(feedSettings{})); diff != "" {
				t.Errorf("settings (-want +got):\n%s", diff)
			}
		})
	}
}

// newsSite serves an RSS feed of one story and the story's page.
func newsSite(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte(`<?xml version="1.0"?><rss version="2.0"><channel><title>Hollinsford Gazette</title>
<item><title>Ferry service returns to the estuary</title><link>/ferry</link><guid>f1</guid>
<pubDate>Mon, 02 Nov 2026 08:30:00 GMT</pubDate><description>The ferry is back.</description></item>
</channel></rss>`))
	})
	mux.HandleFunc("/ferry", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<html><head><title>Ferry</title></head><body><nav><a href="/">Home</a> <a href="/jobs">Jobs</a></nav>
<article><h1>Ferry service returns to the estuary</h1>
<p>The ferry across the estuary carried its first passengers in three years on Monday, after the council found money to repair the landing stage.</p>
<p>Commuters who had faced a forty-minute drive around the estuary said the five-minute crossing would change their mornings.</p>
<p>The service will run every half hour from seven in the morning until seven in the evening, seven days a week.</p>
</article><footer>Advertise with us</footer></body></html>`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestIngestFeedURL(t *testing.T) {
	srv := newsSite(t)
	db := filepath.Join(t.TempDir(), "s.db")
	private := map[string]string{"FEED_ALLOW_PRIVATE": "true"}

	code, out, errs := cliEnv(t, private, "ingest", srv.URL+"/feed.xml", "--db", db)
	if code != 0 || !strings.Contains(out, "Ingested 1 article") || !strings.Contains(out, "1 added") ||
		!strings.Contains(out, "Feed "+srv.URL+"/feed.xml: 1 entries, 1 added") {
		t.Fatalf("first ingest: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = cli(t, "", "search", "ferry estuary", "--db", db, "--json")
	var hits []hitJSON
	if err := json.Unmarshal([]byte(out), &hits); code != 0 || err != nil || len(hits) != 1 {
		t.Fatalf("search: exit %d, %v\n%s", code, err, out)
	}
	code, out, _ = cli(t, "", "show", hits[0].ID, "--db", db)
	if code != 0 || !strings.Contains(out, "forty-minute drive") || strings.Contains(out, "Advertise") || strings.Contains(out, "Jobs") {
		t.Errorf("show: exit %d, want the page's main text only\n%s", code, out)
	}

	// Again, with a file: the entry is known, the file is added.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.txt"), []byte("Good story\nPublished: 10:00, 1 May 2020\nBody.\n"), 0o644)
	code, out, errs = cliEnv(t, private, "ingest", dir, srv.URL+"/feed.xml", "--db", db, "--quiet")
	if code != 0 || !strings.Contains(out, "1 added, 0 updated, 1 unchanged") || errs != "" {
		t.Errorf("second ingest: exit %d\n%s%s", code, out, errs)
	}
}

func TestIngestFeedFailures(t *testing.T) {
	srv := newsSite(t)
	db := filepath.Join(t.TempDir(), "s.db")
	tests := []struct {
		name       string
		vars       map[string]string
		url        string
		wantReason string
	}{
		{"missing", map[string]string{"FEED_ALLOW_PRIVATE": "true"}, srv.URL + "/gone.xml", "the server answered 404 Not Found; try again later"},
		{"not a feed", map[string]string{"FEED_ALLOW_PRIVATE": "true"}, srv.URL + "/ferry", "not an RSS, Atom or JSON feed"},
		{"private", nil, srv.URL + "/feed.xml", "refused to connect to 127.0.0.1: a loopback address, not a public one (set FEED_ALLOW_PRIVATE=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cliEnv(t, tt.vars, "ingest", tt.url, "--db", db, "--quiet")
			if code != exitFailure || !strings.Contains(out, "Failed:\n  "+tt.url+": "+tt.wantReason) {
				t.Errorf("got exit %d\n%s%s\nwant %d and the reason %q", code, out, errs, exitFailure, tt.wantReason)
			}
		})
	}
	code, out, _ := cliEnv(t, map[string]string{"FEED_ALLOW_PRIVATE": "true"}, "ingest", srv.URL+"/gone.xml", "--db", db, "--json")
	var got ingestJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != exitFailure || len(got.Feeds) != 1 || got.Feeds[0].Error == "" {
		t.Errorf("--json: exit %d, %v\n%s", code, err, out)
	}
	if code, _, errs := cliEnv(t, map[string]string{"FEED_ALLOW_PRIVATE": "sure"}, "ingest", srv.URL+"/feed.xml", "--db", db); code != exitUsage || !strings.Contains(errs, "FEED_ALLOW_PRIVATE") {
		t.Errorf("bad setting: got exit %d %q, want %d naming FEED_ALLOW_PRIVATE", code, errs, exitUsage)
	}
}

// TestRunPostsFeedStories runs the bot with a feed read before: its new
// story is posted to the feed's channel.
func TestRunPostsFeedStories(t *testing.T) {
	fake, err := fakediscord.Start(fakediscord.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	srv := newsSite(t)
	feedURL := srv.URL + "/feed.xml"
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	long := time.Now().Add(-24 * time.Hour)
	if err := db.PutFeedState(context.Background(), store.FeedState{URL: feedURL, Checked: long, OK: long}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	const channel = "700000000000000001"
	vars := map[string]string{
		"DISCORD_TOKEN": fake.Token(), "DISCORD_APP_ID": fake.AppID(), "DISCORD_API_URL": fake.APIURL(), "BOT_SHUTDOWN_GRACE": "10s",
		"HTTP_ADDR": "off", "FEEDS": feedURL, "FEED_CHANNELS": feedURL + "=" + channel, "FEED_ALLOW_PRIVATE": "true",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"run", "--db", path}, &IO{In: strings.NewReader(""), Out: &out, Err: &errb}, func(k string) string { return vars[k] })
	}()
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second) // a safeguard against a hang
	defer wcancel()
	msg, err := fake.Wait(wctx, func(r fakediscord.Request) bool { return r.Kind == fakediscord.KindMessage })
	if err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	if msg.Channel != channel || msg.Status != 200 || !strings.Contains(string(msg.Body), "Ferry service returns to the estuary") {
		t.Errorf("got a post to %q (status %d): %s", msg.Channel, msg.Status, msg.Body)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("run: exit %d\n%s", code, errb.String())
	}
}

// A private feed's credentials (user information, a token in the query)
// are never printed, on any line or in --json.
func TestIngestFeedHidesCredentials(t *testing.T) {
	db := filepath.Join(t.TempDir(), "s.db")
	const url = "http://alice:hunter2@127.0.0.1:1/feed.xml?token=sekrit&x=1"
	for _, args := range [][]string{{"ingest", url, "--db", db}, {"ingest", url, "--db", db, "--json"}} {
		_, out, errs := cli(t, "", args...)
		for _, secret := range []string{"hunter2", "sekrit"} {
			if strings.Contains(out+errs, secret) {
				t.Errorf("%v: the output holds %q:\n%s%s", args, secret, out, errs)
			}
		}
		if !strings.Contains(out+errs, "127.0.0.1:1/feed.xml") {
			t.Errorf("%v: the output does not name the feed:\n%s%s", args, out, errs)
		}
	}
}
