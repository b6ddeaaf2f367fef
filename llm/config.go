package llm

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by New to the zero fields of a Config.
const (
	DefaultTimeout         = 30 * time.Second
	DefaultMaxTokens       = 400
	DefaultBreakerFailures = 3
	DefaultBreakerCooldown = 30 * time.Second
	// DefaultSeed is sent with every request so that a server that honours
	// seeds gives the same answer to the same prompt (see Config.Temperature).
	DefaultSeed = 42
)

// Config is the client's configuration. main fills it from the environment
// (the variable for each field is named in its comment); zero fields take the
// defaults above. Config holds a secret: print it with String, which redacts it.
type Config struct {
	// BaseURL is the OpenAI-compatible API root, with its version path
	// (LLM_BASE_URL), e.g. http://127.0.0.1:11434/v1 for Ollama or
	// https://api.openai.com/v1. Required.
	BaseURL string
	// APIKey is sent as a bearer token (LLM_API_KEY). Optional: local
	// servers need none.
	APIKey string
	// Model is the model name the endpoint knows (LLM_MODEL). Required.
	Model string
	// Timeout bounds each call, streaming included, from request to last
	// byte (LLM_TIMEOUT). Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxTokens caps the reply's length in tokens (LLM_MAX_TOKENS), sent as
	// max_tokens (max_completion_tokens for OpenAI's reasoning models, where
	// it also covers their hidden reasoning: set it higher for those).
	// Zero means DefaultMaxTokens.
	MaxTokens int
	// Temperature is the sampling temperature, 0 to 2 (LLM_TEMPERATURE).
	// Zero, the default, asks for the most likely text. go-openai drops a
	// zero temperature from the request (omitempty), and Ollama's /v1 then
	// samples at 1.0; math.SmallestNonzeroFloat32 instead crashes Ollama's
	// model runner (HTTP 500). So 0 is sent as 1e-6 (ZeroTemperature),
	// always with a fixed seed. For OpenAI's reasoning models (o1, o3,
	// gpt-5, …), which accept only their default, it is not sent.
	Temperature float64
	// Seed is sent with every request (LLM_SEED). Zero means DefaultSeed.
	Seed int
	// BreakerFailures is how many consecutive failed calls open the circuit
	// breaker (LLM_BREAKER_FAILURES). Zero means DefaultBreakerFailures.
	BreakerFailures int
	// BreakerCooldown is how long an open breaker refuses calls before it
	// lets one probe through (LLM_BREAKER_COOLDOWN); a longer Retry-After
	// from the server wins. Zero means DefaultBreakerCooldown.
	BreakerCooldown time.Duration
}

// ZeroTemperature is what a Temperature of 0 is sent as: a value go-openai
// does not omit and Ollama's runner accepts.
const ZeroTemperature = 1e-6

// withDefaults returns c with its zero fields set to the defaults.
func (c Config) withDefaults() Config {
	c.BaseURL = strings.TrimRight(strings.TrimSpace(c.BaseURL), "/")
	c.Model = strings.TrimSpace(c.Model)
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxTokens == 0 {
		c.MaxTokens = DefaultMaxTokens
	}
	if c.Seed == 0 {
		c.Seed = DefaultSeed
	}
	if c.BreakerFailures == 0 {
		c.BreakerFailures = DefaultBreakerFailures
	}
	if c.BreakerCooldown == 0 {
		c.BreakerCooldown = DefaultBreakerCooldown
	}
	return c
}

// Validate reports every problem in c, each message starting with the
// environment variable to fix ("LLM_BASE_URL: ..."). Zero fields that have a
// default are valid.
func (c Config) Validate() error {
	var errs []error
	bad := func(variable, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{variable}, args...)...))
	}
	base := strings.TrimSpace(c.BaseURL)
	switch u, err := url.Parse(base); {
	case base == "":
		bad("LLM_BASE_URL", "not set; want the API root of an OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1")
	case err != nil:
		bad("LLM_BASE_URL", "not a URL: %v", redactURLError(err))
	case u.Scheme != "http" && u.Scheme != "https":
		bad("LLM_BASE_URL", "%q: want an http:// or https:// URL", redactURL(base))
	case u.Host == "":
		bad("LLM_BASE_URL", "%q: no host", redactURL(base))
	case u.RawQuery != "" || u.Fragment != "":
		bad("LLM_BASE_URL", "%q: want no query or fragment", redactURL(base))
	}
	if strings.TrimSpace(c.Model) == "" {
		bad("LLM_MODEL", "not set; want the name of a model the endpoint serves")
	}
	if strings.ContainsAny(c.APIKey, "\r\n") {
		bad("LLM_API_KEY", "contains a line break")
	}
	if c.Timeout < 0 {
		bad("LLM_TIMEOUT", "%v is negative", c.Timeout)
	}
	if c.MaxTokens < 0 {
		bad("LLM_MAX_TOKENS", "%d is negative", c.MaxTokens)
	}
	if c.Temperature < 0 || c.Temperature > 2 || c.Temperature != c.Temperature {
		bad("LLM_TEMPERATURE", "%v is out of range; want 0 to 2", c.Temperature)
	}
	if c.BreakerFailures < 0 {
		bad("LLM_BREAKER_FAILURES", "%d is negative", c.BreakerFailures)
	}
	if c.BreakerCooldown < 0 {
		bad("LLM_BREAKER_COOLDOWN", "%v is negative", c.BreakerCooldown)
	}
	return errors.Join(errs...)
}

// String describes c for logs, with the API key and any password in the URL
// redacted.
func (c Config) String() string {
	key := "none"
	if c.APIKey != "" {
		key = "REDACTED"
	}
	return fmt.Sprintf("llm.Config{BaseURL: %s, APIKey: %s, Model: %q, Timeout: %v, MaxTokens: %d, Temperature: %v, Seed: %d, BreakerFailures: %d, BreakerCooldown: %v}",
		redactURL(c.BaseURL), key, c.Model, c.Timeout, c.MaxTokens, c.Temperature, c.Seed, c.BreakerFailures, c.BreakerCooldown)
}

// GoString redacts like String, so %#v does not print the key either.
func (c Config) GoString() string { return c.String() }

// redactURL hides any user information (user:password@) in a URL.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		if err != nil && strings.Contains(s, "@") {
			return "REDACTED"
		}
		return s
	}
	u.User = url.User("REDACTED")
	return u.String()
}

// redactURLError returns a url.Parse error without the URL it quotes.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
