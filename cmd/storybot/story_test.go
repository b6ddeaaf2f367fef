package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/storybot/storybot/console"
	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm/mock"
	"github.com/storybot/storybot/store/sqlite"
)

// cliEnv runs storybot in-process with args and the environment vars.
func cliEnv(t *testing.T, vars map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, &IO{In: strings.NewReader(""), Out: &out, Err: &errb}, func(k string) string { return vars[k] })
	return code, out.String(), errb.String()
}

// sampleDB returns a database holding the bundled sample stories.
func sampleDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	as, err := sampleArticles()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Put(context.Background(), as); err != nil {
		t.Fatal(err)
	}
	return path
}

const (
	floodTitle = "Hollinsford council approves 240 riverside homes despite flood fears"
	floodID    = "g8kqmm4"
	newestID   = "fek5zds" // the charity run, 20 November 2026
)

func decodeStoryReply(t *testing.T, out string) console.StoryJSON {
	t.Helper()
	var j console.StoryJSON
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return j
}

func TestStoryMockMode(t *testing.T) {
	db := sampleDB(t)
	vars := map[string]string{"LLM_MODE": "mock"}
	code, out, errs := cliEnv(t, vars, "story", "flood homes", "--db", db)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	for _, want := range []string{floodTitle, "ID:        " + floodID, "Published: 2026-11-02 18:42 UTC", "Author:    Tom Okafor", "Hollinsford District Council has approved plans", "— Summarized by mock\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if errs != "" {
		t.Errorf("got stderr %q, want none", errs)
	}

	// A second run is a cache hit.
	code, out, _ = cliEnv(t, vars, "story", "flood homes", "--db", db)
	if code != 0 || !strings.Contains(out, "— Summarized by mock (cached)\n") {
		t.Errorf("second run: exit %d, want a cached summary:\n%s", code, out)
	}
	code, out, _ = cliEnv(t, vars, "story", "flood homes", "--db", db, "--json")
	j := decodeStoryReply(t, out)
	if code != 0 || j.ID != floodID || j.Engine != "mock" || j.Model != "mock" || !j.Cached || j.Fallback != nil || j.Style != "standard" || j.Usage.PromptTokens == 0 {
		t.Errorf("--json: exit %d, got %+v, want a cached mock summary", code, j)
	}
}

