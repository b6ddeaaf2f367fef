// Package mock is an OpenAI-compatible chat completions server for tests,
// demos and "storybot mock-llm". It answers deterministically from the prompt
// and injects faults on demand, chosen per request by the model name.
//
// Routes: POST /v1/chat/completions (plain and with "stream": true, as
// server-sent events ending in "data: [DONE]", honouring
// stream_options.include_usage) and GET /v1/models. Anything else gets an
// OpenAI-shaped 404 error body; a request body that is not valid JSON, a 400.
//
// The answer: for a prompt holding an article between <article> and
// </article> (as package prompts renders it), the first sentences of that
// article, verbatim, within the word limit the prompt states ("at most N
// words"; 60 when it states none). A "Title: …" first line is skipped. So the
// normal answer holds only text from the article and passes a faithfulness
// check. For any other prompt, the first sentences of the last user message.
// The reply's "model" field marks it: the requested name when it starts with
// "mock", else "mock".
//
// Fault models (see Models):
//
//	mock-slow-DURATION  answers normally after DURATION (Go syntax: mock-slow-250ms, mock-slow-10s)
//	mock-hang           sends nothing until the client goes away (or the request's context ends:
//	                    then it drops the connection)
//	mock-error-500      HTTP 500 with an OpenAI error body
//	mock-429            HTTP 429 with "Retry-After: 2"
//	mock-401            HTTP 401, as for a wrong API key
//	mock-404            HTTP 404 model_not_found
//	mock-malformed      HTTP 200 with a body that is not valid JSON (or a broken chunk when streamed)
//	mock-cut-stream     streamed: some chunks, then the connection closes without [DONE];
//	                    not streamed: half a JSON body
//	mock-stream-error   streamed: some chunks, then an SSE error event; not streamed: HTTP 500
//	mock-empty          a well-formed reply with empty content
//	mock-hallucinate    the normal answer plus a sentence with a name and a number not in the article
//	mock-echo-prompt    the normal answer's first sentence, then its instructions (the system
//	                    message) verbatim, then the rest: a model that leaks its prompt
//	mock-link           the normal answer plus LinkBait: a masked link to another host and a role mention
//
// Any other model name answers normally. A max_tokens below the answer's
// length (estimated at 1.3 tokens a word) cuts it, with finish_reason "length".
package mock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Model is the mock's normal model name.
const Model = "mock"

// The fault models. FaultSlow is a prefix: append a Go duration.
const (
	FaultSlow        = "mock-slow-"
	FaultHang        = "mock-hang"
	FaultError500    = "mock-error-500"
	FaultRateLimit   = "mock-429"
	FaultAuth        = "mock-401"
	FaultNoModel     = "mock-404"
	FaultMalformed   = "mock-malformed"
	FaultCutStream   = "mock-cut-stream"
	FaultStreamError = "mock-stream-error"
	FaultEmpty       = "mock-empty"
	FaultHallucinate = "mock-hallucinate"
	FaultEchoPrompt  = "mock-echo-prompt"
	FaultLink        = "mock-link"
)

// LinkBait is the sentence mock-link adds: a masked link to a host no story
// names, and a role mention.
const LinkBait = "See [the council notice](https://elsewhere.example/notice) and tell <@&123456789012345678>."

// RetryAfterSeconds is the Retry-After the mock-429 model sends.
const RetryAfterSeconds = 2

// Hallucination is the sentence mock-hallucinate adds: its name and number
// appear in no real article.
const Hallucination = "Officials said Zebulon Quartermaine counted 9,731 witnesses."

// Models lists the model names GET /v1/models returns: Model and the faults.
var Models = []string{
	Model, FaultSlow + "250ms", FaultSlow + "10s", FaultHang, FaultError500, FaultRateLimit,
	FaultAuth, FaultNoModel, FaultMalformed, FaultCutStream, FaultStreamError, FaultEmpty, FaultHallucinate, FaultEchoPrompt, FaultLink,
}

// Options configure a Server. The zero value is ready to use.
type Options struct {
	// APIKey, when set, must come as "Authorization: Bearer APIKey";
	// otherwise the answer is a 401.
	APIKey string
	// ChunkDelay is a pause between streamed chunks, to watch live edits.
	ChunkDelay time.Duration
	// Now gives the "created" timestamps (default time.Now).
	Now func() time.Time
	// Log receives one Debug record per request (default: none).
	Log *slog.Logger
}

// Server is the mock's http.Handler. It is safe for concurrent use.
type Server struct {
	opts Options
	mux  *http.ServeMux
}

