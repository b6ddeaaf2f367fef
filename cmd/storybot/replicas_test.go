package main

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storybot/storybot/internal/fakediscord"
	"github.com/storybot/storybot/internal/pgtest"
	"github.com/storybot/storybot/llm/mock"
	"github.com/storybot/storybot/samples"
)

// TestTwoReplicas is issue 8's end-to-end test: two storybot processes in
// HTTP mode share one PostgreSQL database behind a round-robin proxy on
// loopback, with the fake Discord and a mock model that counts its calls.
// 1,000 signed interactions, nine in ten a /story for the same story in the
// same style and the rest the same /ask, each get their deferred reply and
// then their edit; and the two replicas make two model calls in all: one
// summary and one answer.
func TestTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: starts two storybot processes")
	}
	dbURL := pgtest.URL(t)

	// The sample stories, in the shared database.
	dir := t.TempDir()
	names, err := samples.FS.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := samples.FS.ReadFile(n.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if code, out, errs := cliEnv(t, map[string]string{"DATABASE_URL": dbURL}, "ingest", "--quiet", dir); code != 0 {
		t.Fatalf("ingest: exit %d\n%s%s", code, out, errs)
	}

	fake, err := fakediscord.Start(fakediscord.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	var modelCalls atomic.Int32
	mh := mock.NewServer(mock.Options{})
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/chat/completions") {
			modelCalls.Add(1)
		}
		mh.ServeHTTP(w, r)
	}))
	defer model.Close()

	// Two replicas, each on its own interactions and health address.
	type replica struct {
		cmd            *exec.Cmd
		interact, http string
		stderr         bytes.Buffer
	}
	var reps [2]*replica
	for i := range reps {
		r := &replica{interact: freeAddr(t), http: freeAddr(t)}
		args, _ := json.Marshal([]string{"run"})
		r.cmd = exec.Command(os.Args[0], "-test.run=^$")
		r.cmd.Env = append(os.Environ(), "STORYBOT_TEST_ARGS="+string(args),
			"DATABASE_URL="+dbURL,
			"DISCORD_TOKEN="+fake.Token(), "DISCORD_APP_ID="+fake.AppID(), "DISCORD_API_URL="+fake.APIURL(),
			"DISCORD_INTERACTIONS_ADDR="+r.interact,
			"DISCORD_PUBLIC_KEY="+hex.EncodeToString(testKey.Public().(ed25519.PublicKey)),
			"HTTP_ADDR="+r.http, "LLM_MODE=openai", "LLM_BASE_URL="+model.URL+"/v1", "LLM_MODEL="+mock.FaultSlow+"300ms",
			"BOT_USER_BURST=100000", "LOG_LEVEL=warn")
		r.cmd.Stderr = &r.stderr
		if err := r.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		reps[i] = r
	}
	defer func() {
		for _, r := range reps {
			r.cmd.Process.Signal(os.Interrupt)
			if err := r.cmd.Wait(); err != nil {
				t.Errorf("replica: %v\n%s", err, r.stderr.String())
			}
			if strings.Contains(r.stderr.String(), fake.Token()) {
				t.Error("a replica printed the bot token")
			}
		}
	}()
	for _, r := range reps {
		waitReady(t, "http://"+r.http+"/readyz")
	}

	// The load balancer: each request to the next replica in turn.
	var next atomic.Int32
	var served [2]atomic.Int32
	var proxies [2]*httputil.ReverseProxy
	for i, r := range reps {
		u, _ := url.Parse("http://" + r.interact)
		proxies[i] = httputil.NewSingleHostReverseProxy(u)
	}
	lb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(next.Add(1)) % 2
		served[i].Add(1)
		proxies[i].ServeHTTP(w, r)
	}))
	defer lb.Close()

	const n = 1000
	ids := make([]string, n)
	var answered atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, n)
	work := make(chan int)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				in := fakediscord.Interaction{
					Command: "story", GuildID: "600000000000000001", UserID: fmt.Sprintf("4000000000%08d", i),
					Options: []fakediscord.Option{{Name: "query", Value: "flood homes"}, {Name: "style", Value: "brief"}},
				}
				if i%10 == 0 {
					in.Command, in.Options = "ask", []fakediscord.Option{{Name: "question", Value: "How many homes lost power?"}}
				}
				in, body, err := fake.NewInteraction(in)
				if err != nil {
					errs <- err
					continue
				}
				code, reply, err := postSigned(lb.URL, body)
				switch {
				case err == nil && code == http.StatusOK && reply == `{"type":5}`:
					ids[i] = in.ID // deferred: the reply comes as an edit
				case err == nil && code == http.StatusOK && strings.HasPrefix(reply, `{"type":4,`) &&
					(strings.Contains(reply, "Summarized by") || strings.Contains(reply, "Answered by")):
					answered.Add(1) // ready within the acknowledgement window: the reply itself
				default:
					errs <- fmt.Errorf("interaction %d: got %d %q %v, want 200 with the reply or {\"type\":5}", i, code, reply, err)
				}
			}
		}()
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}

	// Every other interaction's reply arrives as an edit of its deferred
	// response.
	want := make(map[string]bool, n)
	for _, id := range ids {
		if id != "" {
			want[id] = true
		}
	}
	t.Logf("%d of %d interactions answered in the HTTP reply, %d by an edit", answered.Load(), n, len(want))
	deadline := time.Now().Add(60 * time.Second)
	for len(want) > 0 && time.Now().Before(deadline) {
		for _, r := range fake.Requests() {
			if r.Kind == fakediscord.KindEdit && r.Status == http.StatusOK &&
				(strings.Contains(string(r.Body), "Summarized by") || strings.Contains(string(r.Body), "Answered by")) {
				delete(want, r.InteractionID)
			}
		}
		if len(want) > 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if len(want) > 0 {
		t.Errorf("%d of %d interactions got no reply", len(want), n)
	}
	for _, r := range fake.Requests() {
		if len(r.Problems) > 0 {
			t.Fatalf("%s %s broke Discord's rules: %q", r.Method, r.Path, r.Problems)
		}
	}
	if got := modelCalls.Load(); got != 2 {
		t.Errorf("got %d model calls for %d interactions asking for one summary and one answer over two replicas, want 2", got, n)
	}
	if a, b := served[0].Load(), served[1].Load(); a != n/2 || b != n/2 {
		t.Errorf("the replicas served %d and %d interactions, want %d each", a, b, n/2)
	}
}

// waitReady waits up to 30 s for url to answer 200.
func waitReady(t *testing.T, url string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("%s never answered 200", url)
}

// postSigned posts body to url signed with testKey, as Discord does.
func postSigned(url string, body []byte) (int, string, error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	r, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	r.Header.Set("X-Signature-Timestamp", ts)
	r.Header.Set("X-Signature-Ed25519", hex.EncodeToString(ed25519.Sign(testKey, append([]byte(ts), body...))))
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b)), err
}
