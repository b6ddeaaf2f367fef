// Package fakediscord is a fake Discord for tests: an httptest server on
// 127.0.0.1 that answers the REST calls storybot makes (GET /gateway, the
// application commands, interaction callbacks, webhook edits and follow-ups,
// messages posted to channels, and channel lookups)
// and serves a websocket gateway (HELLO, IDENTIFY, READY, heartbeats, RESUME
// and dispatched INTERACTION_CREATE events). Every body the bot sends is
// validated against Discord's OpenAPI schemas and the docs-only limits; a
// body that breaks one is answered with a 400, as Discord would, and recorded
// in Request.Problems.
package fakediscord

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Server.
type Options struct {
	// Spec is the path of discord-openapi-subset.json; empty skips schema
	// validation (the docs-only checks still run).
	Spec string
	// Limits is the path of limits.json; empty uses the built-in 6000.
	Limits string
	// Token is the bot token the gateway accepts (default "test-token").
	Token string
	// AppID is the application's ID (default "100000000000000001").
	AppID string
	// HeartbeatInterval is sent in HELLO (default 41.25 s).
	HeartbeatInterval time.Duration
}

// Kinds of Request.
const (
	KindGateway     = "gateway"      // GET /gateway
	KindCommandsGet = "commands-get" // GET application commands
	KindCommandsPut = "commands-put" // bulk overwrite
	KindCallback    = "callback"     // POST /interactions/{id}/{token}/callback
	KindEdit        = "edit"         // PATCH /webhooks/{app}/{token}/messages/@original
	KindDelete      = "delete"       // DELETE …/messages/@original
	KindFollowup    = "followup"     // POST /webhooks/{app}/{token}
	KindMessage     = "message"      // POST /channels/{channel}/messages
	KindChannel     = "channel"      // GET /channels/{channel} (see AddChannel)
	KindOther       = "other"        // anything else (answered 404)
)

// Request is one REST request the fake received.
type Request struct {
	Kind          string
	Method, Path  string
	Header        http.Header
	Body          []byte
	InteractionID string    // for callbacks, edits, deletes and follow-ups
	Guild         string    // for command calls: the guild, empty for global
	Channel       string    // for messages and channel lookups: the channel
	Received      time.Time // when the handler got the request, before validation
	Status        int       // what the fake answered
	Problems      []string  // schema and limit violations (answered 400)
}

