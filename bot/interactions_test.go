package bot_test

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/internal/fakediscord"
)

// clock is the endpoint's fixed time in these tests.
var clock = time.Unix(1_795_000_000, 0)

// appKey is the application's key pair in these tests; otherKey is not it.
var (
	appKey   = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))
	otherKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{8}, ed25519.SeedSize))
)

// endpoint is a bot in HTTP-only mode with its interactions endpoint
// served over real HTTP on 127.0.0.1.
type endpoint struct {
	*harness
	url string
}

// startEndpoint starts a bot as start does, without the gateway, and serves
// its interactions endpoint.
func startEndpoint(t testing.TB, s setup) *endpoint {
	t.Helper()
	more := s.config
	s.config = func(c *bot.Config) {
		c.HTTPOnly = true
		c.PublicKey = appKey.Public().(ed25519.PublicKey)
		c.Now = func() time.Time { return clock }
		if more != nil {
			more(c)
		}
	}
	h := start(t, s)
	ih, err := h.bot.Interactions()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ih) // 127.0.0.1
	t.Cleanup(srv.Close)          // before the bot stops: cleanups run last first
	return &endpoint{harness: h, url: srv.URL + "/interactions"}
}

// sign returns the X-Signature-Ed25519 value of timestamp+body by key.
func sign(key ed25519.PrivateKey, timestamp string, body []byte) string {
	return hex.EncodeToString(ed25519.Sign(key, append([]byte(timestamp), body...)))
}

// signed returns a POST of body signed by appKey at clock.
func signed(t testing.TB, url string, body []byte) *http.Request {
	t.Helper()
	ts := strconv.FormatInt(clock.Unix(), 10)
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Signature-Ed25519", sign(appKey, ts, body))
	r.Header.Set("X-Signature-Timestamp", ts)
	return r
}

// do sends r and returns the status and body of the reply.
func do(t testing.TB, r *http.Request) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, resp.Header
}

// interaction returns in, given an ID and a token by the fake, and its body.
func (e *endpoint) interaction(t testing.TB, in fakediscord.Interaction) (fakediscord.Interaction, []byte) {
	t.Helper()
	in, body, err := e.fake.NewInteraction(in)
	if err != nil {
		t.Fatal(err)
	}
	return in, body
}

// respond posts in, signed, and returns the interaction response of the
// HTTP reply, checked against Discord's schemas.
func (e *endpoint) respond(t testing.TB, in fakediscord.Interaction) (fakediscord.Interaction, int, message) {
	t.Helper()
	in, body := e.interaction(t, in)
	code, reply, hdr := do(t, signed(t, e.url, body))
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/json" {
		t.Fatalf("got %d %q %s, want 200 with JSON", code, hdr.Get("Content-Type"), reply)
	}
	if p := e.fake.CheckResponse(reply); len(p) > 0 {
		t.Errorf("the reply breaks Discord's rules: %q\n%s", p, reply)
	}
	var r struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(reply, &r); err != nil {
		t.Fatalf("%v\n%s", err, reply)
	}
	var m message
	if len(r.Data) > 0 {
		m = decode(t, r.Data)
	}
	return in, r.Type, m
}

// reply sends in and returns the reply: the HTTP reply itself when it was
// ready within the acknowledgement window, else the edit of the deferred
// response, through the webhook.
func (e *endpoint) reply(t testing.TB, in fakediscord.Interaction) (fakediscord.Interaction, message) {
	t.Helper()
	in, typ, m := e.respond(t, in)
	switch typ {
	case 4:
		return in, m
	case 5:
		return in, decode(t, e.wait(t, final(in.ID)).Body)
	}
	t.Fatalf("got response type %d, want 4 (the reply) or 5 (deferred)", typ)
	return in, m
}

func TestInteractionsPing(t *testing.T) {
	e := startEndpoint(t, setup{})
	body := []byte(`{"id":"200000000000000009","application_id":"100000000000000001","type":1,"token":"t","version":1}`)
	code, reply, hdr := do(t, signed(t, e.url, body))
	if code != http.StatusOK || strings.TrimSpace(string(reply)) != `{"type":1}` || hdr.Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q %s, want 200 application/json {\"type\":1}", code, hdr.Get("Content-Type"), reply)
	}
	if p := e.fake.CheckResponse(reply); len(p) > 0 {
		t.Errorf("the PONG breaks Discord's rules: %q", p)
	}
}

