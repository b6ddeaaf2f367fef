package feed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/mmcdole/gofeed"
)

func TestReadRSS(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	articleHTML, err := os.ReadFile("testdata/article.html")
	if err != nil {
		t.Fatal(err)
	}
	s.serve("/news/bridge-reopens", "text/html; charset=utf-8", string(articleHTML))
	// The second entry's page is gone: its text comes from the feed.
	s.serve("/feeds/rss.xml", "application/rss+xml", rss(
		`<item><title>Bridge reopens after two-year repair</title><link>/news/bridge-reopens</link>
		<guid isPermaLink="false">gazette-1001</guid><dc:creator>Priya Shah</dc:creator>
		<pubDate>Mon, 02 Nov 2026 08:30:00 GMT</pubDate><description>The Wend Bridge reopened on Monday.</description></item>`,
		`<item><title>Library &amp; museum to share a building</title><link>news/library</link>
		<guid>gazette-1002</guid><author>desk@example.com (News Desk)</author>
		<pubDate>Tue, 03 Nov 2026 09:00:00 GMT</pubDate>
		<content:encoded><![CDATA[<p>The library and the <b>museum</b> will share a building from spring.</p><script>alert(1)</script><p>Staff will stay on.</p>]]></content:encoded></item>`))
	db, _ := testDB(t)
	r := New(testConfig(newClock()), db)

	res, err := r.Read(ctx, s.url("/feeds/rss.xml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || res.Failed != 0 || res.FromFeed != 1 || res.Entries != 2 {
		t.Fatalf("got %+v, want 2 added, 1 with the feed's text", res)
	}
	ts, err := db.Latest(ctx, 10)
	if err != nil || len(ts) != 2 {
		t.Fatalf("got %v, %v, want 2 stories", ts, err)
	}

	bridge, err := db.Get(ctx, ts[1].ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := s.url("/news/bridge-reopens"); bridge.URL != want {
		t.Errorf("got URL %q, want %q (resolved against the feed's URL)", bridge.URL, want)
	}
	if bridge.Title != "Bridge reopens after two-year repair" || bridge.Author != "Priya Shah" || bridge.Source != "Hollinsford Gazette" {
		t.Errorf("got title %q author %q source %q", bridge.Title, bridge.Author, bridge.Source)
	}
	if want := time.Date(2026, 11, 2, 8, 30, 0, 0, time.UTC); !bridge.Published.Equal(want) || !bridge.Updated.IsZero() {
		t.Errorf("got published %v updated %v, want %v and none", bridge.Published, bridge.Updated, want)
	}
	// The page's main text is stored; its navigation, adverts and
	// footer are not.
	for _, want := range []string{
		"The Wend Bridge in Hollinsford reopened to traffic on Monday morning",
		"cost £4.2 million",
		"said Margaret Doyle, who runs the bakery",
		"protect it from the worst of future storms.",
	} {
		if !strings.Contains(bridge.Body, want) {
			t.Errorf("body lacks %q:\n%s", want, bridge.Body)
		}
	}
	for _, junk := range []string{"cookies", "ADVERTISEMENT", "sofa", "Most read", "horoscope", "Subscribe", "Share on", "newsletter", "rights reserved", "Sponsored", "trackPageView", "Sport"} {
		if strings.Contains(strings.ToLower(bridge.Body), strings.ToLower(junk)) {
			t.Errorf("body has %q from around the article:\n%s", junk, bridge.Body)
		}
	}
	if n := len(bridge.Paragraphs()); n != 5 {
		t.Errorf("got %d paragraphs, want 5:\n%s", n, bridge.Body)
	}

	library, err := db.Get(ctx, ts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := s.url("/feeds/news/library"); library.URL != want {
		t.Errorf("got URL %q, want %q", library.URL, want)
	}
	if want := "The library and the museum will share a building from spring.\nStaff will stay on."; library.Body != want {
		t.Errorf("got body %q, want %q (the feed's HTML as text)", library.Body, want)
	}
	if library.Title != "Library & museum to share a building" || library.Author != "News Desk" {
		t.Errorf("got title %q author %q", library.Title, library.Author)
	}

	// Read again: the entries are known by GUID, so no page is fetched.
	pages := s.count("/news/bridge-reopens") + s.count("/feeds/news/library")
	res, err = r.Read(ctx, s.url("/feeds/rss.xml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Unchanged != 2 || res.Added != 0 {
		t.Errorf("second read: got %+v, want 2 unchanged", res.Stats)
	}
	if got := s.count("/news/bridge-reopens") + s.count("/feeds/news/library"); got != pages {
		t.Errorf("second read fetched pages again: %d requests, want %d", got, pages)
	}
	for ua := range s.agents {
		if !strings.HasPrefix(ua, "storybot/") {
			t.Errorf("got User-Agent %q, want one naming storybot", ua)
		}
	}
}

func TestReadAtom(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	body := story("The new bridge")
	s.serve("/blog/2026/bridge", "text/html", htmlPage("Bridge", body...))
	atom := func(updated string) string {
		return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="/blog/">
  <title type="text">Town blog</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>` + updated + `</updated>
  <entry>
    <title type="html">Bridge &lt;em&gt;reopens&lt;/em&gt;</title>
    <link href="2026/bridge" rel="alternate"/>
    <id>tag:example.com,2026:bridge</id>
    <published>2026-11-02T08:30:00+01:00</published>
    <updated>` + updated + `</updated>
    <author><name>Priya Shah</name></author>
    <summary>The bridge reopened.</summary>
  </entry>
</feed>`
	}
	s.serve("/atom.xml", "application/atom+xml", atom("2026-11-02T08:30:00+01:00"))
	db, _ := testDB(t)
	r := New(testConfig(newClock()), db)
	res, err := r.Read(ctx, s.url("/atom.xml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 1 {
		t.Fatalf("got %+v, want 1 added", res)
	}
	ts, _ := db.Latest(ctx, 1)
	st, err := db.Get(ctx, ts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := s.url("/blog/2026/bridge"); st.URL != want {
		t.Errorf("got URL %q, want %q (xml:base and the feed's URL)", st.URL, want)
	}
	if st.Title != "Bridge reopens" || st.Author != "Priya Shah" {
		t.Errorf("got title %q author %q", st.Title, st.Author)
	}
	if want := time.Date(2026, 11, 2, 7, 30, 0, 0, time.UTC); !st.Published.Equal(want) || !st.Updated.IsZero() {
		t.Errorf("got published %v updated %v, want %v (UTC) and none", st.Published, st.Updated, want)
	}
	if want := strings.Join(body, "\n"); st.Body != want {
		t.Errorf("got body %q, want the page's text %q", st.Body, want)
	}

	// The feed says the entry was updated: its page is read again and the
	// story updated in place, keeping its ID.
	body[2] = "Work started at once and was finished in record time."
	s.serve("/blog/2026/bridge", "text/html", htmlPage("Bridge", body...))
	s.serve("/atom.xml", "application/atom+xml", atom("2026-11-03T10:00:00Z"))
	res, err = r.Read(ctx, s.url("/atom.xml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Updated != 1 {
		t.Fatalf("got %+v, want 1 updated", res.Stats)
	}
	up, err := db.Get(ctx, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(up.Body, "record time") || !up.Updated.Equal(time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("got body %q updated %v, want the new text and time", up.Body, up.Updated)
	}
}

func TestReadBrokenFeeds(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	s.serve("/broken.xml", "application/rss+xml", `<?xml version="1.0"?><rss version="2.0"><channel><title>Cut off</title><item><title>Half`)
	s.serve("/html", "text/html", "<html><body><p>Not a feed.</p></body></html>")
	s.serve("/empty-entry.xml", "application/rss+xml", rss(`<item><guid>x1</guid><title>No text anywhere</title></item>`,
		item("x2", "Good one", "/good", t0, "A good entry with text.")))
	tests := []struct {
		name, path, want string
	}{
		{"broken XML", "/broken.xml", "not a well-formed feed"},
		{"not a feed", "/html", "not an RSS, Atom or JSON feed"},
		{"missing", "/gone.xml", "404 Not Found"},
	}
	db, _ := testDB(t)
	c := newClock()
	r := New(testConfig(c), db)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := r.Read(ctx, s.url(tt.path), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
			st, err := db.FeedState(ctx, s.url(tt.path))
			if err != nil {
				t.Fatal(err)
			}
			if st.Failures != 1 || !st.NextTry.Equal(c.Now().Add(DefaultRetryMin)) || !strings.Contains(st.LastError, tt.want) {
				t.Errorf("got state %+v, want 1 failure, retry in %v", st, DefaultRetryMin)
			}
		})
	}

	// An entry with no text anywhere fails alone; the others are stored.
	res, err := r.Read(ctx, s.url("/empty-entry.xml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 1 || res.Failed != 1 || len(res.Failures) != 1 || !strings.Contains(res.Failures[0].Reason, "no text") {
		t.Errorf("got %+v, want 1 added and 1 failure with no text", res.Stats)
	}
}

func TestNotModified(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	const etag, lastMod = `"v1"`, "Wed, 04 Nov 2026 11:00:00 GMT"
	var gotINM, gotIMS string
	s.serve("/a", "text/html", htmlPage("A", story("The market")...))
	s.handle("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		gotINM, gotIMS = r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
		if gotINM == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", lastMod)
		w.Write([]byte(rss(item("a", "Market moves", "/a", t0, "The market moves."))))
	})
	db, _ := testDB(t)
	r := New(testConfig(newClock()), db)
	if res, err := r.Read(ctx, s.url("/feed.xml"), nil); err != nil || res.Added != 1 || res.NotModified {
		t.Fatalf("first read: got %+v, %v", res, err)
	}
	if gotINM != "" || gotIMS != "" {
		t.Errorf("first read sent If-None-Match %q If-Modified-Since %q, want neither", gotINM, gotIMS)
	}
	res, err := r.Read(ctx, s.url("/feed.xml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !res.NotModified || res.Articles() != 0 {
		t.Errorf("second read: got %+v, want not modified", res)
	}
	if gotINM != etag || gotIMS != lastMod {
		t.Errorf("second read sent If-None-Match %q If-Modified-Since %q, want %q %q", gotINM, gotIMS, etag, lastMod)
	}
	if n := s.count("/a"); n != 1 {
		t.Errorf("the page was fetched %d times, want 1", n)
	}
	st, _ := db.FeedState(ctx, s.url("/feed.xml"))
	if st.ETag != etag || st.LastModified != lastMod || st.Failures != 0 || st.OK.IsZero() {
		t.Errorf("got state %+v", st)
	}
}

// Dedup is by GUID, then URL, then content: an entry whose URL is stored
// (here from another feed) is not fetched again, and one whose text is
// stored under another URL is a duplicate.
func TestDedupByURLAndContent(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	text := story("The fair")
	s.serve("/a", "text/html", htmlPage("Fair", text...))
	s.serve("/mirror/a", "text/html", htmlPage("Fair", text...))
	s.serve("/one.xml", "application/rss+xml", rss(item("one-1", "Fair comes to town", "/a", t0, "x")))
	s.serve("/two.xml", "application/rss+xml", rss(
		item("two-1", "Fair comes to town", "/a", t0, "x"),
		item("two-2", "Fair comes to town", "/mirror/a", t0, "x")))
	db, _ := testDB(t)
	r := New(testConfig(newClock()), db)
	if res, err := r.Read(ctx, s.url("/one.xml"), nil); err != nil || res.Added != 1 {
		t.Fatalf("got %+v, %v", res, err)
	}
	res, err := r.Read(ctx, s.url("/two.xml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Unchanged != 1 || res.Duplicate != 1 || res.Added != 0 {
		t.Errorf("got %+v, want 1 unchanged (same URL) and 1 duplicate (same text)", res.Stats)
	}
	if n := s.count("/a"); n != 1 {
		t.Errorf("/a was fetched %d times, want 1", n)
	}
	if n, _ := db.Count(ctx); n != 1 {
		t.Errorf("got %d stories, want 1", n)
	}
}

func TestReadCancelled(t *testing.T) {
	db, _ := testDB(t)
	r := New(testConfig(newClock()), db)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.Read(ctx, "http://127.0.0.1:1/feed.xml", nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("got %v, want context.Canceled", err)
	}
}

// An entry with neither GUID nor link is known by its title and date, in
// a form every store takes (PostgreSQL refuses NUL in text).
func TestEntryWithoutGUIDOrLink(t *testing.T) {
	if g := guid(&gofeed.Item{Title: "Fete"}, ""); strings.ContainsRune(g, 0) {
		t.Errorf("got identity %q, want no NUL", g)
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			s := newSite(t)
			s.serve("/feed.xml", "application/rss+xml", rss(`<item><title>Fete moved to Sunday</title><pubDate>`+t0.Format(time.RFC1123Z)+
				`</pubDate><description>The summer fete moves to Sunday because of the forecast.</description></item>`))
			r := New(testConfig(newClock()), b.open(t))
			res, err := r.Read(ctx, s.url("/feed.xml"), nil)
			if err != nil || res.Added != 1 {
				t.Fatalf("first read: got %+v, %v; want 1 added", res.Stats, err)
			}
			res, err = r.Read(ctx, s.url("/feed.xml"), nil)
			if err != nil || res.Unchanged != 1 || res.Added+res.Duplicate != 0 {
				t.Errorf("second read: got %+v, %v; want the entry known", res.Stats, err)
			}
		})
	}
}

// A failure whose error quotes a server's bytes (here a status line with
// NUL and invalid UTF-8) is recorded, as text, for the backoff.
func TestFailureWithServerBytesRecorded(t *testing.T) {
	base := rawServer(t, "HTTP/1.1 503 Busy \xff\x00now\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			db := b.open(t)
			c := newClock()
			feedURL := base + "/feed.xml"
			if _, err := New(testConfig(c), db).Read(ctx, feedURL, nil); err == nil || !strings.Contains(err.Error(), "503 Busy") {
				t.Fatalf("got %v, want the 503", err)
			}
			st, err := db.FeedState(ctx, feedURL)
			if err != nil {
				t.Fatal(err)
			}
			if st.Failures != 1 || !st.NextTry.Equal(c.Now().Add(DefaultRetryMin)) {
				t.Errorf("got state %+v, want 1 failure, retry in %v", st, DefaultRetryMin)
			}
			if !utf8.ValidString(st.LastError) || strings.ContainsRune(st.LastError, 0) || !strings.Contains(st.LastError, "503 Busy") {
				t.Errorf("got last error %q, want the 503 as valid UTF-8 without NUL", st.LastError)
			}
		})
	}
}

// An entry that failed is tried again on the next read even when the feed
// has not changed: a read with failures keeps the old validators, so the
// server does not answer 304.
func TestFailedEntryRetried(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	s.handle("/feed.xml", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		// No text in the feed: the entry needs its page.
		fmt.Fprint(w, rss(`<item><guid>pool-1</guid><title>Pool reopens</title><link>/pool</link><pubDate>`+t0.Format(time.RFC1123Z)+`</pubDate></item>`))
	})
	db, _ := testDB(t)
	r := New(testConfig(newClock()), db)
	res, err := r.Read(ctx, s.url("/feed.xml"), nil) // the page is missing
	if err != nil || res.Failed != 1 {
		t.Fatalf("first read: got %+v, %v; want 1 failed", res.Stats, err)
	}
	s.serve("/pool", "text/html", htmlPage("Pool reopens", story("The pool")...))
	res, err = r.Read(ctx, s.url("/feed.xml"), nil)
	if err != nil || res.NotModified || res.Added != 1 {
		t.Fatalf("second read: got %+v, %v; want the feed fetched again and the entry added", res, err)
	}
	// Nothing failed: the validators are used again.
	if res, err := r.Read(ctx, s.url("/feed.xml"), nil); err != nil || !res.NotModified {
		t.Errorf("third read: got %+v, %v; want not modified", res, err)
	}
}

// A read fetches pages for Config.PageBudget (on its clock); the entries
// after that keep the feed's text, or wait for the next read when the feed
// has none.
func TestPageBudget(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	s := newSite(t)
	for _, slug := range []string{"a", "b", "c", "d"} {
		body := htmlPage("Story "+slug, story("The story "+slug)...)
		s.handle("/"+slug, func(w http.ResponseWriter, r *http.Request) {
			c.Add(2 * time.Minute) // a slow host
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, body)
		})
	}
	s.serve("/feed.xml", "application/rss+xml", rss(
		item("a", "Story a", "/a", t0.Add(-4*time.Hour), "Short text a."),
		item("b", "Story b", "/b", t0.Add(-3*time.Hour), "Short text b."),
		item("c", "Story c", "/c", t0.Add(-2*time.Hour), "Short text c."),
		`<item><guid>d</guid><title>Story d</title><link>/d</link><pubDate>`+t0.Add(-time.Hour).Format(time.RFC1123Z)+`</pubDate></item>`))
	db, _ := testDB(t)
	cfg := testConfig(c)
	cfg.PageBudget = 3 * time.Minute
	r := New(cfg, db)
	// a is fetched at +0, b at +2m; at +4m the budget is spent.
	res, err := r.Read(ctx, s.url("/feed.xml"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 3 || res.FromFeed != 1 || res.Failed != 1 || !strings.Contains(res.Failures[0].Reason, "not fetched") {
		t.Errorf("got %+v, want 3 added (1 with the feed's text) and d waiting", res.Stats)
	}
	for slug, want := range map[string]int{"a": 1, "b": 1, "c": 0, "d": 0} {
		if got := s.count("/" + slug); got != want {
			t.Errorf("/%s fetched %d times, want %d", slug, got, want)
		}
	}
	// The next read has a budget of its own: d is fetched.
	res, err = r.Read(ctx, s.url("/feed.xml"), nil)
	if err != nil || res.Added != 1 || res.Failed != 0 || s.count("/d") != 1 {
		t.Errorf("second read: got %+v, %v, /d fetched %d times; want d added from its page", res.Stats, err, s.count("/d"))
	}
}

// A feed's URL is named in errors with its secrets redacted.
func TestSecretsRedactedInErrors(t *testing.T) {
	s := newSite(t)
	db, _ := testDB(t)
	r := New(testConfig(newClock()), db)
	for _, u := range []string{
		strings.Replace(s.url("/gone.xml?token=s3cret&page=2"), "http://", "http://reader:s3cret@", 1),
		"ftp://reader:s3cret@example.com/feed.xml?api_key=s3cret",
		"http://example.com/%zz?token=s3cret",
	} {
		_, err := r.Read(context.Background(), u, nil)
		if err == nil || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: got %v, want an error without the secret", u, err)
		}
	}
}
