package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"io"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/internal/fakediscord"
)

func TestRunNeedsToken(t *testing.T) {
	code, out, errs := cli(t, "", "run")
	if code != exitUsage {
		t.Errorf("got exit %d, want %d", code, exitUsage)
	}
	if got := strings.Count(strings.TrimSpace(errs), "\n"); got != 0 || !strings.Contains(errs, "DISCORD_TOKEN") {
		t.Errorf("got stderr %q, want one line naming DISCORD_TOKEN", errs)
	}
	if out != "" {
		t.Errorf("got stdout %q, want none", out)
	}
}

func TestRunConfigNeverShowsToken(t *testing.T) {
	const secret = "very-secret-token"
	vars := map[string]string{"DISCORD_TOKEN": secret, "BOT_USER_EVERY": "soon"}
	code, out, errs := cliEnv(t, vars, "run")
	if code != exitUsage || !strings.Contains(errs, "BOT_USER_EVERY") {
		t.Errorf("got exit %d stderr %q, want %d naming BOT_USER_EVERY", code, errs, exitUsage)
	}
	if strings.Contains(out+errs, secret) {
		t.Errorf("the token was printed: %q", out+errs)
	}
	c, _, err := readBotConfig(func(k string) string { return map[string]string{"DISCORD_TOKEN": secret}[k] })
	if err != nil || strings.Contains(c.String(), secret) {
		t.Errorf("got config %s, %v, want the token redacted", c, err)
	}
}

// readBotConfig reads the settings with getenv and checks them as run does.
func readBotConfig(getenv func(string) string) (bot.Config, string, error) {
	c, err := loadConfig(getenv)
	if err != nil {
		return bot.Config{}, "", err
	}
	b, err := c.discord()
	return b, c.InteractionsAddr, err
}