// TestInteractionsRefused: requests that are not signed by the application
// within the window, too large, or not POSTs are refused before the body
// is parsed, and nothing is handled.
func TestInteractionsRefused(t *testing.T) {
	obs := &observed{}
	e := startEndpoint(t, setup{config: func(c *bot.Config) { c.Observer = obs }})
	_, body := e.interaction(t, command("story", user(1), "query", "storm"))
	ts := func(d time.Duration) string { return strconv.FormatInt(clock.Add(d).Unix(), 10) }
	huge := append(bytes.Repeat([]byte(" "), bot.DefaultMaxBodyBytes), body...)
	tests := []struct {
		name      string
		method    string
		body      []byte
		timestamp string
		signature string // "" when unsigned
		stream    bool   // send without a Content-Length
		want      int    // status
		wantAllow string // Allow header
	}{
		{name: "GET", method: http.MethodGet, want: http.StatusMethodNotAllowed, wantAllow: "POST"},
		{name: "PUT", method: http.MethodPut, body: body, timestamp: ts(0), signature: sign(appKey, ts(0), body), want: http.StatusMethodNotAllowed, wantAllow: "POST"},
		{name: "unsigned", body: body, want: http.StatusUnauthorized},
		{name: "no timestamp", body: body, signature: sign(appKey, "", body), want: http.StatusUnauthorized},
		{name: "signature not hex", body: body, timestamp: ts(0), signature: strings.Repeat("zz", 64), want: http.StatusUnauthorized},
		{name: "signature too short", body: body, timestamp: ts(0), signature: sign(appKey, ts(0), body)[:126], want: http.StatusUnauthorized},
		{name: "wrong key", body: body, timestamp: ts(0), signature: sign(otherKey, ts(0), body), want: http.StatusUnauthorized},
		{name: "tampered body", body: bytes.Replace(body, []byte("storm"), []byte("STORM"), 1), timestamp: ts(0), signature: sign(appKey, ts(0), body), want: http.StatusUnauthorized},
		{name: "tampered timestamp", body: body, timestamp: ts(time.Second), signature: sign(appKey, ts(0), body), want: http.StatusUnauthorized},
		{name: "stale", body: body, timestamp: ts(-bot.DefaultTimestampWindow - time.Second), signature: sign(appKey, ts(-bot.DefaultTimestampWindow-time.Second), body), want: http.StatusUnauthorized},
		{name: "future", body: body, timestamp: ts(bot.DefaultTimestampWindow + time.Second), signature: sign(appKey, ts(bot.DefaultTimestampWindow+time.Second), body), want: http.StatusUnauthorized},
		{name: "timestamp not a number", body: body, timestamp: ts(0) + ".0", signature: sign(appKey, ts(0)+".0", body), want: http.StatusUnauthorized},
		{name: "not JSON, badly signed", body: []byte("{{{"), timestamp: ts(0), signature: sign(otherKey, ts(0), []byte("{{{")), want: http.StatusUnauthorized},
		{name: "too large", body: huge, timestamp: ts(0), signature: sign(appKey, ts(0), huge), want: http.StatusRequestEntityTooLarge},
		{name: "too large, no length", body: huge, timestamp: ts(0), signature: sign(appKey, ts(0), huge), stream: true, want: http.StatusRequestEntityTooLarge},
		{name: "signed, not JSON", body: []byte("{{{"), timestamp: ts(0), signature: sign(appKey, ts(0), []byte("{{{")), want: http.StatusBadRequest},
		{name: "signed, a modal submit", body: []byte(`{"id":"1","application_id":"100000000000000001","type":5,"token":"t","version":1}`), timestamp: ts(0),
			signature: sign(appKey, ts(0), []byte(`{"id":"1","application_id":"100000000000000001","type":5,"token":"t","version":1}`)), want: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodPost
			}
			var rd io.Reader = bytes.NewReader(tt.body)
			if tt.stream {
				rd = io.MultiReader(rd) // hides the length: sent chunked
			}
			r, err := http.NewRequest(method, e.url, rd)
			if err != nil {
				t.Fatal(err)
			}
			if tt.timestamp != "" {
				r.Header.Set("X-Signature-Timestamp", tt.timestamp)
			}
			if tt.signature != "" {
				r.Header.Set("X-Signature-Ed25519", tt.signature)
			}
			code, reply, hdr := do(t, r)
			if code != tt.want {
				t.Errorf("got %d %s, want %d", code, reply, tt.want)
			}
			if got := hdr.Get("Allow"); got != tt.wantAllow {
				t.Errorf("got Allow %q, want %q", got, tt.wantAllow)
			}
		})
	}
	// Window edges are inside: exactly the window either way is accepted.
	for _, d := range []time.Duration{-bot.DefaultTimestampWindow, bot.DefaultTimestampWindow} {
		r := signed(t, e.url, []byte(`{"id":"1","application_id":"100000000000000001","type":1,"token":"t","version":1}`))
		r.Header.Set("X-Signature-Timestamp", ts(d))
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.Header.Set("X-Signature-Ed25519", sign(appKey, ts(d), body))
		if code, reply, _ := do(t, r); code != http.StatusOK {
			t.Errorf("timestamp %v from now: got %d %s, want 200", d, code, reply)
		}
	}
	e.stop()
	obs.mu.Lock()
	defer obs.mu.Unlock()
	if len(obs.got) != 0 {
		t.Errorf("got interactions handled %q, want none", obs.got)
	}
	for _, r := range e.fake.Requests() {
		if r.Kind != fakediscord.KindCommandsGet && r.Kind != fakediscord.KindCommandsPut {
			t.Errorf("got %s %s at Discord, want only the registration", r.Method, r.Path)
		}
	}
}

