package fakediscord

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// gateway is the fake's gateway state; Server.mu guards it.
type gateway struct {
	conn       *wsConn // the identified connection, nil when none
	sessionID  string
	seq        int64
	events     []event // dispatched this session, for RESUME
	identifies int
	resumes    int
	intents    int
	shard      [2]int // of the last IDENTIFY: shard ID and count
	heartbeats int
}

type event struct {
	seq     int64
	payload []byte
}

// wsConn is a websocket connection with its write lock.
type wsConn struct {
	*websocket.Conn
	wmu sync.Mutex
}

func (c *wsConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.WriteJSON(v)
}

func (c *wsConn) writeRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.WriteMessage(websocket.TextMessage, b)
}

type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &wsConn{Conn: ws}
	defer c.Close()
	if err := c.write(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": s.opt.HeartbeatInterval.Milliseconds()}}); err != nil {
		return
	}
	var f frame
	if err := c.ReadJSON(&f); err != nil {
		return
	}
	switch f.Op {
	case 2:
		var id struct {
			Token   string  `json:"token"`
			Intents int     `json:"intents"`
			Shard   *[2]int `json:"shard"`
		}
		json.Unmarshal(f.D, &id)
		if strings.TrimPrefix(id.Token, "Bot ") != s.opt.Token {
			c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."), time.Now().Add(time.Second))
			return
		}
		s.dmu.Lock()
		s.mu.Lock()
		s.gw.identifies++
		s.gw.intents = id.Intents
		s.gw.shard = [2]int{0, 1}
		if id.Shard != nil {
			s.gw.shard = *id.Shard
		}
		s.gw.sessionID = "session-" + strconv.Itoa(s.gw.identifies)
		s.gw.seq, s.gw.events = 1, nil
		ready := map[string]any{
			"v": 9, "session_id": s.gw.sessionID, "resume_gateway_url": "ws" + s.http.URL[len("http"):] + "/gateway",
			"user":        map[string]any{"id": s.opt.AppID, "username": "storybot", "discriminator": "0", "bot": true},
			"application": map[string]any{"id": s.opt.AppID, "flags": 0},
			"guilds":      []any{}, "private_channels": []any{},
		}
		s.mu.Unlock()
		seq := int64(1)
		err := c.write(map[string]any{"op": 0, "t": "READY", "s": seq, "d": ready})
		s.dmu.Unlock()
		if err != nil {
			return
		}
	case 6:
		var res struct {
			Token     string `json:"token"`
			SessionID string `json:"session_id"`
			Seq       int64  `json:"seq"`
		}
		json.Unmarshal(f.D, &res)
		s.dmu.Lock()
		s.mu.Lock()
		ok := strings.TrimPrefix(res.Token, "Bot ") == s.opt.Token && res.SessionID == s.gw.sessionID && s.gw.sessionID != ""
		var missed []event
		if ok {
			s.gw.resumes++
			for _, e := range s.gw.events {
				if e.seq > res.Seq {
					missed = append(missed, e)
				}
			}
		}
		s.mu.Unlock()
		if !ok {
			s.dmu.Unlock()
			c.write(map[string]any{"op": 9, "d": false})
			return
		}
		for _, e := range missed {
			if err := c.writeRaw(e.payload); err != nil {
				s.dmu.Unlock()
				return
			}
		}
		s.mu.Lock()
		s.gw.seq++
		seq := s.gw.seq
		s.mu.Unlock()
		err := c.write(map[string]any{"op": 0, "t": "RESUMED", "s": seq, "d": map[string]any{}})
		s.dmu.Unlock()
		if err != nil {
			return
		}
	default:
		return
	}

	s.mu.Lock()
	if old := s.gw.conn; old != nil {
		old.Close()
	}
	s.gw.conn = c
	s.notify()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.gw.conn == c {
			s.gw.conn = nil
			s.notify()
		}
		s.mu.Unlock()
	}()
	for {
		var f frame
		if err := c.ReadJSON(&f); err != nil {
			return
		}
		if f.Op == 1 {
			s.mu.Lock()
			s.gw.heartbeats++
			s.mu.Unlock()
			if err := c.write(map[string]any{"op": 11}); err != nil {
				return
			}
		}
	}
}

// GatewayStats reports the gateway's history.
type GatewayStats struct {
	Identifies, Resumes, Heartbeats int
	Intents                         int    // of the last IDENTIFY
	Shard                           [2]int // of the last IDENTIFY: ID and count ([0 1] when unsharded)
	Connected                       bool
}

// Gateway returns the gateway's history so far.
func (s *Server) Gateway() GatewayStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return GatewayStats{Identifies: s.gw.identifies, Resumes: s.gw.resumes, Heartbeats: s.gw.heartbeats, Intents: s.gw.intents, Shard: s.gw.shard, Connected: s.gw.conn != nil}
}

// WaitConnected waits until a bot has identified or resumed on the gateway.
func (s *Server) WaitConnected(ctx context.Context) error {
	for {
		s.mu.Lock()
		ok, ch := s.gw.conn != nil, s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("fake discord: waiting for the bot to connect: %w", ctx.Err())
		}
	}
}

// Drop cuts the gateway connection without a close frame, as a network
// failure would. The session stays resumable.
func (s *Server) Drop() {
	s.mu.Lock()
	c := s.gw.conn
	s.gw.conn = nil
	s.notify()
	s.mu.Unlock()
	if c != nil {
		c.UnderlyingConn().Close()
	}
}

