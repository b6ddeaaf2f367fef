package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Kind classifies a failed call, so a caller can pick what to do (fall back,
// tell an operator which setting to fix) without parsing error strings.
type Kind int

// The kinds of failure. Every kind but Canceled counts toward opening the
// circuit breaker.
const (
	Unknown      Kind = iota // not classified
	Timeout                  // no complete answer within Config.Timeout (or the caller's deadline)
	Unreachable              // connection refused or reset, DNS failure, TLS failure
	Auth                     // 401 or 403: the key is missing or wrong (LLM_API_KEY)
	UnknownModel             // 404 naming the model (LLM_MODEL)
	BadEndpoint              // 404 for the route itself: the base URL is wrong (LLM_BASE_URL)
	BadRequest               // another 4xx: the server refused the request (e.g. the prompt is too long)
	RateLimited              // 429; Error.RetryAfter holds the server's wait, if it sent one
	Server                   // 5xx, or an error event inside a stream
	Malformed                // a reply that is not the JSON the API promises
	Empty                    // a well-formed reply with no text
	Truncated                // cut short: finish_reason "length", or a stream that ended without [DONE]
	BreakerOpen              // not sent: the circuit breaker is open after repeated failures
	Canceled                 // the caller's context was canceled; not the model's fault
	Busy                     // not sent: the caller's own cap on calls at once was reached (a wrapper returns it)
)

var kindNames = [...]string{
	Unknown:      "unknown",
	Timeout:      "timeout",
	Unreachable:  "unreachable",
	Auth:         "auth",
	UnknownModel: "unknown model",
	BadEndpoint:  "bad endpoint",
	BadRequest:   "bad request",
	RateLimited:  "rate limited",
	Server:       "server error",
	Malformed:    "malformed reply",
	Empty:        "empty reply",
	Truncated:    "truncated reply",
	BreakerOpen:  "breaker open",
	Canceled:     "canceled",
	Busy:         "busy",
}

// String returns the kind's name in lower case ("rate limited"), suitable
// as a log attribute or metric label.
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}

// Setting returns the environment variable an operator must fix for a
// configuration error (LLM_API_KEY, LLM_MODEL or LLM_BASE_URL), or "" when
// the kind is not a configuration error.
func (k Kind) Setting() string {
	switch k {
	case Auth:
		return "LLM_API_KEY"
	case UnknownModel:
		return "LLM_MODEL"
	case BadEndpoint:
		return "LLM_BASE_URL"
	}
	return ""
}

// Error is the error every Client call returns on failure. Use errors.As to
// get it, and Kind to decide what to do:
//
//	var e *llm.Error
//	if errors.As(err, &e) && e.Kind.Setting() != "" { /* tell the operator */ }
//
// Its message never holds the API key.
type Error struct {
	Kind Kind
	// Status is the HTTP status of the reply, 0 when there was none (or
	// 200 for a malformed, empty or truncated reply).
	Status int
	// RetryAfter is how long the server asked us to wait (429's
	// Retry-After header), or for BreakerOpen how long until the breaker
	// lets a probe through. Zero when unknown.
	RetryAfter time.Duration
	// Model is the model the call asked for.
	Model string
	// Err is the underlying error, with the API key scrubbed; may be nil.
	Err error
}