// TestInteractionsStory: /story is answered in the HTTP reply when it is
// ready within the acknowledgement window, else acknowledged there and
// answered by an edit through the webhook, as on the gateway.
func TestInteractionsStory(t *testing.T) {
	for _, window := range []time.Duration{0, time.Nanosecond} { // the default, and "defer at once"
		e := startEndpoint(t, setup{config: func(c *bot.Config) { c.AckWindow = window }})
		_, m := e.reply(t, command("story", user(1), "query", "riverside homes"))
		if len(m.Embeds) != 1 || m.Embeds[0].Title != "Council approves 240 riverside homes" {
			t.Errorf("got embeds %+v, want the riverside homes story", m.Embeds)
		}
		for _, r := range e.fake.Requests() {
			if r.Kind == fakediscord.KindCallback {
				t.Errorf("got a callback over REST (%s), want the initial response in the HTTP reply only", r.Path)
			}
		}
	}
}

func TestInteractionsAsk(t *testing.T) {
	e := startEndpoint(t, setup{})
	_, m := e.reply(t, command("ask", user(1), "question", "How many homes lost power?"))
	if len(m.Embeds) != 1 || !strings.Contains(m.Embeds[0].Description, "About 9,000 homes lost power overnight") {
		t.Errorf("got embeds %+v, want the quoted answer", m.Embeds)
	}
}

func TestInteractionsAutocomplete(t *testing.T) {
	e := startEndpoint(t, setup{})
	_, typ, m := e.respond(t, fakediscord.Interaction{Type: fakediscord.TypeAutocomplete, Command: "story", GuildID: "600000000000000001",
		Options: []fakediscord.Option{{Name: "query", Value: "libr", Focused: true}}})
	if typ != 8 {
		t.Fatalf("got response type %d, want 8 (autocomplete result)", typ)
	}
	if len(m.Choices) != 1 || m.Choices[0].Name != "Library reopens after fire" {
		t.Errorf("got choices %+v, want the library story", m.Choices)
	}
}

// TestInteractionsEphemeral: a message only the user sees (here: too many
// commands) is the HTTP reply itself.
func TestInteractionsEphemeral(t *testing.T) {
	e := startEndpoint(t, setup{config: func(c *bot.Config) { c.UserBurst, c.UserEvery = 1, time.Hour }})
	e.reply(t, command("story", user(1)))
	_, typ, m := e.respond(t, command("story", user(1)))
	if typ != 4 || m.Flags&64 == 0 || !strings.Contains(m.Content, "try again <t:") {
		t.Errorf("got type %d flags %d content %q, want an ephemeral 'try again'", typ, m.Flags, m.Content)
	}
}

// TestInteractionsShutdownWaits: a command acknowledged over HTTP gets its
// edit before Run returns, as on the gateway.
func TestInteractionsShutdownWaits(t *testing.T) {
	// The model hangs: the reply is the extractive summary after 1 s.
	e := startEndpoint(t, setup{model: "mock-hang", timeout: time.Second})
	in, typ, _ := e.respond(t, command("story", user(1), "query", "storm"))
	if typ != 5 {
		t.Fatalf("got response type %d, want 5 (deferred)", typ)
	}
	e.stop() // cancels Run and waits for it
	var edited bool
	for _, r := range e.fake.Requests() {
		edited = edited || final(in.ID)(r)
	}
	if !edited {
		t.Errorf("Run returned before the command in flight was answered")
	}
}

