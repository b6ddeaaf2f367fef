package feed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrTooLarge is returned for a response larger than its limit
// (Config.MaxFeedBytes, Config.MaxPageBytes).
var ErrTooLarge = errors.New("response too large")

// ErrTooManyRedirects is returned when a fetch is redirected more than
// Config.MaxRedirects times.
var ErrTooManyRedirects = errors.New("too many redirects")

// StatusError is an HTTP response other than 200 OK (or 304 Not Modified
// for a conditional GET).
type StatusError struct {
	Code       int
	Status     string        // as the server sent it, e.g. "404 Not Found"
	RetryAfter time.Duration // from a Retry-After header (429, 503); zero when none
}

func (e *StatusError) Error() string { return "the server answered " + e.Status }

// fetcher makes storybot's HTTP requests politely and safely: http and
// https only, through a dialer that checks every address it connects to,
// within a time and size limit, with a User-Agent naming storybot, and one
// request at a time per host.
type fetcher struct {
	client *http.Client
	ua     string
	gap    time.Duration // pause between two requests to one host

	mu    sync.Mutex
	hosts map[string]*hostSlot
}

// hostSlot serializes the requests to one host.
type hostSlot struct {
	turn chan struct{} // holds a token while a request is in flight
	last time.Time     // when the last request ended
}

// response is a fetched resource.
type response struct {
	url         *url.URL // after redirects
	notModified bool     // 304
	header      http.Header
	body        []byte
}

func newFetcher(c Config) *fetcher {
	allow := publicOnly
	if c.AllowPrivate {
		allow = anyAddr
	}
	if c.allowAddr != nil {
		allow = c.allowAddr
	}
	dialer := &net.Dialer{Timeout: min(c.Timeout, 10*time.Second), Control: dialControl(allow)}
	t := &http.Transport{
		Proxy:                  nil, // a proxy would be what the dialer checks, not the feed's host
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    min(c.Timeout, 10*time.Second),
		ResponseHeaderTimeout:  c.Timeout,
		MaxIdleConns:           16,
		MaxIdleConnsPerHost:    1, // one request at a time per host needs one connection
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	maxRedirects := c.MaxRedirects
	return &fetcher{
		client: &http.Client{
			Transport: t,
			Timeout:   c.Timeout, // the whole request, body included
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) > maxRedirects {
					return fmt.Errorf("%w: stopped after %d", ErrTooManyRedirects, maxRedirects)
				}
				if err := checkScheme(req.URL); err != nil {
					return fmt.Errorf("redirect: %w", err)
				}
				return nil
			},
		},
		ua:    c.UserAgent,
		gap:   c.HostDelay,
		hosts: map[string]*hostSlot{},
	}
}

// checkScheme allows http and https URLs with a host.
func checkScheme(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q is not an http or https URL", Redact(u.String()))
	}
	if u.Host == "" {
		return fmt.Errorf("%q has no host", Redact(u.String()))
	}
	return nil
}

// get fetches rawURL with the extra request headers hdr and returns its
// body, read up to max bytes (more is ErrTooLarge). A 304 is a response
// with notModified set; any other status but 2xx is a *StatusError.
func (f *fetcher) get(ctx context.Context, rawURL string, hdr http.Header, max int64) (*response, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bad URL: %w", describe(err)) // describe leaves the URL out: it may hold a secret
	}
	if err := checkScheme(u); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("bad URL: %w", describe(err))
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", f.ua)

	release, err := f.turn(ctx, strings.ToLower(u.Host))
	if err != nil {
		return nil, err
	}
	defer release()
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, describe(err)
	}
	defer resp.Body.Close()
	r := &response{url: resp.Request.URL, header: resp.Header}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		r.notModified = true
		return r, nil
	case resp.StatusCode/100 != 2:
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // lets the connection be reused
		return nil, &StatusError{Code: resp.StatusCode, Status: resp.Status, RetryAfter: retryAfter(resp.Header)}
	case resp.ContentLength > max:
		return nil, fmt.Errorf("%w: %d bytes, over the limit of %s", ErrTooLarge, resp.ContentLength, size(max))
	}
	// Over the limit is refused rather than cut: a cut page or feed is
	// broken HTML or XML. Reading stops one byte past the limit.
	r.body, err = io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, describe(err)
	}
	if int64(len(r.body)) > max {
		return nil, fmt.Errorf("%w: over the limit of %s", ErrTooLarge, size(max))
	}
	return r, nil
}

// turn waits until no other request to host is in flight and the polite
// gap since the last one has passed, and returns the function that ends
// this request's turn.
func (f *fetcher) turn(ctx context.Context, host string) (release func(), err error) {
	f.mu.Lock()
	s := f.hosts[host]
	if s == nil {
		s = &hostSlot{turn: make(chan struct{}, 1)}
		f.hosts[host] = s
	}
	f.mu.Unlock()
	select {
	case s.turn <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	release = func() {
		s.last = time.Now()
		<-s.turn
	}
	if wait := time.Until(s.last.Add(f.gap)); f.gap > 0 && wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			release()
			return nil, ctx.Err()
		}
	}
	return release, nil
}

// describe makes a client error read well: the URL is left out (the
// caller names what it fetched), a refused address says why, and a timeout
// says so.
func describe(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var be *blockedError
	if errors.As(err, &be) {
		return be // "dial tcp ADDR:" adds nothing to it
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("timed out: %w", err)
	}
	return err
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// size writes a byte count for people.
func size(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%g MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
