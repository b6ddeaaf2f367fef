package feed

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/storybot/storybot/internal/pgtest"
	"github.com/storybot/storybot/store"
	"github.com/storybot/storybot/store/postgres"
	"github.com/storybot/storybot/store/sqlite"
)

// t0 is the tests' starting time.
var t0 = time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// site is a web site on 127.0.0.1 whose pages the tests set, and which
// counts the requests for each path.
type site struct {
	srv *httptest.Server

	mu       sync.Mutex
	handlers map[string]http.HandlerFunc
	hits     map[string]int
	agents   map[string]bool
}

func newSite(t *testing.T) *site {
	s := &site{handlers: map[string]http.HandlerFunc{}, hits: map[string]int{}, agents: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		h := s.handlers[r.URL.Path]
		s.hits[r.URL.Path]++
		s.agents[r.UserAgent()] = true
		s.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// url returns the absolute URL of path.
func (s *site) url(path string) string { return s.srv.URL + path }

// handle serves path with h.
func (s *site) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handlers[path] = h
}

// serve serves path with a fixed body and content type.
func (s *site) serve(path, contentType, body string) {
	s.handle(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		fmt.Fprint(w, body)
	})
}

// count returns how many requests path got.
func (s *site) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// testDB opens a store in a temporary folder.
func testDB(t *testing.T) (*sqlite.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// testPG opens a store in a PostgreSQL schema of its own (internal/pgtest:
// the test is skipped when there is no server).
func testPG(t *testing.T) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// backends are the stores a test that depends on the store runs against.
var backends = []struct {
	name string
	open func(t *testing.T) Store
}{
	{"sqlite", func(t *testing.T) Store { db, _ := testDB(t); return db }},
	{"postgres", func(t *testing.T) Store { return testPG(t) }},
}

// postState returns the state of a post in the SQLite store at path.
func postState(t *testing.T, path, channel, storyID string) store.PostState {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var state store.PostState
	if err := db.QueryRow(`SELECT state FROM posts WHERE channel = ? AND story_id = ?`, channel, storyID).Scan(&state); err != nil {
		t.Fatal(err)
	}
	return state
}

// rawServer answers every request with response, byte for byte, and
// returns its URL: for answers net/http's server cannot write.
func rawServer(t *testing.T, response string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed
			}
			go func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
					io.WriteString(c, response)
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// testConfig allows loopback servers, has no politeness pause and uses c.
func testConfig(c *clock) Config {
	return Config{AllowPrivate: true, HostDelay: -1, Now: c.Now, Log: slog.New(slog.DiscardHandler)}
}

// rss is an RSS 2.0 feed holding items.
func rss(items ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
<title>Hollinsford Gazette</title>
<link>/</link>
<description>Local news</description>
` + strings.Join(items, "\n") + `
</channel>
</rss>`
}

// item is an RSS item with a GUID, a link, a date and a description.
func item(guid, title, link string, published time.Time, description string) string {
	return fmt.Sprintf(`<item><title>%s</title><link>%s</link><guid isPermaLink="false">%s</guid><pubDate>%s</pubDate><description>%s</description></item>`,
		title, link, guid, published.Format(time.RFC1123Z), description)
}

// htmlPage is an article page whose main text is paras.
func htmlPage(title string, paras ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html><html><head><title>%s</title></head><body><nav><a href=\"/\">Home</a> <a href=\"/sport\">Sport</a></nav><article><h1>%s</h1>", title, title)
	for _, p := range paras {
		fmt.Fprintf(&b, "<p>%s</p>", p)
	}
	b.WriteString("</article><footer>All rights reserved.</footer></body></html>")
	return b.String()
}

// story is a paragraph long enough for readability to take it as text.
func story(topic string) []string {
	return []string{
		topic + " was the talk of the town on Monday, as residents gathered to hear what the council had decided after months of debate.",
		"Councillors voted by a large majority for the plan, which had been changed twice after complaints from people living nearby.",
		"Work is due to start in the spring and should be finished before the end of next year, the council said in a statement.",
	}
}
