package llm_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/storybot/storybot/llm"
)

func TestValidate(t *testing.T) {
	good := llm.Config{BaseURL: "http://127.0.0.1:11434/v1", Model: "llama3.2"}
	tests := []struct {
		name   string
		change func(*llm.Config)
		want   []string // each must start a line of the error; none: valid
	}{
		{"minimal", func(*llm.Config) {}, nil},
		{"full", func(c *llm.Config) {
			c.APIKey, c.Timeout, c.MaxTokens, c.Temperature, c.BreakerFailures, c.BreakerCooldown = "k", time.Second, 10, 2, 1, time.Minute
		}, nil},
		{"no base URL", func(c *llm.Config) { c.BaseURL = " " }, []string{"LLM_BASE_URL: not set"}},
		{"bad scheme", func(c *llm.Config) { c.BaseURL = "ftp://x/v1" }, []string{"LLM_BASE_URL: \"ftp://x/v1\": want an http"}},
		{"no scheme", func(c *llm.Config) { c.BaseURL = "localhost:11434/v1" }, []string{"LLM_BASE_URL:"}},
		{"no host", func(c *llm.Config) { c.BaseURL = "http:///v1" }, []string{"LLM_BASE_URL: \"http:///v1\": no host"}},
		{"no model", func(c *llm.Config) { c.Model = "" }, []string{"LLM_MODEL: not set"}},
		{"negative timeout", func(c *llm.Config) { c.Timeout = -time.Second }, []string{"LLM_TIMEOUT: -1s is negative"}},
		{"negative max tokens", func(c *llm.Config) { c.MaxTokens = -1 }, []string{"LLM_MAX_TOKENS:"}},
		{"hot", func(c *llm.Config) { c.Temperature = 2.5 }, []string{"LLM_TEMPERATURE: 2.5 is out of range"}},
		{"breaker", func(c *llm.Config) { c.BreakerFailures, c.BreakerCooldown = -1, -time.Second }, []string{"LLM_BREAKER_FAILURES:", "LLM_BREAKER_COOLDOWN:"}},
		{"all at once", func(c *llm.Config) { c.BaseURL, c.Model = "", "" }, []string{"LLM_BASE_URL:", "LLM_MODEL:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := good
			tt.change(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("got error %v, want none", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error, want %q", tt.want)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("got error lines %q, want %d", lines, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("got %q, want it to start with %q", lines[i], w)
				}
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	c, err := llm.New(llm.Config{BaseURL: "http://127.0.0.1:1/v1/", Model: " m "})
	if err != nil {
		t.Fatal(err)
	}
	got := c.Config()
	want := llm.Config{
		BaseURL: "http://127.0.0.1:1/v1", Model: "m",
		Timeout: llm.DefaultTimeout, MaxTokens: llm.DefaultMaxTokens, Seed: llm.DefaultSeed,
		BreakerFailures: llm.DefaultBreakerFailures, BreakerCooldown: llm.DefaultBreakerCooldown,
	}
	if got != want {
		t.Errorf("got %v, want %v", got, want)
	}
	if _, err := llm.New(llm.Config{}); err == nil || !strings.Contains(err.Error(), "LLM_BASE_URL") {
		t.Errorf("got error %v from New with an empty config, want the Validate error", err)
	}
}

func TestConfigStringRedacts(t *testing.T) {
	const key = "sk-live-SECRET-0123456789"
	c := llm.Config{BaseURL: "https://user:pa55word@llm.example/v1", APIKey: key, Model: "m"}
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		got := fmt.Sprintf(format, c)
		for _, secret := range []string{key, "pa55word"} {
			if strings.Contains(got, secret) {
				t.Errorf("%s: got %q, want no %q", format, got, secret)
			}
		}
		if !strings.Contains(got, "REDACTED") || !strings.Contains(got, "llm.example") {
			t.Errorf("%s: got %q, want the key REDACTED and the host shown", format, got)
		}
	}
	if got := (llm.Config{}).String(); !strings.Contains(got, "APIKey: none") {
		t.Errorf("got %q, want it to say there is no key", got)
	}
	bad := llm.Config{BaseURL: "ftp://user:pa55word@llm.example/v1", Model: "m"}
	if err := bad.Validate(); err == nil || strings.Contains(err.Error(), "pa55word") {
		t.Errorf("got error %v, want one without the URL's password", err)
	}
}
