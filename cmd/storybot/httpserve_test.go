package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/storybot/storybot/health"
)

func TestReadHTTPAddr(t *testing.T) {
	tests := []struct {
		value   string
		want    string
		wantErr bool
	}{
		{"", defaultHTTPAddr, false},
		{"off", "", false},
		{" OFF ", "", false},
		{"127.0.0.1:9090", "127.0.0.1:9090", false},
		{"0.0.0.0:8080", "0.0.0.0:8080", false},
		{":8080", ":8080", false},
		{"[::1]:8080", "[::1]:8080", false},
		{"localhost:0", "localhost:0", false},
		{"8080", "", true},
		{"127.0.0.1", "", true},
		{"127.0.0.1:http", "", true},
		{"127.0.0.1:70000", "", true},
		{"http://127.0.0.1:8080", "", true},
		{"::1:8080", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, err := readHTTPAddr(func(k string) string {
				if k == "HTTP_ADDR" {
					return tt.value
				}
				return ""
			})
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("got %q, %v, want %q (error %v)", got, err, tt.want, tt.wantErr)
			}
			if err != nil && (!strings.Contains(err.Error(), "HTTP_ADDR") || strings.Contains(err.Error(), "\n")) {
				t.Errorf("got error %q, want one line naming HTTP_ADDR", err)
			}
		})
	}
}

// readHTTPAddr reads the settings with getenv and returns HTTP_ADDR's.
func readHTTPAddr(getenv func(string) string) (string, error) {
	c, err := loadConfig(getenv)
	if err != nil {
		return "", err
	}
	return c.HTTPAddr, nil
}

func TestEmptyMeans(t *testing.T) {
	vars := map[string]string{"HTTP_ADDR": "", "LLM_API_KEY": ""}
	getenv := emptyMeans(func(k string) (string, bool) { v, ok := vars[k]; return v, ok }, "HTTP_ADDR", httpOff)
	tests := []struct{ name, want string }{
		{"HTTP_ADDR", httpOff}, // set but empty
		{"LLM_API_KEY", ""},    // other variables are left alone
		{"UNSET", ""},
	}
	for _, tt := range tests {
		if got := getenv(tt.name); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	delete(vars, "HTTP_ADDR")
	if addr, err := readHTTPAddr(getenv); err != nil || addr != defaultHTTPAddr {
		t.Errorf("unset: got %q, %v, want %q", addr, err, defaultHTTPAddr)
	}
}

// A bad HTTP_ADDR stops "run" with exit status 2 before it calls Discord.
func TestRunBadHTTPAddr(t *testing.T) {
	var calls atomic.Int32
	discord := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "no", http.StatusUnauthorized)
	}))
	defer discord.Close()
	vars := map[string]string{
		"DISCORD_TOKEN":   "token",
		"DISCORD_API_URL": discord.URL + "/api/v9/",
		"DATABASE_URL":    t.TempDir() + "/s.db",
		"HTTP_ADDR":       "localhost",
	}
	code, out, errs := cliEnv(t, vars, "run")
	if code != exitUsage {
		t.Errorf("got exit %d, want %d", code, exitUsage)
	}
	if strings.Count(strings.TrimSpace(errs), "\n") != 0 || !strings.Contains(errs, "HTTP_ADDR") {
		t.Errorf("got stderr %q, want one line naming HTTP_ADDR", errs)
	}
	if out != "" || calls.Load() != 0 {
		t.Errorf("got stdout %q and %d calls to Discord, want none", out, calls.Load())
	}
}

func TestStartHTTP(t *testing.T) {
	ready := make(chan struct{})
	h := health.Handler(health.Config{Checks: []health.Check{{Name: "discord", Func: health.Ready(ready, "not connected to Discord yet")}}})
	stop, err := startHTTP(context.Background(), "127.0.0.1:0", h, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	stop()

	// A second server on a port in use fails at once, naming HTTP_ADDR.
	srv := httptest.NewServer(h)
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	if _, err := startHTTP(context.Background(), addr, h, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "HTTP_ADDR") {
		t.Errorf("port in use: got %v, want an error naming HTTP_ADDR", err)
	}

	get := func(path string) (int, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	if code, body := get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "Discord") {
		t.Errorf("before ready: got %d %q, want 503 naming Discord", code, body)
	}
	close(ready)
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Errorf("after ready: got %d %q, want 200", code, body)
	}
}