// TestShards: a shard identifies with its ID and count; only shard 0
// registers the commands.
func TestShards(t *testing.T) {
	for _, tt := range []struct{ id, count, wantLists int }{{0, 2, 1}, {1, 2, 0}} {
		h := start(t, setup{config: func(c *bot.Config) { c.ShardID, c.ShardCount = tt.id, tt.count }})
		h.stop()
		if got, want := h.fake.Gateway().Shard, [2]int{tt.id, tt.count}; got != want {
			t.Errorf("shard %d of %d: got IDENTIFY shard %v, want %v", tt.id, tt.count, got, want)
		}
		lists := 0
		for _, r := range h.fake.Requests() {
			if r.Kind == fakediscord.KindCommandsGet {
				lists++
			}
		}
		if lists != tt.wantLists {
			t.Errorf("shard %d of %d: got %d command lists, want %d", tt.id, tt.count, lists, tt.wantLists)
		}
	}
}

func TestConfigChecks(t *testing.T) {
	key := appKey.Public().(ed25519.PublicKey)
	tests := []struct {
		name   string
		config bot.Config
		want   string // in the error
	}{
		{"shard ID of the count", bot.Config{ShardID: 2, ShardCount: 2}, "shard ID 2"},
		{"negative shard", bot.Config{ShardID: -1}, "shard ID -1"},
		{"HTTP only, no app ID", bot.Config{HTTPOnly: true, PublicKey: key}, "DISCORD_APP_ID"},
		{"HTTP only, no key", bot.Config{HTTPOnly: true, AppID: "1"}, "DISCORD_PUBLIC_KEY"},
		{"short key", bot.Config{PublicKey: key[:31]}, "31 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.config.Token = "t"
			_, err := bot.New(tt.config, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error with %q", err, tt.want)
			}
		})
	}
	b, err := bot.New(bot.Config{Token: "t"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Interactions(); err == nil {
		t.Errorf("got an endpoint without a public key, want an error")
	}
}

// The same signed interaction sent again is refused, not run twice.
func TestInteractionsReplay(t *testing.T) {
	e := startEndpoint(t, setup{})
	in, body := e.interaction(t, command("story", user(1), "query", "riverside homes"))
	code, reply, _ := do(t, signed(t, e.url, body))
	if code != http.StatusOK {
		t.Fatalf("first: got %d %s, want 200", code, reply)
	}
	if !strings.Contains(string(reply), `"type":4`) {
		e.wait(t, final(in.ID))
	}
	if code, reply, _ := do(t, signed(t, e.url, body)); code != http.StatusConflict {
		t.Errorf("again: got %d %s, want 409", code, reply)
	}
}

// The endpoint is bounded: a request that cannot be valid is refused
// before its body is read, one too large before a byte of it, and stalled
// bodies hold at most bot.MaxBodiesInFlight readers (64 KiB each at most): one
// more is answered 503 at once.
func TestEndpointBounded(t *testing.T) {
	e := startEndpoint(t, setup{})
	u, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(clock.Unix(), 10)
	sig := strings.Repeat("ab", ed25519.SignatureSize) // the right form, not the right signature
	stall := func(ts string, length int) net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s: %s\r\n%s: %s\r\nContent-Length: %d\r\n\r\n{",
			u.Path, u.Host, "X-Signature-Ed25519", sig, "X-Signature-Timestamp", ts, length)
		return c
	}
	status := func(c net.Conn, wait time.Duration) int {
		c.SetReadDeadline(time.Now().Add(wait))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			return 0 // no answer yet: the body is being waited for
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := status(stall("1", 60_000), 5*time.Second); got != http.StatusUnauthorized {
		t.Errorf("an old timestamp, body never sent: got %d, want 401 at once", got)
	}
	if got := status(stall(ts, 1<<20), 5*time.Second); got != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB announced: got %d, want 413 at once", got)
	}
	for range bot.MaxBodiesInFlight {
		stall(ts, 60_000)
	}
	for attempt := 0; ; attempt++ {
		got := status(stall(ts, 60_000), 500*time.Millisecond)
		if got == http.StatusServiceUnavailable {
			break
		}
		if got != 0 || attempt == 20 {
			t.Fatalf("with %d+%d stalled bodies: got %d, want 503", bot.MaxBodiesInFlight, attempt+1, got)
		}
	}
}