// Error returns a lower-case, one-line description for logs.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("llm: ")
	b.WriteString(e.Kind.String())
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d)", e.Status)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, ", retry after %v", e.RetryAfter)
	}
	if v := e.Kind.Setting(); v != "" {
		fmt.Fprintf(&b, ", check %s", v)
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Reason returns a short sentence fit to show a user or an operator, with no
// detail from the server. For configuration errors it names the variable to
// fix.
func (e *Error) Reason() string {
	switch e.Kind {
	case Timeout:
		return "the model did not answer in time"
	case Unreachable:
		return "the model server could not be reached (check LLM_BASE_URL and that the server is running)"
	case Auth:
		return "the model server rejected the API key (check LLM_API_KEY)"
	case UnknownModel:
		return "the model server does not know the model (check LLM_MODEL)"
	case BadEndpoint:
		return "the model server has no chat completions API at the configured address (check LLM_BASE_URL, usually ending in /v1)"
	case BadRequest:
		return "the model server refused the request"
	case RateLimited:
		return "the model server is rate limiting us"
	case Server:
		return "the model server failed"
	case Malformed:
		return "the model server sent a reply that could not be read"
	case Empty:
		return "the model gave an empty answer"
	case Truncated:
		return "the model's answer was cut short"
	case BreakerOpen:
		return "the model is failing repeatedly, so it is skipped for a while"
	case Canceled:
		return "the request was canceled"
	case Busy:
		return "the model is busy with other summaries (BOT_MAX_MODEL_CALLS)"
	}
	return "the model call failed"
}

// scrub returns err, or when its message shows secret, a plain error with
// the secret replaced by REDACTED. The original chain is dropped in that case,
// so no errors.As can dig the secret out of it.
func scrub(err error, secret string) error {
	if err == nil || secret == "" {
		return err
	}
	msg := err.Error()
	if !strings.Contains(msg, secret) {
		return err
	}
	return errors.New(strings.ReplaceAll(msg, secret, "REDACTED"))
}

// classify turns an error from go-openai or the transport into an *Error.
// parent is the caller's context and call the per-call one derived from it.
func classify(parent, call context.Context, err error, tr *trace) *Error {
	out := &Error{Err: err}
	if tr != nil {
		out.Status = tr.status
	}
	var (
		e      *Error
		apiErr *openai.APIError
		reqErr *openai.RequestError
	)
	switch {
	case parent.Err() != nil && errors.Is(parent.Err(), context.Canceled):
		out.Kind = Canceled
	case call.Err() != nil || errors.Is(err, context.DeadlineExceeded) || isNetTimeout(err):
		// Checked before our own errors: a stream cut by the deadline
		// must read as a timeout, not as a truncated stream.
		out.Kind = Timeout
		if errors.As(err, &e) {
			out.Err = e.Err
		}
	case errors.As(err, &e):
		return e
	case errors.As(err, &apiErr):
		if apiErr.HTTPStatusCode == 0 {
			// An error event inside a 200 stream.
			out.Kind = Server
			break
		}
		out.Status = apiErr.HTTPStatusCode
		out.Kind = kindForStatus(apiErr.HTTPStatusCode, apiErr.Message, fmt.Sprint(apiErr.Code))
	case errors.As(err, &reqErr):
		// A failure status whose body is not an OpenAI error object.
		out.Status = reqErr.HTTPStatusCode
		out.Kind = kindForStatus(reqErr.HTTPStatusCode, string(reqErr.Body), "")
		out.Err = fmt.Errorf("HTTP %d with a non-JSON error body", reqErr.HTTPStatusCode)
	case out.Status == 0 && isRefusedByGoOpenAI(err):
		// go-openai checked the request and refused to send it.
		out.Kind = BadRequest
	case isMalformed(err) || (out.Status >= 200 && out.Status < 300 && errors.Is(err, io.EOF)):
		// A 2xx whose body is not the JSON promised (an empty body
		// decodes to io.EOF).
		out.Kind = Malformed
	case isUnreachable(err):
		out.Kind = Unreachable
	default:
		out.Kind = Unknown
	}
	if out.Kind == RateLimited && tr != nil {
		out.RetryAfter = tr.retryAfter
	}
	return out
}

// kindForStatus classifies an HTTP failure status. msg and code, from the
// error body, tell a missing model from a missing route.
func kindForStatus(status int, msg, code string) Kind {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return Auth
	case status == http.StatusNotFound:
		if code != "unknown_url" && (code == "model_not_found" || strings.Contains(strings.ToLower(msg), "model")) {
			return UnknownModel
		}
		return BadEndpoint
	case status == http.StatusTooManyRequests:
		return RateLimited
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return Timeout
	case status >= 500:
		return Server
	case status >= 400:
		return BadRequest
	}
	return Malformed // 1xx or 3xx where JSON was due
}

func isRefusedByGoOpenAI(err error) bool {
	for _, target := range []error{
		openai.ErrChatCompletionInvalidModel, openai.ErrReasoningModelMaxTokensDeprecated,
		openai.ErrReasoningModelLimitationsOther, openai.ErrReasoningModelLimitationsLogprobs,
		openai.ErrReasoningEffortUnsupported, openai.ErrReasoningSamplingUnsupported, openai.ErrO1BetaLimitationsMessageTypes,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	return false
}

func isNetTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func isMalformed(err error) bool {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	return errors.As(err, &syn) || errors.As(err, &typ) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, openai.ErrTooManyEmptyStreamMessages)
}

func isUnreachable(err error) bool {
	var opErr *net.OpError
	var dnsErr *net.DNSError
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.As(err, &opErr) || errors.As(err, &dnsErr) || errors.Is(err, io.EOF)
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}