func TestReadBotConfigInteractionsAndShards(t *testing.T) {
	key := hex.EncodeToString(testKey.Public().(ed25519.PublicKey))
	base := map[string]string{"DISCORD_TOKEN": "t"}
	tests := []struct {
		name         string
		vars         map[string]string
		wantErr      string // in the error; "" for none
		wantAddr     string
		wantHTTPOnly bool
		wantShard    [2]int // ID and count as read (count 0: not set)
	}{
		{name: "gateway only", vars: nil},
		{name: "HTTP only", vars: map[string]string{"DISCORD_INTERACTIONS_ADDR": "127.0.0.1:8081", "DISCORD_PUBLIC_KEY": key, "DISCORD_APP_ID": "1"},
			wantAddr: "127.0.0.1:8081", wantHTTPOnly: true},
		{name: "both", vars: map[string]string{"DISCORD_INTERACTIONS_ADDR": ":8081", "DISCORD_PUBLIC_KEY": key, "DISCORD_GATEWAY": "on"}, wantAddr: ":8081"},
		{name: "upper-case key", vars: map[string]string{"DISCORD_INTERACTIONS_ADDR": ":8081", "DISCORD_PUBLIC_KEY": strings.ToUpper(key), "DISCORD_APP_ID": "1"},
			wantAddr: ":8081", wantHTTPOnly: true},
		{name: "no key", vars: map[string]string{"DISCORD_INTERACTIONS_ADDR": ":8081", "DISCORD_APP_ID": "1"}, wantErr: "DISCORD_PUBLIC_KEY is not set"},
		{name: "short key", vars: map[string]string{"DISCORD_INTERACTIONS_ADDR": ":8081", "DISCORD_APP_ID": "1", "DISCORD_PUBLIC_KEY": key[:62]}, wantErr: "DISCORD_PUBLIC_KEY"},
		{name: "key not hex", vars: map[string]string{"DISCORD_PUBLIC_KEY": strings.Repeat("g", 64)}, wantErr: "DISCORD_PUBLIC_KEY"},
		{name: "bad address", vars: map[string]string{"DISCORD_INTERACTIONS_ADDR": "8081", "DISCORD_PUBLIC_KEY": key}, wantErr: "DISCORD_INTERACTIONS_ADDR"},
		{name: "HTTP only without app ID", vars: map[string]string{"DISCORD_INTERACTIONS_ADDR": ":8081", "DISCORD_PUBLIC_KEY": key}, wantErr: "DISCORD_APP_ID"},
		{name: "nothing to serve", vars: map[string]string{"DISCORD_GATEWAY": "off"}, wantErr: "DISCORD_INTERACTIONS_ADDR is not set"},
		{name: "gateway maybe", vars: map[string]string{"DISCORD_GATEWAY": "maybe"}, wantErr: "DISCORD_GATEWAY"},
		{name: "window", vars: map[string]string{"DISCORD_TIMESTAMP_WINDOW": "0s"}, wantErr: "DISCORD_TIMESTAMP_WINDOW"},
		{name: "shards", vars: map[string]string{"DISCORD_SHARD_ID": "3", "DISCORD_SHARD_COUNT": "4"}, wantShard: [2]int{3, 4}},
		{name: "shard ID too big", vars: map[string]string{"DISCORD_SHARD_ID": "4", "DISCORD_SHARD_COUNT": "4"}, wantErr: "DISCORD_SHARD_ID"},
		{name: "negative shard", vars: map[string]string{"DISCORD_SHARD_ID": "-1", "DISCORD_SHARD_COUNT": "4"}, wantErr: "DISCORD_SHARD_ID"},
		{name: "no shard count", vars: map[string]string{"DISCORD_SHARD_ID": "0"}, wantErr: "set both or neither"},
		{name: "zero shards", vars: map[string]string{"DISCORD_SHARD_ID": "0", "DISCORD_SHARD_COUNT": "0"}, wantErr: "DISCORD_SHARD_COUNT"},
		{name: "shards without the gateway", vars: map[string]string{"DISCORD_INTERACTIONS_ADDR": ":8081", "DISCORD_PUBLIC_KEY": key, "DISCORD_APP_ID": "1",
			"DISCORD_SHARD_ID": "0", "DISCORD_SHARD_COUNT": "2"}, wantErr: "DISCORD_GATEWAY is off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := maps.Clone(base)
			maps.Copy(vars, tt.vars)
			c, addr, err := readBotConfig(func(k string) string { return vars[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tt.wantErr)
				}
				if k := vars["DISCORD_PUBLIC_KEY"]; k != "" && strings.Contains(err.Error(), k) {
					t.Errorf("got %q, want the key's value left out", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if addr != tt.wantAddr || c.HTTPOnly != tt.wantHTTPOnly || [2]int{c.ShardID, c.ShardCount} != tt.wantShard {
				t.Errorf("got addr %q HTTPOnly %v shard %d/%d, want %q %v %d/%d",
					addr, c.HTTPOnly, c.ShardID, c.ShardCount, tt.wantAddr, tt.wantHTTPOnly, tt.wantShard[0], tt.wantShard[1])
			}
		})
	}
}

var testKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize))

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestRunHTTPOnly runs "storybot run" without the gateway against the fake
// Discord: /readyz is ready once the commands are registered, a signed
// PING gets a PONG, and a signed /story is deferred in the HTTP reply and
// answered by an edit.
func TestRunHTTPOnly(t *testing.T) {
	fake, err := fakediscord.Start(fakediscord.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	ia, ha := freeAddr(t), freeAddr(t)
	vars := map[string]string{
		"DISCORD_TOKEN": fake.Token(), "DISCORD_APP_ID": fake.AppID(), "DISCORD_API_URL": fake.APIURL(),
		"DISCORD_INTERACTIONS_ADDR": ia, "DISCORD_PUBLIC_KEY": hex.EncodeToString(testKey.Public().(ed25519.PublicKey)),
		"HTTP_ADDR": ha, "LLM_MODE": "mock", "BOT_SHUTDOWN_GRACE": "10s",
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Run(ctx, []string{"run", "--db", sampleDB(t)}, &IO{In: strings.NewReader(""), Out: &out, Err: &errb}, func(k string) string { return vars[k] })
	}()
	ready := false
	for deadline := time.Now().Add(30 * time.Second); !ready && time.Now().Before(deadline); {
		select {
		case code := <-done:
			t.Fatalf("run ended with %d before it was ready: %s", code, errb.String())
		case <-time.After(20 * time.Millisecond):
		}
		if resp, err := http.Get("http://" + ha + "/readyz"); err == nil {
			ready = resp.StatusCode == http.StatusOK
			resp.Body.Close()
		}
	}
	if !ready {
		t.Fatal("/readyz never answered 200")
	}
	post := func(body []byte) (int, string) {
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		r, err := http.NewRequest(http.MethodPost, "http://"+ia+"/", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Set("X-Signature-Timestamp", ts)
		r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(testKey, append([]byte(ts), body...))))
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	if code, body := post([]byte(`{"id":"1","application_id":"` + fake.AppID() + `","type":1,"token":"t","version":1}`)); code != 200 || body != `{"type":1}` {
		t.Errorf("PING: got %d %s, want 200 {\"type\":1}", code, body)
	}
	in, body, err := fake.NewInteraction(fakediscord.Interaction{Command: "story", GuildID: "600000000000000001"})
	if err != nil {
		t.Fatal(err)
	}
	// The reply is the HTTP reply when ready within the acknowledgement
	// window, else an edit of the deferred response.
	code, reply := post(body)
	switch {
	case code == 200 && strings.HasPrefix(reply, `{"type":4,`) && strings.Contains(reply, `"embeds":[{"title":`):
	case code == 200 && reply == `{"type":5}`:
		wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
		defer wcancel()
		if _, err := fake.Wait(wctx, func(r fakediscord.Request) bool {
			return r.Kind == fakediscord.KindEdit && r.InteractionID == in.ID && r.Status == 200
		}); err != nil {
			t.Fatal(err)
		}
	default:
		t.Errorf("/story: got %d %s, want 200 with the reply or {\"type\":5}", code, reply)
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("got exit %d, want %d: %s", code, exitOK, errb.String())
	}
	if g := fake.Gateway(); g.Identifies != 0 {
		t.Errorf("got %d gateway connections, want none", g.Identifies)
	}
	if strings.Contains(out.String()+errb.String(), fake.Token()) {
		t.Errorf("the token was printed")
	}
}
