package feed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestAddrKind(t *testing.T) {
	tests := []struct {
		addr, want string
	}{
		{"93.184.215.14", ""},
		{"2606:2800:21f:cb07:6820:80da:af6b:8b2c", ""},
		{"127.0.0.1", "loopback"},
		{"127.8.9.10", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"10.1.2.3", "private"},
		{"172.16.0.1", "private"},
		{"192.168.1.1", "private"},
		{"100.64.0.1", "private"},
		{"fd00::1", "private"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"0.0.0.0", "unspecified"},
		{"::", "unspecified"},
		{"224.0.0.1", "link-local"},
		{"239.1.1.1", "multicast"},
		{"255.255.255.255", "reserved"},
		{"64:ff9b::a00:1", "translated"},
		{"2002:a00:1::", "translated"},
		{"::127.0.0.1", "reserved"},
		{"::ffff:0:127.0.0.1", "translated"},
		{"192.88.99.1", "reserved"},
	}
	for _, tt := range tests {
		if got := addrKind(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestPrivateAddressesRefused(t *testing.T) {
	s := newSite(t)
	s.serve("/feed.xml", "application/rss+xml", rss())
	port := s.srv.Listener.Addr().(interface{ AddrPort() netip.AddrPort }).AddrPort().Port()
	db, _ := testDB(t)
	cfg := testConfig(newClock())
	cfg.AllowPrivate = false
	r := New(cfg, db)
	// None of these is connected to: the address is checked first.
	for _, u := range []string{
		s.url("/feed.xml"),
		fmt.Sprintf("http://localhost:%d/feed.xml", port), // checked after the name is resolved
		"http://[::1]:1/feed.xml",
		"http://169.254.169.254/latest/meta-data/",
		"http://10.0.0.1/feed.xml",
		"http://[::ffff:127.0.0.1]:1/",
	} {
		_, err := r.Read(context.Background(), u, nil)
		if !errors.Is(err, ErrBlocked) {
			t.Errorf("%s: got %v, want ErrBlocked", u, err)
		}
	}
	if n := s.count("/feed.xml"); n != 0 {
		t.Errorf("the loopback server got %d requests, want 0", n)
	}
}

func TestOnlyHTTP(t *testing.T) {
	db, _ := testDB(t)
	r := New(testConfig(newClock()), db)
	for _, u := range []string{"ftp://example.com/feed.xml", "file:///etc/passwd", "gopher://example.com/", "/feed.xml", "http:///feed.xml"} {
		_, err := r.Read(context.Background(), u, nil)
		if err == nil || !strings.Contains(err.Error(), "http") {
			t.Errorf("%s: got %v, want an error saying only http(s) is fetched", u, err)
		}
	}
}

func TestRedirects(t *testing.T) {
	ctx := context.Background()
	pub := newSite(t)
	priv := newSite(t)
	feed := rss(item("g1", "Fair comes to town", "/fair", t0, "The fair is in town."))
	pub.serve("/feed.xml", "application/rss+xml", feed)
	pub.serve("/fair", "text/html", htmlPage("Fair", story("The fair")...))
	priv.serve("/feed.xml", "application/rss+xml", feed)
	for i := 1; i <= 10; i++ {
		to := fmt.Sprintf("/chain/%d", i-1)
		if i == 1 {
			to = "/feed.xml"
		}
		pub.handle(fmt.Sprintf("/chain/%d", i), func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, to, http.StatusFound) })
	}
	pub.handle("/to-private", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, priv.url("/feed.xml"), http.StatusMovedPermanently)
	})
	pub.handle("/to-file", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
	})
	// The test's "public" host is pub's port on loopback; priv stands for a
	// private address.
	pubPort := mustPort(t, pub.url("/"))
	cfg := testConfig(newClock())
	cfg.AllowPrivate = false
	cfg.allowAddr = func(ap netip.AddrPort) error {
		if ap.Port() == pubPort {
			return nil
		}
		return &blockedError{addr: ap.Addr(), kind: "private"}
	}

	tests := []struct {
		path    string
		wantErr error
	}{
		{"/chain/1", nil},
		{"/chain/5", nil},
		{"/chain/6", ErrTooManyRedirects},
		{"/to-private", ErrBlocked},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			db, _ := testDB(t)
			res, err := New(cfg, db).Read(ctx, pub.url(tt.path), nil)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			ts, _ := db.Latest(ctx, 1)
			s, _ := db.Get(ctx, ts[0].ID)
			if res.Added != 1 || s.URL != pub.url("/fair") {
				t.Errorf("got %+v, URL %q; want 1 added, the link resolved against the final URL", res.Stats, s.URL)
			}
		})
	}
	db, _ := testDB(t)
	if _, err := New(cfg, db).Read(ctx, pub.url("/to-file"), nil); err == nil || !strings.Contains(err.Error(), "not an http or https URL") {
		t.Errorf("redirect to file: got %v, want it refused", err)
	}
	if n := priv.count("/feed.xml"); n != 0 {
		t.Errorf("the private server got %d requests, want 0", n)
	}
}

