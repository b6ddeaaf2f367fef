package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestLogSettings(t *testing.T) {
	db := filepath.Join(t.TempDir(), "demo.db")
	if code, out, errs := cli(t, "", "demo", "--db", db); code != 0 {
		t.Fatalf("demo: exit %d\n%s%s", code, out, errs)
	}
	tests := []struct {
		name string
		vars map[string]string
		code int
		want string // in stderr
	}{
		{"bad level", map[string]string{"LOG_LEVEL": "loud"}, 2, `LOG_LEVEL: "loud" is not a level`},
		{"bad format", map[string]string{"LOG_FORMAT": "xml"}, 2, `LOG_FORMAT: "xml" is not a format`},
		{"text", map[string]string{"LLM_MODE": "mock", "LLM_MODEL": "mock-error-500"}, 0, "level=WARN"},
		{"quiet", map[string]string{"LLM_MODE": "mock", "LLM_MODEL": "mock-error-500", "LOG_LEVEL": "error"}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errs := cliIn(t, tt.vars, "", "story", "--db", db, "flood")
			if code != tt.code || !strings.Contains(errs, tt.want) || (tt.want == "" && errs != "") {
				t.Errorf("got exit %d, stderr %q; want %d and %q", code, errs, tt.code, tt.want)
			}
		})
	}

	// JSON logs: one object a line.
	_, _, errs := cliIn(t, map[string]string{"LLM_MODE": "mock", "LLM_MODEL": "mock-error-500", "LOG_FORMAT": "json"}, "", "story", "--db", db, "flood")
	var rec map[string]any
	if err := json.Unmarshal([]byte(strings.TrimSpace(errs)), &rec); err != nil || rec["level"] != "WARN" {
		t.Errorf("LOG_FORMAT=json: got %q (%v), want one JSON record at WARN", errs, err)
	}
}
