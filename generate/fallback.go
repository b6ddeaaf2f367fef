package generate

import (
	"context"
	"errors"

	"github.com/storybot/storybot/llm"
)

// TooLongFactor is how far past a product's word budget a model's reply may
// run: up to TooLongFactor × the budget a product may cut it back to whole
// sentences; beyond, it is rejected with FallbackTooLong.
const TooLongFactor = 1.5

// Extractive is the engine name of a result written without a model.
const Extractive = "extractive"

// Fallback says why a result is extractive.
type Fallback struct {
	// Code is short and stable, for programs and metrics: one of the
	// Fallback… constants (or a product's own).
	Code string `json:"code"`
	// Reason is a sentence for people, with no detail from the server; for
	// a configuration problem it names the variable to fix.
	Reason string `json:"reason"`
	// Setting is the environment variable to fix when Code is FallbackConfig
	// (LLM_API_KEY, LLM_MODEL or LLM_BASE_URL), else empty.
	Setting string `json:"setting,omitempty"`
}

// Fallback codes.
const (
	FallbackOff         = "off"          // no model configured
	FallbackTimeout     = "timeout"      // no answer within the timeout
	FallbackBreakerOpen = "breaker-open" // the model failed repeatedly and is skipped for a while
	FallbackConfig      = "config"       // 401, 403 or 404: a setting is wrong (Fallback.Setting)
	FallbackUnreachable = "unreachable"  // no connection to the model server
	FallbackRateLimited = "rate-limited" // 429
	FallbackBusy        = "busy"         // storybot's own cap on model calls at once was reached
	FallbackServer      = "server-error" // 5xx, or an error inside a stream
	FallbackBadRequest  = "bad-request"  // another 4xx
	FallbackMalformed   = "malformed"    // a reply that is not the JSON promised
	FallbackEmpty       = "empty"        // no text once reasoning and preamble are removed
	FallbackTruncated   = "truncated"    // cut off by max_tokens or mid-sentence
	FallbackTooLong     = "too-long"     // far over the product's word budget
	FallbackUnfaithful  = "unfaithful"   // names, numbers or quotations not in the sources
	FallbackPromptLeak  = "prompt-leak"  // the reply repeats the model's instructions
	FallbackLink        = "link"         // a link, URL or mention the sources do not hold
	FallbackError       = "error"        // anything else
	FallbackNoAccess    = "no-access"    // the server's settings keep this user from the model (Job.Offline)
	FallbackBudget      = "budget"       // the server's or user's daily model budget is spent (Job.Offline)
)

// timedOut is the Fallback for a model call that did not end in time.
func timedOut() *Fallback {
	return &Fallback{Code: FallbackTimeout, Reason: "the model did not answer in time"}
}

// fallbackFor turns a model error into a Fallback saying why the model's
// answer could not be used.
func fallbackFor(err error) *Fallback {
	var e *llm.Error
	if !errors.As(err, &e) {
		if errors.Is(err, context.DeadlineExceeded) {
			return timedOut()
		}
		return &Fallback{Code: FallbackError, Reason: "the model call failed"}
	}
	fb := &Fallback{Reason: e.Reason(), Setting: e.Kind.Setting()}
	switch e.Kind {
	case llm.Timeout, llm.Canceled:
		// Canceled here means the kernel's own deadline ended the call.
		return timedOut()
	case llm.BreakerOpen:
		fb.Code = FallbackBreakerOpen
	case llm.Auth, llm.UnknownModel, llm.BadEndpoint:
		fb.Code = FallbackConfig
	case llm.Unreachable:
		fb.Code = FallbackUnreachable
	case llm.RateLimited:
		fb.Code = FallbackRateLimited
	case llm.Busy:
		fb.Code = FallbackBusy
	case llm.Server:
		fb.Code = FallbackServer
	case llm.BadRequest:
		fb.Code = FallbackBadRequest
	case llm.Malformed:
		fb.Code = FallbackMalformed
	case llm.Empty:
		fb.Code = FallbackEmpty
	case llm.Truncated:
		fb.Code = FallbackTruncated
	default:
		fb.Code = FallbackError
	}
	return fb
}

// modelAnswered reports whether a model call that returned err got a
// completion back from the server, whatever it was worth: err is nil, or
// says the reply was empty, cut short or malformed. Such a call is one the
// server may charge for, whether or not it reported its token usage; one
// that failed before any answer (a timeout, no connection, an error
// status, the breaker or storybot's own cap) is not.
func modelAnswered(err error) bool {
	if err == nil {
		return true
	}
	var e *llm.Error
	return errors.As(err, &e) && (e.Kind == llm.Empty || e.Kind == llm.Truncated || e.Kind == llm.Malformed)
}
