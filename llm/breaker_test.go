package llm

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestBreaker(clk *fakeClock) (*breaker, *[]string) {
	var changes []string
	return &breaker{
		threshold: 3,
		cooldown:  30 * time.Second,
		now:       clk.Now,
		onChange:  func(from, to State, _ int) { changes = append(changes, from.String()+">"+to.String()) },
	}, &changes
}

// fail runs one allowed call that fails.
func fail(t *testing.T, b *breaker, retryAfter time.Duration) {
	t.Helper()
	if ok, _ := b.allow(); !ok {
		t.Fatal("got call refused, want it allowed")
	}
	b.done(true, true, retryAfter)
}

func TestBreakerOpensAfterConsecutiveFailures(t *testing.T) {
	clk := newFakeClock()
	b, changes := newTestBreaker(clk)
	fail(t, b, 0)
	fail(t, b, 0)
	// A success resets the count.
	if ok, _ := b.allow(); !ok {
		t.Fatal("refused while closed")
	}
	b.done(false, true, 0)
	fail(t, b, 0)
	fail(t, b, 0)
	if s, n := b.snapshot(); s != Closed || n != 2 {
		t.Fatalf("got %v with %d failures, want closed with 2", s, n)
	}
	fail(t, b, 0)
	if s, _ := b.snapshot(); s != Open {
		t.Fatalf("got %v after 3 failures, want open", s)
	}
	ok, wait := b.allow()
	if ok || wait != 30*time.Second {
		t.Errorf("got allowed=%v, wait %v; want refused, 30s", ok, wait)
	}
	clk.Advance(29 * time.Second)
	if ok, wait := b.allow(); ok || wait != time.Second {
		t.Errorf("got allowed=%v, wait %v one second before the end; want refused, 1s", ok, wait)
	}
	clk.Advance(time.Second)
	if s, _ := b.snapshot(); s != HalfOpen {
		t.Errorf("got %v after the cool-down, want half-open", s)
	}
	// One probe goes; the rest wait for it.
	if ok, _ := b.allow(); !ok {
		t.Fatal("got the probe refused, want it allowed")
	}
	if ok, wait := b.allow(); ok || wait != 0 {
		t.Errorf("got allowed=%v, wait %v during the probe; want refused, 0", ok, wait)
	}
	b.done(false, true, 0)
	if s, n := b.snapshot(); s != Closed || n != 0 {
		t.Errorf("got %v with %d failures after a good probe, want closed with 0", s, n)
	}
	want := []string{"closed>open", "open>half-open", "half-open>closed"}
	if len(*changes) != len(want) {
		t.Fatalf("got changes %v, want %v", *changes, want)
	}
	for i := range want {
		if (*changes)[i] != want[i] {
			t.Errorf("got changes %v, want %v", *changes, want)
		}
	}
}

func TestBreakerFailedProbeReopens(t *testing.T) {
	clk := newFakeClock()
	b, _ := newTestBreaker(clk)
	for range 3 {
		fail(t, b, 0)
	}
	clk.Advance(30 * time.Second)
	fail(t, b, 0) // the probe
	if ok, wait := b.allow(); ok || wait != 30*time.Second {
		t.Errorf("got allowed=%v, wait %v after a failed probe; want refused for a new 30s", ok, wait)
	}
}

func TestBreakerCanceledProbeFreesTheSlot(t *testing.T) {
	clk := newFakeClock()
	b, _ := newTestBreaker(clk)
	for range 3 {
		fail(t, b, 0)
	}
	clk.Advance(30 * time.Second)
	if ok, _ := b.allow(); !ok {
		t.Fatal("probe refused")
	}
	b.done(true, false, 0) // the caller gave up: says nothing about the model
	if s, _ := b.snapshot(); s != HalfOpen {
		t.Errorf("got %v, want still half-open", s)
	}
	if ok, _ := b.allow(); !ok {
		t.Error("got the next probe refused, want it allowed")
	}
}

func TestBreakerCanceledCallsDoNotCount(t *testing.T) {
	b, _ := newTestBreaker(newFakeClock())
	for range 10 {
		b.allow()
		b.done(true, false, 0)
	}
	if s, n := b.snapshot(); s != Closed || n != 0 {
		t.Errorf("got %v with %d failures, want closed with 0", s, n)
	}
}

func TestBreakerRetryAfter(t *testing.T) {
	tests := []struct {
		name       string
		failures   int // before the one with Retry-After
		retryAfter time.Duration
		wantWait   time.Duration
	}{
		{"short Retry-After opens at once for as long as asked", 0, 2 * time.Second, 2 * time.Second},
		{"at the threshold the cool-down wins when longer", 2, 2 * time.Second, 30 * time.Second},
		{"at the threshold a longer Retry-After wins", 2, 90 * time.Second, 90 * time.Second},
		{"a wild Retry-After is capped", 0, 24 * time.Hour, maxRetryAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, _ := newTestBreaker(newFakeClock())
			for range tt.failures {
				fail(t, b, 0)
			}
			fail(t, b, tt.retryAfter)
			if ok, wait := b.allow(); ok || wait != tt.wantWait {
				t.Errorf("got allowed=%v, wait %v; want refused for %v", ok, wait, tt.wantWait)
			}
		})
	}
}

func TestBreakerOneProbeUnderConcurrency(t *testing.T) {
	clk := newFakeClock()
	b, _ := newTestBreaker(clk)
	for range 3 {
		fail(t, b, 0)
	}
	clk.Advance(time.Minute)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			if ok, _ := b.allow(); ok {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 1 {
		t.Errorf("got %d probes through, want exactly 1", got)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"2", 2 * time.Second},
		{"1.5", 1500 * time.Millisecond},
		{"-3", 0},
		{"Fri, 02 Jan 2026 03:04:15 GMT", 10 * time.Second},
		{"Fri, 02 Jan 2026 03:04:00 GMT", 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
