package commands

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/storybot/storybot/generate"
	"github.com/storybot/storybot/llm"
	"github.com/storybot/storybot/store"
)

// Request is one command as a transport decoded it (the gateway, the HTTP
// endpoint, the terminal): its options read once into fields, and who sent
// it from where. Middleware fills in what policy decided (Settings,
// Offline) before the handler runs.
type Request struct {
	// Command is the command's name ("story", "ask", "storybot") and Path
	// its subcommand, if any ("settings set").
	Command, Path string
	// Options are the string options by name; Changes are the options of
	// a settings change, in the order given.
	Options map[string]string
	Changes []Change
	// Autocomplete is set when the user is still typing Focused, one of
	// the options, and the reply is Choices.
	Autocomplete bool
	Focused      string

	// User, Guild and Channel are IDs; Guild is empty in a direct message
	// and on the terminal. Roles are the member's roles in Guild.
	User, Guild, Channel string
	Roles                []string
	// Admin reports that the user may change the server's settings
	// (Manage Server or Administrator on Discord; always on the terminal).
	Admin bool

	// Draft, when set by the transport, gets the reply's text so far while
	// the model writes, checked (generate.Job.Draft).
	Draft func(text string)
	// Fresh asks the model again instead of using a cached summary: the
	// operator's choice on the terminal ("storybot story --fresh").
	Fresh bool

	// Set by middleware.
	Settings store.Settings     // the server's settings; the defaults in a DM
	Offline  *generate.Fallback // keeps the model out of the reply, saying why
}

// Option returns the string option name, "" when not given.
func (r *Request) Option(name string) string { return r.Options[name] }

// Reply is a command's answer as data; the transport renders it.
type Reply struct {
	Story   *StoryReply
	Ask     *AskReply
	Message string // a plain message: settings, usage, refusals
	// Ephemeral asks that only the user sees the reply.
	Ephemeral bool
	// Note goes above the reply: a spent budget, for example.
	Note string
	// Choices answer an autocomplete.
	Choices []store.Title
	// Outcome says how it went, for metrics: one of the Outcome…
	// constants; empty means OutcomeOK.
	Outcome string
}

// Outcomes, for metrics and logs.
const (
	OutcomeOK          = "ok"
	OutcomeNotFound    = "not-found"    // no story matched
	OutcomeBadInput    = "bad-input"    // an invalid question or setting
	OutcomeRateLimited = "rate-limited" // the user sent commands too quickly
	OutcomeTimeout     = "timeout"      // the reply ran out of time
	OutcomeUnknown     = "unknown"      // a command storybot does not know
	OutcomeRefused     = "refused"      // the access lists, the server's channels or a missing permission turned it away
	OutcomeError       = "error"        // anything else
)

// refuse is the reply that turns a request away with msg, only its user
// seeing it.
func refuse(outcome, msg string) Reply {
	return Reply{Message: msg, Ephemeral: true, Outcome: outcome}
}

// cost is what a reply cost: whether the model answered (it may charge,
// whatever its answer was worth) and the tokens it reported.
func (r Reply) cost() (answered bool, u llm.Usage) {
	switch {
	case r.Story != nil:
		return r.Story.Summary.ModelAnswered, r.Story.Summary.Usage
	case r.Ask != nil:
		return r.Ask.Answer.ModelAnswered, r.Ask.Answer.Usage
	}
	return false, llm.Usage{}
}

// Handler answers a Request.
type Handler interface {
	Serve(ctx context.Context, r *Request) (Reply, error)
}

// HandlerFunc is a function as a Handler.
type HandlerFunc func(ctx context.Context, r *Request) (Reply, error)

// Serve calls f.
func (f HandlerFunc) Serve(ctx context.Context, r *Request) (Reply, error) { return f(ctx, r) }

// Middleware wraps a Handler with policy shared by every command.
type Middleware func(Handler) Handler

// ErrUnknownCommand is returned for a command no handler is registered for.
var ErrUnknownCommand = errors.New("unknown command")

// Router sends each Request to the handler registered for its command,
// through the middleware in the order they were added (the first added
// runs first). It is safe for concurrent use once set up.
type Router struct {
	mu       sync.RWMutex
	handlers map[string]Handler
	mw       []Middleware
}

// Use adds middleware, run for every command after what was added before.
func (rt *Router) Use(mw ...Middleware) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	rt.mw = append(rt.mw, mw...)
}

// Handle registers h for the command name.
func (rt *Router) Handle(name string, h Handler) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.handlers == nil {
		rt.handlers = map[string]Handler{}
	}
	rt.handlers[name] = h
}

// Serve answers r: its command's handler through the middleware, or, for a
// command no handler is registered for, a short message only its user sees
// (outcome OutcomeUnknown) with an error wrapping ErrUnknownCommand, for
// the log.
func (rt *Router) Serve(ctx context.Context, r *Request) (Reply, error) {
	rt.mu.RLock()
	h, ok := rt.handlers[r.Command]
	mw := rt.mw
	rt.mu.RUnlock()
	if !ok {
		return refuse(OutcomeUnknown, "storybot does not know that command. Try /story or /ask."), fmt.Errorf("%w %q", ErrUnknownCommand, r.Command)
	}
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h.Serve(ctx, r)
}