// counting serves the mock behind a middleware that counts model calls.
func counting(t *testing.T) (base string, calls *atomic.Int32) {
	t.Helper()
	calls = new(atomic.Int32)
	h := mock.NewServer(mock.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/chat/completions") {
			calls.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/v1", calls
}

func TestStoryCacheAndFresh(t *testing.T) {
	db := sampleDB(t)
	base, calls := counting(t)
	vars := map[string]string{"LLM_BASE_URL": base, "LLM_MODEL": "mock"} // LLM_MODE defaults to openai
	steps := []struct {
		args   []string
		cached bool
		calls  int32
	}{
		{[]string{"story", floodID}, false, 1},
		{[]string{"story", floodID}, true, 1},
		{[]string{"story", floodID, "--fresh"}, false, 2},
		{[]string{"story", floodID}, true, 2},
		{[]string{"story", floodID, "--style", "brief"}, false, 3},
	}
	for i, s := range steps {
		code, out, errs := cliEnv(t, vars, append(s.args, "--db", db, "--json")...)
		if code != 0 {
			t.Fatalf("step %d: exit %d\n%s%s", i, code, out, errs)
		}
		j := decodeStoryReply(t, out)
		if j.Cached != s.cached || j.Engine != "mock" {
			t.Errorf("step %d %v: got cached=%v engine=%q, want cached=%v engine mock", i, s.args, j.Cached, j.Engine, s.cached)
		}
		if got := calls.Load(); got != s.calls {
			t.Errorf("step %d %v: got %d model calls in all, want %d", i, s.args, got, s.calls)
		}
	}
}

// Every fault the mock can inject still gives a summary: the extractive one,
// marked as such, with the reason in the JSON and a log line on stderr.
func TestStoryFaults(t *testing.T) {
	tests := []struct {
		model, code, setting string
		vars                 map[string]string
	}{
		{model: mock.FaultSlow + "10s", code: generate.FallbackTimeout},
		{model: mock.FaultHang, code: generate.FallbackTimeout},
		{model: mock.FaultError500, code: generate.FallbackServer},
		{model: mock.FaultRateLimit, code: generate.FallbackRateLimited},
		{model: mock.FaultAuth, code: generate.FallbackConfig, setting: "LLM_API_KEY"},
		{model: mock.FaultNoModel, code: generate.FallbackConfig, setting: "LLM_MODEL"},
		{model: mock.FaultMalformed, code: generate.FallbackMalformed},
		{model: mock.FaultCutStream, code: generate.FallbackMalformed},
		{model: mock.FaultStreamError, code: generate.FallbackServer},
		{model: mock.FaultEmpty, code: generate.FallbackEmpty},
		{model: mock.FaultHallucinate, code: generate.FallbackUnfaithful},
		{model: "mock", code: generate.FallbackTruncated, vars: map[string]string{"LLM_MAX_TOKENS": "5"}},
	}
	db := sampleDB(t)
	for _, tt := range tests {
		t.Run(tt.model+"-"+tt.code, func(t *testing.T) {
			t.Parallel()
			vars := map[string]string{"LLM_MODE": "mock", "LLM_MODEL": tt.model, "LLM_TIMEOUT": "300ms"}
			for k, v := range tt.vars {
				vars[k] = v
			}
			start := time.Now()
			code, out, errs := cliEnv(t, vars, "story", floodID, "--db", db, "--json")
			if d := time.Since(start); d > 300*time.Millisecond+time.Second {
				t.Errorf("took %v, want at most LLM_TIMEOUT + 1s", d)
			}
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errs)
			}
			j := decodeStoryReply(t, out)
			if j.Engine != generate.Extractive || j.Cached || j.Fallback == nil || j.Fallback.Code != tt.code || j.Fallback.Setting != tt.setting {
				t.Errorf("got engine %q cached %v fallback %+v, want extractive with code %q setting %q", j.Engine, j.Cached, j.Fallback, tt.code, tt.setting)
			}
			if !strings.HasPrefix(j.Note, "Offline summary (extractive): ") {
				t.Errorf("got note %q, want the extractive mark", j.Note)
			}
			for _, want := range []string{"level=WARN", "story=" + floodID, "reason=" + tt.code} {
				if !strings.Contains(errs, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errs)
				}
			}
			if tt.setting != "" {
				// The human output names the variable to fix.
				_, out, _ := cliEnv(t, vars, "story", floodID, "--db", db)
				if !strings.Contains(out, "— Offline summary (extractive): configuration problem:") || !strings.Contains(out, "(check "+tt.setting+")") {
					t.Errorf("output does not name %s as a configuration problem:\n%s", tt.setting, out)
				}
			}
		})
	}
}

// The issue's own check: a hanging model at LLM_TIMEOUT=2s still gives the
// extractive summary, marked, within 3 seconds.
func TestStoryHangingModelWithinTimeoutPlusOneSecond(t *testing.T) {
	t.Parallel()
	db := sampleDB(t)
	start := time.Now()
	code, out, errs := cliEnv(t, map[string]string{"LLM_MODE": "mock", "LLM_MODEL": mock.FaultHang, "LLM_TIMEOUT": "2s"}, "story", "flood homes", "--db", db)
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %v, want at most 3s", d)
	}
	if code != 0 || !strings.Contains(out, "— Offline summary (extractive): the model did not answer in time") {
		t.Errorf("exit %d, want the marked extractive summary:\n%s%s", code, out, errs)
	}
}