// NewServer returns a mock server. Serve it with httptest.NewServer in tests
// (its base URL for llm.Config is the server's URL + "/v1") or an http.Server.
func NewServer(opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{opts: opts, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST /v1/chat/completions", s.chat)
	s.mux.HandleFunc("GET /v1/models", s.models)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "invalid_request_error", "unknown_url",
			fmt.Sprintf("Unknown request URL: %s %s. Please check the URL (the base URL ends in /v1).", r.Method, r.URL.Path))
	})
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.opts.APIKey != "" {
		got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if got != s.opts.APIKey {
			// Like OpenAI, echo the key given; clients must not log it.
			writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key",
				fmt.Sprintf("Incorrect API key provided: %s.", got))
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	out := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list"}
	for _, m := range Models {
		out.Data = append(out.Data, model{ID: m, Object: "model", Created: 1767225600, OwnedBy: "storybot"})
	}
	writeJSON(w, http.StatusOK, out)
}

// request is the part of a chat completion request the mock reads.
type request struct {
	Model         string    `json:"model"`
	Messages      []message `json:"messages"`
	Stream        bool      `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	MaxTokens           int `json:"max_tokens"`
	MaxCompletionTokens int `json:"max_completion_tokens"`
}

type message struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// text returns a message's content: a string, or the text parts of an array.
func (m message) text() string {
	var s string
	if json.Unmarshal(m.Content, &s) == nil {
		return s
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(m.Content, &parts) != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req request
	if err := json.NewDecoder(io.LimitReader(r.Body, 16<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_request_error", "invalid_json",
			"We could not parse the JSON body of your request: "+err.Error())
		return
	}
	switch {
	case req.Model == "":
		writeErrorParam(w, http.StatusBadRequest, "model", "missing_required_parameter", "you must provide a model parameter")
		return
	case len(req.Messages) == 0:
		writeErrorParam(w, http.StatusBadRequest, "messages", "missing_required_parameter", "messages must be a non-empty array")
		return
	}
	s.opts.Log.Debug("mock chat completion", "model", req.Model, "stream", req.Stream)
	ctx := r.Context()

	if d, ok := strings.CutPrefix(req.Model, FaultSlow); ok {
		delay, err := time.ParseDuration(d)
		if err != nil || delay < 0 {
			writeModelNotFound(w, req.Model)
			return
		}
		if !sleep(ctx, delay) {
			panic(http.ErrAbortHandler) // close the connection, send nothing
		}
	}
	switch req.Model {
	case FaultHang:
		<-ctx.Done()
		panic(http.ErrAbortHandler)
	case FaultError500:
		writeError(w, http.StatusInternalServerError, "server_error", "", "mock: injected server error")
		return
	case FaultRateLimit:
		w.Header().Set("Retry-After", fmt.Sprint(RetryAfterSeconds))
		writeError(w, http.StatusTooManyRequests, "rate_limit_exceeded", "rate_limit_exceeded",
			fmt.Sprintf("mock: rate limit reached, try again in %ds", RetryAfterSeconds))
		return
	case FaultAuth:
		writeError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", "mock: injected authentication failure")
		return
	case FaultNoModel:
		writeModelNotFound(w, req.Model)
		return
	case FaultStreamError:
		if !req.Stream {
			writeError(w, http.StatusInternalServerError, "server_error", "", "mock: injected server error")
			return
		}
	}

	a := s.answer(req)
	if req.Stream {
		s.stream(ctx, w, req, a)
		return
	}
	resp := completion{
		ID: a.id, Object: "chat.completion", Created: s.opts.Now().Unix(), Model: a.model,
		SystemFingerprint: fingerprint,
		Choices: []choice{{
			Message:      responseMessage{Role: "assistant", Content: &a.text},
			FinishReason: a.finish,
		}},
		Usage: a.usage,
	}
	switch req.Model {
	case FaultMalformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, `{"id":"`+a.id+`","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"`)
		return
	case FaultCutStream:
		b, _ := json.Marshal(resp)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(b[:len(b)/2])
		return
	}
	writeJSON(w, http.StatusOK, resp)
}

// fingerprint is the mock's system_fingerprint.
const fingerprint = "fp_storybot_mock"

// answer is what the mock replies, before it is framed.
type answer struct {
	id, model, text, finish string
	usage                   usage
}

func (s *Server) answer(req request) answer {
	msgs := make([]string, len(req.Messages))
	last := -1
	for i, m := range req.Messages {
		msgs[i] = m.text()
		if m.Role == "user" {
			last = i
		}
	}
	var others []string
	user := ""
	for i, m := range msgs {
		if i == last {
			user = m
		} else {
			others = append(others, m)
		}
	}
	all := strings.Join(msgs, "\n")
	text := Reply(strings.Join(others, "\n"), user)
	switch req.Model {
	case FaultEmpty:
		text = ""
	case FaultHallucinate:
		text = strings.TrimSpace(text + " " + Hallucination)
	case FaultEchoPrompt:
		sents := sentences(text)
		if len(sents) > 0 {
			text = strings.Join(append([]string{sents[0], strings.Join(strings.Fields(strings.Join(others, " ")), " ")}, sents[1:]...), " ")
		}
	case FaultLink:
		text = strings.TrimSpace(text + " " + LinkBait)
	}
	finish := "stop"
	limit := req.MaxCompletionTokens
	if limit <= 0 {
		limit = req.MaxTokens
	}
	if limit > 0 && Tokens(text) > limit {
		text, finish = cutTokens(text, limit), "length"
	}
	prompt := 0
	for _, m := range msgs {
		prompt += Tokens(m) + 4 // per-message framing, as chat formats add
	}
	completionTokens := Tokens(text)
	model := req.Model
	if !strings.HasPrefix(model, Model) {
		model = Model
	}
	sum := sha256.Sum256([]byte(req.Model + "\x00" + all))
	return answer{
		id:     "chatcmpl-mock-" + hex.EncodeToString(sum[:8]),
		model:  model,
		text:   text,
		finish: finish,
		usage:  usage{PromptTokens: prompt, CompletionTokens: completionTokens, TotalTokens: prompt + completionTokens},
	}
}

// stream writes the answer as server-sent events.
func (s *Server) stream(ctx context.Context, w http.ResponseWriter, req request, a answer) {
	flusher, _ := w.(http.Flusher)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	w.WriteHeader(http.StatusOK)
	includeUsage := req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	created := s.opts.Now().Unix()
	send := func(ch chunk) bool {
		if includeUsage && ch.Usage == nil {
			ch.Usage = nullJSON
		}
		b, err := json.Marshal(ch)
		if err != nil {
			return false
		}
		return s.event(ctx, w, flusher, b)
	}
	mk := func(choices ...chunkChoice) chunk {
		return chunk{ID: a.id, Object: "chat.completion.chunk", Created: created, Model: a.model, SystemFingerprint: fingerprint, Choices: choices}
	}
	empty := ""
	if !send(mk(chunkChoice{Delta: delta{Role: "assistant", Content: &empty}})) {
		return
	}
	pieces := split(a.text)
	switch req.Model {
	case FaultMalformed:
		s.event(ctx, w, flusher, []byte(`{"id":"`+a.id+`","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"bro`))
		s.event(ctx, w, flusher, []byte("[DONE]"))
		return
	case FaultCutStream, FaultStreamError:
		pieces = pieces[:min(len(pieces), 3)]
	}
	for _, p := range pieces {
		if !send(mk(chunkChoice{Delta: delta{Content: &p}})) {
			return
		}
	}
	switch req.Model {
	case FaultCutStream:
		return // the handler returns: the response ends without [DONE]
	case FaultStreamError:
		b, _ := json.Marshal(errorBody{Error: errorObject{Message: "mock: injected error inside the stream", Type: "server_error"}})
		s.event(ctx, w, flusher, b)
		return
	}
	finish := a.finish
	if !send(mk(chunkChoice{Delta: delta{}, FinishReason: &finish})) {
		return
	}
	if includeUsage {
		u := a.usage
		if !send(chunk{ID: a.id, Object: "chat.completion.chunk", Created: created, Model: a.model, SystemFingerprint: fingerprint, Choices: []chunkChoice{}, Usage: &u}) {
			return
		}
	}
	s.event(ctx, w, flusher, []byte("[DONE]"))
}

// event writes one "data:" event, after the chunk delay. It reports whether
// the client is still there.
func (s *Server) event(ctx context.Context, w io.Writer, f http.Flusher, data []byte) bool {
	if s.opts.ChunkDelay > 0 && !sleep(ctx, s.opts.ChunkDelay) {
		return false
	}
	buf := make([]byte, 0, len(data)+8)
	buf = append(buf, "data: "...)
	buf = append(buf, data...)
	buf = append(buf, "\n\n"...)
	if _, err := w.Write(buf); err != nil {
		return false
	}
	if f != nil {
		f.Flush()
	}
	return ctx.Err() == nil
}

// split cuts text into stream pieces of one word each, with the space
// before a word carried by the word, as tokenizers do.
func split(text string) []string {
	words := strings.Fields(text)
	out := make([]string, len(words))
	for i, w := range words {
		if i > 0 {
			w = " " + w
		}
		out[i] = w
	}
	return out
}

// sleep waits for d or until ctx ends, reporting whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