func mustPort(t *testing.T, raw string) uint16 {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	p, err := strconv.Atoi(u.Port())
	if err != nil {
		t.Fatal(err)
	}
	return uint16(p)
}

// TestHugePage serves a 10 MB page, with and without a Content-Length:
// it is refused without being read whole, and the entry keeps the feed's
// text.
func TestHugePage(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	const total = 10 << 20
	chunk := []byte(strings.Repeat("<p>Filler text that goes on and on.</p>\n", 1<<10))
	huge := func(withLength bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			if withLength {
				w.Header().Set("Content-Length", strconv.Itoa(total))
			}
			for n := 0; n < total; n += len(chunk) {
				if _, err := w.Write(chunk[:min(len(chunk), total-n)]); err != nil {
					return // the client hung up
				}
			}
		}
	}
	s.handle("/chunked", huge(false))
	s.handle("/sized", huge(true))
	s.serve("/feed.xml", "application/rss+xml", rss(
		item("c", "Chunked", "/chunked", t0, "The feed's own text for the chunked page."),
		item("s", "Sized", "/sized", t0.Add(time.Minute), "The feed's own text for the sized page.")))
	db, _ := testDB(t)
	r := New(testConfig(newClock()), db)

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := r.Read(ctx, s.url("/feed.xml"), nil)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 2 || res.FromFeed != 2 {
		t.Fatalf("got %+v, want 2 added with the feed's text", res)
	}
	ts, _ := db.Latest(ctx, 2)
	for _, ti := range ts {
		st, _ := db.Get(ctx, ti.ID)
		if !strings.HasPrefix(st.Body, "The feed's own text") {
			t.Errorf("got body %.80q…, want the feed's text", st.Body)
		}
	}
	// Reading 5 MiB of the chunked page allocates about twice that;
	// parsing 10 MB of HTML would allocate many times more.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 40<<20 {
		t.Errorf("allocated %d MiB reading the feed, want well under 40", alloc>>20)
	}

	// The page limit errors say what happened.
	_, err = r.fetch.get(ctx, s.url("/sized"), nil, DefaultMaxPageBytes)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "5 MiB") {
		t.Errorf("sized: got %v, want ErrTooLarge naming 5 MiB", err)
	}
	_, err = r.fetch.get(ctx, s.url("/chunked"), nil, DefaultMaxPageBytes)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("chunked: got %v, want ErrTooLarge", err)
	}

	// A feed over its limit is refused.
	cfg := testConfig(newClock())
	cfg.MaxFeedBytes = 1 << 10
	s.serve("/big.xml", "application/rss+xml", rss(item("b", "Big", "/b", t0, strings.Repeat("long ", 1000))))
	if _, err := New(cfg, db).Read(ctx, s.url("/big.xml"), nil); !errors.Is(err, ErrTooLarge) {
		t.Errorf("big feed: got %v, want ErrTooLarge", err)
	}
}

func TestFeedTimesOut(t *testing.T) {
	s := newSite(t)
	release := make(chan struct{})
	defer close(release)
	s.handle("/slow.xml", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	// A server that sends its headers and then stalls is cut off too.
	s.handle("/stalls.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Write([]byte("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel>"))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	db, _ := testDB(t)
	cfg := testConfig(newClock())
	cfg.Timeout = 100 * time.Millisecond
	r := New(cfg, db)
	for _, path := range []string{"/slow.xml", "/stalls.xml"} {
		_, err := r.Read(context.Background(), s.url(path), nil)
		if err == nil || !strings.Contains(err.Error(), "timed out") {
			t.Errorf("%s: got %v, want a timeout", path, err)
		}
		if st, _ := db.FeedState(context.Background(), s.url(path)); st.Failures != 1 {
			t.Errorf("%s: got %d failures recorded, want 1", path, st.Failures)
		}
	}
}

// TestOneRequestPerHost reads three feeds of one host at once: the host
// never has two requests in flight.
func TestOneRequestPerHost(t *testing.T) {
	s := newSite(t)
	var inFlight, most atomic.Int32
	for i := range 3 {
		s.handle(fmt.Sprintf("/f%d.xml", i), func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(20 * time.Millisecond) // gives overlapping requests the chance to show
			w.Write([]byte(rss(item(fmt.Sprint(i), "Story", "/none", t0, fmt.Sprintf("Text of story %d.", i)))))
		})
	}
	db, _ := testDB(t)
	r := New(testConfig(newClock()), db)
	p := NewPoller(r, db, PollConfig{Sources: []Source{{URL: s.url("/f0.xml")}, {URL: s.url("/f1.xml")}, {URL: s.url("/f2.xml")}}, Parallel: 3})
	p.Poll(context.Background())
	if n := most.Load(); n != 1 {
		t.Errorf("got %d requests in flight at once, want 1", n)
	}
	for i := range 3 {
		if n := s.count(fmt.Sprintf("/f%d.xml", i)); n != 1 {
			t.Errorf("feed %d read %d times, want 1", i, n)
		}
	}
}