func TestStoryPicks(t *testing.T) {
	db := sampleDB(t)
	tests := []struct {
		name   string
		args   []string
		code   int
		wantID string
		errMsg string
	}{
		{"newest", []string{"story"}, 0, newestID, ""},
		{"by ID", []string{"story", floodID}, 0, floodID, ""},
		{"by ID in capitals", []string{"story", strings.ToUpper(floodID)}, 0, floodID, ""},
		{"by search", []string{"story", "riverside", "gasworks"}, 0, floodID, ""},
		{"ID-like word searched", []string{"story", "gasworks"}, 0, floodID, ""},
		{"no match", []string{"story", "zeppelin"}, 1, "", `no story matches "zeppelin"; see what is stored with 'storybot search WORDS'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := cli(t, "", append(tt.args, "--db", db, "--json")...)
			if code != tt.code {
				t.Fatalf("got exit %d, want %d\n%s%s", code, tt.code, out, errs)
			}
			if tt.errMsg != "" {
				if !strings.Contains(errs, tt.errMsg) {
					t.Errorf("got stderr %q, want %q", errs, tt.errMsg)
				}
				return
			}
			if j := decodeStoryReply(t, out); j.ID != tt.wantID {
				t.Errorf("got story %s, want %s", j.ID, tt.wantID)
			}
		})
	}

	empty := filepath.Join(t.TempDir(), "empty.db")
	if code, _, errs := cli(t, "", "story", "--db", empty); code != 1 || !strings.Contains(errs, "no stories are stored yet; add some with 'storybot ingest PATH'") {
		t.Errorf("empty store: got exit %d, stderr %q", code, errs)
	}
}

// With no LLM_* settings the model is off: the extractive summary, no warning.
func TestStoryOffByDefault(t *testing.T) {
	db := sampleDB(t)
	code, out, errs := cli(t, "", "story", floodID, "--db", db)
	if code != 0 || !strings.Contains(out, "— Offline summary (extractive): no model is configured (LLM_MODE=off)") || errs != "" {
		t.Errorf("exit %d, want the extractive summary:\n%s%s", code, out, errs)
	}
}

func TestStoryBadSettings(t *testing.T) {
	db := sampleDB(t)
	tests := []struct {
		vars map[string]string
		args []string
		want string
	}{
		{map[string]string{"LLM_MODE": "cloud"}, nil, `LLM_MODE: "cloud" is not a mode; want openai, mock or off`},
		{map[string]string{"LLM_MODE": "openai"}, nil, "LLM_BASE_URL: not set"},
		{map[string]string{"LLM_MODE": "openai", "LLM_BASE_URL": "http://127.0.0.1:9/v1"}, nil, "LLM_MODEL: not set"},
		{map[string]string{"LLM_BASE_URL": "ftp://example.com"}, nil, `LLM_BASE_URL: "ftp://example.com": want an http:// or https:// URL`},
		{map[string]string{"LLM_TIMEOUT": "30"}, nil, `LLM_TIMEOUT: "30" is not a duration; want e.g. 30s or 1m30s (a unit is needed: 30s)`},
		{map[string]string{"LLM_TIMEOUT": "0s"}, nil, `LLM_TIMEOUT: "0s" must be more than zero`},
		{map[string]string{"LLM_TIMEOUT": "-1s"}, nil, `LLM_TIMEOUT: "-1s" must be more than zero`},
		{map[string]string{"LLM_MAX_TOKENS": "many"}, nil, `LLM_MAX_TOKENS: "many" is not a whole number`},
		{map[string]string{"LLM_MAX_TOKENS": "0"}, nil, `LLM_MAX_TOKENS: 0 is too small; want at least 1`},
		{map[string]string{"LLM_TEMPERATURE": "3"}, nil, `LLM_TEMPERATURE: "3" is not a number from 0 to 2`},
		{map[string]string{"LLM_TEMPERATURE": "NaN"}, nil, `LLM_TEMPERATURE: "NaN" is not a number from 0 to 2`},
		{map[string]string{"LLM_SEED": "1.5"}, nil, `LLM_SEED: "1.5" is not a whole number`},
		{map[string]string{"LLM_BREAKER_FAILURES": "0"}, nil, `LLM_BREAKER_FAILURES: 0 is too small; want at least 1`},
		{map[string]string{"LLM_BREAKER_COOLDOWN": "soon"}, nil, `LLM_BREAKER_COOLDOWN: "soon" is not a duration`},
		{map[string]string{"PROMPTS_DIR": "/does/not/exist"}, nil, `PROMPTS_DIR: prompts: read folder:`},
		{nil, []string{"--style", "long"}, `--style: unknown summary style "long"`},
	}
	for _, tt := range tests {
		code, out, errs := cliEnv(t, tt.vars, append([]string{"story", floodID, "--db", db}, tt.args...)...)
		if code != 2 || !strings.Contains(errs, tt.want) || out != "" {
			t.Errorf("%v %v: got exit %d, stderr %q, stdout %q; want exit 2 and %q", tt.vars, tt.args, code, errs, out, tt.want)
		}
	}
	// Two bad values: one line each.
	_, _, errs := cliEnv(t, map[string]string{"LLM_TIMEOUT": "x", "LLM_MAX_TOKENS": "y"}, "story", "--db", db)
	if !strings.Contains(errs, "LLM_TIMEOUT: ") || !strings.Contains(errs, "\nLLM_MAX_TOKENS: ") {
		t.Errorf("got stderr %q, want a line for each variable", errs)
	}
}

// The API key never appears in any output, whatever fails.
func TestStoryNeverShowsAPIKey(t *testing.T) {
	const key = "sk-secret-0123456789abcdefXYZ"
	db := sampleDB(t)
	// A server that wants another key and, like OpenAI, quotes the one given.
	strict := httptest.NewServer(mock.NewServer(mock.Options{APIKey: "sk-the-right-one"}))
	defer strict.Close()
	tests := []map[string]string{
		{"LLM_MODE": "mock", "LLM_MODEL": mock.FaultAuth, "LLM_API_KEY": key},
		{"LLM_MODE": "mock", "LLM_MODEL": mock.FaultNoModel, "LLM_API_KEY": key},
		{"LLM_MODE": "mock", "LLM_MODEL": mock.FaultError500, "LLM_API_KEY": key},
		{"LLM_BASE_URL": strict.URL + "/v1", "LLM_MODEL": "mock", "LLM_API_KEY": key},
		{"LLM_BASE_URL": "http://127.0.0.1:1/v1", "LLM_MODEL": "mock", "LLM_API_KEY": key, "LLM_TIMEOUT": "1s"},
		{"LLM_MODE": "mock", "LLM_API_KEY": key + "\nx"},                   // a bad key
		{"LLM_MODE": "mock", "LLM_API_KEY": key, "LLM_TIMEOUT": "forever"}, // another bad value
	}
	for _, vars := range tests {
		for _, args := range [][]string{{"story", floodID, "--db", db}, {"story", floodID, "--db", db, "--json", "--fresh"}} {
			code, out, errs := cliEnv(t, vars, args...)
			if strings.Contains(out+errs, "sk-secret") {
				t.Errorf("%v %v: exit %d, output shows the API key:\n%s%s", vars["LLM_MODEL"], args, code, out, errs)
			}
		}
	}
}

func TestReadLLMSettingsMode(t *testing.T) {
	tests := []struct {
		vars        map[string]string
		defaultMode string
		mode, model string
	}{
		{nil, "", modeOff, ""},
		{map[string]string{"LLM_BASE_URL": "http://127.0.0.1:11434/v1", "LLM_MODEL": "llama3.2"}, "", modeOpenAI, "llama3.2"},
		{map[string]string{"LLM_MODE": "MOCK"}, "", modeMock, "mock"},
		{map[string]string{"LLM_MODE": "mock", "LLM_MODEL": "mock-hang", "LLM_BASE_URL": "http://ignored"}, "", modeMock, "mock-hang"},
		{map[string]string{"LLM_MODE": "off", "LLM_BASE_URL": "http://127.0.0.1:11434/v1"}, "", modeOff, ""},
		{nil, modeMock, modeMock, "mock"},
		{map[string]string{"LLM_MODE": "off"}, modeMock, modeOff, ""},
	}
	for _, tt := range tests {
		c, err := loadConfig(func(k string) string { return tt.vars[k] })
		if err != nil {
			t.Errorf("%v: %v", tt.vars, err)
			continue
		}
		s := c.model(tt.defaultMode)
		if s.mode != tt.mode || s.cfg.Model != tt.model {
			t.Errorf("%v, default %q: got mode %q model %q, want %q %q", tt.vars, tt.defaultMode, s.mode, s.cfg.Model, tt.mode, tt.model)
		}
		if s.mode == modeMock && s.cfg.BaseURL != "" {
			t.Errorf("%v: got base URL %q in mock mode, want none until the mock starts", tt.vars, s.cfg.BaseURL)
		}
	}
}
