package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/storybot/storybot/bot"
	"github.com/storybot/storybot/feed"
	"github.com/storybot/storybot/llm"
)

// envName is what a setting's name looks like.
var envName = regexp.MustCompile(`^[A-Z][A-Z0-9]*_[A-Z0-9_]+$`)

// TestEnvExample checks that the committed .env.example is what the
// settings table yields (go generate ./cmd/storybot writes it).
func TestEnvExample(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("..", "..", ".env.example"))
	if err != nil {
		t.Fatal(err)
	}
	code, got, errs := cliEnv(t, map[string]string{"LLM_MODE": "broken"}, "env-example") // needs no valid settings
	if code != 0 || errs != "" {
		t.Fatalf("env-example: exit %d: %s", code, errs)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf(".env.example is not what the settings table yields; run go generate ./cmd/storybot (-committed +table):\n%s", diff)
	}
}

// TestSettingsTable checks that every setting name quoted in the command's
// code is in the table (nothing reads the environment around it), that the
// names are unique, and that the defaults load: they agree with the
// packages' own defaults.
func TestSettingsTable(t *testing.T) {
	var table []string
	for _, s := range settings {
		if slices.Contains(table, s.name) || strings.ToUpper(s.name) != s.name || s.name == "" {
			t.Errorf("%q: a duplicate or not a setting name", s.name)
		}
		table = append(table, s.name)
	}
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && envName.MatchString(s) && !slices.Contains(table, s) {
					t.Errorf("%s: %s is quoted but not in the settings table", fset.Position(lit.Pos()), s)
				}
			}
			return true
		})
	}

	c, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if got := c.LLM; got.Timeout != llm.DefaultTimeout || got.MaxTokens != llm.DefaultMaxTokens || got.Seed != llm.DefaultSeed ||
		got.BreakerFailures != llm.DefaultBreakerFailures || got.BreakerCooldown != llm.DefaultBreakerCooldown {
		t.Errorf("LLM defaults: got %v, want llm's", got)
	}
	if got := c.Bot; got.APIURL != bot.DefaultAPIURL || got.UserBurst != bot.DefaultUserBurst || got.UserEvery != bot.DefaultUserEvery ||
		c.MaxModelCalls != llm.DefaultMaxCalls || got.Grace != bot.DefaultGrace || got.TimestampWindow != bot.DefaultTimestampWindow {
		t.Errorf("bot defaults: got %v, want bot's", got)
	}
	if c.Feeds.interval != feed.DefaultInterval || c.DB != defaultDB || c.HTTPAddr != defaultHTTPAddr {
		t.Errorf("got FEED_INTERVAL %v, DATABASE_URL %q, HTTP_ADDR %q, want the defaults", c.Feeds.interval, c.DB, c.HTTPAddr)
	}
}

// TestConfigNeverShowsSecrets: printing the settings hides the token, the
// API key and the database password.
func TestConfigNeverShowsSecrets(t *testing.T) {
	c, err := loadConfig(func(k string) string {
		return map[string]string{"DISCORD_TOKEN": "tok-hunter2", "LLM_API_KEY": "sk-hunter2", "DATABASE_URL": "postgres://u:hunter2@db/s",
			"LLM_BASE_URL": "http://u:hunter2@example.com/v1"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{c.String(), fmt.Sprint(c), fmt.Sprintf("%+v", *c)} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("got %s, want no secret", s)
		}
	}
}

// TestOnlyMainReadsTheEnvironment checks that no package but the command
// (and the test helpers that find test data and the test PostgreSQL server)
// reads environment variables.
func TestOnlyMainReadsTheEnvironment(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != root) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if rel == filepath.Join("cmd", "storybot", "main.go") || rel == filepath.Join("internal", "shared", "shared.go") ||
			rel == filepath.Join("internal", "pgtest", "pgtest.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, call := range []string{"os.Getenv(", "os.LookupEnv(", "os.Environ("} {
			if strings.Contains(string(b), call) {
				t.Errorf("%s calls %s: settings are read only in cmd/storybot (main.go) and passed in", rel, strings.TrimSuffix(call, "("))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