// Callback decodes a callback request's type and data.
func (r Request) Callback() (typ int, data json.RawMessage) {
	var cb struct {
		Type int             `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	json.Unmarshal(r.Body, &cb)
	return cb.Type, cb.Data
}

// Server is a fake Discord. Its methods are safe for concurrent use.
type Server struct {
	opt  Options
	val  *validator
	http *httptest.Server

	dmu       sync.Mutex // serializes gateway sequence numbering with writing
	mu        sync.Mutex
	requests  []Request
	changed   chan struct{} // closed and replaced when requests or gateway state change
	commands  map[string]json.RawMessage
	limited   map[string]int // Kind → 429s still to give
	retry     float64
	nextID    int64
	tokens    map[string]string // interaction token → interaction ID
	channels  map[string]string // channel ID → its guild's ID (AddChannel)
	gw        gateway
	dispatchT map[string]time.Time // interaction ID → when its INTERACTION_CREATE was written
}

// Start starts a fake Discord on 127.0.0.1. Close it when done.
func Start(o Options) (*Server, error) {
	if o.Token == "" {
		o.Token = "test-token"
	}
	if o.AppID == "" {
		o.AppID = "100000000000000001"
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = 41250 * time.Millisecond
	}
	v, err := newValidator(o.Spec, o.Limits)
	if err != nil {
		return nil, err
	}
	s := &Server{opt: o, val: v, changed: make(chan struct{}), commands: map[string]json.RawMessage{},
		limited: map[string]int{}, nextID: 200000000000000000, tokens: map[string]string{}, channels: map[string]string{}, dispatchT: map[string]time.Time{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("fake discord: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v9/", s.serveREST)
	mux.HandleFunc("/gateway/", s.serveGateway) // discordgo adds a slash: /gateway/?v=9
	s.http = &httptest.Server{Listener: ln, Config: &http.Server{Handler: mux}}
	s.http.Start()
	return s, nil
}

// Close stops the servers and ends every gateway connection.
func (s *Server) Close() {
	s.mu.Lock()
	if c := s.gw.conn; c != nil {
		c.Close()
	}
	s.mu.Unlock()
	s.http.CloseClientConnections()
	s.http.Close()
}

// APIURL is the REST base, for DISCORD_API_URL: http://127.0.0.1:PORT/api/v9/.
func (s *Server) APIURL() string { return s.http.URL + "/api/v9/" }

// Token is the bot token the fake accepts.
func (s *Server) Token() string { return s.opt.Token }

// AppID is the application's ID.
func (s *Server) AppID() string { return s.opt.AppID }

// RateLimit makes the next n requests of kind fail with a 429 whose
// retry_after is retryAfter seconds.
func (s *Server) RateLimit(kind string, n int, retryAfter float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limited[kind] += n
	s.retry = retryAfter
}

// AddChannel adds a text channel of guild guildID, which GET
// /channels/{id} then returns. Like Discord, the fake answers that call
// with a 404 for a channel it does not know.
func (s *Server) AddChannel(id, guildID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = guildID
}

// Requests returns every REST request received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Commands returns the registered commands, by guild ("" for global).
func (s *Server) Commands(guild string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commands[guild]
}

// Wait returns the first request (already received or still to come) for
// which match is true, or ctx's error.
func (s *Server) Wait(ctx context.Context, match func(Request) bool) (Request, error) {
	seen := 0
	for {
		s.mu.Lock()
		for ; seen < len(s.requests); seen++ {
			if match(s.requests[seen]) {
				r := s.requests[seen]
				s.mu.Unlock()
				return r, nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Request{}, fmt.Errorf("fake discord: waiting for a request: %w", ctx.Err())
		}
	}
}

// For matches the requests of one kind for one interaction.
func For(kind, interactionID string) func(Request) bool {
	return func(r Request) bool { return r.Kind == kind && r.InteractionID == interactionID }
}

// notify wakes Wait callers; s.mu must be held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	// Received is when the request arrived, before any of the fake's own
	// work (reading, routing, validating), so a latency measured to it is
	// the bot's.
	received := time.Now()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	req := Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body, Received: received}
	parts := strings.Split(strings.Trim(strings.TrimPrefix(r.URL.Path, "/api/v9/"), "/"), "/")
	var ptr string
	message := false
	switch {
	case r.Method == "GET" && len(parts) == 1 && parts[0] == "gateway":
		req.Kind = KindGateway
	case len(parts) >= 3 && parts[0] == "applications" && parts[len(parts)-1] == "commands" && (len(parts) == 3 || len(parts) == 5 && parts[2] == "guilds"):
		if len(parts) == 5 {
			req.Guild = parts[3]
		}
		switch r.Method {
		case "GET":
			req.Kind = KindCommandsGet
		case "PUT":
			req.Kind, ptr = KindCommandsPut, ptrBulkGlobal
			if req.Guild != "" {
				ptr = ptrBulkGuild
			}
		}
	case r.Method == "POST" && len(parts) == 4 && parts[0] == "interactions" && parts[3] == "callback":
		req.Kind, req.InteractionID, ptr = KindCallback, parts[1], ptrCallback
	case len(parts) == 2 && parts[0] == "channels" && r.Method == "GET":
		req.Kind, req.Channel = KindChannel, parts[1]
	case len(parts) == 3 && parts[0] == "channels" && parts[2] == "messages" && r.Method == "POST":
		req.Kind, req.Channel, ptr, message = KindMessage, parts[1], ptrCreateMessage, true
	case len(parts) == 3 && parts[0] == "webhooks" && r.Method == "POST":
		req.Kind, ptr, message = KindFollowup, ptrFollowup, true
		req.InteractionID = s.interaction(parts[2])
	case len(parts) == 5 && parts[0] == "webhooks" && parts[3] == "messages" && parts[4] == "@original":
		req.InteractionID = s.interaction(parts[2])
		switch r.Method {
		case "PATCH":
			req.Kind, ptr, message = KindEdit, ptrEdit, true
		case "DELETE":
			req.Kind = KindDelete
		}
	}
	if req.Kind == "" {
		req.Kind = KindOther
	}
	if r.Header.Get("Authorization") != "Bot "+s.opt.Token && req.Kind != KindEdit && req.Kind != KindDelete && req.Kind != KindFollowup && req.Kind != KindCallback {
		s.answer(w, &req, http.StatusUnauthorized, map[string]any{"code": 0, "message": "401: Unauthorized"})
		return
	}

	s.mu.Lock()
	if s.limited[req.Kind] > 0 {
		s.limited[req.Kind]--
		retry := s.retry
		s.mu.Unlock()
		w.Header().Set("Retry-After", strconv.FormatFloat(retry, 'f', -1, 64))
		w.Header().Set("X-RateLimit-Scope", "user")
		s.answer(w, &req, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": retry, "global": false})
		return
	}
	s.mu.Unlock()

	if ptr != "" {
		if req.Kind == KindCommandsPut {
			req.Problems = append(req.Problems, s.val.schema(ptr, docsCommands(body))...)
		} else {
			req.Problems = append(req.Problems, s.val.schema(ptr, body)...)
		}
		switch req.Kind {
		case KindCommandsPut:
			req.Problems = append(req.Problems, s.val.commandRules(body)...)
		case KindCallback:
			req.Problems = append(req.Problems, s.callbackRules(body)...)
		}
		if message {
			req.Problems = append(req.Problems, s.val.messageRules(body)...)
		}
	}
	if len(req.Problems) > 0 {
		s.answer(w, &req, http.StatusBadRequest, map[string]any{"code": 50035, "message": "Invalid Form Body", "errors": req.Problems})
		return
	}

	switch req.Kind {
	case KindGateway:
		s.answer(w, &req, 200, map[string]string{"url": "ws" + strings.TrimPrefix(s.http.URL, "http") + "/gateway"})
	case KindCommandsGet:
		s.mu.Lock()
		cmds := s.commands[req.Guild]
		s.mu.Unlock()
		if cmds == nil {
			cmds = json.RawMessage("[]")
		}
		s.answer(w, &req, 200, cmds)
	case KindCommandsPut:
		var cmds []map[string]any
		json.Unmarshal(body, &cmds)
		s.mu.Lock()
		for _, c := range cmds {
			s.nextID++
			c["id"] = strconv.FormatInt(s.nextID, 10)
			c["application_id"] = s.opt.AppID
			c["version"] = c["id"]
			if req.Guild != "" {
				c["guild_id"] = req.Guild
			}
		}
		out, _ := json.Marshal(cmds)
		s.commands[req.Guild] = out
		s.mu.Unlock()
		s.answer(w, &req, 200, json.RawMessage(out))
	case KindChannel:
		s.mu.Lock()
		guild, ok := s.channels[req.Channel]
		s.mu.Unlock()
		if !ok {
			s.answer(w, &req, http.StatusNotFound, map[string]any{"code": 10003, "message": "Unknown Channel"})
			return
		}
		s.answer(w, &req, 200, map[string]any{"id": req.Channel, "type": 0, "guild_id": guild, "name": "news",
			"position": 0, "permission_overwrites": []any{}, "nsfw": false, "parent_id": nil, "topic": nil, "last_message_id": nil, "rate_limit_per_user": 0})
	case KindCallback, KindDelete:
		s.answer(w, &req, http.StatusNoContent, nil)
	case KindEdit, KindFollowup, KindMessage:
		var m map[string]any
		json.Unmarshal(body, &m)
		s.mu.Lock()
		s.nextID++
		m["id"] = strconv.FormatInt(s.nextID, 10)
		s.mu.Unlock()
		m["channel_id"] = "300000000000000001"
		if req.Channel != "" {
			m["channel_id"] = req.Channel
		}
		m["type"] = 20
		m["timestamp"] = time.Now().UTC().Format(time.RFC3339)
		m["author"] = map[string]any{"id": s.opt.AppID, "username": "storybot", "bot": true}
		s.answer(w, &req, 200, m)
	default:
		s.answer(w, &req, http.StatusNotFound, map[string]any{"code": 0, "message": "404: Not Found"})
	}
}

// CheckResponse returns what is wrong with body as an interaction
// response (the body of a callback, or the reply to an HTTP interaction):
// the schema and limit violations the callback endpoint would answer with
// a 400. It returns nil for a valid response.
func (s *Server) CheckResponse(body []byte) []string {
	var cb struct {
		Type int `json:"type"`
	}
	if err := json.Unmarshal(body, &cb); err != nil {
		return []string{"body is not JSON: " + err.Error()}
	}
	problems := s.val.schema(ptrCallback, body)
	if cb.Type == 1 {
		return problems // a PONG answers a PING, which only comes over HTTP
	}
	return append(problems, s.callbackRules(body)...)
}

// callbackRules checks a callback body by its type.
func (s *Server) callbackRules(body []byte) []string {
	req := Request{Body: body}
	typ, data := req.Callback()
	switch typ {
	case 4, 5:
		problems := s.val.schema(ptrMessageCB, body)
		if typ == 4 {
			problems = append(problems, s.val.messageRules(data)...)
		}
		return problems
	case 8:
		return s.val.schema(ptrAutocomplete, body)
	}
	return []string{fmt.Sprintf("callback type %d is not one storybot should send", typ)}
}

// answer writes status and v as JSON (nothing for 204) and records req.
func (s *Server) answer(w http.ResponseWriter, req *Request, status int, v any) {
	req.Status = status
	s.mu.Lock()
	s.requests = append(s.requests, *req)
	s.notify()
	s.mu.Unlock()
	if status == http.StatusNoContent {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// interaction returns the interaction ID of a token, "" if unknown.
func (s *Server) interaction(token string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[token]
}

// Dispatched returns when the INTERACTION_CREATE of interaction id was
// written to the gateway connection.
func (s *Server) Dispatched(id string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.dispatchT[id]
	return t, ok
}