// Interaction types.
const (
	TypeCommand      = 2
	TypeAutocomplete = 4
)

// Interaction is an interaction to dispatch.
type Interaction struct {
	Type    int // TypeCommand (default) or TypeAutocomplete
	Command string
	Options []Option
	UserID  string // default "400000000000000001"
	GuildID string // empty: a DM (user instead of member)
	// ChannelID is where it was sent (default "300000000000000001").
	ChannelID string
	// Roles and Permissions are the member's in a guild: role IDs, and the
	// permission bits as Discord sends them, a decimal string (default "0").
	Roles       []string
	Permissions string
	// ID and Token are set by Send.
	ID, Token string
}

// Option is a command option given by the user.
type Option struct {
	Name, Value string
	Focused     bool // the option being typed, for autocomplete
	// Type is 0 for a string option (sent as type 3), OptionBoolean
	// (Value "true" or "false"), OptionChannel (Value the channel's ID),
	// or OptionSubcommand or OptionSubcommandGroup, which hold Options.
	Type    int
	Options []Option
}

// Option types besides strings.
const (
	OptionSubcommand      = 1
	OptionSubcommandGroup = 2
	OptionBoolean         = 5
	OptionChannel         = 7
)

// optionData is o as Discord sends it.
func optionData(o Option) map[string]any {
	if o.Type == OptionSubcommand || o.Type == OptionSubcommandGroup {
		opts := make([]map[string]any, len(o.Options))
		for i, c := range o.Options {
			opts[i] = optionData(c)
		}
		return map[string]any{"name": o.Name, "type": o.Type, "options": opts}
	}
	m := map[string]any{"name": o.Name, "type": 3, "value": o.Value}
	switch o.Type {
	case OptionBoolean:
		m["type"], m["value"] = o.Type, o.Value == "true"
	case OptionChannel:
		m["type"] = o.Type
	}
	if o.Focused {
		m["focused"] = true
	}
	return m
}

// Send dispatches in as INTERACTION_CREATE once a bot is connected, and
// returns it with its ID and token. An event sent while the bot is
// disconnected is delivered when it resumes.
func (s *Server) Send(ctx context.Context, in Interaction) (Interaction, error) {
	if err := s.WaitConnected(ctx); err != nil {
		return in, err
	}
	in, d := s.interactionData(in)

	s.dmu.Lock()
	defer s.dmu.Unlock()
	s.mu.Lock()
	s.gw.seq++
	seq := s.gw.seq
	payload, err := json.Marshal(map[string]any{"op": 0, "t": "INTERACTION_CREATE", "s": seq, "d": d})
	if err != nil {
		s.mu.Unlock()
		return in, err
	}
	s.gw.events = append(s.gw.events, event{seq, payload})
	c := s.gw.conn
	s.dispatchT[in.ID] = time.Now()
	s.mu.Unlock()
	if c != nil {
		c.writeRaw(payload) // a failed write is a drop: the event is replayed on RESUME
	}
	return in, nil
}

// NewInteraction returns in with its ID and token, and its JSON as Discord
// posts it to an HTTP interactions endpoint (for the caller to sign and
// send). The fake knows the token, so the webhook calls that answer it are
// recorded with its ID.
func (s *Server) NewInteraction(in Interaction) (Interaction, []byte, error) {
	in, d := s.interactionData(in)
	b, err := json.Marshal(d)
	if err != nil {
		return in, nil, fmt.Errorf("fake discord: encode the interaction: %w", err)
	}
	return in, b, nil
}

// interactionData gives in an ID and a token the fake knows, and returns it
// with the interaction object Discord would send.
func (s *Server) interactionData(in Interaction) (Interaction, map[string]any) {
	if in.Type == 0 {
		in.Type = TypeCommand
	}
	if in.UserID == "" {
		in.UserID = "400000000000000001"
	}
	s.mu.Lock()
	s.nextID++
	in.ID = strconv.FormatInt(s.nextID, 10)
	in.Token = "token-" + in.ID
	s.tokens[in.Token] = in.ID
	s.mu.Unlock()

	opts := make([]map[string]any, len(in.Options))
	for i, o := range in.Options {
		opts[i] = optionData(o)
	}
	channel, perms, roles := in.ChannelID, in.Permissions, []any{}
	if channel == "" {
		channel = "300000000000000001"
	}
	if perms == "" {
		perms = "0"
	}
	for _, r := range in.Roles {
		roles = append(roles, r)
	}
	user := map[string]any{"id": in.UserID, "username": "user" + in.UserID[len(in.UserID)-4:], "discriminator": "0", "global_name": nil}
	d := map[string]any{
		"id": in.ID, "application_id": s.opt.AppID, "type": in.Type, "token": in.Token, "version": 1,
		"data":            map[string]any{"id": "500000000000000001", "name": in.Command, "type": 1, "options": opts},
		"channel_id":      channel,
		"app_permissions": "0", "locale": "en-GB",
	}
	if in.GuildID != "" {
		d["guild_id"] = in.GuildID
		d["member"] = map[string]any{"user": user, "roles": roles, "joined_at": "2026-01-01T00:00:00Z", "permissions": perms, "deaf": false, "mute": false}
		d["channel"] = map[string]any{"id": channel, "type": 0, "guild_id": in.GuildID}
	} else {
		d["user"] = user
		d["channel"] = map[string]any{"id": channel, "type": 1}
	}
	return in, d
}
